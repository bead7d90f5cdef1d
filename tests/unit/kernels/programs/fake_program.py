#!/usr/bin/env python3
"""A program for the exec kernel's tests; argv[1] picks its behaviour.

echo                answer {"y": 2x, "pid": ..., "seed_seen": ...} to each set
crash_on N          like echo, but exit 3 (after a line on stderr) on set x = N
garbage_on N        like echo, but answer a line that is not JSON on set x = N
array               answer a JSON array instead of an object
silent PIDFILE      write the pid to PIDFILE, read the input, never answer
silent_from N       like echo, but from set x = N on read and never answer
noisy_crash         write 100 KB to stderr, then "THE END", then exit 4
exit_early          exit at once, reading nothing
"""

import json
import os
import sys


def x_of(point):
    return point.get("x", point.get("param"))


def main():
    mode = sys.argv[1]
    arg = sys.argv[2] if len(sys.argv) > 2 else None
    if mode == "exit_early":
        return 0
    if mode == "silent":
        with open(arg + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(arg + ".tmp", arg)
        print("fake_program: reading and never answering", file=sys.stderr, flush=True)
        for _ in sys.stdin:
            pass
        return 0
    for line in sys.stdin:
        point = json.loads(line)
        x = x_of(point)
        if mode == "crash_on" and x == int(arg):
            print(f"fake_program: crashing on {x}", file=sys.stderr, flush=True)
            return 3
        if mode == "silent_from" and x >= int(arg):
            print("fake_program: reading and never answering", file=sys.stderr, flush=True)
            for _ in sys.stdin:
                pass
            return 0
        if mode == "garbage_on" and x == int(arg):
            print("this is not json", flush=True)
            continue
        if mode == "array":
            print("[1, 2]", flush=True)
            continue
        if mode == "noisy_crash":
            for i in range(2000):
                print(f"noise line {i:04d} " + "." * 40, file=sys.stderr)
            print("THE END", file=sys.stderr, flush=True)
            return 4
        answer = {"y": 2 * x, "pid": os.getpid(), "seed_seen": point.get("seed")}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
