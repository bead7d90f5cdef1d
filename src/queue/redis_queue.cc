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
  TTG_TRY_ASSIGN(Reply r, client.command({"HMGET", k.meta, "spec", "state"}));
  if (!r.is_array() || r.size() != 2 || r[0].is_nil()) {
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
  return JobView{name, std::move(*spec), *state};
}

// Loads `script` into the server's cache once (SCRIPT LOAD), so its SHA1
// can be used in pipelined EVALSHA calls.
Status load(redis::Client& client, const redis::Script& script) {
  TTG_TRY_ASSIGN(Reply sha, client.command({"SCRIPT", "LOAD", script.body()}));
  script.set_sha(sha.str());
  return {};
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

class RedisStreamQueue final : public WorkQueue {
 public:
  RedisStreamQueue(const redis::Options& redis, QueueOptions options)
      : client_(redis), options_(std::move(options)) {
    if (options_.worker_id.empty()) options_.worker_id = options_.consumer;
  }

  Result<std::vector<std::string>> active_jobs() override {
    TTG_TRY_ASSIGN(Reply names, client_.command({"ZRANGE", kRegistryKey, "0", "-1"}));
    std::vector<std::string> out;
    if (names.size() == 0) return out;
    std::vector<redis::Command> cmds;
    for (const auto& n : names.elements()) cmds.push_back({"HGET", JobKeys(n.str()).meta, "state"});
    TTG_TRY_ASSIGN(auto states, client_.pipeline(cmds));
    for (size_t i = 0; i < states.size(); ++i) {
      const auto& s = states[i].str();
      if (s == "submitting" || s == "pending" || s == "running") out.push_back(names[i].str());
    }
    return out;
  }

  Result<JobView> job(const std::string& name) override {
    TTG_TRY_ASSIGN(JobView view, read_job(client_, name));
    specs_[name] = view.spec;
    return view;
  }

  Result<std::vector<Chunk>> claim(const std::string& job, int max) override {
    TTG_TRY_ASSIGN(const JobSpec* spec, spec_of(job));
    JobKeys k(job);
    TTG_TRY_ASSIGN(Reply r,
                   client_.eval(scripts::claim(), {k.tasks, k.meta, k.attempts, k.done, k.released},
                                {kGroup, options_.consumer, std::to_string(max),
                                 std::to_string(options_.lease_ms)}));
    std::vector<Chunk> out;
    for (const auto& e : r.elements()) {
      if (e.size() < 3) return make_error(ErrorCode::kProtocol, "claim: bad reply");
      out.push_back(
          decode_task(job, *spec, e[0].str(), e[1], static_cast<int>(e[2].as_int().value_or(0))));
    }
    return out;
  }

  Result<std::vector<Chunk>> reclaim(const std::string& job, int max,
                                     const std::vector<std::string>& held) override {
    TTG_TRY_ASSIGN(const JobSpec* spec, spec_of(job));
    JobKeys k(job);
    std::vector<std::string> args{kGroup, options_.consumer, std::to_string(options_.lease_ms),
                                  std::to_string(max), options_.worker_id};
    args.insert(args.end(), held.begin(), held.end());
    TTG_TRY_ASSIGN(
        Reply r,
        client_.eval(scripts::reclaim(),
                     {k.tasks, k.meta, k.attempts, k.done, k.dead, k.events, k.errors}, args));
    std::vector<Chunk> out;
    for (const auto& e : r.elements()) {
      if (e.size() < 5) return make_error(ErrorCode::kProtocol, "reclaim: bad reply");
      Chunk c =
          decode_task(job, *spec, e[0].str(), e[1], static_cast<int>(e[2].as_int().value_or(0)));
      c.previous_owner = e[3].str();
      c.idle_ms = e[4].as_int().value_or(0);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<std::string>> renew(const std::string& job,
                                         const std::vector<std::string>& ids) override {
    std::vector<std::string> args{kGroup, options_.consumer};
    args.insert(args.end(), ids.begin(), ids.end());
    TTG_TRY_ASSIGN(Reply r, client_.eval(scripts::renew(), {JobKeys(job).tasks}, args));
    std::vector<std::string> lost;
    for (const auto& e : r.elements()) lost.push_back(e.str());
    return lost;
  }

  Result<std::vector<CommitOutcome>> commit(const std::vector<Completion>& completions) override {
    std::vector<CommitOutcome> out(completions.size(), CommitOutcome::kDuplicate);
    if (completions.empty()) return out;
    if (scripts::commit().sha().empty()) TTG_TRY(load(client_, scripts::commit()));
    // One script call per job and batch (a script blocks Redis while it runs,
    // so batches stay small); all calls in one round trip.
    constexpr size_t kBatch = 128;
    struct Call {
      std::vector<std::string> keys, args;
      std::vector<size_t> index;  // into completions
    };
    std::vector<Call> calls;
    std::map<std::string, size_t> open;  // job -> calls index of its open batch
    for (size_t i = 0; i < completions.size(); ++i) {
      const auto& c = completions[i];
      auto it = open.find(c.chunk.job);
      if (it == open.end() || calls[it->second].index.size() >= kBatch) {
        JobKeys k(c.chunk.job);
        calls.push_back(
            Call{{k.tasks, k.meta, k.results, k.done, k.events}, {kGroup, options_.worker_id}, {}});
        open[c.chunk.job] = calls.size() - 1;
        it = open.find(c.chunk.job);
      }
      Call& call = calls[it->second];
      char duration[32];
      std::snprintf(duration, sizeof duration, "%.6f", c.duration_seconds);
      for (std::string v :
           {c.chunk.entry_id, std::to_string(c.chunk.chunk), std::to_string(c.chunk.attempt),
            std::string(duration), c.completed_at, c.result_data}) {
        call.args.push_back(std::move(v));
      }
      call.index.push_back(i);
    }
    std::vector<redis::Command> cmds;
    for (const auto& call : calls) {
      cmds.push_back(redis::Connection::evalsha_command(scripts::commit(), call.keys, call.args));
    }
    TTG_TRY_ASSIGN(auto replies, client_.pipeline(cmds));
    for (size_t j = 0; j < replies.size(); ++j) {
      Reply r = replies[j];
      if (r.is_error()) {
        Error e = redis::classify_error_reply(r.str());
        if (util::starts_with(r.str(), "NOJOB")) {
          return make_error(ErrorCode::kNotFound, "commit: job '" +
                                                      completions[calls[j].index[0]].chunk.job +
                                                      "' does not exist any more");
        }
        if (e.code != ErrorCode::kNoScript) return tl::unexpected(e.with_context("commit"));
        // The script cache was lost (Redis restarted): eval() reloads it. A
        // commit is idempotent, so running it again is safe.
        TTG_TRY_ASSIGN(r, client_.eval(scripts::commit(), calls[j].keys, calls[j].args));
      }
      if (!r.is_array() || r.size() != calls[j].index.size()) {
        return make_error(ErrorCode::kProtocol, "commit: unexpected reply " + r.debug_string());
      }
      for (size_t k = 0; k < r.size(); ++k) {
        out[calls[j].index[k]] =
            r[k].as_int().value_or(0) == 1 ? CommitOutcome::kCommitted : CommitOutcome::kDuplicate;
      }
    }
    return out;
  }

  Result<FailOutcome> fail(const Chunk& chunk, const std::string& error) override {
    JobKeys k(chunk.job);
    TTG_TRY_ASSIGN(Reply r,
                   client_.eval(scripts::fail(),
                                {k.tasks, k.meta, k.attempts, k.done, k.dead, k.events, k.errors},
                                {kGroup, chunk.entry_id, std::to_string(chunk.chunk),
                                 options_.consumer, error, options_.worker_id}));
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
    JobKeys k(chunk.job);
    TTG_TRY(client_.eval(scripts::dead_letter(), {k.tasks, k.meta, k.done, k.dead, k.events},
                         {kGroup, chunk.entry_id, "", "malformed", reason, options_.worker_id}));
    return {};
  }

  Status release(const std::string& job, const std::vector<std::string>& ids) override {
    if (ids.empty()) return {};
    JobKeys k(job);
    int64_t idle = std::max<int64_t>(options_.lease_ms * 2, 86'400'000);
    std::vector<std::string> args{kGroup, options_.consumer, std::to_string(idle), "1"};
    args.insert(args.end(), ids.begin(), ids.end());
    TTG_TRY(client_.eval(scripts::release(), {k.tasks, k.meta, k.attempts, k.released, k.events},
                         args));
    return {};
  }

  Result<bool> retire(const std::string& job) override {
    TTG_TRY_ASSIGN(Reply r, client_.eval(scripts::retire(), {JobKeys(job).tasks},
                                         {kGroup, options_.consumer}));
    return r.as_int().value_or(0) == 1;
  }

  const std::string& consumer() const override { return options_.consumer; }

 private:
  Result<const JobSpec*> spec_of(const std::string& job) {
    auto it = specs_.find(job);
    if (it == specs_.end()) {
      TTG_TRY(this->job(job));
      it = specs_.find(job);
    }
    return &it->second;
  }

  redis::Client client_;
  QueueOptions options_;
  std::map<std::string, JobSpec> specs_;
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
  auto started = std::chrono::steady_clock::now();
  JobKeys k(name);
  SubmitReport report;
  if (options.force) {
    TTG_TRY_ASSIGN(Reply exists, client_.command({"EXISTS", k.meta}));
    if (exists.integer() > 0) report.outcome = SubmitOutcome::kReplaced;
    TTG_TRY(remove(name));
  }
  const int64_t total = spec.total_chunks();
  TTG_TRY_ASSIGN(Reply created, client_.eval(scripts::create(), {k.meta, k.tasks},
                                             {kGroup, "name", name, "spec", spec.to_json().dump(),
                                              "total_chunks", std::to_string(total), "total_params",
                                              std::to_string(spec.total_params), "chunk_size",
                                              std::to_string(spec.chunk_size), "max_attempts",
                                              std::to_string(spec.max_attempts)}));
  int64_t next = 0;
  if (created.integer() == 0) {
    TTG_TRY_ASSIGN(Reply state, client_.command({"HGET", k.meta, "state"}));
    if (state.str() != "submitting") {
      report.outcome = SubmitOutcome::kExists;
      return report;
    }
    // A submission cut short: continue after the last entry written. Entry
    // IDs name chunks, so the stream's last ID says where to go on.
    TTG_TRY_ASSIGN(Reply last, client_.command({"XREVRANGE", k.tasks, "+", "-", "COUNT", "1"}));
    if (last.size() == 1) {
      auto ms = util::parse_int(util::split(last[0][0].str(), '-')[0]);
      next = ms.value_or(0);
    }
    report.outcome = SubmitOutcome::kResumed;
  }
  TTG_TRY(client_.command({"ZADD", kRegistryKey, "NX", std::to_string(unix_ms()), name}));
  const std::string created_at = iso8601_now();
  const int64_t batch = std::max(1, options.batch);
  // Lua numbers are doubles: exact for indices below 2^53. Larger spaces
  // send every entry from here.
  const bool server_side = spec.total_params < (int64_t{1} << 53);
  if (server_side && scripts::add_tasks().sha().empty()) {
    TTG_TRY(load(client_, scripts::add_tasks()));
  }
  std::vector<redis::Command> cmds;
  const int64_t per_round_trip = server_side ? batch * 8 : batch;
  for (int64_t c = next; c < total; c += per_round_trip) {
    cmds.clear();
    int64_t end = std::min(total, c + per_round_trip);
    for (int64_t i = c; i < end;) {
      if (server_side) {
        int64_t to = std::min(end, i + batch);
        cmds.push_back(redis::Connection::evalsha_command(
            scripts::add_tasks(), {k.tasks},
            {name, created_at, std::to_string(spec.chunk_size), std::to_string(spec.total_params),
             std::to_string(total), std::to_string(i), std::to_string(to)}));
        i = to;
      } else {
        redis::Command cmd{"XADD", k.tasks, entry_id_for_chunk(i)};
        auto fields = task_fields(name, spec, i, created_at);
        cmd.insert(cmd.end(), fields.begin(), fields.end());
        cmds.push_back(std::move(cmd));
        ++i;
      }
    }
    TTG_TRY_ASSIGN(auto replies, client_.pipeline(cmds));
    for (size_t j = 0; j < replies.size(); ++j) {
      if (!replies[j].is_error()) continue;
      if (server_side && util::starts_with(replies[j].str(), "NOSCRIPT")) {
        // The script's SHA1 was learnt from another server, or this one lost
        // its cache: the call ran nothing, and eval() loads the script and
        // runs it. (EVALSHA, SHA1, 1, key, args...)
        const redis::Command& cmd = cmds[j];
        TTG_TRY(client_.eval(scripts::add_tasks(), {cmd[3]}, {cmd.begin() + 4, cmd.end()}));
        continue;
      }
      return tl::unexpected(
          redis::classify_error_reply(replies[j].str()).with_context("adding tasks to " + k.tasks));
    }
    report.chunks_written += end - c;
  }
  TTG_TRY(client_.eval(scripts::finish_submit(), {k.meta}, {}));
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
                                                 {"XLEN", k.dead}}));
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
  s.retries = field_int(m, "retries");
  s.released = field_int(m, "released");
  s.malformed = field_int(m, "malformed");
  s.created_ms = field_int(m, "created_ms");
  s.first_claim_ms = field_int(m, "first_claim_ms");
  s.finished_ms = field_int(m, "finished_ms");
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

Result<std::vector<ResultRecord>> JobStore::dead_letters(const std::string& name) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply all, client_.command({"XRANGE", k.dead, "-", "+"}));
  return records(all);
}

