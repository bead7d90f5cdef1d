#!/usr/bin/python3
"""`make bench-peers`: TTG next to Celery and RQ, in one run, on one redis-server.

Starts its own redis-server on a free loopback port and, one scenario after
the other on that server (flushed in between), real worker processes of each
system, every one in a process group of its own:

- the ceiling: redis-benchmark's XADD rate against the same server;
- throughput: the same 20,000 no-op tasks through 2 worker processes of
  each system, from the first submit to the last result;
- a fault: 100 tasks of 1 s on 3 workers, one killed with SIGKILL once 30
  results are in; makespan, tasks missing or done twice, and when the killed
  worker's task was done again.

Prints a Markdown report (docs/PERFORMANCE.md holds the last one) and writes
it to --out. Every wait is a poll with a deadline; everything it started is
killed at the end, on error too. Needs Debian's python3-celery, python3-rq and
python3-redis (`scripts/setup.sh --peers`) and a built ttg.

Usage: scripts/bench-peers.py [--ttg build/release/ttg] [--out FILE] [--quick]
       scripts/bench-peers.py --splice REPORT DOC
  (--splice replaces what lies between the bench-peers markers in DOC with
  REPORT's text.)
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "bench", "peers")
sys.path.insert(0, PEERS)

import redis  # noqa: E402  (Debian's python3-redis)


def now_ms():
    return int(time.time() * 1000)


def poll(check, seconds, interval=0.01):
    """Calls check() until it returns something true or `seconds` pass;
    returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Processes:
    """Every process the benchmark starts, each leading its own process
    group; kill() also finds the processes that left the group (an RQ work
    horse starts a session of its own)."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.procs = []
        self.count = 0

    def spawn(self, argv, name, env=None, cwd=None):
        self.count += 1
        log = open(os.path.join(self.logdir, f"{self.count:02d}-{name}.log"), "wb")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                 start_new_session=True)
        finally:
            log.close()
        self.procs.append(p)
        return p

    @staticmethod
    def descendants(pid):
        """pid's children, their children, ... (from /proc)."""
        out, todo = [], [pid]
        while todo:
            parent = todo.pop()
            try:
                tids = os.listdir(f"/proc/{parent}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{parent}/task/{tid}/children") as f:
                        kids = [int(k) for k in f.read().split()]
                except OSError:
                    continue
                out += kids
                todo += kids
        return out

    @classmethod
    def kill(cls, p):
        """SIGKILL to p's process group and to every process p started (an
        RQ work horse leaves the group): as if its host died."""
        try:
            os.kill(p.pid, signal.SIGSTOP)  # no new child while we look
        except ProcessLookupError:
            pass
        victims = cls.descendants(p.pid)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"bench-peers: process {p.pid} survived SIGKILL for 10 s", file=sys.stderr)

    def kill_these(self, procs):
        for p in procs:
            self.kill(p)
            if p in self.procs:
                self.procs.remove(p)

    def kill_all(self, keep=()):
        for p in list(self.procs):
            if p in keep:
                continue
            self.kill(p)
            self.procs.remove(p)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(procs, workdir):
    port = free_port()
    conf = os.path.join(workdir, "redis.conf")
    with open(conf, "w") as f:
        f.write(f"daemonize no\nbind 127.0.0.1\nport {port}\ndir {workdir}\n"
                "save \"\"\nappendonly no\nprotected-mode yes\n")
    server = procs.spawn(["redis-server", conf], "redis-server")
    r = redis.Redis(host="127.0.0.1", port=port)

    def up():
        if server.poll() is not None:
            raise RuntimeError("redis-server exited; see its log in " + procs.logdir)
        try:
            return r.ping()
        except redis.exceptions.ConnectionError:
            return False

    if not poll(up, 10, 0.02):
        raise RuntimeError("redis-server did not answer PING within 10 s")
    return server, port, r


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120, **kw)


# --------------------------------------------------------------------------
# The ceiling


