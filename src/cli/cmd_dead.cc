// `ttg dead JOB [--json]`: the job's dead chunks, with why each died.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "util/strings.h"

namespace ttg::cli {

namespace {

// The longest last error the table shows (its first line only).
constexpr size_t kErrorWidth = 300;

struct DeadArgs {
  std::string job;
  bool json = false;
};

// One dead-letter entry, read from its fields.
struct DeadLetter {
  std::optional<int64_t> chunk;  // none: a malformed entry that names no chunk
  std::string reason, last_error, worker, entry_id;
  int64_t attempts = 0;
  int64_t at_ms = 0;
};

DeadLetter dead_letter_of(const queue::ResultRecord& r) {
  auto get = [&](const char* k) {
    auto it = r.fields.find(k);
    return it == r.fields.end() ? std::string() : it->second;
  };
  DeadLetter d;
  d.chunk = util::parse_int(get("chunk_id"));
  d.reason = get("reason");
  d.last_error = get("last_error");
  d.worker = get("worker_id");
  d.entry_id = get("entry_id");
  d.attempts = util::parse_int(get("attempts")).value_or(0);
  d.at_ms = util::parse_int(get("at")).value_or(0);
  return d;
}

// retry puts a chunk back only when its entry can be computed: not one
// found malformed, nor one deleted from the stream.
bool retriable(const DeadLetter& d) {
  return d.chunk && d.reason != "malformed" && d.reason != "deleted";
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() < text.size()) line += " ...";
  return util::clip(line, kErrorWidth);
}

void print_table(std::ostream& out, const std::string& job, const std::vector<DeadLetter>& all) {
  std::vector<std::vector<std::string>> rows = {
      {"CHUNK", "REASON", "ATTEMPTS", "WORKER", "WHEN", "LAST ERROR"}};
  for (const auto& d : all) {
    rows.push_back({d.chunk ? std::to_string(*d.chunk) : "-", d.reason, std::to_string(d.attempts),
                    d.worker.empty() ? "-" : d.worker, d.at_ms > 0 ? iso8601(d.at_ms) : "-",
                    first_line(d.last_error)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
  std::vector<int64_t> can, cannot;
  for (const auto& d : all) {
    if (retriable(d)) can.push_back(*d.chunk);
    if (!retriable(d) && d.chunk) cannot.push_back(*d.chunk);
  }
  std::sort(can.begin(), can.end());
  std::sort(cannot.begin(), cannot.end());
  out << "\n";
  if (!cannot.empty()) {
    out << "Chunks " << format_chunk_list(cannot)
        << " cannot be retried: their entries are malformed or were deleted.\n";
  }
  if (!can.empty() && cannot.empty()) {
    out << "Run them again: ttg retry " << job << " --all\n";
  } else if (!can.empty()) {
    out << "Run the others again: ttg retry " << job << " --chunks " << format_chunk_list(can, ",")
        << "\n";
  }
}

nlohmann::json to_json(const DeadLetter& d) {
  return {{"chunk", d.chunk ? nlohmann::json(*d.chunk) : nlohmann::json(nullptr)},
          {"reason", d.reason},
          {"attempts", d.attempts},
          {"last_error", d.last_error},
          {"worker", d.worker},
          {"at_ms", d.at_ms},
          {"at", d.at_ms > 0 ? nlohmann::json(iso8601(d.at_ms)) : nlohmann::json(nullptr)},
          {"entry_id", d.entry_id},
          {"retriable", retriable(d)}};
}

}  // namespace

Handler setup_dead(CLI::App& app) {
  auto a = std::make_shared<DeadArgs>();
  app.add_option("job", a->job, "The job")->required();
  app.add_flag("--json", a->json,
               "Print a JSON array: one object per dead chunk, its whole last error included");
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) return report(ctx, "dead", st.error());
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "dead", redis.error());
    queue::JobStore store(*redis);
    auto status = store.status(a->job);
    if (!status) return report(ctx, "dead", status.error());
    auto records = store.dead_letters(a->job);
    if (!records) return report(ctx, "dead", records.error());
    std::vector<DeadLetter> all;
    for (const auto& r : *records) all.push_back(dead_letter_of(r));
    if (a->json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& d : all) arr.push_back(to_json(d));
      ctx.out << arr.dump() << "\n";
      return kExitOk;
    }
    if (all.empty()) {
      ctx.out << "job " << a->job << " has no dead chunks\n";
      return kExitOk;
    }
    print_table(ctx.out, a->job, all);
    return kExitOk;
  };
}

}  // namespace ttg::cli
