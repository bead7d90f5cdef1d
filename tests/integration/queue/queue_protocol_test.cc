// The queue protocol (docs/PROTOCOL.md) against a real redis-server, driven
// step by step through two consumers.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "queue/codec.h"
#include "queue/keys.h"
#include "queue/redis_queue.h"
#include "queue/scripts.h"
#include "support/redis_fixture.h"

namespace ttg::queue {
namespace {

using ttg::testing::RedisTest;
using ttg::testing::wait_until;

class QueueProtocolTest : public RedisTest {
 protected:
  // Job "j" of 2 chunks, made complete by `a`: chunk 0 dead, chunk 1
  // committed.
  void complete_with_chunk_0_dead(WorkQueue& a);
  void SetUp() override {
    RedisTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = std::make_unique<JobStore>(server_->options());
    store_view_ = consumer("viewer", 10000);
  }

  JobSpec spec(int64_t params, int64_t chunk, int max_attempts = 3) {
    JobSpec s;
    s.kernel = "noop";
    s.total_params = params;
    s.chunk_size = chunk;
    s.max_attempts = max_attempts;
    return s;
  }

  std::unique_ptr<WorkQueue> consumer(const std::string& name, int64_t lease_ms) {
    return make_redis_queue(server_->options(), QueueOptions{name, name, lease_ms});
  }

  Completion completion(const Chunk& c) {
    return Completion{c, 0.001, "[{\"param\":" + std::to_string(c.begin) + "}]"};
  }

  // The job's current incarnation as a worker sees it.
  JobView view(const std::string& job) {
    auto v = store_view_->job(job);
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : JobView{};
  }
  JobRef ref(const std::string& job) { return view(job).ref(); }

  Result<std::vector<Chunk>> claim(WorkQueue& q, const std::string& job, int n) {
    JobView v = view(job);
    return q.claim(v.ref(), v.spec, n);
  }

  // One sweep as the sweeper (expired leases handed over), then a claim.
  std::vector<Chunk> sweep_and_claim(WorkQueue& q, const std::string& job, int n) {
    auto sw = q.sweep({}, true);
    EXPECT_TRUE(sw) << sw.error().message;
    auto r = claim(q, job, n);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<Chunk>{};
  }

  // Every key of Redis with its type, TTL and contents, in a canonical form
  // (DUMP is not: a hash being rehashed dumps its fields in another order
  // after a mere read). "Redis left as it was" is this map unchanged.
  std::map<std::string, std::string> dump_all() {
    auto conn = connect();
    std::map<std::string, std::string> out;
    auto keys = conn.command({"KEYS", "*"});
    EXPECT_TRUE(keys);
    if (!keys) return out;
    for (const auto& k : keys->elements()) {
      const std::string key = k.str();
      auto type = conn.command({"TYPE", key});
      std::string t = type ? type->str() : "?";
      redis::Command read;
      if (t == "hash") read = {"HGETALL", key};
      if (t == "string") read = {"GET", key};
      if (t == "set") read = {"SMEMBERS", key};
      if (t == "zset") read = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
      if (t == "list") read = {"LRANGE", key, "0", "-1"};
      if (t == "stream") read = {"XRANGE", key, "-", "+"};
      std::string content = t;
      if (!read.empty()) {
        auto r = conn.command(read);
        std::vector<std::string> parts;
        if (r && r->is_array() && t == "hash") {
          for (size_t i = 0; i + 1 < r->size(); i += 2) {
            parts.push_back((*r)[i].str() + "=" + (*r)[i + 1].str());
          }
          std::sort(parts.begin(), parts.end());
        } else if (r && r->is_array() && t == "set") {
          for (const auto& e : r->elements()) parts.push_back(e.str());
          std::sort(parts.begin(), parts.end());
        } else if (r) {
          parts.push_back(r->debug_string());
        }
        for (const auto& p : parts) content += "|" + p;
      }
      if (t == "stream") {
        auto groups = conn.command({"XINFO", "GROUPS", key});
        if (groups) content += "|groups:" + groups->debug_string();
      }
      auto ttl = conn.command({"PTTL", key});
      content += "|ttl:" + std::to_string(ttl && ttl->integer() > 0 ? 1 : ttl ? ttl->integer() : 0);
      out[key] = content;
    }
    return out;
  }

  JobStatus status(const std::string& job) {
    auto s = store_->status(job);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : JobStatus{};
  }

  std::vector<ResultRecord> results(const std::string& job) {
    std::vector<ResultRecord> out;
    auto st = store_->for_each_result(job, [&](const ResultRecord& r) { out.push_back(r); });
    EXPECT_TRUE(st) << st.error().message;
    return out;
  }

  std::unique_ptr<JobStore> store_;
  std::unique_ptr<WorkQueue> store_view_;
};

TEST_F(QueueProtocolTest, SubmitWritesOneEntryPerChunkWithPrototypeFields) {
  auto r = store_->submit("j1", spec(1000, 10), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, SubmitOutcome::kCreated);
  EXPECT_EQ(r->chunks_written, 100);
  auto conn = connect();
  auto len = conn.command({"XLEN", JobKeys("j1").tasks});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer(), 100);
  auto first = conn.command({"XRANGE", JobKeys("j1").tasks, "-", "+", "COUNT", "1"});
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[0][0].str(), "1-0");
  std::set<std::string> names;
  for (auto& [f, v] : field_pairs((*first)[0][1])) names.insert(f);
  for (const char* f : {"chunk_id", "start_param", "end_param", "params_count", "total_params",
                        "total_chunks", "created_at"}) {
    EXPECT_TRUE(names.count(f)) << f;
  }
  EXPECT_EQ(status("j1").state, JobState::kPending);
}

