#pragma once
// `ttg status` for people: a job's rates, the frame `--watch` redraws in
// place on a terminal (progress bar, rates, ETA, one line per worker), and
// the one line per change it prints when its output is not a terminal.

#include <cstdint>
#include <string>
#include <vector>

#include "queue/redis_queue.h"

namespace ttg::report {

struct Rates {
  double chunks_per_s = 0;
  double params_per_s = 0;
  double eta_s = -1;  // unknown, or nothing more will be done (cancelled)
  double elapsed_s = 0;
};

// Rates since the first claim, up to `now_ms` (Unix ms) or the job's end.
// A cancelled job has no ETA; a finished one an ETA of 0.
Rates rates_of(const queue::JobStatus& s, int64_t now_ms);

// What a watch frame shows besides the status: the chunks in flight and the
// registered workers (those serving this job or every job are listed).
struct WatchData {
  std::vector<queue::JobStore::InFlightChunk> in_flight;
  std::vector<queue::JobStore::RegisteredWorker> workers;
};

// The lines of one frame, none longer than `columns` characters (at least
// 40 are assumed). At most `max_workers` worker lines, then "... and N
// more".
std::vector<std::string> watch_frame(const queue::JobStatus& s, const WatchData& data,
                                     int64_t now_ms, int columns, int max_workers = 20);

// What makes a change worth a line when piped: state, counters, chunks in
// flight, refusals. Two statuses with the same key print one line.
std::string change_key(const queue::JobStatus& s);

// "2026-11-29T12:03:04Z sweep1 running: 512/1000 done, 2 dead, 3 in flight,
// 41.2 chunks/s, ETA 12 s".
std::string change_line(const queue::JobStatus& s, int64_t now_ms);

}  // namespace ttg::report
