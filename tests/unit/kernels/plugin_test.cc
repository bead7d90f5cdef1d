// Plugin kernels: loading (and every way it can fail), versions, and
// computing through the C ABI of include/ttg/kernel.h.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "kernels/kernel.h"
#include "util/temp_dir.h"

namespace ttg::kernels {
namespace {

using Clock = std::chrono::steady_clock;

JobSpec spec_of(const std::string& kernel, nlohmann::json args) {
  JobSpec s;
  s.kernel = kernel;
  s.args = std::move(args);
  return s;
}

Registry loaded(const std::string& path) {
  Registry r;
  auto st = r.load(path);
  EXPECT_TRUE(st) << st.error().message;
  return r;
}

Result<nlohmann::json> run(const JobSpec& spec, const Registry& plugins, const PointFn& point,
                           int64_t begin, int64_t end, const std::string& job = "job") {
  TTG_TRY_ASSIGN(auto kernel, make_kernel(spec, plugins));
  CancelFlag cancel{false};
  TTG_TRY_ASSIGN(std::string out, kernel->run({job, 0, begin, end, 1, point}, cancel));
  return nlohmann::json::parse(out);
}

void expect_error(const Status& st, ErrorCode code, const std::string& part) {
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, code) << st.error().message;
  EXPECT_NE(st.error().message.find(part), std::string::npos)
      << "'" << part << "' not in: " << st.error().message;
}

TEST(PluginTest, TheExamplePluginDescribesItself) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  auto infos = plugins.kernels();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].name, "quadratic");
  EXPECT_EQ(infos[0].version, "1.0.0");
  EXPECT_EQ(infos[0].library, TTG_EXAMPLE_PLUGIN);
  ASSERT_EQ(infos[0].parameters.size(), 1u);
  EXPECT_EQ(infos[0].parameters[0].name, "x");
  ASSERT_EQ(infos[0].outputs.size(), 2u);
  EXPECT_EQ(infos[0].outputs[1].name, "y_noisy");
  EXPECT_NE(plugins.find("quadratic"), nullptr);
  EXPECT_EQ(plugins.find("cubic"), nullptr);
}

TEST(PluginTest, TheExamplePluginComputesKnownAnswers) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  auto spec = spec_of("quadratic", {{"a", 2}, {"b", -1}, {"c", 0.5}});
  auto r = run(
      spec, plugins,
      [](int64_t i) {
        return nlohmann::json{{"x", 0.5 * i}};
      },
      0, 4);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  for (int i = 0; i < 4; ++i) {
    double x = 0.5 * i;
    const auto& rec = (*r)[static_cast<size_t>(i)];
    EXPECT_EQ(rec["x"], x);
    EXPECT_DOUBLE_EQ(rec["y"].get<double>(), 2 * x * x - x + 0.5);
    EXPECT_DOUBLE_EQ(rec["y_noisy"].get<double>(), rec["y"].get<double>());  // noise 0
  }
}

TEST(PluginTest, NoiseIsDrawnFromTheSetsSeed) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  auto spec = spec_of("quadratic", {{"noise", 1.0}});
  auto a = run(spec, plugins, nullptr, 0, 20);
  auto b = run(spec, plugins, nullptr, 0, 20);
  auto c = run(spec, plugins, nullptr, 0, 20, "other-job");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->dump(), b->dump());
  EXPECT_NE(a->dump(), c->dump());
  // Without named parameters, x is the index.
  EXPECT_EQ((*a)[3]["y"], 9.0);
  EXPECT_NE((*a)[3]["y_noisy"], 9.0);
}

TEST(PluginTest, ParametersGivenAsArgumentsAreDefaults) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  auto r = run(
      spec_of("quadratic", {{"x", 3}}), plugins,
      [](int64_t i) {
        return i == 0 ? nlohmann::json::object() : nlohmann::json{{"x", 1}};
      },
      0, 2);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0]["y"], 9.0);
  EXPECT_EQ((*r)[1]["y"], 1.0);
}

