#pragma once
// The subcommand table of `ttg` and what a subcommand is made of.
//
// To add a command `foo`:
//   1. write src/cli/cmd_foo.cc with `Handler setup_foo(CLI::App& app)`, which
//      adds the command's own flags and positionals to `app` and returns the
//      handler that runs with their values;
//   2. declare setup_foo below;
//   3. add a row to the table in src/cli/commands.cc, naming the settings
//      keys the command takes as flags, with an example or two.
// Files named cmd_*.cc are compiled automatically.

#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "cli/config.h"

namespace CLI {
class App;
}

namespace ttg::cli {

// What a handler is given. Everything is borrowed for the handler's call.
struct Context {
  // The effective settings; logging is already initialised from them.
  const Settings& settings;
  // Results for people or scripts (stdout).
  std::ostream& out;
  // Messages for the user that are not log lines (stderr).
  std::ostream& err;
};

// Runs a command; returns an exit code from cli/exit_codes.h. It must not
// leave threads running when it returns. Exceptions are a last resort:
// run() turns them into exit 1.
using Handler = std::function<int(const Context& ctx)>;

// Adds a command's own flags and positionals (those that are not settings)
// to `app` and returns the handler, which reads their values after parsing
// (capture the variables they are bound to, e.g. in a shared_ptr). Called
// for every command each time the command line is built, before parsing.
using Setup = Handler (*)(CLI::App& app);

struct Subcommand {
  // The word typed after `ttg`.
  std::string_view name;
  // One line for `ttg --help`.
  std::string_view help;
  // settings_table() keys this command takes as flags; each must have a
  // flag. Global ones (config, log_level, log_format) are always accepted.
  std::vector<std::string_view> setting_flags;
  Setup setup;
  // One or two command lines for the end of `ttg <name> --help`, each
  // followed by a comment after "#"; one per line.
  std::string_view examples;
};

// All subcommands, in `ttg --help` order.
const std::vector<Subcommand>& subcommands();

// The Redis keys that have flags (redis_url, redis_password_file, redis_ca,
// redis_cert, redis_key), followed by `more`: the usual setting_flags of a
// command that talks to Redis.
std::vector<std::string_view> with_redis_flags(std::initializer_list<std::string_view> more = {});
// Every key that has a flag, except the global ones.
std::vector<std::string_view> all_setting_flags();
// Keys whose flags belong to `ttg` itself rather than to a command.
bool is_global_flag(std::string_view key);

// One per cmd_<name>.cc.
Handler setup_config(CLI::App& app);
Handler setup_submit(CLI::App& app);
Handler setup_worker(CLI::App& app);
Handler setup_status(CLI::App& app);
Handler setup_serve(CLI::App& app);
Handler setup_jobs(CLI::App& app);
Handler setup_results(CLI::App& app);
Handler setup_verify(CLI::App& app);
Handler setup_dead(CLI::App& app);
Handler setup_retry(CLI::App& app);
Handler setup_cancel(CLI::App& app);
Handler setup_kernels(CLI::App& app);
Handler setup_demo(CLI::App& app);
Handler setup_cleanup(CLI::App& app);
Handler setup_recover(CLI::App& app);
Handler setup_acl(CLI::App& app);

}  // namespace ttg::cli
