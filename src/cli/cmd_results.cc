// `ttg results JOB [--format csv|jsonl|json] [-o FILE]`: one row per
// parameter record, each chunk once.

#include <CLI/CLI.hpp>

#include <fstream>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "util/strings.h"

namespace ttg::cli {

namespace {

struct ResultsArgs {
  std::string job;
  std::string format = "csv";
  std::string output;
};

std::string csv_cell(const nlohmann::json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Handler setup_results(CLI::App& app) {
  auto a = std::make_shared<ResultsArgs>();
  app.add_option("job", a->job, "The job")->required();
  app.add_option("--format", a->format, "csv (default), jsonl or json")
      ->check(CLI::IsMember({"csv", "jsonl", "json"}));
  app.add_option("-o,--output", a->output, "Write to FILE instead of standard output");
  return [a](const Context& ctx) -> int {
    if (auto st = check_job_name(ctx.settings, a->job); !st) {
      return report(ctx, "results", st.error());
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "results", redis.error());
    std::ofstream file;
    std::ostream* out = &ctx.out;
    if (!a->output.empty()) {
      file.open(a->output);
      if (!file) return report(ctx, "results", Error{ErrorCode::kIo, "cannot write " + a->output});
      out = &file;
    }
    queue::JobStore store(*redis);
    std::vector<std::string> columns;
    bool first_json = true;
    if (a->format == "json") *out << "[";
    auto st = store.for_each_result(a->job, [&](const queue::ResultRecord& r) {
      auto field = [&](const char* name) {
        auto it = r.fields.find(name);
        return it == r.fields.end() ? std::string() : it->second;
      };
      auto data = nlohmann::json::parse(field("result_data"), nullptr, false);
      if (data.is_discarded()) data = nlohmann::json::array();
      if (!data.is_array()) data = nlohmann::json::array({data});
      for (const auto& rec : data) {
        nlohmann::ordered_json row;
        row["chunk_id"] = util::parse_int(field("chunk_id")).value_or(-1);
        row["worker_id"] = field("worker_id");
        row["attempt"] = util::parse_int(field("attempt")).value_or(0);
        if (rec.is_object()) {
          for (auto it = rec.begin(); it != rec.end(); ++it) row[it.key()] = it.value();
        } else {
          row["value"] = rec;
        }
        if (a->format == "csv") {
          if (columns.empty()) {
            for (auto it = row.begin(); it != row.end(); ++it) columns.push_back(it.key());
            for (size_t i = 0; i < columns.size(); ++i) *out << (i ? "," : "") << columns[i];
            *out << "\n";
          }
          for (size_t i = 0; i < columns.size(); ++i) {
            *out << (i ? "," : "") << (row.contains(columns[i]) ? csv_cell(row[columns[i]]) : "");
          }
          *out << "\n";
        } else if (a->format == "jsonl") {
          *out << row.dump() << "\n";
        } else {
          *out << (first_json ? "\n" : ",\n") << row.dump();
          first_json = false;
        }
      }
    });
    if (a->format == "json") *out << "\n]\n";
    if (!st) return report(ctx, "results", st.error());
    return kExitOk;
  };
}

}  // namespace ttg::cli