TEST_F(QueueProtocolTest, EntriesWrittenInRedisEqualTheCodecsFields) {
  JobSpec s = spec(1005, 10);
  ASSERT_TRUE(store_->submit("j", s, {}));
  auto conn = connect();
  for (int64_t c : {int64_t{0}, int64_t{57}, s.total_chunks() - 1}) {
    std::string id = entry_id_for_chunk(c);
    auto e = conn.command({"XRANGE", JobKeys("j").tasks, id, id});
    ASSERT_TRUE(e);
    ASSERT_EQ(e->size(), 1u) << "chunk " << c;
    std::vector<std::string> got;
    for (const auto& f : (*e)[0][1].elements()) got.push_back(f.str());
    std::string created_at;
    for (size_t i = 0; i + 1 < got.size(); i += 2) {
      if (got[i] == "created_at") created_at = got[i + 1];
    }
    EXPECT_EQ(got, task_fields("j", s, c, created_at)) << "chunk " << c;
  }
}

TEST_F(QueueProtocolTest, SubmissionCutShortIsResumedWhereItStopped) {
  JobSpec s = spec(100, 1);
  ASSERT_TRUE(store_->submit("j", s, {}));
  // Make it look cut short after 40 entries.
  auto conn = connect();
  redis::Command del{"XDEL", JobKeys("j").tasks};
  for (int64_t c = 40; c < 100; ++c) del.push_back(entry_id_for_chunk(c));
  ASSERT_TRUE(conn.command(del));
  ASSERT_TRUE(conn.command({"XSETID", JobKeys("j").tasks, entry_id_for_chunk(39)}));
  ASSERT_TRUE(conn.command({"HSET", JobKeys("j").meta, "state", "submitting"}));
  auto r = store_->submit("j", s, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, SubmitOutcome::kResumed);
  EXPECT_EQ(r->chunks_written, 60);
  auto len = conn.command({"XLEN", JobKeys("j").tasks});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer(), 100);
  EXPECT_EQ(status("j").state, JobState::kPending);
}

TEST_F(QueueProtocolTest, ResubmitWithTheSameSpecIsANoOpAndForceReplaces) {
  auto first = store_->submit("j1", spec(100, 10), {});
  ASSERT_TRUE(first);
  auto again = store_->submit("j1", spec(100, 10), {});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome, SubmitOutcome::kExists);
  EXPECT_EQ(again->run, first->run);
  EXPECT_EQ(status("j1").total_chunks, 10);
  SubmitOptions force;
  force.force = true;
  auto forced = store_->submit("j1", spec(500, 10), force);
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->outcome, SubmitOutcome::kReplaced);
  EXPECT_NE(forced->run, first->run) << "each submission is a new incarnation";
  EXPECT_EQ(status("j1").total_chunks, 50);
  EXPECT_EQ(status("j1").run, forced->run);
}

