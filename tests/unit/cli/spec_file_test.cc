#include "cli/spec_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/exit_codes.h"
#include "support/scratch_dir.h"
#include "util/temp_dir.h"

namespace ttg::cli {
namespace {

using nlohmann::json;

SpecFile must_parse(const std::string& text, const std::string& source = "spec.yaml") {
  auto r = parse_spec(text, source);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : SpecFile{};
}

TEST(SpecFileTest, ParsesEveryField) {
  SpecFile s = must_parse(R"(# a sweep
kernel: noop
args:
  work_ms: 5
  label: "007"
  list: [1, 2]
params:
  dims:
    beta: {linspace: {start: 0.1, stop: 0.5, num: 5}}
    gamma:
      logspace:
        start: -2
        stop: 0
        num: 3
    seed: {range: {start: 0, stop: 2}}
    dt: {range: {start: 0.5, stop: 0, step: -0.25}}
    model: [sir, "seir", 3, 2.5, true]
  zip: [[beta], [seed, dt]]
chunk_size: 7
max_attempts: 4
outputs: [peak, total]
)");
  EXPECT_EQ(s.kernel, "noop");
  EXPECT_EQ(*s.args, (json{{"work_ms", 5}, {"label", "007"}, {"list", {1, 2}}}));
  EXPECT_EQ(s.chunk_size, 7);
  EXPECT_EQ(s.max_attempts, 4);
  EXPECT_EQ(*s.outputs, (std::vector<std::string>{"peak", "total"}));
  EXPECT_FALSE(s.exec);
  ASSERT_TRUE(s.params);
  const ParamSpace& p = *s.params;
  EXPECT_EQ(p.names(), (std::vector<std::string>{"beta", "gamma", "seed", "dt", "model"}));
  EXPECT_EQ(p.describe(), "beta[5] x gamma[3] x (seed, dt)[2] x model[5]");
  EXPECT_EQ(p.size(), 5 * 3 * 2 * 5);
  const auto& dims = p.dimensions();
  EXPECT_EQ(dims[2].value(1), 1);  // step defaults to 1, integers stay integers
  EXPECT_TRUE(dims[2].value(1).is_number_integer());
  EXPECT_EQ(dims[3].value(1), 0.25);
  EXPECT_EQ(
      p.point(0),
      (json{
          {"beta", 0.1}, {"gamma", dims[1].value(0)}, {"seed", 0}, {"dt", 0.5}, {"model", "sir"}}));
  json last = p.point(p.size() - 1);
  EXPECT_EQ(last["beta"], 0.5);
  EXPECT_EQ(last["gamma"], 1.0);
  EXPECT_EQ(last["model"], true);
  EXPECT_EQ(dims[4].value(1), "seir");
  EXPECT_EQ(dims[4].value(2), 3);
}

TEST(SpecFileTest, ParsesJson) {
  SpecFile s = must_parse(R"({
  "kernel": "noop",
  "params": {"dims": {"a": [1, 2], "b": {"range": {"start": 10, "stop": 0, "step": -5}}}},
	"chunk_size": 1
})",
                          "spec.json");
  EXPECT_EQ(s.params->size(), 4);
  EXPECT_EQ(s.params->point(3), (json{{"a", 2}, {"b", 5}}));
  EXPECT_EQ(s.chunk_size, 1);
}

TEST(SpecFileTest, ParamsMayBeACount) {
  SpecFile s = must_parse("params: 250\n");
  EXPECT_EQ(s.params->size(), 250);
  EXPECT_EQ(s.params->point(249), (json{{"param", 249}}));
}

TEST(SpecFileTest, ExecSelectsTheExecKernel) {
  SpecFile s = must_parse("exec: ./model --fast 'a b'\nparams: 3\n");
  EXPECT_EQ(s.exec, "./model --fast 'a b'");
  EXPECT_FALSE(s.kernel);
  s = must_parse("kernel: exec\nexec: ./model\n");
  EXPECT_EQ(s.kernel, "exec");
}

