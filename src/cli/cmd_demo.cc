// `ttg demo`: the prototype's proof on any machine. Starts a private
// redis-server (unless --redis), N worker processes and a job; with
// --fault-demo kills a worker that holds a chunk; watches; then checks a
// computed verdict: every chunk exactly one result, none missing, every
// value equal to a single-process recomputation.

#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <thread>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/verdict.h"
#include "core/param_space.h"
#include "kernels/kernel.h"
#include "queue/codec.h"
#include "queue/keys.h"
#include "redis/local_server.h"
#include "util/process.h"
#include "util/strings.h"
#include "util/temp_dir.h"

namespace ttg::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct DemoArgs {
  std::string scale = "small";
  int workers = 3;
  bool fault_demo = false;
  double kill_at = 0.3;
  std::string kernel = "mandelbrot";
  std::vector<std::string> args;
  std::string monitor = "cli";
  bool json = false;
  bool keep = false;
};

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

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string fixed(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

struct WorkerProc {
  std::string name;
  util::Process proc;
  bool killed = false;
  int64_t done = 0;
};

class Demo {
 public:
  Demo(const Context& ctx, const DemoArgs& a) : ctx_(ctx), a_(a) {}

  int run() {
    install_stop_handlers();
    auto dir = util::TempDir::create("ttg-demo-");
    if (!dir) return report(ctx_, "demo", Error{ErrorCode::kIo, dir.error()});
    dir_ = std::make_unique<util::TempDir>(std::move(*dir));

    // Redis: the one given, else a private server of our own.
    redis::Options ro;
    if (!ctx_.settings.redis_url.empty()) {
      auto given = redis_options(ctx_.settings);
      if (!given) return report(ctx_, "demo", given.error());
      ro = *given;
    } else {
      redis::LocalServerOptions lo;
      lo.transport = redis::LocalServerOptions::Transport::kUnixSocket;
      auto server = redis::LocalServer::start(lo);
      if (!server)
        return report(ctx_, "demo", server.error().with_context("starting redis-server"));
      server_ = std::make_unique<redis::LocalServer>(std::move(*server));
      ro = server_->options();
      say("started private redis-server (pid " + std::to_string(server_->pid()) + ") at " +
          server_->url());
    }

    Scale sc = scale_of(a_.scale);
    JobSpec spec;
    spec.kernel = a_.kernel;
    spec.total_params = ctx_.settings.sources.count("total_parameters")
                            ? ctx_.settings.total_parameters
                            : sc.params;
    if (spec.kernel == "mandelbrot" && !ctx_.settings.sources.count("total_parameters")) {
      // A picture: rows top to bottom, x varying fastest.
      auto y = Dimension::linspace("y", 1.15, -1.15, sc.height);
      auto x = Dimension::linspace("x", -2.1, 0.6, sc.width);
      if (!y || !x) return report(ctx_, "demo", (!y ? y.error() : x.error()));
      auto space = ParamSpace::grid({*y, *x});
      if (!space) return report(ctx_, "demo", space.error());
      spec.set_space(*space);
      width_ = sc.width;
    }
    spec.chunk_size =
        ctx_.settings.sources.count("chunk_size") ? ctx_.settings.chunk_size : sc.chunk;
    spec.max_attempts = ctx_.settings.max_attempts;
    auto args = parse_kernel_args(a_.args);
    if (!args) return report(ctx_, "demo", args.error());
    spec.args = *args;
    if (spec.kernel == "mandelbrot" && !spec.args.contains("max_iter")) {
      spec.args["max_iter"] = sc.max_iter;
    }
    if (spec.kernel == "simulate" && !spec.args.contains("work_ms")) {
      spec.args["work_ms"] = ctx_.settings.sources.count("simulate_work_ms")
                                 ? ctx_.settings.simulate_work_ms
                                 : sc.work_ms;
    }
    if (auto st = spec.validate(); !st) return report(ctx_, "demo", st.error());
    if (auto st = kernels::validate(spec); !st) return report(ctx_, "demo", st.error());

    job_ = ctx_.settings.job.empty() ? "demo-" + generate_job_name().substr(4) : ctx_.settings.job;
    store_ = std::make_unique<queue::JobStore>(ro);
    auto submitted = store_->submit(job_, spec, queue::SubmitOptions{true, 2000});
    if (!submitted) return report(ctx_, "demo", submitted.error());
    say("job " + job_ + ": " + std::to_string(spec.total_params) + " params in " +
        std::to_string(spec.total_chunks()) + " chunks, kernel " + spec.kernel + " " +
        spec.args.dump() + "; " + std::to_string(a_.workers) + " workers" +
        (a_.fault_demo ? ", one killed at " + fixed(a_.kill_at * 100, 0) + "%" : ""));

    started_ = Clock::now();
    if (auto st = start_workers(ro); !st) return report(ctx_, "demo", st.error());
    auto watched = watch(spec);
    stop_workers();
    if (!watched) return report(ctx_, "demo", watched.error());
    if (stop_requested().load()) {
      say("interrupted");
      return 130;
    }
    double total_s = finished_s_;
    auto status = store_->status(job_);
    if (!status) return report(ctx_, "demo", status.error());
    auto verdict = compute_verdict(*store_, job_, spec, status->dead);
    if (!verdict) return report(ctx_, "demo", verdict.error());
    print_results(spec, *status, *verdict, total_s);
    if (width_ > 0 && !a_.json && a_.monitor != "none") print_picture(spec);
    if (a_.keep) {
      dir_->release();
      say("kept " + dir_->path());
    }
    return verdict->pass ? kExitOk : kExitFailure;
  }

 private:
  void say(const std::string& line) {
    if (a_.json || a_.monitor == "none") return;
    clear_progress();
    ctx_.out << line << "\n";
    ctx_.out.flush();
  }

  void clear_progress() {
    if (progress_shown_) {
      ctx_.out << "\r\033[K";
      progress_shown_ = false;
    }
  }

  Status start_workers(const redis::Options& ro) {
    std::string url = redis::describe(ro);
    std::vector<std::string> env;
    if (!ro.password.empty()) env.push_back("TTG_REDIS_PASSWORD=" + ro.password);
    for (int i = 1; i <= a_.workers; ++i) {
      std::string name = "w" + std::to_string(i);
      util::SpawnOptions so;
      so.extra_env = env;
      so.stdout_path = dir_->path() + "/" + name + ".log";
      so.stderr_path = so.stdout_path;
      so.new_process_group = true;
      auto p = util::Process::spawn(
          {self_path(), "worker", "--job", job_, "--redis", url, "--worker-id", name, "--threads",
           "1", "--idle-timeout", "60", "--lease-ms", std::to_string(ctx_.settings.lease_ms),
           "--reclaim-interval-ms", std::to_string(ctx_.settings.reclaim_interval_ms),
           "--log-level", "info"},
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
  }

  // Reads new results (for per-worker counts and the takeover time).
  Status read_results() {
    queue::JobKeys k(job_);
    for (int round = 0; round < 100; ++round) {
      TTG_TRY_ASSIGN(auto batch,
                     store_->client().command({"XRANGE", k.results,
                                               last_result_.empty() ? "-" : "(" + last_result_, "+",
                                               "COUNT", "1000"}));
      if (batch.size() == 0) return {};
      for (const auto& e : batch.elements()) {
        last_result_ = e[0].str();
        std::string worker;
        int64_t chunk = -1;
        const auto& f = e[1].elements();
        for (size_t i = 0; i + 1 < f.size(); i += 2) {
          if (f[i].str() == "worker_id") worker = f[i + 1].str();
          if (f[i].str() == "chunk_id") chunk = util::parse_int(f[i + 1].str()).value_or(-1);
        }
        for (auto& w : workers_) {
          if (w.name == worker) ++w.done;
        }
        if (victim_chunks_.erase(chunk) > 0) {
          event("chunk " + std::to_string(chunk) + " of killed " + victim_ + " committed by " +
                worker + " " + fixed(seconds_since(kill_time_)) + " s after the kill");
          if (victim_chunks_.empty()) takeover_s_ = seconds_since(kill_time_);
        }
      }
    }
    return {};
  }

  Status read_events() {
    TTG_TRY_ASSIGN(auto events,
                   store_->events(job_, last_event_.empty() ? "-" : last_event_, 1000));
    for (const auto& e : events) {
      last_event_ = e.entry_id;
      auto get = [&](const char* k) {
        auto it = e.fields.find(k);
        return it == e.fields.end() ? std::string() : it->second;
      };
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

  Status kill_one() {
    // A worker that holds a chunk right now.
    auto st = store_->status(job_);
    if (!st) return tl::unexpected(st.error());
    for (auto& w : workers_) {
      auto it = st->in_flight.find(w.name);
      if (it == st->in_flight.end() || it->second == 0 || w.killed) continue;
      queue::JobKeys k(job_);
      TTG_TRY_ASSIGN(auto pending, store_->client().command({"XPENDING", k.tasks, queue::kGroup,
                                                             "-", "+", "100", w.name}));
      w.proc.signal(SIGKILL);
      kill_time_ = Clock::now();
      w.killed = true;
      victim_ = w.name;
      std::string held;
      for (const auto& p : pending.elements()) {
        auto c = queue::chunk_of_entry_id(p[0].str(), st->total_chunks);
        if (!c) continue;
        victim_chunks_.insert(*c);
        held += (held.empty() ? "" : ",") + std::to_string(*c);
      }
      killed_ = true;
      event(w.name + " killed with SIGKILL while holding chunk " + held);
      return {};
    }
    return {};  // nobody holds a chunk at this instant: try again next round
  }

  void progress(const queue::JobStatus& s) {
    if (a_.json || a_.monitor == "none") return;
    double frac = s.total_chunks
                      ? static_cast<double>(s.done + s.dead) / static_cast<double>(s.total_chunks)
                      : 0;
    double el = seconds_since(started_);
    double rate = el > 0 ? static_cast<double>(s.done) / el : 0;
    double eta = rate > 0 ? static_cast<double>(s.total_chunks - s.done - s.dead) / rate : 0;
    const int width = 30;
    int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::string line = "[" + bar + "] " + std::to_string(s.done + s.dead) + "/" +
                       std::to_string(s.total_chunks) + " chunks  " + fixed(rate, 1) +
                       " chunks/s  ETA " + fixed(eta, 0) + " s  |";
    // A row per worker: state, current chunk, chunks done ("w2 busy #37 12 done").
    std::map<std::string, std::string> current;
    queue::JobKeys k(job_);
    auto pending = store_->client().command({"XPENDING", k.tasks, queue::kGroup, "-", "+", "100"});
    if (pending) {
      for (const auto& e : pending->elements()) {
        if (e.size() < 2) continue;
        auto c = queue::chunk_of_entry_id(e[0].str(), s.total_chunks);
        if (!c) continue;
        auto& slot = current[e[1].str()];
        slot += (slot.empty() ? "#" : ",#") + std::to_string(*c);
      }
    }
    for (auto& w : workers_) {
      auto it = current.find(w.name);
      line += " " + w.name + " " +
              (w.killed              ? std::string("killed")
               : it != current.end() ? "busy " + it->second
                                     : std::string("idle")) +
              " " + std::to_string(w.done) + " done;";
    }
    if (line.back() == ';') line.pop_back();
    if (tty_) {
      clear_progress();
      ctx_.out << line;
      progress_shown_ = true;
      ctx_.out.flush();
    } else if (Clock::now() >= next_plain_) {
      ctx_.out << line << "\n";
      ctx_.out.flush();
      next_plain_ = Clock::now() + std::chrono::seconds(2);
    }
  }

  Status watch(const JobSpec& spec) {
    tty_ = a_.monitor == "cli" && !a_.json && isatty(STDOUT_FILENO);
    // Bounded: the ideal time times ten plus two minutes, at most.
    double work_s = static_cast<double>(spec.total_params) *
                    static_cast<double>(spec.args.value("work_ms", 0)) / 1000.0;
    auto deadline = started_ + std::chrono::seconds(120) +
                    std::chrono::milliseconds(
                        static_cast<int64_t>(work_s * 10000.0 / std::max(1, a_.workers - 1)));
    for (;;) {
      if (stop_requested().load()) return {};
      TTG_TRY(read_events());
      TTG_TRY(read_results());
      auto st = store_->status(job_);
      if (!st) return tl::unexpected(st.error());
      progress(*st);
      if (a_.fault_demo && !killed_ && st->total_chunks > 0 &&
          static_cast<double>(st->done) / static_cast<double>(st->total_chunks) >= a_.kill_at) {
        TTG_TRY(kill_one());
      }
      if (st->state == JobState::kComplete) {
        finished_s_ = seconds_since(started_);
        TTG_TRY(read_results());
        clear_progress();
        return {};
      }
      bool any_alive = false;
      for (auto& w : workers_) any_alive = any_alive || w.proc.running();
      if (!any_alive) {
        return make_error(
            ErrorCode::kInternal,
            "every worker exited before the job was complete; logs in " + dir_->path());
      }
      if (Clock::now() > deadline) {
        return make_error(ErrorCode::kTimeout,
                          "the job did not complete in time; logs in " + dir_->path());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // monitor refresh
    }
  }

  void print_results(const JobSpec& spec, const queue::JobStatus& s, const Verdict& v,
                     double total_s) {
    double params_per_s = total_s > 0 ? static_cast<double>(spec.total_params) / total_s : 0;
    const std::string text = verdict_text(v);
    if (a_.json) {
      nlohmann::json j = {
          {"job", job_},
          {"kernel", spec.kernel},
          {"workers", a_.workers},
          {"chunks_total", v.total},
          {"chunks_completed", s.done},
          {"missing_results", v.missing},
          {"duplicate_results", v.duplicate_results},
          {"mismatched_values", v.mismatched},
          {"suppressed_duplicates", s.duplicates},
          {"dead_letters", s.dead},
          {"takeovers", s.takeovers},
          {"total_seconds", total_s},
          {"params_per_second", params_per_s},
          {"killed_worker", victim_.empty() ? nlohmann::json(nullptr) : nlohmann::json(victim_)},
          {"takeover_seconds",
           takeover_s_ ? nlohmann::json(*takeover_s_) : nlohmann::json(nullptr)},
          {"verdict", v.pass ? "pass" : "fail"},
          {"verdict_detail", text},
          {"events", events_}};
      ctx_.out << j.dump() << "\n";
      return;
    }
    auto row = [&](const std::string& k, const std::string& val) {
      std::string key = k;
      key.resize(30, ' ');
      ctx_.out << "  " << key << val << "\n";
    };
    ctx_.out << "\n================================ RESULTS ================================\n";
    row("chunks completed", std::to_string(s.done) + "/" + std::to_string(v.total));
    row("missing results", std::to_string(v.missing));
    row("duplicate results", std::to_string(v.duplicate_results));
    row("suppressed duplicates", std::to_string(s.duplicates));
    row("dead letters", std::to_string(s.dead));
    row("takeovers", std::to_string(s.takeovers));
    row("total time", fixed(total_s) + " s");
    row("throughput", fixed(params_per_s) + " params/s");
    if (!victim_.empty()) {
      row("killed worker", victim_);
      row("kill -> committed elsewhere", takeover_s_ ? fixed(*takeover_s_) + " s" : "not measured");
    }
    row("verdict", text);
    ctx_.out << "=========================================================================\n";
  }

  // The Mandelbrot picture from the stored results: '#' inside the set,
  // shades by escape time outside. Wide pictures are sampled down.
  void print_picture(const JobSpec& spec) {
    const int64_t height = spec.total_params / width_;
    const int64_t step = std::max<int64_t>(1, (width_ + 99) / 100);
    std::vector<std::string> rows(static_cast<size_t>(height),
                                  std::string(static_cast<size_t>(width_), ' '));
    const std::string shades = " .:-=+*%@";
    int64_t max_iter = spec.args.value("max_iter", int64_t{256});
    auto st = store_->for_each_result(job_, [&](const queue::ResultRecord& r) {
      auto data = nlohmann::json::parse(
          r.fields.count("result_data") ? r.fields.at("result_data") : "[]", nullptr, false);
      if (!data.is_array()) return;
      for (const auto& rec : data) {
        int64_t i = rec.value("param_index", int64_t{-1});
        if (i < 0 || i >= spec.total_params) continue;
        char c = '#';
        if (!rec.value("inside", false)) {
          double it = static_cast<double>(rec.value("iterations", int64_t{0}));
          double f = std::log(it + 1) / std::log(static_cast<double>(max_iter) + 1);
          c = shades[static_cast<size_t>(std::min(0.999, f * 4) *
                                         static_cast<double>(shades.size()))];
        }
        rows[static_cast<size_t>(i / width_)][static_cast<size_t>(i % width_)] = c;
      }
    });
    if (!st) return;
    ctx_.out << "\n";
    for (int64_t y = 0; y < height; y += step * 2) {
      std::string line;
      for (int64_t x = 0; x < width_; x += step)
        line += rows[static_cast<size_t>(y)][static_cast<size_t>(x)];
      ctx_.out << "  " << line << "\n";
    }
    ctx_.out << "  (the Mandelbrot set, " << width_ << " x " << height << " points; `ttg results "
             << job_ << "` has every value)\n";
  }

  const Context& ctx_;
  const DemoArgs& a_;
  int64_t width_ = 0;
  std::unique_ptr<util::TempDir> dir_;
  std::unique_ptr<redis::LocalServer> server_;
  std::unique_ptr<queue::JobStore> store_;
  std::string job_;
  std::vector<WorkerProc> workers_;
  Clock::time_point started_;
  Clock::time_point kill_time_;
  Clock::time_point next_plain_{};
  bool killed_ = false;
  bool tty_ = false;
  bool progress_shown_ = false;
  std::string victim_;
  std::set<int64_t> victim_chunks_;
  std::optional<double> takeover_s_;
  double finished_s_ = 0;
  std::string last_result_, last_event_;
  std::vector<std::string> events_;
};

}  // namespace

Handler setup_demo(CLI::App& app) {
  auto a = std::make_shared<DemoArgs>();
  app.add_option("--scale", a->scale, "small (1,000 params), medium (10,000) or large (1,000,000)")
      ->check(CLI::IsMember({"small", "medium", "large"}));
  app.add_option("--workers", a->workers, "Worker processes (3)")->check(CLI::Range(1, 64));
  app.add_flag("--fault-demo", a->fault_demo,
               "Kill a worker holding a chunk (SIGKILL) at --kill-at");
  app.add_option("--kill-at", a->kill_at, "Progress at which to kill (0.3)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--kernel", a->kernel,
                 "Kernel (mandelbrot: a picture; simulate: the prototype's placeholder)");
  app.add_option("--arg", a->args, "Kernel argument key=value (repeatable)");
  app.add_option("--monitor", a->monitor, "cli or none")->check(CLI::IsMember({"cli", "none"}));
  app.add_flag("--json", a->json, "Print the results as one JSON object");
  app.add_flag("--keep", a->keep, "Keep the demo's directory (worker logs)");
  return [a](const Context& ctx) -> int {
    Demo demo(ctx, *a);
    return demo.run();
  };
}

}  // namespace ttg::cli