// Failure 6: another spec under a taken name is refused, naming what
// differs, and Redis is left exactly as it was.
TEST_F(QueueProtocolTest, ResubmitWithAnotherSpecIsRefusedAndWritesNothing) {
  ASSERT_TRUE(store_->submit("j", spec(100, 10), {}));
  auto before = dump_all();
  JobSpec other = spec(100, 20);
  other.args = {{"work_ms", 5}};
  auto r = store_->submit("j", other, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(r.error().message.find("chunk_size: 10 stored, 20 given"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("args.work_ms"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("--force"), std::string::npos) << r.error().message;
  EXPECT_EQ(dump_all(), before);
}

TEST_F(QueueProtocolTest, CutShortSubmissionIsNotResumedWithAnotherSpec) {
  ASSERT_TRUE(store_->submit("j", spec(100, 1), {}));
  auto conn = connect();
  redis::Command del{"XDEL", JobKeys("j").tasks};
  for (int64_t c = 40; c < 100; ++c) del.push_back(entry_id_for_chunk(c));
  ASSERT_TRUE(conn.command(del));
  ASSERT_TRUE(conn.command({"XSETID", JobKeys("j").tasks, entry_id_for_chunk(39)}));
  ASSERT_TRUE(conn.command({"HSET", JobKeys("j").meta, "state", "submitting"}));
  auto before = dump_all();
  auto r = store_->submit("j", spec(100, 2), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(r.error().message.find("(submitting)"), std::string::npos) << r.error().message;
  EXPECT_EQ(dump_all(), before);
}

TEST_F(QueueProtocolTest, TwoJobsSideBySideKeepTheirOwnKeysAndCounters) {
  ASSERT_TRUE(store_->submit("a", spec(30, 10), {}));
  ASSERT_TRUE(store_->submit("b", spec(50, 10), {}));
  auto q = consumer("w1", 10000);
  for (const std::string job : {"a", "b"}) {
    auto chunks = claim(*q, job, 100);
    ASSERT_TRUE(chunks) << chunks.error().message;
    std::vector<Completion> done;
    for (auto& c : *chunks) done.push_back(completion(c));
    ASSERT_TRUE(q->commit(done));
  }
  EXPECT_EQ(status("a").done, 3);
  EXPECT_EQ(status("b").done, 5);
  EXPECT_EQ(status("a").state, JobState::kComplete);
  EXPECT_EQ(status("b").state, JobState::kComplete);
  auto jobs = store_->list();
  ASSERT_TRUE(jobs);
  EXPECT_EQ(*jobs, (std::vector<std::string>{"a", "b"}));
}

TEST_F(QueueProtocolTest, ExpiredLeaseIsTakenOverAndTheLateCommitIsADuplicate) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 200);
  auto b = consumer("b", 200);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  Chunk held = (*claimed)[0];
  EXPECT_EQ(held.attempt, 1);

  // While a's lease is fresh, the sweeper leaves it alone.
  EXPECT_TRUE(sweep_and_claim(*b, "j", 1).empty());

  std::vector<Chunk> taken;
  ASSERT_TRUE(wait_until([&] {
    taken = sweep_and_claim(*b, "j", 1);
    return !taken.empty();
  }));
  EXPECT_EQ(taken[0].chunk, held.chunk);
  EXPECT_EQ(taken[0].previous_owner, "a");
  EXPECT_EQ(taken[0].takeover_reason, "lease expired");
  EXPECT_EQ(taken[0].attempt, 2);

  // a's renewal now reports the chunk lost.
  auto lost = a->renew(ref("j"), {held.entry_id});
  ASSERT_TRUE(lost);
  EXPECT_EQ(*lost, std::vector<std::string>{held.entry_id});

  auto first = b->commit({completion(taken[0])});
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[0], CommitOutcome::kCommitted);
  auto late = a->commit({completion(held)});
  ASSERT_TRUE(late);
  EXPECT_EQ((*late)[0], CommitOutcome::kDuplicate);

  auto s = status("j");
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(s.takeovers, 1);
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_EQ(results("j").size(), 1u);
}

// A result entry holds every field of docs/PROTOCOL.md ("Result entries"):
// the claim that computed it and when its chunk was queued, both on Redis's
// clock, around the commit's completed_at.
TEST_F(QueueProtocolTest, ResultEntryRecordsTheClaimAndTheQueueTimeOnRedisClock) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 2);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 2u);
  std::vector<Completion> done;
  for (const auto& c : *claimed) {
    EXPECT_GT(c.created_ms, 0);
    EXPECT_GE(c.claimed_ms, c.created_ms);
    done.push_back(completion(c));
  }
  auto committed = a->commit(done);
  ASSERT_TRUE(committed);
  auto stored = results("j");
  ASSERT_EQ(stored.size(), 2u);
  for (size_t i = 0; i < stored.size(); ++i) {
    const auto& f = stored[i].fields;
    std::set<std::string> names;
    for (const auto& [name, value] : f) names.insert(name);
    EXPECT_EQ(names, (std::set<std::string>{"chunk_id", "worker_id", "status", "duration_seconds",
                                            "completed_at", "result_data", "attempt", "entry_id",
                                            "claimed_ms", "queued_ms"}));
    const Chunk& c = (*claimed)[i];
    EXPECT_EQ(f.at("claimed_ms"), std::to_string(c.claimed_ms));
    EXPECT_EQ(f.at("queued_ms"), std::to_string(c.created_ms));
    auto completed = parse_iso8601(f.at("completed_at"));
    ASSERT_TRUE(completed) << f.at("completed_at");
    EXPECT_GE(*completed, c.claimed_ms);
  }
}

// A worker whose chunk was handed over but not yet claimed by anyone (it was
// only slow) takes it back with its next renewal: no attempt is spent.
TEST_F(QueueProtocolTest, SlowOwnerTakesBackAHandedOverChunkNobodyClaimed) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 200);
  auto b = consumer("b", 200);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  ASSERT_TRUE(wait_until([&] {
    auto sw = b->sweep({}, true);
    return sw && sw->handed_over == 1;
  }));
  auto lost = a->renew(ref("j"), {(*claimed)[0].entry_id});
  ASSERT_TRUE(lost);
  EXPECT_TRUE(lost->empty()) << "the owner took its chunk back";
  auto none = claim(*b, "j", 1);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(status("j").takeovers, 0);
  EXPECT_EQ(status("j").in_flight.at("a"), 1);
}

TEST_F(QueueProtocolTest, RenewKeepsTheLeaseAlive) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 300);
  auto b = consumer("b", 300);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  const std::string id = (*claimed)[0].entry_id;
  // Renew for three lease lengths; b must never get the chunk.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(900);
  int renewals = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto lost = a->renew(ref("j"), {id});
    ASSERT_TRUE(lost);
    ASSERT_TRUE(lost->empty());
    ++renewals;
    ASSERT_TRUE(sweep_and_claim(*b, "j", 1).empty()) << "chunk taken over despite renewals";
    wait_until([] { return false; }, std::chrono::milliseconds(50));
  }
  EXPECT_GT(renewals, 3);
}

