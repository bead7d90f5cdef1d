#include "obs/job_metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>
#include <prometheus/text_serializer.h>

#include <functional>
#include <utility>

namespace ttg::obs {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

ClientMetric sample(std::vector<ClientMetric::Label> labels, double value, MetricType type) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return m;
}

// One family with a sample per job, `value` reading it (nullopt: none).
MetricFamily per_job(const ServeGauges& g, std::string name, std::string help, MetricType type,
                     const std::function<std::optional<double>(const JobGauges&)>& value) {
  MetricFamily f = family(std::move(name), std::move(help), type);
  for (const auto& job : g.jobs) {
    if (auto v = value(job)) f.metric.push_back(sample({{"ttg_job", job.name}}, *v, type));
  }
  return f;
}

MetricFamily single(std::string name, std::string help, double value,
                    std::vector<ClientMetric::Label> labels = {}) {
  MetricFamily f = family(std::move(name), std::move(help), MetricType::Gauge);
  f.metric.push_back(sample(std::move(labels), value, MetricType::Gauge));
  return f;
}

double d(int64_t v) { return static_cast<double>(v); }

}  // namespace

const std::vector<std::string>& job_state_labels() {
  static const std::vector<std::string> states = {"submitting", "pending", "running", "complete",
                                                  "cancelled"};
  return states;
}

std::string render_job_metrics(const ServeGauges& g) {
  constexpr auto kGauge = MetricType::Gauge;
  constexpr auto kCounter = MetricType::Counter;
  std::vector<MetricFamily> out;
  out.push_back(per_job(g, "ttg_job_chunks", "Chunks of the job", kGauge,
                        [](const JobGauges& j) { return d(j.chunks); }));
  out.push_back(per_job(g, "ttg_job_chunks_done", "Chunks of the job with a result", kGauge,
                        [](const JobGauges& j) { return d(j.done); }));
  out.push_back(per_job(g, "ttg_job_chunks_dead", "Chunks of the job dead now", kGauge,
                        [](const JobGauges& j) { return d(j.dead); }));
  out.push_back(per_job(g, "ttg_job_chunks_in_flight",
                        "Chunks claimed by a worker and not finished", kGauge,
                        [](const JobGauges& j) { return d(j.in_flight); }));
  out.push_back(per_job(g, "ttg_job_chunks_pending",
                        "Chunks not done, not dead, not in flight: queued or handed back", kGauge,
                        [](const JobGauges& j) { return d(j.pending); }));
  out.push_back(per_job(g, "ttg_job_lag", "Task entries the consumer group has not read yet",
                        kGauge, [](const JobGauges& j) { return d(j.lag); }));
  out.push_back(per_job(g, "ttg_job_rate_chunks_per_second",
                        "Chunks committed per second over the last 60 s", kGauge,
                        [](const JobGauges& j) { return j.rate_chunks_per_second; }));
  out.push_back(per_job(g, "ttg_job_eta_seconds",
                        "Seconds until the job is done at its recent rate (absent when unknown)",
                        kGauge, [](const JobGauges& j) { return j.eta_seconds; }));
  out.push_back(per_job(g, "ttg_job_oldest_in_flight_seconds",
                        "Age of the chunk in flight longest; 0 when none", kGauge,
                        [](const JobGauges& j) { return j.oldest_in_flight_seconds; }));
  out.push_back(per_job(g, "ttg_job_workers", "Workers holding chunks of the job", kGauge,
                        [](const JobGauges& j) { return d(j.workers); }));
  {
    MetricFamily f =
        family("ttg_job_state", "1 for the job's current state, 0 for the others", kGauge);
    for (const auto& job : g.jobs) {
      for (const auto& state : job_state_labels()) {
        f.metric.push_back(sample({{"state", state}, {"ttg_job", job.name}},
                                  job.state == state ? 1.0 : 0.0, kGauge));
      }
    }
    out.push_back(std::move(f));
  }
  out.push_back(per_job(g, "ttg_job_created_timestamp_seconds",
                        "When the job was submitted (Unix seconds, Redis's clock)", kGauge,
                        [](const JobGauges& j) { return j.created_timestamp_seconds; }));
  out.push_back(per_job(g, "ttg_job_takeovers_total",
                        "Chunks taken over from a gone worker or an expired lease", kCounter,
                        [](const JobGauges& j) { return d(j.takeovers); }));
  out.push_back(per_job(g, "ttg_job_speculated_total",
                        "Speculative copies started of chunks in flight far longer than the "
                        "job's median",
                        kCounter, [](const JobGauges& j) { return d(j.speculated); }));
  out.push_back(per_job(g, "ttg_job_speculative_wins_total",
                        "Speculative copies that committed before the chunk's owner", kCounter,
                        [](const JobGauges& j) { return d(j.speculative_wins); }));
  out.push_back(per_job(g, "ttg_job_duplicates_total", "Commits suppressed as duplicates", kCounter,
                        [](const JobGauges& j) { return d(j.duplicates); }));
  out.push_back(per_job(g, "ttg_job_retries_total", "Failed attempts given another attempt",
                        kCounter, [](const JobGauges& j) { return d(j.retries); }));
  out.push_back(per_job(g, "ttg_job_chunks_retried_total", "Dead chunks put back by ttg retry",
                        kCounter, [](const JobGauges& j) { return d(j.chunks_retried); }));
  out.push_back(single("ttg_backlog_chunks",
                       "Pending and in-flight chunks of the jobs not finished",
                       d(g.backlog_chunks)));
  out.push_back(
      single("ttg_workers_registered", "Workers in the registry", d(g.workers_registered)));
  out.push_back(single("ttg_workers_alive", "Registered workers whose heartbeat is recent",
                       d(g.workers_alive)));
  out.push_back(single("ttg_redis_up", "1 when the last refresh reached Redis, else 0",
                       g.redis_up ? 1.0 : 0.0));
  out.push_back(
      single("ttg_serve_build_info", "Always 1; version is ttg's", 1.0, {{"version", g.version}}));
  return prometheus::TextSerializer().Serialize(out);
}

}  // namespace ttg::obs
