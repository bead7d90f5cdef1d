// Automatic against fixed chunk sizes, end to end (`make bench-chunk-size`):
// for a cheap kernel (noop, mandelbrot) and an expensive one (bs_mc with
// many paths), the time from starting `ttg submit` to the job's completion,
// with the old fixed default (--chunk-size 10) and with the automatic size
// (the default now, whose timing of the kernel counts in the figure). Two
// `ttg worker` processes with default flags serve each job; they are
// started and registered before the submit, as on a running cluster. Prints
// a Markdown report (docs/PERFORMANCE.md holds the last one).
//
// Usage: ttg_chunk_size_bench [--rounds N]

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
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

void die(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  std::exit(1);
}

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Workload {
  std::string name;   // for the table
  std::string shown;  // the job, for people
  std::vector<std::string> args;
};

struct Run {
  std::string workload, mode;
  int64_t chunk_size = 0, chunks = 0, points = 0;
  double submit_seconds = 0;  // the `ttg submit` process, timing included
  double total_seconds = 0;   // submit started to the job complete
};

std::map<std::string, std::string> meta(redis::Client& c, const std::string& job) {
  std::map<std::string, std::string> m;
  auto r = c.command({"HGETALL", queue::JobKeys(job).meta});
  if (!r) return m;
  for (size_t i = 0; i + 1 < r->size(); i += 2) m[(*r)[i].str()] = (*r)[i + 1].str();
  return m;
}