TEST_F(QueueProtocolTest, KernelFailuresAreRetriedThenDeadLettered) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10, 3), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  Chunk c = (*claimed)[0];
  auto f1 = a->fail(c, "boom 1");
  ASSERT_TRUE(f1);
  EXPECT_EQ(f1->kind, FailOutcome::Kind::kRetry);
  EXPECT_EQ(f1->attempt, 2);
  auto f2 = a->fail(c, "boom 2");
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->kind, FailOutcome::Kind::kRetry);
  EXPECT_EQ(f2->attempt, 3);
  auto f3 = a->fail(c, "boom 3");
  ASSERT_TRUE(f3);
  EXPECT_EQ(f3->kind, FailOutcome::Kind::kDead);
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].fields.at("reason"), "max_attempts");
  EXPECT_EQ((*dead)[0].fields.at("last_error"), "boom 3");
  EXPECT_EQ((*dead)[0].fields.at("attempts"), "3");
  auto s = status("j");
  EXPECT_EQ(s.dead, 1);
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_TRUE(s.in_flight.empty());
  // A commit after the dead letter records nothing.
  auto late = a->commit({completion(c)});
  ASSERT_TRUE(late);
  EXPECT_EQ((*late)[0], CommitOutcome::kDuplicate);
  EXPECT_EQ(results("j").size(), 0u);
}

TEST_F(QueueProtocolTest, ChunkThatKeepsLosingItsWorkersIsDeadLettered) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10, 2), {}));
  auto a = consumer("a", 100);
  auto b = consumer("b", 100);
  auto c = consumer("c", 100);
  ASSERT_TRUE(claim(*a, "j", 1));  // attempt 1; a "dies"
  std::vector<Chunk> taken;
  ASSERT_TRUE(wait_until([&] {
    taken = sweep_and_claim(*b, "j", 1);
    return !taken.empty();
  }));
  EXPECT_EQ(taken[0].attempt, 2);  // b "dies" too
  // c finds the lease expired again: a third attempt is over the limit.
  ASSERT_TRUE(wait_until([&] {
    auto r = sweep_and_claim(*c, "j", 1);
    EXPECT_TRUE(r.empty()) << "a chunk past its attempts must not be handed out";
    return status("j").dead == 1;
  }));
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].fields.at("reason"), "lease_expired");
  EXPECT_EQ(status("j").state, JobState::kComplete);
}

TEST_F(QueueProtocolTest, MalformedEntryIsDeadLetteredAndDoesNotCount) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10), {}));
  auto conn = connect();
  // Someone else's entry, with an automatic ID.
  ASSERT_TRUE(conn.command({"XADD", JobKeys("j").tasks, "*", "hello", "world"}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 3u);
  int malformed = 0;
  std::vector<Completion> done;
  for (auto& c : *claimed) {
    if (!c.malformed.empty()) {
      ++malformed;
      EXPECT_NE(c.malformed.find("not written by ttg"), std::string::npos) << c.malformed;
      ASSERT_TRUE(a->dead_letter(c, c.malformed));
    } else {
      done.push_back(completion(c));
    }
  }
  EXPECT_EQ(malformed, 1);
  ASSERT_TRUE(a->commit(done));
  auto s = status("j");
  EXPECT_EQ(s.done, 2);
  EXPECT_EQ(s.dead, 0);
  EXPECT_EQ(s.malformed, 1);
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_TRUE(s.in_flight.empty());
}

TEST_F(QueueProtocolTest, ReleasedChunkIsClaimedAtOnceByAnotherWorker) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 60000);
  auto b = consumer("b", 60000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  ASSERT_TRUE(a->release(ref("j"), {(*claimed)[0].entry_id}));
  auto got = claim(*b, "j", 1);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].chunk, (*claimed)[0].chunk);
  EXPECT_EQ((*got)[0].attempt, 1) << "a hand-back gives its attempt back";
  EXPECT_EQ(status("j").released, 1);
}

// Failure 3, in its three places: an entry deleted before anyone read it,
// while a live worker holds it, and after a hand-back. Each is dead-lettered
// as `deleted` and the job completes.
TEST_F(QueueProtocolTest, EntryDeletedBeforeAnyWorkerReadItIsDeadLettered) {
  ASSERT_TRUE(store_->submit("j", spec(50, 10), {}));
  auto conn = connect();
  ASSERT_TRUE(
      conn.command({"XDEL", JobKeys("j").tasks, entry_id_for_chunk(1), entry_id_for_chunk(4)}));
  auto a = consumer("a", 10000);
  std::vector<Completion> done;
  for (int round = 0; round < 5; ++round) {
    auto got = claim(*a, "j", 10);
    ASSERT_TRUE(got) << got.error().message;
    for (auto& c : *got) done.push_back(completion(c));
  }
  EXPECT_EQ(done.size(), 3u);
  ASSERT_TRUE(a->commit(done));
  auto s = status("j");
  EXPECT_EQ(s.done, 3);
  EXPECT_EQ(s.dead, 2);
  EXPECT_EQ(s.state, JobState::kComplete);
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead && dead->size() == 2);
  for (const auto& d : *dead) EXPECT_EQ(d.fields.at("reason"), "deleted");
}

