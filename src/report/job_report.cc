#include "report/job_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/job.h"
#include "kernels/kernel.h"
#include "util/strings.h"
#include "util/suggest.h"

namespace ttg::report {

namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Error unknown_name(const std::string& what, const std::string& name, const std::string& role,
                   const std::vector<std::string>& known) {
  std::string msg = "unknown " + what + " '" + name + "' for " + role;
  auto close = util::closest_match(name, known);
  msg += " (";
  if (close) msg += "did you mean '" + *close + "'?; ";
  msg += "the " + what + "s are " + (known.empty() ? "unknown" : joined(known)) + ")";
  return Error{ErrorCode::kInvalidArgument, msg};
}

// A number of a record, booleans as 1 and 0.
std::optional<double> number_of(const json& v) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (std::isfinite(d)) return d;
    return std::nullopt;
  }
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  return std::nullopt;
}

template <class Json>
std::string dump(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string field(const queue::ResultRecord& r, const char* name) {
  auto it = r.fields.find(name);
  return it == r.fields.end() ? std::string() : it->second;
}

int64_t int_field(const queue::ResultRecord& r, const char* name) {
  return util::parse_int(field(r, name)).value_or(0);
}

// The first line of `text`, at most `max` bytes (cut at a UTF-8 boundary).
std::string first_line(const std::string& text, size_t max) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() <= max) return line;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

// The order in which an axis shows its values: numbers ascending when every
// value is a number, else the order they were first seen in.
std::vector<uint32_t> axis_order(const std::vector<json>& values) {
  std::vector<uint32_t> order(values.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  bool numeric =
      std::all_of(values.begin(), values.end(), [](const json& v) { return v.is_number(); });
  if (numeric) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return values[a].get<double>() < values[b].get<double>();
    });
  }
  return order;
}

// An axis as shown: each value's bin (its position, or its bin past `max`),
// the shown values, and the bins' [first, last] when binned.
struct ShownAxis {
  std::vector<uint32_t> bin_of;  // by value index
  json shown = json::array();
  json ranges = json::array();
  bool binned = false;
  size_t size() const { return shown.size(); }
};

// Bins hold neighbours in the axis's order, by rank: bin = rank * max / n,
// so a logarithmic axis keeps its spacing.
ShownAxis show_axis(const std::vector<json>& values, size_t max) {
  ShownAxis a;
  auto order = axis_order(values);
  size_t n = order.size();
  a.bin_of.assign(n, 0);
  a.binned = n > max;
  size_t bins = a.binned ? max : n;
  std::vector<std::pair<int64_t, int64_t>> span(bins, {-1, -1});  // ranks
  for (size_t rank = 0; rank < n; ++rank) {
    size_t bin = a.binned ? rank * max / n : rank;
    a.bin_of[order[rank]] = static_cast<uint32_t>(bin);
    if (span[bin].first < 0) span[bin].first = static_cast<int64_t>(rank);
    span[bin].second = static_cast<int64_t>(rank);
  }
  for (size_t b = 0; b < bins; ++b) {
    a.shown.push_back(values[order[static_cast<size_t>(span[b].first)]]);
    if (a.binned) {
      a.ranges.push_back(json::array({values[order[static_cast<size_t>(span[b].first)]],
                                      values[order[static_cast<size_t>(span[b].second)]]}));
    }
  }
  return a;
}

