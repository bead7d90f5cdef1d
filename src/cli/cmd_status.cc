// `ttg status [JOB] [--json] [--watch]` and `ttg jobs [--json]`.

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <thread>
#include <vector>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "queue/keys.h"
#include "report/status_view.h"
#include "util/terminal.h"

namespace ttg::cli {

namespace {

using report::Rates;

Rates rates_of(const queue::JobStatus& s) { return report::rates_of(s, unix_ms()); }

// A job that ended with chunks that have no result.
bool ended_with_dead(const queue::JobStatus& s) {
  return (s.state == JobState::kComplete || s.state == JobState::kCancelled) && s.dead > 0;
}

bool ended(const queue::JobStatus& s) {
  return s.state == JobState::kComplete || s.state == JobState::kCancelled;
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
          {"speculated", s.speculated},
          {"speculative_wins", s.speculative_wins},
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
  if (s.speculated > 0) {
    out << ", speculative copies " << s.speculated << " (first to commit " << s.speculative_wins
        << ")";
  }
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

// Redraws a frame in place on a terminal: the cursor goes back up over the
// last frame, which is cleared, and the new one is written. Frames are cut
// to the terminal's height so that the cursor can reach their first line.
class Redraw {
 public:
  explicit Redraw(std::ostream& out) : out_(out) {}
  void draw(std::vector<std::string> lines, const util::TerminalSize& size) {
    const auto max_lines = static_cast<size_t>(std::max(2, size.rows - 1));
    if (lines.size() > max_lines) {
      const size_t cut = lines.size() - max_lines + 1;
      lines.resize(max_lines - 1);
      lines.push_back("... " + std::to_string(cut) + " more lines (a taller terminal shows them)");
    }
    if (shown_ > 0) out_ << "\033[" << shown_ << "F\033[J";
    for (const auto& line : lines) out_ << line << "\n";
    out_.flush();
    shown_ = static_cast<int>(lines.size());
  }

 private:
  std::ostream& out_;
  int shown_ = 0;  // lines of the frame on screen
};

}  // namespace

Handler setup_status(CLI::App& app) {
  auto a = std::make_shared<StatusArgs>();
  app.add_option("job", a->job, "The job (default: every job)");
  app.add_flag("--json", a->json, "Print JSON");
  app.add_flag("--watch", a->watch,
               "Follow the job until it ends (Ctrl-C stops): on a terminal, one view redrawn in "
               "place (progress bar, rate, ETA, a line per worker); piped, one line per change "
               "(one JSON object with --json). Exit 1 if it ended with dead chunks (see ttg dead "
               "JOB), 0 if every chunk is done");
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "status", st.error());
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "status", redis.error());
    queue::JobStore store(*redis);
    std::string job_name = a->job.empty() ? ctx.settings.job : a->job;
    if (a->watch) install_stop_handlers();
    // On a terminal (and not --json), --watch redraws one view in place.
    const std::optional<util::TerminalSize> terminal =
        a->watch && !a->json ? util::terminal_size(STDOUT_FILENO) : std::nullopt;
    Redraw redraw(ctx.out);
    std::vector<std::string> last_frame;
    std::map<std::string, std::string> last_key;  // job -> change_key() last printed
    // While watching, a Redis that is restarting or unreachable is waited
    // for (one line per outage); other errors end the command.
    bool outage = false;
    auto rides_out = [&](const Error& e) {
      bool transient =
          e.code == ErrorCode::kConnection || e.code == ErrorCode::kTimeout ||
          (e.code == ErrorCode::kRedisReply && e.message.find("LOADING") != std::string::npos);
      if (!a->watch || !transient) return false;
      if (!outage) {
        if (terminal) {
          auto frame = last_frame;
          frame.push_back("Redis: " + e.message + "; still watching");
          redraw.draw(frame, *terminal);
        } else {
          ctx.err << "ttg status: " << e.message << "; still watching\n";
        }
      }
      outage = true;
      return true;
    };
    for (;;) {
      std::vector<std::string> names;
      std::vector<queue::JobStatus> states;
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
      // What a terminal frame adds: chunks in flight and the workers.
      std::vector<report::WatchData> extra(states.size());
      if (!failed && terminal) {
        auto workers = store.workers();
        if (!workers && !rides_out(workers.error())) return report(ctx, "status", workers.error());
        failed = !workers;
        for (size_t i = 0; i < states.size() && !failed; ++i) {
          auto chunks = store.in_flight_chunks(states[i].name, states[i].total_chunks, 200);
          if (!chunks && !rides_out(chunks.error())) {
            return report(ctx, "status", chunks.error());
          }
          failed = !chunks;
          if (chunks) extra[i] = {std::move(*chunks), *workers};
        }
      }
      if (!failed) {
        if (outage && !terminal) ctx.err << "ttg status: Redis is back\n";
        outage = false;
        bool all_ended = true;
        bool any_dead = false;
        nlohmann::json arr = nlohmann::json::array();
        std::vector<std::string> frame;
        const int64_t now = unix_ms();
        for (size_t i = 0; i < states.size(); ++i) {
          const auto& s = states[i];
          all_ended = all_ended && ended(s);
          any_dead = any_dead || ended_with_dead(s);
          if (terminal) {
            if (!frame.empty()) frame.push_back("");
            for (auto& line : report::watch_frame(s, extra[i], now, terminal->columns)) {
              frame.push_back(std::move(line));
            }
            continue;
          }
          if (a->watch) {
            // Piped: one line (or JSON object) per change.
            std::string key = report::change_key(s);
            if (last_key[s.name] == key) continue;
            last_key[s.name] = key;
            if (a->json) {
              ctx.out << to_json(s).dump() << "\n";
            } else {
              ctx.out << report::change_line(s, now) << "\n";
            }
            continue;
          }
          if (a->json) {
            arr.push_back(to_json(s));
          } else {
            print_text(ctx.out, s);
          }
        }
        if (terminal) {
          if (names.empty()) frame.push_back("no jobs");
          redraw.draw(frame, *terminal);
          last_frame = frame;
        } else if (!a->watch) {
          if (a->json) ctx.out << (job_name.empty() ? arr.dump() : arr[0].dump()) << "\n";
          if (names.empty() && !a->json) ctx.out << "no jobs\n";
        }
        ctx.out.flush();
        if (!a->watch || stop_requested().load()) return kExitOk;
        // Scripts that wait for a job can tell a job with dead chunks.
        if (all_ended && !names.empty()) return any_dead ? kExitFailure : kExitOk;
      }
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (std::chrono::steady_clock::now() < until && !stop_requested().load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (stop_requested().load()) return kExitOk;
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
