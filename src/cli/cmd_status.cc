// `ttg status [JOB] [--json] [--watch]` and `ttg jobs [--json]`.

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <thread>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "queue/keys.h"

namespace ttg::cli {

namespace {

struct Rates {
  double chunks_per_s = 0;
  double params_per_s = 0;
  double eta_s = -1;  // unknown
  double elapsed_s = 0;
};

Rates rates_of(const queue::JobStatus& s) {
  Rates r;
  if (s.first_claim_ms <= 0) return r;
  int64_t end = s.finished_ms > 0 ? s.finished_ms : unix_ms();
  r.elapsed_s = std::max(0.001, static_cast<double>(end - s.first_claim_ms) / 1000.0);
  r.chunks_per_s = static_cast<double>(s.done + s.dead) / r.elapsed_s;
  double mean_chunk = static_cast<double>(s.spec.total_params) /
                      static_cast<double>(std::max<int64_t>(1, s.total_chunks));
  r.params_per_s = r.chunks_per_s * mean_chunk;
  int64_t left = s.total_chunks - s.done - s.dead;
  if (s.state == JobState::kCancelled) {
    r.eta_s = -1;  // nothing more will be done
  } else if (left <= 0) {
    r.eta_s = 0;
  } else if (r.chunks_per_s > 0) {
    r.eta_s = static_cast<double>(left) / r.chunks_per_s;
  }
  return r;
}

// A job that ended with chunks that have no result.
bool ended_with_dead(const queue::JobStatus& s) {
  return (s.state == JobState::kComplete || s.state == JobState::kCancelled) && s.dead > 0;
}

nlohmann::json to_json(const queue::JobStatus& s) {
  Rates r = rates_of(s);
  nlohmann::json in_flight = nlohmann::json::object();
  for (auto& [w, n] : s.in_flight) in_flight[w] = n;
  nlohmann::json refused = nlohmann::json::object();
  for (auto& [w, why] : s.refused) refused[w] = why;
  return {{"job", s.name},
          {"run", s.run},
          {"refused_by", refused},
          {"expires_ms", s.expires_ms},
          {"state", job_state_name(s.state)},
          {"total_chunks", s.total_chunks},
          {"total_params", s.spec.total_params},
          {"done", s.done},
          {"dead", s.dead},
          {"complete_with_dead_chunks", s.state == JobState::kComplete && s.dead > 0},
          {"dead_retried", s.retried},
          {"in_flight", in_flight},
          {"takeovers", s.takeovers},
          {"duplicates_suppressed", s.duplicates},
          {"retries", s.retries},
          {"handed_back", s.released},
          {"malformed", s.malformed},
          {"results", s.results_len},
          {"chunks_per_second", r.chunks_per_s},
          {"params_per_second", r.params_per_s},
          {"eta_seconds", r.eta_s < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.eta_s)},
          {"elapsed_seconds", r.elapsed_s},
          {"kernel", s.spec.kernel},
          {"created_ms", s.created_ms},
          {"first_claim_ms", s.first_claim_ms},
          {"finished_ms", s.finished_ms}};
}

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

void print_text(std::ostream& out, const queue::JobStatus& s) {
  Rates r = rates_of(s);
  int64_t in_flight = 0;
  for (auto& [w, n] : s.in_flight) in_flight += n;
  out << "job " << s.name << ": " << job_state_name(s.state);
  if (s.state == JobState::kComplete && s.dead > 0) {
    out << " with " << s.dead << (s.dead == 1 ? " dead chunk" : " dead chunks");
  }
  out << " (kernel " << s.spec.kernel << ")";
  if (ended_with_dead(s)) out << ": see ttg dead " << s.name;
  out << "\n";
  out << "  chunks      " << s.done << "/" << s.total_chunks << " done, " << s.dead << " dead, "
      << in_flight << " in flight\n";
  out << "  rate        " << fmt_double(r.chunks_per_s) << " chunks/s, "
      << fmt_double(r.params_per_s) << " params/s";
  if (r.eta_s > 0) out << ", ETA " << fmt_double(r.eta_s) << " s";
  out << "\n";
  out << "  takeovers   " << s.takeovers << ", duplicates suppressed " << s.duplicates
      << ", retries " << s.retries << ", handed back " << s.released;
  if (s.malformed > 0) out << ", malformed entries " << s.malformed;
  if (s.retried > 0) out << ", dead chunks retried " << s.retried;
  out << "\n";
  if (!s.in_flight.empty()) {
    out << "  workers    ";
    for (auto& [w, n] : s.in_flight) {
      out << " " << (w == queue::kHandedBack ? std::string("(waiting for a worker)") : w) << "="
          << n;
    }
    out << "\n";
  }
  for (auto& [w, why] : s.refused) out << "  refused by  " << w << ": " << why << "\n";
}

struct StatusArgs {
  std::string job;
  bool json = false;
  bool watch = false;
  double interval = 1.0;
};

}  // namespace

