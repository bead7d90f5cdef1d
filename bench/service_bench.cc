// Benchmark of TTG as a long-lived service (docs/PERFORMANCE.md, "A
// long-lived service"): takeover of a killed worker's chunks with the default
// lease, Redis's cost per worker slot up to 10,000 slots, the cost of an idle
// worker next to 1,000 finished jobs, and Redis memory per chunk of a large
// job before and after it is finalized. Each part starts its own private
// redis-server on loopback and runs real `ttg worker` processes (busy slots
// run the bench-sleep plugin of sleep_kernel.cc). Prints a Markdown report,
// each part's section as soon as it is measured; progress goes to stderr.
//
// Usage: ttg_service_bench [--quick] [--memory-chunks N]
//                          [--only takeover|slots|idle|memory]
//   --quick            fewer rounds, slots and chunks: a smoke test
//   --memory-chunks N  chunks of the memory part's job (default 1,000,000)
//   --only PART        run one part

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
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
#ifndef TTG_SLEEP_KERNEL
#define TTG_SLEEP_KERNEL "libttg_bench_sleep.so"
#endif

namespace {

using namespace ttg;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "service_bench: %s\n", what.c_str());
  std::exit(1);
}

void progress(const std::string& what) {
  std::fprintf(stderr, "service_bench: %s\n", what.c_str());
}

// The first three fields of /proc/loadavg ("4.06 4.82 5.71").
std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// CPU time (user + system, all threads) `pid` has used, in seconds; 0 when
// it cannot be read.
double process_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  // The command name may contain spaces: fields are counted after its ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::vector<std::string> fields;
  std::string field;
  while (rest >> field && fields.size() < 13) fields.push_back(field);
  // Fields 14 and 15 of stat(5) (utime, stime) are 12 and 13 after the name.
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(util::parse_int(fields[11]).value_or(0) +
                             util::parse_int(fields[12]).value_or(0)) /
         ticks;
}

// Polls `done` every `interval` until it returns true or `limit` passes;
// false on the time-out.
template <class Pred>
bool poll_until(Pred done, milliseconds interval, milliseconds limit) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);  // polling interval
  }
}

