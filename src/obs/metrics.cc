#include "obs/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace ttg::obs {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// The `ttg_job` value of jobs past kMaxJobLabels. Job names are letters,
// digits, '.', '_' and '-': no job is called this.
constexpr const char* kOtherJobs = "(other)";

// Compute time: a millisecond kernel to an hour-long chunk.
const Histogram::BucketBoundaries& compute_buckets() {
  static const Histogram::BucketBoundaries b{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,     2.5,  5,     10,   30,  60,
                                             120,   300,   600,  1800,  3600};
  return b;
}

// Queue wait: a chunk claimed at once to one that waited a day.
const Histogram::BucketBoundaries& wait_buckets() {
  static const Histogram::BucketBoundaries b{0.01, 0.1, 0.5,  1,    5,    10,    30,   60,
                                             300,  900, 1800, 3600, 7200, 21600, 86400};
  return b;
}

// A Redis round trip: a fraction of a millisecond to a command time-out.
const Histogram::BucketBoundaries& renewal_buckets() {
  static const Histogram::BucketBoundaries b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5};
  return b;
}

}  // namespace

WorkerMetrics& null_metrics() {
  static WorkerMetrics sink;
  return sink;
}

Status check_bind_address(std::string_view text) {
  const std::string s(text);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return {};
  // The endpoint (src/http/) listens on IPv4 only.
  return make_error(ErrorCode::kInvalidArgument,
                    "expected an IPv4 address (0.0.0.0 for every interface), got '" + s + "'");
}

// The series of one `ttg_job` value.
struct JobSeries {
  Counter* committed;
  Counter* duplicates;
  Counter* failed;
  Counter* retried;
  Counter* taken_over;
  Counter* speculated;
  Counter* handed_back;
  Counter* dead_attempts;
  Counter* dead_malformed;
  Counter* lost;
  Counter* renewals;
  Histogram* compute;
  Histogram* wait;
};

struct PrometheusMetrics::Impl {
  explicit Impl(const MetricsOptions& o)
      : registry(std::make_shared<prometheus::Registry>()),
        base{{"worker", o.worker}},
        committed(
            counter("ttg_chunks_committed_total", "Chunks whose result this worker recorded")),
        duplicates(counter("ttg_chunks_duplicates_total",
                           "Commits suppressed as duplicates: the chunk was already done")),
        failed(counter("ttg_chunks_failed_total", "Attempts that ended with a kernel error")),
        retried(counter("ttg_chunks_retried_total", "Failed attempts given another attempt")),
        taken_over(counter("ttg_chunks_taken_over_total",
                           "Chunks this worker took over from a gone or expired owner")),
        speculated(counter("ttg_chunks_speculated_total",
                           "Speculative copies this worker started of chunks another worker had "
                           "computed far longer than the job's median")),
        handed_back(counter("ttg_chunks_handed_back_total",
                            "Chunks handed back at shutdown, their attempt refunded")),
        dead(counter("ttg_chunks_dead_lettered_total",
                     "Chunks this worker dead-lettered (reason: attempts or malformed)")),
        lost(counter("ttg_leases_lost_total",
                     "Chunks whose lease this worker lost: another worker owns them")),
        renewals(counter("ttg_lease_renewals_total", "Chunk leases renewed")),
        compute(histogram("ttg_chunk_compute_seconds",
                          "Compute time of one attempt of a chunk (success or kernel error)")),
        wait(histogram("ttg_chunk_queue_wait_seconds",
                       "From a chunk's queueing (its job's submission) to its first claim, on "
                       "Redis's clock")),
        renewal_latency(prometheus::BuildHistogram()
                            .Name("ttg_lease_renewal_seconds")
                            .Help("Duration of one lease renewal call (one round trip to Redis)")
                            .Labels(base)
                            .Register(*registry)
                            .Add({}, renewal_buckets())),
        slots(gauge("ttg_worker_slots", "Compute slots (threads) of this worker")),
        busy(gauge("ttg_worker_slots_busy", "Compute slots running a kernel now")),
        in_flight(gauge("ttg_chunks_in_flight",
                        "Chunks this worker holds now: computing, waiting for a retry, "
                        "committing")),
        redis_errors(prometheus::BuildCounter()
                         .Name("ttg_redis_errors_total")
                         .Help("Redis operations that failed and will be tried again, by op")
                         .Labels(base)
                         .Register(*registry)),
        reconnects(prometheus::BuildCounter()
                       .Name("ttg_redis_reconnects_total")
                       .Help("Connections to Redis opened again after a connection was lost")
                       .Labels(base)
                       .Register(*registry)
                       .Add({})) {
    prometheus::BuildGauge()
        .Name("ttg_build_info")
        .Help("Always 1; the labels tell the build")
        .Labels(base)
        .Register(*registry)
        .Add({{"version", o.version}})
        .Set(1);
  }

