#include "support/fake_queue.h"

#include "queue/codec.h"

namespace ttg::testing {

namespace {

bool active(JobState s) {
  return s == JobState::kSubmitting || s == JobState::kPending || s == JobState::kRunning;
}

void check_complete(FakeBroker::Job& j) {
  for (const auto& c : j.chunks) {
    if (!c.done) return;
  }
  if (j.state != JobState::kCancelled) j.state = JobState::kComplete;
}

int64_t chunk_of(const FakeBroker::Job& j, const std::string& id) {
  return queue::chunk_of_entry_id(id, j.spec.total_chunks()).value_or(-1);
}

}  // namespace

std::string FakeBroker::submit(const std::string& name, const JobSpec& spec) {
  std::lock_guard<std::mutex> lock(mu);
  Job j;
  j.run = "run" + std::to_string(++next_run);
  j.spec = spec;
  j.chunks.resize(static_cast<size_t>(spec.total_chunks()));
  jobs[name] = std::move(j);
  return jobs[name].run;
}

void FakeBroker::remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  jobs.erase(name);
}

void FakeBroker::steal(const std::string& name, int64_t chunk, const std::string& by) {
  // Called from hooks (lock held) or from a test (not held): the hooks call
  // find() directly instead, so this takes the lock.
  std::lock_guard<std::mutex> lock(mu);
  if (auto* j = find(name)) {
    j->chunks[static_cast<size_t>(chunk)].owner = by;
  }
}

FakeBroker::Job* FakeBroker::find(const std::string& name) {
  auto it = jobs.find(name);
  return it == jobs.end() ? nullptr : &it->second;
}

std::optional<FakeBroker::Job> FakeBroker::snapshot(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  auto* j = find(name);
  if (j == nullptr) return std::nullopt;
  return *j;
}

int64_t FakeBroker::calls(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu);
  return call_counts[method];
}

Result<FakeBroker::Job*> FakeQueue::current(const queue::JobRef& ref) {
  auto* j = broker_->find(ref.name);
  if (j == nullptr) return make_error(ErrorCode::kNotFound, "NOJOB job does not exist");
  if (j->run != ref.run) return make_error(ErrorCode::kStale, "STALE job was submitted again");
  return j;
}

Result<std::vector<queue::JobRef>> FakeQueue::active_jobs() {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["active_jobs"];
  std::vector<queue::JobRef> out;
  for (auto& [name, j] : broker_->jobs) {
    if (active(j.state)) out.push_back({name, j.run});
  }
  return out;
}

Result<queue::JobView> FakeQueue::job(const std::string& name) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["job"];
  auto* j = broker_->find(name);
  if (j == nullptr) return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  return queue::JobView{name, j->run, j->spec, j->state};
}

Result<std::vector<queue::Chunk>> FakeQueue::claim(const queue::JobRef& ref, const JobSpec& spec,
                                                   int max, int ahead) {
  max += ahead;
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["claim"];
  TTG_TRY_ASSIGN(auto* j, current(ref));
  std::vector<queue::Chunk> out;
  if (!active(j->state)) return out;
  auto take = [&](int64_t c, bool handed) {
    auto& s = j->chunks[static_cast<size_t>(c)];
    s.owner = consumer_;
    s.handed_back = false;
    ++s.attempts;
    queue::Chunk chunk;
    chunk.job = ref.name;
    chunk.run = ref.run;
    chunk.entry_id = queue::entry_id_for_chunk(c);
    chunk.chunk = c;
    chunk.begin = spec.chunk_begin(c);
    chunk.end = spec.chunk_end(c);
    chunk.attempt = s.attempts;
    if (handed) chunk.takeover_reason = "handed back";
    out.push_back(chunk);
    if (broker_->on_claim) broker_->on_claim(*broker_, out.back());
  };
  for (int64_t c = 0; c < j->next && static_cast<int>(out.size()) < max; ++c) {
    auto& s = j->chunks[static_cast<size_t>(c)];
    if (s.handed_back && !s.done) take(c, true);
  }
  while (static_cast<int>(out.size()) < max && j->next < static_cast<int64_t>(j->chunks.size())) {
    take(j->next++, false);
  }
  if (!out.empty() && j->state == JobState::kPending) j->state = JobState::kRunning;
  return out;
}

