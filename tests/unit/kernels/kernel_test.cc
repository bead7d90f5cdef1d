// The kernel seam: records, seeds, time-outs, validation and the kernel list.

#include "kernels/kernel.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>

namespace ttg::kernels {
namespace {

using Clock = std::chrono::steady_clock;

JobSpec spec_of(const std::string& kernel, nlohmann::json args) {
  JobSpec s;
  s.kernel = kernel;
  s.args = std::move(args);
  return s;
}

Result<std::string> run(const JobSpec& spec, ChunkTask task) {
  auto kernel = make_kernel(spec);
  if (!kernel) return tl::unexpected(kernel.error());
  CancelFlag cancel{false};
  return (*kernel)->run(task, cancel);
}

TEST(PointSeedTest, DependsOnJobAndIndexOnly) {
  EXPECT_EQ(point_seed("job", 7), point_seed("job", 7));
  EXPECT_NE(point_seed("job", 7), point_seed("job", 8));
  EXPECT_NE(point_seed("job", 7), point_seed("jot", 7));
  std::set<uint64_t> seen;
  for (int64_t i = 0; i < 10000; ++i) seen.insert(point_seed("j", i));
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(PointKernelTest, RecordsHoldTheIndexTheSetsValuesAndTheOutputs) {
  ChunkTask task{"j",
                 3,
                 30,
                 33,
                 1,
                 [](int64_t i) {
                   return nlohmann::json{{"x", i * 0.5}, {"label", "p" + std::to_string(i)}}; }};
  auto r = run(spec_of("simulate", {{"work_ms", 0}}), task);
  ASSERT_TRUE(r) << r.error().message;
  auto records = nlohmann::json::parse(*r);
  ASSERT_EQ(records.size(), 3u);
  for (int64_t k = 0; k < 3; ++k) {
    const auto& rec = records[static_cast<size_t>(k)];
    EXPECT_EQ(rec["param_index"], 30 + k);
    EXPECT_EQ(rec["x"], (30 + k) * 0.5);
    EXPECT_EQ(rec["label"], "p" + std::to_string(30 + k));
    EXPECT_GE(rec["value"].get<double>(), 0.0);
    EXPECT_LT(rec["value"].get<double>(), 100.0);
  }
  // "param_index" comes first, for people reading raw result_data.
  EXPECT_EQ(r->rfind("[{\"param_index\":30,", 0), 0u) << *r;
}

TEST(PointKernelTest, WithoutPointsEachSetIsItsIndex) {
  auto r = run(spec_of("simulate", {{"work_ms", 0}}), {"j", 0, 0, 2, 1, nullptr});
  ASSERT_TRUE(r);
  auto records = nlohmann::json::parse(*r);
  EXPECT_EQ(records[1]["param"], 1);
  EXPECT_EQ(records[1]["param_index"], 1);
  EXPECT_EQ(points_for(JobSpec{})(5), index_point(5));
}

TEST(PointKernelTest, RecomputingAChunkGivesTheSameBits) {
  auto spec = spec_of("simulate", {{"work_ms", 0}});
  auto a = run(spec, {"j", 0, 0, 50, 1, points_for(spec)});
  auto b = run(spec, {"j", 0, 0, 50, 3, points_for(spec)});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(PointKernelTest, ATimeOutFailsTheAttempt) {
  // 10 sets of 40 ms against a 100 ms time-out.
  auto spec = spec_of("simulate", {{"work_ms", 40}, {"timeout_ms", 100}});
  auto started = Clock::now();
  auto r = run(spec, {"j", 0, 0, 10, 1, nullptr});
  auto took = Clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  EXPECT_NE(r.error().message.find("timed out after 100 ms"), std::string::npos)
      << r.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

TEST(PointKernelTest, CancelStopsTheChunk) {
  auto kernel = make_kernel(spec_of("simulate", {{"work_ms", 10}}));
  ASSERT_TRUE(kernel);
  CancelFlag cancel{true};
  auto r = (*kernel)->run({"j", 0, 0, 10, 1, nullptr}, cancel);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
}

TEST(FaultyKernelTest, AHangingChunkEndsAtItsTimeOut) {
  auto r = run(spec_of("faulty", {{"hang_chunks", "2"}, {"timeout_ms", 50}}),
               {"j", 2, 20, 30, 1, nullptr});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos);
}

TEST(FaultyKernelTest, OtherChunksEqualTheReference) {
  auto spec = spec_of("faulty", {{"fail_chunks", "1"}, {"work_ms", 1}});
  auto got = run(spec, {"j", 0, 0, 5, 1, nullptr});
  auto want = run(reference_spec(spec), {"j", 0, 0, 5, 1, nullptr});
  ASSERT_TRUE(got && want);
  EXPECT_EQ(*got, *want);
  auto failed = run(spec, {"j", 1, 5, 10, 1, nullptr});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kKernelFailed);
}

TEST(NoopKernelTest, OneRecordPerChunk) {
  auto r = run(spec_of("noop", nlohmann::json::object()), {"j", 0, 0, 7, 1, nullptr});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "[{\"params\":7}]");
}

TEST(ReferenceSpecTest, DropsSleepAndFaultsOnly) {
  auto ref = reference_spec(spec_of("faulty", {{"work_ms", 5}, {"crash_chunks", "1"}}));
  EXPECT_EQ(ref.kernel, "simulate");
  EXPECT_EQ(ref.args, (nlohmann::json{{"work_ms", 0}}));
  auto bs = spec_of("bs_mc", {{"paths", 10}});
  EXPECT_EQ(reference_spec(bs).kernel, "bs_mc");
  EXPECT_EQ(reference_spec(bs).args, bs.args);
}

TEST(ValidateTest, RejectsWithAMessageNamingTheProblem) {
  struct Case {
    std::string kernel;
    nlohmann::json args;
    std::string message;
  } cases[] = {
      {"no-such-kernel", nlohmann::json::object(), "unknown kernel 'no-such-kernel'"},
      {"simulate", {{"work_ms", "slow"}}, "'work_ms' must be an integer >= 0"},
      {"simulate", {{"wrok_ms", 1}}, "kernel 'simulate' has no argument 'wrok_ms'"},
      {"noop", {{"x", 1}}, "kernel 'noop' has no argument 'x' (it takes none)"},
      {"bs_mc", {{"paths", 1}}, "'paths' must be an integer >= 2"},
      {"bs_mc", {{"vol", "high"}}, "parameter 'vol' must be a number"},
      {"bs_mc", {{"vol", -0.2}}, "parameter 'vol' must be > 0"},
      {"bs_mc", {{"type", "straddle"}}, "parameter 'type' must be \"call\" or \"put\""},
      {"bs_mc", {{"timeout_ms", 0}}, "'timeout_ms' must be an integer >= 1"},
      {"sir", {{"i0", 1.5}}, "kernel argument 'i0' must be in (0, 1)"},
      {"sir", {{"dt", 0}}, "kernel argument 'dt' must be > 0"},
      {"sir", {{"gamma", 0}}, "parameter 'gamma' must be > 0"},
      {"sir", {{"days", "long"}}, "kernel argument 'days' must be a number"},
      {"mandelbrot", nlohmann::json::object(), "parameter 'x' is missing"},
      {"mandelbrot", {{"x", 0}, {"y", 0}, {"max_iter", 0}}, "'max_iter' must be an integer >= 1"},
      {"exec", nlohmann::json::object(), "needs the argument 'command'"},
      {"exec", {{"command", "python3 'oops"}}, "'command': command line has an unterminated"},
      {"exec", {{"command", "   "}}, "'command': command line is empty"},
      {"exec", {{"command", "x"}, {"outputs", 3}}, "'outputs' must be a list of names"},
  };
  for (const auto& c : cases) {
    auto st = validate(spec_of(c.kernel, c.args));
    ASSERT_FALSE(st) << c.kernel << " " << c.args.dump();
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument) << c.kernel << " " << c.args.dump();
    EXPECT_NE(st.error().message.find(c.message), std::string::npos)
        << c.kernel << " " << c.args.dump() << ": " << st.error().message;
  }
}

// Names checked before a job is written (cli/spec_check.h), with the
// closest known name.
TEST(KernelNamesTest, UnknownNamesGetTheClosestKnownOne) {
  Registry none;
  EXPECT_TRUE(check_kernel_name("sir", none));
  auto st = check_kernel_name("sri", none);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.error().message,
            "unknown kernel 'sri' (did you mean 'sir'?) (see `ttg kernels`; a plugin kernel needs "
            "its library: --kernel-lib PATH)");
  EXPECT_EQ(check_kernel_name("zzz", none).error().message,
            "unknown kernel 'zzz' (see `ttg kernels`; a plugin kernel needs its library: "
            "--kernel-lib PATH)");
  EXPECT_FALSE(find_kernel_info("zzz", none));
  auto names = kernel_names(none);
  EXPECT_EQ(names.size(), builtin_kernels().size());

