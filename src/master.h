// portero: master-worker mode (-W, -Ws, global `master-worker`).
//
// The process started is the master. It forks one worker which runs the proxy; the master stays,
// writes the pidfile with its own pid, forwards the stop signals to its workers and exits when
// they are gone. SIGUSR2 or SIGHUP reloads: the master re-executes itself with the same
// arguments (same pid, so the workers remain its children), re-reads the configuration and forks
// a new worker; once that one listens the old workers are soft-stopped. The master holds the
// listening sockets: its new image adopts them (see core/listener_set.h), so the new worker
// accepts on the very sockets the old one accepted on and no queued connection is lost. A configuration that fails to load on reload leaves
// the old workers serving. With -Ws the master reports to systemd over $NOTIFY_SOCKET.
#pragma once

#include <string>
#include <vector>

namespace portero::master {

struct Settings {
  std::vector<std::string> argv;  // the command line, re-executed on reload
  bool notify = false;            // -Ws: sd_notify over $NOTIFY_SOCKET
  bool daemon = false;            // -D or `daemon`: the master detaches
  bool quiet = false;             // -q: no notices or warnings
  bool exit_on_failure = true;    // `master-worker no-exit-on-failure` clears it
  std::string pidfile;
  // The listening sockets (the listener set's inventory): kept open here, inherited by every
  // worker forked, and handed to the re-executed image on reload ($PORTERO_LISTENERS).
  std::vector<int> listeners;
  std::string cli;                // -S: the master CLI's socket and options ("" = none)
  int max_reloads = -1;           // `mworker-max-reloads` (-1: no limit)
};

// True in a master that re-executed itself for a reload.
bool reexecuted();

// In a master re-executed for a reload: `show servers state` as the previous worker answered it
// just before (what the operator set at run time: maintenance, drain, weights, disabled checks;
// what the checks had found). Empty otherwise, or when that worker did not answer in time.
// Taken once (the descriptor that carried it is closed).
std::string take_carried_server_state();

// Becomes the master: forks the worker and supervises it. Returns only in the worker process,
// which then goes on starting the proxy.
void run(const Settings& s);

// A reload whose configuration failed: the master goes on with the workers it had.
[[noreturn]] void recover(const Settings& s);

// True in a worker forked by a master.
bool is_worker();

// Worker side: the listeners accept, tell the master (which then retires the old workers).
void worker_ready();

// Worker side, once its signal handlers are installed: the signals the master blocked (and
// that a worker keeps blocked from its fork) are delivered.
void unblock_signals();

// Worker side: the link over which the master CLI hands connections to this worker's CLI
// (-1 outside master-worker mode). The caller takes it over.
int worker_channel();

}  // namespace portero::master
