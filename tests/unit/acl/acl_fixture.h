#pragma once
// An ACL test environment: a config snippet loaded by config::load_text, compiled by
// acl::compile, and a SampleContext over a real request parsed by http::Parser.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "portero/acl/acl.h"
#include "portero/config/load.h"
#include "portero/http/parser.h"

namespace acltest {

using namespace portero;

inline std::string crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// `proxy_lines`: lines inside `frontend f` (acl ...). `request`: '\n' line ends are turned
// into CRLF; an empty request leaves ctx.request null.
class Env {
 public:
  explicit Env(const std::string& proxy_lines, const std::string& request = "GET / HTTP/1.1\nHost: h\n\n",
               const std::string& extra_sections = "")
      : parser_(http::Parser::Kind::request) {
    text_ = extra_sections +
            "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
            "frontend f\n  bind 127.0.0.1:27999\n" +
            proxy_lines +
            "  default_backend b\n"
            "backend b\n  server s1 127.0.0.1:27998\n  server s2 127.0.0.1:27997 disabled\n";
    cfg = config::load_text(text_, "t.cfg", diag);
    if (!cfg)
      for (const auto& d : diag.all()) MESSAGE(config::format(d, 1));
    REQUIRE(cfg);
    compiled = acl::compile(*cfg, diag);
    if (!compiled)
      for (const auto& d : diag.all()) MESSAGE(config::format(d, 1));
    REQUIRE(compiled);
    set_request(request);
    set_src("10.1.2.3", 40000);
    sockaddr_in* d = reinterpret_cast<sockaddr_in*>(&dst_);
    d->sin_family = AF_INET;
    d->sin_port = htons(80);
    inet_pton(AF_INET, "192.168.0.1", &d->sin_addr);
    ctx.dst = reinterpret_cast<sockaddr*>(&dst_);
    ctx.config = cfg.get();
    ctx.frontend = &cfg->proxies[0];
    ctx.backend = &cfg->proxies[1];
    ctx.vars = &vars;
  }

  void set_request(const std::string& request) {
    if (request.empty()) {
      ctx.request = nullptr;
      ctx.base = nullptr;
      return;
    }
    buf_ = crlf(request);
    slots_.assign(101, {});
    parser_.begin(buf_.data(), 0, slots_.data(), 101);
    auto r = parser_.feed(0, static_cast<uint32_t>(buf_.size()));
    REQUIRE(r.status != http::ParseStatus::error);
    REQUIRE(parser_.head_done());
    head_ = parser_.head();
    ctx.request = &head_;
    ctx.base = buf_.data();
    ctx.body = std::string_view(buf_).substr(head_.start + head_.length);
    ctx.body_complete = r.status == http::ParseStatus::complete;
  }

  void set_src(const char* ip, uint16_t port) {
    if (std::string(ip).find(':') != std::string::npos) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&src_);
      *s6 = {};
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(port);
      inet_pton(AF_INET6, ip, &s6->sin6_addr);
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&src_);
      *s4 = {};
      s4->sin_family = AF_INET;
      s4->sin_port = htons(port);
      inet_pton(AF_INET, ip, &s4->sin_addr);
    }
    ctx.src = reinterpret_cast<sockaddr*>(&src_);
  }

  // The condition "if ..." / "unless ..." evaluated on the current context.
  acl::Tri cond(const std::string& words_text) {
    std::vector<std::string> w;
    size_t i = 0;
    while (i < words_text.size()) {
      while (i < words_text.size() && words_text[i] == ' ') ++i;
      size_t j = words_text.find(' ', i);
      if (j == std::string::npos) j = words_text.size();
      if (j > i) w.push_back(words_text.substr(i, j - i));
      i = j;
    }
    const acl::Condition* c = compiled->condition(0, w);
    REQUIRE(c);
    return c->evaluate(ctx);
  }
  bool yes(const std::string& acl_name) { return cond("if " + acl_name) == acl::Tri::yes; }

  // A `%[...]` string evaluated; nullopt when absent.
  std::optional<std::string> fmt(const std::string& text) {
    const acl::Expression* e = compiled->format(0, text);
    if (!e) return std::string("<compile error>");
    return acl::evaluate_to_string(*e, ctx);
  }
  std::string expr(const std::string& e) { return fmt("%[" + e + "]").value_or("<absent>"); }

  config::Diagnostics diag;
  config::ConfigPtr cfg;
  std::unique_ptr<acl::Compiled> compiled;
  acl::SampleContext ctx;
  acl::VarStore vars;

 private:
  std::string text_, buf_;
  std::vector<http::Header> slots_;
  http::Parser parser_;
  http::Head head_;
  sockaddr_storage src_{}, dst_{};
};

// Loads and compiles `text` (a whole config); returns every message formatted as HAProxy.
inline std::vector<std::string> messages(const std::string& text) {
  config::Diagnostics d;
  auto c = config::load_text(text, "t.cfg", d);
  if (c) acl::compile(*c, d);
  std::vector<std::string> out;
  for (const auto& x : d.all()) out.push_back(config::format(x, 42));
  return out;
}

}  // namespace acltest
