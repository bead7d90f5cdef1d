#include "core/param_space.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "util/strings.h"
#include "util/syntax_error.h"

namespace ttg {

namespace {

using nlohmann::json;

constexpr int64_t kMaxPoints = std::numeric_limits<int64_t>::max();

tl::unexpected<Error> invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string squote(std::string_view name) { return "'" + std::string(name) + "'"; }

// `r`, its error message prefixed with "`ctx`: ".
template <class T>
Result<T> in_context(Result<T> r, std::string_view ctx) {
  if (!r) return tl::unexpected<Error>(r.error().with_context(ctx));
  return r;
}

std::string type_name(const json& v) { return v.type_name(); }

// "1 value", "3 values".
std::string count_of(int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

// A value a point may hold: a finite number, a string or a boolean.
Status check_value(const json& v) {
  if (v.is_number_float()) {
    if (!std::isfinite(v.get<double>())) return invalid("NaN or infinity is not allowed");
    return ok();
  }
  if (v.is_string()) {
    const auto& text = v.get_ref<const std::string&>();
    if (text.size() > kMaxValueBytes) {
      return invalid("a string of " + std::to_string(text.size()) + " bytes, more than " +
                     std::to_string(kMaxValueBytes));
    }
    // Points are sent and stored as JSON text, which must be UTF-8.
    if (auto bad = util::find_invalid_utf8(text)) {
      return invalid("not valid UTF-8 (byte " + std::to_string(*bad + 1) + " of the text)");
    }
    return ok();
  }
  if (v.is_number() || v.is_boolean()) return ok();
  return invalid("expected a number, string or boolean, got " + type_name(v));
}

// The number of values of an integer range, or 0 when it is empty. Unsigned
// arithmetic: |stop - start| may not fit in int64_t.
uint64_t int_range_size(int64_t start, int64_t stop, int64_t step) {
  if (step > 0) {
    if (start >= stop) return 0;
    uint64_t span = static_cast<uint64_t>(stop) - static_cast<uint64_t>(start);
    return (span - 1) / static_cast<uint64_t>(step) + 1;
  }
  if (start <= stop) return 0;
  uint64_t span = static_cast<uint64_t>(start) - static_cast<uint64_t>(stop);
  uint64_t magnitude = static_cast<uint64_t>(-(step + 1)) + 1;
  return (span - 1) / magnitude + 1;
}

std::string number_text(double v) { return json(v).dump(); }

// An int64_t from JSON, else an error naming `what`.
Result<int64_t> int_field(const json& j, const char* what) {
  if (!j.is_number_integer() ||
      (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(kMaxPoints))) {
    return invalid(std::string(what) + ": expected an integer");
  }
  return j.get<int64_t>();
}

Result<double> float_field(const json& j, const char* what) {
  if (!j.is_number()) return invalid(std::string(what) + ": expected a number");
  double v = j.get<double>();
  if (!std::isfinite(v)) return invalid(std::string(what) + ": NaN or infinity is not allowed");
  return v;
}

// Checks that `j` is an object with exactly `keys` (all required).
Status check_keys(const json& j, std::initializer_list<const char*> keys, const std::string& what) {
  if (!j.is_object()) return invalid(what + ": expected an object");
  for (const char* k : keys) {
    if (!j.contains(k)) return invalid(what + ": missing '" + k + "'");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) return invalid(what + ": unknown key '" + it.key() + "'");
  }
  return ok();
}

}  // namespace

std::string_view dimension_kind_name(DimensionKind kind) {
  switch (kind) {
    case DimensionKind::kList:
      return "list";
    case DimensionKind::kRange:
      return "range";
    case DimensionKind::kLinspace:
      return "linspace";
    case DimensionKind::kLogspace:
      return "logspace";
  }
  return "unknown";
}

Status validate_param_name(std::string_view name) {
  auto bad = [&] {
    return invalid("bad name " + squote(name) +
                   ": use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or '_'");
  };
  if (name.empty() || name.size() > 64) return bad();
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name.front())) return bad();
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '-') return bad();
  }
  return ok();
}

// ---- Dimension ----

