#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <cassert>
#include <deque>
#include <exception>
#include <iostream>
#include <memory>
#include <utility>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "obs/log.h"

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
  // CLI11 reports an unknown command as an unexpected argument.
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && chosen_command(app) == nullptr) {
    auto extras = app.remaining();
    if (!extras.empty() && !extras.front().empty() && extras.front().front() != '-') {
      message = "unknown command '" + extras.front() + "'";
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
  app.footer(
      "Settings come from defaults < config file < environment < flags; "
      "'ttg config' shows them.\n"
      "Exit codes: 0 ok, 1 failure, 2 usage or configuration error, "
      "3 cannot reach Redis, or it refused the password or the command.\n"
      "Global options (--config, --log-level, --log-format) may also follow the command.\n"
      "Run 'ttg COMMAND --help' for a command's options.");
  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");
  std::deque<FlagSlot> slots;
  for (std::string_view key : kGlobalFlags) add_setting_flag(app, key, slots);

  std::vector<std::pair<CLI::App*, Handler>> commands;
  for (const Subcommand& sub : subcommands()) {
    CLI::App* command = app.add_subcommand(std::string(sub.name), std::string(sub.help));
    for (std::string_view key : sub.setting_flags) add_setting_flag(*command, key, slots);
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
