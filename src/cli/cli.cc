// GCC 12 warns of a null dereference in std::vector code that CLI11 2.1's
// detail::split inlines into this file: a false positive, and a failed
// build under -Werror. Before every include, so that it covers them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cassert>
#include <deque>
#include <exception>
#include <iostream>
#include <memory>
#include <utility>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "obs/log.h"
#include "util/strings.h"
#include "util/suggest.h"

namespace ttg::cli {

namespace {

constexpr std::string_view kGlobalFlags[] = {"config", "log_level", "log_format"};

// A setting given as a flag: CLI11 stores the raw text, and config.cc
// parses it, so that flag errors read like file and env errors.
struct FlagSlot {
  std::string key;
  std::string flag;
  std::string text;
  CLI::Option* option = nullptr;
};

std::string flag_help(const KeyInfo& info) {
  std::string help(info.help);
  for (size_t i = 0; i < info.env.size(); ++i) {
    help += i == 0 ? " [env " : ", ";
    help += info.env[i].name;
  }
  if (!info.env.empty()) help += "]";
  return help;
}

void add_setting_flag(CLI::App& app, std::string_view key, std::deque<FlagSlot>& slots) {
  const KeyInfo* info = find_key(key);
  assert(info != nullptr && !info->flag.empty());
  FlagSlot& slot = slots.emplace_back();
  slot.key = std::string(info->key);
  slot.flag = std::string(info->flag);
  slot.option = app.add_option(slot.flag, slot.text, flag_help(*info))
                    ->type_name(std::string(info->value_name));
}

// The command being parsed, if any (also after a parse error).
const CLI::App* chosen_command(const CLI::App& app) {
  auto chosen = app.get_subcommands();
  return chosen.empty() ? nullptr : chosen.front();
}

void print_usage(const CLI::App& app, std::ostream& err) {
  if (const CLI::App* command = chosen_command(app)) {
    std::string name = "ttg " + command->get_name();
    err << CLI::Formatter().make_usage(command, name) << "Run '" << name
        << " --help' for its options.\n";
  } else {
    err << "Usage: ttg [OPTIONS] COMMAND [ARGS]...\n"
        << "Run 'ttg --help' for the list of commands.\n";
  }
}

// The flags `app` takes: "--name" and "-n".
std::vector<std::string> flags_of(const CLI::App& app) {
  std::vector<std::string> flags;
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& name : opt->get_lnames()) flags.push_back("--" + name);
    for (const auto& name : opt->get_snames()) flags.push_back("-" + name);
  }
  return flags;
}

bool has_flag(const CLI::App& app, const std::string& flag) {
  auto flags = flags_of(app);
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

// "unknown flag '--parms' (did you mean '--params'?)", or, for a flag of
// other commands, which ones take it.
std::string unknown_flag(const CLI::App& app, const CLI::App* command, const std::string& flag) {
  std::vector<std::string> known = flags_of(app);
  if (command != nullptr) {
    auto own = flags_of(*command);
    known.insert(known.begin(), own.begin(), own.end());
  }
  std::string where = command == nullptr ? "" : " of 'ttg " + command->get_name() + "'";
  std::string others;
  for (const CLI::App* sub : app.get_subcommands(std::function<bool(const CLI::App*)>{})) {
    // `ttg config` takes every setting's flag, to show its effect.
    if (sub == command || sub->get_name() == "config" || !has_flag(*sub, flag)) continue;
    others += (others.empty() ? "" : ", ") + sub->get_name();
  }
  if (!others.empty()) {
    return "'" + flag + "' is not a flag" + where + " (it is one of: ttg " + others + ")";
  }
  return "unknown flag '" + flag + "'" + where + util::did_you_mean(flag, known);
}

int usage_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args,
                std::ostream& err) {
  std::string message = e.what();
  // CLI11 quotes the arguments it did not expect: a Redis URL among them
  // must not show its password.
  for (const std::string& arg : args) {
    std::string safe = redact_url(arg);
    if (safe == arg) continue;
    for (auto at = message.find(arg); at != std::string::npos;
         at = message.find(arg, at + safe.size())) {
      message.replace(at, arg.size(), safe);
    }
  }
  // CLI11 reports an unknown command or flag as an unexpected argument.
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    const CLI::App* command = chosen_command(app);
    auto extras = app.remaining(true);
    auto flag = std::find_if(extras.begin(), extras.end(), [](const std::string& x) {
      return x.size() > 1 && x[0] == '-' && x != "--";
    });
    if (command == nullptr && !extras.empty() && !extras.front().empty() &&
        extras.front().front() != '-') {
      std::vector<std::string> names;
      for (const Subcommand& sub : subcommands()) names.emplace_back(sub.name);
      message =
          "unknown command '" + extras.front() + "'" + util::did_you_mean(extras.front(), names);
    } else if (flag != extras.end()) {
      message = unknown_flag(app, command, flag->substr(0, flag->find('=')));
    }
  }
  err << "ttg: " << message << "\n";
  print_usage(app, err);
  return kExitUsage;
}