Result<Dimension> Dimension::list(std::string name, std::vector<json> values) {
  std::string what = "dimension " + squote(name);
  TTG_TRY(in_context(validate_param_name(name), what));
  if (values.empty()) return invalid(what + ": no values");
  if (static_cast<int64_t>(values.size()) > kMaxListValues) {
    return invalid(what + ": more than " + std::to_string(kMaxListValues) + " values");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (auto st = check_value(values[i]); !st) {
      return invalid(what + ": value " + std::to_string(i + 1) + ": " + st.error().message);
    }
  }
  Dimension d;
  d.name_ = std::move(name);
  d.kind_ = DimensionKind::kList;
  d.size_ = static_cast<int64_t>(values.size());
  d.values_ = std::move(values);
  return d;
}

Result<Dimension> Dimension::int_range(std::string name, int64_t start, int64_t stop,
                                       int64_t step) {
  std::string what = "dimension " + squote(name);
  TTG_TRY(in_context(validate_param_name(name), what));
  if (step == 0) return invalid(what + ": range step must not be 0");
  uint64_t n = int_range_size(start, stop, step);
  if (n == 0) {
    return invalid(what + ": range from " + std::to_string(start) + " to " + std::to_string(stop) +
                   " by " + std::to_string(step) + " is empty");
  }
  if (n > static_cast<uint64_t>(kMaxPoints)) return invalid(what + ": more than 2^63 - 1 values");
  Dimension d;
  d.name_ = std::move(name);
  d.kind_ = DimensionKind::kRange;
  d.integer_range_ = true;
  d.istart_ = start;
  d.istop_ = stop;
  d.istep_ = step;
  d.start_ = static_cast<double>(start);
  d.stop_ = static_cast<double>(stop);
  d.step_ = static_cast<double>(step);
  d.size_ = static_cast<int64_t>(n);
  return d;
}

Result<Dimension> Dimension::float_range(std::string name, double start, double stop, double step) {
  std::string what = "dimension " + squote(name);
  TTG_TRY(in_context(validate_param_name(name), what));
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step)) {
    return invalid(what + ": NaN or infinity is not allowed");
  }
  if (step == 0) return invalid(what + ": range step must not be 0");
  auto empty = [&] {
    return invalid(what + ": range from " + number_text(start) + " to " + number_text(stop) +
                   " by " + number_text(step) + " is empty");
  };
  double n = std::ceil((stop - start) / step);
  if (std::isnan(n) || n < 1) return empty();
  // 2^63 as a double; anything at or above it does not fit.
  if (n >= 9223372036854775808.0) return invalid(what + ": more than 2^63 - 1 values");
  auto size = static_cast<int64_t>(n);
  // (stop - start) / step rounds; drop values that land on or past `stop`,
  // so that `stop` is exclusive for every value actually produced.
  auto before_stop = [&](int64_t i) {
    double v = start + static_cast<double>(i) * step;
    return step > 0 ? v < stop : v > stop;
  };
  while (size > 0 && !before_stop(size - 1)) --size;
  if (size == 0) return empty();
  Dimension d;
  d.name_ = std::move(name);
  d.kind_ = DimensionKind::kRange;
  d.start_ = start;
  d.stop_ = stop;
  d.step_ = step;
  d.size_ = size;
  return d;
}

Result<Dimension> Dimension::linspace(std::string name, double start, double stop, int64_t num) {
  std::string what = "dimension " + squote(name);
  TTG_TRY(in_context(validate_param_name(name), what));
  if (!std::isfinite(start) || !std::isfinite(stop)) {
    return invalid(what + ": NaN or infinity is not allowed");
  }
  if (num < 1) {
    return invalid(what + ": linspace num must be at least 1, got " + std::to_string(num));
  }
  if (!std::isfinite(stop - start)) return invalid(what + ": stop - start is not finite");
  Dimension d;
  d.name_ = std::move(name);
  d.kind_ = DimensionKind::kLinspace;
  d.start_ = start;
  d.stop_ = stop;
  d.num_ = num;
  d.size_ = num;
  return d;
}

