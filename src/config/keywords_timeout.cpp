// `timeout <name> <value>` and the pre-2.1 spellings HAProxy 2.6 rejects with a hint.
#include "parse_context.h"
#include "portero/config/units.h"

namespace portero::config {
namespace {

std::optional<Millis>* slot(Timeouts& t, const std::string& n) {
  if (n == "client") return &t.client;
  if (n == "server") return &t.server;
  if (n == "connect") return &t.connect;
  if (n == "http-request") return &t.http_request;
  if (n == "http-keep-alive") return &t.http_keep_alive;
  if (n == "queue") return &t.queue;
  if (n == "tunnel") return &t.tunnel;
  if (n == "client-fin") return &t.client_fin;
  if (n == "server-fin") return &t.server_fin;
  if (n == "check") return &t.check;
  if (n == "tarpit") return &t.tarpit;
  return nullptr;
}

void kw_timeout(ParseContext& c, const Args& a) {
  const std::string n = a.size() > 1 ? a[1] : "";
  auto* s = slot(c.proxy->timeouts, n);
  if (!s)
    return c.alert("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', "
                   "'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '" + n + "')");
  if (a.size() < 3) return c.alert("'timeout " + n + "' expects an integer value (in milliseconds)");
  auto v = time_value(c, a[2]);
  if (!v) {
    size_t i = 0;
    while (i < a[2].size() && std::isdigit(static_cast<unsigned char>(a[2][i]))) ++i;
    if (i == a[2].size())  // only digits: the value overflowed
      return c.alert("timer overflow in argument '" + a[2] + "' to 'timeout " + n + "'");
    return c.alert("unexpected character '" + std::string(1, a[2][i]) + "' in 'timeout " + n + "'");
  }
  *s = *v;
}

void kw_old_timeout(ParseContext& c, const Args& a) {
  const char* now = a[0] == "contimeout" ? "connect" : a[0] == "clitimeout" ? "client" : "server";
  c.alert("the '" + a[0] + "' directive is not supported anymore since HAProxy 2.1. Use 'timeout " + now + "'.");
}

const KeywordRow kRows[] = {
    {kInProxies, "timeout", true, Cap::any, false, kw_timeout},
    {kInProxies, "contimeout", true, Cap::any, false, kw_old_timeout},
    {kInProxies, "clitimeout", true, Cap::any, false, kw_old_timeout},
    {kInProxies, "srvtimeout", true, Cap::any, false, kw_old_timeout},
};

}  // namespace

void register_timeout_keywords(Registry& r) { r.add(kRows); }

}  // namespace portero::config