TEST_F(QueueProtocolTest, TrimmedTailIsDeadLetteredOnceTheStreamIsRead) {
  ASSERT_TRUE(store_->submit("j", spec(40, 10), {}));
  auto conn = connect();
  // Someone removes the last two entries before any worker reads them.
  ASSERT_TRUE(
      conn.command({"XDEL", JobKeys("j").tasks, entry_id_for_chunk(2), entry_id_for_chunk(3)}));
  auto a = consumer("a", 10000);
  auto got = claim(*a, "j", 10);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  std::vector<Completion> done;
  for (auto& c : *got) done.push_back(completion(c));
  ASSERT_TRUE(a->commit(done));
  ASSERT_TRUE(wait_until([&] {
    auto r = claim(*a, "j", 1);
    return r && status("j").state == JobState::kComplete;
  }));
  EXPECT_EQ(status("j").dead, 2);
}

TEST_F(QueueProtocolTest, EntryDeletedWhileAWorkerHoldsItIsDeadLettered) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  auto conn = connect();
  ASSERT_TRUE(conn.command({"XDEL", JobKeys("j").tasks, (*claimed)[0].entry_id}));
  auto lost = a->renew(ref("j"), {(*claimed)[0].entry_id});
  ASSERT_TRUE(lost);
  EXPECT_EQ(*lost, std::vector<std::string>{(*claimed)[0].entry_id});
  auto rest = claim(*a, "j", 1);
  ASSERT_TRUE(rest && rest->size() == 1);
  ASSERT_TRUE(a->commit({completion((*rest)[0])}));
  auto s = status("j");
  EXPECT_EQ(s.dead, 1);
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_TRUE(s.in_flight.empty());
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead && dead->size() == 1);
  EXPECT_EQ((*dead)[0].fields.at("reason"), "deleted");
  EXPECT_EQ((*dead)[0].fields.at("chunk_id"), "0");
}

TEST_F(QueueProtocolTest, EntryDeletedAfterAHandBackIsDeadLettered) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 10000);
  auto b = consumer("b", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  ASSERT_TRUE(a->release(ref("j"), {(*claimed)[0].entry_id}));
  auto conn = connect();
  ASSERT_TRUE(conn.command({"XDEL", JobKeys("j").tasks, (*claimed)[0].entry_id}));
  auto got = claim(*b, "j", 1);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  auto s = status("j");
  EXPECT_EQ(s.dead, 1);
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_TRUE(s.in_flight.empty());
}

TEST_F(QueueProtocolTest, CommitIsIdempotentWhenRepeated) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  auto c = completion((*claimed)[0]);
  auto once = a->commit({c, c});
  ASSERT_TRUE(once);
  EXPECT_EQ((*once)[0], CommitOutcome::kCommitted);
  EXPECT_EQ((*once)[1], CommitOutcome::kDuplicate);
  EXPECT_EQ(results("j").size(), 1u);
}

TEST_F(QueueProtocolTest, CommitSurvivesScriptFlush) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 2);
  ASSERT_TRUE(claimed && claimed->size() == 2);
  ASSERT_TRUE(a->commit({completion((*claimed)[0])}));
  auto conn = connect();
  ASSERT_TRUE(conn.command({"SCRIPT", "FLUSH"}));
  auto again = a->commit({completion((*claimed)[1])});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)[0], CommitOutcome::kCommitted);
  EXPECT_EQ(status("j").state, JobState::kComplete);
}

TEST_F(QueueProtocolTest, CommitToAJobThatNoLongerExistsWritesNothing) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  ASSERT_TRUE(store_->remove("j"));
  auto r = a->commit({completion((*claimed)[0])});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0], CommitOutcome::kStale);
  // Nor do the failure, dead-letter and hand-back paths.
  auto f = a->fail((*claimed)[0], "boom");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailOutcome::Kind::kLost);
  ASSERT_TRUE(a->dead_letter((*claimed)[0], "malformed"));
  ASSERT_TRUE(a->release((*claimed)[0].ref(), {(*claimed)[0].entry_id}));
  auto conn = connect();
  auto keys = conn.command({"KEYS", "ttg:{j}*"});
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 0u) << keys->debug_string();
}

// Failure 1 at the protocol level: whatever a worker of the old run sends
// after the job was submitted again is refused and writes nothing.
TEST_F(QueueProtocolTest, CallsOfAnOldRunNeverTouchTheNewOne) {
  ASSERT_TRUE(store_->submit("j", spec(10, 1), {}));
  auto a = consumer("a", 10000);
  JobView old_view = view("j");
  auto claimed = a->claim(old_view.ref(), old_view.spec, 2);
  ASSERT_TRUE(claimed && claimed->size() == 2);
  SubmitOptions force;
  force.force = true;
  ASSERT_TRUE(store_->submit("j", spec(10, 1), force));
  auto before = dump_all();
  auto c = a->commit({completion((*claimed)[0])});
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)[0], CommitOutcome::kStale);
  auto lost = a->renew(old_view.ref(), {(*claimed)[1].entry_id});
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->size(), 1u);
  auto f = a->fail((*claimed)[1], "boom");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FailOutcome::Kind::kLost);
  auto again = a->claim(old_view.ref(), old_view.spec, 1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kStale);
  ASSERT_TRUE(a->release(old_view.ref(), {(*claimed)[1].entry_id}));
  EXPECT_EQ(dump_all(), before);
  EXPECT_EQ(status("j").done, 0);
}

