#include "demo/demo.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <thread>
#include <vector>

#include "core/param_space.h"
#include "demo/render.h"
#include "kernels/kernel.h"
#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "redis/local_server.h"
#include "serve/server.h"
#include "util/process.h"
#include "util/strings.h"
#include "util/temp_dir.h"
#include "verify/verdict.h"

namespace ttg::demo {

namespace {

using Clock = std::chrono::steady_clock;

// The prototype's scales. `work_ms` is the placeholder's sleep per
// parameter; the picture is `width` x `height` points of the Mandelbrot set
// (width * height = params) computed to `max_iter` iterations.
struct Scale {
  int64_t params;
  int64_t chunk;
  int64_t work_ms;
  int64_t width, height, max_iter;
};

Scale scale_of(const std::string& name) {
  if (name == "medium") return {10'000, 100, 10, 125, 80, 200'000};
  if (name == "large") return {1'000'000, 10'000, 0, 1250, 800, 2'000};
  return {1'000, 10, 100, 40, 25, 2'000'000};
}

// A field of a result or event entry; "" when it has none.
std::string field(const queue::ResultRecord& r, const char* key) {
  auto it = r.fields.find(key);
  return it == r.fields.end() ? std::string() : it->second;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct WorkerProc {
  std::string name;
  util::Process proc;
  bool killed = false;
  int64_t done = 0;
};

class Demo {
 public:
  Demo(const DemoOptions& o, std::ostream& out, const std::atomic<bool>& stop)
      : o_(o), out_(out), stop_(stop) {}

  ~Demo() { stop_workers(); }

  Result<DemoOutcome> run() {
    auto dir = util::TempDir::create("ttg-demo-");
    if (!dir) return make_error(ErrorCode::kIo, dir.error());
    dir_ = std::make_unique<util::TempDir>(std::move(*dir));
    logs_ = dir_->path();

    // Redis: the one given, else a private server of our own.
    redis::Options ro;
    if (o_.redis) {
      ro = *o_.redis;
    } else {
      redis::LocalServerOptions lo;
      lo.transport = redis::LocalServerOptions::Transport::kUnixSocket;
      auto server = redis::LocalServer::start(lo);
      if (!server) return tl::unexpected(server.error().with_context("starting redis-server"));
      server_ = std::make_unique<redis::LocalServer>(std::move(*server));
      ro = server_->options();
      say("started a private redis-server (pid " + std::to_string(server_->pid()) + ") at " +
          server_->url());
    }
    url_ = redis::describe(ro);

    TTG_TRY_ASSIGN(JobSpec spec, demo_spec(o_));
    if (web()) {
      // The dashboard of `ttg serve`, on this process's threads, reading
      // the demo's Redis.
      serve::ServerOptions so;
      so.poller.redis = ro;
      so.poller.refresh_ms = 500;
      so.port = o_.web_port;
      so.version = o_.version;
      TTG_TRY_ASSIGN(web_, serve::Server::start(std::move(so)));
      if (!o_.json) {
        clear_progress();
        out_ << "dashboard: " << web_->url() << "\n";
        out_.flush();
      }
    }
    if (spec.kernel == "mandelbrot" && !o_.total_params) width_ = scale_of(o_.scale).width;
    store_ = std::make_unique<queue::JobStore>(ro);
    queue::SubmitOptions so;
    so.force = true;
    TTG_TRY(store_->submit(o_.job, spec, so));
    say("job " + o_.job + ": " + std::to_string(spec.total_params) + " parameter sets in " +
        std::to_string(spec.total_chunks()) + " chunks, kernel " + spec.kernel + " " +
        spec.args.dump() + "; " + std::to_string(o_.workers) + " workers" +
        (o_.fault_demo ? ", one killed at " + fixed(o_.kill_at * 100, 0) + "%" : ""));

    started_ = Clock::now();
    TTG_TRY(start_workers(ro));
    auto watched = watch(spec);
    stop_workers();
    TTG_TRY(watched);
    DemoOutcome outcome;
    if (stop_.load()) {
      say("interrupted");
      outcome.interrupted = true;
      return outcome;
    }
    TTG_TRY_ASSIGN(auto status, store_->status(o_.job));
    verify::CheckOptions check;
    check.dead = status.dead;
    TTG_TRY_ASSIGN(auto verdict, verify::check_job(*store_, o_.job, spec, check));
    outcome.pass = verdict.pass;

    Summary sum;
    sum.job = o_.job;
    sum.kernel = spec.kernel;
    sum.workers = o_.workers;
    sum.total_params = spec.total_params;
    sum.seconds = finished_s_;
    sum.killed_worker = victim_;
    sum.takeover_seconds = takeover_s_;
    sum.events = events_;
    const bool kept = o_.keep && server_ != nullptr;
    if (kept) {
      server_->detach();
      sum.kept_redis = url_;
    }
    if (o_.json) {
      out_ << summary_json(sum, status, verdict).dump() << "\n";
      out_.flush();
    } else if (o_.monitor != Monitor::kNone) {
      print_summary(out_, sum, status, verdict);
      if (width_ > 0) {
        auto picture = mandelbrot_picture(*store_, o_.job, spec, width_);
        if (picture) out_ << *picture;
      }
      print_next_steps(kept);
    }
    if (web_ && o_.serve_after_verdict) wait_for_enter();
    return outcome;
  }

 private:
  static std::string fixed(double v, int digits = 1) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
  }

  bool quiet() const { return o_.json || o_.monitor == Monitor::kNone; }
  bool web() const { return o_.monitor == Monitor::kWeb || o_.monitor == Monitor::kBoth; }

  // After the verdict: the dashboard stays until Enter (a line on stdin),
  // the end of stdin, or a stop request (Ctrl-C).
  void wait_for_enter() {
    out_ << "\nThe dashboard stays at " << web_->url()
         << ": press Enter (or Ctrl-C) to stop it and end the demo.\n";
    out_.flush();
    char buf[256];
    while (!stop_.load()) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      const int ready = ::poll(&p, 1, 100);
      if (ready < 0 && errno != EINTR) return;
      if (ready <= 0) continue;
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) return;  // the end of stdin, or an error
      if (std::find(buf, buf + n, '\n') != buf + n) return;
    }
  }