def xadd_rate(port, clients, pipeline, requests):
    """redis-benchmark's XADD of a 4-field entry, as bench/queue_bench.cc."""
    out = run(["redis-benchmark", "-p", str(port), "-n", str(requests), "-c", str(clients),
               "-P", str(pipeline), "--csv", "XADD", "bench-ceiling", "*", "chunk_id", "1",
               "start_param", "1", "end_param", "2"]).stdout
    last = [line for line in out.splitlines() if line.strip()][-1]
    return float(last.split(",")[1].strip('"'))


# --------------------------------------------------------------------------
# TTG


class Ttg:
    def __init__(self, binary, url, procs):
        self.binary = binary
        self.url = url
        self.procs = procs
        # Default flags: no TTG_* or REDIS_* setting leaks in from the caller.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TTG_", "REDIS_")) and k not in (
                        "STALE_THRESHOLD_MS", "IDLE_TIMEOUT_SECONDS", "CHUNK_SIZE",
                        "TOTAL_PARAMETERS", "WORK_MS")}

    def cli(self, *args):
        return run([self.binary, *args, "--redis", self.url], env=self.env).stdout

    def start_workers(self, job, n, extra, r):
        ws = [self.procs.spawn([self.binary, "worker", "--redis", self.url, "--job", job, *extra],
                               f"ttg-worker{i}", env=self.env) for i in range(n)]
        if not poll(lambda: r.hlen("ttg:workers") >= n, 30):
            raise RuntimeError(f"{n} ttg workers did not register within 30 s")
        return ws

    def consumers(self, r):
        """Worker pid -> consumer name, from the worker registry."""
        out = {}
        for name, info in r.hgetall("ttg:workers:info").items():
            pid = json.loads(info).get("pid")
            if pid is not None:
                out[int(pid)] = name.decode()
        return out


def ttg_throughput(ttg, r, tasks, workers, extra, deadline):
    job = "peers-noop"
    ws = ttg.start_workers(job, workers, extra, r)
    t0 = now_ms()
    ttg.cli("submit", "--job", job, "--kernel", "noop", "--params", str(tasks),
            "--chunk-size", "1")
    meta = f"ttg:{{{job}}}:meta"
    poll(lambda: r.hget(meta, "state") == b"complete", deadline, 0.01)
    status = json.loads(ttg.cli("status", job, "--json"))
    for w in ws:
        try:
            w.wait(timeout=30)  # a worker exits once its job is complete
        except subprocess.TimeoutExpired:
            pass
    ttg.procs.kill_these(ws)
    done = status["done"]
    row = {"done": done, "total": tasks}
    if status["state"] == "complete":
        row["seconds"] = (status["finished_ms"] - t0) / 1000
        row["inner_seconds"] = (status["finished_ms"] - status["created_ms"]) / 1000
    return row


