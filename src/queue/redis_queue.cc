#include "queue/redis_queue.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "queue/codec.h"
#include "queue/keys.h"
#include "queue/scripts.h"
#include "util/strings.h"

namespace ttg::queue {

namespace {

using redis::Reply;

Result<JobView> read_job(redis::Client& client, const std::string& name) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply r, client.command({"HMGET", k.meta, "spec", "state", "run"}));
  if (!r.is_array() || r.size() != 3 || r[0].is_nil()) {
    return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  }
  nlohmann::json j = nlohmann::json::parse(r[0].str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return make_error(ErrorCode::kProtocol, "job '" + name + "': stored spec is not JSON");
  }
  auto spec = JobSpec::from_json(j);
  if (!spec) return tl::unexpected(spec.error().with_context("job '" + name + "'"));
  auto state = parse_job_state(r[1].str());
  if (!state) {
    return make_error(ErrorCode::kProtocol,
                      "job '" + name + "': unknown state '" + r[1].str() + "'");
  }
  return JobView{name, r[2].is_nil() ? std::string() : r[2].str(), std::move(*spec), *state};
}

// Loads `script` into the server's cache once (SCRIPT LOAD), so its SHA1
// can be used in pipelined EVALSHA calls.
Status load(redis::Client& client, const redis::Script& script) {
  TTG_TRY_ASSIGN(Reply sha, client.command({"SCRIPT", "LOAD", script.body()}));
  script.set_sha(sha.str());
  return {};
}

// Runs `calls` in one round trip. A call whose script is not in the server's
// cache (a restarted server) is run again by EVALSHA-or-load: every script
// is safe to repeat after NOSCRIPT, which ran nothing. Per-call error
// replies are returned in place.
Result<std::vector<Reply>> run_pipelined(redis::Client& client,
                                         const std::vector<scripts::Call>& calls) {
  std::vector<redis::Command> cmds;
  cmds.reserve(calls.size());
  for (const auto& c : calls) {
    if (c.script->sha().empty()) TTG_TRY(load(client, *c.script));
    cmds.push_back(scripts::evalsha(c));
  }
  TTG_TRY_ASSIGN(auto replies, client.pipeline(cmds));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error() &&
        redis::classify_error_reply(replies[i].str()).code == ErrorCode::kNoScript) {
      auto again = scripts::run(client, calls[i]);
      if (again) {
        replies[i] = std::move(*again);
      } else if (is_connection_failure(again.error())) {
        return tl::unexpected(again.error());
      } else {
        replies[i] = Reply::error(again.error().message);
      }
    }
  }
  return replies;
}

std::vector<ResultRecord> records(const Reply& entries) {
  std::vector<ResultRecord> out;
  for (const auto& e : entries.elements()) {
    if (e.size() != 2) continue;
    ResultRecord rec;
    rec.entry_id = e[0].str();
    for (auto& [f, v] : field_pairs(e[1])) rec.fields[f] = v;
    out.push_back(std::move(rec));
  }
  return out;
}

int64_t field_int(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end()) return 0;
  return util::parse_int(it->second).value_or(0);
}

bool is_active_state(const std::string& s) {
  return s == "submitting" || s == "pending" || s == "running";
}

bool incarnation_over(const Error& e) {
  return e.code == ErrorCode::kStale || e.code == ErrorCode::kNotFound;
}

// The client ids in CLIENT LIST output ("id=N addr=... \n" per client).
std::set<std::string> client_ids(const std::string& list) {
  std::set<std::string> out;
  for (const auto& line : util::split(list, '\n')) {
    if (line.rfind("id=", 0) != 0) continue;
    auto space = line.find(' ');
    out.insert(line.substr(3, space == std::string::npos ? std::string::npos : space - 3));
  }
  return out;
}

// Every registered worker, by name, with Redis's time of the reading
// (JobStore::registry()).
Result<JobStore::Workers> read_registry(redis::Client& client) {
  using RegisteredWorker = JobStore::RegisteredWorker;
  TTG_TRY_ASSIGN(auto r, client.pipeline(
                             {{"HGETALL", kWorkerInfoKey}, {"HGETALL", kHeartbeatsKey}, {"TIME"}}));
  for (const auto& reply : r) {
    if (reply.is_error()) return tl::unexpected(redis::classify_error_reply(reply.str()));
  }
  const int64_t now_ms = r[2].size() == 2 ? util::parse_int(r[2][0].str()).value_or(0) * 1000 +
                                                util::parse_int(r[2][1].str()).value_or(0) / 1000
                                          : 0;
  std::map<std::string, int64_t> beats;
  for (auto& [name, at] : field_pairs(r[1])) beats[name] = util::parse_int(at).value_or(0);
  std::vector<RegisteredWorker> out;
  for (auto& [name, text] : field_pairs(r[0])) {
    RegisteredWorker w;
    w.name = name;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object()) {
      w.host = j.value("host", "");
      w.pid = j.value("pid", int64_t{0});
      w.slots = j.value("slots", 0);
      w.job = j.value("job", "");
      w.state = j.value("state", "");
      w.busy = j.value("busy", 0);
      w.committed = j.value("committed", int64_t{0});
      // [[job, chunk, claimed_ms], ...]; anything else is left out.
      const auto chunks = j.find("chunks");
      if (chunks != j.end() && chunks->is_array()) {
        for (const auto& c : *chunks) {
          if (!c.is_array() || c.size() != 3 || !c[0].is_string() || !c[1].is_number_integer() ||
              !c[2].is_number_integer()) {
            continue;
          }
          RegisteredWorker::Held h;
          h.job = c[0].get<std::string>();
          h.chunk = c[1].get<int64_t>();
          h.claimed_ms = c[2].get<int64_t>();
          if (h.claimed_ms > 0 && now_ms > 0)
            h.age_ms = std::max<int64_t>(0, now_ms - h.claimed_ms);
          w.chunks.push_back(std::move(h));
        }
      }
    }
    auto beat = beats.find(name);
    if (beat != beats.end() && now_ms > 0)
      w.heartbeat_age_ms = std::max<int64_t>(0, now_ms - beat->second);
    out.push_back(std::move(w));
  }
  std::sort(out.begin(), out.end(),
            [](const RegisteredWorker& a, const RegisteredWorker& b) { return a.name < b.name; });
  return JobStore::Workers{std::move(out), now_ms};
}

