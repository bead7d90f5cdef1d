#pragma once
// A small network of hosts on one machine, for the chaos tests: one network
// namespace per host, each joined by a veth pair to a bridge (the "switch",
// a namespace of its own), all on one private /24. The test process itself
// is joined to the switch too, as a controller, so it can check Redis
// without entering a namespace.
//
//   redis   10.N.0.1      the server
//   submit  10.N.0.2      `ttg submit` and `ttg status --watch`
//   w1..wK  10.N.0.11...  `ttg worker`
//   (the test process)    10.N.0.250, on interface ttgc<pid>
//
// N is chosen from the test's pid; names carry the pid, so leftovers of a
// test that died are recognised and removed by the next one. Needs root and
// iproute2's `ip`. Every command is bounded in time.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "util/temp_dir.h"

namespace ttg::chaos {

// Runs `argv` to completion (at most `timeout`, then killed) and returns its
// output (stdout and stderr). kIo with the output when it fails.
[[nodiscard]] Result<std::string> run_command(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

class Testbed {
 public:
  // Why a test bed cannot be built here (not root, no `ip`, namespaces not
  // allowed), or nullopt when it can.
  static std::optional<std::string> unavailable();

  // Builds the switch, the redis and submit hosts and `workers` worker hosts,
  // after removing the leftovers of dead test processes. On failure removes
  // what it made.
  [[nodiscard]] static Result<std::unique_ptr<Testbed>> create(int workers);

  Testbed(const Testbed&) = delete;
  Testbed& operator=(const Testbed&) = delete;
  // Removes every namespace (and so every veth) it made. Processes still in
  // a namespace keep it alive until they exit: stop them first.
  ~Testbed();

  // Hosts by name: "redis", "submit", "w1".."wK".
  std::vector<std::string> worker_hosts() const;
  // The address of `host` on the switch.
  std::string address(const std::string& host) const;
  // Words that run a command on `host`: setpriv (so that it is killed when
  // this process dies), then `ip netns exec NS`. Both exec the command in
  // their own process, so the pid is the command's.
  std::vector<std::string> on(const std::string& host) const;

  // Pulls `host`'s cable: its switch port goes down, so every packet to or
  // from it is dropped until heal(). Its connections stay open, as with a
  // real cut.
  [[nodiscard]] Status cut(const std::string& host);
  [[nodiscard]] Status heal(const std::string& host);

  // Degrades the link of `host` in both directions. With the kernel's netem
  // qdisc: `delay` +- `jitter` and `loss_percent` random loss; where netem
  // is missing (no sch_netem module), a token bucket (tbf) at `fallback_rate`
  // (e.g. "512kbit") with a short queue, which delays and drops packets under
  // load. Returns what was applied, e.g. "netem delay 20ms 5ms loss 2%".
  [[nodiscard]] Result<std::string> degrade(const std::string& host,
                                            std::chrono::milliseconds delay,
                                            std::chrono::milliseconds jitter, double loss_percent,
                                            const std::string& fallback_rate);
  [[nodiscard]] Status restore(const std::string& host);
  // Packets the qdiscs of degrade() dropped on `host`'s link, both ways.
  [[nodiscard]] Result<int64_t> dropped(const std::string& host);

 private:
  Testbed() = default;
  std::string ns(const std::string& host) const { return prefix_ + "-" + host; }
  [[nodiscard]] Status add_host(const std::string& host, const std::string& address);
  [[nodiscard]] Status build(int workers);

  std::string prefix_;  // "ttgc<pid>"
  std::string net_;     // "10.N.0."
  std::vector<std::string> namespaces_;
  std::vector<std::string> workers_;
};

}  // namespace ttg::chaos