Result<Dimension> Dimension::logspace(std::string name, double start, double stop, int64_t num) {
  TTG_TRY_ASSIGN(Dimension d, linspace(std::move(name), start, stop, num));
  // 10^x is monotonic, so the endpoints bound every value.
  for (double x : {start, stop}) {
    if (!std::isfinite(std::pow(10.0, x))) {
      return invalid("dimension " + squote(d.name_) + ": 10^" + number_text(x) +
                     " is not a finite number");
    }
  }
  d.kind_ = DimensionKind::kLogspace;
  return d;
}

bool Dimension::integer() const {
  if (kind_ == DimensionKind::kRange) return integer_range_;
  if (kind_ != DimensionKind::kList) return false;
  return std::all_of(values_.begin(), values_.end(),
                     [](const json& v) { return v.is_number_integer(); });
}

json Dimension::value(int64_t i) const {
  assert(i >= 0 && i < size_);
  switch (kind_) {
    case DimensionKind::kList:
      return values_[static_cast<size_t>(i)];
    case DimensionKind::kRange:
      if (integer_range_) {
        // Wraps in uint64_t and back: every value lies between start and
        // stop, so the true result fits.
        return static_cast<int64_t>(static_cast<uint64_t>(istart_) +
                                    static_cast<uint64_t>(i) * static_cast<uint64_t>(istep_));
      }
      return start_ + static_cast<double>(i) * step_;
    case DimensionKind::kLinspace:
    case DimensionKind::kLogspace: {
      double x = start_;
      if (num_ > 1) {
        // As numpy.linspace: i * step + start, and the last value exactly
        // `stop`; when the step underflows to 0, i / div * delta + start.
        double div = static_cast<double>(num_ - 1);
        double delta = stop_ - start_;
        double step = delta / div;
        if (i == num_ - 1) {
          x = stop_;
        } else if (step == 0) {
          x = static_cast<double>(i) / div * delta + start_;
        } else {
          x = static_cast<double>(i) * step + start_;
        }
      }
      return kind_ == DimensionKind::kLogspace ? std::pow(10.0, x) : x;
    }
  }
  return nullptr;
}

json Dimension::to_json() const {
  json j{{"name", name_}};
  switch (kind_) {
    case DimensionKind::kList:
      j["values"] = values_;
      break;
    case DimensionKind::kRange:
      if (integer_range_) {
        j["range"] = {{"start", istart_}, {"stop", istop_}, {"step", istep_}};
      } else {
        j["range"] = {{"start", start_}, {"stop", stop_}, {"step", step_}};
      }
      break;
    case DimensionKind::kLinspace:
    case DimensionKind::kLogspace:
      j[std::string(dimension_kind_name(kind_))] = {
          {"start", start_}, {"stop", stop_}, {"num", num_}};
      break;
  }
  return j;
}

Result<Dimension> Dimension::from_json(const json& j) {
  if (!j.is_object()) return invalid("dimension: expected an object");
  auto name_it = j.find("name");
  if (name_it == j.end() || !name_it->is_string()) {
    return invalid("dimension: 'name' must be a string");
  }
  std::string name = name_it->get<std::string>();
  std::string what = "dimension " + squote(name);
  if (j.size() != 2) {
    return invalid(what + ": expected 'name' and one of values, range, linspace, logspace");
  }
  if (auto it = j.find("values"); it != j.end()) {
    if (!it->is_array()) return invalid(what + ": 'values' must be an array");
    return list(std::move(name), it->get<std::vector<json>>());
  }
  if (auto it = j.find("range"); it != j.end()) {
    TTG_TRY(check_keys(*it, {"start", "stop", "step"}, what + ": range"));
    const json& r = *it;
    if (r["start"].is_number_integer() && r["stop"].is_number_integer() &&
        r["step"].is_number_integer()) {
      TTG_TRY_ASSIGN(int64_t start, in_context(int_field(r["start"], "range start"), what));
      TTG_TRY_ASSIGN(int64_t stop, in_context(int_field(r["stop"], "range stop"), what));
      TTG_TRY_ASSIGN(int64_t step, in_context(int_field(r["step"], "range step"), what));
      return int_range(std::move(name), start, stop, step);
    }
    for (const char* k : {"start", "stop", "step"}) {
      if (!r[k].is_number()) return invalid(what + ": range " + k + ": expected a number");
    }
    return float_range(std::move(name), r["start"].get<double>(), r["stop"].get<double>(),
                       r["step"].get<double>());
  }
  for (DimensionKind kind : {DimensionKind::kLinspace, DimensionKind::kLogspace}) {
    std::string key(dimension_kind_name(kind));
    auto it = j.find(key);
    if (it == j.end()) continue;
    TTG_TRY(check_keys(*it, {"start", "stop", "num"}, what + ": " + key));
    std::string ctx = what + ": " + key;
    TTG_TRY_ASSIGN(double start, in_context(float_field((*it)["start"], "start"), ctx));
    TTG_TRY_ASSIGN(double stop, in_context(float_field((*it)["stop"], "stop"), ctx));
    TTG_TRY_ASSIGN(int64_t num, in_context(int_field((*it)["num"], "num"), ctx));
    return kind == DimensionKind::kLinspace ? linspace(std::move(name), start, stop, num)
                                            : logspace(std::move(name), start, stop, num);
  }
  return invalid(what + ": expected 'name' and one of values, range, linspace, logspace");
}

