#include "cli/spec_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "core/job.h"
#include "util/file.h"
#include "util/strings.h"
#include "util/syntax_error.h"

namespace ttg::cli {

namespace {

using nlohmann::json;

std::string squote(std::string_view text) { return "'" + std::string(text) + "'"; }

// "1 value", "3 values".
std::string count_of(int64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

tl::unexpected<Error> invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// Reads a whole file of at most `max_bytes`; errors name `flag`.
Result<std::string> read_text(const std::string& path, std::string_view flag, size_t max_bytes) {
  auto text = util::read_file(path, max_bytes);
  if (!text)
    return invalid(std::string(flag) + ": cannot read " + squote(path) + ": " + text.error());
  return std::move(*text);
}

bool one_of(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (s == o) return true;
  }
  return false;
}

// Turns YAML nodes into values, reporting errors as "source:line: ...".
// yaml-cpp throws only from Load(), which parse_spec() wraps.
class SpecParser {
 public:
  // Records the lines of the fields it reads in `lines`, which must outlive
  // the parser.
  SpecParser(std::string_view source, SpecFile::Lines& lines) : source_(source), lines_(lines) {}

  Result<SpecFile> parse(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) {
      return invalid(std::string(source_) + ":1: empty spec: expected a mapping of " + kTopKeys);
    }
    if (!root.IsMap()) return fail(root, std::string("expected a mapping of ") + kTopKeys);
    SpecFile spec;
    std::set<std::string> seen;
    std::optional<YAML::Node> exec_node;
    for (const auto& kv : root) {
      const YAML::Node& key = kv.first;  // kv lives for the iteration
      const YAML::Node& value = kv.second;
      if (!key.IsScalar()) return fail(key, "expected a key");
      const std::string& name = key.Scalar();
      if (!seen.insert(name).second) return fail(key, "duplicate key " + squote(name));
      if (name == "kernel") {
        TTG_TRY_ASSIGN(spec.kernel, text(value, "kernel"));
        lines_.kernel = line_of(value);
      } else if (name == "exec") {
        TTG_TRY_ASSIGN(spec.exec, text(value, "exec"));
        exec_node.emplace(value);
        lines_.exec = line_of(value);
      } else if (name == "args") {
        if (!value.IsMap()) {
          return fail(value, "args: expected a mapping of argument names to values");
        }
        TTG_TRY_ASSIGN(spec.args, to_json(value, "args"));
        for (const auto& arg : value) lines_.args.emplace(arg.first.Scalar(), line_of(arg.first));
      } else if (name == "params") {
        TTG_TRY_ASSIGN(spec.params, params(value));
      } else if (name == "chunk_size") {
        TTG_TRY_ASSIGN(int64_t n, chunk_size(value));
        if (n > kMaxChunkSize) {
          return fail(value, "chunk_size: must be at most " + std::to_string(kMaxChunkSize) +
                                 ", got " + std::to_string(n));
        }
        spec.chunk_size = n;
      } else if (name == "max_attempts") {
        TTG_TRY_ASSIGN(int64_t n, integer(value, "max_attempts"));
        if (n < 1 || n > 1000) {
          return fail(value, "max_attempts: must be from 1 to 1000, got " + std::to_string(n));
        }
        spec.max_attempts = static_cast<int>(n);
      } else if (name == "outputs") {
        TTG_TRY_ASSIGN(spec.outputs, outputs(value));
      } else {
        return fail(key, "unknown key " + squote(name) + " (expected " + kTopKeys + ")");
      }
    }
    if (exec_node) {
      if (spec.kernel && *spec.kernel != "exec") {
        return fail(*exec_node, "exec: needs kernel 'exec', not " + squote(*spec.kernel));
      }
      if (spec.args && spec.args->contains("command")) {
        return fail(*exec_node, "exec: the command is also given as args.command");
      }
    }
    return spec;
  }

 private:
  static constexpr const char* kTopKeys =
      "kernel, args, params, chunk_size, max_attempts, outputs, exec";

  int line_of(const YAML::Node& node) const {
    return node.Mark().line < 0 ? 1 : node.Mark().line + 1;
  }

  tl::unexpected<Error> fail(const YAML::Node& node, const std::string& message) const {
    return invalid(std::string(source_) + ":" + std::to_string(line_of(node)) + ": " + message);
  }

