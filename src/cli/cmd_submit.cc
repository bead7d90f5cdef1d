// `ttg submit`: create a job and write its chunks.

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/spec_check.h"
#include "cli/spec_file.h"
#include "kernels/kernel.h"
#include "sizing/chunk_size.h"
#include "util/strings.h"

namespace ttg::cli {

namespace {

struct SubmitArgs {
  std::string kernel;
  CLI::Option* kernel_option = nullptr;
  std::vector<std::string> args;
  std::string spec;
  std::string params_file;
  bool force = false;
  bool dry_run = false;
  std::string exec;
  CLI::Option* exec_option = nullptr;
  std::string retain = "7d";
  std::vector<std::string> kernel_libs;
  std::string target_chunk_seconds;
  std::string expect_slots;
};

// How `ttg submit` chooses an automatic chunk size.
struct AutoOptions {
  double target_seconds = sizing::kDefaultTargetSeconds;
  bool target_given = false;
  // From --expect-slots; none = ask the worker registry.
  std::optional<int64_t> slots;
};

Result<AutoOptions> auto_options(const SubmitArgs& a) {
  AutoOptions o;
  if (!a.target_chunk_seconds.empty()) {
    auto v = util::parse_double(util::trim(a.target_chunk_seconds));
    if (!v || !std::isfinite(*v) || *v <= 0 || *v > 86400) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--target-chunk-seconds: expected a number of seconds above 0 and at "
                        "most 86400, got '" +
                            util::clip(a.target_chunk_seconds, 40) + "'");
    }
    o.target_seconds = *v;
    o.target_given = true;
  }
  if (!a.expect_slots.empty()) {
    auto v = util::parse_int(util::trim(a.expect_slots));
    if (!v || *v < 1 || *v > 1'000'000) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--expect-slots: expected an integer from 1 to 1000000, got '" +
                            util::clip(a.expect_slots, 40) + "'");
    }
    o.slots = *v;
  }
  return o;
}

// What submit_spec() decided about the chunk size.
struct SubmitPlan {
  JobSpec spec;
  // The size is auto and is still to be chosen; spec.chunk_size holds
  // kMaxChunkSize until then.
  bool choose = false;
  // Auto was asked for, but the kernel is not timed (sizing::not_timed_reason):
  // the spec has sizing::kFixedChunkSize.
  std::string fixed_because;
  // Where auto came from: "--chunk-size auto (default)", "x.yaml: chunk_size auto", ...
  std::string auto_origin;
};

// The origin of an automatic chunk size, for messages: from `spec_path` when
// not empty, else from the settings.
std::string auto_origin(const Settings& settings, const std::string& spec_path) {
  const Source& from = settings.source("chunk_size");
  return !spec_path.empty()                  ? spec_path + ": chunk_size auto"
         : from.kind == SourceKind::kDefault ? "--chunk-size auto (default)"
                                             : from.label() + " auto";
}

// Refuses more than kMaxChunks chunks, naming the chunk size to raise: from
// `spec_path` when not empty, else from the settings. With `auto_from` (an
// automatic size, at kMaxChunkSize): no size fits.
Status check_chunk_count(const JobSpec& spec, const Settings& settings,
                         const std::string& spec_path, const std::string& auto_from = "") {
  if (spec.total_chunks() <= kMaxChunks) return ok();
  const std::string tail = std::to_string(spec.total_params) + " points make " +
                           std::to_string(spec.total_chunks()) + " chunks";
  if (!auto_from.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      auto_from + ": " + tail + " even of the largest size (" +
                          std::to_string(kMaxChunkSize) + " points), more than " +
                          std::to_string(kMaxChunks) + " (the limit of a job); give fewer points");
  }
  const Source& from = settings.source("chunk_size");
  std::string n = std::to_string(spec.chunk_size);
  std::string origin = !spec_path.empty() ? spec_path + ": chunk_size " + n
                       : from.kind == SourceKind::kDefault || spec.chunk_size != settings.chunk_size
                           ? "--chunk-size " + n + " (default)"
                           : from.label() + " " + n;
  return make_error(ErrorCode::kInvalidArgument,
                    origin + ": " + tail + ", more than " + std::to_string(kMaxChunks) +
                        " (the limit of a job); give a larger chunk size");
}

