# bench/lib.sh — shared machinery of the bench scripts (bench/run, bench/acl_rules): knobs,
# prerequisites, descriptor limit, temp dir and cleanup by pid, pinning, the nginx origin,
# the haproxy.cfg both HAProxy and portero read, wrk runs and CPU accounting from
# /proc/PID/stat. Sourced, not run; the caller has done `set -uo pipefail`.
# See bench/README.md for the method.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNS:-50}
THREADS=${BENCH_THREADS:-1}
IDLE=${BENCH_IDLE_CONNS:-5000}
BODY_BYTES=${BENCH_BODY_BYTES:-64}
IDLE_BATCH=${BENCH_IDLE_BATCH:-1}
RETRIES=${BENCH_RETRIES:-1}
PROXIES=${BENCH_PROXIES:-"haproxy portero nginx"}
PROXY_CPU=${BENCH_PROXY_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
PORTERO_BIN_ARG=${PORTERO_BIN:-}
PORTERO_BIN=${PORTERO_BIN:-build/src/portero}
case "$PORTERO_BIN" in /*) ;; *) PORTERO_BIN=$ROOT/$PORTERO_BIN ;; esac
PY=$(command -v python3 || true)
T0=$(date +%s)

say() { printf '[bench %3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
missing=()
for t in wrk nginx haproxy taskset curl python3 getconf; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/${0##*/}: missing ${missing[*]}; run scripts/bootstrap first (it installs them)." >&2
  exit 2
fi
HAPROXY_BIN=$(command -v haproxy)
NGINX_BIN=$(command -v nginx)
CLK_TCK=$(getconf CLK_TCK)

# Descriptors: each idle connection costs the proxy up to two (client side + server side).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" -ge 41000 ]; then MAXCONN=20000; else MAXCONN=$(( (NOFILE - 200) / 2 )); fi
if [ "$MAXCONN" -lt $(( IDLE + CONNS + 10 )) ]; then
  say "WARNING: open-file limit $NOFILE allows maxconn $MAXCONN < $IDLE idle connections; lowering BENCH_IDLE_CONNS"
  IDLE=$(( MAXCONN - CONNS - 10 ))
fi
WORKER_CONNS=$(( NOFILE - 100 ))

TMP=$(mktemp -d /tmp/portero-bench.XXXXXX)
STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do stop_pid "$p"; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
stop_pid() {  # stop one process we started, by pid: TERM, then KILL after 3 s
  local p=$1 i
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # wait_http PORT PID NAME: up to 5 s for a 200 on /
  local port=$1 pid=$2 name=$3 i
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { say "$name exited at startup"; return 1; }
    if [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ]; then
      return 0
    fi
    sleep 0.1
  done
  say "$name did not answer 200 on 127.0.0.1:$port within 5 s"
  return 1
}

tree_pids() {  # a pid and all its descendants
  local p c
  for p in "$@"; do
    echo "$p"
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
  done
}

cpu_busy() {  # user+nice+system+irq+softirq ticks of one cpu (/proc/stat) and its softirq ticks
  awk -v c="cpu$1" '$1==c {print $2+$3+$4+$7+$8, $8}' /proc/stat
}

cpu_ticks() {  # utime+stime (fields 14, 15 of /proc/PID/stat) summed over the process tree
  local sum=0 p v
  for p in $(tree_pids "$1"); do
    v=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13}')
    sum=$(( sum + ${v:-0} ))
  done
  echo "$sum"
}