  // Errors (no location) when `s` is not UTF-8: the spec is stored as JSON,
  // and yaml-cpp passes a file's bytes through unchecked.
  static Status utf8(const std::string& s) {
    if (auto bad = util::find_invalid_utf8(s)) {
      return invalid("not valid UTF-8 (byte " + std::to_string(*bad + 1) + " of the text)");
    }
    return {};
  }

  // A scalar typed as YAML 1.2's core schema; quoted scalars are strings.
  // Errors (no location): NaN or infinity, not UTF-8.
  static Result<json> typed(const YAML::Node& node) {
    if (node.IsNull()) return json(nullptr);
    const std::string& s = node.Scalar();
    TTG_TRY(utf8(s));
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(s);
    if (auto i = util::parse_int(s)) return json(*i);
    bool special = one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                              "-.INF", ".nan", ".NaN", ".NAN"});
    auto d = util::parse_number(s);
    if (special || (d && !std::isfinite(*d))) {
      return invalid(squote(s) + " is not a finite number (NaN or infinity is not allowed)");
    }
    if (d) return json(*d);
    if (one_of(s, {"true", "True", "TRUE"})) return json(true);
    if (one_of(s, {"false", "False", "FALSE"})) return json(false);
    if (one_of(s, {"null", "Null", "NULL", "~"})) return json(nullptr);
    return json(s);
  }

  Result<json> scalar(const YAML::Node& node, const std::string& what) const {
    auto v = typed(node);
    if (!v) return fail(node, what + ": " + v.error().message);
    return v;
  }

  Result<std::string> text(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar() || node.Scalar().empty()) return fail(node, what + ": expected a string");
    if (auto st = utf8(node.Scalar()); !st) return fail(node, what + ": " + st.error().message);
    return node.Scalar();
  }

  // A chunk size: a positive integer, or auto (kAutoChunkSize). Larger than
  // kMaxChunkSize is the caller's to refuse.
  Result<int64_t> chunk_size(const YAML::Node& node) const {
    if (node.IsScalar() && node.Scalar() == "auto") return kAutoChunkSize;
    if (!node.IsScalar()) return fail(node, "chunk_size: expected an integer or auto");
    TTG_TRY_ASSIGN(json v, scalar(node, "chunk_size"));
    if (!v.is_number_integer()) {
      return fail(node, "chunk_size: expected an integer or auto, got " + squote(node.Scalar()));
    }
    const int64_t n = v.get<int64_t>();
    if (n < 1) return fail(node, "chunk_size: must be at least 1, got " + std::to_string(n));
    return n;
  }

  Result<int64_t> integer(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return fail(node, what + ": expected an integer");
    TTG_TRY_ASSIGN(json v, scalar(node, what));
    if (!v.is_number_integer()) {
      return fail(node, what + ": expected an integer, got " + squote(node.Scalar()));
    }
    return v.get<int64_t>();
  }

  // A number, kept as a JSON integer when it is one.
  Result<json> number(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return fail(node, what + ": expected a number");
    TTG_TRY_ASSIGN(json v, scalar(node, what));
    if (!v.is_number()) {
      return fail(node, what + ": expected a number, got " + squote(node.Scalar()));
    }
    return v;
  }

  // Any YAML value as JSON: mappings (string keys, no duplicates),
  // sequences, typed scalars; at most kMaxArgValues values in all.
  Result<json> to_json(const YAML::Node& node, const std::string& what) const {
    // Aliases share nodes in yaml-cpp but are copied here: nine lines of
    // nested aliases would make 10^9 values.
    if (++json_values_ > kMaxArgValues) {
      return fail(node, what + ": more than " + std::to_string(kMaxArgValues) +
                            " values (an alias counts each time it is used)");
    }
    if (node.IsMap()) {
      json out = json::object();
      for (const auto& kv : node) {
        const std::string& key = kv.first.Scalar();
        if (auto st = utf8(key); !st) return fail(kv.first, what + ": key " + st.error().message);
        if (out.contains(key)) return fail(kv.first, what + ": duplicate key " + squote(key));
        TTG_TRY_ASSIGN(out[key], to_json(kv.second, what + "." + key));
      }
      return out;
    }
    if (node.IsSequence()) {
      json out = json::array();
      for (const auto& e : node) {
        TTG_TRY_ASSIGN(json v, to_json(e, what));
        out.push_back(std::move(v));
      }
      return out;
    }
    return scalar(node, what);
  }

  Result<std::vector<std::string>> outputs(const YAML::Node& node) const {
    if (!node.IsSequence()) return fail(node, "outputs: expected a list of output names");
    if (node.size() == 0) {
      return fail(node, "outputs: empty list (leave 'outputs' out to keep every output)");
    }
    std::vector<std::string> out;
    for (const auto& e : node) {
      TTG_TRY_ASSIGN(std::string name, text(e, "outputs"));
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        return fail(e, "outputs: " + squote(name) + " is listed twice");
      }
      out.push_back(std::move(name));
    }
    return out;
  }

  Result<ParamSpace> params(const YAML::Node& node) const {
    if (node.IsScalar()) {
      TTG_TRY_ASSIGN(int64_t n, integer(node, "params"));
      if (n < 1) return fail(node, "params: must be at least 1, got " + std::to_string(n));
      auto space = ParamSpace::count(n);
      if (!space) return fail(node, "params: " + space.error().message);
      lines_.params.emplace("param", line_of(node));
      return space;
    }
    if (!node.IsMap()) {
      return fail(node, "params: expected a mapping with dims (and zip), or a number of points");
    }
    std::optional<YAML::Node> dims_node, zip_node;
    for (const auto& kv : node) {
      const std::string& key = kv.first.Scalar();
      if (key != "dims" && key != "zip") {
        return fail(kv.first, "params: unknown key " + squote(key) + " (expected dims, zip)");
      }
      std::optional<YAML::Node>& slot = key == "dims" ? dims_node : zip_node;
      if (slot) return fail(kv.first, "params: duplicate key " + squote(key));
      slot.emplace(kv.second);
    }
    if (!dims_node) return fail(node, "params: missing 'dims'");
    if (!dims_node->IsMap()) {
      return fail(*dims_node, "params.dims: expected a mapping of dimension names to values");
    }
    if (dims_node->size() == 0) return fail(*dims_node, "params.dims: no dimensions");
    if (static_cast<int64_t>(dims_node->size()) > kMaxDimensions) {
      return fail(*dims_node, "params.dims: " + std::to_string(dims_node->size()) +
                                  " dimensions, more than " + std::to_string(kMaxDimensions));
    }
    // Counted before any list is converted: aliases can repeat one long list
    // many times without making the file any longer.
    int64_t listed = 0;
    for (const auto& kv : *dims_node) {
      if (kv.second.IsSequence()) listed += static_cast<int64_t>(kv.second.size());
      if (listed > kMaxListedValues) {
        return fail(kv.first,
                    "params: more than " + std::to_string(kMaxListedValues) + " listed values");
      }
    }
    std::vector<Dimension> dims;
    std::vector<std::string> names;
    for (const auto& kv : *dims_node) {
      const std::string& name = kv.first.Scalar();
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        return fail(kv.first, "duplicate dimension " + squote(name));
      }
      if (auto st = validate_param_name(name); !st) {
        return fail(kv.first, "dimension " + squote(name) + ": " + st.error().message);
      }
      TTG_TRY_ASSIGN(Dimension d, dimension(name, kv.second));
      lines_.params.emplace(name, line_of(kv.first));
      names.push_back(name);
      dims.push_back(std::move(d));
    }
    std::vector<std::vector<std::string>> zip;
    if (zip_node) {
      TTG_TRY_ASSIGN(zip, zip_groups(*zip_node, dims));
    }
    auto space = ParamSpace::grid(std::move(dims), std::move(zip));
    if (!space) return fail(node, "params: " + space.error().message);
    return space;
  }

  // Checked here rather than left to ParamSpace::grid() so that each error
  // points at its group.
  Result<std::vector<std::vector<std::string>>> zip_groups(
      const YAML::Node& node, const std::vector<Dimension>& dims) const {
    const char* shape = "zip: expected a list of lists of dimension names, e.g. [[a, b]]";
    if (!node.IsSequence()) return fail(node, shape);
    std::vector<std::vector<std::string>> groups;
    std::set<std::string> used;
    for (const auto& group : node) {
      if (!group.IsSequence()) return fail(group, shape);
      if (group.size() == 0) return fail(group, "zip: empty group");
      std::vector<std::string> names;
      const Dimension* first = nullptr;
      for (const auto& e : group) {
        if (!e.IsScalar()) return fail(e, shape);
        const std::string& name = e.Scalar();
        auto d = std::find_if(dims.begin(), dims.end(),
                              [&](const Dimension& x) { return x.name() == name; });
        if (d == dims.end()) return fail(e, "zip: no dimension " + squote(name));
        if (!used.insert(name).second) {
          return fail(e, "zip: dimension " + squote(name) + " appears more than once");
        }
        if (first == nullptr) {
          first = &*d;
        } else if (d->size() != first->size()) {
          return fail(e, "zip: dimensions " + squote(first->name()) + " (" +
                             count_of(first->size(), "value") + ") and " + squote(name) + " (" +
                             count_of(d->size(), "value") + ") differ in length");
        }
        names.push_back(name);
      }
      groups.push_back(std::move(names));
    }
    return groups;
  }

  Result<Dimension> dimension(const std::string& name, const YAML::Node& node) const {
    const std::string what = "dimension " + squote(name);
    auto made = [&](Result<Dimension> d) -> Result<Dimension> {
      if (!d) return fail(node, d.error().message);
      return d;
    };
    if (node.IsSequence()) {
      if (node.size() == 0) return fail(node, what + ": no values");
      if (static_cast<int64_t>(node.size()) > kMaxListValues) {
        return fail(node, what + ": more than " + std::to_string(kMaxListValues) + " values");
      }
      std::vector<json> values;
      for (const auto& e : node) {
        std::string item = what + ": value " + std::to_string(values.size() + 1);
        if (!e.IsScalar() && !e.IsNull()) {
          return fail(e, item + ": expected a number, string or boolean");
        }
        TTG_TRY_ASSIGN(json v, scalar(e, item));
        if (v.is_null()) return fail(e, item + ": expected a number, string or boolean, got null");
        values.push_back(std::move(v));
      }
      return made(Dimension::list(name, std::move(values)));
    }
    const std::string shape =
        what + ": expected a list of values or a mapping with one of range, linspace, logspace";
    if (!node.IsMap() || node.size() != 1) return fail(node, shape);
    // Copies: yaml-cpp's iterators hand out temporaries.
    const YAML::Node kind_key = node.begin()->first;
    const YAML::Node body = node.begin()->second;
    const std::string& kind = kind_key.Scalar();
    if (kind != "range" && kind != "linspace" && kind != "logspace") {
      return fail(kind_key, shape + ", got " + squote(kind));
    }
    const std::string ctx = what + ": " + kind;
    std::vector<const char*> fields = {"start", "stop", kind == "range" ? "step" : "num"};
    if (!body.IsMap()) {
      return fail(
          body, ctx + ": expected a mapping of " + fields[0] + ", " + fields[1] + ", " + fields[2]);
    }
    std::map<std::string, YAML::Node> got;
    for (const auto& kv : body) {
      const std::string& key = kv.first.Scalar();
      if (std::find_if(fields.begin(), fields.end(), [&](const char* f) { return key == f; }) ==
          fields.end()) {
        return fail(kv.first, ctx + ": unknown key " + squote(key));
      }
      if (got.count(key) != 0) return fail(kv.first, ctx + ": duplicate key " + squote(key));
      got.emplace(key, kv.second);
    }
    for (const char* f : fields) {
      bool optional = std::string_view(f) == "step";
      if (got.count(f) == 0 && !optional) return fail(body, ctx + ": missing " + squote(f));
    }
    // Each field is checked here, where its line is known; the dimension
    // itself is made as stored specs make it.
    json fields_json = json::object();
    for (const auto& [key, value] : got) {
      if (key == "num") {
        TTG_TRY_ASSIGN(int64_t num, integer(value, ctx + " num"));
        if (num < 1) {
          return fail(value, ctx + " num must be at least 1, got " + std::to_string(num));
        }
        fields_json[key] = num;
      } else {
        TTG_TRY_ASSIGN(fields_json[key], number(value, ctx + " " + key));
        if (key == "step" && fields_json[key].get<double>() == 0) {
          return fail(value, ctx + " step must not be 0");
        }
      }
    }
    if (kind == "range" && !fields_json.contains("step")) fields_json["step"] = 1;
    return made(Dimension::from_json(json{{"name", name}, {kind, std::move(fields_json)}}));
  }

  std::string_view source_;
  SpecFile::Lines& lines_;
  mutable int64_t json_values_ = 0;  // made by to_json() so far
};