// Nearest-rank percentile of sorted `v` (not empty).
double percentile(const std::vector<double>& v, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

std::vector<std::string> plottable_outputs(const std::vector<std::string>& parameters,
                                           const std::vector<std::string>& outputs,
                                           const json& first_record) {
  std::vector<std::string> out;
  for (const auto& o : outputs) {
    if (!contains(out, o) && !contains(parameters, o)) out.push_back(o);
  }
  // A kernel that declares its outputs writes those; the other keys of its
  // records are parameters it read (its defaults, --arg values).
  if (!outputs.empty()) return out;
  if (first_record.is_object()) {
    for (auto it = first_record.begin(); it != first_record.end(); ++it) {
      const std::string& k = it.key();
      if (k == "param_index" || contains(parameters, k) || contains(out, k)) continue;
      out.push_back(k);
    }
  }
  return out;
}

Result<Axes> choose_axes(const std::vector<std::string>& parameters,
                         const std::vector<std::string>& outputs, const json& first_record,
                         const ReportOptions& options) {
  if (parameters.empty())
    return make_error(ErrorCode::kInvalidArgument, "the job has no parameters");
  Axes a;
  if (!options.x.empty() && !contains(parameters, options.x)) {
    return tl::unexpected(unknown_name("parameter", options.x, "x", parameters));
  }
  if (!options.y.empty()) {
    if (parameters.size() == 1) {
      return make_error(ErrorCode::kInvalidArgument, "y: the job has one parameter ('" +
                                                         parameters[0] +
                                                         "'): its report is a line plot along x");
    }
    if (!contains(parameters, options.y)) {
      return tl::unexpected(unknown_name("parameter", options.y, "y", parameters));
    }
  }
  a.x = options.x.empty()
            ? (options.y == parameters[0] && parameters.size() > 1 ? parameters[1] : parameters[0])
            : options.x;
  if (parameters.size() > 1) {
    if (!options.y.empty()) {
      a.y = options.y;
    } else {
      for (const auto& p : parameters) {
        if (p != a.x) {
          a.y = p;
          break;
        }
      }
    }
    if (a.x == a.y) {
      return make_error(ErrorCode::kInvalidArgument, "x and y are both '" + a.x + "'");
    }
  }
  auto candidates = plottable_outputs(parameters, outputs, first_record);
  if (!options.z.empty()) {
    // With no results yet and a kernel that declares nothing, any name may
    // be an output to come.
    if (!candidates.empty() && !contains(candidates, options.z)) {
      return tl::unexpected(unknown_name("output", options.z, "z", candidates));
    }
    a.z = options.z;
  } else if (first_record.is_object()) {
    for (const auto& c : candidates) {
      auto it = first_record.find(c);
      if (it != first_record.end() && it->is_number()) {
        a.z = c;
        break;
      }
    }
  }
  return a;
}

std::vector<json> records_of(const std::string& result_data) {
  json data = json::parse(result_data, nullptr, false);
  std::vector<json> out;
  if (data.is_discarded()) return out;
  if (data.is_array()) {
    for (auto& r : data) {
      if (r.is_object()) out.push_back(std::move(r));
    }
  } else if (data.is_object()) {
    out.push_back(std::move(data));
  }
  return out;
}

uint32_t PlotBuilder::Axis::intern(const json& v) {
  auto [it, fresh] = index.try_emplace(dump(v), static_cast<uint32_t>(values.size()));
  if (fresh) values.push_back(v);
  return it->second;
}

PlotBuilder::PlotBuilder(Axes axes) : axes_(std::move(axes)) {}

void PlotBuilder::add(const json& record) {
  auto scalar = [&](const std::string& name) -> const json* {
    auto it = record.find(name);
    if (it == record.end() || it->is_structured() || it->is_null()) return nullptr;
    return &*it;
  };
  if (!record.is_object() || axes_.z.empty()) {
    ++skipped_;
    return;
  }
  const json* xv = scalar(axes_.x);
  const json* yv = axes_.y.empty() ? nullptr : scalar(axes_.y);
  auto zit = record.find(axes_.z);
  std::optional<double> z = zit == record.end() ? std::nullopt : number_of(*zit);
  if (xv == nullptr || (!axes_.y.empty() && yv == nullptr) || !z) {
    ++skipped_;
    return;
  }
  uint64_t xi = x_.intern(*xv);
  uint64_t yi = yv == nullptr ? 0 : y_.intern(*yv);
  Cell& c = cells_[xi << 32 | yi];
  c.sum += *z;
  ++c.n;
}

json PlotBuilder::to_json(size_t max_axis, size_t max_points) const {
  if (axes_.z.empty()) return json::object();
  bool grid = !axes_.y.empty();
  ShownAxis xs = show_axis(x_.values, grid ? max_axis : max_points);
  ShownAxis ys = grid ? show_axis(y_.values, max_axis) : ShownAxis{};
  size_t ny = grid ? ys.size() : 1;
  // Per shown cell: the sum and count of its records, and the most records
  // one (x, y) pair held.
  std::vector<Cell> shown(xs.size() * ny);
  int64_t per_pair_max = 0;
  for (const auto& [key, cell] : cells_) {
    uint32_t xi = static_cast<uint32_t>(key >> 32), yi = static_cast<uint32_t>(key & 0xffffffffu);
    size_t bx = xs.bin_of[xi], by = grid ? ys.bin_of[yi] : 0;
    Cell& s = shown[by * xs.size() + bx];
    s.sum += cell.sum;
    s.n += cell.n;
    per_pair_max = std::max(per_pair_max, cell.n);
  }
  int64_t per_cell_max = 0, empty = 0;
  double zmin = 0, zmax = 0;
  bool any = false;
  auto mean = [&](const Cell& c) -> json {
    if (c.n == 0) {
      ++empty;
      return nullptr;
    }
    double m = c.sum / static_cast<double>(c.n);
    zmin = any ? std::min(zmin, m) : m;
    zmax = any ? std::max(zmax, m) : m;
    any = true;
    per_cell_max = std::max(per_cell_max, c.n);
    return m;
  };
  json out;
  if (grid) {
    json values = json::array();
    for (size_t j = 0; j < ny; ++j) {
      json row = json::array();
      for (size_t i = 0; i < xs.size(); ++i) row.push_back(mean(shown[j * xs.size() + i]));
      values.push_back(std::move(row));
    }
    out = {{"x", axes_.x},          {"y", axes_.y},         {"z", axes_.z},
           {"xs", xs.shown},        {"ys", ys.shown},       {"values", std::move(values)},
           {"x_binned", xs.binned}, {"y_binned", ys.binned}};
    if (xs.binned) out["x_ranges"] = xs.ranges;
    if (ys.binned) out["y_ranges"] = ys.ranges;
  } else {
    json zs = json::array();
    for (size_t i = 0; i < xs.size(); ++i) zs.push_back(mean(shown[i]));
    out = {{"x", axes_.x},
           {"z", axes_.z},
           {"xs", xs.shown},
           {"zs", std::move(zs)},
           {"binned", xs.binned}};
    if (xs.binned) out["ranges"] = xs.ranges;
  }
  out["aggregate"] = per_cell_max > 1 ? "mean" : "none";
  out["records_per_cell_max"] = per_cell_max;
  out["records_per_point_max"] = per_pair_max;
  out["empty_cells"] = empty;
  out["skipped"] = skipped_;
  out["z_min"] = any ? json(zmin) : json(nullptr);
  out["z_max"] = any ? json(zmax) : json(nullptr);
  return json{{grid ? "grid" : "line", std::move(out)}};
}

ChunkTiming timing_of(const queue::ResultRecord& r) {
  ChunkTiming t;
  t.chunk = util::parse_int(field(r, "chunk_id")).value_or(-1);
  t.worker = field(r, "worker_id");
  t.attempt = static_cast<int>(util::parse_int(field(r, "attempt")).value_or(1));
  t.seconds = util::parse_double(field(r, "duration_seconds")).value_or(0);
  if (!std::isfinite(t.seconds) || t.seconds < 0) t.seconds = 0;
  t.completed_ms = parse_iso8601(field(r, "completed_at")).value_or(0);
  t.claimed_ms = int_field(r, "claimed_ms");
  t.queued_ms = int_field(r, "queued_ms");
  return t;
}

json timeline_json(const std::vector<ChunkTiming>& chunks,
                   const std::vector<queue::ResultRecord>& events, size_t max_bars,
                   size_t max_events) {
  struct Bar {
    const ChunkTiming* t;
    int64_t start, end;
  };
  std::vector<Bar> bars;
  for (const auto& c : chunks) {
    if (c.completed_ms <= 0) continue;
    int64_t end = c.completed_ms;
    int64_t start = end - static_cast<int64_t>(std::llround(c.seconds * 1000));
    bars.push_back({&c, start, end});
  }
  std::stable_sort(bars.begin(), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.start < b.start; });
  size_t total = bars.size();
  if (bars.size() > max_bars) {
    // Chunks computed more than once first, then the others evenly in time.
    std::vector<Bar> again, once;
    for (const auto& b : bars) (b.t->attempt > 1 ? again : once).push_back(b);
    std::vector<Bar> kept(again.begin(), again.begin() + static_cast<std::ptrdiff_t>(
                                                             std::min(again.size(), max_bars)));
    size_t room = max_bars - kept.size();
    for (size_t k = 0; k < room && !once.empty(); ++k) kept.push_back(once[k * once.size() / room]);
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Bar& a, const Bar& b) { return a.start < b.start; });
    bars = std::move(kept);
  }
  json out_bars = json::array();
  std::set<std::string> workers;
  int64_t lo = 0, hi = 0;
  for (const auto& b : bars) {
    workers.insert(b.t->worker);
    lo = out_bars.empty() ? b.start : std::min(lo, b.start);
    hi = out_bars.empty() ? b.end : std::max(hi, b.end);
    out_bars.push_back({{"chunk", b.t->chunk},
                        {"worker", b.t->worker},
                        {"start_ms", b.start},
                        {"end_ms", b.end},
                        {"attempt", b.t->attempt},
                        {"claimed_ms", b.t->claimed_ms},
                        {"queued_ms", b.t->queued_ms}});
  }
  static const std::set<std::string> kTypes = {"takeover", "retry", "dead", "duplicate"};
  std::vector<json> evs;
  for (const auto& e : events) {
    std::string type = field(e, "type");
    if (kTypes.count(type) == 0) continue;
    json j = {{"type", type},
              {"at_ms", int_field(e, "at")},
              {"chunk", util::parse_int(field(e, "chunk")).value_or(-1)}};
    // A takeover's chunk now belongs to `to`: its row is the new owner's.
    j["worker"] = type == "takeover" ? field(e, "to") : field(e, "worker");
    if (type == "takeover") j["from"] = field(e, "from");
    if (!field(e, "reason").empty()) j["reason"] = field(e, "reason");
    if (type == "retry") {
      j["attempt"] = int_field(e, "attempt");
      j["error"] = first_line(field(e, "error"), 200);
    }
    evs.push_back(std::move(j));
  }
  size_t events_total = evs.size();
  size_t skip = evs.size() > max_events ? evs.size() - max_events : 0;
  json out_events = json::array();
  for (size_t i = skip; i < evs.size(); ++i) {
    const json& e = evs[i];
    if (!e["worker"].get<std::string>().empty()) workers.insert(e["worker"].get<std::string>());
    int64_t at = e["at_ms"].get<int64_t>();
    if (at > 0) {
      lo = lo == 0 ? at : std::min(lo, at);
      hi = std::max(hi, at);
    }
    out_events.push_back(e);
  }
  return json{{"bars", std::move(out_bars)},
              {"workers", json(std::vector<std::string>(workers.begin(), workers.end()))},
              {"start_ms", lo},
              {"end_ms", hi},
              {"events", std::move(out_events)},
              {"bars_total", total},
              {"bars_omitted", total - bars.size()},
              {"events_total", events_total},
              {"events_omitted", skip}};
}