Result<std::vector<ResultRecord>> JobStore::events(const std::string& name,
                                                   const std::string& after, int count) {
  JobKeys k(name);
  std::string start = after == "-" || after.empty() ? "-" : "(" + after;
  TTG_TRY_ASSIGN(Reply all,
                 client_.command({"XRANGE", k.events, start, "+", "COUNT", std::to_string(count)}));
  return records(all);
}

Status JobStore::cancel(const std::string& name) {
  JobKeys k(name);
  TTG_TRY_ASSIGN(Reply exists, client_.command({"EXISTS", k.meta}));
  if (exists.integer() == 0) {
    return make_error(ErrorCode::kNotFound, "job '" + name + "' does not exist");
  }
  TTG_TRY(client_.command(
      {"HSET", k.meta, "state", "cancelled", "finished_ms", std::to_string(unix_ms())}));
  return {};
}

Status JobStore::remove(const std::string& name) {
  JobKeys k(name);
  redis::Command del{"DEL"};
  for (auto& key : k.all()) del.push_back(key);
  TTG_TRY(client_.pipeline({del, {"ZREM", kRegistryKey, name}}));
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
  for (const auto& job : jobs) cmds.push_back({"ZREM", kRegistryKey, job});
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
      if (idle < lease_ms) continue;
      if (pending > 0) {
        TTG_TRY_ASSIGN(Reply ids, client_.command({"XPENDING", k.tasks, kGroup, "-", "+",
                                                   std::to_string(pending), consumer}));
        std::vector<std::string> args{
            kGroup, consumer, std::to_string(std::max<int64_t>(lease_ms * 2, 86'400'000)), "0"};
        for (const auto& e : ids.elements()) args.push_back(e[0].str());
        TTG_TRY_ASSIGN(Reply n,
                       client_.eval(scripts::release(),
                                    {k.tasks, k.meta, k.attempts, k.released, k.events}, args));
        report.chunks_handed_back += n.integer();
        report.lines.push_back("job " + name + ": handed back " + std::to_string(n.integer()) +
                               " chunks of gone consumer " + consumer + " (idle " +
                               std::to_string(idle / 1000) + " s)");
      }
      TTG_TRY_ASSIGN(Reply gone, client_.eval(scripts::retire(), {k.tasks}, {kGroup, consumer}));
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