bool ends_with_folded(std::string_view text, std::string_view suffix) {
  std::string lower = util::to_lower(text);
  return lower.size() >= suffix.size() &&
         lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// JSON by name, else (unless named YAML) by its first character.
bool is_json_spec(std::string_view source, std::string_view text) {
  if (ends_with_folded(source, ".json")) return true;
  if (ends_with_folded(source, ".yaml") || ends_with_folded(source, ".yml")) return false;
  std::string_view rest = util::trim(text);
  if (util::starts_with(rest, "\xEF\xBB\xBF")) rest = util::trim(rest.substr(3));
  return !rest.empty() && rest.front() == '{';
}

tl::unexpected<Error> syntax_error(std::string_view source, const util::SyntaxError& e) {
  return invalid(std::string(source) + ":" + std::to_string(e.line) + ": " + e.message);
}

}  // namespace

Result<SpecFile> parse_spec(std::string_view text, std::string_view source) {
  if (is_json_spec(source, text)) {
    // yaml-cpp reads JSON leniently (a trailing comma passes): check it is
    // JSON first. Values it cannot hold (1e999) are left to the spec's own
    // checks, which name them.
    try {
      nlohmann::json parsed = nlohmann::json::parse(text);
      (void)parsed;
    } catch (const nlohmann::json::parse_error& e) {
      return syntax_error(source, util::explain_json_error(text, e.byte, e.what()));
    } catch (const nlohmann::json::exception&) {
    }
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return syntax_error(source, util::explain_yaml_error(text, e.msg, e.mark.line, e.mark.column));
  }
  try {
    SpecFile::Lines lines;
    TTG_TRY_ASSIGN(SpecFile spec, SpecParser(source, lines).parse(root));
    spec.source = std::string(source);
    spec.lines = std::move(lines);
    return spec;
  } catch (const YAML::Exception& e) {
    // Not expected: the parser only reads nodes that exist.
    return make_error(ErrorCode::kInternal, std::string(source) + ": " + e.what());
  }
}