// ---- ParamSpace ----

struct ParamSpace::State {
  // One axis of the product: a dimension, or a zip group varying together.
  struct Axis {
    std::vector<size_t> members;  // indices into dims
    int64_t size = 0;
  };

  bool table = false;
  std::vector<std::string> names;
  int64_t size = 0;
  // Grids.
  std::vector<Dimension> dims;
  std::vector<std::vector<std::string>> zip;
  std::vector<Axis> axes;
  // Tables: size rows of names.size() values, row after row.
  std::vector<json> cells;
};

Result<ParamSpace> ParamSpace::count(int64_t n) {
  if (n < 1) {
    return invalid("the number of parameters must be at least 1, got " + std::to_string(n));
  }
  TTG_TRY_ASSIGN(Dimension d, Dimension::int_range("param", 0, n, 1));
  std::vector<Dimension> dims;
  dims.push_back(std::move(d));
  return grid(std::move(dims));
}

Result<ParamSpace> ParamSpace::grid(std::vector<Dimension> dims,
                                    std::vector<std::vector<std::string>> zip) {
  if (dims.empty()) return invalid("no dimensions");
  if (static_cast<int64_t>(dims.size()) > kMaxDimensions) {
    return invalid(std::to_string(dims.size()) + " dimensions, more than " +
                   std::to_string(kMaxDimensions));
  }
  int64_t listed = 0;
  for (const auto& d : dims) listed += d.kind() == DimensionKind::kList ? d.size() : 0;
  if (listed > kMaxListedValues) {
    return invalid("more than " + std::to_string(kMaxListedValues) + " listed values");
  }
  auto state = std::make_shared<State>();
  for (const auto& d : dims) {
    if (std::find(state->names.begin(), state->names.end(), d.name()) != state->names.end()) {
      return invalid("duplicate dimension " + squote(d.name()));
    }
    state->names.push_back(d.name());
  }
  // group_of[d]: the zip group of dimension d, or -1.
  std::vector<int> group_of(dims.size(), -1);
  for (size_t g = 0; g < zip.size(); ++g) {
    if (zip[g].empty()) return invalid("zip group " + std::to_string(g + 1) + " is empty");
    for (const auto& name : zip[g]) {
      auto it = std::find(state->names.begin(), state->names.end(), name);
      if (it == state->names.end()) return invalid("zip: no dimension " + squote(name));
      auto d = static_cast<size_t>(it - state->names.begin());
      if (group_of[d] >= 0) {
        return invalid("zip: dimension " + squote(name) + " appears more than once");
      }
      group_of[d] = static_cast<int>(g);
    }
    const Dimension& first = *std::find_if(
        dims.begin(), dims.end(), [&](const Dimension& x) { return x.name() == zip[g][0]; });
    for (const auto& name : zip[g]) {
      const Dimension& other = *std::find_if(dims.begin(), dims.end(),
                                             [&](const Dimension& x) { return x.name() == name; });
      if (other.size() != first.size()) {
        return invalid("zip: dimensions " + squote(first.name()) + " (" +
                       count_of(first.size(), "value") + ") and " + squote(other.name()) + " (" +
                       count_of(other.size(), "value") + ") differ in length");
      }
    }
  }
  std::vector<bool> placed(zip.size(), false);
  for (size_t d = 0; d < dims.size(); ++d) {
    if (group_of[d] < 0) {
      state->axes.push_back({{d}, dims[d].size()});
      continue;
    }
    auto g = static_cast<size_t>(group_of[d]);
    if (placed[g]) continue;
    placed[g] = true;
    State::Axis axis;
    axis.size = dims[d].size();
    for (size_t m = 0; m < dims.size(); ++m) {
      if (group_of[m] == group_of[d]) axis.members.push_back(m);
    }
    state->axes.push_back(std::move(axis));
  }
  state->dims = std::move(dims);
  state->zip = std::move(zip);
  int64_t size = 1;
  for (const auto& axis : state->axes) {
    if (__builtin_mul_overflow(size, axis.size, &size)) {
      return invalid("the space has more than 2^63 - 1 points: " + ParamSpace(state).describe());
    }
  }
  state->size = size;
  return ParamSpace(std::move(state));
}