json histogram_json(std::vector<double> values, size_t max_bins) {
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
      values.end());
  json out = {{"n", values.size()}, {"edges", json::array()}, {"counts", json::array()}};
  if (values.empty()) {
    for (const char* k : {"min", "max", "mean", "p50", "p90", "p99"}) out[k] = nullptr;
    return out;
  }
  std::sort(values.begin(), values.end());
  double lo = values.front(), hi = values.back(), sum = 0;
  for (double v : values) sum += v;
  out["min"] = lo;
  out["max"] = hi;
  out["mean"] = sum / static_cast<double>(values.size());
  out["p50"] = percentile(values, 50);
  out["p90"] = percentile(values, 90);
  out["p99"] = percentile(values, 99);
  size_t bins = 1;
  if (hi > lo) {
    bins = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(values.size()))));
    bins = std::clamp<size_t>(bins, 1, std::max<size_t>(max_bins, 1));
  }
  std::vector<int64_t> counts(bins, 0);
  double width = (hi - lo) / static_cast<double>(bins);
  for (double v : values) {
    size_t b = width > 0 ? static_cast<size_t>((v - lo) / width) : 0;
    ++counts[std::min(b, bins - 1)];
  }
  json edges = json::array();
  for (size_t i = 0; i < bins; ++i) edges.push_back(lo + width * static_cast<double>(i));
  edges.push_back(hi);
  out["edges"] = std::move(edges);
  out["counts"] = counts;
  return out;
}

