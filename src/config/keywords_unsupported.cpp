// Keywords HAProxy 2.6 knows (doc/configuration.txt keyword index) that portero does not
// implement yet: a real-world config loads with one warning per line instead of failing.
// When a feature lands, its own keywords file registers the real row (registered first, so it
// wins) and the name can be removed from here.
#include "parse_context.h"

namespace portero::config {
namespace {

void kw_later(ParseContext& c, const Args& a) {
  const char* sect = c.section == SectionKind::global ? "global" : c.proxy_type();
  c.warning("keyword '" + a[0] + "' in '" + sect + "' section is not supported yet by portero and is ignored.");
}

#define LATER_G(name) {kInGlobal, name, false, Cap::any, false, kw_later}
#define LATER_P(name) {kInProxies, name, true, Cap::any, false, kw_later}
#define LATER_PX(name) {kInFrontend | kInBackend | kInListen, name, false, Cap::any, false, kw_later}

// A trailing '*' matches every keyword with that prefix (whole families like tune.*).
const KeywordRow kRows[] = {
    // global, process management and tuning
    LATER_G("tune.*"), LATER_G("httpclient.*"), LATER_G("51degrees-*"),
    LATER_G("deviceatlas-*"), LATER_G("wurfl-*"), LATER_G("profiling.*"), LATER_G("ssl-load-extra-*"),
    LATER_G("cluster-secret"), LATER_G("busy-polling"),
    LATER_G("debug"), LATER_G("quiet"), LATER_G("zero-warning"), LATER_G("expose-experimental-directives"),
    LATER_G("grace"), LATER_G("h1-case-adjust"), LATER_G("h1-case-adjust-file"),
    LATER_G("h2-workaround-bogus-websocket-clients"), LATER_G("insecure-fork-wanted"),
    LATER_G("insecure-setuid-wanted"), LATER_G("issuers-chain-path"), LATER_G("localpeer"),
    LATER_G("lua-load"), LATER_G("lua-load-per-thread"), LATER_G("lua-prepend-path"),
    LATER_G("mworker-max-reloads"), LATER_G("numa-cpu-mapping"),
    LATER_G("pp2-never-send-local"), LATER_G("presetenv"), LATER_G("resetenv"), LATER_G("set-dumpable"),
    LATER_G("set-var"), LATER_G("set-var-fmt"), LATER_G("setenv"), LATER_G("unsetenv"),
    LATER_G("ssl-skip-self-issued-ca"),
    LATER_G("ssl-propquery"), LATER_G("ssl-provider"),
    LATER_G("ssl-provider-path"), LATER_G("strict-limits"), LATER_G("unix-bind"), LATER_G("max-spread-checks"),
    LATER_G("maxcompcpuusage"), LATER_G("maxcomprate"), LATER_G("maxconnrate"), LATER_G("maxpipes"),
    LATER_G("maxsessrate"), LATER_G("maxsslconn"), LATER_G("maxsslrate"), LATER_G("maxzlibmem"),
    LATER_G("noepoll"), LATER_G("noevports"), LATER_G("nogetaddrinfo"), LATER_G("nokqueue"),
    LATER_G("nopoll"), LATER_G("noreuseport"), LATER_G("nosplice"),
    LATER_G("server-state-base"), LATER_G("server-state-file"), LATER_G("thread-groups"),
    LATER_G("anonkey"), LATER_G("fd-hard-limit"),
    LATER_G("ocsp-update.*"),
    // proxies
    LATER_P("backlog"), LATER_P("bind-process"), LATER_P("capture"),
    LATER_P("clitcpka-cnt"), LATER_P("clitcpka-idle"), LATER_P("clitcpka-intvl"), LATER_P("compression"),
    LATER_P("dispatch"), LATER_P("email-alert"), LATER_P("errorfiles"),
    LATER_P("filter"), LATER_P("grace"), LATER_P("http-after-response"),
    LATER_P("http-error"),
    LATER_P("load-server-state-from-file"), LATER_P("log-format"),
    LATER_P("log-format-sd"), LATER_P("log-tag"), LATER_P("max-keep-alive-queue"),
    LATER_P("max-session-srv-conns"), LATER_P("rate-limit"), LATER_P("server-state-file-name"), LATER_PX("server-template"),
    LATER_P("source"), LATER_P("srvtcpka-cnt"), LATER_P("srvtcpka-idle"), LATER_P("srvtcpka-intvl"),
    LATER_P("stick"), LATER_P("stick-table"), LATER_P("tcp-response"), LATER_P("unique-id-format"), LATER_P("unique-id-header"),
    LATER_P("use-fcgi-app"), LATER_P("guid"),
};

}  // namespace

void register_unsupported_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
