#pragma once
// Runs the built `ttg` binary as a child process for end-to-end tests.

#include <string>
#include <vector>

#include "util/process.h"

namespace ttg::testing {

// The path of the ttg binary under test (set by CMake as TTG_BINARY).
std::string ttg_binary();

// Starts `ttg args...` with stdout and stderr appended to `log_path`.
// Fails the current test (ADD_FAILURE) if it cannot start.
util::Process start_ttg(const std::vector<std::string>& args, const std::string& log_path,
                        const std::vector<std::string>& env = {});

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `ttg args...` to completion (bounded by `timeout_ms`, then killed) and
// returns its exit code and output.
RunResult run_ttg(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  int timeout_ms = 60000);

// The whole content of a file ("" if missing).
std::string read_file(const std::string& path);

}  // namespace ttg::testing