// Every error a spec file can have, with the whole message.
TEST(SpecFileTest, ErrorsNameFileAndLine) {
  const std::string ok_params = "params: {dims: {a: [1, 2]}}\n";
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  } cases[] = {
      // Not a spec at all.
      {"empty", "",
       "spec.yaml:1: empty spec: expected a mapping of kernel, args, params, "
       "chunk_size, max_attempts, outputs, exec"},
      {"comments only", "# nothing\n",
       "spec.yaml:1: empty spec: expected a mapping of kernel, args, params, chunk_size, "
       "max_attempts, outputs, exec"},
      {"sequence", "- a\n- b\n",
       "spec.yaml:1: expected a mapping of kernel, args, params, chunk_size, max_attempts, "
       "outputs, exec"},
      // Syntax errors in plain words, on the line of the mistake (where the
      // parser noticed it is given after each case).
      {"yaml syntax",  // line 2
       "params: {dims: {a: [1, 2]}\nkernel: noop\n",
       "spec.yaml:1: the '{' on this line is never closed (add '}')"},
      {"unclosed list",  // line 5
       "kernel: sir\nparams:\n  dims:\n    beta: [0.1, 0.2\n    gamma: [1]\n",
       "spec.yaml:4: the '[' on this line is never closed (add ']')"},
      {"wrong bracket", "params:\n  dims:\n    a: {range: {start: 1, stop: 3]\n",
       "spec.yaml:3: ']' closes the '{' opened on line 3; expected '}'"},
      {"missing colon",  // line 3
       "kernel: sir\nparams\n  dims:\n    beta: [0.1]\n",
       "spec.yaml:2: 'params' has no ':' after it (write 'params:')"},
      {"tab", "kernel: noop\nparams:\n\tdims: {a: [1]}\n",
       "spec.yaml:3: a tab in the indentation: YAML indents with spaces"},
      {"bad indentation", "kernel: noop\n  args: 1\n",
       "spec.yaml:2: a 'key: value' where none can be: check that this line lines up with the "
       "keys above it, and quote a value that holds ': '"},
      {"misaligned key", "kernel: sir\nparams:\n  dims:\n   beta: [0.1]\n    gamma: [1]\n",
       "spec.yaml:5: this line does not line up with the lines above it: keys of one mapping, "
       "and items of one list, start in the same column"},
      {"unknown alias", "kernel: noop\nparams: *n\n",
       "spec.yaml:2: an alias (*name) names no anchor (&name) defined before it"},
      // Unknown keys.
      {"unknown key", "kernel: noop\nchunksize: 3\n",
       "spec.yaml:2: unknown key 'chunksize' (expected kernel, args, params, chunk_size, "
       "max_attempts, outputs, exec)"},
      {"unknown params key", "params:\n  dims: {a: [1]}\n  zipp: []\n",
       "spec.yaml:3: params: unknown key 'zipp' (expected dims, zip)"},
      {"unknown kind", "params:\n  dims:\n    a: {arange: {start: 0, stop: 3}}\n",
       "spec.yaml:3: dimension 'a': expected a list of values or a mapping with one of range, "
       "linspace, logspace, got 'arange'"},
      {"unknown range key",
       "params:\n  dims:\n    a:\n      range:\n        start: 0\n"
       "        stop: 3\n        stride: 1\n",
       "spec.yaml:7: dimension 'a': range: unknown key 'stride'"},
      {"duplicate key", "kernel: noop\nkernel: simulate\n", "spec.yaml:2: duplicate key 'kernel'"},
      {"duplicate range key", "params: {dims: {a: {range: {start: 0, stop: 3, stop: 4}}}}\n",
       "spec.yaml:1: dimension 'a': range: duplicate key 'stop'"},
      {"duplicate args key", "args:\n  x: 1\n  x: 2\n", "spec.yaml:3: args: duplicate key 'x'"},
      // Wrong types.
      {"kernel list", "kernel: [a]\n", "spec.yaml:1: kernel: expected a string"},
      {"args scalar", "args: 5\n",
       "spec.yaml:1: args: expected a mapping of argument names to values"},
      {"chunk size text", "chunk_size: ten\n",
       "spec.yaml:1: chunk_size: expected an integer or auto, got 'ten'"},
      {"chunk size float", "chunk_size: 2.5\n",
       "spec.yaml:1: chunk_size: expected an integer or auto, got '2.5'"},
      {"chunk size map", "chunk_size: {a: 1}\n",
       "spec.yaml:1: chunk_size: expected an integer or auto"},
      {"max attempts text", "max_attempts: many\n",
       "spec.yaml:1: max_attempts: expected an integer, got 'many'"},
      {"params text", "params: lots\n", "spec.yaml:1: params: expected an integer, got 'lots'"},
      {"params list", "params: [1, 2]\n",
       "spec.yaml:1: params: expected a mapping with dims (and zip), or a number of points"},
      {"dims list", "params:\n  dims: [a, b]\n",
       "spec.yaml:2: params.dims: expected a mapping of dimension names to values"},
      {"dims missing", "params:\n  zip: []\n", "spec.yaml:2: params: missing 'dims'"},
      {"dimension scalar", "params:\n  dims:\n    a: 5\n",
       "spec.yaml:3: dimension 'a': expected a list of values or a mapping with one of range, "
       "linspace, logspace"},
      {"two kinds", "params:\n  dims:\n    a: {range: {start: 0, stop: 1}, linspace: {}}\n",
       "spec.yaml:3: dimension 'a': expected a list of values or a mapping with one of range, "
       "linspace, logspace"},
      {"range not a map", "params:\n  dims:\n    a: {range: [0, 3]}\n",
       "spec.yaml:3: dimension 'a': range: expected a mapping of start, stop, step"},
      {"range start text", "params:\n  dims:\n    a: {range: {start: zero, stop: 3}}\n",
       "spec.yaml:3: dimension 'a': range start: expected a number, got 'zero'"},
      {"range missing stop", "params:\n  dims:\n    a:\n      range:\n        start: 0\n",
       "spec.yaml:5: dimension 'a': range: missing 'stop'"},
      {"linspace num float", "params:\n  dims:\n    a: {linspace: {start: 0, stop: 1, num: 2.5}}\n",
       "spec.yaml:3: dimension 'a': linspace num: expected an integer, got '2.5'"},
      {"logspace missing num", "params:\n  dims:\n    a: {logspace: {start: 0, stop: 1}}\n",
       "spec.yaml:3: dimension 'a': logspace: missing 'num'"},
      {"nested value", "params:\n  dims:\n    a: [1, [2]]\n",
       "spec.yaml:3: dimension 'a': value 2: expected a number, string or boolean"},
      {"null value", "params:\n  dims:\n    a:\n      - 1\n      - null\n",
       "spec.yaml:5: dimension 'a': value 2: expected a number, string or boolean, got null"},
      {"zip scalar", "params:\n  dims: {a: [1]}\n  zip: a\n",
       "spec.yaml:3: zip: expected a list of lists of dimension names, e.g. [[a, b]]"},
      {"zip flat", "params:\n  dims: {a: [1]}\n  zip: [a]\n",
       "spec.yaml:3: zip: expected a list of lists of dimension names, e.g. [[a, b]]"},
      {"outputs scalar", "outputs: peak\n",
       "spec.yaml:1: outputs: expected a list of output names"},
      {"outputs empty", "outputs: []\n",
       "spec.yaml:1: outputs: empty list (leave 'outputs' out to keep every output)"},
      {"outputs twice", "outputs:\n  - a\n  - a\n", "spec.yaml:3: outputs: 'a' is listed twice"},
      {"exec list", "exec: [a]\n", "spec.yaml:1: exec: expected a string"},
      // Empty dimensions.
      {"empty list", "params:\n  dims:\n    a: []\n", "spec.yaml:3: dimension 'a': no values"},
      {"empty dims", "params:\n  dims: {}\n", "spec.yaml:2: params.dims: no dimensions"},
      {"empty range", "params:\n  dims:\n    a: {range: {start: 5, stop: 0}}\n",
       "spec.yaml:3: dimension 'a': range from 5 to 0 by 1 is empty"},
      {"empty float range", "params:\n  dims:\n    a: {range: {start: 0, stop: 1, step: -0.5}}\n",
       "spec.yaml:3: dimension 'a': range from 0.0 to 1.0 by -0.5 is empty"},
      {"linspace num 0", "params:\n  dims:\n    a:\n      linspace: {start: 0, stop: 1, num: 0}\n",
       "spec.yaml:4: dimension 'a': linspace num must be at least 1, got 0"},
      {"logspace num negative",
       "params:\n  dims:\n    a: {logspace: {start: 0, stop: 1, num: -2}}\n",
       "spec.yaml:3: dimension 'a': logspace num must be at least 1, got -2"},
      {"zip empty group", "params:\n  dims: {a: [1]}\n  zip: [[]]\n",
       "spec.yaml:3: zip: empty group"},
      // Step 0.
      {"step 0",
       "params:\n  dims:\n    a:\n      range:\n        start: 0\n        stop: 10\n"
       "        step: 0\n",
       "spec.yaml:7: dimension 'a': range step must not be 0"},
      {"step 0.0", "params:\n  dims:\n    a: {range: {start: 0, stop: 1, step: 0.0}}\n",
       "spec.yaml:3: dimension 'a': range step must not be 0"},
      // NaN and infinity.
      {"nan in list", "params:\n  dims:\n    a: [1, .nan]\n",
       "spec.yaml:3: dimension 'a': value 2: '.nan' is not a finite number (NaN or infinity is not "
       "allowed)"},
      {"NaN in list", "params:\n  dims:\n    a:\n      - 1\n      - NaN\n",
       "spec.yaml:5: dimension 'a': value 2: 'NaN' is not a finite number (NaN or infinity is not "
       "allowed)"},
      {"inf stop", "params:\n  dims:\n    a: {range: {start: 0, stop: .inf}}\n",
       "spec.yaml:3: dimension 'a': range stop: '.inf' is not a finite number (NaN or infinity is "
       "not allowed)"},
      {"-inf linspace", "params:\n  dims:\n    a: {linspace: {start: -.inf, stop: 0, num: 2}}\n",
       "spec.yaml:3: dimension 'a': linspace start: '-.inf' is not a finite number (NaN or "
       "infinity is not allowed)"},
      {"infinity in args", "args: {x: -Infinity}\n",
       "spec.yaml:1: args.x: '-Infinity' is not a finite number (NaN or infinity is not allowed)"},
      {"overflowing number", "params:\n  dims:\n    a: [1e999]\n",
       "spec.yaml:3: dimension 'a': value 1: '1e999' is not a finite number (NaN or infinity is "
       "not allowed)"},
      {"logspace overflow", "params:\n  dims:\n    a: {logspace: {start: 0, stop: 400, num: 2}}\n",
       "spec.yaml:3: dimension 'a': 10^400.0 is not a finite number"},
      // Too many points.
      {"product overflow",
       "params:\n  dims:\n    a: {range: {start: 0, stop: 1000000000}}\n"
       "    b: {range: {start: 0, stop: 1000000000}}\n    c: {range: {start: 0, stop: 100000}}\n",
       "spec.yaml:2: params: the space has more than 2^63 - 1 points: a[1000000000] x "
       "b[1000000000] x c[100000]"},
      {"range overflow",
       "params:\n  dims:\n    a: {range: {start: -9223372036854775808, stop: "
       "9223372036854775807}}\n",
       "spec.yaml:3: dimension 'a': more than 2^63 - 1 values"},
      {"float range overflow",
       "params:\n  dims:\n    a: {range: {start: 0, stop: 1, step: 1e-300}}\n",
       "spec.yaml:3: dimension 'a': more than 2^63 - 1 values"},
      // Chunk size and attempts.
      {"chunk size 0", ok_params + "chunk_size: 0\n",
       "spec.yaml:2: chunk_size: must be at least 1, got 0"},
      {"chunk size negative", ok_params + "chunk_size: -5\n",
       "spec.yaml:2: chunk_size: must be at least 1, got -5"},
      {"max attempts 0", "max_attempts: 0\n",
       "spec.yaml:1: max_attempts: must be from 1 to 1000, got 0"},
      {"max attempts 1001", "max_attempts: 1001\n",
       "spec.yaml:1: max_attempts: must be from 1 to 1000, got 1001"},
      {"params 0", "params: 0\n", "spec.yaml:1: params: must be at least 1, got 0"},
      // Names.
      {"duplicate dimension", "params:\n  dims:\n    a: [1]\n    b: [2]\n    a: [3]\n",
       "spec.yaml:5: duplicate dimension 'a'"},
      {"bad dimension name", "params:\n  dims:\n    a b: [1]\n",
       "spec.yaml:3: dimension 'a b': bad name 'a b': use 1 to 64 letters, digits, '_', '.' or "
       "'-', starting with a letter or '_'"},
      {"zip unknown", "params:\n  dims: {a: [1], b: [2]}\n  zip:\n    - [a, c]\n",
       "spec.yaml:4: zip: no dimension 'c'"},
      {"zip twice", "params:\n  dims: {a: [1], b: [2]}\n  zip:\n    - [a, b]\n    - [b]\n",
       "spec.yaml:5: zip: dimension 'b' appears more than once"},
      {"zip lengths", "params:\n  dims: {a: [1, 2], b: [1, 2, 3]}\n  zip:\n    - [a, b]\n",
       "spec.yaml:4: zip: dimensions 'a' (2 values) and 'b' (3 values) differ in length"},
      // exec.
      {"exec with another kernel", "kernel: simulate\nexec: ./model\n",
       "spec.yaml:2: exec: needs kernel 'exec', not 'simulate'"},
      {"exec and command", "exec: ./model\nargs: {command: ./other}\n",
       "spec.yaml:1: exec: the command is also given as args.command"},
      // JSON in a file named .yaml is read as YAML (JSON is YAML's flow
      // style), and reports lines too.
      {"json unknown key", "{\n  \"kernel\": \"noop\",\n  \"chunk\": 3\n}\n",
       "spec.yaml:3: unknown key 'chunk' (expected kernel, args, params, chunk_size, max_attempts, "
       "outputs, exec)"},
      {"json syntax", "{\n  \"kernel\": \"noop\",\n  \"chunk_size\": 3\n  \"args\": {}\n}\n",
       "spec.yaml:3: missing ',' at the end of this line (or '}' on the next)"},
      {"json empty key", "{\n  \"kernel\": \"noop\",\n  \"chunk_size\": 3,,\n}\n",
       "spec.yaml:3: expected a key"},
      {"json step 0",
       "{\"params\": {\"dims\": {\n  \"a\": {\"range\": {\"start\": 0, \"stop\": 3,\n"
       "    \"step\": 0}}}}}\n",
       "spec.yaml:3: dimension 'a': range step must not be 0"},  // Everything is stored as JSON,
                                                                 // which must be UTF-8.
      {"args not utf-8", "kernel: noop\nargs: {label: \"b\xE9ta\"}\n",
       "spec.yaml:2: args.label: not valid UTF-8 (byte 2 of the text)"},
      {"args key not utf-8", "args: {\"\xC0\xAF\": 1}\n",
       "spec.yaml:1: args: key not valid UTF-8 (byte 1 of the text)"},
      {"value not utf-8", "params:\n  dims:\n    a: [x, \"\xFF\"]\n",
       "spec.yaml:3: dimension 'a': value 2: not valid UTF-8 (byte 1 of the text)"},
      {"kernel not utf-8", "kernel: no\x80op\n",
       "spec.yaml:1: kernel: not valid UTF-8 (byte 3 of the text)"},
      {"output not utf-8", "outputs: [ok, \"a\xFF\"]\n",
       "spec.yaml:1: outputs: not valid UTF-8 (byte 2 of the text)"},
  };
  for (const auto& c : cases) {
    auto r = parse_spec(c.text, "spec.yaml");
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(r.error().message, c.want) << c.name;
  }
}

