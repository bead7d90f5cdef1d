#pragma once
// Child processes owned by pid: started with posix_spawn (no shell), stopped
// and reaped by their owner.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace ttg::util {

struct SpawnOptions {
  // Environment entries "NAME=value" added to (or replacing in) the parent's
  // environment. Default: none.
  std::vector<std::string> extra_env;
  // Files the child's stdout / stderr are appended to; empty = inherited.
  std::string stdout_path;
  std::string stderr_path;
  // When true the child's stdin is /dev/null. Default: true.
  bool null_stdin = true;
  // When true the child starts its own process group (so a terminal's Ctrl-C
  // reaches only the parent, which stops its children itself). Default: false.
  bool new_process_group = false;
  // When >= 0, the child's stdin / stdout / stderr is a duplicate of this
  // descriptor of the parent (e.g. one end of a pipe, made with O_CLOEXEC so
  // that no child keeps the other end); it takes precedence over null_stdin
  // and the paths above. Borrowed: the caller closes it. Default: -1.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// A move-only owner of one child process. The destructor kills (SIGKILL) and
// reaps a child that is still running, so no child outlives its owner by
// accident. Not thread-safe.
class Process {
 public:
  // Starts `argv[0]` (looked up in PATH) with `argv`. Returns a message on
  // failure (program missing, spawn failed).
  static tl::expected<Process, std::string> spawn(const std::vector<std::string>& argv,
                                                  const SpawnOptions& options = {});

  Process() = default;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  // True until the child has been reaped.
  bool valid() const { return pid_ > 0; }

  // Gives up ownership: the child keeps running after this object is gone
  // and nobody here reaps it (it is reparented when this process exits).
  // Returns its pid. For servers left running on purpose (`ttg demo --keep`).
  pid_t release() { return std::exchange(pid_, -1); }

  // Reaps the child if it has exited; returns true while it still runs.
  bool running();
  // Sends `sig` to the child; no-op once reaped.
  void signal(int sig) const;
  // Waits up to `timeout` for the child to exit; returns its wait status
  // (as from waitpid) or nullopt if it still runs.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends SIGTERM, waits up to `grace`, then SIGKILL; returns the wait status.
  int stop(std::chrono::milliseconds grace);
  // Wait status of the reaped child (valid after running() returned false).
  std::optional<int> status() const { return status_; }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  bool reap(int flags);

  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Human text for a wait status: "exit 3", "signal 9 (Killed)".
std::string describe_wait_status(int status);

}  // namespace ttg::util
