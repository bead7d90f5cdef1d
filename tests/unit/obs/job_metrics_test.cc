#include "obs/job_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "support/metrics.h"

namespace ttg::obs {
namespace {

using testing::Exposition;

ServeGauges two_jobs() {
  ServeGauges g;
  g.version = "1.2.3";
  g.redis_up = true;
  g.backlog_chunks = 7;
  g.workers_registered = 3;
  g.workers_alive = 2;
  JobGauges a;
  a.name = "sweep-1";
  a.state = "running";
  a.chunks = 100;
  a.done = 40;
  a.dead = 1;
  a.in_flight = 3;
  a.pending = 56;
  a.lag = 50;
  a.rate_chunks_per_second = 2.5;
  a.eta_seconds = 23.6;
  a.oldest_in_flight_seconds = 4.25;
  a.workers = 2;
  a.created_timestamp_seconds = 1767000000.5;
  a.takeovers = 1;
  a.duplicates = 2;
  a.retries = 3;
  a.chunks_retried = 4;
  a.speculated = 5;
  a.speculative_wins = 2;
  JobGauges b;
  b.name = "done_job";
  b.state = "complete";
  b.chunks = 10;
  b.done = 10;
  g.jobs = {a, b};
  return g;
}

TEST(JobMetrics, EveryContractNameWithItsTypeAndValue) {
  const std::string text = render_job_metrics(two_jobs());
  const Exposition e = Exposition::parse(text);
  EXPECT_EQ(e.errors, "");
  const testing::Labels a{{"ttg_job", "sweep-1"}};
  struct Want {
    const char* name;
    const char* type;
    double value;
  };
  for (const Want& w :
       {Want{"ttg_job_chunks", "gauge", 100}, Want{"ttg_job_chunks_done", "gauge", 40},
        Want{"ttg_job_chunks_dead", "gauge", 1}, Want{"ttg_job_chunks_in_flight", "gauge", 3},
        Want{"ttg_job_chunks_pending", "gauge", 56}, Want{"ttg_job_lag", "gauge", 50},
        Want{"ttg_job_rate_chunks_per_second", "gauge", 2.5},
        Want{"ttg_job_eta_seconds", "gauge", 23.6},
        Want{"ttg_job_oldest_in_flight_seconds", "gauge", 4.25},
        Want{"ttg_job_workers", "gauge", 2},
        Want{"ttg_job_created_timestamp_seconds", "gauge", 1767000000.5},
        Want{"ttg_job_takeovers_total", "counter", 1},
        Want{"ttg_job_duplicates_total", "counter", 2}, Want{"ttg_job_retries_total", "counter", 3},
        Want{"ttg_job_chunks_retried_total", "counter", 4},
        Want{"ttg_job_speculated_total", "counter", 5},
        Want{"ttg_job_speculative_wins_total", "counter", 2}}) {
    EXPECT_EQ(e.types.count(w.name) ? e.types.at(w.name) : "", w.type) << w.name;
    auto v = e.value(w.name, a);
    ASSERT_TRUE(v) << w.name << "\n" << text;
    EXPECT_DOUBLE_EQ(*v, w.value) << w.name;
  }
  EXPECT_EQ(e.value("ttg_backlog_chunks", {}), 7);
  EXPECT_EQ(e.value("ttg_workers_registered", {}), 3);
  EXPECT_EQ(e.value("ttg_workers_alive", {}), 2);
  EXPECT_EQ(e.value("ttg_redis_up", {}), 1);
  EXPECT_EQ(e.value("ttg_serve_build_info", {{"version", "1.2.3"}}), 1);
}

TEST(JobMetrics, StateIsOneForTheCurrentStateOnly) {
  const Exposition e = Exposition::parse(render_job_metrics(two_jobs()));
  for (const auto& state : job_state_labels()) {
    EXPECT_EQ(e.value("ttg_job_state", {{"ttg_job", "sweep-1"}, {"state", state}}),
              state == "running" ? 1 : 0)
        << state;
    EXPECT_EQ(e.value("ttg_job_state", {{"ttg_job", "done_job"}, {"state", state}}),
              state == "complete" ? 1 : 0)
        << state;
  }
  EXPECT_EQ(e.sum("ttg_job_state"), 2);
}

TEST(JobMetrics, UnknownEtaIsAbsent) {
  const Exposition e = Exposition::parse(render_job_metrics(two_jobs()));
  EXPECT_TRUE(e.value("ttg_job_eta_seconds", {{"ttg_job", "sweep-1"}}));
  EXPECT_FALSE(e.value("ttg_job_eta_seconds", {{"ttg_job", "done_job"}}));
}

TEST(JobMetrics, NoJobsAndRedisDown) {
  ServeGauges g;
  g.version = "x";
  const std::string text = render_job_metrics(g);
  const Exposition e = Exposition::parse(text);
  EXPECT_EQ(e.errors, "");
  EXPECT_EQ(e.value("ttg_redis_up", {}), 0);
  EXPECT_EQ(e.sum("ttg_job_chunks"), 0);
  // Families without samples still say what they are.
  EXPECT_NE(text.find("# TYPE ttg_job_chunks gauge"), std::string::npos);
}

}  // namespace
}  // namespace ttg::obs
