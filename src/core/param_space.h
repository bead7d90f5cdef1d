#pragma once
// Parameter spaces: what a sweep iterates over. No I/O; the table parsers
// take text that the caller has read.
//
// A space is either
//   - a grid: named dimensions combined as a Cartesian product, the last
//     dimension varying fastest; dimensions in a zip group have equal
//     lengths and vary together as one axis, placed where the group's first
//     dimension is declared; or
//   - a table: explicit parameter sets, one row each, under named columns.
// Points are numbered 0..size()-1, and point(i) is computed from `i` alone in
// O(dimensions), so a space of 10^9 points costs no more than one of 10.
//
// A space is immutable once made and cheap to copy (copies share their
// state); all const methods are safe to call from many threads at once.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace ttg {

// Limits of a space (docs/ARCHITECTURE.md, "Limits"). The space is stored in
// the job's spec, which every worker and every `ttg status` reads, and each
// point's values go into its result record; the factories, from_json() and
// the parsers refuse anything bigger, the parsers with the line.
// Dimensions of a grid, and columns of a table.
inline constexpr int64_t kMaxDimensions = 256;
// Rows of a table.
inline constexpr int64_t kMaxTableRows = 1'000'000;
// Values of one list dimension.
inline constexpr int64_t kMaxListValues = 1'000'000;
// Values a space holds: the lists' of a grid together, or a table's cells.
inline constexpr int64_t kMaxListedValues = 10'000'000;
// Bytes of one string value.
inline constexpr size_t kMaxValueBytes = 4096;

enum class DimensionKind {
  kList,      // explicit values
  kRange,     // start, start + step, ... before stop (exclusive)
  kLinspace,  // num evenly spaced values from start to stop, both included
  kLogspace,  // 10^x for x in linspace(start, stop, num)
};

// "list", "range", "linspace", "logspace": the key of the kind in JSON and
// spec files.
std::string_view dimension_kind_name(DimensionKind kind);

// Dimension and column names: 1 to 64 characters of letters, digits, '_',
// '.' and '-', starting with a letter or '_'. They become keys of every
// point and may reach external programs as names on a command line.
[[nodiscard]] Status validate_param_name(std::string_view name);

// One named axis of values. Errors from the factories are kInvalidArgument
// with a message that starts "dimension 'NAME': " and carries no location:
// callers that know where the dimension came from add it in front.
class Dimension {
 public:
  // Explicit values: finite numbers, strings (UTF-8, at most kMaxValueBytes)
  // or booleans; 1 to kMaxListValues of them.
  [[nodiscard]] static Result<Dimension> list(std::string name, std::vector<nlohmann::json> values);
  // start, start + step, ... while before `stop` (exclusive); `step` may be
  // negative but not 0. Values are integers. Empty ranges are errors, and
  // so are ranges of more than 2^63 - 1 values.
  [[nodiscard]] static Result<Dimension> int_range(std::string name, int64_t start, int64_t stop,
                                                   int64_t step);
  // As int_range, with floating-point values start + i * step; every value
  // is strictly before `stop` in the direction of `step`. All three must be
  // finite.
  [[nodiscard]] static Result<Dimension> float_range(std::string name, double start, double stop,
                                                     double step);
  // `num` (>= 1) values from `start` to `stop`, both included, computed as
  // numpy.linspace does (start + i * (stop - start) / (num - 1), the last one
  // exactly `stop`; num 1 gives `start`). Values are floats.
  [[nodiscard]] static Result<Dimension> linspace(std::string name, double start, double stop,
                                                  int64_t num);
  // 10^x for each x of linspace(start, stop, num): 10^start to 10^stop,
  // both included. Every value must be finite.
  [[nodiscard]] static Result<Dimension> logspace(std::string name, double start, double stop,
                                                  int64_t num);

  const std::string& name() const { return name_; }
  DimensionKind kind() const { return kind_; }
  // Number of values, at least 1.
  int64_t size() const { return size_; }
  // True when the values are JSON integers (int ranges; lists of integers).
  bool integer() const;
  // The value at `i` (0 <= i < size()).
  nlohmann::json value(int64_t i) const;