// Puts logging back on stderr when run() returns: the stream it was given
// may not outlive the call.
struct LoggingReset {
  LoggingReset() = default;
  LoggingReset(const LoggingReset&) = delete;
  LoggingReset& operator=(const LoggingReset&) = delete;
  ~LoggingReset() { obs::reset_logging(); }
};

int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                     const Environment& env) {
  CLI::App app("ttg: distributed parameter sweeps over Redis Streams.", "ttg");
  // Set before adding subcommands, which inherit it: global flags may then
  // follow the command.
  app.fallthrough();
  app.require_subcommand(0, 1);
  const std::string footer =
      "Settings come from defaults < config file < environment < flags; "
      "'ttg config' shows them.\n"
      "Exit codes: 0 ok, 1 failure, 2 usage or configuration error, "
      "3 cannot reach Redis, or it refused the password or the command.\n"
      "Global options (--config, --log-level, --log-format) may also follow the command.";
  app.footer(
      "Examples:\n"
      "  ttg submit --job sweep1 --params 1000 --arg work_ms=100\n"
      "  ttg worker --job sweep1\n\n" +
      footer + "\nRun 'ttg COMMAND --help' for a command's options and examples.");
  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");
  std::deque<FlagSlot> slots;
  for (std::string_view key : kGlobalFlags) add_setting_flag(app, key, slots);

  std::vector<std::pair<CLI::App*, Handler>> commands;
  for (const Subcommand& sub : subcommands()) {
    CLI::App* command = app.add_subcommand(std::string(sub.name), std::string(sub.help));
    for (std::string_view key : sub.setting_flags) add_setting_flag(*command, key, slots);
    std::string examples;
    for (const auto& line : util::split(sub.examples, '\n')) examples += "  " + line + "\n";
    command->footer("Examples:\n" + examples + "\n" + footer);
    commands.emplace_back(command, sub.setup(*command));
  }

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e, out, err);  // --help: prints the chosen command's help
    }
    return usage_error(app, e, args, err);
  }
  if (version) {
    out << "ttg " << TTG_VERSION << "\n";
    return kExitOk;
  }
  const std::pair<CLI::App*, Handler>* chosen = nullptr;
  for (const auto& command : commands) {
    if (command.first->parsed()) chosen = &command;
  }
  if (chosen == nullptr) {
    err << "ttg: no command given\n";
    print_usage(app, err);
    return kExitUsage;
  }

  std::vector<FlagValue> flags;
  for (const FlagSlot& slot : slots) {
    if (slot.option->count() > 0) flags.push_back(FlagValue{slot.key, slot.flag, slot.text});
  }
  Result<Settings> settings = load_settings(env, flags);
  if (!settings) {
    const std::string& message = settings.error().message;
    err << "ttg: " << message << "\n";
    // A bad flag value is a usage error; a bad file or environment value is
    // not, and the usage would only hide the message.
    if (message.rfind("--", 0) == 0) print_usage(app, err);
    return exit_code_for(settings.error());
  }

  LoggingReset reset;
  Status logging = obs::init_logging({settings->log_level, settings->log_format, &err});
  if (!logging) {
    err << "ttg: " << logging.error().message << "\n";
    return kExitUsage;
  }
  obs::log_debug("settings loaded",
                 {{"command", chosen->first->get_name()}, {"config", settings->config}});
  return chosen->second(Context{*settings, out, err});
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const Environment& env) {
  try {
    return run_command_line(args, out, err, env);
  } catch (const std::exception& e) {
    obs::reset_logging();
    err << "ttg: unexpected error: " << e.what() << "\n";
    return kExitFailure;
  }
}

int run(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return run(args, std::cout, std::cerr, process_environment());
}

}  // namespace ttg::cli
