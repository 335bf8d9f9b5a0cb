// The table of keywords portero parses but does not implement, and how they are reported.
// Each row says why: a "hint" row must be harmless to ignore (nothing served, blocked,
// authenticated, encrypted, logged or sent changes); anything else is "missing" and refused, so
// that a configuration never silently means less than it says. When in doubt: missing.
// `example` is one line the unit test (tests/unit/config/unimplemented_test.cpp) and the live
// comparison with haproxy (tests/integration/test_unimplemented_keywords.py, which reads this
// file: keep one row per line) load: global rows go in `global`, section rows after the
// proxies, every other row inside a `listen` section that has a bind and a server.
#include "unimplemented.h"

#include "parse_context.h"

namespace portero::config {
namespace {

using C = GapContext;
constexpr GapKind H = GapKind::hint;
constexpr GapKind M = GapKind::missing;

const Unimplemented kTable[] = {
    // ---- global: tuning and process hints ------------------------------------------------------
    {C::global, "tune.buffers.limit", H, "buffer pool sizing", "tune.buffers.limit 1000"},
    {C::global, "tune.buffers.reserve", H, "buffer pool sizing", "tune.buffers.reserve 4"},
    {C::global, "tune.comp.maxlevel", H, "compression level; compression itself is refused", "tune.comp.maxlevel 1"},
    {C::global, "tune.fd.edge-triggered", H, "poller mode", "expose-experimental-directives\n    tune.fd.edge-triggered on"},
    {C::global, "tune.idle-pool.shared", H, "connection pool sharing between threads", "tune.idle-pool.shared on"},
    {C::global, "tune.idletimer", H, "splice heuristics", "tune.idletimer 1000"},
    {C::global, "tune.listener.multi-queue", H, "accept queue distribution", "tune.listener.multi-queue on"},
    {C::global, "tune.lua.*", H, "Lua tuning; lua-load itself is refused", "tune.lua.maxmem 10"},
    {C::global, "tune.maxaccept", H, "accept batch size", "tune.maxaccept 64"},
    {C::global, "tune.maxpollevents", H, "poller batch size", "tune.maxpollevents 200"},
    {C::global, "tune.pattern.cache-size", H, "pattern match cache size", "tune.pattern.cache-size 1000"},
    {C::global, "tune.peers.max-updates-at-once", H, "peers batch size; portero sends the pending updates in one go", "tune.peers.max-updates-at-once 100"},
    {C::global, "tune.pipesize", H, "splice pipe size", "tune.pipesize 65536"},
    {C::global, "tune.pool-high-fd-ratio", H, "idle connection pool sizing", "tune.pool-high-fd-ratio 25"},
    {C::global, "tune.pool-low-fd-ratio", H, "idle connection pool sizing", "tune.pool-low-fd-ratio 20"},
    {C::global, "tune.rcvbuf.client", H, "socket buffer size", "tune.rcvbuf.client 65536"},
    {C::global, "tune.rcvbuf.server", H, "socket buffer size", "tune.rcvbuf.server 65536"},
    {C::global, "tune.recv_enough", H, "read heuristics", "tune.recv_enough 10000"},
    {C::global, "tune.runqueue-depth", H, "scheduler batch size", "tune.runqueue-depth 200"},
    {C::global, "tune.sched.low-latency", H, "scheduler priorities", "tune.sched.low-latency on"},
    {C::global, "tune.sndbuf.client", H, "socket buffer size", "tune.sndbuf.client 65536"},
    {C::global, "tune.sndbuf.server", H, "socket buffer size", "tune.sndbuf.server 65536"},
    {C::global, "tune.ssl.force-private-cache", H, "TLS session cache placement", "tune.ssl.force-private-cache"},
    {C::global, "tune.ssl.hard-maxrecord", H, "TLS record size", "tune.ssl.hard-maxrecord 16384"},
    {C::global, "tune.ssl.keylog", H, "keeps TLS secrets for ssl_*_keylog fetches, which portero does not have", "tune.ssl.keylog on"},
    {C::global, "busy-polling", H, "poller mode", "busy-polling"},
    {C::global, "cluster-secret", H, "QUIC retry tokens; portero has no QUIC", "cluster-secret s3cr3t"},
    {C::global, "expose-experimental-directives", H, "unlocks HAProxy's experimental keywords", "expose-experimental-directives"},
    {C::global, "fd-hard-limit", H, "file descriptor limit", "fd-hard-limit 100000"},
    {C::global, "h1-case-adjust", H, "header case map, used only by option h1-case-adjust-bogus-*, which is refused", "h1-case-adjust content-type Content-Type"},
    {C::global, "h1-case-adjust-file", H, "header case map, used only by option h1-case-adjust-bogus-*, which is refused", "h1-case-adjust-file /dev/null"},
    {C::global, "h2-workaround-bogus-websocket-clients", H, "HTTP/2 only; portero speaks HTTP/1 only", "h2-workaround-bogus-websocket-clients"},
    {C::global, "httpclient.resolvers.id", H, "HAProxy's internal HTTP client (Lua, OCSP updates), which portero does not have", "httpclient.resolvers.id r"},
    {C::global, "httpclient.resolvers.prefer", H, "HAProxy's internal HTTP client, which portero does not have", "httpclient.resolvers.prefer ipv4"},
    {C::global, "httpclient.ssl.ca-file", H, "HAProxy's internal HTTP client, which portero does not have", "httpclient.ssl.ca-file /etc/ssl/certs/ca-certificates.crt"},
    {C::global, "httpclient.ssl.verify", H, "HAProxy's internal HTTP client, which portero does not have", "httpclient.ssl.verify none"},
    {C::global, "insecure-fork-wanted", H, "HAProxy's fork guard; portero's external checks fork anyway", "insecure-fork-wanted"},
    {C::global, "insecure-setuid-wanted", H, "HAProxy's setuid guard", "insecure-setuid-wanted"},
    {C::global, "lua-prepend-path", H, "Lua module path; lua-load itself is refused", "lua-prepend-path /tmp/?.lua"},
    {C::global, "maxcompcpuusage", H, "compression limit; compression is refused", "maxcompcpuusage 50"},
    {C::global, "maxcomprate", H, "compression limit; compression is refused", "maxcomprate 100"},
    {C::global, "maxzlibmem", H, "compression memory; compression is refused", "maxzlibmem 10"},
    {C::global, "maxpipes", H, "splice pipes", "maxpipes 100"},
    {C::global, "max-spread-checks", H, "check start spreading", "max-spread-checks 1s"},
    {C::global, "no-memory-trimming", H, "memory release on reload", "no-memory-trimming"},
    {C::global, "noepoll", H, "poller choice", "noepoll"},
    {C::global, "noevports", H, "poller choice", "noevports"},
    {C::global, "nogetaddrinfo", H, "resolver function choice", "nogetaddrinfo"},
    {C::global, "nokqueue", H, "poller choice", "nokqueue"},
    {C::global, "nopoll", H, "poller choice", "nopoll"},
    {C::global, "noreuseport", H, "SO_REUSEPORT on listeners", "noreuseport"},
    {C::global, "nosplice", H, "kernel splicing", "nosplice"},
    {C::global, "numa-cpu-mapping", H, "CPU placement", "numa-cpu-mapping"},
    {C::global, "profiling.tasks", H, "task profiling", "profiling.tasks on"},
    {C::global, "set-dumpable", H, "core dumps", "set-dumpable"},
    {C::global, "ssl-mode-async", H, "asynchronous crypto engines (offload only)", "ssl-mode-async"},
    {C::global, "thread-group", H, "thread grouping", "thread-group 1 1-64"},
    {C::global, "thread-groups", H, "thread grouping", "thread-groups 1"},
    // ---- global: features ----------------------------------------------------------------------
    {C::global, "tune.fail-alloc", M, "HAProxy's allocation fault injection would not happen", "tune.fail-alloc 0"},
    {C::global, "tune.http.cookielen", M, "captured cookies would not be truncated to this length in logs", "tune.http.cookielen 10"},
    {C::global, "tune.http.logurilen", M, "logged URIs would not be truncated to this length", "tune.http.logurilen 100"},
    {C::global, "tune.vars.*", M, "variables larger than the limit would be stored instead of refused", "tune.vars.txn-max-size 100"},
    {C::global, "default-path", M, "relative paths of the configuration would be resolved from another directory", "default-path config"},
    {C::global, "h1-accept-payload-with-any-method", M, "HTTP/1.0 requests with a body would be handled differently", "h1-accept-payload-with-any-method"},
    {C::global, "issuers-chain-path", M, "certificate chains would not be completed from this directory", "issuers-chain-path /tmp"},
    {C::global, "lua-load", M, "the Lua script would not run", "lua-load /dev/null"},
    {C::global, "lua-load-per-thread", M, "the Lua script would not run", "lua-load-per-thread /dev/null"},
    {C::global, "maxconnrate", M, "incoming connections would not be rate-limited", "maxconnrate 100"},
    {C::global, "maxsessrate", M, "incoming sessions would not be rate-limited", "maxsessrate 100"},
    {C::global, "maxsslrate", M, "TLS handshakes would not be rate-limited", "maxsslrate 100"},
    {C::global, "maxsslconn", M, "TLS connections would not be limited", "maxsslconn 100"},
    {C::global, "set-var", M, "the proc variable would not be set", "set-var proc.x int(1)"},
    {C::global, "set-var-fmt", M, "the proc variable would not be set", "set-var-fmt proc.x hello"},
    {C::global, "ssl-load-extra-del-ext", M, "certificate file names would be looked up differently", "ssl-load-extra-del-ext"},
    {C::global, "ssl-load-extra-files", M, "the extra certificate files loaded would differ", "ssl-load-extra-files none"},
    {C::global, "ssl-propquery", M, "OpenSSL would pick algorithms from other providers", "ssl-propquery provider=default"},
    {C::global, "ssl-provider", M, "the OpenSSL provider would not be loaded", "ssl-provider default"},
    {C::global, "ssl-provider-path", M, "OpenSSL providers would be looked up elsewhere", "ssl-provider-path /tmp"},
    {C::global, "ssl-skip-self-issued-ca", M, "self-issued CAs would still be sent in the chain", "ssl-skip-self-issued-ca"},
    {C::global, "unix-bind", M, "UNIX sockets would be created without this prefix, owner or mode", "unix-bind mode 600"},
    {C::stats_global, "bind-process", H, "process binding; portero has one process", "stats bind-process 1"},
    {C::stats_socket, "backlog", H, "listen queue size", "stats socket /tmp/pt-unimpl.sock backlog 10"},
    {C::stats_socket, "id", H, "numeric id of the socket", "stats socket /tmp/pt-unimpl.sock id 9"},
    {C::stats_socket, "name", H, "name of the socket", "stats socket /tmp/pt-unimpl.sock name cli"},
    {C::stats_socket, "nice", H, "scheduling priority", "stats socket /tmp/pt-unimpl.sock nice 10"},
    {C::stats_socket, "thread", H, "thread binding", "stats socket /tmp/pt-unimpl.sock thread 1"},
    {C::stats_socket, "uid", M, "the socket would not belong to this user", "stats socket /tmp/pt-unimpl.sock uid 0"},
    {C::stats_socket, "gid", M, "the socket would not belong to this group", "stats socket /tmp/pt-unimpl.sock gid 0"},
    {C::stats_socket, "maxconn", M, "connections to the socket would not be limited", "stats socket /tmp/pt-unimpl.sock maxconn 5"},
    {C::stats_socket, "severity-output", M, "answers would not carry the severity", "stats socket /tmp/pt-unimpl.sock severity-output number"},
    // ---- sections ------------------------------------------------------------------------------
    {C::section, "cache", H, "used only through 'cache-use', 'cache-store' and 'filter cache', which are refused", "cache c\n    total-max-size 4"},
    {C::section, "mailers", H, "used only through 'email-alert', which is refused", "mailers m\n    mailer smtp1 127.0.0.1:25"},
    {C::section, "fcgi-app", H, "used only through 'use-fcgi-app', which is refused", "fcgi-app php\n    docroot /tmp"},
    {C::section, "ring", H, "used only through 'log ring@', which is refused", "ring r\n    size 32764"},
    {C::section, "program", M, "the program would not be started", "program p\n    command /bin/true"},
    // ---- proxies -------------------------------------------------------------------------------
    {C::proxy, "backlog", H, "listen queue size", "backlog 100"},
    {C::proxy, "clitcpka-cnt", H, "TCP keep-alive probe count", "clitcpka-cnt 3"},
    {C::proxy, "clitcpka-idle", H, "TCP keep-alive probe timing", "clitcpka-idle 10s"},
    {C::proxy, "clitcpka-intvl", H, "TCP keep-alive probe timing", "clitcpka-intvl 10s"},
    {C::proxy, "srvtcpka-cnt", H, "TCP keep-alive probe count", "srvtcpka-cnt 3"},
    {C::proxy, "srvtcpka-idle", H, "TCP keep-alive probe timing", "srvtcpka-idle 10s"},
    {C::proxy, "srvtcpka-intvl", H, "TCP keep-alive probe timing", "srvtcpka-intvl 10s"},
    {C::proxy, "max-keep-alive-queue", H, "idle connection reuse heuristics", "max-keep-alive-queue 10"},
    {C::proxy, "max-session-srv-conns", H, "server connections kept per session", "max-session-srv-conns 5"},
    {C::proxy, "compression", M, "responses would not be compressed", "compression algo gzip"},
    {C::proxy, "dispatch", M, "requests would not be sent to the dispatch address", "dispatch 127.0.0.1:81"},
    {C::proxy, "email-alert", M, "e-mail alerts would not be sent", "email-alert to ops@example.com"},
    {C::proxy, "filter", M, "the filter would not run", "filter compression"},
    {C::proxy, "rate-limit", M, "sessions would not be rate-limited", "rate-limit sessions 10"},
    {C::proxy, "source", M, "connections to servers would not use this source address", "source 127.0.0.1"},
    {C::proxy, "tcp-response", M, "the rule would not apply", "tcp-response content accept"},
    {C::proxy, "use-fcgi-app", M, "requests would not be sent over FastCGI", "use-fcgi-app php"},
    // ---- bind options --------------------------------------------------------------------------
    {C::bind, "defer-accept", H, "TCP accept timing", "bind :18081 defer-accept"},
    {C::bind, "expose-fd", H, "listener hand-over for HAProxy's -x", "bind :18081 expose-fd listeners"},
    {C::bind, "id", H, "numeric id of the listener", "bind :18081 id 7"},
    {C::bind, "level", H, "applies to CLI listeners only", "bind :18081 level user"},
    {C::bind, "mss", H, "TCP segment size", "bind :18081 mss 1400"},
    {C::bind, "nice", H, "scheduling priority", "bind :18081 nice 10"},
    {C::bind, "npn", H, "NPN is obsolete and portero negotiates HTTP/1.1 whatever it offers; use 'alpn'", "bind :18081 npn http/1.1"},
    {C::bind, "severity-output", H, "applies to CLI listeners only", "bind :18081 severity-output number"},
    {C::bind, "shards", H, "listening socket sharding", "bind :18081 shards 1"},
    {C::bind, "tcp-ut", H, "TCP user timeout", "bind :18081 tcp-ut 30s"},
    {C::bind, "tfo", H, "TCP fast open", "bind :18081 tfo"},
    {C::bind, "thread", H, "thread binding", "bind :18081 thread 1"},
    {C::bind, "accept-netscaler-cip", M, "the NetScaler client IP header would not be read", "bind :18081 accept-netscaler-cip 1234"},
    {C::bind, "gid", M, "the UNIX socket would not belong to this group", "bind :18081 gid 0"},
    {C::bind, "group", M, "the UNIX socket would not belong to this group", "bind :18081 group root"},
    {C::bind, "interface", M, "the listener would not be restricted to this interface", "bind :18081 interface lo"},
    {C::bind, "mode", M, "the UNIX socket would not get this mode", "bind :18081 mode 600"},
    {C::bind, "namespace", M, "the listener would not be in this network namespace", "bind :18081 namespace ns1"},
    {C::bind, "transparent", M, "foreign addresses would not be bound", "bind :18081 transparent"},
    {C::bind, "uid", M, "the UNIX socket would not belong to this user", "bind :18081 uid 0"},
    {C::bind, "user", M, "the UNIX socket would not belong to this user", "bind :18081 user root"},
    {C::bind, "v4v6", M, "IPv4 clients would not be accepted on an IPv6 listener", "bind :::18081 v4v6"},
    // ---- server options ------------------------------------------------------------------------
    {C::server, "log-proto", H, "applies to ring servers only", "server s2 127.0.0.1:81 log-proto octet-count"},
    {C::server, "no-tfo", H, "TCP fast open", "server s2 127.0.0.1:81 no-tfo"},
    {C::server, "non-stick", H, "stick tables are refused", "server s2 127.0.0.1:81 non-stick"},
    {C::server, "npn", H, "NPN is obsolete; portero speaks HTTP/1.1 to servers", "server s2 127.0.0.1:81 ssl verify none npn http/1.1"},
    {C::server, "pool-low-conn", H, "idle connection pool sizing", "server s2 127.0.0.1:81 pool-low-conn 5"},
    {C::server, "stick", H, "stick tables are refused", "server s2 127.0.0.1:81 stick"},
    {C::server, "tcp-ut", H, "TCP user timeout", "server s2 127.0.0.1:81 tcp-ut 30s"},
    {C::server, "tfo", H, "TCP fast open", "server s2 127.0.0.1:81 tfo"},
    {C::server, "ws", H, "WebSocket protocol choice; portero tunnels WebSocket over HTTP/1.1", "server s2 127.0.0.1:81 ws h1"},
    {C::server, "check-via-socks4", M, "health checks would not go through the SOCKS4 proxy", "server s2 127.0.0.1:81 check check-via-socks4"},
    {C::server, "namespace", M, "connections would not be made from this network namespace", "server s2 127.0.0.1:81 namespace ns1"},
    {C::server, "redir", M, "clients would not be redirected to the server", "server s2 127.0.0.1:81 redir http://example.com"},
    {C::server, "socks4", M, "connections would not go through the SOCKS4 proxy", "server s2 127.0.0.1:81 socks4 127.0.0.1:1080"},
    {C::server, "source", M, "connections would not use this source address", "server s2 127.0.0.1:81 source 127.0.0.1"},
    {C::server, "track", M, "the server would not follow the tracked server's state", "server s2 127.0.0.1:81 track s"},
    // ---- options -------------------------------------------------------------------------------
    {C::option, "contstats", H, "counter update timing", "option contstats"},
    {C::option, "disable-h2-upgrade", H, "HTTP/2 only; portero speaks HTTP/1 only", "option disable-h2-upgrade"},
    {C::option, "http-no-delay", H, "TCP_NODELAY heuristics", "option http-no-delay"},
    {C::option, "idle-close-on-response", H, "soft-stop timing of idle connections", "option idle-close-on-response"},
    {C::option, "splice-auto", H, "kernel splicing", "option splice-auto"},
    {C::option, "splice-request", H, "kernel splicing", "option splice-request"},
    {C::option, "splice-response", H, "kernel splicing", "option splice-response"},
    {C::option, "tcp-smart-accept", H, "TCP ACK timing", "option tcp-smart-accept"},
    {C::option, "tcp-smart-connect", H, "TCP ACK timing", "option tcp-smart-connect"},
    {C::option, "accept-invalid-http-request", M, "requests HAProxy would then accept would be refused", "option accept-invalid-http-request"},
    {C::option, "accept-invalid-http-response", M, "responses HAProxy would then accept would be refused", "option accept-invalid-http-response"},
    {C::option, "checkcache", M, "cacheable responses setting cookies would not be blocked", "option checkcache"},
    {C::option, "h1-case-adjust-bogus-client", M, "header names would not be re-cased for clients", "option h1-case-adjust-bogus-client"},
    {C::option, "h1-case-adjust-bogus-server", M, "header names would not be re-cased for servers", "option h1-case-adjust-bogus-server"},
    {C::option, "http-ignore-probes", M, "empty connections would still get a 408 and a log line", "option http-ignore-probes"},
    {C::option, "http-pretend-keepalive", M, "servers would see 'Connection: close'", "option http-pretend-keepalive"},
    {C::option, "http-restrict-req-hdr-names", M, "headers with unusual names would not be dropped or refused", "option http-restrict-req-hdr-names delete"},
    {C::option, "http-use-proxy-header", M, "Proxy-Connection would not be used", "option http-use-proxy-header"},
    {C::option, "independent-streams", M, "timeouts would be counted on both directions", "option independent-streams"},
    {C::option, "nolinger", M, "connections would be closed gracefully instead of reset", "option nolinger"},
    {C::option, "prefer-last-server", M, "the last server would not be preferred", "option prefer-last-server"},
    {C::option, "socket-stats", M, "per-listener statistics would not be reported", "option socket-stats"},
    {C::option, "spop-check", M, "the SPOP health check would not run", "option spop-check"},
    {C::option, "transparent", M, "connections would not go to the client's destination address", "option transparent"},
    // ---- stats (proxy) -------------------------------------------------------------------------
    {C::stats, "http-request", M, "the rule would not apply to the stats page", "stats http-request deny"},
    {C::stats, "show-modules", M, "the modules' statistics would not be shown", "stats show-modules"},
    // ---- log -----------------------------------------------------------------------------------
    {C::log, "sample", M, "every line would be sent instead of the sampled ones", "log 127.0.0.1:514 sample 1:2 local0"},
    {C::log, "ring@", M, "the lines would not be written to the ring", "log ring@r local0"},
    // ---- http-request / http-response actions -------------------------------------------------
    {C::http_request, "wait-for-handshake", H, "0-RTT data is never accepted, so every request already waits for the handshake", "http-request wait-for-handshake"},
    {C::http_request, "set-nice", H, "scheduling priority", "http-request set-nice 10"},
    {C::http_request, "add-acl", M, "the ACL file would not be changed", "http-request add-acl(/dev/null) %[src]"},
    {C::http_request, "cache-use", M, "responses would not be served from the cache", "http-request cache-use c"},
    {C::http_request, "del-acl", M, "the ACL file would not be changed", "http-request del-acl(/dev/null) %[src]"},
    {C::http_request, "del-map", M, "the map would not be changed", "http-request del-map(/dev/null) %[src]"},
    {C::http_request, "do-resolve", M, "the name would not be resolved", "http-request do-resolve(txn.ip,dns) hdr(host)"},
    {C::http_request, "early-hint", M, "the 103 Early Hints answer would not be sent", "http-request early-hint link </style.css>"},
    {C::http_request, "normalize-uri", M, "the URI would not be normalised", "http-request normalize-uri path-merge-slashes"},
    {C::http_request, "ot-group", M, "OpenTracing would not run", "http-request ot-group ot g"},
    {C::http_request, "send-spoe-group", M, "the SPOE messages would not be sent", "http-request send-spoe-group e g"},
    {C::http_request, "set-map", M, "the map would not be changed", "http-request set-map(/dev/null) %[src] 1"},
    {C::http_request, "set-priority-class", M, "queued requests would not be reordered", "http-request set-priority-class int(1)"},
    {C::http_request, "set-priority-offset", M, "queued requests would not be reordered", "http-request set-priority-offset int(1)"},
    {C::http_request, "lua.*", M, "the Lua action would not run", "http-request lua.x"},
    {C::http_request, "use-service", M, "the service would not answer (only prometheus-exporter is implemented)", "http-request use-service lua.x"},
    {C::http_response, "lua.*", M, "the Lua action would not run", "http-response lua.x"},
    {C::http_response, "set-nice", H, "scheduling priority", "http-response set-nice 10"},
    {C::http_response, "add-acl", M, "the ACL file would not be changed", "http-response add-acl(/dev/null) %[src]"},
    {C::http_response, "cache-store", M, "responses would not be stored in the cache", "http-response cache-store c"},
    {C::http_response, "del-acl", M, "the ACL file would not be changed", "http-response del-acl(/dev/null) %[src]"},
    {C::http_response, "del-map", M, "the map would not be changed", "http-response del-map(/dev/null) %[src]"},
    {C::http_response, "ot-group", M, "OpenTracing would not run", "http-response ot-group ot g"},
    {C::http_response, "send-spoe-group", M, "the SPOE messages would not be sent", "http-response send-spoe-group e g"},
    {C::http_response, "set-map", M, "the map would not be changed", "http-response set-map(/dev/null) %[src] 1"},
    // ---- health checks: what the check decides, sends or reports --------------------------------
    {C::check, "min-recv", M, "the check would not wait for this many bytes before matching", "tcp-check expect min-recv 4 string OK"},
    {C::check, "ok-status", M, "a matching reply would not give this check status", "tcp-check expect ok-status L6OK string OK"},
    {C::check, "error-status", M, "a failing reply would not give this check status", "tcp-check expect error-status L7STS string OK"},
    {C::check, "tout-status", M, "a timeout would not give this check status", "tcp-check expect tout-status L6TOUT string OK"},
    {C::check, "on-success", M, "the check's status text would not be this", "http-check expect on-success up status 200"},
    {C::check, "on-error", M, "the check's status text would not be this", "http-check expect on-error down status 200"},
    {C::check, "status-code", M, "the check's status code would not be this", "http-check expect status-code int(299) status 200"},
    {C::check, "set-var", M, "the check variable would not be set", "tcp-check set-var(check.x) int(1)"},
    {C::check, "set-var-fmt", M, "the check variable would not be set", "http-check set-var-fmt(check.x) abc"},
    {C::check, "unset-var", M, "the check variable would not be unset", "http-check unset-var(check.x)"},
    {C::check, "send-lf", M, "the log-format would be sent as written, not evaluated", "tcp-check send-lf %[src]"},
    {C::check, "send-binary-lf", M, "the log-format would be sent as written, not evaluated", "tcp-check send-binary-lf %[int(1),hex]"},
    {C::check, "string-lf", M, "the log-format would be matched as written, not evaluated", "tcp-check expect string-lf %[src]"},
    {C::check, "binary-lf", M, "the log-format would be matched as written, not evaluated", "tcp-check expect binary-lf %[int(1),hex]"},
    {C::check, "uri-lf", M, "the log-format would be sent as written, not evaluated", "http-check send uri-lf /%[src]"},
    {C::check, "body-lf", M, "the log-format would be sent as written, not evaluated", "http-check send body-lf %[src]"},
    {C::check_connect, "addr", M, "the check would not connect to this address", "tcp-check connect addr 127.0.0.1 port 80"},
    {C::check_connect, "port", M, "the HTTP check would not connect to this port", "http-check connect port 8080"},
    {C::check_connect, "send-proxy", M, "the HTTP check would not send the PROXY protocol header", "http-check connect send-proxy"},
    {C::check_connect, "ssl", M, "the check would not use TLS", "tcp-check connect ssl"},
    {C::check_connect, "sni", M, "the check would not send this server name", "tcp-check connect sni example.com"},
    {C::check_connect, "alpn", M, "the check would not negotiate this protocol", "tcp-check connect alpn http/1.1"},
    {C::check_connect, "proto", M, "the check would not speak this protocol", "http-check connect proto h2"},
    {C::check_connect, "via-socks4", M, "the check would not go through the server's SOCKS4 proxy", "tcp-check connect via-socks4"},
    {C::check_connect, "linger", M, "the check connection would not be closed as asked", "tcp-check connect linger"},
    // ---- tcp-request actions -------------------------------------------------------------------
    {C::tcp_request, "set-nice", H, "scheduling priority", "tcp-request content set-nice 10"},
    {C::tcp_request, "capture", M, "the sample would not be captured", "tcp-request content capture src len 16"},
    {C::tcp_request, "do-resolve", M, "the name would not be resolved", "tcp-request content do-resolve(txn.ip,dns) str(x)"},
    {C::tcp_request, "expect-netscaler-cip", M, "the NetScaler client IP header would not be read", "tcp-request connection expect-netscaler-cip layer4"},
    {C::tcp_request, "ot-group", M, "OpenTracing would not run", "tcp-request content ot-group ot g"},
    {C::tcp_request, "send-spoe-group", M, "the SPOE messages would not be sent", "tcp-request content send-spoe-group e g"},
    {C::tcp_request, "set-dst", M, "the destination address would not change", "tcp-request connection set-dst src"},
    {C::tcp_request, "set-dst-port", M, "the destination port would not change", "tcp-request connection set-dst-port int(80)"},
    {C::tcp_request, "set-log-level", M, "the log level would not change", "tcp-request content set-log-level silent"},
    {C::tcp_request, "set-mark", M, "packets would not be marked", "tcp-request connection set-mark 1"},
    {C::tcp_request, "set-priority-class", M, "queued requests would not be reordered", "tcp-request content set-priority-class int(1)"},
    {C::tcp_request, "set-priority-offset", M, "queued requests would not be reordered", "tcp-request content set-priority-offset int(1)"},
    {C::tcp_request, "set-src", M, "the source address would not change", "tcp-request connection set-src src"},
    {C::tcp_request, "set-src-port", M, "the source port would not change", "tcp-request connection set-src-port int(1)"},
    {C::tcp_request, "set-tos", M, "packets would not get this TOS", "tcp-request connection set-tos 1"},
    {C::tcp_request, "set-var", M, "the variable would not be set", "tcp-request content set-var(txn.x) src"},
    {C::tcp_request, "set-var-fmt", M, "the variable would not be set", "tcp-request content set-var-fmt(txn.x) %[src]"},
    {C::tcp_request, "silent-drop", M, "the connection would not be dropped", "tcp-request connection silent-drop"},
    {C::tcp_request, "switch-mode", M, "the stream would not switch to HTTP", "tcp-request content switch-mode http"},
    {C::tcp_request, "unset-var", M, "the variable would not be unset", "tcp-request content unset-var(txn.x)"},
    {C::tcp_request, "lua.*", M, "the Lua action would not run", "tcp-request content lua.x"},
    {C::tcp_request, "use-service", M, "the service would not answer", "tcp-request content use-service lua.x"},
    {C::tcp_request, "named-defaults", M, "rules of a named defaults section would not apply to the proxies using it", ""},
};

std::string_view parent_word(GapContext c) {
  switch (c) {
    case C::bind: return "bind";
    case C::server: return "server";
    case C::option: return "option";
    case C::http_request: return "http-request";
    case C::http_response: return "http-response";
    case C::tcp_request: return "tcp-request";
    case C::stats: case C::stats_global: return "stats";
    case C::stats_socket: return "stats socket";
    case C::log: return "log";
    default: return {};
  }
}

bool matches(std::string_view pattern, std::string_view word) {
  if (pattern.ends_with('*')) return word.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == word;
}

}  // namespace

std::span<const Unimplemented> unimplemented_table() { return kTable; }

const Unimplemented* find_unimplemented(GapContext context, std::string_view keyword) {
  // Actions with arguments in parentheses (`set-var(txn.x)`, `sc-inc-gpc0(1)`) match by name.
  if (auto paren = keyword.find('('); paren != std::string_view::npos) keyword = keyword.substr(0, paren);
  for (const auto& r : kTable)
    if (r.context == context && matches(r.keyword, keyword)) return &r;
  return nullptr;
}

std::string unimplemented_message(const Unimplemented& row, std::string_view parent, std::string_view shown) {
  std::string who;
  if (row.context == C::section) who = "'" + std::string(shown) + "' section";
  else if (parent.empty()) who = "'" + std::string(shown) + "'";
  else who = "'" + std::string(parent) + "' : '" + std::string(shown) + "'";
  if (row.kind == GapKind::missing)
    return who + " is not implemented by portero yet (" + std::string(row.reason) + ").";
  return who + " is accepted and ignored by portero (" + std::string(row.reason) + ").";
}

bool report_unimplemented(ParseContext& c, const Unimplemented& row, std::string_view parent, std::string_view shown) {
  const std::string text = unimplemented_message(row, parent, shown);
  if (row.kind == GapKind::missing) {
    c.alert(text);
    return false;
  }
  c.diag.add(Severity::notice, c.origin, Form::parsing, text);
  return true;
}

GapResult check_unimplemented(ParseContext& c, GapContext context, std::string_view keyword, std::string_view parent) {
  const Unimplemented* row = find_unimplemented(context, keyword);
  if (!row) return GapResult::none;
  const bool kept = report_unimplemented(c, *row, parent.empty() ? parent_word(context) : parent, keyword);
  return kept ? GapResult::accepted : GapResult::refused;
}

}  // namespace portero::config