Result<ParamSpace> ParamSpace::table(std::vector<std::string> columns,
                                     std::vector<std::vector<json>> rows) {
  if (columns.empty()) return invalid("table: no columns");
  if (static_cast<int64_t>(columns.size()) > kMaxDimensions) {
    return invalid("table: " + std::to_string(columns.size()) + " columns, more than " +
                   std::to_string(kMaxDimensions));
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (auto st = validate_param_name(columns[c]); !st) {
      return invalid("table: column " + std::to_string(c + 1) + ": " + st.error().message);
    }
    if (std::find(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(c), columns[c]) !=
        columns.begin() + static_cast<std::ptrdiff_t>(c)) {
      return invalid("table: duplicate column " + squote(columns[c]));
    }
  }
  if (rows.empty()) return invalid("table: no rows");
  if (static_cast<int64_t>(rows.size()) > kMaxTableRows) {
    return invalid("table: " + std::to_string(rows.size()) + " rows, more than " +
                   std::to_string(kMaxTableRows));
  }
  if (static_cast<int64_t>(rows.size() * columns.size()) > kMaxListedValues) {
    return invalid("table: " + std::to_string(rows.size() * columns.size()) +
                   " values, more than " + std::to_string(kMaxListedValues));
  }
  auto state = std::make_shared<State>();
  state->table = true;
  state->cells.reserve(rows.size() * columns.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != columns.size()) {
      return invalid("table: row " + std::to_string(r + 1) + " has " +
                     count_of(static_cast<int64_t>(rows[r].size()), "value") + ", expected " +
                     std::to_string(columns.size()));
    }
    for (size_t c = 0; c < columns.size(); ++c) {
      if (auto st = check_value(rows[r][c]); !st) {
        return invalid("table: row " + std::to_string(r + 1) + ", column " + squote(columns[c]) +
                       ": " + st.error().message);
      }
      state->cells.push_back(std::move(rows[r][c]));
    }
  }
  state->names = std::move(columns);
  state->size = static_cast<int64_t>(rows.size());
  return ParamSpace(std::move(state));
}

int64_t ParamSpace::size() const { return state_->size; }

json ParamSpace::point(int64_t index) const {
  assert(index >= 0 && index < state_->size);
  json out = json::object();
  const State& s = *state_;
  if (s.table) {
    size_t base = static_cast<size_t>(index) * s.names.size();
    for (size_t c = 0; c < s.names.size(); ++c) out[s.names[c]] = s.cells[base + c];
    return out;
  }
  // Mixed radix, the last axis fastest.
  for (size_t a = s.axes.size(); a-- > 0;) {
    const auto& axis = s.axes[a];
    int64_t i = index % axis.size;
    index /= axis.size;
    for (size_t m : axis.members) out[s.dims[m].name()] = s.dims[m].value(i);
  }
  return out;
}

const std::vector<std::string>& ParamSpace::names() const { return state_->names; }

bool ParamSpace::is_table() const { return state_->table; }