def ttg_fault(ttg, r, tasks, workers, extra, work_ms, kill_at, deadline):
    job = "peers-fault"
    ws = ttg.start_workers(job, workers, extra, r)
    pids = ttg.consumers(r)
    names = [pids.get(w.pid) for w in ws]
    if None in names:
        raise RuntimeError("a ttg worker has no consumer in the registry")
    keys = f"ttg:{{{job}}}:"
    t0 = now_ms()
    ttg.cli("submit", "--job", job, "--kernel", "simulate", "--arg", f"work_ms={work_ms}",
            "--params", str(tasks), "--chunk-size", "1")
    poll(lambda: int(r.hget(keys + "meta", "done") or 0) >= kill_at, deadline, 0.005)
    # The victim: the first worker holding a chunk (not one that has just
    # committed its last and holds nothing).
    def holder():
        holding = {c["name"].decode()
                   for c in r.xpending(keys + "tasks", "ttg-workers")["consumers"]
                   if c["pending"] > 0}
        return next((w for w, n in zip(ws, names) if n in holding), None)

    victim = poll(holder, 10, 0.002) or ws[0]
    consumer = names[ws.index(victim)]
    kill_ms = now_ms()
    ttg.procs.kill(victim)
    # The chunks the killed worker held: its pending entries, read before
    # the liveness check hands them over (a few hundred ms).
    pending = r.xpending_range(keys + "tasks", "ttg-workers", "-", "+", 100, consumername=consumer)
    held = []
    for p in pending:
        entry = r.xrange(keys + "tasks", p["message_id"], p["message_id"])
        held.append(int(entry[0][1][b"chunk_id"]))
    poll(lambda: r.hget(keys + "meta", "state") == b"complete",
         deadline - (now_ms() - t0) / 1000, 0.01)
    end_ms = now_ms()
    # And what the others took over from it (should it have been quicker).
    for _, e in r.xrange(keys + "events", "-", "+"):
        if os.environ.get("BENCH_PEERS_DEBUG"):
            print(e, file=sys.stderr)
        if e.get(b"type") == b"takeover" and e.get(b"from", b"").decode() == consumer:
            c = int(e[b"chunk"])
            if c not in held:
                held.append(c)
    meta = {k.decode(): v.decode() for k, v in r.hgetall(keys + "meta").items()}
    done_by = {}  # chunk -> [(worker, commit ms)]
    for entry_id, fields in r.xrange(keys + "results", "-", "+"):
        c = int(fields[b"chunk_id"])
        done_by.setdefault(c, []).append((fields[b"worker_id"].decode(),
                                          int(entry_id.split(b"-")[0])))
    for w in ws[1:]:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    ttg.procs.kill_these(ws)
    finished = int(meta.get("finished_ms", "0") or 0)
    redone = []
    for c in held:
        by_other = [ms for w, ms in done_by.get(c, []) if w != consumer]
        redone.append((by_other[0] - kill_ms) / 1000 if by_other else None)
    return summarize(tasks, done_by, t0, finished if meta.get("state") == "complete" else None,
                     kill_ms, end_ms, held, redone,
                     extra_note=f"{meta.get('duplicates', '0')} duplicate commits suppressed")


# --------------------------------------------------------------------------
# Celery and RQ


def peer_env(url, extra=None):
    env = dict(os.environ)
    env["BENCH_REDIS_URL"] = url
    env["PYTHONPATH"] = PEERS + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def celery_workers(procs, url, n, acks_late):
    import celery_tasks
    env = peer_env(url, {"BENCH_CELERY_ACKS_LATE": "1" if acks_late else "0"})
    ws = [procs.spawn([sys.executable, "-m", "celery", "-A", "celery_tasks", "worker",
                       "--pool", "prefork", "--concurrency", "1", "-n", f"w{i}@%h"],
                      f"celery-worker{i}", env={**env, "BENCH_WORKER": f"w{i}"}, cwd=PEERS)
          for i in range(n)]

    def ready():
        for w in ws:
            if w.poll() is not None:
                raise RuntimeError("a celery worker exited; see its log in " + procs.logdir)
        return len(celery_tasks.app.control.ping(timeout=0.5)) >= n

    if not poll(ready, 60, 0.2):
        raise RuntimeError(f"{n} celery workers did not answer a ping within 60 s")
    return ws


def rq_workers(procs, url, n, r, simple):
    import rq
    extra = ["--worker-class", "rq.worker.SimpleWorker"] if simple else []
    ws = [procs.spawn([sys.executable, "-m", "rq.cli", "worker", "--url", url, *extra],
                      f"rq-worker{i}", env=peer_env(url, {"BENCH_WORKER": f"w{i}"}), cwd=PEERS)
          for i in range(n)]

    def ready():
        for w in ws:
            if w.poll() is not None:
                raise RuntimeError("an rq worker exited; see its log in " + procs.logdir)
        return rq.Worker.count(connection=r) >= n

    if not poll(ready, 60, 0.05):
        raise RuntimeError(f"{n} rq workers did not register within 60 s")
    return ws