// A JSON spec (named .json, or starting with '{' unless named .yaml) is
// strict JSON; its syntax errors are told in plain words on the line of the
// mistake.
TEST(SpecFileTest, JsonSpecsAreStrict) {
  struct Case {
    std::string name;
    std::string source;
    std::string text;
    std::string want;
  } cases[] = {
      {"trailing comma", "spec.json", "{\n  \"kernel\": \"noop\",\n  \"params\": 3,\n}\n",
       "spec.json:3: a comma before '}': JSON allows none after the last member"},
      {"trailing comma in a list", "spec.json",
       "{\n  \"params\": {\"dims\": {\"a\": [1, 2,]}}\n}\n",
       "spec.json:2: a comma before ']': JSON allows none after the last value"},
      {"trailing comma, found by content", "grid", "{\"kernel\": \"noop\", \"params\": 3,}\n",
       "grid:1: a comma before '}': JSON allows none after the last member"},
      {"missing comma", "spec.json",
       "{\n  \"kernel\": \"noop\",\n  \"chunk_size\": 3\n  \"args\": {}\n}\n",
       "spec.json:3: missing ',' at the end of this line"},
      {"unclosed", "spec.json", "{\n  \"kernel\": \"noop\",\n  \"params\": 3\n\n",
       "spec.json:1: the '{' on this line is never closed (add '}')"},
      {"comment", "spec.json", "{\n  \"kernel\": \"noop\", // the kernel\n  \"params\": 3\n}\n",
       "spec.json:2: a comment: JSON has none"},
      {"unquoted name", "spec.json", "{\n  kernel: \"noop\"\n}\n",
       "spec.json:2: the name 'kernel' needs double quotes: \"kernel\""},
      {"missing colon", "spec.json", "{\n  \"kernel\" \"noop\"\n}\n",
       "spec.json:2: missing ':' after the name \"kernel\""},
      {"single quotes", "spec.json", "{\n  'kernel': 'noop'\n}\n",
       "spec.json:2: names take double quotes (\"), not single"},
      {"two documents", "spec.json", "{\"params\": 3}\n{\"params\": 4}\n",
       "spec.json:2: more text after the end of the JSON value"},
      // Past the syntax, the spec's own rules, with their lines.
      {"unknown key", "spec.json", "{\n  \"kernel\": \"noop\",\n  \"chunk\": 3\n}\n",
       "spec.json:3: unknown key 'chunk' (expected kernel, args, params, chunk_size, "
       "max_attempts, outputs, exec)"},
      {"overflowing number", "spec.json", "{\"params\": {\"dims\": {\"a\": [1e999]}}}\n",
       "spec.json:1: dimension 'a': value 1: '1e999' is not a finite number (NaN or infinity is "
       "not allowed)"},
  };
  for (const auto& c : cases) {
    auto r = parse_spec(c.text, c.source);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(r.error().message, c.want) << c.name;
  }
  // YAML's flow style, which is not JSON, is fine in a YAML file.
  EXPECT_TRUE(parse_spec("{kernel: noop, params: 3,}\n", "spec.yaml"));
  EXPECT_FALSE(parse_spec("{kernel: noop, params: 3,}\n", "spec"));
}

