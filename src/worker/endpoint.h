#pragma once
// The worker's HTTP endpoint (`ttg worker --metrics-port`): /metrics (the
// Prometheus text of its metrics), /healthz (liveness) and /readyz
// (readiness), docs/DEPLOY.md "Metrics and health".

#include <memory>
#include <string>

#include "core/result.h"
#include "http/server.h"
#include "obs/metrics.h"
#include "worker/status.h"

namespace ttg::worker {

// Serves on `bind`:`port` (an IPv4 address; port 0 takes a free one) until
// the returned server is destroyed, on its own threads:
//   /metrics  200, metrics.text();
//   /healthz  200 "ok", or 503 and why (status.liveness());
//   /readyz   200 "ok", or 503 and why (status.readiness()).
// `metrics` and `status` are borrowed and must outlive the server. Errors:
// kInvalidArgument as http::Server::start ("cannot serve metrics on
// ADDR:PORT: ...").
[[nodiscard]] Result<std::unique_ptr<http::Server>> serve_endpoint(
    const std::string& bind, int port, const obs::PrometheusMetrics& metrics,
    const WorkerStatus& status);

}  // namespace ttg::worker
