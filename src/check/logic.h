#pragma once
// The pure parts of health checking, kept apart from sockets so they can be unit tested:
// status names and descriptions, the rise/fall health counter, the request bytes of HTTP
// checks, the verdict on a reply (HTTP expectations, tcp-check expects, agent replies) and
// the log lines in HAProxy's words.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "portero/check/checks.h"
#include "portero/config/config.h"

namespace portero::check {

// "Layer4 connection problem", ... (CSV check_desc of a status).
std::string_view status_desc(Status s);

enum class Outcome : uint8_t { neutral, fail, pass, condpass };
Outcome status_outcome(Status s);
// HAProxy prints "code: N" only for the statuses that carry one (L7OK, L7OKC, L7STS, PROC*).
bool status_has_code(Status s);

// The rise/fall counter of one check: 0 .. rise+fall-1, the server counts as UP at >= rise.
struct Health {
  int value = 0;
  int rise = 2, fall = 3;
  bool up() const { return value >= rise; }
  bool full() const { return value == rise + fall - 1; }
  // Applies one result; returns true when the counter moved (HAProxy logs the check then).
  bool apply(Outcome o);
  // "x/y" as the log lines print it: health-rise+1 / fall when UP, health / rise when DOWN.
  std::string ratio() const;
};

// The `on-error` action on a check's health once `error-limit` consecutive errors were seen:
// true when it counts as a failed check (then apply Outcome::fail); sudden-death first brings a
// fully UP server to one failure from DOWN, mark-down to none.
bool prepare_on_error(Health& h, config::Server::OnError action);
// "Detected N consecutive errors, last one was: <what>".
std::string on_error_info(uint32_t count, Observed last);

// Interval before the next check of a server whose check has health `h`.
uint64_t next_interval(const Health& h, bool stopped, uint64_t inter, std::optional<uint64_t> fastinter,
                       std::optional<uint64_t> downinter);

// The bytes of an HTTP check request. `state_header` is the value of x-haproxy-server-state
// (http-check send-state), empty for none.
std::string http_request(const config::CheckSetup& setup, std::string_view state_header = {});

// The verdict on what a server sent so far. `need_more` when it cannot be decided yet.
struct Verdict {
  Status status = Status::unk;
  int code = -1;
  std::string desc;
  bool need_more = false;
  bool desc_logged_only = false;   // the info goes to the log lines only (mysql, ldap successes)
};
// "L7OK" -> Status::l7ok.
std::optional<Status> status_by_name(std::string_view name);
// HTTP: `data` is everything received, `eof` once the server closed (or the buffer is full).
// Read with the proxy's HTTP/1 codec (http_reply.cpp).
Verdict http_verdict(const config::CheckSetup& setup, std::string_view data, bool eof);

// tcp-check expect rule against the data received since the last send: the generic expects
// and the protocol checks' own (status names, info texts, min-recv, custom reply parsers).
Verdict tcp_expect_verdict(const config::TcpCheckRule& rule, std::string_view data, bool eof, int step);

// An agent's reply ("up", "down", "drain", "maint", "ready", "75%", "maxconn:N", "# text").
struct AgentReply {
  std::optional<Status> status;      // L7OK for up, L7STS for down/stopped/fail
  std::optional<lb::AdminState> admin;
  std::optional<uint32_t> weight_pct;
  std::string desc;                  // "via agent : up"
  bool complete = false;             // a full line (or eof) was read
};
AgentReply parse_agent_reply(std::string_view data, bool eof);

// ", reason: <desc>[, code: N][, info: "..."][, check duration: Nms]" (HAProxy's status detail).
std::string status_detail(const Result& r);

// "Health check for server b/s succeeded, reason: ..., status: 3/3 UP." (option log-health-checks)
std::string check_log_line(bool agent, bool backup, std::string_view proxy, std::string_view server,
                           const Result& r, const Health& h, bool drain);

// "Server b/s is DOWN[, detail]. A active and B backup servers left.[ Running on backup.] ..."
std::string server_down_line(bool backup, std::string_view proxy, std::string_view server, const Result* r,
                             int active, int backups, int cur_sess);
std::string server_up_line(bool backup, std::string_view proxy, std::string_view server, const Result* r,
                           int active, int backups);
std::string server_stopping_line(bool backup, std::string_view proxy, std::string_view server, const Result* r,
                                 int active, int backups, int cur_sess);

// "Server b/s enters drain state. ..." (agent or admin drain).
std::string server_drain_line(bool backup, std::string_view proxy, std::string_view server, int active, int backups);

// `http-check expect status 200,300-310`: true when `code` is listed.
bool status_in_list(std::string_view list, int code);

}  // namespace portero::check