Result<SpecFile> read_spec_file(const std::string& path) {
  TTG_TRY_ASSIGN(std::string text, read_text(path, "--spec", kMaxSpecFileBytes));
  return parse_spec(text, path);
}

TableFormat detect_table_format(std::string_view path, std::string_view text) {
  std::string lower = util::to_lower(path);
  auto ends_with = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".csv")) return TableFormat::kCsv;
  if (ends_with(".jsonl") || ends_with(".ndjson") || ends_with(".json")) {
    return TableFormat::kJsonLines;
  }
  std::string_view rest = util::trim(text);
  if (util::starts_with(rest, "\xEF\xBB\xBF")) rest = util::trim(rest.substr(3));
  return !rest.empty() && rest.front() == '{' ? TableFormat::kJsonLines : TableFormat::kCsv;
}

Result<ParamsFile> read_params_file(const std::string& path) {
  TTG_TRY_ASSIGN(std::string text, read_text(path, "--params-file", kMaxParamsFileBytes));
  TTG_TRY_ASSIGN(ParamSpace space, detect_table_format(path, text) == TableFormat::kJsonLines
                                       ? ParamSpace::from_jsonl(text, path)
                                       : ParamSpace::from_csv(text, path));
  ParamsFile table{std::move(space), 1};
  // Both parsers skip blank lines before the column names.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line = std::string_view(text).substr(pos, end - pos);
    if (pos == 0 && util::starts_with(line, "\xEF\xBB\xBF")) line.remove_prefix(3);
    if (!util::trim(line).empty()) break;
    ++table.header_line;
    pos = end + 1;
  }
  return table;
}

}  // namespace ttg::cli