TEST(SpecFileTest, RecordsTheLinesOfNames) {
  SpecFile s = must_parse(
      "# a sweep\nkernel: sir\nargs:\n  days: 100\n  dt: 0.5\nparams:\n  dims:\n"
      "    beta: [0.1, 0.2]\n\n    gamma: [0.1]\n",
      "s.yaml");
  EXPECT_EQ(s.source, "s.yaml");
  EXPECT_EQ(s.lines.kernel, 2);
  EXPECT_EQ(s.lines.args, (std::map<std::string, int, std::less<>>{{"days", 4}, {"dt", 5}}));
  EXPECT_EQ(s.lines.params, (std::map<std::string, int, std::less<>>{{"beta", 8}, {"gamma", 10}}));
  SpecFile count = must_parse("\nparams: 5\n", "c.yaml");
  EXPECT_EQ(count.lines.params, (std::map<std::string, int, std::less<>>{{"param", 2}}));
  EXPECT_EQ(count.lines.kernel, 0);
}

TEST(SpecFileTest, DetectsTableFormat) {
  EXPECT_EQ(detect_table_format("p.csv", "{"), TableFormat::kCsv);
  EXPECT_EQ(detect_table_format("P.CSV", ""), TableFormat::kCsv);
  EXPECT_EQ(detect_table_format("p.jsonl", "a,b"), TableFormat::kJsonLines);
  EXPECT_EQ(detect_table_format("p.ndjson", ""), TableFormat::kJsonLines);
  EXPECT_EQ(detect_table_format("p.json", ""), TableFormat::kJsonLines);
  EXPECT_EQ(detect_table_format("points", "\n  {\"a\": 1}\n"), TableFormat::kJsonLines);
  EXPECT_EQ(detect_table_format("points", "a,b\n1,2\n"), TableFormat::kCsv);
}

class SpecFileDirTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }

  testing::ScratchDir dir_{"ttg-spec-test"};
};

TEST_F(SpecFileDirTest, MissingFilesNameTheFlag) {
  std::string missing = dir_.path() + "/nope.yaml";
  auto spec = read_spec_file(missing);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(spec.error().message,
            "--spec: cannot read '" + missing + "': No such file or directory");
  auto table = read_params_file(dir_.path() + "/nope.csv");
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(table.error().message,
            "--params-file: cannot read '" + dir_.path() + "/nope.csv': No such file or directory");
  auto dir = read_params_file(dir_.path());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().message,
            "--params-file: cannot read '" + dir_.path() + "': is a directory");
}

TEST_F(SpecFileDirTest, ReadsTablesByExtensionOrContent) {
  auto csv = read_params_file(write("p.csv", "a,b\n1,x\n2,y\n"));
  ASSERT_TRUE(csv) << csv.error().message;
  EXPECT_EQ(csv->space.point(1), (json{{"a", 2}, {"b", "y"}}));
  EXPECT_EQ(csv->header_line, 1);
  auto jsonl = read_params_file(write("p.txt", "\n  \n{\"a\": 1}\n{\"a\": 2}\n"));
  ASSERT_TRUE(jsonl) << jsonl.error().message;
  EXPECT_EQ(jsonl->space.size(), 2);
  EXPECT_EQ(jsonl->header_line, 3);
  auto ragged = read_params_file(write("r.csv", "a,b\n1,2\n3\n"));
  ASSERT_FALSE(ragged);
  EXPECT_EQ(ragged.error().message, dir_.path() + "/r.csv:3: row has 1 field, the header has 2");
  auto keys = read_params_file(write("k.jsonl", "{\"a\": 1}\n{\"b\": 1}\n"));
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().message, dir_.path() + "/k.jsonl:2: keys differ from line 1: missing 'a'");
}