Result<std::vector<std::string>> FakeQueue::renew(const queue::JobRef& ref,
                                                  const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["renew"];
  auto j = current(ref);
  if (!j) return ids;
  std::vector<std::string> lost;
  for (const auto& id : ids) {
    int64_t c = chunk_of(**j, id);
    if (c < 0 || (*j)->chunks[static_cast<size_t>(c)].owner != consumer_ ||
        (*j)->chunks[static_cast<size_t>(c)].done) {
      lost.push_back(id);
    }
  }
  return lost;
}

Result<std::vector<queue::CommitOutcome>> FakeQueue::commit(
    const std::vector<queue::Completion>& completions) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["commit"];
  std::vector<queue::CommitOutcome> out;
  for (const auto& c : completions) {
    auto j = current(c.chunk.ref());
    if (!j) {
      out.push_back(queue::CommitOutcome::kStale);
      continue;
    }
    auto& s = (*j)->chunks[static_cast<size_t>(c.chunk.chunk)];
    if (s.done) {
      ++(*j)->duplicates;
      out.push_back(queue::CommitOutcome::kDuplicate);
      continue;
    }
    s.done = true;
    s.owner.clear();
    ++s.commits;
    s.committed_by = consumer_;
    s.result = c.result_data;
    check_complete(**j);
    out.push_back(queue::CommitOutcome::kCommitted);
  }
  return out;
}

Result<queue::FailOutcome> FakeQueue::fail(const queue::Chunk& chunk, const std::string&) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["fail"];
  auto j = current(chunk.ref());
  if (!j) return queue::FailOutcome{queue::FailOutcome::Kind::kLost, 0};
  auto& s = (*j)->chunks[static_cast<size_t>(chunk.chunk)];
  if (s.done) return queue::FailOutcome{queue::FailOutcome::Kind::kFinished, 0};
  if (s.owner != consumer_) return queue::FailOutcome{queue::FailOutcome::Kind::kLost, 0};
  if (s.attempts >= (*j)->spec.max_attempts) {
    s.done = s.dead = true;
    s.dead_reason = "max_attempts";
    check_complete(**j);
    return queue::FailOutcome{queue::FailOutcome::Kind::kDead, s.attempts};
  }
  ++s.attempts;
  ++(*j)->retries;
  queue::FailOutcome out{queue::FailOutcome::Kind::kRetry, s.attempts};
  if (broker_->on_fail) broker_->on_fail(*broker_, chunk);
  return out;
}

Status FakeQueue::dead_letter(const queue::Chunk& chunk, const std::string&) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  auto j = current(chunk.ref());
  if (!j) return {};
  if (chunk.chunk >= 0) {
    auto& s = (*j)->chunks[static_cast<size_t>(chunk.chunk)];
    s.done = s.dead = true;
    s.dead_reason = "malformed";
    check_complete(**j);
  }
  return {};
}

Status FakeQueue::release(const queue::JobRef& ref, const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["release"];
  auto j = current(ref);
  if (!j) return {};
  for (const auto& id : ids) {
    int64_t c = chunk_of(**j, id);
    if (c < 0) continue;
    auto& s = (*j)->chunks[static_cast<size_t>(c)];
    if (s.owner != consumer_ || s.done) continue;
    s.owner.clear();
    s.handed_back = true;
    --s.attempts;  // the interrupted attempt is given back
    ++(*j)->released;
  }
  return {};
}

Result<int64_t> FakeQueue::adopt(const queue::JobRef& ref, const std::vector<std::string>& held) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["adopt"];
  auto j = current(ref);
  if (!j) return 0;
  int64_t n = 0;
  std::set<std::string> keep(held.begin(), held.end());
  for (size_t c = 0; c < (*j)->chunks.size(); ++c) {
    auto& s = (*j)->chunks[c];
    if (s.owner == consumer_ && !s.done &&
        keep.count(queue::entry_id_for_chunk(static_cast<int64_t>(c))) == 0) {
      s.owner.clear();
      s.handed_back = true;
      ++n;
    }
  }
  return n;
}

Status FakeQueue::refuse(const queue::JobRef& ref, const std::string& reason) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["refuse"];
  auto j = current(ref);
  if (j) (*j)->refused[consumer_] = reason;
  return {};
}

Result<bool> FakeQueue::retire(const std::string&) { return true; }

Status FakeQueue::heartbeat(const queue::WorkerInfo&) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["heartbeat"];
  return {};
}

Status FakeQueue::leave() { return {}; }

Result<queue::SweepReport> FakeQueue::sweep(
    const std::map<queue::JobRef, std::vector<std::string>>&, bool) {
  std::lock_guard<std::mutex> lock(broker_->mu);
  ++broker_->call_counts["sweep"];
  return queue::SweepReport{};
}

}  // namespace ttg::testing