TEST_F(QueueProtocolTest, ConsumerIsRetiredOnlyWhenItHoldsNothing) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  auto busy = a->retire("j");
  ASSERT_TRUE(busy);
  EXPECT_FALSE(*busy) << "a consumer holding a chunk must not be deleted";
  EXPECT_EQ(status("j").in_flight.count("a"), 1u);
  ASSERT_TRUE(a->commit({completion((*claimed)[0])}));
  auto idle = a->retire("j");
  ASSERT_TRUE(idle);
  EXPECT_TRUE(*idle);
  auto conn = connect();
  auto consumers = conn.command({"XINFO", "CONSUMERS", JobKeys("j").tasks, kGroup});
  ASSERT_TRUE(consumers);
  EXPECT_EQ(consumers->size(), 0u);
}

TEST_F(QueueProtocolTest, CancelledJobHandsOutNothing) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10), {}));
  auto r = store_->cancel("j");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, CancelOutcome::kCancelled);
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 2);
  ASSERT_TRUE(claimed);
  EXPECT_TRUE(claimed->empty());
  EXPECT_EQ(status("j").state, JobState::kCancelled);
}

// Failure 5: cancel is conditional.
TEST_F(QueueProtocolTest, CancelLeavesACompleteJobCompleteAndARemovedJobRemoved) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  ASSERT_TRUE(a->commit({completion((*claimed)[0])}));
  ASSERT_EQ(status("j").state, JobState::kComplete);
  auto r = store_->cancel("j");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, CancelOutcome::kWasComplete);
  EXPECT_EQ(status("j").state, JobState::kComplete);

  ASSERT_TRUE(store_->remove("j"));
  auto gone = store_->cancel("j");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  auto conn = connect();
  auto keys = conn.command({"KEYS", "ttg:{j}*"});
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 0u) << keys->debug_string();
}

// Finished jobs do not keep Redis memory for ever: the sweeper trims a
// complete job's tasks and sets its keys to expire after its retention.
TEST_F(QueueProtocolTest, FinishedJobIsTrimmedAndExpires) {
  SubmitOptions o;
  o.retain_ms = 60'000;
  ASSERT_TRUE(store_->submit("j", spec(30, 10), o));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 3);
  ASSERT_TRUE(claimed && claimed->size() == 3);
  std::vector<Completion> done;
  for (auto& c : *claimed) done.push_back(completion(c));
  ASSERT_TRUE(a->commit(done));
  auto sw = a->sweep({}, true);
  ASSERT_TRUE(sw) << sw.error().message;
  EXPECT_TRUE(sw->sweeper);
  EXPECT_EQ(sw->finalized_jobs, 1);
  auto conn = connect();
  auto len = conn.command({"XLEN", JobKeys("j").tasks});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer(), 0);
  for (const auto& key : JobKeys("j").all()) {
    auto ttl = conn.command({"PTTL", key});
    ASSERT_TRUE(ttl);
    if (ttl->integer() == -2) continue;  // the job never made this key
    EXPECT_GT(ttl->integer(), 0) << key;
    EXPECT_LE(ttl->integer(), 60'000) << key;
  }
  auto active = conn.command({"SISMEMBER", kActiveKey, "j"});
  ASSERT_TRUE(active);
  EXPECT_EQ(active->integer(), 0);
  EXPECT_EQ(results("j").size(), 3u) << "results stay readable until the keys expire";
  EXPECT_GT(status("j").expires_ms, 0);
}

// ---- Dead letters and retry ----

// Kills chunk `c` of `job`: claimed by a consumer of its own and failed
// until it is past max_attempts.
void kill_chunk(WorkQueue& q, const JobView& v, int64_t c) {
  auto claimed = q.claim(v.ref(), v.spec, 1);
  ASSERT_TRUE(claimed && claimed->size() == 1) << "chunk " << c;
  ASSERT_EQ((*claimed)[0].chunk, c);
  for (;;) {
    auto f = q.fail((*claimed)[0], "boom on chunk " + std::to_string(c));
    ASSERT_TRUE(f) << f.error().message;
    if (f->kind == FailOutcome::Kind::kDead) return;
    ASSERT_EQ(f->kind, FailOutcome::Kind::kRetry);
  }
}

void QueueProtocolTest::complete_with_chunk_0_dead(WorkQueue& a) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10, 2), {}));
  ASSERT_NO_FATAL_FAILURE(kill_chunk(a, view("j"), 0));
  auto claimed = claim(a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  ASSERT_TRUE(a.commit({completion((*claimed)[0])}));
  ASSERT_EQ(status("j").state, JobState::kComplete);
}

std::set<int64_t> chunks_of(const std::vector<ResultRecord>& records) {
  std::set<int64_t> out;
  for (const auto& r : records) out.insert(std::stoll(r.fields.at("chunk_id")));
  return out;
}