def rq_enqueue(r, func, args_list):
    import rq
    q = rq.Queue(connection=r)
    for i in range(0, len(args_list), 1000):
        q.enqueue_many([rq.Queue.prepare_data(func, args=a) for a in args_list[i:i + 1000]])


def peer_throughput(kind, procs, url, r, tasks, deadline):
    """kind: celery, rq, rq-simple."""
    if kind == "celery":
        import celery_tasks
        ws = celery_workers(procs, url, 2, acks_late=False)
        t0 = now_ms()
        for _ in range(tasks):
            celery_tasks.noop.apply_async(args=(tasks,))
    else:
        import rq_tasks
        ws = rq_workers(procs, url, 2, r, simple=kind == "rq-simple")
        t0 = now_ms()
        rq_enqueue(r, rq_tasks.noop, [(tasks,)] * tasks)
    submitted = (now_ms() - t0) / 1000
    poll(lambda: r.exists("bench:noop:last_ms"), deadline - submitted, 0.01)
    last = r.get("bench:noop:last_ms")
    row = {"done": int(r.get("bench:noop:count") or 0), "total": tasks, "submit_seconds": submitted}
    if last:
        row["seconds"] = (int(last) - t0) / 1000
    procs.kill_these(ws)
    return row


def peer_fault(kind, procs, url, r, tasks, seconds, kill_at, deadline):
    """kind: celery, celery-acks-late, rq."""
    if kind.startswith("celery"):
        import celery_tasks
        ws = celery_workers(procs, url, 3, acks_late=kind == "celery-acks-late")
        t0 = now_ms()
        for i in range(tasks):
            celery_tasks.work.apply_async(args=(i, seconds))
    else:
        import rq_tasks
        ws = rq_workers(procs, url, 3, r, simple=False)
        t0 = now_ms()
        rq_enqueue(r, rq_tasks.work, [(i, seconds) for i in range(tasks)])
    poll(lambda: r.llen("bench:done") >= kill_at, deadline, 0.005)
    # The victim: the first worker running a task (not one that has just
    # finished its task and runs nothing).
    def runner():
        running = {}
        for rec in r.lrange("bench:started", 0, -1):
            t, w, _ = rec.decode().split()
            running.setdefault(w, set()).add(t)
        for rec in r.lrange("bench:done", 0, -1):
            t, w, _ = rec.decode().split()
            running.get(w, set()).discard(t)
        return next((f"w{i}" for i in range(len(ws)) if running.get(f"w{i}")), None)

    tag = poll(runner, 10, 0.002) or "w0"
    victim = ws[int(tag[1:])]
    kill_ms = now_ms()
    procs.kill(victim)

    def done_by():
        out = {}
        for rec in r.lrange("bench:done", 0, -1):
            task, worker, ms = rec.decode().split()
            out.setdefault(int(task), []).append((worker, int(ms)))
        return out

    poll(lambda: len(done_by()) >= tasks, deadline - (now_ms() - t0) / 1000, 0.02)
    end_ms = now_ms()
    done = done_by()
    started = [x.decode().split() for x in r.lrange("bench:started", 0, -1)]
    started_by_victim = {int(t) for t, w, ms in started if w == tag and int(ms) <= kill_ms}
    held = sorted(t for t in started_by_victim if not any(w == tag for w, _ in done.get(t, [])))
    redone = []
    for t in held:
        by_other = sorted(ms for w, ms in done.get(t, []) if w != tag)
        redone.append((by_other[0] - kill_ms) / 1000 if by_other else None)
    complete = len(done) >= tasks
    last = max(ms for recs in done.values() for _, ms in recs) if done else 0
    procs.kill_these(ws)
    return summarize(tasks, done, t0, last if complete else None, kill_ms, end_ms, held, redone)


def summarize(tasks, done_by, t0, finished_ms, kill_ms, end_ms, held, redone, extra_note=""):
    missing = [t for t in range(tasks) if t not in done_by]
    twice = [t for t, recs in done_by.items() if len(recs) > 1]
    return {"makespan": (finished_ms - t0) / 1000 if finished_ms else None,
            "waited": (end_ms - t0) / 1000, "kill_after": (kill_ms - t0) / 1000,
            "done": len(done_by), "missing": missing, "twice": twice, "held": held,
            "redone": redone, "note": extra_note}


