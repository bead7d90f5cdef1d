#include "cli/common.h"

#include <signal.h>
#include <unistd.h>

#include <climits>
#include <ostream>

#include "cli/exit_codes.h"
#include "util/strings.h"

namespace ttg::cli {

namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};

void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);
  g_stop.store(true);
}
}  // namespace

int report(const Context& ctx, std::string_view command, const Error& error) {
  ctx.err << "ttg " << command << ": " << error.message << "\n";
  return exit_code_for(error);
}

Result<nlohmann::json> parse_kernel_args(const std::vector<std::string>& args) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(ErrorCode::kInvalidArgument, "--arg: expected key=value, got '" + a + "'");
    }
    std::string key = a.substr(0, eq);
    std::string value = a.substr(eq + 1);
    if (auto i = util::parse_int(value)) {
      out[key] = *i;
    } else if (auto d = util::parse_double(value)) {
      out[key] = *d;
    } else if (value == "true" || value == "false") {
      out[key] = value == "true";
    } else {
      out[key] = value;
    }
  }
  return out;
}

Status check_job_name(const Settings& settings, const std::string& positional) {
  if (!positional.empty()) return validate_job_name(positional);
  if (settings.job.empty()) return ok();
  Status st = validate_job_name(settings.job);
  if (!st) return tl::unexpected(st.error().with_context(settings.source("job").label()));
  return ok();
}

std::string consumer_name(const Settings& settings) {
  if (!settings.worker_id.empty()) return settings.worker_id;
  if (!settings.pod_name.empty()) return settings.pod_name;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return std::string(host) + "-" + std::to_string(getpid());
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

const std::atomic<bool>& stop_requested() { return g_stop; }

std::string self_path() {
  char buf[PATH_MAX + 1] = {};
  ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX);
  if (n <= 0) return "ttg";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace ttg::cli
