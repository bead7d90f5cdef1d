#!/usr/bin/env python3
"""An example program for TTG's exec kernel.

    ttg submit --exec "python3 examples/exec/square.py" --params 100
    ttg worker

TTG starts it once per compute slot and keeps it running. Each line on stdin
is one parameter set as a JSON object (its values by name, plus "seed" for
random numbers); for each, write one JSON object of outputs as one line on
stdout and flush. Anything for people goes to stderr: TTG shows its last
2 KiB when the program fails. Exit when stdin ends.
"""

import json
import sys


def main():
    for line in sys.stdin:
        point = json.loads(line)
        # A job without named parameters gives each set only its index, "param".
        x = point.get("x", point.get("param"))
        if not isinstance(x, (int, float)):
            print(f"square.py: no number 'x' in {line.strip()}", file=sys.stderr)
            return 1
        print(json.dumps({"square": x * x}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
