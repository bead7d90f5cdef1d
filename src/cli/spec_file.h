#pragma once
// Job spec files (YAML or JSON) and parameter tables (CSV or JSON lines) for
// `ttg submit --spec FILE --params-file FILE`.
//
// A spec file is a mapping; every key is optional:
//
//   kernel: simulate              # kernel name (string)
//   args: {work_ms: 10}           # the kernel's fixed arguments (mapping)
//   params:                       # the parameter space (mapping), or an
//     dims:                       #   integer N: like --params N
//       beta: {linspace: {start: 0.1, stop: 0.5, num: 5}}
//       gamma: {logspace: {start: -2, stop: 0, num: 3}}
//       seed: {range: {start: 0, stop: 10, step: 2}}   # step defaults to 1
//       model: [sir, seir]        # explicit values: numbers, strings, booleans
//     zip: [[beta, gamma]]        # dimensions that vary together (optional)
//   chunk_size: 100               # points per chunk (integer >= 1), or auto
//                                 #   (kAutoChunkSize: timed at submit)
//   max_attempts: 3               # integer 1..1000
//   outputs: [peak, total]        # outputs to keep (default all)
//   exec: ./model --fast          # a program to run: kernel 'exec' (the
//                                 #   default then), argument 'command'
//
// A JSON spec (a SOURCE ending in .json, or, unless it ends in .yaml or
// .yml, a text whose first character is '{') must be strict JSON (RFC 8259:
// no trailing commas, no comments, names in double quotes); it is then read
// by the same YAML parser as YAML specs (JSON is YAML's flow style), so both
// report errors with line numbers. Unquoted scalars are typed as YAML 1.2
// does (integer, float, true/false, null, else string); quoted ones are
// strings. Strings (keys, values, names) must be UTF-8.
//
// Errors are kInvalidArgument, "SOURCE:LINE: message", where SOURCE is the
// name the caller gives (the path as typed), e.g.
//   sweep.yaml:7: dimension 'beta': range step must not be 0
//   sweep.yaml:4: the '[' on this line is never closed (add ']')
//   grid.json:3: a comma before '}': JSON allows none after the last member
// Syntax errors are told in plain words, on the line of the mistake rather
// than where the parser noticed it (util/syntax_error.h).
// A file that cannot be read is "FLAG: cannot read 'PATH': reason".
//
// Limits (docs/ARCHITECTURE.md, "Limits"): a spec file holds at most
// kMaxSpecFileBytes, a parameter table kMaxParamsFileBytes; a longer file, or
// an endless one such as /dev/zero, is "FLAG: cannot read 'PATH': larger
// than 16 MiB"; `args` holds at most kMaxArgValues values. The limits of the
// space itself (rows, columns, dimensions, values, string lengths) are
// ParamSpace's (core/param_space.h), and those of chunks JobSpec's
// (core/job.h); a spec file's errors give their line.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/param_space.h"
#include "core/result.h"

namespace ttg::cli {

// The largest spec file `ttg submit --spec` reads: 16 MiB.
inline constexpr size_t kMaxSpecFileBytes = size_t{16} << 20;
// The largest parameter table `ttg submit --params-file` reads: 64 MiB.
inline constexpr size_t kMaxParamsFileBytes = size_t{64} << 20;
// The most values (mappings, lists and scalars, counted each time an alias
// repeats them) a spec file's `args` may hold: 100,000.
inline constexpr int64_t kMaxArgValues = 100'000;

// What a spec file sets; fields it leaves out are nullopt.
struct SpecFile {
  std::optional<std::string> kernel;
  std::optional<nlohmann::json> args;
  std::optional<ParamSpace> params;
  // kAutoChunkSize (0) for `chunk_size: auto`.
  std::optional<int64_t> chunk_size;
  std::optional<int> max_attempts;
  std::optional<std::vector<std::string>> outputs;
  // The command of kernel 'exec'; when set, `kernel` is unset or "exec" and
  // `args` has no "command".
  std::optional<std::string> exec;

  // Where the fields were given, for errors found later, once the kernel is
  // known (cli/spec_check.h): `source` as given to parse_spec(), lines from
  // 1. A field the file leaves out has line 0 or no entry.
  std::string source;
  struct Lines {
    int kernel = 0;
    int exec = 0;
    // Each argument of `args`, by name.
    std::map<std::string, int, std::less<>> args;
    // Each parameter (dimension) of `params`, by name; "param" for a count.
    std::map<std::string, int, std::less<>> params;
  } lines;
};

// Parses spec `text` (YAML or JSON); `source` names it in errors.
[[nodiscard]] Result<SpecFile> parse_spec(std::string_view text, std::string_view source);

// Reads and parses the spec file at `path` (errors name "--spec" when the
// file cannot be read).
[[nodiscard]] Result<SpecFile> read_spec_file(const std::string& path);

enum class TableFormat { kCsv, kJsonLines };

// The format of a parameter table: by extension (.csv; .jsonl, .ndjson,
// .json), else by content (a first non-blank character '{' means JSON
// lines, anything else CSV).
TableFormat detect_table_format(std::string_view path, std::string_view text);

// A parameter table and where its column names are.
struct ParamsFile {
  ParamSpace space;
  // The line (from 1) of the column names: the CSV header, or the first JSON
  // line; the first line that is not blank.
  int header_line = 1;
};

// Reads the table at `path` (errors name "--params-file" when it cannot be
// read) and parses it as ParamSpace::from_csv() or from_jsonl() do.
[[nodiscard]] Result<ParamsFile> read_params_file(const std::string& path);

}  // namespace ttg::cli