TEST(PluginTest, AMissingFileIsNotFound) {
  Registry plugins;
  expect_error(plugins.load("/nonexistent/libnothing.so"), ErrorCode::kNotFound,
               "kernel library /nonexistent/libnothing.so: No such file or directory");
}

TEST(PluginTest, AFileThatIsNotALibraryIsRefused) {
  auto dir = util::TempDir::create("ttg-plugin-");
  ASSERT_TRUE(dir);
  std::string path = dir->path() + "/libfake.so";
  std::ofstream(path) << "not an ELF file\n";
  Registry plugins;
  expect_error(plugins.load(path), ErrorCode::kInvalidArgument, "cannot load it");
}

TEST(PluginTest, ALibraryWithoutTheEntrySymbolIsRefused) {
  Registry plugins;
  expect_error(plugins.load(TTG_TEST_PLUGIN_NO_ENTRY), ErrorCode::kInvalidArgument,
               "no entry symbol ttg_kernel_v1");
}

TEST(PluginTest, AnotherAbiVersionIsRefused) {
  Registry plugins;
  expect_error(plugins.load(TTG_TEST_PLUGIN_ABI99), ErrorCode::kInvalidArgument,
               "built for plugin ABI version 99, but this ttg reads version 1");
  EXPECT_TRUE(plugins.kernels().empty());
}

TEST(PluginTest, ABuiltInNameOrALoadedNameIsRefused) {
  Registry plugins;
  expect_error(plugins.load(TTG_TEST_PLUGIN_BUILTIN_NAME), ErrorCode::kInvalidArgument,
               "kernel 'simulate' has the name of a built-in kernel");
  ASSERT_TRUE(plugins.load(TTG_EXAMPLE_PLUGIN));
  expect_error(plugins.load(TTG_EXAMPLE_PLUGIN), ErrorCode::kInvalidArgument,
               "kernel 'quadratic' is loaded already");
}

TEST(PluginTest, AListOfParametersIsAllThePluginReads) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  auto info = find_kernel_info("quadratic", plugins);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->library, TTG_EXAMPLE_PLUGIN);
  EXPECT_TRUE(check_parameter_name(*info, "x"));
  expect_error(check_parameter_name(*info, "y"), ErrorCode::kInvalidArgument,
               "kernel 'quadratic' has no parameter 'y' (it reads x)");
  EXPECT_TRUE(check_argument_name(*info, "kernel_version"));
  EXPECT_TRUE(check_kernel_name("quadratic", plugins));
  expect_error(check_kernel_name("quadratik", plugins), ErrorCode::kInvalidArgument,
               "unknown kernel 'quadratik' (did you mean 'quadratic'?)");
  auto names = kernel_names(plugins);
  EXPECT_EQ(names.back(), "quadratic");
}

TEST(PluginTest, APluginKernelIsUnknownWithoutItsLibrary) {
  auto spec = spec_of("quadratic", nlohmann::json::object());
  expect_error(validate(spec), ErrorCode::kInvalidArgument, "unknown kernel 'quadratic'");
  expect_error(make_kernel(spec).map([](auto&&) {}), ErrorCode::kInvalidArgument, "--kernel-lib");
}

TEST(PluginTest, ResolveRecordsTheVersionAndAnotherVersionIsRefused) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  auto resolved = resolve(spec_of("quadratic", {{"a", 1}}), plugins);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->args["kernel_version"], "1.0.0");
  EXPECT_TRUE(make_kernel(*resolved, plugins));
  // Built-in kernels record nothing.
  auto builtin = resolve(spec_of("noop", nlohmann::json::object()), plugins);
  ASSERT_TRUE(builtin);
  EXPECT_FALSE(builtin->args.contains("kernel_version"));

  auto old = spec_of("quadratic", {{"kernel_version", "0.9.0"}});
  expect_error(make_kernel(old, plugins).map([](auto&&) {}), ErrorCode::kInvalidArgument,
               "the job needs plugin kernel 'quadratic' version 0.9.0, but " TTG_EXAMPLE_PLUGIN
               " has version 1.0.0");
  expect_error(resolve(old, plugins).map([](auto&&) {}), ErrorCode::kInvalidArgument,
               "version 0.9.0");
}

