#include "report/status_view.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "queue/keys.h"

namespace ttg::report {

namespace {

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// "12 s", "4 min 10 s", "2 h 5 min".
std::string duration_text(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

int64_t in_flight_total(const queue::JobStatus& s) {
  int64_t n = 0;
  for (const auto& [w, count] : s.in_flight) n += count;
  return n;
}

std::string fit(std::string line, int columns) {
  if (static_cast<int>(line.size()) > columns) {
    line.resize(static_cast<size_t>(std::max(0, columns - 3)));
    line += "...";
  }
  return line;
}

std::string pad(std::string text, size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text + " ";
}

// "complete with 2 dead chunks", "running".
std::string state_text(const queue::JobStatus& s) {
  std::string text(job_state_name(s.state));
  if (s.state == JobState::kComplete && s.dead > 0) {
    text += " with " + std::to_string(s.dead) + (s.dead == 1 ? " dead chunk" : " dead chunks");
  }
  return text;
}

// Where to look when a job ended with dead chunks.
std::string dead_hint(const queue::JobStatus& s) {
  bool ended = s.state == JobState::kComplete || s.state == JobState::kCancelled;
  return ended && s.dead > 0 ? ": see ttg dead " + s.name : "";
}

}  // namespace

Rates rates_of(const queue::JobStatus& s, int64_t now_ms) {
  Rates r;
  if (s.first_claim_ms <= 0) return r;
  int64_t end = s.finished_ms > 0 ? s.finished_ms : now_ms;
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

std::vector<std::string> watch_frame(const queue::JobStatus& s, const WatchData& data,
                                     int64_t now_ms, int columns, int max_workers) {
  columns = std::max(40, columns);
  std::vector<std::string> lines;
  const Rates r = rates_of(s, now_ms);
  const int64_t finished = s.done + s.dead;
  lines.push_back(fit("job " + s.name + ": " + state_text(s) + " (kernel " + s.spec.kernel +
                          ", run " + s.run + ")" + dead_hint(s),
                      columns));

  const int bar_width = std::clamp(columns - 50, 10, 40);
  const double frac = s.total_chunks > 0
                          ? static_cast<double>(finished) / static_cast<double>(s.total_chunks)
                          : 0.0;
  std::string bar(static_cast<size_t>(frac * bar_width), '#');
  bar.resize(static_cast<size_t>(bar_width), '.');
  lines.push_back(fit("[" + bar + "] " + std::to_string(static_cast<int>(frac * 100)) + "%  " +
                          std::to_string(s.done) + "/" + std::to_string(s.total_chunks) +
                          " done, " + std::to_string(s.dead) + " dead, " +
                          std::to_string(in_flight_total(s)) + " in flight",
                      columns));

  std::string rate =
      one_decimal(r.chunks_per_s) + " chunks/s, " + one_decimal(r.params_per_s) + " params/s";
  if (s.state == JobState::kRunning || s.state == JobState::kPending) {
    rate += r.eta_s > 0 ? ", ETA " + duration_text(r.eta_s) : ", ETA unknown";
  }
  if (r.elapsed_s > 0) rate += ", elapsed " + duration_text(r.elapsed_s);
  lines.push_back(fit(rate, columns));
  lines.push_back(
      fit("takeovers " + std::to_string(s.takeovers) + ", duplicates suppressed " +
              std::to_string(s.duplicates) + ", retries " + std::to_string(s.retries) +
              ", handed back " + std::to_string(s.released) +
              (s.speculated > 0 ? ", speculative copies " + std::to_string(s.speculated) + " (" +
                                      std::to_string(s.speculative_wins) + " first)"
                                : std::string()),
          columns));
  for (const auto& [w, why] : s.refused)
    lines.push_back(fit("refused by " + w + ": " + why, columns));

  // One line per worker: those holding chunks of this job, and the
  // registered ones that serve it (or every job).
  std::map<std::string, std::string> chunks;
  for (const auto& c : data.in_flight) {
    auto& list = chunks[c.consumer];
    list += (list.empty() ? "#" : " #") + std::to_string(c.chunk);
  }
  struct Row {
    std::string name, host, slots, chunks, beat;
  };
  std::vector<Row> rows;
  std::map<std::string, bool> listed;
  for (const auto& w : data.workers) {
    if (!w.job.empty() && w.job != s.name && chunks.count(w.name) == 0) continue;
    auto it = chunks.find(w.name);
    rows.push_back(
        {w.name, w.host.empty() ? "-" : w.host, std::to_string(w.slots),
         it == chunks.end() ? "-" : it->second,
         w.heartbeat_age_ms < 0
             ? "-"
             : one_decimal(static_cast<double>(w.heartbeat_age_ms) / 1000.0) + " s ago"});
    listed[w.name] = true;
  }
  for (const auto& [consumer, list] : chunks) {
    if (listed.count(consumer) != 0) continue;
    bool handed_back = consumer == queue::kHandedBack;
    rows.push_back({handed_back ? "(handed back)" : consumer, "-", "-", list,
                    handed_back ? "-" : "not registered"});
  }
  if (!rows.empty()) {
    lines.push_back(
        fit(pad("WORKER", 16) + pad("HOST", 14) + pad("SLOTS", 5) + pad("CHUNKS", 24) + "HEARTBEAT",
            columns));
    int shown = 0;
    for (const auto& row : rows) {
      if (shown == max_workers) {
        lines.push_back("... and " + std::to_string(rows.size() - static_cast<size_t>(shown)) +
                        " more");
        break;
      }
      lines.push_back(fit(pad(row.name, 16) + pad(row.host, 14) + pad(row.slots, 5) +
                              pad(row.chunks, 24) + row.beat,
                          columns));
      ++shown;
    }
  }
  return lines;
}

std::string change_key(const queue::JobStatus& s) {
  std::string key = std::string(job_state_name(s.state)) + " " + std::to_string(s.done) + " " +
                    std::to_string(s.dead) + " " + std::to_string(s.takeovers) + " " +
                    std::to_string(s.duplicates) + " " + std::to_string(s.retries) + " " +
                    std::to_string(s.released) + " " + s.run;
  for (const auto& [w, n] : s.in_flight) key += " " + w + "=" + std::to_string(n);
  for (const auto& [w, why] : s.refused) key += " refused:" + w;
  return key;
}

std::string change_line(const queue::JobStatus& s, int64_t now_ms) {
  const Rates r = rates_of(s, now_ms);
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = std::string(stamp) + " " + s.name + " " + state_text(s) + ": " +
                     std::to_string(s.done) + "/" + std::to_string(s.total_chunks) + " done, " +
                     std::to_string(s.dead) + " dead, " + std::to_string(in_flight_total(s)) +
                     " in flight, " + one_decimal(r.chunks_per_s) + " chunks/s";
  if ((s.state == JobState::kRunning || s.state == JobState::kPending) && r.eta_s > 0) {
    line += ", ETA " + duration_text(r.eta_s);
  }
  if (s.takeovers > 0) line += ", " + std::to_string(s.takeovers) + " taken over";
  if (s.retries > 0) line += ", " + std::to_string(s.retries) + " retries";
  return line + dead_hint(s);
}

}  // namespace ttg::report
