#!/usr/bin/env bash
# The bounded fuzz run of `make test` (`make fuzz-smoke`): runs each libFuzzer
# target of build/fuzz (cmake --preset fuzz) for SECONDS over a copy of its
# seed corpus, JOBS at a time, and fails if any of them crashes, leaks, times
# out or breaks an invariant. The repository is not modified: new inputs and
# crash artifacts go to build/fuzz/smoke/<target>/.
#
#   scripts/fuzz-smoke.sh [--seconds N] [--jobs N] TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=20
jobs=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--seconds N] [--jobs N] TARGET..." >&2; exit 2; }

bin_dir=build/fuzz/tests/fuzz
out_dir=build/fuzz/smoke
rm -rf "$out_dir"
mkdir -p "$out_dir"

run_one() {
  local t="$1" dir="$out_dir/$1"
  mkdir -p "$dir/corpus"
  cp tests/fuzz/corpus/"$t"/* "$dir/corpus/"
  local dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  "$bin_dir/${t}_fuzz" "${dict[@]}" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1
}

# One line per target from libFuzzer's final statistics.
summary() {
  local t="$1" log="$out_dir/$1/log"
  local runs rate cov ft corp
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -Eo 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  printf 'fuzz-smoke: %-14s %9s runs %7s exec/s  cov %5s  ft %6s  corpus %s\n' \
    "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
}

failed=()
pids=()
names=()
wait_one() {
  local pid="${pids[0]}" t="${names[0]}"
  pids=("${pids[@]:1}")
  names=("${names[@]:1}")
  if wait "$pid"; then
    summary "$t"
  else
    failed+=("$t")
    echo "fuzz-smoke: $t FAILED; the end of $out_dir/$t/log:" >&2
    tail -n 40 "$out_dir/$t/log" >&2
    ls "$out_dir/$t"/crash-* "$out_dir/$t"/leak-* "$out_dir/$t"/timeout-* \
      "$out_dir/$t"/oom-* 2>/dev/null | sed 's/^/fuzz-smoke: input: /' >&2 || true
  fi
}

for t in "$@"; do
  [[ -x "$bin_dir/${t}_fuzz" ]] || { echo "fuzz-smoke: no $bin_dir/${t}_fuzz" >&2; exit 1; }
  run_one "$t" &
  pids+=("$!")
  names+=("$t")
  if [[ ${#pids[@]} -ge $jobs ]]; then wait_one; fi
done
while [[ ${#pids[@]} -gt 0 ]]; do wait_one; done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz-smoke: failed: ${failed[*]} (reproduce: $bin_dir/<target>_fuzz INPUT)" >&2
  exit 1
fi
echo "fuzz-smoke: ok"