// The spec of `ttg submit`. Each field comes from, highest first: its flag,
// the spec file, then the settings (environment, config file, default).
Result<SubmitPlan> submit_spec(const Settings& settings, const SubmitArgs& a,
                               const kernels::Registry& plugins) {
  if (a.exec_option->count() > 0 && a.exec.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--exec: empty command");
  }
  SpecFile file;
  if (!a.spec.empty()) {
    TTG_TRY_ASSIGN(file, read_spec_file(a.spec));
  }
  auto flag = [&](std::string_view key) { return settings.source(key).kind == SourceKind::kFlag; };
  JobSpec spec;
  spec.kernel = a.kernel_option->count() > 0 ? a.kernel
                : !a.exec.empty()            ? "exec"
                                  : file.kernel.value_or(file.exec ? "exec" : "simulate");
  spec.outputs = file.outputs.value_or(std::vector<std::string>{});
  spec.args = file.args.value_or(nlohmann::json::object());
  if (file.exec) {
    if (spec.kernel != "exec") {
      return make_error(
          ErrorCode::kInvalidArgument,
          "--kernel: the spec's 'exec' needs kernel 'exec', not '" + spec.kernel + "'");
    }
    spec.args["command"] = *file.exec;
  }
  TTG_TRY_ASSIGN(nlohmann::json flag_args, parse_kernel_args(a.args));
  for (auto it = flag_args.begin(); it != flag_args.end(); ++it) spec.args[it.key()] = it.value();
  // The command is text as typed: not parsed like an --arg value.
  if (!a.exec.empty()) spec.args["command"] = a.exec;
  if (spec.kernel == "simulate" && !flag_args.contains("work_ms") &&
      (flag("simulate_work_ms") || !spec.args.contains("work_ms"))) {
    spec.args["work_ms"] = settings.simulate_work_ms;
  }

  SpecOrigin origin;
  origin.kernel = a.kernel_option->count() > 0 ? "--kernel"
                  : file.kernel                ? a.spec + ":" + std::to_string(file.lines.kernel)
                                               : "";
  for (auto it = flag_args.begin(); it != flag_args.end(); ++it) origin.flag_args.insert(it.key());
  origin.file = &file;
  if (!a.params_file.empty()) {
    if (flag("total_parameters")) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--params-file: cannot be combined with --params");
    }
    TTG_TRY_ASSIGN(ParamsFile table, read_params_file(a.params_file));
    spec.set_space(std::move(table.space));
    origin.table = a.params_file;
    origin.table_header_line = table.header_line;
  } else if (flag("total_parameters") || (!file.params && settings.total_parameters > 0)) {
    spec.total_params = settings.total_parameters;
  } else if (file.params) {
    spec.set_space(*file.params);
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "--params: no parameters: give --params N, --params-file FILE or 'params' "
                      "in a --spec file (or TOTAL_PARAMETERS)");
  }
  const bool chunk_size_from_file = !flag("chunk_size") && file.chunk_size.has_value();
  spec.chunk_size = chunk_size_from_file ? *file.chunk_size : settings.chunk_size;
  spec.max_attempts =
      flag("max_attempts") || !file.max_attempts ? settings.max_attempts : *file.max_attempts;
  SubmitPlan plan;
  const std::string spec_path = chunk_size_from_file ? a.spec : "";
  if (spec.chunk_size == kAutoChunkSize) {
    plan.auto_origin = auto_origin(settings, spec_path);
    plan.fixed_because = sizing::not_timed_reason(spec);
    plan.choose = plan.fixed_because.empty();
    spec.chunk_size = plan.choose ? kMaxChunkSize : sizing::kFixedChunkSize;
  }
  TTG_TRY(check_chunk_count(spec, settings, spec_path, plan.choose ? plan.auto_origin : ""));
  TTG_TRY(spec.validate());
  TTG_TRY(check_spec_names(spec, origin, plugins));
  TTG_TRY_ASSIGN(plan.spec, kernels::resolve(std::move(spec), plugins));
  return plan;
}

