// portero stats page: "select all" boxes of the admin form, and the live charts fed by
// `<stats uri>;live` (polled every second, no page reload). No dependency, no build step.
// The latest numbers are also written into data-* attributes and text, so a headless
// browser's DOM dump (the integration test) can see what the charts show.
(function () {
  'use strict';

  // Admin form: the header box checks or clears every server box of its table.
  document.querySelectorAll('input[data-select-all]').forEach(function (all) {
    all.addEventListener('click', function () {
      document.querySelectorAll('input.' + CSS.escape(all.dataset.selectAll)).forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });

  var live = document.getElementById('live');
  if (!live || !window.fetch) return;

  var PERIOD_MS = 1000;
  var COLORS = { req: ['#1060c0'], err: ['#c02020'], lat: ['#208020', '#c08000', '#c02060', '#6020a0'] };
  var LAT_KEYS = ['p50_us', 'p90_us', 'p99_us', 'p999_us'];
  var LAT_NAMES = ['p50', 'p90', 'p99', 'p99.9'];
  var select = document.getElementById('live-object');
  var state = document.getElementById('live-state');
  var tbody = document.querySelector('#live-table tbody');
  var polls = 0, chosen = null, objects = [];

  function key(o) { return o.proxy + '/' + o.name; }
  function last(a) { return a && a.length ? a[a.length - 1] : null; }
  function ms(us) { return us === null || us === undefined ? null : us / 1000; }
  function fmt(v) {
    if (v === null || v === undefined) return '-';
    if (v >= 100 || v === Math.floor(v)) return String(Math.round(v));
    return v.toFixed(v >= 10 ? 1 : 2);
  }

  // A "nice" top for the y axis: 1, 2 or 5 times a power of ten, at least the data's max.
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  // Lines over the last `capacity` seconds; null values leave gaps (no request finished).
  function draw(canvas, series, colors, names, capacity) {
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
    if (canvas.width !== w * ratio) { canvas.width = w * ratio; canvas.height = h * ratio; }
    var g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    var left = 44, right = 6, top = 14, bottom = 16;
    var pw = w - left - right, ph = h - top - bottom;
    var max = 0;
    series.forEach(function (s) { s.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    var ymax = niceMax(max);
    var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
    g.font = '10px sans-serif';
    g.strokeStyle = dark ? '#444' : '#ddd';
    g.fillStyle = dark ? '#bbb' : '#555';
    g.lineWidth = 1;
    for (var i = 0; i <= 4; i++) {   // horizontal grid with labels
      var y = top + ph - (ph * i) / 4;
      g.beginPath(); g.moveTo(left, y); g.lineTo(left + pw, y); g.stroke();
      g.fillText(fmt((ymax * i) / 4), 2, y + 3);
    }
    g.fillText('-' + capacity + 's', left, h - 3);
    g.fillText('now', left + pw - 18, h - 3);
    series.forEach(function (s, si) {
      g.strokeStyle = colors[si];
      g.lineWidth = 1.5;
      g.beginPath();
      var pen = false;
      var offset = capacity - s.length;   // the newest point sits at the right edge
      s.forEach(function (v, k) {
        if (v === null) { pen = false; return; }
        var x = left + (pw * (offset + k)) / Math.max(capacity - 1, 1);
        var y = top + ph - (ph * v) / ymax;
        if (pen) g.lineTo(x, y); else g.moveTo(x, y);
        pen = true;
      });
      g.stroke();
    });
    if (names) names.forEach(function (n, si) {   // legend along the top
      g.fillStyle = colors[si];
      g.fillText(n, left + 4 + si * 44, 10);
    });
  }

  // A bare trend line for the table: no axis, scaled to its own maximum.
  function sparkline(canvas, values) {
    var w = canvas.width, h = canvas.height, g = canvas.getContext('2d');
    g.clearRect(0, 0, w, h);
    var max = Math.max.apply(null, values.concat([1]));
    g.strokeStyle = COLORS.req[0];
    g.lineWidth = 1;
    g.beginPath();
    values.forEach(function (v, k) {
      var x = values.length > 1 ? (w - 1) * k / (values.length - 1) : 0;
      var y = h - 1 - (h - 2) * v / max;
      if (k) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
  }

  function fillSelect() {
    var keys = objects.map(key);
    var have = Array.prototype.map.call(select.options, function (o) { return o.value; });
    if (keys.join('\n') !== have.join('\n')) {
      select.textContent = '';
      objects.forEach(function (o) {
        var opt = document.createElement('option');
        opt.value = key(o);
        opt.textContent = o.proxy + ' / ' + o.name + ' (' + o.kind + ')';
        select.appendChild(opt);
      });
    }
    if (chosen === null || keys.indexOf(chosen) < 0) {
      // default: the busiest frontend, else the first object
      var best = null;
      objects.forEach(function (o) {
        if (o.kind === 'frontend' && (best === null || last(o.req) > last(best.req))) best = o;
      });
      chosen = best ? key(best) : keys[0] || null;
    }
    if (chosen !== null) select.value = chosen;
  }

  function row(o) {
    var tr = document.createElement('tr');
    tr.className = o.kind;
    tr.dataset.object = key(o);
    tr.addEventListener('click', function () { chosen = tr.dataset.object; render(); });
    return tr;
  }

  function fillTable() {
    var rows = {};
    Array.prototype.forEach.call(tbody.children, function (tr) { rows[tr.dataset.object] = tr; });
    objects.forEach(function (o) {
      var tr = rows[key(o)] || tbody.appendChild(row(o));
      var vals = [last(o.req), o.req_rate_max, last(o.err)].concat(LAT_KEYS.map(function (k) { return ms(last(o[k])); }));
      tr.dataset.req = fmt(vals[0]);
      tr.dataset.err = fmt(vals[2]);
      tr.dataset.p99 = fmt(vals[5]);
      tr.className = o.kind + (key(o) === chosen ? ' sel' : '');
      var html = '<td class="c">' + o.proxy.replace(/</g, '&lt;') + ' / ' + o.name.replace(/</g, '&lt;') + '</td>';
      vals.forEach(function (v) { html += '<td>' + fmt(v) + '</td>'; });
      tr.innerHTML = html + '<td><canvas width="120" height="24"></canvas></td>';
      sparkline(tr.querySelector('canvas'), o.req.slice(-60));
    });
  }

  function render() {
    var o = objects.filter(function (x) { return key(x) === chosen; })[0];
    fillTable();
    if (!o) return;
    var cap = live.dataset.capacity ? Number(live.dataset.capacity) : 300;
    var charts = { req: [o.req], err: [o.err], lat: LAT_KEYS.map(function (k) { return o[k].map(ms); }) };
    Object.keys(charts).forEach(function (id) {
      var fig = live.querySelector('figure[data-chart="' + id + '"]');
      draw(fig.querySelector('canvas'), charts[id], COLORS[id], id === 'lat' ? LAT_NAMES : null, cap);
    });
    var latest = {
      req: fmt(last(o.req)),
      err: fmt(last(o.err)),
      lat: LAT_KEYS.map(function (k) { return fmt(ms(last(o[k]))); }).join(' / ')
    };
    Object.keys(latest).forEach(function (id) {
      live.querySelector('[data-latest="' + id + '"]').textContent = latest[id];
      live.dataset['latest' + id.charAt(0).toUpperCase() + id.slice(1)] = latest[id];
    });
    live.dataset.object = chosen;
  }

  function poll() {
    fetch(live.dataset.feed, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (feed) {
        objects = feed.objects || [];
        polls += 1;
        live.dataset.polls = String(polls);
        live.dataset.samples = String(feed.samples || 0);
        live.dataset.capacity = String(feed.capacity || 300);
        state.textContent = 'updated ' + new Date(feed.now_ms || Date.now()).toLocaleTimeString() +
          ' (' + (objects.length ? objects[0].req.length : 0) + ' s of history)';
        fillSelect();
        render();
      })
      .catch(function (e) { state.textContent = 'feed unavailable: ' + e.message; })
      .then(function () { setTimeout(poll, PERIOD_MS); });
  }

  select.addEventListener('change', function () { chosen = select.value; render(); });
  poll();
})();
