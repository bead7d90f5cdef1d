#include "demo/render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

namespace ttg::demo {

namespace {

std::string fixed(double v, int digits = 1) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double params_per_second(const Summary& sum) {
  return sum.seconds > 0 ? static_cast<double>(sum.total_params) / sum.seconds : 0;
}

}  // namespace

void print_summary(std::ostream& out, const Summary& sum, const queue::JobStatus& s,
                   const verify::Verdict& v) {
  auto row = [&](std::string key, const std::string& val) {
    key.resize(30, ' ');
    out << "  " << key << val << "\n";
  };
  out << "\n================================ RESULTS ================================\n";
  row("chunks completed", std::to_string(s.done) + "/" + std::to_string(v.total));
  row("missing results", std::to_string(v.missing));
  row("duplicate results", std::to_string(v.duplicate_results));
  row("suppressed duplicates", std::to_string(s.duplicates));
  row("dead letters", std::to_string(s.dead));
  row("takeovers", std::to_string(s.takeovers));
  row("total time", fixed(sum.seconds) + " s");
  row("throughput", fixed(params_per_second(sum)) + " parameter sets/s");
  if (!sum.killed_worker.empty()) {
    row("killed worker", sum.killed_worker);
    row("kill -> committed elsewhere",
        sum.takeover_seconds ? fixed(*sum.takeover_seconds) + " s" : "not measured");
  }
  row("verdict", verify::verdict_text(v));
  out << "=========================================================================\n";
}

nlohmann::json summary_json(const Summary& sum, const queue::JobStatus& s,
                            const verify::Verdict& v) {
  auto or_null = [](const std::string& x) {
    return x.empty() ? nlohmann::json(nullptr) : nlohmann::json(x);
  };
  return {{"job", sum.job},
          {"kernel", sum.kernel},
          {"workers", sum.workers},
          {"chunks_total", v.total},
          {"chunks_completed", s.done},
          {"missing_results", v.missing},
          {"duplicate_results", v.duplicate_results},
          {"mismatched_values", v.mismatched},
          {"suppressed_duplicates", s.duplicates},
          {"dead_letters", s.dead},
          {"takeovers", s.takeovers},
          {"total_seconds", sum.seconds},
          {"params_per_second", params_per_second(sum)},
          {"killed_worker", or_null(sum.killed_worker)},
          {"takeover_seconds",
           sum.takeover_seconds ? nlohmann::json(*sum.takeover_seconds) : nlohmann::json(nullptr)},
          {"verdict", v.pass ? "pass" : "fail"},
          {"verdict_detail", verify::verdict_text(v)},
          {"redis_kept", or_null(sum.kept_redis)},
          {"events", sum.events}};
}

Result<std::string> mandelbrot_picture(queue::JobStore& store, const std::string& job,
                                       const JobSpec& spec, int64_t width) {
  if (width <= 0) return std::string();
  const int64_t height = spec.total_params / width;
  const int64_t step = std::max<int64_t>(1, (width + 99) / 100);
  std::vector<std::string> rows(static_cast<size_t>(height),
                                std::string(static_cast<size_t>(width), ' '));
  const std::string shades = " .:-=+*%@";
  const auto max_iter = spec.args.value("max_iter", int64_t{256});
  TTG_TRY(store.for_each_result(job, [&](const queue::ResultRecord& r) {
    auto it = r.fields.find("result_data");
    auto data = nlohmann::json::parse(it == r.fields.end() ? "[]" : it->second, nullptr, false);
    if (!data.is_array()) return;
    for (const auto& rec : data) {
      if (!rec.is_object()) continue;
      int64_t i = rec.value("param_index", int64_t{-1});
      if (i < 0 || i >= width * height) continue;
      char c = '#';
      if (!rec.value("inside", false)) {
        double iterations = static_cast<double>(rec.value("iterations", int64_t{0}));
        double f = std::log(iterations + 1) / std::log(static_cast<double>(max_iter) + 1);
        c = shades[static_cast<size_t>(std::min(0.999, f * 4) *
                                       static_cast<double>(shades.size()))];
      }
      rows[static_cast<size_t>(i / width)][static_cast<size_t>(i % width)] = c;
    }
  }));
  std::ostringstream out;
  out << "\n";
  int64_t drawn_rows = 0, drawn_cols = 0;
  for (int64_t y = 0; y < height; y += step * 2) {
    std::string line;
    for (int64_t x = 0; x < width; x += step)
      line += rows[static_cast<size_t>(y)][static_cast<size_t>(x)];
    drawn_cols = static_cast<int64_t>(line.size());
    ++drawn_rows;
    out << "  " << line << "\n";
  }
  out << "  (the Mandelbrot set: " << width << " x " << height << " points, drawn as " << drawn_cols
      << " x " << drawn_rows << " characters: ";
  if (step > 1) {
    out << "one column in " << step << " and one row in " << step * 2;
  } else {
    out << "every other row";
  }
  out << ", as a character is about twice as tall as it is wide)\n";
  return out.str();
}

}  // namespace ttg::demo