  // {"name": N, "values": [...]}, {"name": N, "range": {"start", "stop",
  // "step"}}, {"name": N, "linspace": {"start", "stop", "num"}} or the same
  // with "logspace".
  nlohmann::json to_json() const;
  // The inverse of to_json(), validated like the factories.
  [[nodiscard]] static Result<Dimension> from_json(const nlohmann::json& j);

 private:
  Dimension() = default;

  std::string name_;
  DimensionKind kind_ = DimensionKind::kList;
  int64_t size_ = 0;
  std::vector<nlohmann::json> values_;          // kList
  int64_t istart_ = 0, istop_ = 0, istep_ = 0;  // kRange of integers
  bool integer_range_ = false;                  // kRange: integers or floats
  double start_ = 0, stop_ = 0, step_ = 0;      // the rest
  int64_t num_ = 0;                             // kLinspace, kLogspace
};

class ParamSpace {
 public:
  // `--params N`: one integer dimension "param" with values 0..n-1 (n >= 1).
  [[nodiscard]] static Result<ParamSpace> count(int64_t n);
  // The Cartesian product of `dims` (at least one; names unique), with the
  // dimensions named in each group of `zip` varying together. Errors:
  // duplicate names, a zip naming an unknown dimension or one already in
  // another group, zipped dimensions of different lengths, a product of
  // more than 2^63 - 1 points, more than kMaxDimensions dimensions or
  // kMaxListedValues listed values.
  [[nodiscard]] static Result<ParamSpace> grid(std::vector<Dimension> dims,
                                               std::vector<std::vector<std::string>> zip = {});
  // Explicit parameter sets: `rows` (1 to kMaxTableRows) of one value per
  // column (1 to kMaxDimensions, names unique); values are finite numbers,
  // strings (UTF-8, at most kMaxValueBytes) or booleans; at most
  // kMaxListedValues cells.
  [[nodiscard]] static Result<ParamSpace> table(std::vector<std::string> columns,
                                                std::vector<std::vector<nlohmann::json>> rows);

  // Number of points, 1 to 2^63 - 1.
  int64_t size() const;
  // The parameter set of point `index` (0 <= index < size()) as
  // {"name": value, ...}. O(dimensions) for grids, a row copy for tables.
  nlohmann::json point(int64_t index) const;
  // Dimension names in declaration order, or the table's columns.
  const std::vector<std::string>& names() const;

  bool is_table() const;
  // The grid's dimensions in declaration order (empty for a table).
  const std::vector<Dimension>& dimensions() const;
  // The grid's zip groups (empty for a table).
  const std::vector<std::vector<std::string>>& zip_groups() const;
  // For people: "beta[5] x gamma[5]", "(a, b)[3] x c[2]",
  // "table of 100 rows: beta, gamma".
  std::string describe() const;

  // {"dims": [Dimension::to_json()...], "zip": [[names]...]} ("zip" only when
  // there are groups) or {"table": {"columns": [...], "rows": [[...]...]}}.
  nlohmann::json to_json() const;
  // The inverse of to_json(); every check of the factories applies.
  // Errors are kInvalidArgument starting "param space: ".
  [[nodiscard]] static Result<ParamSpace> from_json(const nlohmann::json& j);

  // A table from CSV text: a header line of column names, then one row per
  // line; blank lines are skipped, fields may be double-quoted ("" is a
  // quote inside one, and a quoted field may span lines). Unquoted fields are
  // trimmed and typed: integer, else finite number, else string; an empty
  // unquoted field is an error; quoted fields are strings; every field must
  // be UTF-8. A UTF-8 byte
  // order mark and CR line ends are accepted. Errors are kInvalidArgument
  // "`source`:LINE: message" (missing header, no rows, a row whose number
  // of fields differs from the header's, duplicate or bad column names, and
  // the limits of table()).
  [[nodiscard]] static Result<ParamSpace> from_csv(std::string_view text, std::string_view source);
  // A table from JSON lines: one object per non-blank line, each with the
  // same keys (the columns, in the order of the first line) and scalar
  // values (finite numbers, strings, booleans). Errors as from_csv().
  [[nodiscard]] static Result<ParamSpace> from_jsonl(std::string_view text,
                                                     std::string_view source);

 private:
  struct State;
  explicit ParamSpace(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::shared_ptr<const State> state_;
};

}  // namespace ttg
