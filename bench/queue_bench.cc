// End-to-end benchmark of the work queue: throughput for chunk sizes 1, 100
// and 10,000 with 1 and 2 worker processes (noop kernel, default flags, and
// without claim ahead), as a share of redis-benchmark's XADD rate against
// the same server; submit rate for 1,000,000 chunks; takeover latency after
// kill -9; worker RSS; the makespan of a job with one slow worker, with
// and without the speculative tail. Prints a Markdown report
// (docs/PERFORMANCE.md holds the last one).
//
// Usage: ttg_queue_bench [--quick]

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "redis/connection.h"
#include "redis/local_server.h"
#include "util/process.h"
#include "util/strings.h"
#include "util/temp_dir.h"

#ifndef TTG_BINARY
#define TTG_BINARY "ttg"
#endif

namespace {

using namespace ttg;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void die(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  std::exit(1);
}

// Peak resident set (VmHWM) of `pid` in KiB, or 0.
long peak_rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::atol(line.c_str() + 6);
    }
  }
  return 0;
}

struct Env {
  redis::LocalServer* server;
  util::TempDir* dir;
};

std::vector<util::Process> start_workers(const Env& env, const std::string& job, int n,
                                         const std::vector<std::string>& extra = {}) {
  std::vector<util::Process> out;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> argv{
        TTG_BINARY,    "worker", "--redis",        env.server->url(),
        "--job",       job,      "--worker-id",    job + "-w" + std::to_string(i),
        "--log-level", "warn",   "--idle-timeout", "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    util::SpawnOptions so;
    so.stdout_path = env.dir->path() + "/" + job + ".log";
    so.stderr_path = so.stdout_path;
    auto p = util::Process::spawn(argv, so);
    if (!p) die(p.error());
    out.push_back(std::move(*p));
  }
  return out;
}

std::map<std::string, std::string> meta(redis::Client& c, const std::string& job) {
  std::map<std::string, std::string> m;
  auto r = c.command({"HGETALL", queue::JobKeys(job).meta});
  if (!r) return m;
  for (size_t i = 0; i + 1 < r->size(); i += 2) m[(*r)[i].str()] = (*r)[i + 1].str();
  return m;
}

struct Throughput {
  int64_t chunk_size, workers, chunks, params;
  double seconds, chunks_per_s, params_per_s;
  long rss_kib;
};

Throughput run_throughput(const Env& env, int64_t chunk_size, int workers, int64_t chunks,
                          const std::vector<std::string>& flags = {}, const std::string& tag = "") {
  std::string job = "tp-" + std::to_string(chunk_size) + "-" + std::to_string(workers) + tag;
  JobSpec spec;
  spec.kernel = "noop";
  spec.chunk_size = chunk_size;
  spec.total_params = chunk_size * chunks;
  // Workers first, so the clock measures the queue, not process start-up.
  auto procs = start_workers(env, job, workers, flags);
  redis::Client c(env.server->options());
  // ...and registered.
  auto registered = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto n = c.command({"HLEN", queue::kWorkersKey});
    if (n && n->integer() >= workers) break;
    if (Clock::now() > registered) {
      die("workers did not register: " + job + " (" + (n ? n->debug_string() : n.error().message) +
          ")");
    }
    std::this_thread::sleep_for(milliseconds(5));  // polling
  }
  queue::JobStore store(env.server->options());
  auto r = store.submit(job, spec, {});
  if (!r) die(r.error().message);
  long rss = 0;
  auto deadline = Clock::now() + std::chrono::minutes(10);
  for (;;) {
    for (auto& p : procs) {
      if (p.valid()) rss = std::max(rss, peak_rss_kib(p.pid()));
    }
    auto m = meta(c, job);
    if (m["state"] == "complete") {
      double secs =
          static_cast<double>(std::stoll(m["finished_ms"]) - std::stoll(m["created_ms"])) / 1000.0;
      for (auto& p : procs) p.wait_for(milliseconds(10000));
      return {chunk_size,
              workers,
              chunks,
              spec.total_params,
              secs,
              static_cast<double>(chunks) / secs,
              static_cast<double>(spec.total_params) / secs,
              rss};
    }
    if (Clock::now() > deadline) die("throughput run did not finish: " + job);
    std::this_thread::sleep_for(milliseconds(20));  // sampling interval
  }
}

double submit_rate(const Env& env, int64_t chunks, double* seconds) {
  JobSpec spec;
  spec.kernel = "noop";
  spec.chunk_size = 1;
  spec.total_params = chunks;
  queue::JobStore store(env.server->options());
  auto t0 = Clock::now();
  auto r = store.submit("submit-bench", spec, {});
  if (!r) die(r.error().message);
  *seconds = since(t0);
  if (auto st = store.remove("submit-bench"); !st) die(st.error().message);
  return static_cast<double>(chunks) / *seconds;
}

