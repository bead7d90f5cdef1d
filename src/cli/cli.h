#pragma once
// The `ttg` command line. Parses the arguments (CLI11), loads the settings
// (cli/config.h), initialises logging from them, and runs the chosen
// subcommand (cli/commands.h). Exit codes are in cli/exit_codes.h.
//
//   ttg --help             lists the subcommands; exit 0
//   ttg --version          prints "ttg <version>"; exit 0
//   ttg <cmd> --help       that command's flags; exit 0
//   no or unknown command, unknown flag, missing or bad value: a short usage
//   on stderr; exit 2
//
// Global flags (before or after the command): --config, --log-level,
// --log-format.

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/config.h"

namespace ttg::cli {

// Runs `ttg` with `argv` (argv[0] is the program); returns the exit code.
// Catches any exception as a last resort (message on stderr, exit 1).
int run(int argc, char** argv);

// The same with its surroundings injected, for tests: `args` excludes the
// program name; results go to `out`; usage, errors and log lines go to
// `err`; settings read `env`. Logging is reset to stderr before returning,
// so `err` may go away afterwards.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const Environment& env);

}  // namespace ttg::cli