  void say(const std::string& line) {
    if (quiet()) return;
    clear_progress();
    out_ << line << "\n";
    out_.flush();
  }

  void clear_progress() {
    if (progress_shown_) {
      out_ << "\r\033[K";
      progress_shown_ = false;
    }
  }

  // What the user can do next, with commands that work: only while the
  // demo's Redis still runs (kept, or the user's own).
  void print_next_steps(bool kept) {
    const std::string ttg = o_.program_shown.empty() ? "ttg" : o_.program_shown;
    if (server_ && !kept) {
      out_ << "\nThe demo's Redis "
           << (web_ && o_.serve_after_verdict ? "stops with the dashboard" : "has stopped")
           << ", and its results with it. Run again with --keep\n"
              "to keep it running and read the results with `ttg results`.\n";
    } else {
      if (kept) {
        out_ << "\nThe demo's Redis keeps running at " << url_ << " (pid " << server_->pid()
             << ").\n";
      }
      out_ << "\nTry:\n"
           << "  " << ttg << " results " << o_.job << " --redis " << url_ << " | head\n"
           << "  " << ttg << " status " << o_.job << " --redis " << url_ << "\n"
           << "  " << ttg << " verify " << o_.job << " --redis " << url_ << "\n"
           << "  " << ttg << " serve --redis " << url_ << "   # the dashboard\n";
      if (kept) {
        out_ << "Stop it with:\n  kill " << server_->pid() << " && rm -r " << server_->dir() << " "
             << logs_ << "\n";
      }
    }
    if (o_.keep) out_ << "Worker logs: " << logs_ << "\n";
    out_.flush();
  }