std::vector<double> takeover_latencies(const Env& env, int rounds, int64_t lease_ms) {
  std::vector<double> out;
  redis::Client c(env.server->options());
  for (int i = 0; i < rounds; ++i) {
    std::string job = "takeover-" + std::to_string(i);
    JobSpec spec;
    spec.kernel = "simulate";
    spec.args = {{"work_ms", 50}};
    spec.chunk_size = 1;
    spec.total_params = 1;
    queue::JobStore store(env.server->options());
    if (auto r = store.submit(job, spec, {}); !r) die(r.error().message);
    std::vector<std::string> flags{"--lease-ms", std::to_string(lease_ms), "--threads", "1"};
    auto holder = start_workers(env, job, 1, flags);
    auto deadline = Clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto p = c.command({"XPENDING", queue::JobKeys(job).tasks, queue::kGroup});
      if (p && p->size() == 4 && (*p)[0].integer() == 1) break;
      if (Clock::now() > deadline) die("no worker claimed the chunk");
      std::this_thread::sleep_for(milliseconds(1));  // polling
    }
    std::vector<std::string> argv{TTG_BINARY,    "worker", "--redis",     env.server->url(),
                                  "--job",       job,      "--worker-id", job + "-taker",
                                  "--log-level", "warn",   "--lease-ms",  std::to_string(lease_ms),
                                  "--threads",   "1"};
    util::SpawnOptions so;
    so.stdout_path = env.dir->path() + "/takeover.log";
    so.stderr_path = so.stdout_path;
    auto other = util::Process::spawn(argv, so);
    if (!other) die(other.error());
    holder[0].signal(SIGKILL);
    auto killed = Clock::now();
    for (;;) {
      auto bit = c.command({"GETBIT", queue::JobKeys(job).done, "0"});
      if (bit && bit->integer() == 1) break;
      if (Clock::now() > killed + std::chrono::seconds(30)) die("takeover did not happen");
      std::this_thread::sleep_for(milliseconds(1));  // polling
    }
    out.push_back(since(killed));
    other->wait_for(milliseconds(10000));
  }
  return out;
}

double redis_benchmark_xadd(const Env& env, int pipeline, int clients) {
  std::string out_path = env.dir->path() + "/redis-benchmark.csv";
  util::SpawnOptions so;
  so.stdout_path = out_path;
  so.stderr_path = env.dir->path() + "/redis-benchmark.err";
  auto p = util::Process::spawn(
      {"redis-benchmark", "-p", std::to_string(env.server->port()), "-n", "200000", "-c",
       std::to_string(clients), "-P", std::to_string(pipeline), "--csv", "XADD", "bench-ceiling",
       "*", "chunk_id", "1", "start_param", "1", "end_param", "2"},
      so);
  if (!p) die(p.error());
  p->wait_for(milliseconds(120000));
  std::ifstream f(out_path);
  std::string line, last;
  while (std::getline(f, line)) {
    if (!line.empty()) last = line;
  }
  // "XADD ...","123456.78",...
  auto parts = util::split(last, ',');
  if (parts.size() < 2) return 0;
  std::string v = parts[1];
  v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
  return util::parse_double(v).value_or(0);
}