const std::vector<Dimension>& ParamSpace::dimensions() const { return state_->dims; }

const std::vector<std::vector<std::string>>& ParamSpace::zip_groups() const { return state_->zip; }

std::string ParamSpace::describe() const {
  const State& s = *state_;
  std::string out;
  if (s.table) {
    out = "table of " + std::to_string(s.size) + (s.size == 1 ? " row: " : " rows: ");
    for (size_t c = 0; c < s.names.size(); ++c) out += (c > 0 ? ", " : "") + s.names[c];
    return out;
  }
  for (const auto& axis : s.axes) {
    if (!out.empty()) out += " x ";
    if (axis.members.size() == 1) {
      out += s.dims[axis.members[0]].name();
    } else {
      out += "(";
      for (size_t m = 0; m < axis.members.size(); ++m) {
        out += (m > 0 ? ", " : "") + s.dims[axis.members[m]].name();
      }
      out += ")";
    }
    out += "[" + std::to_string(axis.size) + "]";
  }
  return out;
}

json ParamSpace::to_json() const {
  const State& s = *state_;
  if (s.table) {
    json rows = json::array();
    const size_t ncols = s.names.size();
    for (size_t r = 0; r < static_cast<size_t>(s.size); ++r) {
      rows.push_back(
          json(std::vector<json>(s.cells.begin() + static_cast<std::ptrdiff_t>(r * ncols),
                                 s.cells.begin() + static_cast<std::ptrdiff_t>((r + 1) * ncols))));
    }
    return json{{"table", {{"columns", s.names}, {"rows", std::move(rows)}}}};
  }
  json dims = json::array();
  for (const auto& d : s.dims) dims.push_back(d.to_json());
  json j{{"dims", std::move(dims)}};
  if (!s.zip.empty()) j["zip"] = s.zip;
  return j;
}

Result<ParamSpace> ParamSpace::from_json(const json& j) {
  constexpr std::string_view ctx = "param space";
  if (!j.is_object()) return invalid("param space: expected an object");
  if (auto t = j.find("table"); t != j.end()) {
    if (j.size() != 1) return invalid("param space: 'table' cannot be combined with other keys");
    TTG_TRY(in_context(check_keys(*t, {"columns", "rows"}, "table"), ctx));
    const json& columns = (*t)["columns"];
    const json& rows = (*t)["rows"];
    if (!columns.is_array() ||
        !std::all_of(columns.begin(), columns.end(), [](const json& c) { return c.is_string(); })) {
      return invalid("param space: table columns must be an array of strings");
    }
    if (!rows.is_array() ||
        !std::all_of(rows.begin(), rows.end(), [](const json& r) { return r.is_array(); })) {
      return invalid("param space: table rows must be an array of arrays");
    }
    std::vector<std::vector<json>> values;
    values.reserve(rows.size());
    for (const auto& r : rows) values.push_back(r.get<std::vector<json>>());
    return in_context(table(columns.get<std::vector<std::string>>(), std::move(values)), ctx);
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "dims" && it.key() != "zip") {
      return invalid("param space: unknown key '" + it.key() + "'");
    }
  }
  auto dims_it = j.find("dims");
  if (dims_it == j.end() || !dims_it->is_array()) {
    return invalid("param space: 'dims' must be an array");
  }
  std::vector<Dimension> dims;
  for (const auto& d : *dims_it) {
    TTG_TRY_ASSIGN(Dimension dim, in_context(Dimension::from_json(d), ctx));
    dims.push_back(std::move(dim));
  }
  std::vector<std::vector<std::string>> zip;
  if (auto z = j.find("zip"); z != j.end()) {
    bool ok_shape = z->is_array() && std::all_of(z->begin(), z->end(), [](const json& g) {
                      return g.is_array() && std::all_of(g.begin(), g.end(), [](const json& n) {
                               return n.is_string();
                             });
                    });
    if (!ok_shape) return invalid("param space: 'zip' must be an array of arrays of names");
    zip = z->get<std::vector<std::vector<std::string>>>();
  }
  return in_context(grid(std::move(dims), std::move(zip)), ctx);
}

// ---- Tables from text ----