// The compute slots expected to run job `name`, and where that number came
// from: --expect-slots, else the live workers of the registry, else this
// machine's cores. A registry that cannot be read is an error, except in a
// dry run (which then says so and counts cores).
struct ExpectedSlots {
  int64_t slots = 1;
  std::string from;
};

Result<ExpectedSlots> expected_slots(const Settings& settings, const AutoOptions& o,
                                     const std::string& name, bool dry_run) {
  if (o.slots) return ExpectedSlots{*o.slots, "--expect-slots"};
  const int64_t cores = hardware_threads();
  const std::string local = "this machine's " + std::to_string(cores) +
                            (cores == 1 ? " hardware thread" : " hardware threads");
  auto redis = redis_options(settings);
  if (!redis) return tl::unexpected(redis.error());
  queue::JobStore store(*redis);
  auto workers = store.workers();
  if (!workers) {
    if (!dry_run) return tl::unexpected(workers.error());
    return ExpectedSlots{cores, local + "; the worker registry was not read: " +
                                    util::clip(workers.error().message, 120)};
  }
  // A worker beats every 250 ms: one silent for 10 s is gone or stuck.
  const queue::LiveSlots live = queue::live_slots(*workers, name, 10'000);
  if (live.slots < 1) return ExpectedSlots{cores, local + "; no live worker is registered"};
  return ExpectedSlots{live.slots, std::to_string(live.workers) +
                                       (live.workers == 1 ? " live worker" : " live workers") +
                                       " registered in Redis"};
}

// An automatic chunk size: the measurement and the choice.
struct AutoSize {
  sizing::Sample sample;
  sizing::Choice choice;
  ExpectedSlots slots;
  AutoOptions options;
};

// Chooses `plan`'s chunk size: reads the expected slots, times the kernel,
// chooses, and sets plan.spec.chunk_size. Writes nothing to Redis.
Result<AutoSize> choose_size(SubmitPlan& plan, const Settings& settings, const AutoOptions& o,
                             const std::string& name, const kernels::Registry& plugins,
                             bool dry_run) {
  AutoSize out;
  out.options = o;
  TTG_TRY_ASSIGN(out.slots, expected_slots(settings, o, name, dry_run));
  TTG_TRY_ASSIGN(out.sample, sizing::measure(plan.spec, name, plugins));
  sizing::ChoiceInput in;
  in.seconds_per_point = out.sample.seconds_per_point();
  in.total_points = plan.spec.total_params;
  in.slots = out.slots.slots;
  in.target_seconds = o.target_seconds;
  out.choice = sizing::choose_chunk_size(in);
  plan.spec.chunk_size = out.choice.chunk_size;
  plan.choose = false;
  TTG_TRY(check_chunk_count(plan.spec, settings, "", plan.auto_origin));
  return out;
}

void print_auto(std::ostream& out, const SubmitPlan& plan, const std::optional<AutoSize>& size) {
  if (!plan.fixed_because.empty()) {
    out << "  chunk size:   " << plan.spec.chunk_size << " (" << plan.auto_origin << ": "
        << plan.fixed_because << "; give --chunk-size N to choose)\n";
    return;
  }
  if (!size) return;
  const auto& s = size->sample;
  const auto& c = size->choice;
  out << "  chunk size:   " << c.chunk_size << " (" << plan.auto_origin << "), about "
      << sizing::format_seconds(c.chunk_seconds) << " of work per chunk\n"
      << "    why:        " << c.reason << "\n"
      << "    timed:      " << s.points << (s.points == 1 ? " point" : " points") << " in "
      << s.runs << (s.runs == 1 ? " run" : " runs") << " from " << s.offsets
      << (s.offsets == 1 ? " offset" : " offsets")
      << " spread over the space: " << sizing::format_seconds(s.kernel_seconds)
      << " in the kernel, " << sizing::format_seconds(s.wall_seconds)
      << " in all (stopped: " << s.stopped << ")\n"
      << "    per point:  " << sizing::format_seconds(s.seconds_per_point()) << "\n"
      << "    slots:      " << size->slots.slots << " (" << size->slots.from << ")\n"
      << "    target:     " << sizing::format_seconds(size->options.target_seconds)
      << " per chunk (" << (size->options.target_given ? "--target-chunk-seconds" : "default")
      << ")\n";
}

// Point `i` as JSON with its parameters in declaration order.
std::string point_text(const JobSpec& spec, int64_t i) {
  nlohmann::json point = spec.point(i);
  nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
  for (const auto& name : spec.param_names()) ordered[name] = point[name];
  return ordered.dump();
}

void print_plan(std::ostream& out, const std::string& name, const SubmitPlan& plan,
                const std::optional<AutoSize>& size) {
  const JobSpec& spec = plan.spec;
  auto space = spec.param_space();
  int64_t last_chunk = spec.total_chunks() - 1;
  out << "job " << name << " (dry run: nothing written)\n"
      << "  points:       " << spec.total_params << " ("
      << (space ? space->describe() : std::string("?")) << ")\n"
      << "  chunks:       " << spec.total_chunks() << " of " << spec.chunk_size
      << " points (the last: [" << spec.chunk_begin(last_chunk) << ", "
      << spec.chunk_end(last_chunk) << "))\n";
  print_auto(out, plan, size);
  out << "  kernel:       " << spec.kernel << " " << spec.args.dump() << "\n";
  out << "  outputs:      ";
  if (spec.outputs.empty()) out << "all";
  for (size_t i = 0; i < spec.outputs.size(); ++i) out << (i > 0 ? ", " : "") << spec.outputs[i];
  out << "\n"
      << "  max attempts: " << spec.max_attempts << "\n"
      << "  first point:  " << point_text(spec, 0) << "\n"
      << "  last point:   " << point_text(spec, spec.total_params - 1) << "\n";
}

}  // namespace