// The queue's own ceiling: one client claiming `batch` chunks and committing
// them in one pipelined round trip, no compute, no threads. What Redis
// sustains for the scripts TTG uses.
double script_ceiling(const Env& env, int64_t chunks, int batch) {
  std::string job = "ceiling-" + std::to_string(batch);
  JobSpec spec;
  spec.kernel = "noop";
  spec.chunk_size = 1;
  spec.total_params = chunks;
  queue::JobStore store(env.server->options());
  if (auto r = store.submit(job, spec, {}); !r) die(r.error().message);
  auto q = queue::make_redis_queue(env.server->options(), queue::QueueOptions{"c", "c", 10000});
  auto view = q->job(job);
  if (!view) die(view.error().message);
  auto t0 = Clock::now();
  int64_t done = 0;
  while (done < chunks) {
    auto got = q->claim(view->ref(), view->spec, batch);
    if (!got) die(got.error().message);
    if (got->empty()) die("ceiling: nothing to claim");
    std::vector<queue::Completion> cs;
    for (auto& c : *got) cs.push_back({c, 0.0, "[{\"params\":1}]"});
    auto r = q->commit(cs);
    if (!r) die(r.error().message);
    done += static_cast<int64_t>(got->size());
  }
  return static_cast<double>(chunks) / since(t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// A job of `chunks` chunks of `work_ms` on 3 workers with default flags, one
// of them 10 times slower (`--slowdown 10`): first submit to last commit,
// and the speculative copies made.
struct Makespan {
  double seconds = 0;
  int64_t speculated = 0, wins = 0, duplicates = 0;
};

Makespan slow_worker_makespan(const Env& env, const std::string& job, int64_t chunks,
                              int64_t work_ms, bool speculate) {
  JobSpec spec;
  spec.kernel = "simulate";
  spec.args = {{"work_ms", work_ms}};
  spec.chunk_size = 1;
  spec.total_params = chunks;
  std::vector<std::string> flags;
  if (!speculate) flags.push_back("--no-speculate");
  auto procs = start_workers(env, job, 2, flags);
  std::vector<std::string> argv{TTG_BINARY,    "worker", "--redis",     env.server->url(),
                                "--job",       job,      "--worker-id", job + "-slow",
                                "--log-level", "warn",   "--slowdown",  "10"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  util::SpawnOptions so;
  so.stdout_path = env.dir->path() + "/" + job + "-slow.log";
  so.stderr_path = so.stdout_path;
  auto slow = util::Process::spawn(argv, so);
  if (!slow) die(slow.error());
  procs.push_back(std::move(*slow));
  redis::Client c(env.server->options());
  auto registered = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto n = c.command({"HLEN", queue::kWorkersKey});
    if (n && n->integer() >= 3) break;
    if (Clock::now() > registered) {
      die("workers did not register: " + job + " (" + (n ? n->debug_string() : n.error().message) +
          ")");
    }
    std::this_thread::sleep_for(milliseconds(5));  // polling
  }
  queue::JobStore store(env.server->options());
  if (auto r = store.submit(job, spec, {}); !r) die(r.error().message);
  auto deadline = Clock::now() + std::chrono::minutes(10);
  for (;;) {
    auto m = meta(c, job);
    if (m["state"] == "complete") {
      for (auto& p : procs) p.stop(milliseconds(10000));
      // Their registry entries go with them: the next run counts its own.
      auto gone = Clock::now() + std::chrono::seconds(30);
      for (;;) {
        auto n = c.command({"HLEN", queue::kWorkersKey});
        if (n && n->integer() == 0) break;
        if (Clock::now() > gone) die("workers did not leave: " + job);
        std::this_thread::sleep_for(milliseconds(5));  // polling
      }
      auto num = [&](const char* k) { return util::parse_int(m[k]).value_or(0); };
      return {static_cast<double>(num("finished_ms") - num("created_ms")) / 1000.0,
              num("speculated"), num("speculative_wins"), num("duplicates")};
    }
    if (Clock::now() > deadline) die("slow-worker run did not finish: " + job);
    std::this_thread::sleep_for(milliseconds(20));  // sampling interval
  }
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  auto dir = util::TempDir::create("ttg-bench-");
  if (!dir) die(dir.error());
  redis::LocalServerOptions lo;
  auto server = redis::LocalServer::start(lo);
  if (!server) die(server.error().message);
  Env env{&*server, &*dir};

  const std::string load_start = loadavg();
  double xadd_p1 = redis_benchmark_xadd(env, 1, 4);
  double xadd_p16 = redis_benchmark_xadd(env, 16, 4);
  double xadd50_p1 = redis_benchmark_xadd(env, 1, 50);
  double xadd50_p16 = redis_benchmark_xadd(env, 16, 50);
  double ceiling_2 = script_ceiling(env, quick ? 2000 : 20000, 2);
  double ceiling_100 = script_ceiling(env, quick ? 2000 : 20000, 100);

  std::vector<Throughput> rows;
  const int64_t scale = quick ? 10 : 1;
  for (int workers : {1, 2}) {
    rows.push_back(run_throughput(env, 1, workers, 20000 / scale));
    rows.push_back(run_throughput(env, 100, workers, 2000 / scale));
    rows.push_back(run_throughput(env, 10000, workers, 200 / scale));
  }
  // Without claim ahead: a chunk per free slot per claim.
  Throughput no_ahead =
      run_throughput(env, 1, 2, 20000 / scale, {"--claim-ahead-ms", "0"}, "-no-ahead");
  // The headline, measured again right after redis-benchmark.
  double xadd50_again = redis_benchmark_xadd(env, 1, 50);
  Throughput headline = run_throughput(env, 1, 2, 20000 / scale, {}, "-headline");
  double submit_seconds = 0;
  int64_t submit_chunks = quick ? 100000 : 1000000;
  double submit = submit_rate(env, submit_chunks, &submit_seconds);
  auto lat = takeover_latencies(env, quick ? 3 : 20, 1000);
  // One worker of three 10 times slower, with and without speculation,
  // alternated.
  const int64_t spec_chunks = quick ? 40 : 200;
  const int64_t spec_work_ms = quick ? 200 : 500;
  std::vector<Makespan> with, without;
  for (int round = 0; round < (quick ? 1 : 3); ++round) {
    const std::string n = std::to_string(round);
    without.push_back(slow_worker_makespan(env, "slow-off-" + n, spec_chunks, spec_work_ms, false));
    with.push_back(slow_worker_makespan(env, "slow-on-" + n, spec_chunks, spec_work_ms, true));
  }
  const std::string load_end = loadavg();

  std::printf("Load average (1, 5, 15 min): %s at the start, %s at the end.\n\n",
              load_start.c_str(), load_end.c_str());
  std::printf("### Redis ceiling (redis-benchmark, same server)\n\n");
  std::printf("| command | clients | pipeline | ops/s |\n|---|---|---|---|\n");
  std::printf("| XADD (4 fields) | 4 | 1 | %.0f |\n| XADD (4 fields) | 4 | 16 | %.0f |\n", xadd_p1,
              xadd_p16);
  std::printf("| XADD (4 fields) | 50 | 1 | %.0f |\n| XADD (4 fields) | 50 | 16 | %.0f |\n",
              xadd50_p1, xadd50_p16);
  std::printf("| XADD (4 fields), again just before the headline run | 50 | 1 | %.0f |\n\n",
              xadd50_again);
  std::printf("### Headline: one-parameter noop chunks, 2 workers, default flags\n\n");
  std::printf(
      "%lld chunks in %.2f s: %.0f chunks/s, %.0f%% of redis-benchmark's unpipelined XADD with 50 "
      "clients measured just before (%.0f ops/s). Without claim ahead (`--claim-ahead-ms 0`), "
      "earlier in the run: %.0f chunks/s.\n\n",
      static_cast<long long>(headline.chunks), headline.seconds, headline.chunks_per_s,
      100.0 * headline.chunks_per_s / std::max(xadd50_again, 1.0), xadd50_again,
      no_ahead.chunks_per_s);
  std::printf("### Queue ceiling: claim + commit scripts from one client, no compute\n\n");
  std::printf("| chunks per round trip | chunks/s |\n|---|---|\n| 2 | %.0f |\n| 100 | %.0f |\n\n",
              ceiling_2, ceiling_100);
  std::printf("### End to end: first submit to last commit, noop kernel\n\n");
  std::printf(
      "| chunk size | workers | chunks | params | seconds | chunks/s | params/s | worker peak RSS "
      "(MiB) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (auto& r : rows) {
    std::printf("| %lld | %lld | %lld | %lld | %.2f | %.0f | %.0f | %.1f |\n",
                static_cast<long long>(r.chunk_size), static_cast<long long>(r.workers),
                static_cast<long long>(r.chunks), static_cast<long long>(r.params), r.seconds,
                r.chunks_per_s, r.params_per_s, static_cast<double>(r.rss_kib) / 1024.0);
  }
  std::printf("\n### Submit\n\n%lld chunks in %.2f s: %.0f chunks/s\n\n",
              static_cast<long long>(submit_chunks), submit_seconds, submit);
  std::printf("### Takeover after kill -9 (lease 1000 ms, reclaim interval 333 ms)\n\n");
  std::printf(
      "kill -9 of the holder to the chunk's commit by another worker, %zu rounds: "
      "median %.2f s, max %.2f s\n",
      lat.size(), median(lat), lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()));
  std::printf(
      "\n### Speculative tail: %lld chunks of %lld ms, 3 workers (2 slots each), one 10 times "
      "slower\n\n",
      static_cast<long long>(spec_chunks), static_cast<long long>(spec_work_ms));
  std::printf(
      "| speculation | round | makespan (s) | copies | copies first | duplicates "
      "|\n|---|---|---|---|---|---|\n");
  std::vector<double> on_s, off_s;
  for (size_t i = 0; i < with.size(); ++i) {
    const Makespan& a = without[i];
    const Makespan& b = with[i];
    off_s.push_back(a.seconds);
    on_s.push_back(b.seconds);
    std::printf("| off (`--no-speculate`) | %zu | %.2f | %lld | %lld | %lld |\n", i + 1, a.seconds,
                static_cast<long long>(a.speculated), static_cast<long long>(a.wins),
                static_cast<long long>(a.duplicates));
    std::printf("| on (default) | %zu | %.2f | %lld | %lld | %lld |\n", i + 1, b.seconds,
                static_cast<long long>(b.speculated), static_cast<long long>(b.wins),
                static_cast<long long>(b.duplicates));
  }
  std::printf("\nMedian makespan: %.2f s without speculation, %.2f s with it.\n", median(off_s),
              median(on_s));
  return 0;
}
