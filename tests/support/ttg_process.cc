#include "support/ttg_process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "util/temp_dir.h"

#ifndef TTG_BINARY
#define TTG_BINARY "ttg"
#endif

namespace ttg::testing {

std::string ttg_binary() { return TTG_BINARY; }

util::Process start_ttg(const std::vector<std::string>& args, const std::string& log_path,
                        const std::vector<std::string>& env) {
  std::vector<std::string> argv{ttg_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  util::SpawnOptions so;
  so.stdout_path = log_path;
  so.stderr_path = log_path;
  so.extra_env = env;
  auto p = util::Process::spawn(argv, so);
  if (!p) {
    ADD_FAILURE() << p.error();
    return util::Process();
  }
  return std::move(*p);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

RunResult run_ttg(const std::vector<std::string>& args, const std::vector<std::string>& env,
                  int timeout_ms) {
  RunResult r;
  auto dir = util::TempDir::create("ttg-run-");
  if (!dir) {
    ADD_FAILURE() << dir.error();
    return r;
  }
  std::vector<std::string> argv{ttg_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  util::SpawnOptions so;
  so.stdout_path = dir->path() + "/out";
  so.stderr_path = dir->path() + "/err";
  so.extra_env = env;
  auto p = util::Process::spawn(argv, so);
  if (!p) {
    ADD_FAILURE() << p.error();
    return r;
  }
  auto status = p->wait_for(std::chrono::milliseconds(timeout_ms));
  if (!status) {
    p->stop(std::chrono::milliseconds(1000));
    ADD_FAILURE() << "ttg did not finish within " << timeout_ms << " ms";
  } else if (WIFEXITED(*status)) {
    r.exit_code = WEXITSTATUS(*status);
  }
  r.out = read_file(so.stdout_path);
  r.err = read_file(so.stderr_path);
  return r;
}

}  // namespace ttg::testing