Result<JobSpec> spec_from(const Settings& settings, const std::string& kernel,
                          const std::vector<std::string>& args, const kernels::Registry& plugins) {
  JobSpec spec;
  spec.kernel = kernel;
  spec.total_params = settings.total_parameters;
  spec.chunk_size =
      settings.chunk_size == kAutoChunkSize ? sizing::kFixedChunkSize : settings.chunk_size;
  spec.max_attempts = settings.max_attempts;
  if (spec.total_params <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--params: the number of parameters is required (or TOTAL_PARAMETERS)");
  }
  TTG_TRY_ASSIGN(spec.args, parse_kernel_args(args));
  SpecOrigin origin{"--kernel", {}, nullptr, "", 1};
  for (auto it = spec.args.begin(); it != spec.args.end(); ++it) origin.flag_args.insert(it.key());
  if (spec.kernel == "simulate" && !spec.args.contains("work_ms")) {
    spec.args["work_ms"] = settings.simulate_work_ms;
  }
  TTG_TRY(check_chunk_count(spec, settings, ""));
  TTG_TRY(spec.validate());
  TTG_TRY(check_spec_names(spec, origin, plugins));
  return kernels::resolve(std::move(spec), plugins);
}

Handler setup_submit(CLI::App& app) {
  auto a = std::make_shared<SubmitArgs>();
  a->kernel_option =
      app.add_option("--kernel", a->kernel, "Kernel to run (see `ttg kernels`); default simulate");
  app.add_option("--arg", a->args, "Kernel argument key=value (repeatable)");
  a->exec_option =
      app.add_option("--exec", a->exec,
                     "Run this program for each parameter set: kernel exec with argument command")
          ->excludes(a->kernel_option);
  app.add_option("--kernel-lib", a->kernel_libs,
                 "Load plugin kernels from this shared library (repeatable); the job records "
                 "the plugin's version");
  app.add_option("--spec", a->spec,
                 "Job spec file (YAML or JSON): kernel, args, params, chunk_size, max_attempts, "
                 "outputs, exec; flags override its fields");
  app.add_option("--params-file", a->params_file,
                 "Parameter sets, one per row: CSV with a header line, or JSON lines");
  app.add_flag("--force", a->force,
               "Replace an existing job of the same name (workers drop what they computed for "
               "the old run)");
  app.add_option("--retain", a->retain,
                 "How long a finished job's keys stay in Redis: 30m, 12h, 7d; 0 = for ever "
                 "(default 7d)");
  app.add_flag("--dry-run", a->dry_run,
               "Validate and print the plan (with --chunk-size auto: the timing and the "
               "choice); write nothing");
  app.add_option("--target-chunk-seconds", a->target_chunk_seconds,
                 "With --chunk-size auto: seconds of work per chunk to aim at (default 2)")
      ->type_name("S");
  app.add_option("--expect-slots", a->expect_slots,
                 "With --chunk-size auto: compute slots expected to run the job (default: the "
                 "live workers' slots in Redis, else this machine's hardware threads)")
      ->type_name("N");
  return [a](const Context& ctx) -> int {
    // Everything is checked before Redis is touched: a bad spec writes
    // nothing.
    auto auto_opts = auto_options(*a);
    if (!auto_opts) return report(ctx, "submit", auto_opts.error());
    kernels::Registry plugins;
    if (auto st = plugins.load_all(a->kernel_libs); !st) return report(ctx, "submit", st.error());
    auto plan = submit_spec(ctx.settings, *a, plugins);
    if (!plan) return report(ctx, "submit", plan.error());
    auto retain_ms = util::parse_duration_ms(a->retain);
    if (!retain_ms) {
      return report(ctx, "submit",
                    Error{ErrorCode::kInvalidArgument,
                          "--retain: expected a duration such as 30m, 12h or 7d (0 = for ever), "
                          "got '" +
                              util::clip(a->retain, 40) + "'"});
    }
    // A name given empty (a flag or file value) is an error, not "make one up".
    const Source& job_from = ctx.settings.source("job");
    const bool named = job_from.kind != SourceKind::kDefault;
    std::string name = named ? ctx.settings.job : generate_job_name();
    if (auto st = validate_job_name(name); !st) {
      return report(ctx, "submit", st.error().with_context(job_from.label()));
    }
    // The kernel is timed before anything is written: a kernel that fails
    // on the sample leaves Redis untouched.
    std::optional<AutoSize> size;
    if (plan->choose) {
      auto chosen = choose_size(*plan, ctx.settings, *auto_opts, name, plugins, a->dry_run);
      if (!chosen) return report(ctx, "submit", chosen.error());
      size = std::move(*chosen);
    }
    const JobSpec* spec = &plan->spec;
    if (a->dry_run) {
      print_plan(ctx.out, name, *plan, size);
      return kExitOk;
    }
    auto redis = redis_options(ctx.settings);
    if (!redis) return report(ctx, "submit", redis.error());
    queue::JobStore store(*redis);
    queue::SubmitOptions options;
    options.force = a->force;
    options.retain_ms = *retain_ms;
    if (size) {
      ctx.out << "chunk size " << spec->chunk_size
              << " (auto: " << sizing::format_seconds(size->sample.seconds_per_point())
              << " per point over " << size->sample.points << " timed, " << size->slots.slots
              << " slots; " << size->choice.reason << ")\n";
    } else if (!plan->fixed_because.empty()) {
      ctx.out << "chunk size " << spec->chunk_size << " (" << plan->fixed_because << ")\n";
    }
    auto r = store.submit(name, *spec, options);
    if (!r) return report(ctx, "submit", r.error());
    switch (r->outcome) {
      case queue::SubmitOutcome::kExists:
        ctx.out << "job " << name
                << " exists already with this spec; nothing written (--force replaces it)\n";
        return kExitOk;
      case queue::SubmitOutcome::kReplaced:
        ctx.out << "replaced job " << name << ": ";
        break;
      case queue::SubmitOutcome::kResumed:
        ctx.out << "resumed submission of job " << name << ": ";
        break;
      case queue::SubmitOutcome::kCreated:
        ctx.out << "submitted job " << name << ": ";
        break;
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", r->seconds);
    ctx.out << spec->total_chunks() << " chunks (" << spec->total_params << " params), "
            << r->chunks_written << " written in " << secs << " s (run " << r->run << ")\n";
    return kExitOk;
  };
}

}  // namespace ttg::cli
