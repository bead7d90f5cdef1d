#include "serve/poller.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "queue/keys.h"

namespace ttg::serve {

// What the poller keeps of a job between refreshes (its run: a job
// submitted again under the same name starts over).
struct Poller::JobCache {
  std::string run;
  RateHistory history;
  bool have_detail = false;
  std::string fingerprint;  // of the status the details were read for
  std::string dead_fingerprint;
  std::optional<int64_t> lag;
  std::vector<queue::JobStore::InFlightChunk> pending_list;
  std::vector<queue::ResultRecord> events, dead;
};

namespace {

// What changes when anything about a finished job changes.
std::string fingerprint(const queue::JobStatus& s) {
  std::string f = s.run + " " + std::string(job_state_name(s.state));
  for (int64_t v : {s.done, s.dead, s.duplicates, s.takeovers, s.retries, s.released, s.malformed,
                    s.retried, s.results_len, s.dead_len, s.finished_ms}) {
    f += " " + std::to_string(v);
  }
  for (const auto& [c, n] : s.in_flight) f += " " + c + "=" + std::to_string(n);
  return f;
}

std::string dead_fingerprint(const queue::JobStatus& s) {
  return s.run + " " + std::to_string(s.dead) + " " + std::to_string(s.dead_len) + " " +
         std::to_string(s.retried) + " " + std::to_string(s.malformed);
}

}  // namespace

Poller::Poller(PollerOptions options)
    : options_(std::move(options)),
      store_(options_.redis),
      snapshot_(std::make_shared<const Snapshot>()) {
  options_.refresh_ms = std::max<int64_t>(options_.refresh_ms, 1);
  options_.max_jobs = std::max<int64_t>(options_.max_jobs, 1);
}

Poller::~Poller() { stop(); }

void Poller::start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Poller::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const Snapshot> Poller::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

void Poller::publish(std::shared_ptr<const Snapshot> s) {
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(s);
}

void Poller::run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    refresh();
    next += std::chrono::milliseconds(options_.refresh_ms);
    // A refresh slower than the interval is followed at once by the next,
    // without making up for the ones it missed.
    next = std::max(next, std::chrono::steady_clock::now());
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, next, [&] { return stopping_; })) return;
  }
}

void Poller::refresh() {
  auto next = std::make_shared<Snapshot>();
  next->polled = true;
  next->refresh_ms = options_.refresh_ms;
  if (auto st = read(*next); !st) {
    // The last snapshot that reached Redis stays, marked as old.
    auto last = snapshot();
    auto kept = std::make_shared<Snapshot>(*last);
    kept->polled = true;
    kept->refresh_ms = options_.refresh_ms;
    kept->redis_up = false;
    kept->error = st.error().message;
    publish(std::move(kept));
    return;
  }
  next->redis_up = true;
  publish(std::move(next));
}

Status Poller::read(Snapshot& next) {
  TTG_TRY_ASSIGN(auto list, store_.list_newest(options_.max_jobs));
  TTG_TRY_ASSIGN(auto registry, store_.registry());
  next.redis_time_ms = registry.now_ms;
  next.jobs_registered = list.registered;
  for (const auto& w : registry.workers) {
    if (alive(w)) ++next.workers_alive;
  }
  std::set<std::string> shown;
  for (const auto& name : list.names) {
    JobSnapshot job;
    auto st = read_job(name, registry.now_ms, registry, job);
    // Redis unreachable: this refresh is over. Anything else is about this
    // job alone (removed meanwhile, a spec that cannot be read): it is left
    // out, the others are shown.
    if (!st && is_connection_failure(st.error())) return st;
    if (!st) continue;
    shown.insert(name);
    if (!job.finished()) {
      next.pending += job.pending;
      next.in_flight += job.in_flight;
    }
    next.jobs.push_back(std::move(job));
  }
  next.workers = std::move(registry.workers);
  // Jobs no longer shown are forgotten: the cache stays as big as the list.
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = shown.count(it->first) ? std::next(it) : cache_.erase(it);
  }
  return {};
}

