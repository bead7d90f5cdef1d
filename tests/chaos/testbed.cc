#include "chaos/testbed.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "util/process.h"
#include "util/strings.h"

namespace ttg::chaos {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// The pid in a name made by create(): "ttgc<pid>_<k>-host".
std::optional<pid_t> owner_of(const std::string& name) {
  if (name.rfind("ttgc", 0) != 0) return std::nullopt;
  size_t end = name.find_first_not_of("0123456789", 4);
  if (end == 4) return std::nullopt;
  auto pid = util::parse_int(name.substr(4, end - 4));
  if (!pid || *pid <= 0) return std::nullopt;
  return static_cast<pid_t>(*pid);
}

// Deletes the namespaces of test processes that no longer run.
void remove_leftovers() {
  auto list = run_command({"ip", "netns", "list"});
  if (!list) return;
  std::istringstream lines(*list);
  std::string line;
  while (std::getline(lines, line)) {
    std::string name = line.substr(0, line.find(' '));
    auto pid = owner_of(name);
    if (!pid) continue;
    if (::kill(*pid, 0) == 0 || errno != ESRCH) continue;
    // Processes left in it (a test killed by a time-out) go first.
    if (auto pids = run_command({"ip", "netns", "pids", name})) {
      std::istringstream in(*pids);
      for (std::string p; in >> p;) {
        if (auto n = util::parse_int(p); n && *n > 1) ::kill(static_cast<pid_t>(*n), SIGKILL);
      }
    }
    (void)run_command({"ip", "netns", "del", name});
  }
}

}  // namespace

Result<std::string> run_command(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) {
  auto dir = util::TempDir::create("ttg-cmd-");
  if (!dir) return make_error(ErrorCode::kIo, dir.error());
  util::SpawnOptions so;
  so.stdout_path = dir->path() + "/out";
  so.stderr_path = so.stdout_path;
  auto p = util::Process::spawn(argv, so);
  if (!p) return make_error(ErrorCode::kIo, joined(argv) + ": " + p.error());
  auto status = p->wait_for(timeout);
  if (!status) {
    p->stop(std::chrono::milliseconds(100));
    return make_error(ErrorCode::kTimeout,
                      joined(argv) + ": no exit within " + std::to_string(timeout.count()) + " ms");
  }
  std::string out = read_all(so.stdout_path);
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return make_error(ErrorCode::kIo,
                      joined(argv) + ": " + util::describe_wait_status(*status) + ": " + out);
  }
  return out;
}

std::optional<std::string> Testbed::unavailable() {
  if (::geteuid() != 0) return "needs root to make network namespaces (run as root, as CI does)";
  if (auto v = run_command({"ip", "-V"}); !v) {
    return "needs iproute2's `ip`: " + v.error().message;
  }
  std::string probe = "ttgc" + std::to_string(::getpid()) + "_probe";
  if (auto made = run_command({"ip", "netns", "add", probe}); !made) {
    return "cannot make a network namespace here: " + made.error().message;
  }
  std::optional<std::string> why;
  if (auto br = run_command({"ip", "-n", probe, "link", "add", "br0", "type", "bridge"}); !br) {
    why = "cannot make a bridge in a network namespace: " + br.error().message;
  } else if (auto veth = run_command({"ip", "-n", probe, "link", "add", "name", "va", "type",
                                      "veth", "peer", "name", "vb"});
             !veth) {
    why = "cannot make a veth pair: " + veth.error().message;
  }
  (void)run_command({"ip", "netns", "del", probe});
  return why;
}

Result<std::unique_ptr<Testbed>> Testbed::create(int workers) {
  static std::atomic<int> made{0};
  remove_leftovers();
  std::unique_ptr<Testbed> bed(new Testbed());
  int k = made++;
  bed->prefix_ = "ttgc" + std::to_string(::getpid()) + "_" + std::to_string(k);
  // A /24 that no route of this machine uses yet.
  TTG_TRY_ASSIGN(std::string routes, run_command({"ip", "-4", "route", "show", "table", "all"}));
  for (int i = 0; i < 100 && bed->net_.empty(); ++i) {
    int octet = 100 + static_cast<int>((::getpid() + k * 7 + i) % 100);
    std::string net = "10." + std::to_string(octet) + ".0.";
    if (routes.find(net) == std::string::npos) bed->net_ = net;
  }
  if (bed->net_.empty()) return make_error(ErrorCode::kIo, "no free 10.x.0.0/24 for the test bed");
  if (auto st = bed->build(workers); !st) return tl::unexpected(st.error());
  return bed;
}