// The sweeper lists the active jobs, then finalizes those it saw finished;
// a retry may reopen one in between. finalize itself drops a finished job
// from ttg:active, in the step that checks its state, so a reopened job
// stays there (a separate SREM could drop it for ever).
TEST_F(QueueProtocolTest, FinalizeDropsAFinishedJobFromTheActiveListButNotAReopenedOne) {
  auto a = consumer("a", 10000);
  ASSERT_NO_FATAL_FAILURE(complete_with_chunk_0_dead(*a));
  auto conn = connect();
  auto member = [&] {
    auto r = conn.command({"SISMEMBER", kActiveKey, "j"});
    EXPECT_TRUE(r);
    return r && r->integer() == 1;
  };
  ASSERT_TRUE(member());
  // Reopened between the sweeper's listing and its finalize.
  auto r = store_->retry("j", std::vector<int64_t>{0});
  ASSERT_TRUE(r && r->reopened);
  auto late = scripts::run(store_->client(), scripts::finalize("j"));
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_EQ(late->str(), "running");
  EXPECT_TRUE(member()) << "a job reopened by retry left the active list";
  // Finished again: finalize drops it.
  auto again = claim(*a, "j", 1);
  ASSERT_TRUE(again && again->size() == 1);
  ASSERT_TRUE(a->commit({completion((*again)[0])}));
  ASSERT_EQ(status("j").state, JobState::kComplete);
  auto done = scripts::run(store_->client(), scripts::finalize("j"));
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->str(), "complete");
  EXPECT_FALSE(member());
}

TEST_F(QueueProtocolTest, RetryPutsADeadChunkBackOnceAndTheJobCompletes) {
  auto a = consumer("a", 10000);
  ASSERT_NO_FATAL_FAILURE(complete_with_chunk_0_dead(*a));
  ASSERT_EQ(status("j").dead, 1);

  // The sweeper finalizes it: expiry set, but its entries kept for retry.
  auto sw = a->sweep({}, true);
  ASSERT_TRUE(sw && sw->finalized_jobs == 1);
  auto conn = connect();
  auto len = conn.command({"XLEN", JobKeys("j").tasks});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer(), 2) << "finalize trimmed a job that has dead chunks";
  EXPECT_GT(status("j").expires_ms, 0);

  auto r = store_->retry("j", std::vector<int64_t>{0});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->retried, std::vector<int64_t>{0});
  EXPECT_TRUE(r->refused.empty());
  EXPECT_TRUE(r->reopened);
  JobStatus s = status("j");
  EXPECT_EQ(s.state, JobState::kRunning);
  EXPECT_EQ(s.dead, 0);
  EXPECT_EQ(s.retried, 1);
  EXPECT_EQ(s.finished_ms, 0);
  EXPECT_EQ(s.expires_ms, 0);
  EXPECT_EQ(s.in_flight[kHandedBack], 1);
  for (const auto& key : JobKeys("j").all()) {
    auto ttl = conn.command({"PTTL", key});
    ASSERT_TRUE(ttl);
    EXPECT_TRUE(ttl->integer() == -1 || ttl->integer() == -2) << key << " still expires";
  }
  auto active = conn.command({"SISMEMBER", kActiveKey, "j"});
  ASSERT_TRUE(active);
  EXPECT_EQ(active->integer(), 1);
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead);
  EXPECT_TRUE(dead->empty()) << "the dead stream lists only chunks dead now";

  // A second retry of the same chunk does nothing.
  auto before = dump_all();
  auto again = store_->retry("j", std::vector<int64_t>{0});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->retried.empty());
  ASSERT_EQ(again->refused.size(), 1u);
  EXPECT_EQ(again->refused[0].second, RetryRefusal::kNotDead);
  EXPECT_EQ(dump_all(), before);

  // Another worker claims it once, as a new chunk: attempt 1, no takeover.
  auto b = consumer("b", 10000);
  auto taken = claim(*b, "j", 5);
  ASSERT_TRUE(taken) << taken.error().message;
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ((*taken)[0].chunk, 0);
  EXPECT_EQ((*taken)[0].attempt, 1);
  EXPECT_EQ((*taken)[0].takeover_reason, "");
  EXPECT_EQ((*taken)[0].previous_owner, "");
  auto none = claim(*a, "j", 5);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(status("j").takeovers, 0);
  auto committed = b->commit({completion((*taken)[0])});
  ASSERT_TRUE(committed);
  EXPECT_EQ((*committed)[0], CommitOutcome::kCommitted);
  s = status("j");
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_EQ(s.done, 2);
  EXPECT_EQ(s.dead, 0);
  auto all = results("j");
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(chunks_of(all), (std::set<int64_t>{0, 1}));

  // Done now: not retried; and finalized (and trimmed) again.
  before = dump_all();
  auto done = store_->retry("j", std::nullopt);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->retried.empty() && done->refused.empty());
  auto done_chunk = store_->retry("j", std::vector<int64_t>{0});
  ASSERT_TRUE(done_chunk);
  ASSERT_EQ(done_chunk->refused.size(), 1u);
  EXPECT_EQ(done_chunk->refused[0].second, RetryRefusal::kDone);
  EXPECT_EQ(dump_all(), before);
  sw = a->sweep({}, true);  // a holds the sweeper role
  ASSERT_TRUE(sw && sw->finalized_jobs == 1);
  EXPECT_GT(status("j").expires_ms, 0);
  len = conn.command({"XLEN", JobKeys("j").tasks});
  ASSERT_TRUE(len);
  EXPECT_EQ(len->integer(), 0);
}