  struct Case {
    std::string kernel, name;
    std::string parameter_error;  // "" = accepted as a parameter name
    std::string argument_error;   // "" = accepted as an argument name
  } cases[] = {
      {"sir", "gamma", "", ""},
      {"sir", "gama", "kernel 'sir' has no parameter 'gama' (did you mean 'gamma'?)",
       "kernel 'sir' has no argument or parameter 'gama' (did you mean 'gamma'?)"},
      {"sir", "days",
       "kernel 'sir' has no parameter 'days' ('days' is a kernel argument, the same for every "
       "set: give it in args or as --arg; the parameters are beta, gamma)",
       ""},
      {"sir", "label", "kernel 'sir' has no parameter 'label' (it reads beta, gamma)",
       "kernel 'sir' has no argument or parameter 'label' (it takes beta, gamma, population, i0, "
       "days, dt, timeout_ms)"},
      {"bs_mc", "strke", "kernel 'bs_mc' has no parameter 'strke' (did you mean 'strike'?)",
       "kernel 'bs_mc' has no argument or parameter 'strke' (did you mean 'strike'?)"},
      {"mandelbrot", "cx", "", ""},
      {"mandelbrot", "z", "kernel 'mandelbrot' has no parameter 'z' (it reads x, y, cx, cy)",
       "kernel 'mandelbrot' has no argument or parameter 'z' (it takes x, y, cx, cy, max_iter, "
       "timeout_ms)"},
      // Kernels that list no parameters take any parameter name.
      {"simulate", "anything", "",
       "kernel 'simulate' has no argument or parameter 'anything' (it takes work_ms, timeout_ms)"},
      {"noop", "anything", "",
       "kernel 'noop' has no argument or parameter 'anything' (it takes none)"},
      {"exec", "comand", "",
       "kernel 'exec' has no argument or parameter 'comand' (did you mean 'command'?)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.kernel + " " + c.name);
    auto info = find_kernel_info(c.kernel, none);
    ASSERT_TRUE(info);
    auto p = check_parameter_name(*info, c.name);
    EXPECT_EQ(p ? "" : p.error().message, c.parameter_error);
    auto a = check_argument_name(*info, c.name);
    EXPECT_EQ(a ? "" : a.error().message, c.argument_error);
  }
}

TEST(ValidateTest, AcceptsGoodSpecs) {
  struct Case {
    std::string kernel;
    nlohmann::json args;
  } cases[] = {
      {"simulate", {{"work_ms", 0}, {"timeout_ms", 5000}}},
      {"noop", nlohmann::json::object()},
      {"faulty", {{"fail_chunks", "1,2"}, {"hang_chunks", nlohmann::json::array({3})}}},
      {"bs_mc", nlohmann::json::object()},
      {"bs_mc", {{"spot", 50}, {"type", "put"}, {"paths", 100}}},
      {"sir", {{"beta", 0.2}, {"population", 1e6}, {"days", 365}}},
      {"mandelbrot", {{"x", -0.5}, {"y", 0}}},
      {"exec", {{"command", "python3 -c 'print(1)'"}, {"outputs", "a, b"}}},
  };
  for (const auto& c : cases) {
    auto st = validate(spec_of(c.kernel, c.args));
    EXPECT_TRUE(st) << c.kernel << " " << c.args.dump() << ": " << st.error().message;
  }
}

TEST(BuiltinKernelsTest, ListsEveryKindWithItsParametersArgumentsAndOutputs) {
  std::map<std::string, KernelInfo> by_name;
  for (const auto& k : builtin_kernels()) by_name[k.name] = k;
  for (const char* name : {"simulate", "noop", "faulty", "bs_mc", "sir", "mandelbrot", "exec"}) {
    ASSERT_EQ(by_name.count(name), 1u) << name;
    EXPECT_FALSE(by_name[name].description.empty()) << name;
    EXPECT_FALSE(by_name[name].outputs.empty()) << name;
  }
  auto names = [](const std::vector<KernelField>& fields) {
    std::vector<std::string> out;
    for (const auto& f : fields) out.push_back(f.name);
    return out;
  };
  EXPECT_EQ(names(by_name["bs_mc"].parameters),
            (std::vector<std::string>{"spot", "strike", "vol", "rate", "maturity", "type"}));
  EXPECT_EQ(names(by_name["bs_mc"].outputs),
            (std::vector<std::string>{"price", "std_error", "closed_form"}));
  EXPECT_EQ(by_name["bs_mc"].arguments[0].default_value, 20000);
  EXPECT_EQ(names(by_name["sir"].parameters), (std::vector<std::string>{"beta", "gamma"}));
  EXPECT_EQ(names(by_name["sir"].outputs),
            (std::vector<std::string>{"peak_infected", "peak_day", "final_size", "r0"}));
  EXPECT_EQ(names(by_name["mandelbrot"].outputs),
            (std::vector<std::string>{"iterations", "inside"}));
  for (const auto& f : by_name["exec"].arguments) {
    if (f.name == "timeout_ms") {
      EXPECT_EQ(f.default_value, 60000);
    }
  }
}

}  // namespace
}  // namespace ttg::kernels