std::map<std::string, std::string> info(redis::Client& c, const std::string& section) {
  std::map<std::string, std::string> out;
  auto r = c.command({"INFO", section});
  if (!r) die("INFO " + section + ": " + r.error().message);
  for (auto line : util::split(r->str(), '\n')) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

double as_double(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : util::parse_double(it->second).value_or(0);
}

// What Redis has done so far, from INFO.
struct RedisSample {
  Clock::time_point at;
  double cpu_seconds = 0;  // used_cpu_sys + used_cpu_user (every thread)
  double commands = 0;     // total_commands_processed
  // Calls per command (INFO commandstats), e.g. "evalsha" -> 1234.
  std::map<std::string, double> calls;
};

RedisSample sample_redis(redis::Client& c) {
  RedisSample s;
  s.at = Clock::now();
  auto cpu = info(c, "cpu");
  s.cpu_seconds = as_double(cpu, "used_cpu_sys") + as_double(cpu, "used_cpu_user");
  s.commands = as_double(info(c, "stats"), "total_commands_processed");
  for (const auto& [key, value] : info(c, "commandstats")) {
    // cmdstat_evalsha:calls=12,usec=34,...
    if (key.rfind("cmdstat_", 0) != 0) continue;
    auto calls = value.find("calls=");
    if (calls == std::string::npos) continue;
    auto end = value.find(',', calls);
    s.calls[key.substr(8)] =
        util::parse_double(value.substr(calls + 6, end - calls - 6)).value_or(0);
  }
  return s;
}

int64_t used_memory(redis::Client& c) {
  return static_cast<int64_t>(as_double(info(c, "memory"), "used_memory"));
}

int64_t integer_reply(redis::Client& c, const redis::Command& cmd) {
  auto r = c.command(cmd);
  if (!r) die(cmd[0] + ": " + r.error().message);
  return r->as_int().value_or(0);
}

std::map<std::string, std::string> meta(redis::Client& c, const std::string& job) {
  std::map<std::string, std::string> m;
  auto r = c.command({"HGETALL", queue::JobKeys(job).meta});
  if (!r) return m;
  for (size_t i = 0; i + 1 < r->size(); i += 2) m[(*r)[i].str()] = (*r)[i + 1].str();
  return m;
}

// Chunks in the group's pending list per consumer (XPENDING summary).
std::map<std::string, int64_t> pending_by_consumer(redis::Client& c, const std::string& job) {
  std::map<std::string, int64_t> out;
  auto r = c.command({"XPENDING", queue::JobKeys(job).tasks, queue::kGroup});
  if (!r || !r->is_array() || r->size() < 4) return out;
  for (const auto& e : (*r)[3].elements()) {
    if (e.size() == 2) out[e[0].str()] = util::parse_int(e[1].str()).value_or(0);
  }
  return out;
}

int64_t pending_total(redis::Client& c, const std::string& job) {
  auto r = c.command({"XPENDING", queue::JobKeys(job).tasks, queue::kGroup});
  if (!r || !r->is_array() || r->size() < 1) return 0;
  return (*r)[0].as_int().value_or(0);
}

JobSpec simulate_spec(int64_t work_ms, int64_t chunks) {
  JobSpec spec;
  spec.kernel = "simulate";
  spec.args = {{"work_ms", work_ms}};
  spec.chunk_size = 1;
  spec.total_params = chunks;
  return spec;
}

void submit(const redis::LocalServer& server, const std::string& job, const JobSpec& spec) {
  queue::JobStore store(server.options());
  if (auto r = store.submit(job, spec, {}); !r) die("submit " + job + ": " + r.error().message);
}

// A Redis server and the directory for workers' logs; a new server for each
// round or configuration, so that none sees another's keys or workers.
struct Env {
  redis::LocalServer server;
  util::TempDir* dir;
};

Env fresh_env(util::TempDir* dir) {
  auto server = redis::LocalServer::start();
  if (!server) die("redis-server: " + server.error().message);
  return Env{std::move(*server), dir};
}

util::Process start_worker(const Env& env, const std::string& name,
                           const std::vector<std::string>& flags) {
  std::vector<std::string> argv{TTG_BINARY,    "worker", "--redis",     env.server.url(),
                                "--worker-id", name,     "--log-level", "warn"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  util::SpawnOptions so;
  so.stdout_path = env.dir->path() + "/workers.log";
  so.stderr_path = so.stdout_path;
  auto p = util::Process::spawn(argv, so);
  if (!p) die(p.error());
  return std::move(*p);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

std::string thousands(int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// ---------------------------------------------------------------------------
// 1. Takeover after kill -9 with the default lease.

struct Takeover {
  double handed_over = 0;  // kill -9 to the victim's pending list being empty
  double claimed = 0;      // kill -9 to the survivor holding every chunk
  std::string reasons;     // the takeover events' reasons, e.g. "gone"
};

constexpr int kTakeoverChunks = 4;

Takeover takeover_round(util::TempDir* dir, int round) {
  Env env = fresh_env(dir);
  redis::Client c(env.server.options());
  const std::string job = "takeover-" + std::to_string(round);
  const std::string a = "victim-" + std::to_string(round);
  const std::string b = "survivor-" + std::to_string(round);
  submit(env.server, job, simulate_spec(2000, kTakeoverChunks));
  const std::vector<std::string> flags{
      "--job", job, "--threads", std::to_string(kTakeoverChunks), "--idle-timeout", "60"};
  auto victim = start_worker(env, a, flags);
  if (!poll_until([&] { return pending_by_consumer(c, job)[a] == kTakeoverChunks; },
                  milliseconds(2), seconds(30))) {
    die("takeover: the victim did not claim every chunk");
  }
  // The survivor has free slots and nothing to claim; it watches the victim
  // (the next worker in the ring) once it has registered.
  auto survivor = start_worker(env, b, flags);
  if (!poll_until(
          [&] {
            return integer_reply(c, {"HEXISTS", queue::kWorkersKey, b}) == 1;
          },
          milliseconds(2), seconds(30))) {
    die("takeover: the survivor did not register");
  }
  victim.signal(SIGKILL);
  const auto killed = Clock::now();
  Takeover t;
  bool handed = false;
  // Past the 10 s lease, so that the sweeper's fallback would be seen too.
  bool ok = poll_until(
      [&] {
        auto p = pending_by_consumer(c, job);
        if (!handed && p[a] == 0) {
          handed = true;
          t.handed_over = since(killed);
        }
        return p[b] == kTakeoverChunks;
      },
      milliseconds(2), seconds(30));
  if (!ok) die("takeover: the survivor did not get every chunk within 30 s");
  t.claimed = since(killed);
  auto events = c.command({"XRANGE", queue::JobKeys(job).events, "-", "+", "COUNT", "100"});
  std::map<std::string, int> reasons;
  if (events) {
    for (const auto& e : events->elements()) {
      if (e.size() < 2) continue;
      std::map<std::string, std::string> f;
      for (size_t i = 0; i + 1 < e[1].size(); i += 2) f[e[1][i].str()] = e[1][i + 1].str();
      if (f["type"] == "takeover") ++reasons[f["reason"]];
    }
  }
  for (const auto& [why, n] : reasons) {
    t.reasons += (t.reasons.empty() ? "" : ", ") + why + " x" + std::to_string(n);
  }
  // The survivor finishes the job (2 s) and exits; the process owner kills it
  // otherwise.
  survivor.wait_for(milliseconds(15000));
  return t;
}

// ---------------------------------------------------------------------------
// 2. Redis cost per worker slot.

struct SlotRow {
  std::string kernel;
  int slots = 0, processes = 0;
  double window = 0;
  double redis_cpu = 0;   // Redis CPU seconds per second
  double commands = 0;    // commands per second
  double chunks = 0;      // chunks committed per second
  double worker_cpu = 0;  // CPU seconds per second, all worker processes
  double held_mean = 0;   // chunks held (pending), sampled through the window
  int64_t held_min = 0;
  std::map<std::string, double> calls;  // per second, per command
};

constexpr int64_t kSlotChunkMs = 3000;

// `kernel` is "bench-sleep" (the plugin of sleep_kernel.cc) or "simulate".
SlotRow slot_run(util::TempDir* dir, const std::string& kernel, int slots, int processes,
                 double window_s) {
  Env env = fresh_env(dir);
  redis::Client c(env.server.options());
  const std::string job = "slots-" + std::to_string(slots);
  const int threads = slots / processes;
  // Enough chunks for every slot to stay busy through start-up, the first
  // wave and the window, with a margin: the job never runs dry.
  const int64_t waves = static_cast<int64_t>(window_s * 1000 / kSlotChunkMs) + 8;
  JobSpec spec = simulate_spec(kSlotChunkMs, static_cast<int64_t>(slots) * waves);
  std::vector<std::string> flags{"--job",          job,  "--threads", std::to_string(threads),
                                 "--idle-timeout", "120"};
  if (kernel != "simulate") {
    spec.kernel = kernel;
    // 1.5 to 4.5 s, 3 s on average: the slots' finishing times spread out.
    spec.args["jitter"] = 0.5;
    spec.args["kernel_version"] = "1.0.0";
    flags.insert(flags.end(), {"--kernel-lib", TTG_SLEEP_KERNEL});
  }
  submit(env.server, job, spec);
  std::vector<util::Process> procs;
  for (int i = 0; i < processes; ++i) {
    procs.push_back(start_worker(env, job + "-w" + std::to_string(i), flags));
  }
  // Steady state: every slot holds a chunk, and every slot has committed one
  // (the start-up wave is over).
  if (!poll_until([&] { return pending_total(c, job) >= slots; }, milliseconds(50), seconds(120))) {
    die("slots " + std::to_string(slots) + ": the slots never all got a chunk");
  }
  if (!poll_until([&] { return util::parse_int(meta(c, job)["done"]).value_or(0) >= slots; },
                  milliseconds(50), seconds(120))) {
    die("slots " + std::to_string(slots) + ": the first wave did not finish");
  }
  SlotRow row;
  row.kernel = kernel;
  row.slots = slots;
  row.processes = processes;
  auto done0 = util::parse_int(meta(c, job)["done"]).value_or(0);
  double cpu0 = 0;
  for (auto& p : procs) cpu0 += process_cpu_seconds(p.pid());
  RedisSample r0 = sample_redis(c);
  // The measurement window: how many chunks are held is sampled every
  // 250 ms (one XPENDING each, not counted below) until it ends.
  const auto window_end = r0.at + milliseconds(static_cast<int64_t>(window_s * 1000));
  int64_t samples = 0, held_sum = 0;
  row.held_min = slots;
  for (auto tick = r0.at + milliseconds(250); tick < window_end; tick += milliseconds(250)) {
    std::this_thread::sleep_until(tick);
    int64_t held = pending_total(c, job);
    ++samples;
    held_sum += held;
    row.held_min = std::min(row.held_min, held);
  }
  std::this_thread::sleep_until(window_end);
  RedisSample r1 = sample_redis(c);
  double cpu1 = 0;
  for (auto& p : procs) cpu1 += process_cpu_seconds(p.pid());
  auto done1 = util::parse_int(meta(c, job)["done"]).value_or(0);
  row.window = std::chrono::duration<double>(r1.at - r0.at).count();
  row.redis_cpu = (r1.cpu_seconds - r0.cpu_seconds) / row.window;
  // Less the samples' XPENDING and the two INFO samples' own commands.
  row.commands = (r1.commands - r0.commands - static_cast<double>(samples) - 3) / row.window;
  row.chunks = static_cast<double>(done1 - done0) / row.window;
  row.worker_cpu = (cpu1 - cpu0) / row.window;
  row.held_mean = samples > 0 ? static_cast<double>(held_sum) / static_cast<double>(samples) : 0;
  for (const auto& [cmd, n] : r1.calls) {
    auto it = r0.calls.find(cmd);
    double d = n - (it == r0.calls.end() ? 0 : it->second);
    if (cmd == "xpending") d -= static_cast<double>(samples);
    if (cmd == "info") d -= 3;
    if (d > 0) row.calls[cmd] = d / row.window;
  }
  // Workers are killed before their server stops (the Process destructors
  // run first): nothing of this run is measured any more.
  for (auto& p : procs) p.signal(SIGKILL);
  for (auto& p : procs) p.wait_for(milliseconds(10000));
  return row;
}

// ---------------------------------------------------------------------------
// 3. An idle worker, without jobs and next to 1,000 finished jobs.

struct IdleRow {
  int64_t jobs_registered = 0, jobs_active = 0;
  double window = 0, worker_cpu = 0, redis_cpu = 0, commands = 0;
  std::map<std::string, double> calls;  // per second, per command
};

IdleRow idle_window(redis::Client& c, const util::Process& worker, double window_s) {
  IdleRow row;
  row.jobs_registered = integer_reply(c, {"ZCARD", queue::kRegistryKey});
  row.jobs_active = integer_reply(c, {"SCARD", queue::kActiveKey});
  double cpu0 = process_cpu_seconds(worker.pid());
  RedisSample r0 = sample_redis(c);
  // The measurement window: a fixed sleep is the measurement itself.
  std::this_thread::sleep_for(milliseconds(static_cast<int64_t>(window_s * 1000)));
  RedisSample r1 = sample_redis(c);
  double cpu1 = process_cpu_seconds(worker.pid());
  row.window = std::chrono::duration<double>(r1.at - r0.at).count();
  row.worker_cpu = (cpu1 - cpu0) / row.window;
  row.redis_cpu = (r1.cpu_seconds - r0.cpu_seconds) / row.window;
  // The two samples' own INFO commands (3 each) are not the worker's.
  row.commands = (r1.commands - r0.commands - 3) / row.window;
  for (const auto& [cmd, n] : r1.calls) {
    auto it = r0.calls.find(cmd);
    double d = n - (it == r0.calls.end() ? 0 : it->second) - (cmd == "info" ? 3 : 0);
    if (d > 0) row.calls[cmd] = d / row.window;
  }
  return row;
}

struct IdleResult {
  IdleRow empty, finished;
  int jobs = 0;
  double finish_seconds = 0;  // first submit to the last job finalized
};

IdleResult idle_cost(util::TempDir* dir, int jobs, double window_s) {
  Env env = fresh_env(dir);
  redis::Client c(env.server.options());
  auto worker = start_worker(env, "idle", {"--idle-timeout", "0", "--threads", "2"});
  if (!poll_until(
          [&] {
            return integer_reply(c, {"HEXISTS", queue::kWorkersKey, "idle"}) == 1;
          },
          milliseconds(5), seconds(30))) {
    die("idle: the worker did not register");
  }
  IdleResult out;
  out.jobs = jobs;
  out.empty = idle_window(c, worker, window_s);
  JobSpec spec;
  spec.kernel = "noop";
  spec.chunk_size = 1;
  spec.total_params = 1;
  auto t0 = Clock::now();
  queue::JobStore store(env.server.options());
  for (int i = 0; i < jobs; ++i) {
    if (auto r = store.submit("finished-" + std::to_string(i), spec, {}); !r) {
      die("idle: submit: " + r.error().message);
    }
  }
  // The worker runs them; its sweeper turn finalizes each and drops it from
  // the active set.
  if (!poll_until(
          [&] {
            return integer_reply(c, {"SCARD", queue::kActiveKey}) == 0;
          },
          milliseconds(50), seconds(180))) {
    die("idle: the jobs were not all finished and finalized within 180 s");
  }
  out.finish_seconds = since(t0);
  // The worker still tries the finished jobs until its next look at the
  // active set (within a second): the window starts once it calls no more
  // scripts than its heartbeat and sweeper turn (about 5 a second).
  double last_calls = sample_redis(c).calls["evalsha"];
  if (!poll_until(
          [&] {
            double calls = sample_redis(c).calls["evalsha"];
            bool quiet = calls - last_calls <= 10;
            last_calls = calls;
            return quiet;
          },
          milliseconds(1000), seconds(60))) {
    die("idle: the worker kept calling scripts a minute after the jobs were finalized");
  }
  out.finished = idle_window(c, worker, window_s);
  worker.signal(SIGTERM);
  worker.wait_for(milliseconds(10000));
  return out;
}

// ---------------------------------------------------------------------------
// 4. Redis memory per chunk of one large job.

struct MemoryStage {
  std::string name;
  int64_t used = 0;
  std::map<std::string, int64_t> keys;  // MEMORY USAGE of the job's keys
};

struct MemoryResult {
  int64_t chunks = 0;
  double submit_seconds = 0, complete_seconds = 0, finalize_seconds = 0;
  std::vector<MemoryStage> stages;
};

MemoryStage memory_stage(redis::Client& c, const std::string& name, const std::string& job) {
  MemoryStage s;
  s.name = name;
  s.used = used_memory(c);
  queue::JobKeys keys(job);
  for (const auto& k : keys.all()) {
    // SAMPLES 0: every element, not an estimate from five.
    auto r = c.command({"MEMORY", "USAGE", k, "SAMPLES", "0"});
    if (r && r->is_integer()) s.keys[k.substr(keys.base.size())] = r->integer();
  }
  return s;
}

MemoryResult memory_cost(util::TempDir* dir, int64_t chunks) {
  Env env = fresh_env(dir);
  redis::Client c(env.server.options());
  const std::string job = "memory";
  MemoryResult out;
  out.chunks = chunks;
  out.stages.push_back(memory_stage(c, "before submit", job));
  util::SpawnOptions so;
  so.stdout_path = dir->path() + "/submit.log";
  so.stderr_path = so.stdout_path;
  auto t0 = Clock::now();
  auto sub = util::Process::spawn(
      {TTG_BINARY, "submit", "--redis", env.server.url(), "--job", job, "--params",
       std::to_string(chunks), "--chunk-size", "1", "--kernel", "noop"},
      so);
  if (!sub) die(sub.error());
  auto st = sub->wait_for(milliseconds(300000));
  if (!st || *st != 0) die("memory: ttg submit failed (" + so.stdout_path + ")");
  out.submit_seconds = since(t0);
  out.stages.push_back(memory_stage(c, "after submit", job));
  // The sweeper finalizes a finished job on its turn; these workers' turns
  // are a day apart after the first (at start-up, before completion),
  // so the completed job is measured before it is finalized.
  std::vector<util::Process> procs;
  for (int i = 0; i < 2; ++i) {
    procs.push_back(start_worker(env, "mem-w" + std::to_string(i),
                                 {"--job", job, "--threads", "8", "--idle-timeout", "60",
                                  "--reclaim-interval-ms", "86400000"}));
  }
  t0 = Clock::now();
  if (!poll_until([&] { return meta(c, job)["state"] == "complete"; }, milliseconds(100),
                  seconds(480))) {
    die("memory: " + std::to_string(chunks) + " chunks not completed within 480 s");
  }
  out.complete_seconds = since(t0);
  for (auto& p : procs) p.wait_for(milliseconds(30000));
  if (!meta(c, job)["expires_ms"].empty()) die("memory: finalized before it was measured");
  out.stages.push_back(memory_stage(c, "after completion", job));
  // A worker with the default sweeper interval takes the role and finalizes.
  t0 = Clock::now();
  auto finalizer = start_worker(env, "mem-sweeper", {"--idle-timeout", "0"});
  if (!poll_until([&] { return !meta(c, job)["expires_ms"].empty(); }, milliseconds(50),
                  seconds(60))) {
    die("memory: the job was not finalized within 60 s");
  }
  out.finalize_seconds = since(t0);
  finalizer.signal(SIGTERM);
  finalizer.wait_for(milliseconds(10000));
  out.stages.push_back(memory_stage(c, "after finalize", job));
  return out;
}

// Each part runs, then prints its section of the report at once.

void takeover_part(util::TempDir* dir, int rounds) {
  std::vector<double> handed, claimed;
  std::map<std::string, int> reason_count;
  progress("takeover after kill -9: " + std::to_string(rounds) + " rounds");
  const std::string load_takeover = load_average();
  for (int i = 0; i < rounds; ++i) {
    Takeover t = takeover_round(dir, i);
    handed.push_back(t.handed_over);
    claimed.push_back(t.claimed);
    ++reason_count[t.reasons];
  }
  std::printf("### Takeover after kill -9, default lease (10 s)\n\n");
  std::printf(
      "%d rounds; each: %d chunks of 2 s held by worker A, an idle worker B (free slots, "
      "registered), kill -9 of A. Load at start of part: %s.\n\n",
      rounds, kTakeoverChunks, load_takeover.c_str());
  std::printf("| from kill -9 to | median | max |\n|---|---|---|\n");
  std::printf("| A's chunks handed over (A's pending list empty) | %.3f s | %.3f s |\n",
              median(handed), max_of(handed));
  std::printf("| every chunk claimed by B | %.3f s | %.3f s |\n", median(claimed), max_of(claimed));
  std::printf("| (the lease, for comparison) | 10 s | 10 s |\n\n");
  std::printf("Takeover reasons per round:");
  for (const auto& [why, n] : reason_count) {
    std::printf(" %s (%d rounds);", why.c_str(), n);
  }
  std::printf("\n\n");

  std::fflush(stdout);
}

struct SlotConfig {
  std::string kernel;
  int slots, processes;
};

void slots_part(util::TempDir* dir, const std::vector<SlotConfig>& configs, double window) {
  std::vector<SlotRow> slot_rows;
  std::vector<std::string> slot_loads;
  for (const auto& cfg : configs) {
    progress("redis cost: " + std::to_string(cfg.slots) + " slots in " +
             std::to_string(cfg.processes) + " processes, " + cfg.kernel);
    slot_loads.push_back(load_average());
    slot_rows.push_back(slot_run(dir, cfg.kernel, cfg.slots, cfg.processes, window));
  }
  std::printf(
      "### Redis cost per worker slot (chunks of 3 s, every slot busy, %.0f s window)\n\n"
      "Kernel bench-sleep: a plugin that sleeps 1.5-4.5 s (3 s on average) per chunk, waking "
      "every 500 ms; simulate sleeps 3 s, waking every 20 ms. Commands include those run inside "
      "scripts. Ideal chunks/s = slots / 3 s.\n\n",
      window);
  std::printf(
      "| kernel | slots | processes x threads | load at start | chunks/s (ideal) | chunks held, "
      "mean (min) | Redis CPU | Redis commands/s | Redis CPU per slot | commands/s per slot | "
      "Redis CPU per chunk | script calls per chunk | worker CPU per slot |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < slot_rows.size(); ++i) {
    const auto& r = slot_rows[i];
    auto evalsha = r.calls.find("evalsha");
    double scripts = evalsha == r.calls.end() ? 0 : evalsha->second;
    std::printf(
        "| %s | %s | %d x %d | %s | %.0f (%.0f) | %s (%s) | %.1f%% | %.0f | %.1f us/s | %.2f | "
        "%.0f us | %.2f | %.1f us/s |\n",
        r.kernel.c_str(), thousands(r.slots).c_str(), r.processes, r.slots / r.processes,
        slot_loads[i].c_str(), r.chunks, r.slots * 1000.0 / kSlotChunkMs,
        thousands(static_cast<int64_t>(r.held_mean + 0.5)).c_str(), thousands(r.held_min).c_str(),
        r.redis_cpu * 100, r.commands, r.redis_cpu * 1e6 / r.slots, r.commands / r.slots,
        r.chunks > 0 ? r.redis_cpu * 1e6 / r.chunks : 0, r.chunks > 0 ? scripts / r.chunks : 0,
        r.worker_cpu * 1e6 / r.slots);
  }
  // Calls per second per slot of the busiest commands of the largest run.
  if (!slot_rows.empty()) {
    auto largest =
        std::max_element(slot_rows.begin(), slot_rows.end(),
                         [](const SlotRow& a, const SlotRow& b) { return a.slots < b.slots; });
    std::vector<std::pair<double, std::string>> top;
    for (const auto& [cmd, n] : largest->calls) top.push_back({n, cmd});
    std::sort(top.rbegin(), top.rend());
    if (top.size() > 12) top.resize(12);
    std::printf(
        "\nCalls per second per slot, by command (INFO commandstats; commands run by "
        "scripts are counted too):\n\n| command |");
    for (const auto& r : slot_rows) {
      std::printf(" %s, %s slots |", r.kernel.c_str(), thousands(r.slots).c_str());
    }
    std::printf("\n|---|");
    for (size_t i = 0; i < slot_rows.size(); ++i) std::printf("---|");
    std::printf("\n");
    for (const auto& [n, cmd] : top) {
      std::printf("| %s |", cmd.c_str());
      for (const auto& r : slot_rows) {
        auto it = r.calls.find(cmd);
        std::printf(" %.4f |", it == r.calls.end() ? 0 : it->second / r.slots);
      }
      std::printf("\n");
    }
  }

  std::fflush(stdout);
}

void idle_part(util::TempDir* dir, int jobs, double window) {
  progress("idle worker, then " + std::to_string(jobs) + " finished jobs");
  const std::string load_idle = load_average();
  IdleResult idle = idle_cost(dir, jobs, window);
  std::printf("\n### An idle worker (`--idle-timeout 0`, no work)\n\n");
  std::printf("Load at start of part: %s. %d one-chunk noop jobs run and finalized in %.1f s.\n\n",
              load_idle.c_str(), idle.jobs, idle.finish_seconds);
  std::printf(
      "| jobs in registry | active | window | worker CPU | Redis CPU | Redis commands/s | "
      "busiest commands (per s) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto* r : {&idle.empty, &idle.finished}) {
    std::vector<std::pair<double, std::string>> top;
    for (const auto& [cmd, n] : r->calls) top.push_back({n, cmd});
    std::sort(top.rbegin(), top.rend());
    std::string busiest;
    for (size_t i = 0; i < top.size() && i < 5; ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%s %.1f", busiest.empty() ? "" : ", ",
                    top[i].second.c_str(), top[i].first);
      busiest += buf;
    }
    std::printf("| %s | %s | %.1f s | %.2f%% | %.2f%% | %.1f | %s |\n",
                thousands(r->jobs_registered).c_str(), thousands(r->jobs_active).c_str(), r->window,
                r->worker_cpu * 100, r->redis_cpu * 100, r->commands, busiest.c_str());
  }

  std::fflush(stdout);
}

void memory_part(util::TempDir* dir, int64_t memory_chunks) {
  progress("memory of a " + std::to_string(memory_chunks) + "-chunk job");
  const std::string load_memory = load_average();
  MemoryResult mem = memory_cost(dir, memory_chunks);
  std::printf("\n### Redis memory of one %s-chunk job (noop, chunk size 1)\n\n",
              thousands(mem.chunks).c_str());
  std::printf(
      "Load at start of part: %s. Submit %.1f s; completion by 2 workers x 8 threads %.1f s; "
      "finalized %.1f s after a sweeper started.\n\n",
      load_memory.c_str(), mem.submit_seconds, mem.complete_seconds, mem.finalize_seconds);
  std::printf("| stage | used_memory | over the empty server | per chunk | largest keys |\n");
  std::printf("|---|---|---|---|---|\n");
  const int64_t base = mem.stages.empty() ? 0 : mem.stages.front().used;
  for (const auto& s : mem.stages) {
    std::vector<std::pair<int64_t, std::string>> keys;
    for (const auto& [k, v] : s.keys) keys.push_back({v, k});
    std::sort(keys.rbegin(), keys.rend());
    std::string largest;
    for (size_t i = 0; i < keys.size() && i < 3; ++i) {
      if (keys[i].first < 1024 * 1024) break;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%s %.1f MiB", largest.empty() ? "" : ", ",
                    keys[i].second.c_str(), static_cast<double>(keys[i].first) / (1 << 20));
      largest += buf;
    }
    std::printf("| %s | %.1f MiB | %.1f MiB | %.0f B | %s |\n", s.name.c_str(),
                static_cast<double>(s.used) / (1 << 20),
                static_cast<double>(s.used - base) / (1 << 20),
                static_cast<double>(s.used - base) / static_cast<double>(mem.chunks),
                largest.empty() ? "-" : largest.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int64_t memory_chunks = 1000000;
  std::string only;
  const char* usage =
      "usage: ttg_service_bench [--quick] [--memory-chunks N] [--only "
      "takeover|slots|idle|memory]";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--memory-chunks" && i + 1 < argc) {
      memory_chunks = util::parse_int(argv[++i]).value_or(0);
      if (memory_chunks < 1) die("--memory-chunks: expected a positive integer");
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
      if (only != "takeover" && only != "slots" && only != "idle" && only != "memory") die(usage);
    } else {
      die(usage);
    }
  }
  if (quick && memory_chunks == 1000000) memory_chunks = 20000;
  auto dir = util::TempDir::create("ttg-service-bench-");
  if (!dir) die(dir.error());
  // Left behind when a part fails (die() skips the destructors).
  progress("worker logs in " + dir->path());
  const auto started = Clock::now();
  std::printf("Load average (1, 5, 15 min) at start: %s.\n\n", load_average().c_str());
  auto wanted = [&](const char* part) { return only.empty() || only == part; };

  if (wanted("takeover")) takeover_part(&*dir, quick ? 3 : 20);
  if (wanted("slots")) {
    std::vector<SlotConfig> configs = {{"bench-sleep", 100, 2},
                                       {"bench-sleep", 1000, 10},
                                       {"bench-sleep", 10000, 20},
                                       {"simulate", 1000, 10}};
    if (quick) {
      configs = {{"bench-sleep", 100, 2}, {"bench-sleep", 1000, 10}, {"simulate", 100, 2}};
    }
    slots_part(&*dir, configs, quick ? 6 : 15);
  }
  if (wanted("idle")) idle_part(&*dir, quick ? 100 : 1000, quick ? 5 : 10);
  if (wanted("memory")) memory_part(&*dir, memory_chunks);

  std::printf("\nLoad average at end: %s. Whole run: %.0f s.\n", load_average().c_str(),
              since(started));
  return 0;
}
