"""The Celery application of scripts/bench-peers.py.

Configured from the environment: BENCH_REDIS_URL (broker), and
BENCH_CELERY_ACKS_LATE=1 for task_acks_late. Everything else is Celery's
default; there is no result backend (the tasks write their own record).
"""

import os

from celery import Celery

import record

app = Celery("bench_peers", broker=os.environ["BENCH_REDIS_URL"])
app.conf.task_acks_late = os.environ.get("BENCH_CELERY_ACKS_LATE") == "1"
app.conf.task_ignore_result = True


@app.task(name="bench.noop")
def noop(total):
    record.noop_done(total)


@app.task(name="bench.work")
def work(task_id, seconds):
    record.work(task_id, seconds)
