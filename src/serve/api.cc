#include "serve/api.h"

#include <algorithm>

namespace ttg::serve {

namespace {

using nlohmann::json;

double seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

json job_summary(const JobSnapshot& j) {
  const auto& s = j.status;
  return {{"name", s.name},
          {"state", std::string(job_state_name(s.state))},
          {"kernel", s.spec.kernel},
          {"total", s.total_chunks},
          {"done", s.done},
          {"dead", s.dead},
          {"in_flight", j.in_flight},
          {"pending", j.pending},
          {"lag", j.lag},
          {"rate", j.rate.value_or(0.0)},
          {"eta_s", j.eta_s ? json(*j.eta_s) : json(nullptr)},
          {"oldest_in_flight_s", seconds(j.oldest_in_flight_ms)},
          {"takeovers", s.takeovers},
          {"speculated", s.speculated},
          {"speculative_wins", s.speculative_wins},
          {"duplicates", s.duplicates},
          {"retries", s.retries},
          {"created_ms", s.created_ms},
          {"first_claim_ms", s.first_claim_ms},
          {"finished_ms", s.finished_ms}};
}

std::string worker_state(const queue::JobStore::RegisteredWorker& w) {
  if (!alive(w)) return "gone";
  return w.state.empty() ? std::string(queue::WorkerInfo::kRunning) : w.state;
}

json worker_json(const queue::JobStore::RegisteredWorker& w) {
  json chunks = json::array();
  for (const auto& h : w.chunks) {
    chunks.push_back({{"job", h.job},
                      {"chunk", h.chunk},
                      {"age_s", h.age_ms >= 0 ? json(seconds(h.age_ms)) : json(nullptr)}});
  }
  return {{"name", w.name},
          {"host", w.host},
          {"pid", w.pid},
          {"slots", w.slots},
          {"busy", w.busy},
          {"job", w.job},
          {"state", worker_state(w)},
          {"chunks", std::move(chunks)},
          {"committed", w.committed},
          {"heartbeat_age_s",
           w.heartbeat_age_ms >= 0 ? json(seconds(w.heartbeat_age_ms)) : json(nullptr)}};
}

// "1767000000123-0" -> 1767000000123.
int64_t entry_ms(const std::string& id) {
  int64_t ms = 0;
  for (char ch : id) {
    if (ch < '0' || ch > '9') break;
    ms = ms * 10 + (ch - '0');
  }
  return ms;
}

json event_json(const queue::ResultRecord& e) {
  json out = {{"id", e.entry_id}, {"at_ms", entry_ms(e.entry_id)}};
  for (const auto& [k, v] : e.fields) {
    if (k != "id" && k != "at_ms") out[k] = v;
  }
  if (!out.contains("type")) out["type"] = "";
  return out;
}

std::string field(const queue::ResultRecord& r, const std::string& name) {
  auto it = r.fields.find(name);
  return it == r.fields.end() ? std::string() : it->second;
}

json int_or_text(const std::string& text) {
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      text.size() < 19) {
    return std::stoll(text);
  }
  return text.empty() ? json(nullptr) : json(text);
}

}  // namespace

json jobs_json(const Snapshot& s) {
  json jobs = json::array();
  for (const auto& j : s.jobs) jobs.push_back(job_summary(j));
  json workers = json::array();
  for (const auto& w : s.workers) workers.push_back(worker_json(w));
  return {
      {"redis_time_ms", s.redis_time_ms},
      {"redis_up", s.redis_up},
      {"polled", s.polled},
      {"error", s.error.empty() ? json(nullptr) : json(s.error)},
      {"refresh_ms", s.refresh_ms},
      {"jobs_registered", s.jobs_registered},
      {"jobs", std::move(jobs)},
      {"totals",
       {{"pending", s.pending}, {"in_flight", s.in_flight}, {"backlog", s.pending + s.in_flight}}},
      {"workers", std::move(workers)}};
}

std::optional<json> job_json(const Snapshot& s, const std::string& name) {
  const JobSnapshot* j = s.find(name);
  if (j == nullptr) return std::nullopt;
  json out = job_summary(*j);
  out["spec"] = j->status.spec.to_json();
  out["redis_up"] = s.redis_up;
  out["redis_time_ms"] = s.redis_time_ms;
  // Workers holding its chunks now, and those registered for it alone.
  json workers = json::array();
  for (const auto& w : s.workers) {
    const bool holds = j->status.in_flight.count(w.name) > 0 && j->status.in_flight.at(w.name) > 0;
    if (holds || w.job == name) workers.push_back(worker_json(w));
  }
  out["workers"] = std::move(workers);
  json in_flight = json::array();
  for (const auto& c : j->chunks) {
    in_flight.push_back({{"chunk", c.chunk},
                         {"consumer", c.consumer},
                         {"age_s", seconds(c.age_ms)},
                         {"age_from", c.from_claim ? "claim" : "idle"},
                         {"deliveries", c.deliveries}});
  }
  out["in_flight"] = std::move(in_flight);
  // The summary's counts that the lists below replace, under their own names.
  out["in_flight_count"] = j->in_flight;
  out["dead_count"] = j->status.dead;
  json events = json::array();
  for (const auto& e : j->events) events.push_back(event_json(e));
  out["events"] = std::move(events);
  json dead = json::array();
  for (const auto& d : j->dead) {
    dead.push_back({{"chunk", int_or_text(field(d, "chunk_id"))},
                    {"reason", field(d, "reason")},
                    {"last_error", field(d, "last_error")},
                    {"attempts", int_or_text(field(d, "attempts"))},
                    {"worker", field(d, "worker_id")},
                    {"at_ms", int_or_text(field(d, "at"))}});
  }
  out["dead"] = std::move(dead);
  json rates = json::array();
  for (const auto& [t, r] : j->rates) rates.push_back({t, r});
  out["rates"] = std::move(rates);
  return out;
}

obs::ServeGauges gauges(const Snapshot& s, const std::string& version) {
  obs::ServeGauges g;
  g.version = version;
  g.redis_up = s.redis_up;
  g.backlog_chunks = s.pending + s.in_flight;
  g.workers_registered = static_cast<int64_t>(s.workers.size());
  g.workers_alive = s.workers_alive;
  for (const auto& j : s.jobs) {
    obs::JobGauges o;
    const auto& st = j.status;
    o.name = st.name;
    o.state = std::string(job_state_name(st.state));
    o.chunks = st.total_chunks;
    o.done = st.done;
    o.dead = st.dead;
    o.in_flight = j.in_flight;
    o.pending = j.pending;
    o.lag = j.lag;
    o.rate_chunks_per_second = j.rate.value_or(0.0);
    o.eta_seconds = j.eta_s;
    o.oldest_in_flight_seconds = seconds(j.oldest_in_flight_ms);
    o.workers = j.workers;
    o.created_timestamp_seconds = seconds(st.created_ms);
    o.takeovers = st.takeovers;
    o.speculated = st.speculated;
    o.speculative_wins = st.speculative_wins;
    o.duplicates = st.duplicates;
    o.retries = st.retries;
    o.chunks_retried = st.retried;
    g.jobs.push_back(std::move(o));
  }
  return g;
}

}  // namespace ttg::serve
