#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "support/metrics.h"

namespace ttg::obs {
namespace {

using testing::Exposition;

Exposition parse(const std::string& text) {
  Exposition e = Exposition::parse(text);
  EXPECT_EQ(e.errors, "");
  return e;
}

TEST(MetricsTest, EventsShowUpInTheTextFormat) {
  PrometheusMetrics m(MetricsOptions{"w1", "1.2.3"});
  m.set_slots(4);
  m.on_compute_started();
  m.on_compute_started();
  m.on_compute_ended();
  m.set_in_flight(3);
  m.on_committed("j1", 1);
  m.on_committed("j1", 2);
  m.on_committed("j2", 5);
  m.on_duplicate("j1");
  m.on_failed("j1");
  m.on_failed("j1");
  m.on_retried("j1");
  m.on_taken_over("j2");
  m.on_speculated("j1");
  m.on_speculated("j1");
  m.on_handed_back("j2", 7);
  m.on_dead_lettered("j1", DeadLetterReason::kAttempts);
  m.on_dead_lettered("j1", DeadLetterReason::kMalformed);
  m.on_lease_lost("j2");
  m.observe_compute("j1", 0.02);
  m.observe_compute("j1", 3);
  m.observe_queue_wait("j1", 12);
  m.observe_renewal("j1", 4, 0.003);
  m.on_redis_error("claim");
  m.on_redis_error("claim");
  m.on_redis_error("renew");
  m.on_reconnects(2);
  auto e = parse(m.text());
  const std::map<std::string, std::string> w{{"worker", "w1"}};
  auto j = [](const std::string& job) {
    return std::map<std::string, std::string>{{"worker", "w1"}, {"ttg_job", job}};
  };
  struct Case {
    std::string name;
    std::map<std::string, std::string> labels;
    double want;
  } cases[] = {
      {"ttg_build_info", {{"worker", "w1"}, {"version", "1.2.3"}}, 1},
      {"ttg_worker_slots", w, 4},
      {"ttg_worker_slots_busy", w, 1},
      {"ttg_chunks_in_flight", w, 3},
      {"ttg_chunks_committed_total", j("j1"), 3},
      {"ttg_chunks_committed_total", j("j2"), 5},
      {"ttg_chunks_duplicates_total", j("j1"), 1},
      {"ttg_chunks_duplicates_total", j("j2"), 0},
      {"ttg_chunks_failed_total", j("j1"), 2},
      {"ttg_chunks_retried_total", j("j1"), 1},
      {"ttg_chunks_taken_over_total", j("j2"), 1},
      {"ttg_chunks_speculated_total", j("j1"), 2},
      {"ttg_chunks_speculated_total", j("j2"), 0},
      {"ttg_chunks_handed_back_total", j("j2"), 7},
      {"ttg_chunks_dead_lettered_total",
       {{"worker", "w1"}, {"ttg_job", "j1"}, {"reason", "attempts"}},
       1},
      {"ttg_chunks_dead_lettered_total",
       {{"worker", "w1"}, {"ttg_job", "j1"}, {"reason", "malformed"}},
       1},
      {"ttg_leases_lost_total", j("j2"), 1},
      {"ttg_lease_renewals_total", j("j1"), 4},
      {"ttg_lease_renewal_seconds_count", w, 1},
      {"ttg_chunk_compute_seconds_count", j("j1"), 2},
      {"ttg_chunk_compute_seconds_sum", j("j1"), 3.02},
      {"ttg_chunk_compute_seconds_bucket",
       {{"worker", "w1"}, {"ttg_job", "j1"}, {"le", "0.025"}},
       1},
      {"ttg_chunk_compute_seconds_bucket",
       {{"worker", "w1"}, {"ttg_job", "j1"}, {"le", "+Inf"}},
       2},
      {"ttg_chunk_queue_wait_seconds_count", j("j1"), 1},
      {"ttg_chunk_queue_wait_seconds_sum", j("j1"), 12},
      {"ttg_redis_errors_total", {{"worker", "w1"}, {"op", "claim"}}, 2},
      {"ttg_redis_errors_total", {{"worker", "w1"}, {"op", "renew"}}, 1},
      {"ttg_redis_reconnects_total", w, 2},
  };
  for (const auto& c : cases) {
    EXPECT_DOUBLE_EQ(e.value(c.name, c.labels).value_or(-1), c.want)
        << Exposition::key(c.name, c.labels);
  }
  const std::map<std::string, std::string> want_types{
      {"ttg_build_info", "gauge"},
      {"ttg_worker_slots", "gauge"},
      {"ttg_worker_slots_busy", "gauge"},
      {"ttg_chunks_in_flight", "gauge"},
      {"ttg_chunks_committed_total", "counter"},
      {"ttg_chunks_duplicates_total", "counter"},
      {"ttg_chunks_failed_total", "counter"},
      {"ttg_chunks_retried_total", "counter"},
      {"ttg_chunks_taken_over_total", "counter"},
      {"ttg_chunks_speculated_total", "counter"},
      {"ttg_chunks_handed_back_total", "counter"},
      {"ttg_chunks_dead_lettered_total", "counter"},
      {"ttg_leases_lost_total", "counter"},
      {"ttg_lease_renewals_total", "counter"},
      {"ttg_lease_renewal_seconds", "histogram"},
      {"ttg_chunk_compute_seconds", "histogram"},
      {"ttg_chunk_queue_wait_seconds", "histogram"},
      {"ttg_redis_errors_total", "counter"},
      {"ttg_redis_reconnects_total", "counter"},
  };
  for (const auto& [name, type] : want_types) {
    auto it = e.types.find(name);
    ASSERT_NE(it, e.types.end()) << name;
    EXPECT_EQ(it->second, type) << name;
  }
  // Every family is ttg_-prefixed, and no series carries the label
  // Prometheus reserves for its scrape job.
  for (const auto& [name, type] : e.types) EXPECT_EQ(name.rfind("ttg_", 0), 0u) << name;
  for (const auto& [key, value] : e.samples) {
    EXPECT_EQ(key.find("{job="), std::string::npos) << key;
    EXPECT_EQ(key.find(",job="), std::string::npos) << key;
  }
}

TEST(MetricsTest, JobLabelsAreBounded) {
  PrometheusMetrics m(MetricsOptions{"w", "v"});
  const size_t jobs = kMaxJobLabels + 50;
  for (size_t i = 0; i < jobs; ++i) m.on_committed("job" + std::to_string(i), 1);
  auto e = parse(m.text());
  std::set<std::string> seen;
  double total = 0;
  for (const auto& [key, value] : e.samples) {
    if (key.rfind("ttg_chunks_committed_total{", 0) != 0) continue;
    seen.insert(key);
    total += value;
  }
  EXPECT_EQ(seen.size(), kMaxJobLabels + 1);
  EXPECT_DOUBLE_EQ(total, static_cast<double>(jobs)) << "an event was dropped";
  EXPECT_DOUBLE_EQ(
      e.value("ttg_chunks_committed_total", {{"worker", "w"}, {"ttg_job", "(other)"}}).value_or(-1),
      50);
  // A job counted under its own name keeps it.
  m.on_committed("job0", 1);
  EXPECT_DOUBLE_EQ(parse(m.text())
                       .value("ttg_chunks_committed_total", {{"worker", "w"}, {"ttg_job", "job0"}})
                       .value_or(-1),
                   2);
}

TEST(MetricsTest, TheNullSinkTakesEveryEvent) {
  WorkerMetrics& sink = null_metrics();
  sink.on_committed("j", 1);
  sink.observe_compute("j", 1);
  sink.on_redis_error("claim");
  EXPECT_EQ(&sink, &null_metrics());
}

TEST(MetricsTest, BindAddressesAreIpv4Addresses) {
  for (const char* ok : {"127.0.0.1", "0.0.0.0", "10.1.2.3"}) {
    EXPECT_TRUE(check_bind_address(ok)) << ok;
  }
  for (const char* bad :
       {"", "localhost", "1.2.3", "256.0.0.1", "0.0.0.0:9100", "::", "::1", "[::1]"}) {
    auto st = check_bind_address(bad);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ttg::obs
