#pragma once
// The views of a Snapshot that `ttg serve` sends: the JSON of /api/jobs and
// /api/jobs/NAME, and the values of /metrics (docs/DEPLOY.md, "The
// dashboard: ttg serve", lists every field). Pure functions of the
// snapshot: safe from any thread.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "obs/job_metrics.h"
#include "serve/snapshot.h"

namespace ttg::serve {

// GET /api/jobs.
nlohmann::json jobs_json(const Snapshot& s);
// GET /api/jobs/NAME; nullopt when the snapshot has no job `name`.
std::optional<nlohmann::json> job_json(const Snapshot& s, const std::string& name);
// GET /metrics, as values; `version` is ttg's.
obs::ServeGauges gauges(const Snapshot& s, const std::string& version);

}  // namespace ttg::serve