Handler setup_status(CLI::App& app) {
  auto a = std::make_shared<StatusArgs>();
  app.add_option("job", a->job, "The job (default: every job)");
  app.add_flag("--json", a->json, "Print JSON");
  app.add_flag("--watch", a->watch,
               "Print again every second until the job ends (Ctrl-C stops); exit 1 if it ended "
               "with dead chunks (see ttg dead JOB), 0 if every chunk is done");
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "status", st.error());
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "status", redis.error());
    queue::JobStore store(*redis);
    std::string job_name = a->job.empty() ? ctx.settings.job : a->job;
    if (a->watch) install_stop_handlers();
    // While watching, a Redis that is restarting or unreachable is waited
    // for (one line on stderr per outage); other errors end the command.
    bool outage = false;
    auto rides_out = [&](const Error& e) {
      bool transient =
          e.code == ErrorCode::kConnection || e.code == ErrorCode::kTimeout ||
          (e.code == ErrorCode::kRedisReply && e.message.find("LOADING") != std::string::npos);
      if (!a->watch || !transient) return false;
      if (!outage) ctx.err << "ttg status: " << e.message << "; still watching\n";
      outage = true;
      return true;
    };
    for (;;) {
      std::vector<std::string> names;
      nlohmann::json arr = nlohmann::json::array();
      std::vector<queue::JobStatus> states;
      bool all_ended = true;
      bool any_dead = false;
      bool failed = false;
      if (job_name.empty()) {
        auto all = store.list();
        if (!all && !rides_out(all.error())) return report(ctx, "status", all.error());
        failed = !all;
        if (all) names = *all;
      } else {
        names = {job_name};
      }
      for (const auto& n : names) {
        if (failed) break;
        auto s = store.status(n);
        if (!s) {
          if (!rides_out(s.error())) return report(ctx, "status", s.error());
          failed = true;
          break;
        }
        states.push_back(std::move(*s));
      }
      if (!failed) {
        if (outage) ctx.err << "ttg status: Redis is back\n";
        outage = false;
        for (const auto& s : states) {
          all_ended =
              all_ended && (s.state == JobState::kComplete || s.state == JobState::kCancelled);
          any_dead = any_dead || ended_with_dead(s);
          if (a->json) {
            arr.push_back(to_json(s));
          } else {
            print_text(ctx.out, s);
          }
        }
        if (a->json) ctx.out << (job_name.empty() ? arr.dump() : arr[0].dump()) << "\n";
        if (names.empty() && !a->json) ctx.out << "no jobs\n";
        ctx.out.flush();
        if (!a->watch || stop_requested().load()) return kExitOk;
        // Scripts that wait for a job can tell a job with dead chunks.
        if (all_ended) return any_dead ? kExitFailure : kExitOk;
      }
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (std::chrono::steady_clock::now() < until && !stop_requested().load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (stop_requested().load()) return kExitOk;
      if (!a->json && !failed) ctx.out << "\n";
    }
  };
}

Handler setup_jobs(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "Print JSON");
  return [json](const Context& ctx) -> int {
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "jobs", redis.error());
    queue::JobStore store(*redis);
    auto names = store.list();
    if (!names) return report(ctx, "jobs", names.error());
    nlohmann::json arr = nlohmann::json::array();
    if (!*json) ctx.out << "JOB                                STATE       DONE/TOTAL     DEAD\n";
    for (const auto& n : *names) {
      auto s = store.status(n);
      if (!s) continue;  // removed meanwhile
      if (*json) {
        arr.push_back(to_json(*s));
        continue;
      }
      char line[256];
      std::snprintf(line, sizeof line, "%-34s %-11s %6lld/%-7lld %5lld\n", n.c_str(),
                    std::string(job_state_name(s->state)).c_str(), static_cast<long long>(s->done),
                    static_cast<long long>(s->total_chunks), static_cast<long long>(s->dead));
      ctx.out << line;
    }
    if (*json) ctx.out << arr.dump() << "\n";
    return kExitOk;
  };
}

}  // namespace ttg::cli
