#!/usr/bin/env python3
"""A program for the exec kernel that hangs for ever on one parameter.

    hang_on.py N

Answers {"square": param * param} for every parameter set except the one
whose "param" is N: on that one it stops answering and ignores SIGTERM, as a
program stuck in a system call or a dead lock would. Only SIGKILL ends it.
"""

import json
import signal
import sys
import time


def main():
    hang_on = int(sys.argv[1])
    for line in sys.stdin:
        x = json.loads(line)["param"]
        if x == hang_on:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print(f"hang_on.py: hanging on param {x}", file=sys.stderr, flush=True)
            while True:
                time.sleep(3600)
        print(json.dumps({"square": x * x}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
