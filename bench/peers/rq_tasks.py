"""The RQ job functions of scripts/bench-peers.py (see record.py)."""

import record


def noop(total):
    record.noop_done(total)


def work(task_id, seconds):
    record.work(task_id, seconds)
