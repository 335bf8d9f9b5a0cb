// portero: the master CLI (-S <socket>[,options]), as HAProxy 2.6's.
//
// The master's own commands (`show proc`, `reload`, `show version`, `show cli level`,
// `operator`, `user`, `help`, `prompt`, `quit`) are answered here; `@<n> <command>` (the n-th
// current worker, oldest first), `@!<pid> <command>` and `@master <command>` route one command.
// A worker's command goes over a fresh socket pair that the master hands to that worker's CLI
// (see master.h's worker channel), so the worker answers it as its `stats socket` would, at
// level admin, and the answer is relayed as is.
//
// The master is a single-threaded poll() loop: the listener, the clients and their relays are
// non-blocking descriptors it polls next to its signals.
#pragma once

#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <vector>

#include <poll.h>

namespace portero::master {

struct CliHooks {
  std::function<std::string()> show_proc;
  std::function<void()> reload;
  // A connection to the CLI of the worker named by `target` ("1": first current worker,
  // "!1234": by pid), or -1 with `error` set to the reply.
  std::function<int(std::string_view target, std::string& error)> connect_worker;
};

// Opens `-S`'s socket: "<path>[,mode,<octal>][,user,<name>][,group,<name>][,uid,<n>][,gid,<n>]"
// (a unix socket; "unix@<path>" too). -1 with `error` on failure.
int open_cli_socket(const std::string& spec, std::string& error);

class Cli {
 public:
  Cli(int listen_fd, CliHooks hooks) : listen_fd_(listen_fd), hooks_(std::move(hooks)) {}
  ~Cli();

  // A connected client (non-blocking), as if accepted: the fuzz target feeds it this way.
  void adopt_client(int fd) {
    clients_.emplace_back();
    clients_.back().fd = fd;
  }

  // Appends the descriptors to watch; process() then reads the same entries back.
  void prepare(std::vector<pollfd>& fds);
  void process(const std::vector<pollfd>& fds, size_t first);

 private:
  enum class Level { user, operator_, admin };
  struct Client {
    int fd = -1;
    std::string in, out;
    bool prompt = false;
    bool closing = false;      // close once `out` is written
    Level level = Level::admin;
    int relay = -1;            // a worker's CLI answering the current command
    std::string relay_out;     // the command still to send to it
    std::vector<std::string> queue;   // commands of the current line still to run
    bool in_line = false;      // a line is being run
    bool answered = false;
    bool eof = false;          // the client sent all it will send     // something was answered (a one-shot session then ends)
  };

  void accept_clients();
  void read_client(Client& c);
  void run_queue(Client& c);
  void run_command(Client& c, const std::string& cmd);
  void finish_command(Client& c);
  void write_client(Client& c);
  void pump_relay(Client& c, short revents);
  std::string master_command(Client& c, const std::vector<std::string>& words);

  int listen_fd_;
  CliHooks hooks_;
  std::list<Client> clients_;
  std::vector<Client*> polled_;   // the client behind each entry appended by prepare()
  std::vector<int> kinds_;        // 0 listener, 1 client, 2 relay
};

}  // namespace portero::master