// A job of the active list as the sweep sees it.
struct ActiveJob {
  JobRef ref;
  std::string state;
};

class RedisStreamQueue final : public WorkQueue {
 public:
  RedisStreamQueue(const redis::Options& redis, QueueOptions options)
      : client_(redis), options_(std::move(options)) {
    if (options_.worker_id.empty()) options_.worker_id = options_.consumer;
  }

  Result<std::vector<JobRef>> active_jobs() override {
    TTG_TRY_ASSIGN(auto all, scan_active());
    std::vector<JobRef> out;
    for (auto& j : all) {
      if (is_active_state(j.state)) out.push_back(std::move(j.ref));
    }
    return out;
  }

  Result<JobView> job(const std::string& name) override { return read_job(client_, name); }

  Result<std::vector<Chunk>> claim(const JobRef& job, const JobSpec& spec, int max,
                                   int ahead = 0) override {
    TTG_TRY_ASSIGN(Reply r, scripts::run(client_, scripts::claim(job, options_.consumer,
                                                                 options_.worker_id, max, ahead)));
    std::vector<Chunk> out;
    for (const auto& e : r.elements()) {
      if (e.size() < 5) return make_error(ErrorCode::kProtocol, "claim: bad reply");
      Chunk c = decode_task(job.name, spec, e[0].str(), e[1],
                            static_cast<int>(e[2].as_int().value_or(0)));
      c.run = job.run;
      c.previous_owner = e[3].str();
      c.takeover_reason = e[4].str();
      if (e.size() > 5) c.claimed_ms = e[5].as_int().value_or(0);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<std::string>> renew(const JobRef& job,
                                         const std::vector<std::string>& ids) override {
    if (ids.empty()) return std::vector<std::string>{};
    auto r = scripts::run(client_, scripts::renew(job, options_.consumer, options_.worker_id, ids));
    if (!r && incarnation_over(r.error())) return ids;
    if (!r) return tl::unexpected(r.error());
    std::vector<std::string> lost;
    for (const auto& e : r->elements()) lost.push_back(e.str());
    return lost;
  }

  Result<std::vector<CommitOutcome>> commit(const std::vector<Completion>& completions) override {
    std::vector<CommitOutcome> out(completions.size(), CommitOutcome::kDuplicate);
    if (completions.empty()) return out;
    // One script call per incarnation and batch (a script blocks Redis while
    // it runs, so batches stay small); all calls in one round trip.
    constexpr size_t kBatch = 128;
    std::vector<scripts::Call> calls;
    std::vector<std::vector<size_t>> index;  // per call: indices into completions
    std::map<JobRef, size_t> open;           // incarnation -> its open call
    for (size_t i = 0; i < completions.size(); ++i) {
      const auto& c = completions[i];
      JobRef ref = c.chunk.ref();
      auto it = open.find(ref);
      if (it == open.end() || index[it->second].size() >= kBatch) {
        calls.push_back(scripts::commit(ref, options_.worker_id));
        index.emplace_back();
        it = open.insert_or_assign(ref, calls.size() - 1).first;
      }
      scripts::add_commit(calls[it->second], c);
      index[it->second].push_back(i);
    }
    TTG_TRY_ASSIGN(auto replies, run_pipelined(client_, calls));
    for (size_t j = 0; j < replies.size(); ++j) {
      const Reply& r = replies[j];
      if (r.is_error()) {
        Error e = redis::classify_error_reply(r.str());
        if (!incarnation_over(e)) return tl::unexpected(e.with_context("commit"));
        for (size_t i : index[j]) out[i] = CommitOutcome::kStale;
        continue;
      }
      if (!r.is_array() || r.size() != index[j].size()) {
        return make_error(ErrorCode::kProtocol, "commit: unexpected reply " + r.debug_string());
      }
      for (size_t k = 0; k < r.size(); ++k) {
        out[index[j][k]] =
            r[k].as_int().value_or(0) == 1 ? CommitOutcome::kCommitted : CommitOutcome::kDuplicate;
      }
    }
    return out;
  }

  Result<std::optional<Chunk>> speculate(const JobRef& job, const JobSpec& spec,
                                         const SpeculationPolicy& policy) override {
    const std::optional<Chunk> none;
    // The job's median chunk time, of its newest results.
    const JobKeys k(job.name);
    TTG_TRY_ASSIGN(Reply newest,
                   client_.command({"XREVRANGE", k.results, "+", "-", "COUNT", "64"}));
    std::vector<double> seconds;
    for (const auto& rec : records(newest)) {
      auto it = rec.fields.find("duration_seconds");
      if (it == rec.fields.end()) continue;
      if (auto d = util::parse_double(it->second); d && *d >= 0) seconds.push_back(*d);
    }
    if (seconds.empty() || static_cast<int>(seconds.size()) < policy.min_results) return none;
    std::nth_element(seconds.begin(), seconds.begin() + static_cast<long>(seconds.size() / 2),
                     seconds.end());
    const double median = seconds[seconds.size() / 2];
    const int64_t threshold =
        std::max<int64_t>(policy.min_age_ms, static_cast<int64_t>(policy.factor * median * 1000.0));
    // The chunks other workers hold, by age, from their registry entries.
    TTG_TRY_ASSIGN(JobStore::Workers reg, read_registry(client_));
    std::vector<std::pair<int64_t, int64_t>> by_age;  // (age_ms, chunk)
    for (const auto& w : reg.workers) {
      if (w.name == options_.consumer) continue;
      for (const auto& h : w.chunks) {
        if (h.job == job.name && h.age_ms > threshold) by_age.emplace_back(h.age_ms, h.chunk);
      }
    }
    std::sort(by_age.rbegin(), by_age.rend());
    // A few tries: the oldest may have just finished or have a copy.
    for (size_t i = 0; i < by_age.size() && i < 4; ++i) {
      const auto [age_ms, chunk] = by_age[i];
      TTG_TRY_ASSIGN(Reply r, scripts::run(client_, scripts::speculate(
                                                        job, options_.consumer, options_.worker_id,
                                                        entry_id_for_chunk(chunk), age_ms)));
      if (!r.is_array() || r.size() < 5) continue;
      Chunk c = decode_task(job.name, spec, r[0].str(), r[1],
                            static_cast<int>(r[2].as_int().value_or(1)));
      if (!c.malformed.empty()) continue;
      c.run = job.run;
      c.previous_owner = r[3].str();
      c.claimed_ms = r[4].as_int().value_or(0);
      c.speculative = true;
      return std::optional<Chunk>(std::move(c));
    }
    return none;
  }

  Result<std::vector<bool>> finished(const JobRef& job,
                                     const std::vector<int64_t>& chunks) override {
    std::vector<bool> out(chunks.size(), false);
    if (chunks.empty()) return out;
    const JobKeys k(job.name);
    std::vector<redis::Command> cmds;
    for (int64_t c : chunks) cmds.push_back({"GETBIT", k.done, std::to_string(c)});
    TTG_TRY_ASSIGN(auto replies, client_.pipeline(cmds));
    for (size_t i = 0; i < replies.size() && i < out.size(); ++i) {
      if (replies[i].is_error())
        return tl::unexpected(redis::classify_error_reply(replies[i].str()));
      out[i] = replies[i].as_int().value_or(0) == 1;
    }
    return out;
  }

  Result<FailOutcome> fail(const Chunk& chunk, const std::string& error) override {
    TTG_TRY_ASSIGN(Reply r, scripts::run(client_, scripts::fail(chunk, options_.consumer,
                                                                options_.worker_id, error)));
    if (!r.is_array() || r.size() != 2) return make_error(ErrorCode::kProtocol, "fail: bad reply");
    FailOutcome out;
    const std::string& kind = r[0].str();
    out.attempt = static_cast<int>(r[1].as_int().value_or(0));
    if (kind == "retry") {
      out.kind = FailOutcome::Kind::kRetry;
    } else if (kind == "dead") {
      out.kind = FailOutcome::Kind::kDead;
    } else if (kind == "lost") {
      out.kind = FailOutcome::Kind::kLost;
    } else {
      out.kind = FailOutcome::Kind::kFinished;
    }
    return out;
  }

  Status dead_letter(const Chunk& chunk, const std::string& reason) override {
    auto r = scripts::run(client_, scripts::dead_letter(chunk, options_.worker_id, reason));
    if (!r && incarnation_over(r.error())) return {};
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Status release(const JobRef& job, const std::vector<std::string>& ids) override {
    if (ids.empty()) return {};
    auto r =
        scripts::run(client_, scripts::hand_over(job, scripts::HandOver::kRelease,
                                                 options_.consumer, 0, 0, options_.worker_id, ids));
    if (!r && incarnation_over(r.error())) return {};
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<int64_t> adopt(const JobRef& job, const std::vector<std::string>& held) override {
    auto r = scripts::run(
        client_, scripts::hand_over(job, scripts::HandOver::kRestarted, options_.consumer, 0,
                                    kScanLimit, options_.worker_id, held));
    if (!r && incarnation_over(r.error())) return 0;
    if (!r) return tl::unexpected(r.error());
    return r->as_int().value_or(0);
  }

  Status refuse(const JobRef& job, const std::string& reason) override {
    auto r = scripts::run(client_, scripts::refuse(job, options_.consumer, reason));
    if (!r && incarnation_over(r.error())) return {};
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<bool> retire(const std::string& job) override {
    TTG_TRY_ASSIGN(Reply r, scripts::run(client_, scripts::retire(job, options_.consumer)));
    return r.as_int().value_or(0) == 1;
  }

  Status heartbeat(const WorkerInfo& info) override {
    scripts::HeartbeatArgs a;
    a.consumer = options_.consumer;
    a.lease_ms = options_.lease_ms;
    TTG_TRY(client_.ensure_connected());
    const int connection = client_.connects();
    const bool registering = connection != registered_connection_;
    if (registering) {
      // A new connection: its id is what others watch (docs/PROTOCOL.md,
      // "Liveness"), and the server's run id tells a restart.
      TTG_TRY_ASSIGN(auto r, client_.pipeline({{"CLIENT", "ID"}, {"INFO", "server"}}));
      if (r[0].is_error() || r[1].is_error()) {
        return tl::unexpected(redis::classify_error_reply(r[0].is_error() ? r[0].str() : r[1].str())
                                  .with_context("registering worker"));
      }
      a.client_id = std::to_string(r[0].integer());
      a.server = info_field(r[1].str(), "run_id");
      server_ = a.server;
    }
    // The registry entry goes with the heartbeat when it changed (or on
    // registering): a worker whose chunks do not change writes nothing more.
    std::string text = info_json(info);
    if (registering || text != info_sent_) a.info = text;
    TTG_TRY_ASSIGN(Reply r, scripts::run(client_, scripts::heartbeat(a)));
    (void)r;
    if (!a.info.empty()) info_sent_ = std::move(text);
    // Registered only if the connection that got the id is still the one.
    if (registering && client_.connects() == connection) registered_connection_ = connection;
    return {};
  }

  Status leave() override {
    TTG_TRY(scripts::run(client_, scripts::unregister(options_.consumer)));
    return {};
  }

  Result<SweepReport> sweep(const std::map<JobRef, std::vector<std::string>>& held,
                            bool as_sweeper) override {
    SweepReport report;
    const std::string& me = options_.consumer;
    TTG_TRY_ASSIGN(
        auto state,
        client_.pipeline(
            {{"TIME"},
             {"HMGET", kSweepStateKey, "grace_until", "conn_grace_until", "server", "last_ms"},
             {"ZRANGE", kRingKey, "(" + me, "+", "BYLEX", "LIMIT", "0", "2"},
             {"ZRANGE", kRingKey, "-", "+", "BYLEX", "LIMIT", "0", "3"}}));
    for (const auto& r : state) {
      if (r.is_error()) return tl::unexpected(redis::classify_error_reply(r.str()));
    }
    const int64_t now = util::parse_int(state[0][0].str()).value_or(0) * 1000 +
                        util::parse_int(state[0][1].str()).value_or(0) / 1000;
    const int64_t grace_until = util::parse_int(state[1][0].str()).value_or(0);
    const int64_t conn_grace_until = util::parse_int(state[1][1].str()).value_or(0);
    const std::string server = state[1][2].str();
    // The server this connection talks to. A registry that names another
    // one was written before a restart that no heartbeat has reported yet:
    // every connection it lists is closed, and says nothing about its worker.
    if (client_.connects() != server_connection_) {
      TTG_TRY_ASSIGN(Reply info, client_.command({"INFO", "server"}));
      current_server_ = info_field(info.str(), "run_id");
      server_connection_ = client_.connects();
    }
    const bool restarted_unseen = !server.empty() && server != current_server_;
    // A silence that no heartbeat has reported yet (this check ran first
    // after an outage) counts as the grace it is about to open.
    const int64_t last_ms = util::parse_int(state[1][3].str()).value_or(0);
    const int64_t silence = last_ms > 0 ? now - last_ms : 0;
    const bool lease_grace = now < grace_until || restarted_unseen ||
                             silence > std::max<int64_t>(options_.lease_ms / 2, 1);
    const bool conn_grace =
        now < conn_grace_until || restarted_unseen || silence > scripts::kConnectionGapMs;
    report.grace = lease_grace || conn_grace;

    // The next two workers in the ring after this one (wrapping around).
    std::vector<std::string> next;
    for (const auto* list : {&state[2], &state[3]}) {
      for (const auto& e : list->elements()) {
        const std::string& name = e.str();
        if (name != me && next.size() < 2 &&
            std::find(next.begin(), next.end(), name) == next.end()) {
          next.push_back(name);
        }
      }
    }
    if (!next.empty() && !conn_grace) {
      redis::Command hmget{"HMGET", kWorkersKey};
      hmget.insert(hmget.end(), next.begin(), next.end());
      TTG_TRY_ASSIGN(Reply regs, client_.command(hmget));
      redis::Command list{"CLIENT", "LIST", "ID"};
      std::vector<std::pair<std::string, std::string>> watched;  // consumer, client id
      for (size_t i = 0; i < next.size() && i < regs.size(); ++i) {
        if (regs[i].is_nil()) {
          // In the ring but not registered: a leftover of an unclean exit.
          TTG_TRY(scripts::run(client_, scripts::unregister(next[i])));
          continue;
        }
        auto parts = util::split(regs[i].str(), ' ');
        const std::string id = parts.empty() ? "" : parts[0];
        const std::string reg_server = parts.size() > 1 ? parts[1] : "";
        if (reg_server != server) {
          // Registered with a server that has since restarted, and not again
          // within the grace period: its worker did not come back.
          report.gone.push_back(next[i]);
          continue;
        }
        watched.emplace_back(next[i], id);
        list.push_back(id);
      }
      if (!watched.empty()) {
        TTG_TRY_ASSIGN(Reply clients, client_.command(list));
        auto alive = client_ids(clients.str());
        for (const auto& [name, id] : watched) {
          if (alive.count(id) == 0) report.gone.push_back(name);
        }
      }
      if (!report.gone.empty()) {
        TTG_TRY_ASSIGN(auto jobs, scan_active());
        for (const auto& gone : report.gone) {
          for (const auto& j : jobs) {
            if (!is_active_state(j.state)) continue;
            auto r =
                scripts::run(client_, scripts::hand_over(j.ref, scripts::HandOver::kGone, gone, 0,
                                                         kScanLimit, options_.worker_id, {}));
            if (!r && !incarnation_over(r.error())) return tl::unexpected(r.error());
            if (r) report.handed_over += r->as_int().value_or(0);
            if (r) TTG_TRY(scripts::run(client_, scripts::retire(j.ref.name, gone)));
          }
          TTG_TRY(scripts::run(client_, scripts::unregister(gone)));
        }
      }
    }
    if (!as_sweeper) return report;
    TTG_TRY_ASSIGN(
        Reply lock,
        scripts::run(client_, scripts::sweep_lock(me, kSweeperTtlFactor * sweep_interval_ms())));
    if (lock.as_int().value_or(0) != 1) return report;
    report.sweeper = true;
    TTG_TRY_ASSIGN(auto jobs, scan_active());
    for (const auto& j : jobs) {
      if (is_active_state(j.state)) {
        if (lease_grace) continue;
        std::vector<std::string> mine;
        if (auto it = held.find(j.ref); it != held.end()) mine = it->second;
        auto r = scripts::run(
            client_, scripts::hand_over(j.ref, scripts::HandOver::kExpired, "", options_.lease_ms,
                                        kScanLimit, options_.worker_id, mine));
        if (!r && !incarnation_over(r.error())) return tl::unexpected(r.error());
        if (r) report.handed_over += r->as_int().value_or(0);
        continue;
      }
      // The active list was read before: the job may have been reopened
      // since, so finalize decides, and drops it from the list, in one step.
      TTG_TRY_ASSIGN(Reply f, scripts::run(client_, scripts::finalize(j.ref.name)));
      if (!is_active_state(f.str())) ++report.finalized_jobs;
    }
    return report;
  }

  const std::string& consumer() const override { return options_.consumer; }
  int64_t connections() const override { return client_.connects(); }

 private:
  // Entries one hand-over call looks at, at most.
  static constexpr int kScanLimit = 1000;
  // The sweeper role lasts this many sweep intervals unless renewed.
  static constexpr int64_t kSweeperTtlFactor = 4;

  int64_t sweep_interval_ms() const { return std::max<int64_t>(250, options_.lease_ms / 4); }

  // The registry entry (docs/PROTOCOL.md, "Liveness").
  std::string info_json(const WorkerInfo& info) const {
    nlohmann::json chunks = nlohmann::json::array();
    for (const auto& c : info.chunks) chunks.push_back({c.job, c.chunk, c.claimed_ms});
    nlohmann::json j = {{"host", info.host},
                        {"pid", info.pid},
                        {"slots", info.slots},
                        {"job", info.job},
                        {"worker", options_.worker_id},
                        {"state", info.state},
                        {"busy", info.busy},
                        {"committed", info.committed},
                        {"chunks", std::move(chunks)}};
    return j.dump();
  }

  static std::string info_field(const std::string& info, const std::string& name) {
    for (const auto& line : util::split(info, '\n')) {
      if (line.rfind(name + ":", 0) == 0) {
        std::string v = line.substr(name.size() + 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
        return v;
      }
    }
    return "";
  }

  // The active list with each job's run and state; members whose meta is
  // gone are removed from it.
  Result<std::vector<ActiveJob>> scan_active() {
    TTG_TRY_ASSIGN(Reply names, client_.command({"SMEMBERS", kActiveKey}));
    std::vector<ActiveJob> out;
    if (names.size() == 0) return out;
    std::vector<redis::Command> cmds;
    for (const auto& n : names.elements()) {
      cmds.push_back({"HMGET", JobKeys(n.str()).meta, "state", "run"});
    }
    TTG_TRY_ASSIGN(auto states, client_.pipeline(cmds));
    redis::Command srem{"SREM", kActiveKey};
    for (size_t i = 0; i < states.size(); ++i) {
      if (!states[i].is_array() || states[i].size() != 2) continue;
      if (states[i][0].is_nil()) {
        srem.push_back(names[i].str());
        continue;
      }
      out.push_back(ActiveJob{{names[i].str(), states[i][1].is_nil() ? "" : states[i][1].str()},
                              states[i][0].str()});
    }
    if (srem.size() > 2) TTG_TRY(client_.command(srem));
    std::sort(out.begin(), out.end(),
              [](const ActiveJob& a, const ActiveJob& b) { return a.ref < b.ref; });
    return out;
  }

  redis::Client client_;
  QueueOptions options_;
  int registered_connection_ = -1;  // heartbeat(): the connection registered
  std::string info_sent_;           // heartbeat(): the registry entry last written
  std::string server_;
  int server_connection_ = -1;  // sweep(): the connection current_server_ is of
  std::string current_server_;
};

}  // namespace

std::unique_ptr<WorkQueue> make_redis_queue(const redis::Options& redis, QueueOptions options) {
  return std::make_unique<RedisStreamQueue>(redis, std::move(options));
}

JobStore::JobStore(const redis::Options& redis) : client_(redis) {}

Result<SubmitReport> JobStore::submit(const std::string& name, const JobSpec& spec,
                                      const SubmitOptions& options) {
  TTG_TRY(validate_job_name(name));
  TTG_TRY(spec.validate());
  if (options.retain_ms < 0) {
    return make_error(ErrorCode::kInvalidArgument, "retention must not be negative");
  }
  auto started = std::chrono::steady_clock::now();
  JobKeys k(name);
  SubmitReport report;
  if (options.force) {
    TTG_TRY_ASSIGN(Reply exists, client_.command({"EXISTS", k.meta}));
    if (exists.integer() > 0) report.outcome = SubmitOutcome::kReplaced;
    TTG_TRY(remove(name));
  }
  const int64_t total = spec.total_chunks();
  JobRef ref{name, generate_run_id()};
  TTG_TRY_ASSIGN(
      Reply created,
      scripts::run(client_, scripts::create(name, ref.run,
                                            {"name", name, "spec", spec.to_json().dump(),
                                             "total_chunks", std::to_string(total), "total_params",
                                             std::to_string(spec.total_params), "chunk_size",
                                             std::to_string(spec.chunk_size), "max_attempts",
                                             std::to_string(spec.max_attempts), "retain_ms",
                                             std::to_string(options.retain_ms)})));
  if (!created.is_array() || created.size() < 3) {
    return make_error(ErrorCode::kProtocol, "create: unexpected reply " + created.debug_string());
  }
  int64_t next = 0;
  std::string created_at;
  if (created[0].integer() == 0) {
    // The name is taken. The same spec continues or is left alone; another
    // spec is refused, naming what differs, with nothing written.
    const std::string stored_text = created[1].str();
    const std::string state = created[2].str();
    ref.run = created.size() > 3 ? created[3].str() : "";
    nlohmann::json j = nlohmann::json::parse(stored_text, nullptr, false);
    auto stored = j.is_discarded() ? Result<JobSpec>(make_error(ErrorCode::kProtocol, "not JSON"))
                                   : JobSpec::from_json(j);
    std::vector<std::string> diff =
        stored ? spec_differences(*stored, spec)
               : std::vector<std::string>{"spec: the stored one cannot be read (" +
                                          stored.error().message + ")"};
    if (!diff.empty()) {
      std::string msg = "job '" + name + "' exists (" + state + ") with a different spec: ";
      for (size_t i = 0; i < diff.size(); ++i) msg += (i ? "; " : "") + diff[i];
      msg += ". Nothing was changed; use another --job name, or --force to replace it";
      return make_error(ErrorCode::kAlreadyExists, msg);
    }
    report.run = ref.run;
    if (state != "submitting") {
      report.outcome = SubmitOutcome::kExists;
      return report;
    }
    // A submission cut short: continue after the last entry written. Entry
    // IDs name chunks, so the stream's last ID says where to go on.
    TTG_TRY_ASSIGN(Reply last, client_.command({"XREVRANGE", k.tasks, "+", "-", "COUNT", "1"}));
    if (last.size() == 1) {
      auto c = chunk_of_entry_id(last[0][0].str(), total);
      next = c ? *c + 1 : 0;
    }
    TTG_TRY_ASSIGN(Reply created_ms, client_.command({"HGET", k.meta, "created_ms"}));
    created_at = iso8601(util::parse_int(created_ms.str()).value_or(0));
    report.outcome = SubmitOutcome::kResumed;
  } else {
    created_at = created[2].str();
    TTG_TRY(client_.pipeline({{"ZADD", kRegistryKey, std::to_string(created[1].integer()), name},
                              {"SADD", kActiveKey, name}}));
  }
  report.run = ref.run;
  TTG_TRY(client_.command({"SADD", kActiveKey, name}));
  const int64_t batch = std::max(1, options.batch);
  // Lua numbers are doubles: exact for indices below 2^53. Larger spaces
  // send every entry from here.
  const bool server_side = spec.total_params < (int64_t{1} << 53);
  std::vector<scripts::Call> calls;
  std::vector<redis::Command> cmds;
  const int64_t per_round_trip = server_side ? batch * 8 : batch;
  for (int64_t c = next; c < total; c += per_round_trip) {
    int64_t end = std::min(total, c + per_round_trip);
    std::vector<Reply> replies;
    if (server_side) {
      calls.clear();
      for (int64_t i = c; i < end; i = std::min(end, i + batch)) {
        calls.push_back(scripts::add_tasks(name, created_at, spec, i, std::min(end, i + batch)));
      }
      TTG_TRY_ASSIGN(replies, run_pipelined(client_, calls));
    } else {
      cmds.clear();
      for (int64_t i = c; i < end; ++i) {
        redis::Command cmd{"XADD", k.tasks, entry_id_for_chunk(i)};
        auto fields = task_fields(name, spec, i, created_at);
        cmd.insert(cmd.end(), fields.begin(), fields.end());
        cmds.push_back(std::move(cmd));
      }
      TTG_TRY_ASSIGN(replies, client_.pipeline(cmds));
    }
    for (const auto& r : replies) {
      if (r.is_error()) {
        return tl::unexpected(
            redis::classify_error_reply(r.str()).with_context("adding tasks to " + k.tasks));
      }
    }
    report.chunks_written += end - c;
  }
  TTG_TRY(scripts::run(client_, scripts::finish_submit(ref)));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<std::vector<std::string>> JobStore::list() {
  TTG_TRY_ASSIGN(Reply names, client_.command({"ZRANGE", kRegistryKey, "0", "-1"}));
  std::vector<std::string> out;
  for (const auto& n : names.elements()) out.push_back(n.str());
  return out;
}

Result<JobStatus> JobStore::status(const std::string& name) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(auto replies, client_.pipeline({{"HGETALL", k.meta},
                                                 {"XPENDING", k.tasks, kGroup},
                                                 {"XLEN", k.results},
                                                 {"XLEN", k.dead},
                                                 {"HGETALL", k.refused}}));
  if (replies[0].size() == 0) {
    return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  }
  std::map<std::string, std::string> m;
  for (auto& [f, v] : field_pairs(replies[0])) m[f] = v;
  JobStatus s;
  s.name = name;
  nlohmann::json j = nlohmann::json::parse(m["spec"], nullptr, false);
  auto spec = JobSpec::from_json(j);
  if (!spec) return tl::unexpected(spec.error().with_context("job '" + name + "'"));
  s.spec = *spec;
  s.state = parse_job_state(m["state"]).value_or(JobState::kPending);
  s.total_chunks = field_int(m, "total_chunks");
  s.done = field_int(m, "done");
  s.dead = field_int(m, "dead");
  s.duplicates = field_int(m, "duplicates");
  s.takeovers = field_int(m, "takeovers");
  s.speculated = field_int(m, "speculated");
  s.speculative_wins = field_int(m, "speculative_wins");
  s.retries = field_int(m, "retries");
  s.released = field_int(m, "released");
  s.malformed = field_int(m, "malformed");
  s.retried = field_int(m, "retried");
  s.created_ms = field_int(m, "created_ms");
  s.first_claim_ms = field_int(m, "first_claim_ms");
  s.finished_ms = field_int(m, "finished_ms");
  s.expires_ms = field_int(m, "expires_ms");
  s.run = m["run"];
  for (auto& [f, v] : field_pairs(replies[4])) s.refused[f] = v;
  // XPENDING summary: [count, min, max, [[consumer, count], ...]]; an error
  // reply (no group) leaves in_flight empty.
  const Reply& p = replies[1];
  if (p.is_array() && p.size() == 4 && p[3].is_array()) {
    for (const auto& c : p[3].elements()) {
      if (c.size() == 2) s.in_flight[c[0].str()] = c[1].as_int().value_or(0);
    }
  }
  s.results_len = replies[2].integer();
  s.dead_len = replies[3].integer();
  return s;
}

Status JobStore::for_each_result(const std::string& name,
                                 const std::function<void(const ResultRecord&)>& sink) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply exists, client_.command({"EXISTS", k.meta}));
  if (exists.integer() == 0) {
    return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  }
  std::string start = "-";
  for (;;) {
    TTG_TRY_ASSIGN(Reply batch,
                   client_.command({"XRANGE", k.results, start, "+", "COUNT", "1000"}));
    if (batch.size() == 0) return {};
    for (const auto& rec : records(batch)) sink(rec);
    start = "(" + batch[batch.size() - 1][0].str();
  }
}

Result<std::vector<ResultRecord>> JobStore::results_after(const std::string& name,
                                                          const std::string& after, int count) {
  JobKeys k(name);
  std::string start = after == "-" || after.empty() ? "-" : "(" + after;
  TTG_TRY_ASSIGN(Reply batch, client_.command({"XRANGE", k.results, start, "+", "COUNT",
                                               std::to_string(count)}));
  return records(batch);
}

Result<std::vector<JobStore::InFlightChunk>> JobStore::in_flight_chunks(
    const std::string& name, int64_t total_chunks, int count, const std::string& consumer) {
  JobKeys k(name);
  redis::Command cmd{"XPENDING", k.tasks, kGroup, "-", "+", std::to_string(count)};
  if (!consumer.empty()) cmd.push_back(consumer);
  auto pending = client_.command(cmd);
  // No group (a job being submitted, or removed): nothing in flight.
  if (!pending && pending.error().code == ErrorCode::kNoGroup) return std::vector<InFlightChunk>{};
  if (!pending) return tl::unexpected(pending.error());
  std::vector<InFlightChunk> out;
  for (const auto& e : pending->elements()) {
    if (e.size() < 4) continue;
    auto c = chunk_of_entry_id(e[0].str(), total_chunks);
    if (!c) continue;
    out.push_back(InFlightChunk{*c, e[1].str(), e[2].integer(), e[3].integer()});
  }
  return out;
}

Result<JobStore::JobList> JobStore::list_newest(int64_t count) {
  TTG_TRY_ASSIGN(auto r, client_.pipeline({{"ZRANGE", kRegistryKey, "0",
                                            std::to_string(std::max<int64_t>(count, 1) - 1), "REV"},
                                           {"ZCARD", kRegistryKey}}));
  for (const auto& reply : r) {
    if (reply.is_error()) return tl::unexpected(redis::classify_error_reply(reply.str()));
  }
  JobList out;
  for (const auto& n : r[0].elements()) out.names.push_back(n.str());
  out.registered = r[1].integer();
  return out;
}

Result<int64_t> JobStore::time_ms() {
  TTG_TRY_ASSIGN(Reply t, client_.command({"TIME"}));
  if (t.size() != 2) return make_error(ErrorCode::kProtocol, "TIME: unexpected reply");
  return util::parse_int(t[0].str()).value_or(0) * 1000 +
         util::parse_int(t[1].str()).value_or(0) / 1000;
}

Result<std::optional<int64_t>> JobStore::group_lag(const std::string& name) {
  auto groups = client_.command({"XINFO", "GROUPS", JobKeys(name).tasks});
  // No stream (a job being submitted, or removed): no group, no lag.
  if (!groups && (groups.error().code == ErrorCode::kNoGroup ||
                  groups.error().code == ErrorCode::kRedisReply)) {
    return std::optional<int64_t>{};
  }
  if (!groups) return tl::unexpected(groups.error());
  for (const auto& g : groups->elements()) {
    bool ours = false;
    std::optional<int64_t> lag;
    for (size_t i = 0; i + 1 < g.size(); i += 2) {
      if (g[i].str() == "name") ours = g[i + 1].str() == kGroup;
      if (g[i].str() == "lag") lag = g[i + 1].as_int();
    }
    if (ours) return lag;
  }
  return std::optional<int64_t>{};
}

Result<std::vector<JobStore::RegisteredWorker>> JobStore::workers() {
  TTG_TRY_ASSIGN(Workers w, registry());
  return std::move(w.workers);
}

Result<JobStore::Workers> JobStore::registry() { return read_registry(client_); }

LiveSlots live_slots(const std::vector<JobStore::RegisteredWorker>& workers, std::string_view job,
                     int64_t max_heartbeat_age_ms) {
  LiveSlots out;
  for (const auto& w : workers) {
    if (!w.job.empty() && w.job != job) continue;
    if (w.state == WorkerInfo::kDraining) continue;
    if (w.heartbeat_age_ms > max_heartbeat_age_ms) continue;
    out.slots += std::max(w.slots, 0);
    out.workers += 1;
  }
  return out;
}

Result<std::vector<ResultRecord>> JobStore::dead_letters(const std::string& name) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply all, client_.command({"XRANGE", k.dead, "-", "+"}));
  return records(all);
}

Result<std::vector<ResultRecord>> JobStore::dead_letters(const std::string& name, int count) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply some, client_.command({"XRANGE", k.dead, "-", "+", "COUNT",
                                              std::to_string(std::max(count, 1))}));
  return records(some);
}

