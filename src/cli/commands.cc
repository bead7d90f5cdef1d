#include "cli/commands.h"

namespace ttg::cli {

const std::vector<Subcommand>& subcommands() {
  // One row per command: name, help line, settings it takes as flags, setup.
  // Rows still to come follow the same pattern, e.g.
  //   {"submit", "Queue a parameter sweep as a job", with_redis_flags({"job", ...}), setup_submit},
  //   {"worker", "Claim and run tasks until idle", with_redis_flags({"lease_ms", ...}), ...},
  // and likewise status, jobs, results, cancel, demo, cleanup, recover and
  // kernels.
  static const std::vector<Subcommand> table = {
      {"config", "Print the effective settings and where each one came from", all_setting_flags(),
       setup_config},
  };
  return table;
}

bool is_global_flag(std::string_view key) {
  return key == "config" || key == "log_level" || key == "log_format";
}

std::vector<std::string_view> with_redis_flags(std::initializer_list<std::string_view> more) {
  std::vector<std::string_view> keys = {"redis_url", "redis_password_file"};
  keys.insert(keys.end(), more.begin(), more.end());
  return keys;
}

std::vector<std::string_view> all_setting_flags() {
  std::vector<std::string_view> keys;
  for (const auto& info : settings_table()) {
    if (!info.flag.empty() && !is_global_flag(info.key)) keys.push_back(info.key);
  }
  return keys;
}

}  // namespace ttg::cli