# --------------------------------------------------------------------------
# Report


def fmt_int(v):
    return f"{v:,.0f}"


def versions(ttg_binary, r):
    import celery
    import kombu
    import rq
    info = r.info("server")
    ttg_version = run([ttg_binary, "--version"]).stdout.strip()
    return (f"Celery {celery.__version__} (kombu {kombu.__version__}), RQ {rq.__version__}, "
            f"redis-py {redis.__version__}, Redis {info['redis_version']}, {ttg_version}, "
            f"Python {platform.python_version()}")


def uptime():
    return run(["uptime"]).stdout.strip()


def report(args, meta, ceiling, thr, faults):
    out = []
    p = out.append
    p("## Next to Celery and RQ (`make bench-peers`)")
    p("")
    p(f"One run of `scripts/bench-peers.py` ({meta['seconds']:.0f} s): one redis-server on "
      "loopback for every system (flushed between scenarios), real worker processes, each in "
      "a process group of its own. " + meta["versions"] + ". Machine: "
      f"{meta['nproc']} cores; `uptime` at the start: {meta['uptime_start']}; at the end: "
      f"{meta['uptime_end']}. The machine is shared: read the ratios between rows, not the "
      "absolute figures.")
    p("")
    p("### Ceiling: redis-benchmark XADD (4 fields) against the same server")
    p("")
    p("| clients | pipeline | ops/s |")
    p("|---|---|---|")
    for (c, pl), v in ceiling.items():
        p(f"| {c} | {pl} | {fmt_int(v)} |")
    p("")
    p(f"### Throughput: {fmt_int(args.tasks)} no-op tasks, 2 worker processes, "
      "first submit to last result")
    p("")
    p("Workers are started and registered first; the clock runs from the first submit to the "
      "last result. TTG: `ttg submit --kernel noop --chunk-size 1` (one chunk per task), done "
      "when the job's state is `complete` (its `finished_ms`, Redis's clock). Celery: one "
      "`apply_async` per task from one client (no bulk publish), no result backend. RQ: "
      "`enqueue_many`, 1,000 jobs per call. A Celery or RQ task's one write is an INCR of a "
      "counter, its result, and the last one stores the time; a TTG chunk's result is its "
      "entry in the job's results stream.")
    p("")
    p("| system | workers | tasks done | seconds | tasks/s | vs XADD 50 clients, no pipeline "
      "| vs XADD 4 clients, no pipeline |")
    p("|---|---|---|---|---|---|---|")
    x50 = ceiling.get((50, 1), 0)
    x4 = ceiling.get((4, 1), 0)
    for name, how, row in thr:
        if "seconds" in row:
            rate = row["done"] / row["seconds"]
            secs = f"{row['seconds']:.2f}"
            ratio50 = f"{rate / x50:.0%}" if x50 else "-"
            ratio4 = f"{rate / x4:.0%}" if x4 else "-"
            rate_s = fmt_int(rate)
        else:
            secs = f"not done in {args.deadline_throughput:.0f}"
            rate_s = fmt_int(row["done"] / args.deadline_throughput) + " (partial)"
            ratio50 = ratio4 = "-"
        p(f"| {name} | {how} | {fmt_int(row['done'])} of {fmt_int(row['total'])} | {secs} | "
          f"{rate_s} | {ratio50} | {ratio4} |")
    p("")
    notes = [f"{name}: submitting took {row['submit_seconds']:.2f} s"
             for name, _, row in thr if "submit_seconds" in row]
    notes += [f"{name}: {row['inner_seconds']:.2f} s from the job's `created_ms` to its "
              "`finished_ms` (Redis's clock)" for name, _, row in thr if "inner_seconds" in row]
    if notes:
        p("Within those times: " + "; ".join(notes) + ".")
        p("")
    p(f"### Fault: {args.fault_tasks} tasks of {args.fault_seconds:g} s, 3 workers, one killed "
      f"(SIGKILL to it and to every process it started) when {args.kill_at} results are in")
    p("")
    p("The worker killed is the first one seen with a task in progress once that many results "
      "are in (workers that finish together are all between tasks at that instant; killing "
      "one then tests nothing). The kill's time is given below the table.")
    p("")
    p(f"Each run waits at most {args.deadline_fault:.0f} s from the first submit; a task "
      "without a result by then is counted as missing (lost). A Celery or RQ task records its "
      "start and its end in Redis with its worker; a task's results are its end records, a "
      "TTG chunk's its entries in the results stream. \"In progress\" is what the killed "
      "worker had started and not finished (for TTG: its pending entries right after the "
      "kill); \"done again\" is from the kill to that task's result from another worker. "
      "Celery and RQ run with their defaults apart from what the rows say (Celery: prefetch "
      "multiplier 4, Redis visibility timeout 1 h; RQ: job timeout 180 s).")
    p("")
    p("| system | workers | makespan | missing | done twice | killed worker's tasks in "
      "progress | each done again after the kill |")
    p("|---|---|---|---|---|---|---|")
    for name, how, row in faults:
        mk = (f"{row['makespan']:.1f} s" if row["makespan"] is not None
              else f"not complete at {row['waited']:.0f} s")
        missing = str(len(row["missing"])) + (f" ({', '.join(map(str, row['missing'][:8]))}"
                                              f"{', ...' if len(row['missing']) > 8 else ''})"
                                              if row["missing"] else "")
        twice = str(len(row["twice"])) + (f" ({', '.join(map(str, row['twice'][:8]))})"
                                          if row["twice"] else "")
        held = ", ".join(map(str, row["held"])) or "none seen"
        redone = ", ".join(f"{v:.1f} s" if v is not None else "never (lost)"
                           for v in row["redone"]) or "-"
        p(f"| {name} | {how} | {mk} | {missing} | {twice} | {held} | {redone} |")
    p("")
    p("; ".join(f"{name}: the kill came {row['kill_after']:.1f} s after the first submit"
                + (f" ({row['note']})" if row["note"] else "") for name, _, row in faults) + ".")
    p("")
    return "\n".join(out).rstrip() + "\n"


