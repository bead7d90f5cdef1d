#include "util/syntax_error.h"

#include <gtest/gtest.h>

namespace ttg::util {
namespace {

// Each case gives what yaml-cpp 0.7 reports for the text (its message and
// where it stopped, from 0), and the line and words people should see.
TEST(SyntaxErrorTest, YamlErrorsOnTheLineOfTheMistake) {
  struct Case {
    std::string name, text, parser;
    int mark_line, mark_column;
    int line;
    std::string message;
  };
  const Case cases[] = {
      {"unclosed list", "kernel: sir\nparams:\n  dims:\n    beta: [0.1, 0.2\n    gamma: [1]\n",
       "end of sequence flow not found", 4, 9, 4, "the '[' on this line is never closed (add ']')"},
      {"unclosed mapping", "kernel: sir\nargs: {a: 1\nparams: 3\n", "end of map flow not found", 2,
       6, 2, "the '{' on this line is never closed (add '}')"},
      {"unclosed at the end", "params:\n  dims:\n    beta: [0.1, 0.2\n",
       "end of sequence flow not found", 3, 0, 3, "the '[' on this line is never closed (add ']')"},
      {"wrong bracket", "params:\n  dims:\n    a: {range: {start: 1, stop: 3]\n",
       "illegal flow end", 2, 33, 3, "']' closes the '{' opened on line 3; expected '}'"},
      {"brackets in quotes and plain text do not count",
       "command: run[1]\nlabel: \"[x\"\nargs: {a: [1, 2}\n# [ in a comment\n",
       "end of map flow not found", 4, 0, 3, "'}' closes the '[' opened on line 3; expected ']'"},
      {"missing comma in a flow mapping",
       "{\n  \"kernel\": \"noop\",\n  \"n\": 3\n  \"args\": {}\n}\n", "end of map flow not found",
       3, 8, 3, "missing ',' at the end of this line (or '}' on the next)"},
      {"missing colon", "kernel: sir\nparams\n  dims:\n    beta: [0.1]\n", "illegal map value", 2,
       6, 2, "'params' has no ':' after it (write 'params:')"},
      {"tab", "kernel: sir\nparams:\n\tdims: 1\n", "illegal map value", 2, 5, 3,
       "a tab in the indentation: YAML indents with spaces"},
      {"indented key", "kernel: sir\n  params: 3\n", "illegal map value", 1, 8, 2,
       "a 'key: value' where none can be: check that this line lines up with the keys above it, "
       "and quote a value that holds ': '"},
      {"misaligned key", "kernel: sir\nparams:\n  dims:\n   beta: [0.1]\n    gamma: [1]\n",
       "end of map not found", 4, 4, 5,
       "this line does not line up with the lines above it: keys of one mapping, and items of one "
       "list, start in the same column"},
      {"list item in a mapping", "kernel: sir\n- a\n", "end of map not found", 1, 0, 2,
       "a list item ('- ') where a 'key: value' is expected: check its indentation"},
      {"unknown alias", "kernel: sir\nparams: 3\nargs: *foo\n",
       "the referenced anchor is not defined", 2, 6, 3,
       "an alias (*name) names no anchor (&name) defined before it"},
      {"unknown escape", "kernel: sir\nparams: \"a\\qb\"\n", "unknown escape character: q", 1, 12,
       2,
       "unknown escape '\\q' in a double-quoted string (write '\\\\' for a backslash, or use "
       "single "
       "quotes)"},
      {"anything else", "a: b\n", "repeated YAML directive", 0, 0, 1,
       "not valid YAML: repeated YAML directive"},
      {"no location", "a: b\n", "repeated YAML directive", -1, -1, 1,
       "not valid YAML: repeated YAML directive"},
      {"past the end", "a: [1\n", "end of sequence flow not found", 7, 0, 1,
       "the '[' on this line is never closed (add ']')"},
  };
  for (const auto& c : cases) {
    SyntaxError e = explain_yaml_error(c.text, c.parser, c.mark_line, c.mark_column);
    EXPECT_EQ(e.line, c.line) << c.name;
    EXPECT_EQ(e.message, c.message) << c.name;
  }
}

TEST(SyntaxErrorTest, JsonErrorsOnTheLineOfTheMistake) {
  struct Case {
    std::string name, text;
    int line;
    std::string message;
  };
  const Case cases[] = {
      {"trailing comma", "{\n  \"a\": 1,\n}\n", 2,
       "a comma before '}': JSON allows none after the last member"},
      {"trailing comma in an array", "{\n  \"a\": [1, 2,\n  ]\n}\n", 2,
       "a comma before ']': JSON allows none after the last value"},
      {"missing comma between lines", "{\n  \"a\": 1\n  \"b\": 2\n}\n", 2,
       "missing ',' at the end of this line"},
      {"missing comma on a line", "[1 2]", 1, "missing ',' before '2'"},
      {"unclosed object", "{\n  \"a\": [1, 2]\n", 1,
       "the '{' on this line is never closed (add '}')"},
      {"unclosed array", "{\n  \"a\": [1,\n  2\n}\n", 4, "'}' closes the '[' opened on line 2"},
      {"missing colon", "{\n  \"a\" 1\n}\n", 2, "missing ':' after the name \"a\""},
      {"missing value", "{\n  \"a\":\n}\n", 3, "a value is missing after ':'"},
      {"two commas", "[1,,2]", 1, "a value is missing before ','"},
      {"unquoted name", "{\n  a: 1\n}\n", 2, "the name 'a' needs double quotes: \"a\""},
      {"single quotes", "{\n  \"a\": 'x'\n}\n", 2, "strings take double quotes (\"), not single"},
      {"comment", "{\n  \"a\": 1  # one\n}\n", 2, "a comment: JSON has none"},
      {"block comment", "/* c */ {}\n", 1, "a comment: JSON has none"},
      {"NaN", "{\"a\": NaN}", 1, "'NaN' is not a JSON number"},
      {"word", "{\"a\": yes}", 1, "'yes' is not a JSON value: put text in double quotes"},
      {"leading zero", "{\"a\": 01}", 1, "'01' is not a JSON number"},
      {"plus sign", "[+1]", 1, "'+1' is not a JSON number"},
      {"YAML's NaN", "[1, .nan]", 1, "'.nan' is not a JSON number"},
      {"brace", "[1, }", 1, "unexpected '}'"},
      {"string over lines", "{\n  \"a\": \"x\ny\"\n}\n", 2,
       "the string that starts here is not closed on its line"},
      {"unclosed string", "{\"a\": \"x", 1, "the string that starts here is never closed"},
      {"bad escape", "{\"a\": \"\\q\"}", 1,
       "unknown escape '\\q' in a string (write '\\\\' for a backslash)"},
      {"control character", "{\"a\": \"\tx\"}", 1,
       "a control character (byte 0x09) inside a string: write it escaped, e.g. \\t for a tab"},
      {"text after", "{}\n{}\n", 2, "more text after the end of the JSON value"},
      {"empty", "  \n", 1, "no JSON value: the file is empty"},
      {"deep", std::string(100000, '[') + "1," + std::string(100000, ']'), 1,
       "a comma before ']': JSON allows none after the last value"},
  };
  for (const auto& c : cases) {
    SyntaxError e = explain_json_error(c.text, 0, "");
    EXPECT_EQ(e.line, c.line) << c.name;
    EXPECT_EQ(e.message, c.message) << c.name;
  }
}

TEST(SyntaxErrorTest, JsonFallsBackOnTheParsersWords) {
  // Ill-formed UTF-8 is the parser's to find; its quote of the text is cut.
  SyntaxError e = explain_json_error(
      "{\n\"a\": \"\xff\"}", 8,
      "[json.exception.parse_error.101] parse error at line 2, column 7: syntax error while "
      "parsing value - invalid string: ill-formed UTF-8 byte; last read: '\"\xff'");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.message,
            "not valid JSON: syntax error while parsing value - invalid string: ill-formed UTF-8 "
            "byte");
}

}  // namespace
}  // namespace ttg::util