Run run_one(redis::LocalServer& server, util::TempDir& dir, const Workload& w,
            const std::string& mode, int round) {
  const std::string job = w.name + (mode == "auto" ? "-auto-" : "-fixed-") + std::to_string(round);
  const std::string log = dir.path() + "/" + job + ".log";
  std::vector<util::Process> workers;
  for (int i = 0; i < 2; ++i) {
    util::SpawnOptions so;
    so.stdout_path = log;
    so.stderr_path = log;
    auto p =
        util::Process::spawn({TTG_BINARY, "worker", "--redis", server.url(), "--job", job,
                              "--worker-id", job + "-w" + std::to_string(i), "--log-level", "warn"},
                             so);
    if (!p) die(p.error());
    workers.push_back(std::move(*p));
  }
  queue::JobStore store(server.options());
  auto registered = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto ws = store.workers();
    int64_t mine = 0;
    if (ws) {
      for (const auto& r : *ws) mine += r.job == job && r.heartbeat_age_ms >= 0 ? 1 : 0;
    }
    if (mine == 2) break;
    if (Clock::now() > registered) die("workers did not register: " + job);
    std::this_thread::sleep_for(milliseconds(10));  // polling
  }
  std::vector<std::string> argv{TTG_BINARY, "submit", "--redis", server.url(), "--job", job};
  argv.insert(argv.end(), w.args.begin(), w.args.end());
  if (mode == "fixed 10") argv.insert(argv.end(), {"--chunk-size", "10"});
  util::SpawnOptions so;
  so.stdout_path = dir.path() + "/" + job + ".submit";
  so.stderr_path = so.stdout_path;
  const auto t0 = Clock::now();
  auto sub = util::Process::spawn(argv, so);
  if (!sub) die(sub.error());
  auto status = sub->wait_for(milliseconds(120000));
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    std::ifstream f(so.stdout_path);
    std::string text, line;
    while (std::getline(f, line)) text += line + "\n";
    die("submit failed: " + job + ": " + text);
  }
  Run r;
  r.workload = w.name;
  r.mode = mode;
  r.submit_seconds = since(t0);
  redis::Client c(server.options());
  auto deadline = Clock::now() + std::chrono::minutes(5);
  for (;;) {
    auto m = meta(c, job);
    if (m["state"] == "complete") {
      r.total_seconds = since(t0);
      r.chunk_size = util::parse_int(m["chunk_size"]).value_or(0);
      r.chunks = util::parse_int(m["total_chunks"]).value_or(0);
      r.points = util::parse_int(m["total_params"]).value_or(0);
      break;
    }
    if (Clock::now() > deadline) die("job did not finish: " + job);
    std::this_thread::sleep_for(milliseconds(10));  // sampling interval
  }
  for (auto& p : workers) p.stop(milliseconds(20000));
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 3;
  if (argc > 2 && std::string(argv[1]) == "--rounds") rounds = std::max(1, std::atoi(argv[2]));
  auto dir = util::TempDir::create("ttg-chunk-bench-");
  if (!dir) die(dir.error());
  const std::string mandel = dir->path() + "/mandelbrot.yaml";
  {
    std::ofstream f(mandel);
    f << "kernel: mandelbrot\nparams:\n  dims:\n"
         "    x: {linspace: {start: -2.0, stop: 1.0, num: 500}}\n"
         "    y: {linspace: {start: -1.5, stop: 1.5, num: 400}}\n";
  }
  const std::vector<Workload> workloads = {
      {"noop", "noop, 400,000 points", {"--kernel", "noop", "--params", "400000"}},
      {"mandelbrot",
       "mandelbrot 500 x 400 grid (200,000 points), max_iter 256",
       {"--spec", mandel}},
      {"bs_mc-50",
       "bs_mc, paths 2,000,000, 50 points",
       {"--kernel", "bs_mc", "--arg", "paths=2000000", "--params", "50"}},
      {"bs_mc-12",
       "bs_mc, paths 10,000,000, 12 points",
       {"--kernel", "bs_mc", "--arg", "paths=10000000", "--params", "12"}},
      {"bs_mc-8",
       "bs_mc, paths 10,000,000, 8 points",
       {"--kernel", "bs_mc", "--arg", "paths=10000000", "--params", "8"}},
  };
  redis::LocalServerOptions lo;
  auto server = redis::LocalServer::start(lo);
  if (!server) die(server.error().message);

  std::vector<Run> runs;
  for (int round = 0; round < rounds; ++round) {
    for (const auto& w : workloads) {
      // Alternated, so that a change of the machine's load hits both.
      for (const std::string mode : {"fixed 10", "auto"}) {
        runs.push_back(run_one(*server, *dir, w, mode, round));
        const Run& r = runs.back();
        std::fprintf(stderr, "%s %s: %lld x %lld, submit %.2f s, total %.2f s\n",
                     r.workload.c_str(), r.mode.c_str(), static_cast<long long>(r.chunks),
                     static_cast<long long>(r.chunk_size), r.submit_seconds, r.total_seconds);
      }
    }
  }

  std::printf("### Fixed chunk size 10 against auto: `ttg submit` started to job complete\n\n");
  std::printf("2 `ttg worker` processes (default flags: 2 slots each), median of %d rounds.\n\n",
              rounds);
  std::printf(
      "| workload | chunk size | chunks | submit (s) | submit to complete (s) | all rounds (s) "
      "|\n|---|---|---|---|---|---|\n");
  for (const auto& w : workloads) {
    for (const std::string mode : {"fixed 10", "auto"}) {
      std::vector<double> totals, submits;
      int64_t size = 0, chunks = 0;
      std::string all;
      for (const auto& r : runs) {
        if (r.workload != w.name || r.mode != mode) continue;
        totals.push_back(r.total_seconds);
        submits.push_back(r.submit_seconds);
        size = r.chunk_size;
        chunks = r.chunks;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.2f", all.empty() ? "" : ", ", r.total_seconds);
        all += buf;
      }
      std::printf("| %s | %s%lld | %lld | %.2f | %.2f | %s |\n", w.shown.c_str(),
                  mode == "auto" ? "auto: " : "", static_cast<long long>(size),
                  static_cast<long long>(chunks), median(submits), median(totals), all.c_str());
    }
  }
  return 0;
}
