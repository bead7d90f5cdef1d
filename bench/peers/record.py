"""What the Celery and RQ tasks of scripts/bench-peers.py record in Redis.

Each worker process opens its own connection (a forked child never uses its
parent's). The worker is identified by BENCH_WORKER, which the benchmark sets
for each worker it starts and which a prefork child or an RQ work horse
inherits.
"""

import os
import time

import redis

_client = None
_client_pid = None


def _redis():
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        _client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
        _client_pid = os.getpid()
    return _client


def _now_ms():
    return int(time.time() * 1000)


def noop_done(total):
    """A no-op task's one write: count it; the last one stores the time."""
    r = _redis()
    if r.incr("bench:noop:count") == total:
        r.set("bench:noop:last_ms", _now_ms())


def work(task_id, seconds):
    """Sleep `seconds`, recording the start and the end with the worker."""
    r = _redis()
    worker = os.environ.get("BENCH_WORKER", "?")
    r.rpush("bench:started", f"{task_id} {worker} {_now_ms()}")
    time.sleep(seconds)
    r.rpush("bench:done", f"{task_id} {worker} {_now_ms()}")
