// `ttg submit --spec/--params-file` as a user runs it, against a private
// redis-server: bad specs and flags exit 2 and write nothing; good ones store
// a space that gives back the same points.

#include <gtest/gtest.h>

#include <fstream>

#include "cli/spec_file.h"
#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "support/redis_fixture.h"
#include "support/scratch_dir.h"
#include "support/ttg_process.h"
#include "util/temp_dir.h"

namespace ttg {
namespace {

using nlohmann::json;

// Settings from the caller's environment must not change the outcome.
const std::vector<std::string> kCleanEnv = {
    "TTG_CONFIG=", "TOTAL_PARAMETERS=", "CHUNK_SIZE=", "BATCH_SIZE=",
    "TTG_JOB=",    "LOG_LEVEL=",        "LOG_FORMAT=", "TTG_REDIS_URL="};

const std::string kExamples = std::string(TTG_SOURCE_DIR) + "/examples/";

class SubmitSpecTest : public testing::RedisTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }

  testing::RunResult submit(std::vector<std::string> args) {
    args.insert(args.begin(), {"submit", "--redis", server_->url()});
    return testing::run_ttg(args, kCleanEnv);
  }

  // Every key in the database, sorted.
  std::vector<std::string> keys() {
    auto conn = connect();
    auto r = conn.command({"KEYS", "*"});
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> out;
    if (r) {
      for (const auto& e : r->elements()) out.push_back(e.str());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::ScratchDir dir_{"ttg-submit-spec-"};
};

TEST_F(SubmitSpecTest, BadSpecsAndFlagsExitTwoAndWriteNothing) {
  {
    auto conn = connect();
    ASSERT_TRUE(conn.command({"SET", "unrelated", "1"}));
  }
  const std::vector<std::string> before = keys();
  const std::string good = write("good.yaml", "kernel: noop\nparams: {dims: {a: [1, 2]}}\n");
  struct Case {
    std::vector<std::string> args;
    std::string want;  // a line of stderr
  } cases[] = {
      {{"--spec", write("unknown.yaml", "kernel: noop\nchunksize: 3\n")},
       "ttg submit: " + dir_.path() +
           "/unknown.yaml:2: unknown key 'chunksize' (expected kernel, args, params, chunk_size, "
           "max_attempts, outputs, exec)"},
      {{"--spec",
        write("step.yaml", "params:\n  dims:\n    n: {range: {start: 0, stop: 9, step: 0}}\n")},
       "ttg submit: " + dir_.path() + "/step.yaml:3: dimension 'n': range step must not be 0"},
      {{"--spec", write("nan.json", "{\"params\": {\"dims\": {\n  \"x\": [1, .nan]}}}\n")},
       "ttg submit: " + dir_.path() + "/nan.json:2: '.nan' is not a JSON number"},
      {{"--spec", write("nan.yaml", "params:\n  dims:\n    x: [1, .nan]\n")},
       "ttg submit: " + dir_.path() +
           "/nan.yaml:3: dimension 'x': value 2: '.nan' is not a finite number (NaN or infinity "
           "is not allowed)"},
      {{"--spec", write("empty.yaml", "params:\n  dims:\n    x: []\n")},
       "ttg submit: " + dir_.path() + "/empty.yaml:3: dimension 'x': no values"},
      {{"--spec", write("huge.yaml",
                        "params:\n  dims:\n    a: {range: {start: 0, stop: 4000000000}}\n"
                        "    b: {range: {start: 0, stop: 4000000000}}\n")},
       "ttg submit: " + dir_.path() +
           "/huge.yaml:2: params: the space has more than 2^63 - 1 points: a[4000000000] x "
           "b[4000000000]"},
      {{"--spec", write("dup.yaml", "params:\n  dims:\n    a: [1]\n    a: [2]\n")},
       "ttg submit: " + dir_.path() + "/dup.yaml:4: duplicate dimension 'a'"},
      {{"--spec", write("chunk.yaml", "params: 10\nchunk_size: 0\n")},
       "ttg submit: " + dir_.path() + "/chunk.yaml:2: chunk_size: must be at least 1, got 0"},
      {{"--spec", write("kernel.yaml", "kernel: nosuch\nparams: 10\n")},
       "ttg submit: " + dir_.path() +
           "/kernel.yaml:1: unknown kernel 'nosuch' (see `ttg kernels`; a plugin kernel needs its "
           "library: --kernel-lib PATH)"},
      {{"--spec", write("arg.yaml", "kernel: noop\nargs: {speed: 3}\nparams: 10\n")},
       "ttg submit: " + dir_.path() +
           "/arg.yaml:2: args: kernel 'noop' has no argument or parameter 'speed' (it takes none)"},
      {{"--spec", write("gama.yaml", "kernel: sir\nparams:\n  dims:\n    gama: [0.1, 0.2]\n")},
       "ttg submit: " + dir_.path() +
           "/gama.yaml:4: kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)"},
      {{"--spec", write("comma.json", "{\n  \"kernel\": \"noop\",\n  \"params\": 10,\n}\n")},
       "ttg submit: " + dir_.path() +
           "/comma.json:3: a comma before '}': JSON allows none after the last member"},
      {{"--spec", dir_.path() + "/missing.yaml"},
       "ttg submit: --spec: cannot read '" + dir_.path() +
           "/missing.yaml': No such file or directory"},
      {{"--kernel", "noop", "--params-file", write("ragged.csv", "a,b\n1,2\n3\n")},
       "ttg submit: " + dir_.path() + "/ragged.csv:3: row has 1 field, the header has 2"},
      {{"--kernel", "noop", "--params-file", write("cols.csv", "a,b,a\n1,2,3\n")},
       "ttg submit: " + dir_.path() + "/cols.csv:1: duplicate column 'a'"},
      {{"--kernel", "noop", "--params-file", write("array.jsonl", "{\"a\": 1}\n[2]\n")},
       "ttg submit: " + dir_.path() + "/array.jsonl:2: expected a JSON object, got array"},
      {{"--kernel", "noop", "--params-file",
        write("keys.jsonl", "{\"a\": 1}\n{\"a\": 2, \"b\": 3}\n")},
       "ttg submit: " + dir_.path() + "/keys.jsonl:2: keys differ from line 1: unexpected 'b'"},
      {{"--kernel", "noop", "--params-file", dir_.path() + "/missing.csv"},
       "ttg submit: --params-file: cannot read '" + dir_.path() +
           "/missing.csv': No such file or directory"},
      {{"--spec", good, "--chunk-size", "0"},
       "ttg: --chunk-size: expected a positive integer or auto, got '0'"},
      {{"--spec", good, "--chunk-size", "-5"},
       "ttg: --chunk-size: expected a positive integer or auto, got '-5'"},
      {{"--kernel", "noop", "--params", "-1"},
       "ttg: --params: expected a positive integer, got '-1'"},
      {{"--kernel", "noop", "--params", "0"},
       "ttg: --params: expected a positive integer, got '0'"},
      {{"--spec", good, "--max-attempts", "0"},
       "ttg: --max-attempts: expected a positive integer, got '0'"},
      {{"--spec", good, "--kernel", "nosuch"},
       "ttg submit: --kernel: unknown kernel 'nosuch' (see `ttg kernels`; a plugin kernel needs "
       "its library: --kernel-lib PATH)"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--job", "bad"});
    auto r = submit(args);
    EXPECT_EQ(r.exit_code, 2) << c.want << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(c.want + "\n"), std::string::npos)
        << "want: " << c.want << "\ngot: " << r.err;
    EXPECT_EQ(r.out, "") << c.want;
    EXPECT_EQ(keys(), before) << c.want;
  }
}

TEST_F(SubmitSpecTest, DryRunNeedsNoRedis) {
  auto r = testing::run_ttg({"submit", "--redis", "redis://127.0.0.1:1", "--job", "plan", "--spec",
                             kExamples + "sir-sweep.yaml", "--dry-run"},
                            kCleanEnv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "job plan (dry run: nothing written)\n"
            "  points:       200 (beta[20] x gamma[10])\n"
            "  chunks:       8 of 25 points (the last: [175, 200))\n"
            "  kernel:       sir {\"days\":160}\n"
            "  outputs:      all\n"
            "  max attempts: 3\n"
            "  first point:  {\"beta\":0.1,\"gamma\":0.05}\n"
            "  last point:   {\"beta\":0.5,\"gamma\":0.25}\n");
  // And with a server: nothing written.
  r = submit({"--job", "plan", "--spec", kExamples + "grid.json", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  points:       2400 (model[2] x population[4] x seed[100] x "
                       "(r0, incubation_days)[3])\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(keys(), std::vector<std::string>{});
}

TEST_F(SubmitSpecTest, StoredSpaceGivesBackTheSamePoints) {
  const std::string path = kExamples + "sir-sweep.yaml";
  auto r = submit({"--job", "sir", "--spec", path, "--kernel", "noop"});
  // noop takes no `days` (the file's argument): the override must go
  // through kernels::validate.
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = submit({"--job", "sir", "--spec", path, "--arg", "i0=0.01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("submitted job sir: 8 chunks (200 params)"), std::string::npos) << r.out;

  auto local = cli::read_spec_file(path);
  ASSERT_TRUE(local) << local.error().message;
  queue::JobStore store(server_->options());
  auto status = store.status("sir");
  ASSERT_TRUE(status) << status.error().message;
  const JobSpec& spec = status->spec;
  ASSERT_TRUE(spec.space.has_value());
  EXPECT_EQ(spec.kernel, "sir");
  EXPECT_EQ(spec.args, (json{{"days", 160}, {"i0", 0.01}}));
  EXPECT_EQ(spec.total_params, 200);
  EXPECT_EQ(spec.chunk_size, 25);
  EXPECT_EQ(status->total_chunks, 8);
  EXPECT_EQ(spec.param_names(), (std::vector<std::string>{"beta", "gamma"}));
  for (int64_t i = 0; i < 200; ++i) {
    ASSERT_EQ(spec.point(i).dump(), local->params->point(i).dump()) << i;
  }
  // Chunk entries name index ranges only; the space lives once, in the meta.
  auto conn = connect();
  queue::JobKeys k("sir");
  auto len = conn.command({"XLEN", k.tasks});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer(), 8);
  auto first = conn.command({"XRANGE", k.tasks, "-", "+", "COUNT", "1"});
  ASSERT_TRUE(first);
  std::string entry;
  for (const auto& f : (*first)[0][1].elements()) entry += f.str() + " ";
  EXPECT_EQ(entry.find("beta"), std::string::npos) << entry;
  auto meta = conn.command({"HGET", k.meta, "spec"});
  ASSERT_TRUE(meta);
  EXPECT_NE(meta->str().find("\"linspace\""), std::string::npos) << meta->str();
}

TEST_F(SubmitSpecTest, TablesRoundTripAndJobsWithSpacesRun) {
  auto r = submit({"--job", "table", "--kernel", "noop", "--params-file", kExamples + "points.csv",
                   "--chunk-size", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  queue::JobStore store(server_->options());
  auto status = store.status("table");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(status->spec.space->is_table());
  EXPECT_EQ(status->total_chunks, 2);
  EXPECT_EQ(status->spec.point(3),
            (json{{"beta", 0.25}, {"gamma", 0.05}, {"label", "slow, long"}}));
  // The worker of today reads the new spec and finishes the job.
  auto w = testing::run_ttg({"worker", "--redis", server_->url(), "--job", "table",
                             "--idle-timeout", "2", "--threads", "2"},
                            kCleanEnv);
  EXPECT_EQ(w.exit_code, 0) << w.err;
  status = store.status("table");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->done, 2);
  EXPECT_EQ(status->state, JobState::kComplete);
}

}  // namespace
}  // namespace ttg