TEST_F(QueueProtocolTest, RetryRefusesWhatItCannotRetryAndChangesNothing) {
  ASSERT_TRUE(store_->submit("j", spec(50, 10, 1), {}));
  auto a = consumer("a", 10000);
  JobView v = view("j");
  ASSERT_NO_FATAL_FAILURE(kill_chunk(*a, v, 0));  // max_attempts
  auto claimed = claim(*a, "j", 3);
  ASSERT_TRUE(claimed && claimed->size() == 3);
  ASSERT_TRUE(a->commit({completion((*claimed)[0])}));  // chunk 1: done
  // Chunk 2 dies, then its entry is deleted: nothing left to compute.
  auto f = a->fail((*claimed)[1], "boom");
  ASSERT_TRUE(f && f->kind == FailOutcome::Kind::kDead);
  auto conn = connect();
  ASSERT_TRUE(conn.command({"XDEL", JobKeys("j").tasks, entry_id_for_chunk(2)}));
  // Chunk 3 is dead as malformed: it would be again.
  ASSERT_TRUE(a->dead_letter((*claimed)[2], "range disagrees with the spec"));
  // Chunk 4 was never read.
  ASSERT_EQ(status("j").dead, 3);

  auto before = dump_all();
  auto r = store_->retry("j", std::vector<int64_t>{1, 2, 3, 4, 99});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->retried.empty());
  EXPECT_FALSE(r->reopened);
  std::vector<std::pair<int64_t, RetryRefusal>> want = {{1, RetryRefusal::kDone},
                                                        {2, RetryRefusal::kDeleted},
                                                        {3, RetryRefusal::kMalformed},
                                                        {4, RetryRefusal::kNotDead},
                                                        {99, RetryRefusal::kNoSuchChunk}};
  EXPECT_EQ(r->refused, want);
  EXPECT_EQ(dump_all(), before) << "a refused retry wrote something";

  // Every dead chunk: 0 goes back; 2 and 3 are refused, and stay dead.
  auto all = store_->retry("j", std::nullopt);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->retried, std::vector<int64_t>{0});
  want = {{2, RetryRefusal::kDeleted}, {3, RetryRefusal::kMalformed}};
  EXPECT_EQ(all->refused, want);
  EXPECT_EQ(status("j").dead, 2);
  auto dead = store_->dead_letters("j");
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->size(), 2u);
}

// A worker that still computes a chunk after it was dead-lettered and put
// back commits it first: recorded once, and nobody computes it again.
TEST_F(QueueProtocolTest, LateCommitOfARetriedChunkIsRecordedOnce) {
  ASSERT_TRUE(store_->submit("j", spec(10, 10, 1), {}));
  auto a = consumer("a", 10000);
  auto claimed = claim(*a, "j", 1);
  ASSERT_TRUE(claimed && claimed->size() == 1);
  auto f = a->fail((*claimed)[0], "boom");
  ASSERT_TRUE(f && f->kind == FailOutcome::Kind::kDead);
  auto r = store_->retry("j", std::nullopt);
  ASSERT_TRUE(r && r->retried.size() == 1);
  auto late = a->commit({completion((*claimed)[0])});
  ASSERT_TRUE(late);
  EXPECT_EQ((*late)[0], CommitOutcome::kCommitted);
  auto b = consumer("b", 10000);
  auto none = claim(*b, "j", 5);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  JobStatus s = status("j");
  EXPECT_EQ(s.state, JobState::kComplete);
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(s.dead, 0);
  EXPECT_EQ(results("j").size(), 1u);
}

TEST_F(QueueProtocolTest, RetryOfACancelledJobIsRefused) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10, 1), {}));
  auto a = consumer("a", 10000);
  ASSERT_NO_FATAL_FAILURE(kill_chunk(*a, view("j"), 0));
  ASSERT_EQ(status("j").state, JobState::kRunning);
  ASSERT_TRUE(store_->cancel("j"));
  auto before = dump_all();
  auto r = store_->retry("j", std::nullopt);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->retried.empty());
  ASSERT_EQ(r->refused.size(), 1u);
  EXPECT_EQ(r->refused[0], std::make_pair(int64_t{0}, RetryRefusal::kCancelled));
  EXPECT_EQ(dump_all(), before);
}

TEST_F(QueueProtocolTest, RetryOfAnOldRunOrAMissingJobWritesNothing) {
  ASSERT_TRUE(store_->submit("j", spec(20, 10, 1), {}));
  auto a = consumer("a", 10000);
  ASSERT_NO_FATAL_FAILURE(kill_chunk(*a, view("j"), 0));
  auto before = dump_all();
  auto stale = scripts::run(store_->client(), scripts::retry({"j", "not-the-run"}, {0}));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kStale) << stale.error().message;
  auto missing = store_->retry("nosuch", std::vector<int64_t>{0});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().message;
  auto nojob = scripts::run(store_->client(), scripts::retry({"nosuch", "r"}, {0}));
  ASSERT_FALSE(nojob);
  EXPECT_EQ(nojob.error().code, ErrorCode::kNotFound) << nojob.error().message;
  EXPECT_EQ(dump_all(), before);
}

}  // namespace
}  // namespace ttg::queue