std::string_view retry_refusal_text(RetryRefusal why) {
  switch (why) {
    case RetryRefusal::kNoSuchChunk:
      return "no such chunk";
    case RetryRefusal::kCancelled:
      return "the job is cancelled";
    case RetryRefusal::kNotDead:
      return "not dead (queued or being computed)";
    case RetryRefusal::kDone:
      return "not dead (it has a result)";
    case RetryRefusal::kNoDeadEntry:
      return "its dead-letter entry was deleted";
    case RetryRefusal::kMalformed:
      return "its entry is malformed: it would be dead again";
    case RetryRefusal::kDeleted:
      return "its entry was deleted from the stream: nothing to compute";
  }
  return "";
}

Result<RetryReport> JobStore::retry(const std::string& name,
                                    const std::optional<std::vector<int64_t>>& chunks) {
  TTG_TRY(validate_job_name(name));
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply run, client_.command({"HGET", k.meta, "run"}));
  if (run.is_nil()) return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  std::vector<int64_t> wanted;
  if (chunks) {
    wanted = *chunks;
  } else {
    TTG_TRY_ASSIGN(Reply dead, client_.command({"HKEYS", k.dead_ids}));
    for (const auto& c : dead.elements()) {
      if (auto v = util::parse_int(c.str())) wanted.push_back(*v);
    }
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  static const std::map<std::string, RetryRefusal> kReasons = {
      {"no_such_chunk", RetryRefusal::kNoSuchChunk},
      {"cancelled", RetryRefusal::kCancelled},
      {"not_dead", RetryRefusal::kNotDead},
      {"done", RetryRefusal::kDone},
      {"no_dead_entry", RetryRefusal::kNoDeadEntry},
      {"malformed", RetryRefusal::kMalformed},
      {"deleted", RetryRefusal::kDeleted}};
  RetryReport report;
  const JobRef ref{name, run.str()};
  constexpr size_t kPerCall = 1000;
  for (size_t i = 0; i < wanted.size(); i += kPerCall) {
    std::vector<int64_t> part(
        wanted.begin() + static_cast<std::ptrdiff_t>(i),
        wanted.begin() + static_cast<std::ptrdiff_t>(std::min(wanted.size(), i + kPerCall)));
    auto r = scripts::run(client_, scripts::retry(ref, part));
    if (!r && r.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
    }
    if (!r) return tl::unexpected(r.error().with_context("retry"));
    if (!r->is_array() || r->size() != 2 || !(*r)[1].is_array() || (*r)[1].size() != part.size()) {
      return make_error(ErrorCode::kProtocol, "retry: unexpected reply " + r->debug_string());
    }
    if ((*r)[0].as_int().value_or(0) == 1) report.reopened = true;
    for (size_t j = 0; j < part.size(); ++j) {
      const std::string what = (*r)[1][j].str();
      if (what == "retried") {
        report.retried.push_back(part[j]);
        continue;
      }
      auto it = kReasons.find(what);
      if (it == kReasons.end()) {
        return make_error(ErrorCode::kProtocol, "retry: unknown answer '" + what + "'");
      }
      report.refused.emplace_back(part[j], it->second);
    }
  }
  return report;
}