json histograms_json(const std::vector<ChunkTiming>& chunks) {
  std::vector<double> compute, wait;
  for (const auto& c : chunks) {
    compute.push_back(c.seconds);
    if (c.claimed_ms > 0 && c.queued_ms > 0 && c.claimed_ms >= c.queued_ms) {
      wait.push_back(static_cast<double>(c.claimed_ms - c.queued_ms) / 1000.0);
    }
  }
  return json{{"compute_seconds", histogram_json(std::move(compute))},
              {"queue_wait_seconds", histogram_json(std::move(wait))}};
}

Result<json> build_report(queue::JobStore& store, const std::string& job,
                          const ReportOptions& options) {
  TTG_TRY_ASSIGN(auto status, store.status(job));
  const JobSpec& spec = status.spec;
  std::vector<std::string> parameters = spec.param_names();
  // The kernel's outputs in its order, or the spec's chosen ones. A plugin
  // this process has not loaded declares nothing here: the records tell.
  std::vector<std::string> outputs = spec.outputs;
  if (outputs.empty()) {
    if (auto info = kernels::find_kernel_info(spec.kernel, kernels::Registry())) {
      for (const auto& o : info->outputs) outputs.push_back(o.name);
    }
  }
  TTG_TRY_ASSIGN(auto first, store.results_after(job, "-", 1));
  json first_record = nullptr;
  if (!first.empty()) {
    auto records = records_of(field(first[0], "result_data"));
    if (!records.empty()) first_record = records[0];
  }
  TTG_TRY_ASSIGN(Axes axes, choose_axes(parameters, outputs, first_record, options));

  PlotBuilder plot(axes);
  std::vector<ChunkTiming> timings;
  int64_t results = 0, records = 0;
  struct WorkerSum {
    int64_t chunks = 0;
    double seconds = 0;
  };
  std::map<std::string, WorkerSum> per_worker;
  TTG_TRY(store.for_each_result(job, [&](const queue::ResultRecord& r) {
    ++results;
    for (const auto& rec : records_of(field(r, "result_data"))) {
      ++records;
      plot.add(rec);
    }
    timings.push_back(timing_of(r));
    auto& w = per_worker[timings.back().worker];
    ++w.chunks;
    w.seconds += timings.back().seconds;
  }));

  // The events stream is capped (about 10,000 entries): read it whole, in
  // pages, with a bound in case it grows while being read.
  std::vector<queue::ResultRecord> events;
  std::string after = "-";
  for (int page = 0; page < 50; ++page) {
    TTG_TRY_ASSIGN(auto batch, store.events(job, after, 1000));
    if (batch.empty()) break;
    after = batch.back().entry_id;
    for (auto& e : batch) events.push_back(std::move(e));
  }
  TTG_TRY_ASSIGN(auto dead, store.dead_letters(job));

  double compute = 0;
  int64_t last_end = 0;
  for (const auto& t : timings) {
    compute += t.seconds;
    last_end = std::max(last_end, t.completed_ms);
  }
  json wall = nullptr;
  if (status.created_ms > 0) {
    int64_t end = status.finished_ms > 0 ? status.finished_ms : last_end;
    if (end >= status.created_ms) wall = static_cast<double>(end - status.created_ms) / 1000.0;
  }
  json workers = json::array();
  for (const auto& [name, w] : per_worker) {
    workers.push_back({{"name", name}, {"chunks", w.chunks}, {"compute_seconds", w.seconds}});
  }
  std::string space_text;
  if (auto space = spec.param_space()) space_text = space->describe();
  json summary = {{"job", job},
                  {"run", status.run},
                  {"kernel", spec.kernel},
                  {"state", std::string(job_state_name(status.state))},
                  {"space", space_text},
                  {"parameters", parameters},
                  {"outputs", plottable_outputs(parameters, outputs, first_record)},
                  {"chunks", status.total_chunks},
                  {"done", status.done},
                  {"dead", status.dead},
                  {"duplicates", status.duplicates},
                  {"takeovers", status.takeovers},
                  {"retries", status.retries},
                  {"retried", status.retried},
                  {"released", status.released},
                  {"points", spec.total_params},
                  {"results", results},
                  {"records", records},
                  {"created_ms", status.created_ms},
                  {"first_claim_ms", status.first_claim_ms},
                  {"finished_ms", status.finished_ms},
                  {"wall_seconds", wall},
                  {"compute_seconds", compute},
                  {"workers", std::move(workers)}};

  json dead_list = json::array();
  for (const auto& d : dead) {
    if (dead_list.size() >= kMaxDeadListed) break;
    dead_list.push_back({{"chunk", util::parse_int(field(d, "chunk_id")).value_or(-1)},
                         {"reason", field(d, "reason")},
                         {"attempts", int_field(d, "attempts")},
                         {"worker", field(d, "worker_id")},
                         {"last_error", first_line(field(d, "last_error"), 200)}});
  }

  json out = {{"format", "ttg-report-1"}, {"summary", std::move(summary)}};
  json plotted = plot.to_json();
  for (auto& [k, v] : plotted.items()) out[k] = std::move(v);
  out["timeline"] = timeline_json(timings, events);
  out["histograms"] = histograms_json(timings);
  out["dead"] = std::move(dead_list);
  out["dead_total"] = dead.size();
  return out;
}

}  // namespace ttg::report