BEGIN = "<!-- bench-peers:begin -->"
END = "<!-- bench-peers:end -->"


def splice(report_path, doc_path):
    with open(report_path) as f:
        text = f.read()
    with open(doc_path) as f:
        doc = f.read()
    begin, end = doc.find(BEGIN), doc.find(END)
    if begin < 0 or end < begin:
        sys.exit(f"bench-peers: {doc_path} has no {BEGIN} ... {END} section")
    doc = doc[:begin + len(BEGIN)] + "\n" + text + doc[end:]
    with open(doc_path, "w") as f:
        f.write(doc)
    print(f"bench-peers: wrote the report into {doc_path}", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splice", nargs=2, metavar=("REPORT", "DOC"),
                    help="put REPORT between the bench-peers markers of DOC, and do nothing else")
    ap.add_argument("--ttg", default=os.path.join(ROOT, "build", "release", "ttg"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-peers-report.md"))
    ap.add_argument("--tasks", type=int, default=20000)
    ap.add_argument("--fault-tasks", type=int, default=100)
    ap.add_argument("--fault-seconds", type=float, default=1.0)
    ap.add_argument("--kill-at", type=int, default=30)
    ap.add_argument("--deadline-throughput", type=float, default=180)
    ap.add_argument("--deadline-fault", type=float, default=180)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 2,000 tasks, 20 fault tasks of 0.2 s, short deadlines")
    args = ap.parse_args()
    if args.splice:
        return splice(*args.splice)
    if args.quick:
        args.tasks, args.fault_tasks, args.fault_seconds, args.kill_at = 2000, 20, 0.2, 6
        args.deadline_throughput, args.deadline_fault = 60, 30
    if not os.access(args.ttg, os.X_OK):
        sys.exit(f"bench-peers: no ttg binary at {args.ttg} (cmake --build build/release "
                 "--target ttg)")
    for tool in ("redis-server", "redis-benchmark", "uptime"):
        if shutil.which(tool) is None:
            sys.exit(f"bench-peers: {tool} not found (scripts/setup.sh --peers)")

    workdir = tempfile.mkdtemp(prefix="ttg-bench-peers-")
    procs = Processes(workdir)
    started = time.monotonic()
    try:
        meta = {"uptime_start": uptime(), "nproc": os.cpu_count()}
        server, port, r = start_redis(procs, workdir)
        url = f"redis://127.0.0.1:{port}"
        os.environ["BENCH_REDIS_URL"] = url  # read by celery_tasks on import
        meta["versions"] = versions(args.ttg, r)
        ttg = Ttg(args.ttg, url, procs)
        keep = [server]

        def step(what):
            print(f"bench-peers: {what}", file=sys.stderr, flush=True)
            procs.kill_all(keep=keep)
            r.flushall()

        ceiling = {}
        for clients in (50, 4):
            for pipeline in (1, 16):
                step(f"redis-benchmark XADD, {clients} clients, pipeline {pipeline}")
                ceiling[(clients, pipeline)] = xadd_rate(port, clients, pipeline, 200000)

        nt = args.tasks
        dl = args.deadline_throughput
        thr = []
        step("throughput: TTG")
        thr.append(("TTG", f"2 `ttg worker`, default flags ({os.cpu_count()} threads each here)",
                    ttg_throughput(ttg, r, nt, 2, [], dl)))
        step("throughput: TTG --threads 1")
        thr.append(("TTG", "2 `ttg worker --threads 1`", ttg_throughput(ttg, r, nt, 2,
                                                                       ["--threads", "1"], dl)))
        step("throughput: Celery")
        thr.append(("Celery", "2 `celery worker --pool prefork --concurrency 1`",
                    peer_throughput("celery", procs, url, r, nt, dl)))
        step("throughput: RQ")
        thr.append(("RQ", "2 `rq worker` (a forked work horse per job)",
                    peer_throughput("rq", procs, url, r, nt, dl)))
        step("throughput: RQ SimpleWorker")
        thr.append(("RQ", "2 `rq worker --worker-class rq.worker.SimpleWorker` (no fork)",
                    peer_throughput("rq-simple", procs, url, r, nt, dl)))

        ft, fs, ka, fd = args.fault_tasks, args.fault_seconds, args.kill_at, args.deadline_fault
        faults = []
        step("fault: TTG")
        faults.append(("TTG", f"3 `ttg worker`, default flags ({os.cpu_count()} threads each here)",
                       ttg_fault(ttg, r, ft, 3, [], int(fs * 1000), ka, fd)))
        step("fault: TTG --threads 1")
        faults.append(("TTG", "3 `ttg worker --threads 1`",
                       ttg_fault(ttg, r, ft, 3, ["--threads", "1"], int(fs * 1000), ka, fd)))
        step("fault: Celery, defaults")
        faults.append(("Celery, defaults", "3 `celery worker --pool prefork --concurrency 1`",
                       peer_fault("celery", procs, url, r, ft, fs, ka, fd)))
        step("fault: Celery, acks_late")
        faults.append(("Celery, `task_acks_late=True`",
                       "3 `celery worker --pool prefork --concurrency 1`",
                       peer_fault("celery-acks-late", procs, url, r, ft, fs, ka, fd)))
        step("fault: RQ, defaults")
        faults.append(("RQ, defaults", "3 `rq worker`",
                       peer_fault("rq", procs, url, r, ft, fs, ka, fd)))

        procs.kill_all()
        meta["uptime_end"] = uptime()
        meta["seconds"] = time.monotonic() - started
        text = report(args, meta, ceiling, thr, faults)
    finally:
        procs.kill_all()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