  Status start_workers(const redis::Options& ro) {
    std::vector<std::string> env;
    if (!ro.password.empty()) env.push_back("TTG_REDIS_PASSWORD=" + ro.password);
    for (int i = 1; i <= o_.workers; ++i) {
      std::string name = "w" + std::to_string(i);
      util::SpawnOptions so;
      so.extra_env = env;
      so.stdout_path = dir_->path() + "/" + name + ".log";
      so.stderr_path = so.stdout_path;
      so.new_process_group = true;
      auto p = util::Process::spawn(
          {o_.program, "worker", "--job", o_.job, "--redis", url_, "--worker-id", name, "--threads",
           "1", "--idle-timeout", "60", "--lease-ms", std::to_string(o_.lease_ms),
           "--reclaim-interval-ms", std::to_string(o_.reclaim_interval_ms), "--log-level", "info"},
          so);
      if (!p) return make_error(ErrorCode::kIo, p.error());
      workers_.push_back(WorkerProc{name, std::move(*p)});
    }
    return {};
  }

  void stop_workers() {
    for (auto& w : workers_) {
      if (w.proc.valid()) w.proc.stop(std::chrono::milliseconds(3000));
    }
    if (o_.keep && dir_) dir_->release();
  }

  // Reads new results (for per-worker counts and the takeover time).
  Status read_results() {
    for (int round = 0; round < 100; ++round) {
      TTG_TRY_ASSIGN(auto batch, store_->results_after(o_.job, last_result_, 1000));
      if (batch.empty()) return {};
      for (const auto& r : batch) {
        last_result_ = r.entry_id;
        auto get = [&](const char* k) { return field(r, k); };
        std::string worker = get("worker_id");
        int64_t chunk = util::parse_int(get("chunk_id")).value_or(-1);
        for (auto& w : workers_) {
          if (w.name == worker) ++w.done;
        }
        if (worker == victim_ && victim_chunks_.erase(chunk) > 0) {
          // Its commit was on the wire when it died: not a takeover.
          event("chunk " + std::to_string(chunk) + " was committed by " + victim_ +
                " itself, sent just before it died");
        } else if (victim_chunks_.erase(chunk) > 0) {
          event("chunk " + std::to_string(chunk) + " of killed " + victim_ + " committed by " +
                worker + " " + fixed(seconds_since(kill_time_)) + " s after the kill");
          if (victim_chunks_.empty()) takeover_s_ = seconds_since(kill_time_);
        }
      }
    }
    return {};
  }

  Status read_events() {
    TTG_TRY_ASSIGN(auto events, store_->events(o_.job, last_event_, 1000));
    for (const auto& e : events) {
      last_event_ = e.entry_id;
      auto get = [&](const char* k) { return field(e, k); };
      std::string type = get("type");
      if (type == "takeover") {
        event("chunk " + get("chunk") + " taken over by " + get("to") + " from " + get("from") +
              " after " +
              fixed(static_cast<double>(util::parse_int(get("idle_ms")).value_or(0)) / 1000.0) +
              " s idle");
      } else if (type == "duplicate") {
        event("duplicate of chunk " + get("chunk") + " from " + get("worker") + " suppressed");
      } else if (type == "dead") {
        event("chunk " + get("chunk") + " dead-lettered (" + get("reason") + ")");
      } else if (type == "retry") {
        event("chunk " + get("chunk") + " failed on " + get("worker") + ", retry " +
              get("attempt"));
      }
    }
    return {};
  }

  void event(const std::string& text) {
    events_.push_back(text);
    say("[" + fixed(seconds_since(started_)) + " s] " + text);
  }