Result<std::vector<ResultRecord>> JobStore::events(const std::string& name,
                                                   const std::string& after, int count) {
  JobKeys k(name);
  std::string start = after == "-" || after.empty() ? "-" : "(" + after;
  TTG_TRY_ASSIGN(Reply all,
                 client_.command({"XRANGE", k.events, start, "+", "COUNT", std::to_string(count)}));
  return records(all);
}

Result<std::vector<ResultRecord>> JobStore::recent_events(const std::string& name, int count) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply newest, client_.command({"XREVRANGE", k.events, "+", "-", "COUNT",
                                                std::to_string(std::max(count, 1))}));
  auto out = records(newest);
  std::reverse(out.begin(), out.end());
  return out;
}

Result<CancelOutcome> JobStore::cancel(const std::string& name) {
  TTG_TRY(validate_job_name(name));
  auto r = scripts::run(client_, scripts::cancel(name));
  if (!r && r.error().code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  }
  if (!r) return tl::unexpected(r.error());
  if (r->str() == "complete") return CancelOutcome::kWasComplete;
  if (r->str() == "was_cancelled") return CancelOutcome::kWasCancelled;
  return CancelOutcome::kCancelled;
}

Status JobStore::remove(const std::string& name) {
  JobKeys k(name);
  redis::Command del{"DEL"};
  for (auto& key : k.all()) del.push_back(key);
  TTG_TRY(client_.pipeline({del, {"ZREM", kRegistryKey, name}, {"SREM", kActiveKey, name}}));
  return {};
}

