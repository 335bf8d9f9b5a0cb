#pragma once
// `server-state-file` / `load-server-state-from-file`: the servers' states a previous process
// wrote with `show servers state` (an operator's `socat ... > file` before a reload), read back
// at start and applied as HAProxy 2.6 applies them: the operator's maintenance, drain, weights
// and disabled checks, and the operational state the checks had found.
//
// Reading happens with the configuration (its warnings are configuration warnings, -c prints
// them); applying happens in two steps because the shared server states are set before the
// balancers are built and the checks' own state once the checker exists.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portero/check/checks.h"
#include "portero/config/config.h"
#include "portero/config/diagnostics.h"
#include "portero/lb/server_state.h"

namespace portero::stats {

// One server's line, version 1 (the fields HAProxy's reader uses).
struct SavedServer {
  std::string backend_id, backend, server;
  int op_state = 2;         // 0 stopped, 1 starting, 2 running, 3 stopping
  int admin_state = 0;      // 0x01 forced maintenance, 0x04 `disabled`, 0x08 forced drain
  uint32_t uweight = 1, iweight = 1;
  uint64_t since_change = 0;   // seconds
  int check_status = 0, check_result = 0, check_health = 0;
  int check_state = 0, agent_state = 0;
  bool forced_backend_id = false;
  std::vector<std::string> raw;   // every field as read
};

// A state file's text. `version` 0: no usable version line; `corrupt_line` (1-based, counted
// after the version line as HAProxy counts) when a line is truncated or has the wrong number of
// fields: the file is then not used.
struct StateFile {
  int version = 0;
  bool empty = false;
  std::vector<SavedServer> lines;
  int corrupt_line = 0;
};
StateFile parse_state_file(std::string_view text);

// What to apply, per proxy index and server index (nullopt: nothing saved for that server).
struct SavedStates {
  std::vector<std::vector<std::optional<SavedServer>>> servers;
  bool any() const;
};

// Reads the global file and each backend's local file as its `load-server-state-from-file`
// says; adds HAProxy's warnings (unreadable files, corrupt lines, mismatched backends, servers
// not found, invalid values) to `diag`.
// `carried`: the states a master-worker reload carried over from the previous worker (see
// master::take_carried_server_state), applied, without a word, to the backends that do not
// say `load-server-state-from-file` (an explicit `none` turns the carrying off).
SavedStates read_server_states(const config::Config& cfg, config::Diagnostics& diag,
                               std::string_view carried = {});

// Step 1, before the balancers are built: admin state, operational state and weight.
void apply_server_states(const SavedStates& saved, const config::Config& cfg,
                         const std::vector<std::vector<lb::ServerState*>>& states);
// Step 2, before the checks start: their health, last status and change, and enabled flags.
void apply_check_states(const SavedStates& saved, const config::Config& cfg, check::Checker& checker);

}  // namespace portero::stats