  // Kills a worker that holds a chunk. The chunks it held are read only once
  // it is dead: read before, a chunk committed in the instant between the
  // read and the signal would be awaited as a takeover that never comes.
  // A worker that had just committed everything it held is dead with
  // nothing to take over; another is then killed on a later round, as long
  // as one worker would be left.
  Status kill_one(const queue::JobStatus& st) {
    int alive = 0;
    for (const auto& w : workers_) alive += w.killed ? 0 : 1;
    if (alive < 2) return {};
    for (auto& w : workers_) {
      auto it = st.in_flight.find(w.name);
      if (it == st.in_flight.end() || it->second == 0 || w.killed) continue;
      w.proc.signal(SIGKILL);
      kill_time_ = Clock::now();
      w.killed = true;
      w.proc.wait_for(std::chrono::milliseconds(5000));
      TTG_TRY_ASSIGN(auto held, store_->in_flight_chunks(o_.job, st.total_chunks, 100, w.name));
      if (held.empty()) {
        event(w.name +
              " killed with SIGKILL just after it committed its last chunk; it held none, "
              "so another worker will be killed");
        return {};
      }
      victim_ = w.name;
      std::string list;
      for (const auto& p : held) {
        victim_chunks_.insert(p.chunk);
        list += (list.empty() ? "" : ",") + std::to_string(p.chunk);
      }
      killed_ = true;
      event(w.name + " killed with SIGKILL while holding chunk " + list);
      return {};
    }
    return {};  // nobody holds a chunk at this instant: try again next round
  }

  // What the job waits for, when only the killed worker's chunks are left:
  // "chunk 37 of killed w2: handed back, waiting for a worker".
  std::string waiting_for(const std::vector<queue::JobStore::InFlightChunk>& pending) const {
    if (victim_chunks_.empty()) return "";
    for (const auto& p : pending) {
      if (victim_chunks_.count(p.chunk) == 0) continue;
      std::string head = "chunk " + std::to_string(p.chunk) + " of killed " + victim_ + ": ";
      if (p.consumer == queue::kHandedBack) return head + "handed back, waiting for a worker";
      if (p.consumer == victim_) {
        return head + "waiting until its worker is seen gone (closed connection) or its " +
               fixed(static_cast<double>(o_.lease_ms) / 1000.0, 0) + " s lease runs out";
      }
      return head + "taken over by " + p.consumer;
    }
    return "";
  }

  void progress(const queue::JobStatus& s) {
    if (quiet() || o_.monitor == Monitor::kWeb) return;
    const int64_t finished = s.done + s.dead;
    double frac =
        s.total_chunks ? static_cast<double>(finished) / static_cast<double>(s.total_chunks) : 0;
    double el = seconds_since(started_);
    double rate = el > 0 ? static_cast<double>(s.done) / el : 0;
    // A row per worker: state, current chunk, chunks done ("w2 busy #37 12 done").
    std::map<std::string, std::string> current;
    auto pending = store_->in_flight_chunks(o_.job, s.total_chunks, 100);
    std::vector<queue::JobStore::InFlightChunk> none;
    const auto& in_flight = pending ? *pending : none;
    for (const auto& p : in_flight) {
      auto& slot = current[p.consumer];
      slot += (slot.empty() ? "#" : ",#") + std::to_string(p.chunk);
    }
    std::string waiting = waiting_for(in_flight);
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::string line = "[" + bar + "] " + std::to_string(finished) + "/" +
                       std::to_string(s.total_chunks) + " chunks  " + fixed(rate, 1) +
                       " chunks/s  ";
    // Only the killed worker's chunks left: say what they wait for rather
    // than an ETA that means nothing.
    bool only_victims = !waiting.empty() &&
                        static_cast<int64_t>(victim_chunks_.size()) >= s.total_chunks - finished;
    if (only_victims) {
      line += waiting;
    } else {
      double eta = rate > 0 ? static_cast<double>(s.total_chunks - finished) / rate : 0;
      line += "ETA " + fixed(eta, 0) + " s  |";
      for (auto& w : workers_) {
        auto it = current.find(w.name);
        line += " " + w.name + " " +
                (w.killed              ? std::string("killed")
                 : it != current.end() ? "busy " + it->second
                                       : std::string("idle")) +
                " " + std::to_string(w.done) + " done;";
      }
      if (line.back() == ';') line.pop_back();
    }
    if (o_.interactive) {
      clear_progress();
      out_ << line;
      progress_shown_ = true;
      out_.flush();
    } else if (Clock::now() >= next_plain_ || (only_victims && waiting != last_waiting_)) {
      out_ << line << "\n";
      out_.flush();
      next_plain_ = Clock::now() + std::chrono::seconds(2);
    }
    last_waiting_ = waiting;
  }

