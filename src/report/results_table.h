#pragma once
// A job's results as a table for analysis: one row per parameter set, in
// the order of the sets, with the columns in the order people read them,
// written as CSV, JSON lines or JSON that pandas, R and spreadsheets load as
// they are. `ttg results` (from Redis) and `ttg worker --static` (computed
// in the process) both write through it.
//
// Columns, in order:
//   param_index          the set's index in the job's space
//   the space's names    in the spec's order (`param` for --params N)
//   other parameters     values the kernel read that the space does not
//                        vary (its defaults, or --arg values), in the
//                        kernel's order
//   outputs              the kernel's outputs in its order (only those of
//                        the spec's `outputs` when it lists some), then any
//                        other value the records hold, in first-seen order
//   chunk_id, attempt, worker_id, chunk_seconds, completed_at
//                        how the set was computed: its chunk, the attempt
//                        that committed it, the worker, the chunk's compute
//                        time, and when it was committed (ISO-8601 UTC)
// A record that is not a JSON object becomes a row with one column, value.
//
// Formats:
//   CSV         a header line, then one line per row, '\n' line ends
//               (RFC 4180 otherwise): a field holding a comma, a quote or a
//               line end is quoted, quotes doubled, as Python's csv module
//               writes. Numbers as JSON writes them (1e-05, 0.1); true and
//               false; a missing value, null or an empty string is an empty
//               field; a list or mapping is its JSON text. UTF-8, no byte
//               order mark.
//   JSON lines  one object per row with every selected column, null when
//               missing, in column order.
//   JSON        an array of the same objects.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "kernels/kernel.h"
#include "queue/redis_queue.h"

namespace ttg::report {

enum class Format { kCsv, kJsonLines, kJson };

// "csv", "jsonl" or "json"; kInvalidArgument otherwise.
[[nodiscard]] Result<Format> parse_format(std::string_view name);

// The computed records of one chunk and how they were computed.
struct ChunkRows {
  int64_t chunk_id = 0;
  // The attempt that computed them, from 1.
  int attempt = 1;
  std::string worker_id;
  // The chunk's compute time.
  double seconds = 0;
  // When it was committed, ISO-8601 UTC.
  std::string completed_at;
  // The kernel's result_data: a JSON array with one object per parameter
  // set (kernels/kernel.h). Text that is not JSON gives no rows; a JSON
  // value that is not an array is one record.
  std::string result_data;
};

// A stored result entry (queue::JobStore::for_each_result()) as ChunkRows;
// fields it lacks keep ChunkRows' defaults.
ChunkRows rows_of(const queue::ResultRecord& record);

// The columns after the computed ones: chunk_id, attempt, worker_id,
// chunk_seconds, completed_at.
const std::vector<std::string>& bookkeeping_columns();

// Collects the chunks of one job, then writes them as a table (see the top
// of this file). Holds every chunk's result_data text until written. Not
// thread-safe.
class ResultsTable {
 public:
  // `spec` is the job's; `kernel` describes its kernel (kernels::
  // find_kernel_info()), or is null when it is not known here (a plugin
  // whose library this process has not loaded): outputs then come in the
  // order the records hold them. Both are copied.
  ResultsTable(const JobSpec& spec, const kernels::KernelInfo* kernel);

  void add(ChunkRows chunk);
  // Rows added so far: one per record.
  int64_t rows() const;

  // Every column the rows have, in reading order, and the columns written
  // unless select() chose others (the same, less the outputs the spec's
  // `outputs` leaves out). The known columns of the job's kernel are there
  // even before any row is.
  std::vector<std::string> columns() const;
  std::vector<std::string> default_columns() const;

  // Writes `names` (at least one, each once) in that order instead.
  // Errors: kInvalidArgument "unknown column 'gama' (did you mean
  // 'gamma'?; the columns are param_index, beta, ...)", "column 'beta' is
  // listed twice", "no columns".
  [[nodiscard]] Status select(std::vector<std::string> names);

  // Writes every row, sorted by param_index, in `format` to `out`. Errors:
  // kIo when `out` fails.
  [[nodiscard]] Status write(std::ostream& out, Format format) const;

 private:
  struct Scan;
  Scan scan() const;

  JobSpec spec_;
  bool kernel_known_ = false;
  kernels::KernelInfo kernel_;
  std::vector<ChunkRows> chunks_;
  int64_t rows_ = 0;
  std::vector<std::string> selected_;  // empty = default_columns()
};

}  // namespace ttg::report