Status Poller::read_job(const std::string& name, int64_t now_ms,
                        const queue::JobStore::Workers& registry, JobSnapshot& out) {
  TTG_TRY_ASSIGN(queue::JobStatus s, store_.status(name));
  auto& slot = cache_[name];
  if (!slot || slot->run != s.run) {
    slot = std::make_unique<JobCache>();
    slot->run = s.run;
  }
  JobCache& c = *slot;
  c.history.add(now_ms, s.done);

  int64_t handed_back = 0;
  for (const auto& [consumer, n] : s.in_flight) {
    if (consumer == queue::kHandedBack) {
      handed_back += n;
    } else {
      out.in_flight += n;
      if (n > 0) ++out.workers;
    }
  }
  out.pending = std::max<int64_t>(0, s.total_chunks - s.done - s.dead - out.in_flight);

  // A finished job that did not change needs nothing more than its status.
  const std::string f = fingerprint(s);
  const bool finished = s.state == JobState::kComplete || s.state == JobState::kCancelled;
  if (!c.have_detail || !finished || f != c.fingerprint) {
    TTG_TRY_ASSIGN(c.lag, store_.group_lag(name));
    TTG_TRY_ASSIGN(c.pending_list, store_.in_flight_chunks(name, s.total_chunks, kMaxInFlight));
    // Events: only those after the last one seen, unless more came than
    // are kept.
    if (c.events.empty()) {
      TTG_TRY_ASSIGN(c.events, store_.recent_events(name, kMaxEvents));
    } else {
      TTG_TRY_ASSIGN(auto more, store_.events(name, c.events.back().entry_id, kMaxEvents));
      if (more.size() >= static_cast<size_t>(kMaxEvents)) {
        TTG_TRY_ASSIGN(c.events, store_.recent_events(name, kMaxEvents));
      } else {
        c.events.insert(c.events.end(), more.begin(), more.end());
        if (c.events.size() > static_cast<size_t>(kMaxEvents)) {
          c.events.erase(c.events.begin(),
                         c.events.end() - static_cast<std::ptrdiff_t>(kMaxEvents));
        }
      }
    }
    const std::string df = dead_fingerprint(s);
    if (!c.have_detail || df != c.dead_fingerprint) {
      TTG_TRY_ASSIGN(c.dead, store_.dead_letters(name, kMaxDead));
      c.dead_fingerprint = df;
    }
    c.fingerprint = f;
    c.have_detail = true;
  }
  out.lag = c.lag ? std::max<int64_t>(*c.lag, 0) : std::max<int64_t>(0, out.pending - handed_back);

  // Ages: from the claim time the holding worker reports, else the pending
  // list's idle time (the worker died, or is of an older ttg).
  std::map<std::pair<std::string, int64_t>, int64_t> claimed;  // (worker, chunk) -> age
  for (const auto& w : registry.workers) {
    if (!alive(w)) continue;
    for (const auto& h : w.chunks) {
      if (h.job == name && h.age_ms >= 0) claimed[{w.name, h.chunk}] = h.age_ms;
    }
  }
  for (const auto& p : c.pending_list) {
    if (p.consumer == queue::kHandedBack) continue;
    InFlightChunk chunk;
    chunk.chunk = p.chunk;
    chunk.consumer = p.consumer;
    chunk.deliveries = p.deliveries;
    auto it = claimed.find({p.consumer, p.chunk});
    chunk.from_claim = it != claimed.end();
    chunk.age_ms = chunk.from_claim ? it->second : p.idle_ms;
    out.oldest_in_flight_ms = std::max(out.oldest_in_flight_ms, chunk.age_ms);
    out.chunks.push_back(std::move(chunk));
  }

  out.rate = c.history.rate();
  if (!out.rate && s.state == JobState::kRunning && s.first_claim_ms > 0 &&
      now_ms > s.first_claim_ms) {
    // Only one sample yet (serve just started): the average since the
    // first claim stands in.
    out.rate =
        static_cast<double>(s.done) * 1000.0 / static_cast<double>(now_ms - s.first_claim_ms);
  }
  out.eta_s = s.state == JobState::kCancelled
                  ? std::nullopt
                  : eta_seconds(s.total_chunks - s.done - s.dead, out.rate);
  out.events = c.events;
  out.dead = c.dead;
  out.rates = c.history.chart();
  out.status = std::move(s);
  return {};
}

}  // namespace ttg::serve