namespace {

struct CsvField {
  std::string text;
  bool quoted = false;
};

struct CsvRecord {
  int64_t line = 0;  // where the record starts
  std::vector<CsvField> fields;
};

std::string at(std::string_view source, int64_t line) {
  return std::string(source) + ":" + std::to_string(line) + ": ";
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

Result<std::vector<CsvRecord>> split_csv(std::string_view text, std::string_view source) {
  std::vector<CsvRecord> records;
  int64_t line = 1;
  CsvRecord record{line, {}};
  std::string field;
  bool quoted = false;     // the current field was quoted
  bool in_quotes = false;  // inside its quotes
  auto end_field = [&] {
    record.fields.push_back({quoted ? field : std::string(util::trim(field)), quoted});
    field.clear();
    quoted = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank =
        record.fields.size() == 1 && !record.fields[0].quoted && record.fields[0].text.empty();
    if (!blank) records.push_back(std::move(record));
    record = CsvRecord{line + 1, {}};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      end_field();
    } else if (c == '\n') {
      end_record();
      ++line;
    } else if (c == '\r') {
      // CR LF line ends; a CR elsewhere outside quotes is dropped too.
    } else if (quoted) {
      if (!is_blank(c)) return invalid(at(source, line) + "text after a closing quote");
    } else if (c == '"') {
      if (!util::trim(field).empty()) return invalid(at(source, line) + "quote inside a field");
      field.clear();
      quoted = true;
      in_quotes = true;
    } else {
      field += c;
    }
  }
  if (in_quotes) return invalid(at(source, record.line) + "quoted field is not closed");
  if (quoted || !field.empty() || !record.fields.empty()) end_record();
  return records;
}

// Checks that row number `row` (1-based) of `columns` columns, on `line`,
// keeps a table within its limits.
Status check_table_size(std::string_view source, int64_t line, int64_t row, size_t columns) {
  if (row > kMaxTableRows) {
    return invalid(at(source, line) + "more than " + std::to_string(kMaxTableRows) + " rows");
  }
  if (row * static_cast<int64_t>(columns) > kMaxListedValues) {
    return invalid(at(source, line) + "more than " + std::to_string(kMaxListedValues) + " values");
  }
  return ok();
}

// An unquoted CSV field: integer, else finite number, else string.
Result<json> csv_value(const CsvField& f) {
  if (f.quoted) return json(f.text);
  if (auto i = util::parse_int(f.text)) return json(*i);
  if (auto d = util::parse_number(f.text)) {
    if (!std::isfinite(*d)) {
      return invalid("'" + f.text + "' is not a finite number (quote it for a string)");
    }
    return json(*d);
  }
  return json(f.text);
}

}  // namespace

Result<ParamSpace> ParamSpace::from_csv(std::string_view text, std::string_view source) {
  if (util::starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  TTG_TRY_ASSIGN(auto records, split_csv(text, source));
  if (records.empty()) {
    return invalid(at(source, 1) + "empty file: expected a header of column names");
  }
  const CsvRecord& header = records[0];
  if (static_cast<int64_t>(header.fields.size()) > kMaxDimensions) {
    return invalid(at(source, header.line) + std::to_string(header.fields.size()) +
                   " columns, more than " + std::to_string(kMaxDimensions));
  }
  std::vector<std::string> columns;
  for (const auto& f : header.fields) {
    if (auto st = validate_param_name(f.text); !st) {
      return invalid(at(source, header.line) + "column " + std::to_string(columns.size() + 1) +
                     ": " + st.error().message);
    }
    if (std::find(columns.begin(), columns.end(), f.text) != columns.end()) {
      return invalid(at(source, header.line) + "duplicate column " + squote(f.text));
    }
    columns.push_back(f.text);
  }
  if (records.size() == 1) return invalid(at(source, header.line) + "no rows after the header");
  std::vector<std::vector<json>> rows;
  rows.reserve(records.size() - 1);
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    TTG_TRY(check_table_size(source, rec.line, static_cast<int64_t>(r), columns.size()));
    if (rec.fields.size() != columns.size()) {
      return invalid(at(source, rec.line) + "row has " +
                     count_of(static_cast<int64_t>(rec.fields.size()), "field") +
                     ", the header has " + std::to_string(columns.size()));
    }
    std::vector<json> row;
    row.reserve(columns.size());
    for (size_t c = 0; c < columns.size(); ++c) {
      const CsvField& f = rec.fields[c];
      if (!f.quoted && f.text.empty()) {
        return invalid(at(source, rec.line) + "column " + squote(columns[c]) + " is empty");
      }
      auto v = csv_value(f).and_then([](json value) -> Result<json> {
        TTG_TRY(check_value(value));
        return value;
      });
      if (!v) {
        return invalid(at(source, rec.line) + "column " + squote(columns[c]) + ": " +
                       v.error().message);
      }
      row.push_back(std::move(*v));
    }
    rows.push_back(std::move(row));
  }
  return table(std::move(columns), std::move(rows));
}