  Family<Counter>& counter(const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Labels(base).Register(*registry);
  }
  Family<Histogram>& histogram(const std::string& name, const std::string& help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Labels(base).Register(*registry);
  }
  Gauge& gauge(const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Labels(base).Register(*registry).Add({});
  }

  // The series of `job`, made on its first event.
  JobSeries& series(const std::string& job) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = jobs.find(job);
    if (it != jobs.end()) return it->second;
    std::string value = jobs.size() < kMaxJobLabels ? job : kOtherJobs;
    if (value == kOtherJobs) {
      if (auto other = jobs.find(kOtherJobs); other != jobs.end()) return other->second;
    }
    const prometheus::Labels l{{"ttg_job", value}};
    JobSeries s{&committed.Add(l),
                &duplicates.Add(l),
                &failed.Add(l),
                &retried.Add(l),
                &taken_over.Add(l),
                &speculated.Add(l),
                &handed_back.Add(l),
                &dead.Add({{"ttg_job", value}, {"reason", "attempts"}}),
                &dead.Add({{"ttg_job", value}, {"reason", "malformed"}}),
                &lost.Add(l),
                &renewals.Add(l),
                &compute.Add(l, compute_buckets()),
                &wait.Add(l, wait_buckets())};
    return jobs.emplace(value, s).first->second;
  }

  std::shared_ptr<prometheus::Registry> registry;
  const prometheus::Labels base;
  Family<Counter>& committed;
  Family<Counter>& duplicates;
  Family<Counter>& failed;
  Family<Counter>& retried;
  Family<Counter>& taken_over;
  Family<Counter>& speculated;
  Family<Counter>& handed_back;
  Family<Counter>& dead;
  Family<Counter>& lost;
  Family<Counter>& renewals;
  Family<Histogram>& compute;
  Family<Histogram>& wait;
  Histogram& renewal_latency;
  Gauge& slots;
  Gauge& busy;
  Gauge& in_flight;
  Family<Counter>& redis_errors;
  Counter& reconnects;

  std::mutex mu;                          // guards jobs
  std::map<std::string, JobSeries> jobs;  // by job name, and kOtherJobs
};

PrometheusMetrics::PrometheusMetrics(const MetricsOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}

PrometheusMetrics::~PrometheusMetrics() = default;

std::string PrometheusMetrics::text() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

void PrometheusMetrics::on_committed(const std::string& job, int64_t n) {
  impl_->series(job).committed->Increment(static_cast<double>(n));
}
void PrometheusMetrics::on_duplicate(const std::string& job) {
  impl_->series(job).duplicates->Increment();
}
void PrometheusMetrics::on_failed(const std::string& job) {
  impl_->series(job).failed->Increment();
}
void PrometheusMetrics::on_retried(const std::string& job) {
  impl_->series(job).retried->Increment();
}
void PrometheusMetrics::on_taken_over(const std::string& job) {
  impl_->series(job).taken_over->Increment();
}
void PrometheusMetrics::on_speculated(const std::string& job) {
  impl_->series(job).speculated->Increment();
}
void PrometheusMetrics::on_handed_back(const std::string& job, int64_t n) {
  impl_->series(job).handed_back->Increment(static_cast<double>(n));
}
void PrometheusMetrics::on_dead_lettered(const std::string& job, DeadLetterReason why) {
  auto& s = impl_->series(job);
  (why == DeadLetterReason::kMalformed ? s.dead_malformed : s.dead_attempts)->Increment();
}
void PrometheusMetrics::on_lease_lost(const std::string& job) {
  impl_->series(job).lost->Increment();
}
void PrometheusMetrics::observe_compute(const std::string& job, double seconds) {
  impl_->series(job).compute->Observe(seconds);
}
void PrometheusMetrics::observe_queue_wait(const std::string& job, double seconds) {
  impl_->series(job).wait->Observe(seconds);
}
void PrometheusMetrics::observe_renewal(const std::string& job, int64_t chunks, double seconds) {
  impl_->series(job).renewals->Increment(static_cast<double>(chunks));
  impl_->renewal_latency.Observe(seconds);
}
void PrometheusMetrics::set_slots(int total) { impl_->slots.Set(total); }
void PrometheusMetrics::on_compute_started() { impl_->busy.Increment(); }
void PrometheusMetrics::on_compute_ended() { impl_->busy.Decrement(); }
void PrometheusMetrics::set_in_flight(int64_t n) { impl_->in_flight.Set(static_cast<double>(n)); }
void PrometheusMetrics::on_redis_error(std::string_view op) {
  impl_->redis_errors.Add({{"op", std::string(op)}}).Increment();
}
void PrometheusMetrics::on_reconnects(int64_t n) {
  if (n > 0) impl_->reconnects.Increment(static_cast<double>(n));
}

}  // namespace ttg::obs