Status Testbed::build(int workers) {
  const std::string sw = ns("sw");
  TTG_TRY(run_command({"ip", "netns", "add", sw}));
  namespaces_.push_back(sw);
  TTG_TRY(run_command({"ip", "-n", sw, "link", "add", "br0", "type", "bridge"}));
  TTG_TRY(run_command({"ip", "-n", sw, "link", "set", "br0", "up"}));
  TTG_TRY(add_host("redis", address("redis")));
  TTG_TRY(add_host("submit", address("submit")));
  for (int i = 1; i <= workers; ++i) {
    std::string h = "w" + std::to_string(i);
    workers_.push_back(h);
    TTG_TRY(add_host(h, address(h)));
  }
  // The controller: this process, in the machine's own namespace.
  TTG_TRY(run_command(
      {"ip", "link", "add", prefix_, "type", "veth", "peer", "name", "ctl", "netns", sw}));
  TTG_TRY(run_command({"ip", "-n", sw, "link", "set", "ctl", "master", "br0"}));
  TTG_TRY(run_command({"ip", "-n", sw, "link", "set", "ctl", "up"}));
  TTG_TRY(run_command({"ip", "addr", "add", net_ + "250/24", "dev", prefix_}));
  TTG_TRY(run_command({"ip", "link", "set", prefix_, "up"}));
  return {};
}

Status Testbed::add_host(const std::string& host, const std::string& addr) {
  const std::string sw = ns("sw"), h = ns(host);
  TTG_TRY(run_command({"ip", "netns", "add", h}));
  namespaces_.push_back(h);
  TTG_TRY(run_command({"ip", "-n", h, "link", "set", "lo", "up"}));
  TTG_TRY(run_command({"ip", "link", "add", "eth0", "netns", h, "type", "veth", "peer", "name",
                       host, "netns", sw}));
  TTG_TRY(run_command({"ip", "-n", sw, "link", "set", host, "master", "br0"}));
  TTG_TRY(run_command({"ip", "-n", sw, "link", "set", host, "up"}));
  TTG_TRY(run_command({"ip", "-n", h, "addr", "add", addr + "/24", "dev", "eth0"}));
  TTG_TRY(run_command({"ip", "-n", h, "link", "set", "eth0", "up"}));
  return {};
}

Testbed::~Testbed() {
  // Hosts first, the switch (and with it the controller's veth) last.
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    (void)run_command({"ip", "netns", "del", *it});
  }
}

std::vector<std::string> Testbed::worker_hosts() const { return workers_; }

std::string Testbed::address(const std::string& host) const {
  if (host == "redis") return net_ + "1";
  if (host == "submit") return net_ + "2";
  if (host.size() > 1 && host[0] == 'w') {
    return net_ + std::to_string(10 + util::parse_int(host.substr(1)).value_or(0));
  }
  return net_ + "250";
}

std::vector<std::string> Testbed::on(const std::string& host) const {
  // setpriv --pdeathsig: should the test process die (a time-out kills it),
  // what it started on the hosts dies with it instead of running on.
  return {"setpriv", "--pdeathsig", "KILL", "ip", "netns", "exec", ns(host)};
}

Status Testbed::cut(const std::string& host) {
  TTG_TRY(run_command({"ip", "-n", ns("sw"), "link", "set", host, "down"}));
  return {};
}

Status Testbed::heal(const std::string& host) {
  TTG_TRY(run_command({"ip", "-n", ns("sw"), "link", "set", host, "up"}));
  return {};
}