Result<ParamSpace> ParamSpace::from_jsonl(std::string_view text, std::string_view source) {
  std::vector<std::string> columns;
  int64_t first_line = 0;
  std::vector<std::vector<json>> rows;
  int64_t line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line;
    if (line == 1 && util::starts_with(raw, "\xEF\xBB\xBF")) raw.remove_prefix(3);
    if (util::trim(raw).empty()) continue;
    // Keys in file order, and duplicates, which parsing would merge.
    std::vector<std::string> keys;
    std::string duplicate;
    auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::key && depth == 1) {
        auto key = parsed.get<std::string>();
        if (duplicate.empty() && std::find(keys.begin(), keys.end(), key) != keys.end()) {
          duplicate = key;
        }
        keys.push_back(std::move(key));
      }
      return true;
    };
    json object;
    try {
      object = json::parse(raw.begin(), raw.end(), callback);
    } catch (const json::parse_error& e) {
      // Strict JSON: a trailing comma is an error too, told in plain words.
      return invalid(at(source, line) + util::explain_json_error(raw, e.byte, e.what()).message);
    } catch (const json::exception& e) {
      // "[json.exception.out_of_range.406] number overflow parsing '1e999'"
      std::string what = e.what();
      auto end_of_id = what.find("] ");
      if (end_of_id != std::string::npos) what = what.substr(end_of_id + 2);
      return invalid(at(source, line) + "not valid JSON: " + what);
    }
    if (!object.is_object()) {
      return invalid(at(source, line) + "expected a JSON object, got " + type_name(object));
    }
    if (!duplicate.empty()) return invalid(at(source, line) + "duplicate key " + squote(duplicate));
    if (rows.empty()) {
      for (size_t c = 0; c < keys.size(); ++c) {
        if (auto st = validate_param_name(keys[c]); !st) {
          return invalid(at(source, line) + "key " + std::to_string(c + 1) + ": " +
                         st.error().message);
        }
      }
      if (keys.empty()) return invalid(at(source, line) + "empty object: no columns");
      if (static_cast<int64_t>(keys.size()) > kMaxDimensions) {
        return invalid(at(source, line) + std::to_string(keys.size()) + " columns, more than " +
                       std::to_string(kMaxDimensions));
      }
      columns = keys;
      first_line = line;
    } else {
      for (const auto& c : columns) {
        if (!object.contains(c)) {
          return invalid(at(source, line) + "keys differ from line " + std::to_string(first_line) +
                         ": missing " + squote(c));
        }
      }
      for (const auto& k : keys) {
        if (std::find(columns.begin(), columns.end(), k) == columns.end()) {
          return invalid(at(source, line) + "keys differ from line " + std::to_string(first_line) +
                         ": unexpected " + squote(k));
        }
      }
    }
    TTG_TRY(check_table_size(source, line, static_cast<int64_t>(rows.size()) + 1, columns.size()));
    std::vector<json> row;
    row.reserve(columns.size());
    for (const auto& c : columns) {
      if (auto st = check_value(object[c]); !st) {
        return invalid(at(source, line) + squote(c) + ": " + st.error().message);
      }
      row.push_back(std::move(object[c]));
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return invalid(at(source, 1) + "empty file: expected one JSON object per line");
  return table(std::move(columns), std::move(rows));
}

}  // namespace ttg
