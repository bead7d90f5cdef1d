#include "cli/commands.h"

namespace ttg::cli {

const std::vector<Subcommand>& subcommands() {
  // One row per command: name, help line, settings it takes as flags, setup.
  static const std::vector<Subcommand> table = {
      {"demo", "Run the fault demo on a private Redis and check a computed verdict",
       with_redis_flags({"job", "total_parameters", "chunk_size", "simulate_work_ms",
                         "max_attempts", "lease_ms", "reclaim_interval_ms"}),
       setup_demo,
       "ttg demo --scale small --fault-demo      # kill a worker mid-run; check every result\n"
       "ttg demo --fault-demo --kernel simulate  # the prototype's workload (100 ms per param)"},
      {"submit", "Create a job and queue its chunks",
       with_redis_flags(
           {"job", "total_parameters", "chunk_size", "simulate_work_ms", "max_attempts"}),
       setup_submit,
       "ttg submit --job sweep1 --params 1000 --chunk-size 10 --arg work_ms=100\n"
       "ttg submit --spec examples/sir-sweep.yaml --job sir --dry-run  # check; write nothing"},
      {"worker", "Claim, compute and commit chunks until the job is finished or idle",
       with_redis_flags({"job", "threads", "claim_ahead_ms", "lease_ms", "reclaim_interval_ms",
                         "idle_timeout_seconds", "drain_timeout_seconds", "connect_timeout_seconds",
                         "worker_id", "total_parameters", "chunk_size", "simulate_work_ms",
                         "max_attempts", "metrics_port", "metrics_bind"}),
       setup_worker,
       "ttg worker --job sweep1 --redis redis://10.0.0.5:6379  # as many as you like\n"
       "ttg worker --static --index 0 --count 4 --params 1000  # a quarter, without Redis"},
      {"status", "Show a job's progress: done/total, rate, ETA, takeovers, duplicates",
       with_redis_flags({"job"}), setup_status,
       "ttg status sweep1\n"
       "ttg status sweep1 --watch  # every second until the job ends; exit 1 if chunks died"},
      {"serve", "Serve a live web dashboard, a JSON API and Prometheus metrics of every job",
       with_redis_flags(), setup_serve,
       "ttg serve --redis redis://10.0.0.5:6379      # open http://127.0.0.1:8080/\n"
       "ttg serve --bind 0.0.0.0 --port 9200         # reachable from other hosts (no auth!)"},
      {"jobs", "List every job", with_redis_flags(), setup_jobs,
       "ttg jobs\n"
       "ttg jobs --json --redis redis://10.0.0.5:6379"},
      {"results", "Print a job's results (csv, jsonl or json), one row per parameter set",
       with_redis_flags(), setup_results,
       "ttg results sweep1 -o sweep1.csv             # CSV for pandas, R or a spreadsheet\n"
       "ttg results sir --columns beta,gamma,r0 --format jsonl"},
      {"report", "Write a job's report: one HTML file with a heatmap, timeline, histograms",
       with_redis_flags(), setup_report,
       "ttg report sir -o sir.html                    # open it from disk, offline\n"
       "ttg report sir -o sir.html --x gamma --y beta --z r0"},
      {"dead", "List a job's dead chunks: why each died, its attempts and last error",
       with_redis_flags(), setup_dead,
       "ttg dead sweep1         # a table, then how to run them again\n"
       "ttg dead sweep1 --json  # every field, whole errors included"},
      {"retry", "Run a job's dead chunks again, each once, with fresh attempts", with_redis_flags(),
       setup_retry,
       "ttg retry sweep1 --all          # every dead chunk; then start workers\n"
       "ttg retry sweep1 --chunks 3,5-7"},
      {"verify",
       "Check a job's results: one per chunk, none missing, each equal to a recomputation",
       with_redis_flags(), setup_verify, "ttg verify sweep1"},
      {"cancel", "Cancel a job: workers stop claiming its chunks", with_redis_flags(), setup_cancel,
       "ttg cancel sweep1"},
      {"cleanup", "Delete TTG's keys (a job's, or all of them); nothing else",
       with_redis_flags({"job"}), setup_cleanup,
       "ttg cleanup --job sweep1 --dry-run  # list the job's keys\n"
       "ttg cleanup --job sweep1 --force    # delete them"},
      {"recover", "After a restart: recreate groups, hand back chunks of gone workers",
       with_redis_flags({"lease_ms"}), setup_recover, "ttg recover --redis redis://10.0.0.5:6379"},
      {"kernels",
       "List the kernels with their arguments and outputs",
       {},
       setup_kernels,
       "ttg kernels\n"
       "ttg kernels --kernel-lib ./libmine.so --json  # a plugin's kernels too"},
      {"acl",
       "Print least-privilege Redis ACL users for the worker, submitter, monitor, keda",
       {},
       setup_acl,
       "ttg acl --role worker --password-file worker.pw"},
      {"config", "Print the effective settings and where each one came from", all_setting_flags(),
       setup_config,
       "ttg config\n"
       "ttg config --config ttg.yaml --lease-ms 5000 --json"},
  };
  return table;
}

bool is_global_flag(std::string_view key) {
  return key == "config" || key == "log_level" || key == "log_format";
}

std::vector<std::string_view> with_redis_flags(std::initializer_list<std::string_view> more) {
  std::vector<std::string_view> keys = {"redis_url", "redis_user", "redis_password_file",
                                        "redis_ca",  "redis_cert", "redis_key"};
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