# ---------------------------------------------------------------- configs
BODY=$(head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x')
ORIGIN_PORT=$(free_port)

mkdir -p "$TMP/origin/logs" "$TMP/nginxproxy/logs"
cat >"$TMP/origin/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/origin/nginx.pid;
error_log $TMP/origin/error.log warn;
events { worker_connections $WORKER_CONNS; }
http {
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  client_body_temp_path $TMP/origin/tmp_body;
  proxy_temp_path $TMP/origin/tmp_proxy;
  fastcgi_temp_path $TMP/origin/tmp_fcgi;
  uwsgi_temp_path $TMP/origin/tmp_uwsgi;
  scgi_temp_path $TMP/origin/tmp_scgi;
  server {
    listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
    location / { default_type text/plain; return 200 "$BODY"; }
  }
}
EOF

# One haproxy.cfg, used verbatim by both HAProxy and portero. Optional FRONTEND_RULES is a
# file whose lines go into the frontend before default_backend; EXTRA_SECTIONS a file appended
# after backend be. Without them the text is exactly bench/run's config.
write_haproxy_cfg() {  # write_haproxy_cfg FILE PORT [FRONTEND_RULES [EXTRA_SECTIONS]]
  cat >"$1" <<EOF
global
    nbthread 1
    maxconn $MAXCONN

defaults
    mode http
    option http-keep-alive
    http-reuse safe
    maxconn $MAXCONN
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-request 300s
    timeout http-keep-alive 300s

frontend fe
    bind 127.0.0.1:$2
EOF
  if [ -n "${3:-}" ]; then cat "$3" >>"$1"; fi
  cat >>"$1" <<EOF
    default_backend be

backend be
    server origin 127.0.0.1:$ORIGIN_PORT
EOF
  if [ -n "${4:-}" ]; then { echo; cat "$4"; } >>"$1"; fi
  return 0
}

write_nginx_proxy_conf() {  # write_nginx_proxy_conf PORT
  cat >"$TMP/nginxproxy/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginxproxy/nginx.pid;
error_log $TMP/nginxproxy/error.log warn;
events { worker_connections $WORKER_CONNS; }
http {
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  proxy_connect_timeout 5s;
  proxy_read_timeout 300s;
  proxy_send_timeout 300s;
  proxy_buffering on;
  client_body_temp_path $TMP/nginxproxy/tmp_body;
  proxy_temp_path $TMP/nginxproxy/tmp_proxy;
  fastcgi_temp_path $TMP/nginxproxy/tmp_fcgi;
  uwsgi_temp_path $TMP/nginxproxy/tmp_uwsgi;
  scgi_temp_path $TMP/nginxproxy/tmp_scgi;
  upstream origin {
    server 127.0.0.1:$ORIGIN_PORT;
    keepalive 128;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$1 backlog=4096;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
}

# ---------------------------------------------------------------- measurements
ROWS=()
NOTES=()

run_wrk() {  # run_wrk PORT SECONDS OUTFILE; WRK_URL, if set, replaces http://127.0.0.1:PORT/
  timeout $(( $2 + 15 )) taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNS" -d"$2"s --latency \
    "${WRK_URL:-http://127.0.0.1:$1/}" >"$3" 2>&1
}

to_us() {  # wrk latency "1.23ms" / "456.00us" / "1.02s" -> microseconds
  awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) m=1; else if (v ~ /ms$/) m=1000; else if (v ~ /s$/) m=1000000; else m=0;
                 if (m) printf "%.0f", n*m; else printf "?" }'
}

# measure_load NAME PORT PID_MEASURED ORIGIN_PID -> sets W_* variables
measure_load() {
  local name=$1 port=$2 pid=$3 opid=$4 out="$TMP/wrk-$1.txt"
  [ "$WARMUP" -gt 0 ] && run_wrk "$port" "$WARMUP" "$TMP/wrk-$1-warmup.txt"
  local c0 o0 t0 c1 o1 t1
  local b0 b1 s0 s1
  read -r b0 s0 < <(cpu_busy "$PROXY_CPU")
  c0=$(cpu_ticks "$pid"); o0=$(cpu_ticks "$opid"); t0=$(date +%s%N)
  run_wrk "$port" "$DURATION" "$out"
  c1=$(cpu_ticks "$pid"); o1=$(cpu_ticks "$opid"); t1=$(date +%s%N)
  read -r b1 s1 < <(cpu_busy "$PROXY_CPU")
  W_REQS=$(awk '/requests in/ {print $1}' "$out")
  W_RPS=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$out")
  W_P50=$(to_us "$(awk '$1=="50%" {print $2}' "$out")")
  W_P99=$(to_us "$(awk '$1=="99%" {print $2}' "$out")")
  local non2xx sockerr
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
  sockerr=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' "$out")
  W_ERRS=$(( ${non2xx:-0} + ${sockerr:-0} ))
  if [ -z "$W_REQS" ] || [ "${W_REQS:-0}" -eq 0 ]; then
    say "$name: wrk completed no requests:"; sed 's/^/    /' "$out" >&2
    W_REQS=0; W_RPS=0; W_CPU_US="n/a"; W_ORIGIN_US="n/a"; W_UTIL="n/a"; W_OTHER="n/a"; W_P50="n/a"; W_P99="n/a"; return 1
  fi
  W_CPU_US=$(awk -v d=$(( c1 - c0 )) -v hz="$CLK_TCK" -v n="$W_REQS" 'BEGIN{printf "%.2f", d*1e6/hz/n}')
  W_ORIGIN_US=$(awk -v d=$(( o1 - o0 )) -v hz="$CLK_TCK" -v n="$W_REQS" 'BEGIN{printf "%.2f", d*1e6/hz/n}')
  # Work on the proxy's cpu not charged to the proxy: other processes, plus interrupts and
  # softirqs (loopback packet delivery) that the kernel does not charge to any process.
  W_OTHER=$(awk -v d=$(( (b1 - b0) - (c1 - c0) )) -v hz="$CLK_TCK" -v ns=$(( t1 - t0 )) 'BEGIN{printf "%.0f%%", d/hz/(ns/1e9)*100}')
  W_SOFTIRQ=$(awk -v d=$(( s1 - s0 )) -v hz="$CLK_TCK" -v ns=$(( t1 - t0 )) 'BEGIN{printf "%.0f%%", d/hz/(ns/1e9)*100}')
  W_UTIL=$(awk -v d=$(( c1 - c0 )) -v hz="$CLK_TCK" -v ns=$(( t1 - t0 )) 'BEGIN{printf "%.0f%%", d/hz/(ns/1e9)*100}')
  local extra=""
  [ "$pid" != "$opid" ] && extra="; cpu$PROXY_CPU not charged to it: $W_OTHER (softirq $W_SOFTIRQ)"
  say "$name: $W_RPS req/s, p50 ${W_P50}us p99 ${W_P99}us, ${W_CPU_US} us CPU/req (${W_UTIL} of a core), origin ${W_ORIGIN_US} us/req, errors $W_ERRS$extra"
}

# measure_idle NAME PORT PID -> sets I_* variables
measure_idle() {
  local name=$1 port=$2 pid=$3 line
  line=$(timeout 90 taskset -c "$LOAD_CPU" "$PY" "$ROOT/bench/idle_conns.py" --port "$port" \
           --count "$IDLE" --pids "$pid" --settle 1 --batch "$IDLE_BATCH" --deadline 60 2>"$TMP/idle-$name.err")
  [ -s "$TMP/idle-$name.err" ] && sed 's/^/    /' "$TMP/idle-$name.err" >&2
  if [ -z "$line" ]; then
    say "$name: idle-connection probe produced nothing"
    I_OK="n/a"; I_OPEN="n/a"; I_RSS0="n/a"; I_RSS1="n/a"; I_BPC="n/a"; I_FPC="n/a"; return 1
  fi
  kv() { echo "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1==k {print $2}'; }
  I_OK=$(kv ok); I_OPEN=$(kv open); I_RSS0=$(kv rss0_kb); I_RSS1=$(kv rss1_kb)
  I_BPC=$(kv bytes_per_conn); I_FPC=$(kv fds_per_conn)
  say "$name: idle $I_OK/$IDLE answered, $I_OPEN still open; RSS ${I_RSS0} -> ${I_RSS1} KiB = ${I_BPC} B/conn, ${I_FPC} fds/conn"
}

start_bg() {  # start_bg LOGFILE CMD... ; pinned to the proxy cpu; sets BG_PID
  taskset -c "$PROXY_CPU" "${@:2}" >"$1" 2>&1 &
  BG_PID=$!
  STARTED+=("$BG_PID")
}

start_origin() {  # start the nginx origin on LOAD_CPU; sets ORIGIN_PID
  taskset -c "$LOAD_CPU" "$NGINX_BIN" -p "$TMP/origin" -c "$TMP/origin/nginx.conf" -e "$TMP/origin/error.log" \
    >"$TMP/origin.log" 2>&1 &
  ORIGIN_PID=$!
  STARTED+=("$ORIGIN_PID")
  wait_http "$ORIGIN_PORT" "$ORIGIN_PID" "origin nginx" || { cat "$TMP/origin.log" "$TMP/origin/error.log" >&2; die "origin did not start"; }
  say "origin nginx pid $ORIGIN_PID on 127.0.0.1:$ORIGIN_PORT (cpu$LOAD_CPU), body $BODY_BYTES B; maxconn $MAXCONN, nofile $NOFILE"
}

# prepare_portero: private copy of PORTERO_BIN in $TMP/portero; adds its identity to VERSIONS
# and any caveat to NOTES. Returns 1 (with a note) when there is nothing to run.
prepare_portero() {
  if [ ! -x "$PORTERO_BIN" ]; then
    say "portero: skipped — no executable at $PORTERO_BIN (set PORTERO_BIN or build it first)"
    NOTES+=("portero skipped: no executable at \`${PORTERO_BIN#$ROOT/}\`.")
    return 1
  fi
  # Run a private copy: the build dir may be rebuilt while the bench runs.
  cp "$PORTERO_BIN" "$TMP/portero" || { say "portero: cannot copy $PORTERO_BIN"; return 1; }
  PSUM=$(sha256sum "$TMP/portero" | cut -c1-12)
  PTIME=$(date -u -r "$PORTERO_BIN" '+%Y-%m-%d %H:%M:%S UTC')
  VERSIONS="$VERSIONS; portero: $(timeout 5 "$TMP/portero" -v 2>&1 | head -1), binary sha256 $PSUM built $PTIME"
  # A portero from a Debug (or untyped) CMake build is not worth measuring: say so.
  d=$(dirname "$PORTERO_BIN"); btype="unknown (no CMakeCache.txt found)"
  for _ in 1 2 3; do
    if [ -f "$d/CMakeCache.txt" ]; then
      btype=$(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$d/CMakeCache.txt"); btype=${btype:-"(empty)"}; break
    fi
    d=$(dirname "$d")
  done
  VERSIONS="$VERSIONS (${PORTERO_BIN#$ROOT/}, CMAKE_BUILD_TYPE $btype)"
  case "$btype" in Release|RelWithDebInfo|unknown*) ;; *)
    say "WARNING: portero build type is $btype, not Release"
    NOTES+=("portero was built with CMAKE_BUILD_TYPE $btype, not Release: its CPU figures are not representative.") ;;
  esac
  return 0
}

# make_cert NAME -newkey-args...: a self-signed certificate for localhost in $CERTS (cert + key
# in one PEM, what `crt` and nginx take). The caller sets CERTS and creates it.
make_cert() {
  local n=$1; shift
  openssl req -x509 "$@" -nodes -days 2 -sha256 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$CERTS/$n.key" -out "$CERTS/$n.crt" >"$CERTS/$n.log" 2>&1 \
    || { cat "$CERTS/$n.log" >&2; die "openssl could not make the $n certificate"; }
  cat "$CERTS/$n.crt" "$CERTS/$n.key" >"$CERTS/$n.pem"
}
