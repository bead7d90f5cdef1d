#include "report/status_view.h"

#include <gtest/gtest.h>

#include "queue/keys.h"

namespace ttg::report {
namespace {

queue::JobStatus running_job() {
  queue::JobStatus s;
  s.name = "sweep1";
  s.spec.kernel = "sir";
  s.spec.total_params = 1000;
  s.state = JobState::kRunning;
  s.run = "3f2a9c0011223344";
  s.total_chunks = 100;
  s.done = 40;
  s.dead = 2;
  s.first_claim_ms = 1'000'000;
  s.in_flight = {{"w1", 2}, {queue::kHandedBack, 1}};
  return s;
}

// A registry entry of an older ttg (no state, busy, chunks), built field by
// field (no missing initializers).
queue::JobStore::RegisteredWorker registered(const std::string& name, const std::string& host,
                                             int64_t pid, int slots, const std::string& job,
                                             int64_t heartbeat_age_ms) {
  queue::JobStore::RegisteredWorker w;
  w.name = name;
  w.host = host;
  w.pid = pid;
  w.slots = slots;
  w.job = job;
  w.heartbeat_age_ms = heartbeat_age_ms;
  return w;
}

WatchData some_workers() {
  WatchData d;
  d.in_flight = {{37, "w1", 10, 1}, {38, "w1", 10, 1}, {12, queue::kHandedBack, 5, 2}};
  d.workers = {registered("w1", "hostA", 11, 2, "", 200),
               registered("w2", "hostB", 12, 4, "sweep1", 100),
               registered("w3", "hostC", 13, 1, "another-job", 50)};
  return d;
}

// The line that starts with `head`, split into words ("" when none).
std::vector<std::string> words_of_line(const std::vector<std::string>& lines,
                                       const std::string& head) {
  for (const auto& line : lines) {
    if (line.rfind(head, 0) != 0) continue;
    std::vector<std::string> words;
    std::string word;
    for (char c : line + " ") {
      if (c != ' ') {
        word += c;
      } else if (!word.empty()) {
        words.push_back(word);
        word.clear();
      }
    }
    return words;
  }
  return {};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return all;
}

TEST(StatusViewTest, FrameShowsProgressRatesAndEveryWorkerOfTheJob) {
  auto lines = watch_frame(running_job(), some_workers(), 1'000'000 + 21'000, 120);
  std::string all = joined(lines);
  EXPECT_NE(all.find("job sweep1: running (kernel sir, run 3f2a9c0011223344)"), std::string::npos)
      << all;
  EXPECT_NE(all.find("42%  40/100 done, 2 dead, 3 in flight"), std::string::npos) << all;
  // 42 chunks in 21 s: 2 chunks/s, 58 left: 29 s.
  EXPECT_NE(all.find("2.0 chunks/s, 20.0 params/s, ETA 29 s, elapsed 21 s"), std::string::npos)
      << all;
  using Words = std::vector<std::string>;
  EXPECT_EQ(words_of_line(lines, "WORKER "),
            (Words{"WORKER", "HOST", "SLOTS", "CHUNKS", "HEARTBEAT"}))
      << all;
  EXPECT_EQ(words_of_line(lines, "w1 "),
            (Words{"w1", "hostA", "2", "#37", "#38", "0.2", "s", "ago"}))
      << all;
  EXPECT_EQ(words_of_line(lines, "w2 "), (Words{"w2", "hostB", "4", "-", "0.1", "s", "ago"}))
      << all;
  EXPECT_EQ(all.find("w3"), std::string::npos) << "a worker of another job is listed: " << all;
  EXPECT_NE(all.find("(handed back)"), std::string::npos) << all;
  EXPECT_NE(all.find("#12"), std::string::npos) << all;
}

TEST(StatusViewTest, NoLineIsWiderThanTheTerminal) {
  auto s = running_job();
  s.name = std::string(100, 'j');
  for (int columns : {40, 60, 80}) {
    for (const auto& line : watch_frame(s, some_workers(), 1'010'000, columns)) {
      EXPECT_LE(static_cast<int>(line.size()), columns) << line;
    }
  }
}

TEST(StatusViewTest, ManyWorkersAreCutWithACount) {
  WatchData d;
  for (int i = 0; i < 30; ++i)
    d.workers.push_back(registered("w" + std::to_string(100 + i), "h", 1, 1, "", 0));
  auto all = joined(watch_frame(running_job(), d, 1'010'000, 100, 5));
  EXPECT_NE(all.find("... and 25 more"), std::string::npos) << all;
  EXPECT_EQ(all.find("w105"), std::string::npos) << all;
}

TEST(StatusViewTest, CancelledAndFinishedJobsShowNoEta) {
  auto s = running_job();
  s.state = JobState::kCancelled;
  EXPECT_LT(rates_of(s, 1'010'000).eta_s, 0);
  std::string all = joined(watch_frame(s, {}, 1'010'000, 100));
  EXPECT_EQ(all.find("ETA"), std::string::npos) << all;
  EXPECT_EQ(change_line(s, 1'010'000).find("ETA"), std::string::npos);

  s.state = JobState::kComplete;
  s.done = 98;
  s.finished_ms = 1'010'000;
  all = joined(watch_frame(s, {}, 1'020'000, 100));
  EXPECT_EQ(all.find("ETA"), std::string::npos) << all;
  // Rates stop at the end: 100 chunks in 10 s.
  EXPECT_NE(all.find("10.0 chunks/s"), std::string::npos) << all;
}

TEST(StatusViewTest, AJobThatEndedWithDeadChunksSaysWhereToLook) {
  auto s = running_job();
  s.state = JobState::kComplete;
  s.done = 98;
  s.finished_ms = 1'010'000;
  auto lines = watch_frame(s, {}, 1'020'000, 120);
  EXPECT_EQ(lines[0],
            "job sweep1: complete with 2 dead chunks (kernel sir, run 3f2a9c0011223344): see ttg "
            "dead sweep1");
  EXPECT_NE(change_line(s, 1'020'000).find("sweep1 complete with 2 dead chunks: 98/100 done"),
            std::string::npos)
      << change_line(s, 1'020'000);
  EXPECT_NE(change_line(s, 1'020'000).find(": see ttg dead sweep1"), std::string::npos);
}

TEST(StatusViewTest, AChangeIsProgressNotTime) {
  auto s = running_job();
  auto key = change_key(s);
  EXPECT_EQ(change_key(s), key);
  auto t = s;
  t.done += 1;
  EXPECT_NE(change_key(t), key);
  t = s;
  t.in_flight["w1"] = 1;
  EXPECT_NE(change_key(t), key);
  t = s;
  t.state = JobState::kComplete;
  EXPECT_NE(change_key(t), key);
  EXPECT_EQ(change_line(s, 1'021'000).substr(0, 21), "1970-01-01T00:17:01Z ");
  EXPECT_NE(change_line(s, 1'021'000).find("sweep1 running: 40/100 done, 2 dead, 3 in flight"),
            std::string::npos)
      << change_line(s, 1'021'000);
}

}  // namespace
}  // namespace ttg::report