  Status watch(const JobSpec& spec) {
    // Bounded: the ideal time times ten plus two minutes, at most.
    double work_s = static_cast<double>(spec.total_params) *
                    static_cast<double>(spec.args.value("work_ms", 0)) / 1000.0;
    auto deadline = started_ + std::chrono::seconds(120) +
                    std::chrono::milliseconds(
                        static_cast<int64_t>(work_s * 10000.0 / std::max(1, o_.workers - 1)));
    for (;;) {
      if (stop_.load()) return {};
      TTG_TRY(read_events());
      TTG_TRY(read_results());
      TTG_TRY_ASSIGN(auto st, store_->status(o_.job));
      progress(st);
      if (o_.fault_demo && !killed_ && st.total_chunks > 0 &&
          static_cast<double>(st.done) / static_cast<double>(st.total_chunks) >= o_.kill_at) {
        TTG_TRY(kill_one(st));
      }
      if (st.state == JobState::kComplete) {
        finished_s_ = seconds_since(started_);
        TTG_TRY(read_results());
        clear_progress();
        return {};
      }
      bool any_alive = false;
      for (auto& w : workers_) any_alive = any_alive || w.proc.running();
      if (!any_alive) {
        return make_error(ErrorCode::kInternal,
                          "every worker exited before the job was complete; logs in " + logs_);
      }
      if (Clock::now() > deadline) {
        return make_error(ErrorCode::kTimeout,
                          "the job did not complete in time; logs in " + logs_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // monitor refresh
    }
  }

  const DemoOptions& o_;
  std::ostream& out_;
  const std::atomic<bool>& stop_;
  int64_t width_ = 0;
  std::unique_ptr<util::TempDir> dir_;
  std::string logs_;
  std::unique_ptr<redis::LocalServer> server_;
  std::string url_;
  std::unique_ptr<queue::JobStore> store_;
  std::vector<WorkerProc> workers_;
  Clock::time_point started_;
  Clock::time_point kill_time_;
  Clock::time_point next_plain_{};
  bool killed_ = false;
  bool progress_shown_ = false;
  std::string victim_;
  std::set<int64_t> victim_chunks_;
  std::optional<double> takeover_s_;
  double finished_s_ = 0;
  std::string last_result_, last_event_, last_waiting_;
  std::vector<std::string> events_;
  // Last: stopped first, while the Redis it reads is still up.
  std::unique_ptr<serve::Server> web_;
};

}  // namespace

Result<JobSpec> demo_spec(const DemoOptions& o) {
  Scale sc = scale_of(o.scale);
  JobSpec spec;
  spec.kernel = o.kernel;
  spec.total_params = o.total_params.value_or(sc.params);
  if (spec.kernel == "mandelbrot" && !o.total_params) {
    // A picture: rows top to bottom, x varying fastest.
    TTG_TRY_ASSIGN(auto y, Dimension::linspace("y", 1.15, -1.15, sc.height));
    TTG_TRY_ASSIGN(auto x, Dimension::linspace("x", -2.1, 0.6, sc.width));
    TTG_TRY_ASSIGN(auto space, ParamSpace::grid({y, x}));
    spec.set_space(space);
  }
  spec.chunk_size = o.chunk_size.value_or(sc.chunk);
  spec.max_attempts = o.max_attempts;
  spec.args = o.args;
  if (spec.kernel == "mandelbrot" && !spec.args.contains("max_iter")) {
    spec.args["max_iter"] = sc.max_iter;
  }
  if (spec.kernel == "simulate" && !spec.args.contains("work_ms")) {
    spec.args["work_ms"] = o.simulate_work_ms.value_or(sc.work_ms);
  }
  TTG_TRY(spec.validate());
  TTG_TRY(kernels::validate(spec));
  return spec;
}

Result<DemoOutcome> run_demo(const DemoOptions& options, std::ostream& out,
                             const std::atomic<bool>& stop) {
  if (options.job.empty()) return make_error(ErrorCode::kInvalidArgument, "the demo needs a job");
  Demo demo(options, out, stop);
  return demo.run();
}

}  // namespace ttg::demo