TEST(SpecFileExamplesTest, EveryExampleParses) {
  const std::string dir = std::string(TTG_SOURCE_DIR) + "/examples/";
  auto sir = read_spec_file(dir + "sir-sweep.yaml");
  ASSERT_TRUE(sir) << sir.error().message;
  EXPECT_EQ(sir->params->describe(), "beta[20] x gamma[10]");
  auto grid = read_spec_file(dir + "grid.json");
  ASSERT_TRUE(grid) << grid.error().message;
  EXPECT_EQ(grid->params->size(), 2 * 4 * 100 * 3);
  auto table = read_params_file(dir + "points.csv");
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(table->space.size(), 4);
}

// `ttg submit` with specs, checked with --dry-run: nothing here needs Redis.
struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome submit(std::vector<std::string> args) {
  args.insert(args.begin(), "submit");
  args.push_back("--dry-run");
  args.push_back("--job");
  args.push_back("j");
  // An automatic chunk size would otherwise read the worker registry of a
  // Redis server on this host.
  args.push_back("--expect-slots");
  args.push_back("4");
  std::ostringstream out, err;
  int code = run(args, out, err, fixed_environment({}));
  return {code, out.str(), err.str()};
}

TEST_F(SpecFileDirTest, DryRunPrintsThePlan) {
  std::string spec = write("s.yaml", R"(kernel: noop
params:
  dims:
    beta: {linspace: {start: 0.1, stop: 0.5, num: 5}}
    model: [sir, seir]
chunk_size: 3
)");
  auto r = submit({"--spec", spec});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "job j (dry run: nothing written)\n"
            "  points:       10 (beta[5] x model[2])\n"
            "  chunks:       4 of 3 points (the last: [9, 10))\n"
            "  kernel:       noop {}\n"
            "  outputs:      all\n"
            "  max attempts: 3\n"
            "  first point:  {\"beta\":0.1,\"model\":\"sir\"}\n"
            "  last point:   {\"beta\":0.5,\"model\":\"seir\"}\n");
}

