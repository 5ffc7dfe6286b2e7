"""Job engine throughput and start latency: no-op jobs through submit, Worker and JobRunner.

    .venv/bin/python -m bench.bench_jobs [--jobs 500] [--workers 1,2,4] [--tick 0.1] [--trickle 60]

For SQLite and PostgreSQL (a server from ``.ci/postgres.sh``; skipped with a note when it
cannot provide one) and 1, 2 and 4 worker *processes*, each a production worker (its own
engine, ``Worker`` + ``JobRunner`` with heartbeat and transitions, ticked by the real APScheduler
``Ticker``) running a one-step no-op workflow. Per configuration, on a fresh database:

* drain: ``--jobs`` jobs queued before the workers start, then every worker starts at once;
  jobs/s from the first claim (``started_at``) to the last ``finished_at``: what claim-and-run
  sustains (``jobs_per_s_pg_4_workers``).
* burst: ``--jobs`` more submitted one transaction each as fast as possible (one process) while
  the workers tick; jobs/s from the first ``created_at`` to the last ``finished_at``. When the
  workers keep up, this is the submitting process's pace (``submit_s`` says how long submitting
  took); start latency (``started_at - created_at``) is queueing here.
* trickle: ``--trickle`` jobs arriving at random (Poisson, ``--rate`` per second, below
  capacity); start latency here is what one person waits for a job to start.

Also checked from the audit trail: jobs claimed more than once, and the workers' lock errors
and other warnings. SQLite supports one worker process; 2 and 4 are measured anyway.
A last row runs the production defaults (tick 1 s) to show the ceiling they set.
The last line printed is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, Mapping

ROOT = Path(__file__).resolve().parents[1]

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from jobs.queue import submit
from jobs.states import FINAL_STATES, JobKind
from jobs.record import JobRecord
from jobs.steps import Step, StepContext
from jobs.voice import Ending, LifecycleVoice
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import Job, JobEvent

KIND = JobKind.STATUS          # non-mutating, so jobs never wait on a lab lock
LEASE_SECONDS = 30.0           # production default (Settings.lease_seconds)
MAX_RUNNING = 4                # production default (Settings.max_running_jobs)
FINAL = [s.value for s in FINAL_STATES]
TARGET_JOBS_PER_S = 200.0      # issue #16: PostgreSQL claim-and-run, 4 worker processes


class NoopWorkflow:
    """One step that does nothing; on_finish says nothing (the job has no channel anyway)."""

    kind = KIND
    voice = LifecycleVoice()

    def load(self, raw: Mapping[str, Any] | None) -> JobRecord:
        return JobRecord.from_json(raw)

    def open(self, ctx: StepContext) -> contextlib.nullcontext[StepContext]:
        return contextlib.nullcontext(ctx)

    def steps(self) -> list[Step[StepContext]]:
        return [Step("noop", "No-op", lambda ctx: None)]

    def on_finish(self, ctx: StepContext, ending: Ending) -> None:
        pass

    def on_cancel(self, ctx: StepContext) -> None:
        pass


class _Tally(logging.Handler):
    """Counts a worker's warnings and errors by what they are about."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" | {type(record.exc_info[1]).__name__}: {str(record.exc_info[1]).splitlines()[0][:160]}"
        lowered = text.lower()
        kind = ("lock" if "locked" in lowered or "deadlock" in lowered or "could not serialize" in lowered
                else "lease lost" if "lease lost" in lowered
                else "runner crashed" if "runner crashed" in lowered or "crashed" in lowered
                else "tick skipped" if "maximum number of running instances" in lowered
                else "other")
        self.counts[kind] += 1
        if kind != "tick skipped" and len(self.samples) < 3 and text not in self.samples:
            self.samples.append(text)


def worker_process(url: str, worker_id: str, tick: float, ready, go, stop, results) -> None:
    """A production worker on its own engine, ticked by APScheduler from ``go`` until ``stop`` is set."""
    from jobs.runner import JobRunner
    from jobs.ticker import Tick, Ticker
    from jobs.worker import Worker

    tally = _Tally()
    logging.basicConfig(level=logging.WARNING, handlers=[tally], force=True)
    engine = make_engine(url)
    sessions = session_factory(engine)
    runner = JobRunner(session_factory=sessions, workflows={KIND.value: NoopWorkflow()}, worker_id=worker_id,
                       lease_seconds=LEASE_SECONDS)
    worker = Worker(session_factory=sessions, runner=runner, worker_id=worker_id, lease_seconds=LEASE_SECONDS,
                    max_running=MAX_RUNNING)
    ticker = Ticker([Tick("worker", worker.tick, tick)])
    ready.set()
    go.wait()
    ticker.start()
    stop.wait()
    ticker.shutdown()
    worker.shutdown(wait=True)
    engine.dispose()
    results.put((worker_id, dict(tally.counts), tally.samples))


