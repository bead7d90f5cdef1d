#include "cli/commands.h"

namespace ttg::cli {

const std::vector<Subcommand>& subcommands() {
  // One row per command: name, help line, settings it takes as flags, setup.
  static const std::vector<Subcommand> table = {
      {"demo", "Run the fault demo on a private Redis and check a computed verdict",
       with_redis_flags({"job", "total_parameters", "chunk_size", "simulate_work_ms",
                         "max_attempts", "lease_ms", "reclaim_interval_ms"}),
       setup_demo},
      {"submit", "Create a job and queue its chunks",
       with_redis_flags(
           {"job", "total_parameters", "chunk_size", "simulate_work_ms", "max_attempts"}),
       setup_submit},
      {"worker", "Claim, compute and commit chunks until the job is finished or idle",
       with_redis_flags({"job", "threads", "lease_ms", "reclaim_interval_ms",
                         "idle_timeout_seconds", "drain_timeout_seconds", "worker_id",
                         "total_parameters", "chunk_size", "simulate_work_ms", "max_attempts"}),
       setup_worker},
      {"status", "Show a job's progress: done/total, rate, ETA, takeovers, duplicates",
       with_redis_flags({"job"}), setup_status},
      {"jobs", "List every job", with_redis_flags(), setup_jobs},
      {"results", "Print a job's results (csv, jsonl or json)", with_redis_flags(), setup_results},
      {"verify",
       "Check a job's results: one per chunk, none missing, each equal to a recomputation",
       with_redis_flags(), setup_verify},
      {"cancel", "Cancel a job: workers stop claiming its chunks", with_redis_flags(),
       setup_cancel},
      {"cleanup", "Delete TTG's keys (a job's, or all of them); nothing else",
       with_redis_flags({"job"}), setup_cleanup},
      {"recover", "After a restart: recreate groups, hand back chunks of gone workers",
       with_redis_flags({"lease_ms"}), setup_recover},
      {"kernels", "List the kernels with their arguments and outputs", {}, setup_kernels},
      {"acl",
       "Print least-privilege Redis ACL users for the worker, submitter, monitor, keda",
       {},
       setup_acl},
      {"config", "Print the effective settings and where each one came from", all_setting_flags(),
       setup_config},
  };
  return table;
}

bool is_global_flag(std::string_view key) {
  return key == "config" || key == "log_level" || key == "log_format";
}

std::vector<std::string_view> with_redis_flags(std::initializer_list<std::string_view> more) {
  std::vector<std::string_view> keys = {"redis_url", "redis_password_file", "redis_ca",
                                        "redis_cert", "redis_key"};
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