TEST_F(SpecFileDirTest, FlagsOverrideTheSpecFile) {
  std::string spec = write("s.yaml", R"(kernel: simulate
args: {work_ms: 7}
params: {dims: {a: [1, 2, 3, 4]}}
chunk_size: 3
max_attempts: 2
outputs: [value]
)");
  auto r = submit({"--spec", spec});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("  kernel:       simulate {\"work_ms\":7}\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  chunks:       2 of 3 points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  max attempts: 2\n"), std::string::npos) << r.out;
  r = submit({"--spec", spec, "--kernel", "faulty", "--arg", "work_ms=1", "--chunk-size", "2",
              "--max-attempts", "9"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("  kernel:       faulty {\"work_ms\":1}\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  chunks:       2 of 2 points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  max attempts: 9\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  outputs:      value\n"), std::string::npos) << r.out;
  // --work-ms overrides the spec's work_ms for simulate; --arg wins over both.
  r = submit({"--spec", spec, "--work-ms", "0"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("simulate {\"work_ms\":0}"), std::string::npos) << r.out;
  r = submit({"--spec", spec, "--work-ms", "0", "--arg", "work_ms=3"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("simulate {\"work_ms\":3}"), std::string::npos) << r.out;
  // --params replaces the spec's space.
  r = submit({"--spec", spec, "--params", "5"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("  points:       5 (param[5])\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  last point:   {\"param\":4}\n"), std::string::npos) << r.out;
  // --params-file too.
  std::string table = write("t.csv", "x,y\n1,a\n2,b\n");
  r = submit({"--spec", spec, "--params-file", table});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("  points:       2 (table of 2 rows: x, y)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  last point:   {\"x\":2,\"y\":\"b\"}\n"), std::string::npos) << r.out;
}

TEST_F(SpecFileDirTest, SubmitErrorsExitTwo) {
  std::string good = write("good.yaml", "kernel: noop\nparams: {dims: {a: [1, 2]}}\n");
  std::string bad =
      write("bad.yaml", "params:\n  dims:\n    a: {range: {start: 0, stop: 3, step: 0}}\n");
  std::string table = write("t.csv", "a\n1\n");
  struct Case {
    std::vector<std::string> args;
    std::string want;  // the first line of stderr
  } cases[] = {
      {{"--spec", bad}, "ttg submit: " + bad + ":3: dimension 'a': range step must not be 0"},
      {{"--spec", dir_.path() + "/none.yaml"},
       "ttg submit: --spec: cannot read '" + dir_.path() +
           "/none.yaml': No such file or directory"},
      {{"--spec", good, "--kernel", "nosuch"},
       "ttg submit: --kernel: unknown kernel 'nosuch' (see `ttg kernels`; a plugin kernel needs "
       "its library: --kernel-lib PATH)"},
      {{"--spec", good, "--arg", "bogus=1"},
       "ttg submit: --arg bogus: kernel 'noop' has no argument or parameter 'bogus' (it takes "
       "none)"},
      {{"--params-file", table, "--params", "3"},
       "ttg submit: --params-file: cannot be combined with --params"},
      {{"--kernel", "noop"},
       "ttg submit: --params: no parameters: give --params N, --params-file FILE or 'params' in a "
       "--spec file (or TOTAL_PARAMETERS)"},
      {{"--params", "0"}, "ttg: --params: expected a positive integer, got '0'"},
      {{"--params", "-1"}, "ttg: --params: expected a positive integer, got '-1'"},
      {{"--params", "3", "--chunk-size", "0"},
       "ttg: --chunk-size: expected a positive integer or auto, got '0'"},
      {{"--params", "3", "--chunk-size", "-5"},
       "ttg: --chunk-size: expected a positive integer or auto, got '-5'"},
      {{"--spec", write("e.yaml", "exec: ./m\nparams: 2\n"), "--kernel", "noop"},
       "ttg submit: --kernel: the spec's 'exec' needs kernel 'exec', not 'noop'"},
  };
  for (const auto& c : cases) {
    auto r = submit(c.args);
    EXPECT_EQ(r.code, kExitUsage) << c.want;
    EXPECT_EQ(r.out, "") << c.want;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), c.want);
  }
}