def postgres_server() -> tuple[str | None, str]:
    """The server URL ``.ci/postgres.sh`` prints, or None and why not."""
    try:
        done = subprocess.run(["bash", str(ROOT / ".ci" / "postgres.sh")], capture_output=True, text=True,
                              timeout=240)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot run .ci/postgres.sh: {exc}"
    url = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not url.startswith("postgresql"):
        return None, f".ci/postgres.sh exited {done.returncode}: {done.stderr.strip()[-300:]}"
    return url, ""


@contextlib.contextmanager
def fresh_database(backend: str, server: str | None, tmp: Path) -> Iterator[str]:
    """The URL of a new, migrated database that is dropped (or deleted) afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'jobs-{uuid.uuid4().hex[:8]}.db'}"
    else:
        name = f"bench_jobs_{uuid.uuid4().hex[:12]}"
        admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if backend != "sqlite":
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def submit_jobs(sessions, count: int, *, rate: float | None, tag: str, errors: Counter) -> list[int]:
    """``count`` jobs, one transaction each (one slash command each); paced at ``rate``/s when given."""
    rng = random.Random(7)
    ids = []
    for i in range(count):
        if rate:
            time.sleep(rng.expovariate(rate))
        try:
            with sessions() as session, session.begin():
                ids.append(submit(session, kind=KIND, requester="UBENCH01", params={"tag": tag, "n": i}).job.id)
        except Exception as exc:  # a lock error on submit is a figure, not the end of the run
            errors[f"submit {type(exc).__name__}"] += 1
    return ids


def wait_final(sessions, ids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            done = session.scalar(select(func.count()).select_from(Job).where(Job.id.in_(ids), Job.state.in_(FINAL)))
        if done == len(ids):
            return True
        time.sleep(0.05)
    return False


def figures(sessions, ids: list[int], *, since: str = "created_at") -> dict:
    """Throughput, latencies and double claims of ``ids``, read back from the database.

    Throughput is jobs per second from the first ``since`` (``created_at``: the first submit; or
    ``started_at``: the first claim) to the last ``finished_at``.
    """
    with sessions() as session:
        jobs = list(session.scalars(select(Job).where(Job.id.in_(ids))))
        claims = Counter(session.scalars(select(JobEvent.job_id).where(
            JobEvent.job_id.in_(ids), JobEvent.kind == "state:running")))
    finished = [j for j in jobs if j.finished_at is not None]
    started = [j for j in jobs if j.started_at is not None]
    start_ms = [(j.started_at - j.created_at).total_seconds() * 1000 for j in started]
    run_ms = [(j.finished_at - j.started_at).total_seconds() * 1000 for j in finished if j.started_at]
    first = min((getattr(j, since) for j in jobs if getattr(j, since) is not None), default=None)
    span = (max(j.finished_at for j in finished) - first).total_seconds() if finished and first else 0.0
    submitting = (max(j.created_at for j in jobs) - min(j.created_at for j in jobs)).total_seconds() if jobs else 0.0
    return {"jobs": len(ids), "succeeded": sum(j.state == "succeeded" for j in jobs),
            "unfinished": len(jobs) - len(finished), "span_s": round(span, 2), "submit_s": round(submitting, 2),
            "jobs_per_s": round(len(finished) / span, 1) if span else 0.0,
            "start_p50_ms": round(percentile(start_ms, 0.5), 1) if start_ms else None,
            "start_p99_ms": round(percentile(start_ms, 0.99), 1) if start_ms else None,
            "run_p50_ms": round(percentile(run_ms, 0.5), 1) if run_ms else None,
            "claimed_twice": sum(1 for n in claims.values() if n > 1),
            "extra_claims": sum(n - 1 for n in claims.values() if n > 1)}


def run_config(url: str, *, workers: int, jobs: int, tick: float, trickle: int, rate: float) -> dict:
    context = multiprocessing.get_context("spawn")
    stop, go, results = context.Event(), context.Event(), context.Queue()
    readies = [context.Event() for _ in range(workers)]
    procs = [context.Process(target=worker_process, args=(url, f"bench-w{i + 1}", tick, readies[i], go, stop, results),
                             daemon=True) for i in range(workers)]
    for proc in procs:
        proc.start()
    engine = make_engine(url)
    sessions = session_factory(engine)
    submit_errors: Counter[str] = Counter()
    try:
        for ready in readies:
            ready.wait(60)
        drain_ids = submit_jobs(sessions, jobs, rate=None, tag="drain", errors=submit_errors)
        go.set()                                     # every worker starts on a full queue at once
        wait_final(sessions, drain_ids, timeout=90)
        drain = figures(sessions, drain_ids, since="started_at")
        burst_ids = submit_jobs(sessions, jobs, rate=None, tag="burst", errors=submit_errors)
        burst_done = wait_final(sessions, burst_ids, timeout=90)
        trickle_ids = submit_jobs(sessions, trickle, rate=rate, tag="trickle", errors=submit_errors) \
            if trickle and burst_done else []
        if trickle_ids:
            wait_final(sessions, trickle_ids, timeout=30)
        burst = figures(sessions, burst_ids)
        paced = figures(sessions, trickle_ids) if trickle_ids else None
    finally:
        stop.set()
        warnings: Counter[str] = Counter(submit_errors)
        samples: list[str] = []
        for _ in procs:
            try:
                _, counts, texts = results.get(timeout=30)
            except Exception:
                warnings["worker gave no report"] += 1
                continue
            warnings.update(counts)
            samples += [t for t in texts if t not in samples][:3]
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        engine.dispose()
    return {"workers": workers, "tick_s": tick, "drain": drain, "burst": burst, "trickle": paced,
            "warnings": dict(warnings), "warning_samples": samples[:3]}


def show(backend: str, row: dict) -> None:
    d, b, t = row["drain"], row["burst"], row["trickle"]
    line = (f"{backend:>10} {row['workers']:>2} proc tick {row['tick_s']:>4}s | drain {d['jobs']} queued: "
            f"{d['jobs_per_s']:>6.1f} jobs/s | burst {b['jobs']} in {b['span_s']:>5.2f}s (submitted in "
            f"{b['submit_s']:.2f}s) = {b['jobs_per_s']:>6.1f} jobs/s, start p50 {b['start_p50_ms']:>7.1f} "
            f"p99 {b['start_p99_ms']:>7.1f} ms, run p50 {b['run_p50_ms']:>5.1f} ms")
    if t:
        line += f" | trickle start p50 {t['start_p50_ms']:>6.1f} p99 {t['start_p99_ms']:>6.1f} ms"
    print(line, flush=True)
    problems = {k: v for k, v in row["warnings"].items() if k != "tick skipped"}
    claimed = d["claimed_twice"] + b["claimed_twice"] + (t["claimed_twice"] if t else 0)
    unfinished = d["unfinished"] + b["unfinished"] + (t["unfinished"] if t else 0)
    if problems or claimed or unfinished or b["succeeded"] < b["jobs"] or d["succeeded"] < d["jobs"]:
        print(f"{'':>11}!! {claimed} job(s) claimed more than once, {unfinished} unfinished, "
              f"{d['succeeded']}/{d['jobs']} drained and {b['succeeded']}/{b['jobs']} burst succeeded; "
              f"worker warnings {problems or 'none'}")
        for sample in row["warning_samples"]:
            print(f"{'':>14}e.g. {sample[:220]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=500, help="burst jobs per configuration")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts")
    parser.add_argument("--tick", type=float, default=0.1, help="worker tick, s (production default 1.0)")
    parser.add_argument("--trickle", type=int, default=60, help="paced jobs per configuration (0: none)")
    parser.add_argument("--rate", type=float, default=15.0, help="trickle arrivals per second")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    started = time.monotonic()
    server, why = postgres_server()
    print(f"no-op jobs, {MAX_RUNNING} running per process, lease {LEASE_SECONDS:.0f}s, APScheduler tick "
          f"{args.tick}s; burst {args.jobs} jobs, trickle {args.trickle} at {args.rate}/s")
    if server is None:
        print(f"PostgreSQL skipped: {why}")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        backends = ["sqlite"] + (["postgresql"] if server else [])
        for backend in backends:
            for workers in counts:
                with fresh_database(backend, server, Path(tmp)) as url:
                    row = run_config(url, workers=workers, jobs=args.jobs, tick=args.tick, trickle=args.trickle,
                                     rate=args.rate)
                results[f"{backend}_{workers}"] = row
                show(backend, row)
        with fresh_database("sqlite", None, Path(tmp)) as url:
            row = run_config(url, workers=1, jobs=40, tick=1.0, trickle=10, rate=2.0)
        results["sqlite_1_production_tick"] = row
        show("sqlite", row)
    print(f"a tick claims until {MAX_RUNNING} jobs run per process, and a job that ends claims the next at once")
    summary = {"bench": "jobs", "jobs": args.jobs, "tick_s": args.tick, "max_running": MAX_RUNNING,
               "postgresql": bool(server), "postgresql_note": why or None,
               "seconds": round(time.monotonic() - started, 1),
               "jobs_per_s_pg_4_workers": results["postgresql_4"]["drain"]["jobs_per_s"] if "postgresql_4" in results
               else None, "targets": {"jobs_per_s_pg_4_workers": TARGET_JOBS_PER_S}}
    for key, row in results.items():
        d, b, t = row["drain"], row["burst"], row["trickle"] or {}
        summary[key] = {"drain_jobs_per_s": d["jobs_per_s"], "jobs_per_s": b["jobs_per_s"], "submit_s": b["submit_s"],
                        "start_p50_ms": b["start_p50_ms"],
                        "start_p99_ms": b["start_p99_ms"], "run_p50_ms": b["run_p50_ms"],
                        "trickle_start_p50_ms": t.get("start_p50_ms"), "trickle_start_p99_ms": t.get("start_p99_ms"),
                        "claimed_twice": d["claimed_twice"] + b["claimed_twice"] + t.get("claimed_twice", 0),
                        "unfinished": d["unfinished"] + b["unfinished"] + t.get("unfinished", 0),
                        "lock_errors": row["warnings"].get("lock", 0),
                        "warnings": {k: v for k, v in row["warnings"].items() if k != "lock"}}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