Result<std::string> Testbed::degrade(const std::string& host, std::chrono::milliseconds delay,
                                     std::chrono::milliseconds jitter, double loss_percent,
                                     const std::string& fallback_rate) {
  // Both directions: the host's egress on eth0, and the switch port's
  // egress towards the host.
  const std::vector<std::pair<std::string, std::string>> ends{{ns(host), "eth0"}, {ns("sw"), host}};
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.3g%%", loss_percent);
  std::vector<std::string> netem{
      "netem", "delay", std::to_string(delay.count()) + "ms", std::to_string(jitter.count()) + "ms",
      "loss",  loss};
  bool have_netem = true;
  for (const auto& [space, dev] : ends) {
    std::vector<std::string> cmd{"ip",    "netns",   "exec", space, "tc",
                                 "qdisc", "replace", "dev",  dev,   "root"};
    auto with_netem = cmd;
    with_netem.insert(with_netem.end(), netem.begin(), netem.end());
    if (have_netem && run_command(with_netem)) continue;
    // No netem in this kernel: a slow link with a short queue delays
    // packets, and random drops by netfilter lose them.
    have_netem = false;
    auto with_tbf = cmd;
    for (const std::string& w :
         std::vector<std::string>{"tbf", "rate", fallback_rate, "burst", "4kb", "limit", "8kb"}) {
      with_tbf.push_back(w);
    }
    TTG_TRY(run_command(with_tbf));
  }
  if (have_netem) return "netem " + joined({netem.begin() + 1, netem.end()});
  char probability[32];
  std::snprintf(probability, sizeof probability, "%.4f", loss_percent / 100.0);
  for (const char* chain : {"INPUT", "OUTPUT"}) {
    auto st =
        run_command({"ip", "netns", "exec", ns(host), "iptables", "-A", chain, "-m", "statistic",
                     "--mode", "random", "--probability", probability, "-j", "DROP"});
    if (!st) {
      return make_error(ErrorCode::kNotFound,
                        "netem is not available in this kernel, and random drops with "
                        "iptables failed: " +
                            st.error().message);
    }
  }
  return "tbf rate " + fallback_rate + " burst 4kb limit 8kb, iptables random drop " + loss +
         " each way (netem is not available in this kernel)";
}

Status Testbed::restore(const std::string& host) {
  TTG_TRY(
      run_command({"ip", "netns", "exec", ns(host), "tc", "qdisc", "del", "dev", "eth0", "root"}));
  TTG_TRY(
      run_command({"ip", "netns", "exec", ns("sw"), "tc", "qdisc", "del", "dev", host, "root"}));
  (void)run_command({"ip", "netns", "exec", ns(host), "iptables", "-F"});
  return {};
}

namespace {

// Sum of the numbers that follow `word` in `text`.
int64_t sum_after(const std::string& text, const std::string& word) {
  int64_t total = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    size_t begin = text.find_first_of("0123456789", at + word.size());
    if (begin == std::string::npos) break;
    size_t end = text.find_first_not_of("0123456789", begin);
    total += util::parse_int(text.substr(begin, end - begin)).value_or(0);
  }
  return total;
}

}  // namespace

Result<int64_t> Testbed::dropped(const std::string& host) {
  int64_t total = 0;
  const std::vector<std::pair<std::string, std::string>> ends{{ns(host), "eth0"}, {ns("sw"), host}};
  for (const auto& [space, dev] : ends) {
    // " Sent 1234 bytes 56 pkt (dropped 7, overlimits 8 requeues 0)"
    TTG_TRY_ASSIGN(std::string out, run_command({"ip", "netns", "exec", space, "tc", "-s", "qdisc",
                                                 "show", "dev", dev}));
    total += sum_after(out, "dropped ");
  }
  // "-c" prints each rule with its counters: "-A INPUT ... -j DROP -c PKTS BYTES"
  // (iptables-save style); only this test's DROP rules are in the namespace.
  if (auto rules = run_command({"ip", "netns", "exec", ns(host), "iptables", "-S", "-v"})) {
    std::istringstream lines(*rules);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find("-j DROP") != std::string::npos) total += sum_after(line, " -c ");
    }
  }
  return total;
}

}  // namespace ttg::chaos