// Names are checked against the kernel, pointing where they were given.
TEST_F(SpecFileDirTest, SubmitChecksNamesAgainstTheKernel) {
  std::string gama =
      write("gama.yaml", "kernel: sir\nparams:\n  dims:\n    beta: [0.1]\n    gama: [0.2]\n");
  std::string sri = write("sri.yaml", "# a typo\nkernel: sri\nparams: 3\n");
  std::string dayz = write("dayz.yaml", "kernel: sir\nargs:\n  dayz: 10\nparams: 3\n");
  std::string days = write("days.yaml", "kernel: sir\nparams:\n  dims:\n    days: [100, 200]\n");
  std::string columns = write("cols.csv", "\nbeta,gama\n0.1,0.2\n");
  std::string json_spec = write("t.json", "{\n  \"kernel\": \"noop\",\n  \"params\": 3,\n}\n");
  std::string jsonl = write("t.jsonl", "{\"a\": 1}\n{\"a\": 2,}\n");
  struct Case {
    std::vector<std::string> args;
    std::string want;  // the first line of stderr
  } cases[] = {
      {{"--spec", gama},
       "ttg submit: " + gama + ":5: kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)"},
      {{"--spec", sri},
       "ttg submit: " + sri +
           ":2: unknown kernel 'sri' (did you mean 'sir'?) (see `ttg kernels`; a plugin kernel "
           "needs its library: --kernel-lib PATH)"},
      {{"--spec", dayz},
       "ttg submit: " + dayz +
           ":3: args: kernel 'sir' has no argument or parameter 'dayz' (did you mean 'days'?)"},
      {{"--spec", days},
       "ttg submit: " + days +
           ":4: kernel 'sir' has no parameter 'days' ('days' is a kernel argument, the same for "
           "every set: give it in args or as --arg; the parameters are beta, gamma)"},
      {{"--kernel", "sir", "--params", "3", "--arg", "gama=0.2"},
       "ttg submit: --arg gama: kernel 'sir' has no argument or parameter 'gama' (did you mean "
       "'gamma'?)"},
      {{"--kernel", "sri", "--params", "3"},
       "ttg submit: --kernel: unknown kernel 'sri' (did you mean 'sir'?) (see `ttg kernels`; a "
       "plugin kernel needs its library: --kernel-lib PATH)"},
      {{"--kernel", "sir", "--params-file", columns},
       "ttg submit: " + columns +
           ":2: kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)"},
      // The kernel named by a flag is the one the spec's names are checked against.
      {{"--spec", write("sim.yaml", "kernel: simulate\nparams: {dims: {gama: [1]}}\n"), "--kernel",
        "sir"},
       "ttg submit: " + dir_.path() +
           "/sim.yaml:2: kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)"},
      // Strict JSON, in a spec and in a table.
      {{"--spec", json_spec},
       "ttg submit: " + json_spec +
           ":3: a comma before '}': JSON allows none after the last member"},
      {{"--kernel", "noop", "--params-file", jsonl},
       "ttg submit: " + jsonl + ":2: a comma before '}': JSON allows none after the last member"},
  };
  for (const auto& c : cases) {
    auto r = submit(c.args);
    EXPECT_EQ(r.code, kExitUsage) << c.want;
    EXPECT_EQ(r.out, "") << c.want;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), c.want);
  }
  // Kernels that list no parameters take any names; --params N suits every
  // kernel.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--spec", write("any.yaml", "kernel: simulate\nparams: {dims: {gama: [1], x: [2]}}\n")},
           {"--kernel", "sir", "--params", "3"},
           {"--kernel", "sir", "--params-file", write("ok.csv", "beta,gamma\n0.1,0.2\n")},
           {"--spec", std::string(TTG_SOURCE_DIR) + "/examples/sir-sweep.yaml"},
           {"--spec", std::string(TTG_SOURCE_DIR) + "/examples/grid.json"}}) {
    auto r = submit(args);
    EXPECT_EQ(r.code, kExitOk) << args[1] << ": " << r.err;
  }
}

TEST_F(SpecFileDirTest, ExecBecomesTheCommandArgument) {
  std::string spec = write("e.yaml", "exec: ./model --fast\nparams: 2\n");
  auto r = submit({"--spec", spec});
  // The kernel 'exec' is the kernels module's; until it exists, validation
  // names it. Either way the command reaches the kernel as 'command'.
  if (r.code == kExitOk) {
    EXPECT_NE(r.out.find("exec {\"command\":\"./model --fast\"}"), std::string::npos) << r.out;
  } else {
    EXPECT_EQ(r.err, "ttg submit: unknown kernel 'exec' (see `ttg kernels`)\n");
  }
}

}  // namespace
}  // namespace ttg::cli