Result<std::vector<std::string>> JobStore::keys(const std::string& job) {
  std::vector<std::string> out;
  if (!job.empty()) {
    JobKeys k(job);
    std::vector<redis::Command> cmds;
    auto all = k.all();
    for (const auto& key : all) cmds.push_back({"EXISTS", key});
    TTG_TRY_ASSIGN(auto replies, client_.pipeline(cmds));
    for (size_t i = 0; i < all.size(); ++i) {
      if (replies[i].integer() > 0) out.push_back(all[i]);
    }
    return out;
  }
  std::string cursor = "0";
  // SCAN visits every key present for the whole iteration; bounded by the
  // cursor coming back to 0.
  do {
    TTG_TRY_ASSIGN(Reply r, client_.command({"SCAN", cursor, "MATCH", std::string(kKeyPrefix) + "*",
                                             "COUNT", "1000"}));
    if (!r.is_array() || r.size() != 2) return make_error(ErrorCode::kProtocol, "SCAN: bad reply");
    cursor = r[0].str();
    for (const auto& key : r[1].elements()) out.push_back(key.str());
  } while (cursor != "0");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<int64_t> JobStore::delete_keys(const std::vector<std::string>& keys) {
  int64_t deleted = 0;
  std::vector<redis::Command> cmds;
  std::set<std::string> jobs;
  for (size_t i = 0; i < keys.size(); i += 500) {
    redis::Command unlink{"UNLINK"};
    for (size_t j = i; j < std::min(keys.size(), i + 500); ++j) {
      if (!util::starts_with(keys[j], kKeyPrefix)) continue;  // never anyone else's
      unlink.push_back(keys[j]);
      // "ttg:{NAME}:..." belongs to job NAME.
      auto open = keys[j].find('{');
      auto close = keys[j].find('}');
      if (open != std::string::npos && close != std::string::npos && close > open) {
        jobs.insert(keys[j].substr(open + 1, close - open - 1));
      }
    }
    if (unlink.size() > 1) cmds.push_back(std::move(unlink));
  }
  for (const auto& job : jobs) {
    cmds.push_back({"ZREM", kRegistryKey, job});
    cmds.push_back({"SREM", kActiveKey, job});
  }
  if (cmds.empty()) return 0;
  TTG_TRY_ASSIGN(auto replies, client_.pipeline(cmds));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error()) return tl::unexpected(redis::classify_error_reply(replies[i].str()));
    if (cmds[i][0] == "UNLINK") deleted += replies[i].integer();
  }
  return deleted;
}