TEST(PluginTest, UnknownArgumentsAreRefused) {
  Registry plugins = loaded(TTG_EXAMPLE_PLUGIN);
  expect_error(validate(spec_of("quadratic", {{"d", 1}}), plugins), ErrorCode::kInvalidArgument,
               "kernel 'quadratic' has no argument 'd'");
  expect_error(validate(spec_of("quadratic", {{"timeout_ms", "soon"}}), plugins),
               ErrorCode::kInvalidArgument, "'timeout_ms' must be an integer");
}

TEST(PluginTest, ErrorsComeThroughTheErrorChannel) {
  Registry plugins = loaded(TTG_TEST_PLUGIN);
  auto spec = spec_of("test_plugin", nlohmann::json::object());
  auto failed = run(
      spec, plugins,
      [](int64_t) {
        return nlohmann::json{{"mode", "fail"}};
      },
      0, 1);
  expect_error(failed.map([](auto&&) {}), ErrorCode::kKernelFailed,
               "plugin kernel 'test_plugin': asked to fail");
  auto garbage = run(
      spec, plugins,
      [](int64_t) {
        return nlohmann::json{{"mode", "garbage"}};
      },
      0, 1);
  expect_error(garbage.map([](auto&&) {}), ErrorCode::kKernelFailed,
               "wrote output that is not a JSON object: not json");
  // The example plugin reports its own errors (here: x is not a number).
  Registry example = loaded(TTG_EXAMPLE_PLUGIN);
  auto bad_x = run(
      spec_of("quadratic", nlohmann::json::object()), example,
      [](int64_t) {
        return nlohmann::json{{"x", "three"}};
      },
      0, 1);
  expect_error(bad_x.map([](auto&&) {}), ErrorCode::kKernelFailed,
               "parameter 'x' is missing or not a number");
}

TEST(PluginTest, TheSeedReachesThePlugin) {
  Registry plugins = loaded(TTG_TEST_PLUGIN);
  auto r = run(spec_of("test_plugin", nlohmann::json::object()), plugins, nullptr, 5, 8, "seeded");
  ASSERT_TRUE(r) << r.error().message;
  for (int64_t i = 5; i < 8; ++i) {
    EXPECT_EQ((*r)[static_cast<size_t>(i - 5)]["seed"].get<uint64_t>(), point_seed("seeded", i));
  }
}

TEST(PluginTest, ALongComputationStopsAtTheTimeOut) {
  Registry plugins = loaded(TTG_TEST_PLUGIN);
  auto started = Clock::now();
  auto r = run(
      spec_of("test_plugin", {{"timeout_ms", 100}}), plugins,
      [](int64_t) {
        return nlohmann::json{{"mode", "spin"}};
      },
      0, 1);
  expect_error(r.map([](auto&&) {}), ErrorCode::kKernelFailed, "timed out after 100 ms");
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));
}

TEST(PluginTest, AKernelKeepsItsLibraryLoadedAfterTheRegistryIsGone) {
  auto plugins = std::make_unique<Registry>(loaded(TTG_EXAMPLE_PLUGIN));
  auto kernel = make_kernel(spec_of("quadratic", nlohmann::json::object()), *plugins);
  ASSERT_TRUE(kernel);
  plugins.reset();
  CancelFlag cancel{false};
  auto r = (*kernel)->run({"job", 0, 2, 3, 1, nullptr}, cancel);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(nlohmann::json::parse(*r)[0]["y"], 4.0);
}

}  // namespace
}  // namespace ttg::kernels
