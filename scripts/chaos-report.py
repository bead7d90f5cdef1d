#!/usr/bin/env python3
"""Prints the figures of a chaos run (the JSON lines the chaos tests append
to $TTG_CHAOS_REPORT) as a Markdown table, for docs/RELIABILITY.md.

    python3 scripts/chaos-report.py build/chaos-soak.jsonl
"""

import json
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        print(f"chaos-report: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    print("| test | fault | workers | chunks | faults | takeovers | duplicates suppressed "
          "| retries | dead | time (s) | baseline (s) | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        base = r.get("baseline_seconds")
        ratio = r.get("slowdown")
        print(f"| {r['test']} | {r['fault']} | {r['workers']} | {r['chunks']} | {r['faults']} "
              f"| {r['takeovers']} | {r['duplicates_suppressed']} | {r['retries']} | {r['dead']} "
              f"| {r['seconds']:.2f} | {'-' if base is None else f'{base:.2f}'} "
              f"| {'-' if ratio is None else f'{ratio:.2f}'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