Result<JobStore::RecoverReport> JobStore::recover(int64_t lease_ms) {
  RecoverReport report;
  TTG_TRY_ASSIGN(Reply info, client_.command({"INFO", "persistence"}));
  report.persistent = info.str().find("aof_enabled:1") != std::string::npos;
  report.lines.push_back(report.persistent
                             ? "redis: reachable, append-only file enabled"
                             : "redis: reachable, no append-only file: a restart of Redis loses "
                               "acknowledged work");
  TTG_TRY_ASSIGN(auto names, list());
  for (const auto& name : names) {
    JobKeys k(name);
    TTG_TRY_ASSIGN(Reply exists, client_.command({"EXISTS", k.meta}));
    if (exists.integer() == 0) {
      ++report.jobs_missing;
      report.lines.push_back("job " + name + ": its keys are gone (Redis lost its data?)");
      continue;
    }
    auto consumers = client_.command({"XINFO", "CONSUMERS", k.tasks, kGroup});
    if (!consumers && (consumers.error().code == ErrorCode::kNoGroup ||
                       consumers.error().code == ErrorCode::kRedisReply)) {
      // The group is missing: recreate it from the start of the stream.
      // Entries of finished chunks are skipped by claim (their done bit).
      TTG_TRY(client_.command({"XGROUP", "CREATE", k.tasks, kGroup, "0", "MKSTREAM"}));
      ++report.groups_created;
      report.lines.push_back("job " + name + ": recreated consumer group " + kGroup);
      continue;
    }
    if (!consumers) return tl::unexpected(consumers.error());
    for (const auto& c : consumers->elements()) {
      std::map<std::string, std::string> f;
      for (auto& [key, v] : field_pairs(c)) f[key] = v;
      // XINFO CONSUMERS gives integers as integer replies; field_pairs()
      // keeps their text empty, so read them from the reply directly.
      int64_t pending = 0, idle = 0;
      for (size_t i = 0; i + 1 < c.size(); i += 2) {
        if (c[i].str() == "pending") pending = c[i + 1].as_int().value_or(0);
        if (c[i].str() == "idle") idle = c[i + 1].as_int().value_or(0);
      }
      const std::string& consumer = f["name"];
      if (idle < lease_ms || consumer == kHandedBack) continue;
      if (pending > 0) {
        TTG_TRY_ASSIGN(Reply run, client_.command({"HGET", k.meta, "run"}));
        JobRef ref{name, run.is_nil() ? "" : run.str()};
        TTG_TRY_ASSIGN(Reply n,
                       scripts::run(client_, scripts::hand_over(
                                                 ref, scripts::HandOver::kRecover, consumer, 0,
                                                 static_cast<int>(pending), "ttg recover", {})));
        report.chunks_handed_back += n.integer();
        report.lines.push_back("job " + name + ": handed back " + std::to_string(n.integer()) +
                               " chunks of gone consumer " + consumer + " (idle " +
                               std::to_string(idle / 1000) + " s)");
      }
      TTG_TRY_ASSIGN(Reply gone, scripts::run(client_, scripts::retire(name, consumer)));
      if (gone.as_int().value_or(0) == 1) {
        ++report.consumers_deleted;
        report.lines.push_back("job " + name + ": deleted consumer " + consumer +
                               " (no pending chunks)");
      }
    }
  }
  return report;
}

}  // namespace ttg::queue
