"""Slack's rate limits hold across replicas: the allowances live in the database, not in a process.

Two ``OutboxDelivery`` replicas (two worker ids, one database) drain posts in two channels and
the progress edits of five running jobs (each edits its progress message every 3 s, as the
reporter does: 100 edits a minute together, twice Slack's Tier 3 allowance for chat.update),
against a LocalSlack that enforces Slack's limits (posts ~1/s per channel with short bursts,
chat.update ~50/min per workspace) on the same fast clock as the replicas' budgets. Each replica
alone would spend the whole allowance; together they must not earn a single 429, edits must slow
down and coalesce, and nothing may be lost.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from bot.delivery import UPDATE_KEY, OutboxDelivery
from bot.metrics import Metrics
from bot.slack_client import slack_client
from core.settings import Settings
from jobs.announce import announce
from jobs.outbox import OutboxState, enqueue
from jobs.queue import submit
from jobs.rate_budget import Allowance, SharedBudget
from jobs.reporter import OutboxReporter
from jobs.states import JobKind
from sim.slack.workspace import LocalSlack
from store.models import Job, OutboxMessage
from tests.fixtures.slack import assert_no_violations

SCALE = 20.0
RUN_SECONDS = 6.0
CHANNELS = ("C0LAB", "C0OTHER")


@pytest.fixture
def slack():
    with LocalSlack(channels={"C0LAB": "lab", "C0OTHER": "other"}, rate_scale=SCALE) as local:
        yield local
        assert_no_violations(local)


def replica(sessions, slack: LocalSlack, worker_id: str) -> OutboxDelivery:
    metrics = Metrics(session_factory=sessions)
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=slack.base_url)
    return OutboxDelivery(session_factory=sessions, client=slack_client(settings, metrics, wait_on_rate_limit=False),
                          worker_id=worker_id, metrics=metrics, min_interval_per_channel=1.0 / SCALE,
                          updates_per_minute=50 * SCALE, budget_seconds=0.2)


def pending(sessions) -> int:
    with sessions() as session:
        return len(session.scalars(select(OutboxMessage.id).where(OutboxMessage.state.in_(
            [OutboxState.PENDING.value, OutboxState.SENDING.value]))).all())


def test_an_allowance_is_spent_once_across_processes(sessions) -> None:
    now = [100.0]
    first, second = SharedBudget(sessions, clock=lambda: now[0]), SharedBudget(sessions, clock=lambda: now[0])
    posts = Allowance("post:C0LAB", interval=1.0)
    assert first.take(posts) == 0.0
    assert second.take(posts) == pytest.approx(1.0)          # the other replica sees the slot is gone
    now[0] += 1.0
    assert second.take(posts) == 0.0
    edits = Allowance(UPDATE_KEY, interval=1.2, burst=3)
    assert [first.take(edits) for _ in range(3)] == [0.0] * 3
    assert second.take(edits) == pytest.approx(1.2)
    first.hold(UPDATE_KEY, 30.0)                               # a 429's Retry-After, for everyone
    now[0] += 5
    assert second.take(edits) == pytest.approx(25.0) and second.held_for(UPDATE_KEY) == pytest.approx(25.0)


def test_two_replicas_and_five_running_jobs_never_earn_a_429(sessions, slack) -> None:
    with sessions() as session, session.begin():
        jobs = []
        for lab in ("lab1", "lab2", "lab3", "lab4", "lab5"):
            job = submit(session, kind=JobKind.HEALTH, requester="UALICE01", lab=lab, channel="C0LAB").job
            announce(session, job)
            jobs.append(job.id)
        for i in range(24):
            for channel in CHANNELS:
                enqueue(session, channel=channel, text=f"{channel} news {i}")
    replicas = [replica(sessions, slack, "replica-1"), replica(sessions, slack, "replica-2")]
    stop = threading.Event()

    def run(delivery: OutboxDelivery) -> None:
        while not stop.is_set():
            delivery.tick()
            time.sleep(0.01)
    threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in replicas]
    for thread in threads:
        thread.start()
    reporters = [OutboxReporter(session_factory=sessions, job_id=j, channel="C0LAB", progress_interval=3 / SCALE)
                 for j in jobs]
    started = time.monotonic()
    percent = 0
    while time.monotonic() < started + RUN_SECONDS:    # each job edits its progress every (scaled) 3 s
        percent += 1
        for reporter in reporters:
            reporter.progress(f"Deploying — {percent}%")
        time.sleep(0.01)
    for reporter in reporters:
        reporter.progress("Deploying — done", force=True)
    settle = time.monotonic() + 20
    while pending(sessions) and time.monotonic() < settle:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    assert pending(sessions) == 0
    calls = slack.calls()
    assert not [c for c in calls if c.status == 429], "a replica spent an allowance the other had used"
    updates = len(slack.calls("chat.update"))
    allowance = 50 / 60 * SCALE * (time.monotonic() - started) + 5
    offered = len(jobs) * RUN_SECONDS * SCALE / 3
    assert updates <= allowance and updates < offered      # edits slowed to the allowance and coalesced
    # (how many edits: none at all when a loaded machine delivers each slot once, at its last word)
    for channel in CHANNELS:                      # every post arrived, in order
        posted = [m.text for m in slack.channel(channel).messages if "news" in m.text]
        assert posted == [f"{channel} news {i}" for i in range(24)]
    lab = slack.channel("C0LAB")
    for job_id in jobs:                           # each job's progress message ends at its last word
        with sessions() as session:
            thread_ts = session.get(Job, job_id).thread_ts
        [progress] = lab.replies_to(thread_ts)
        assert progress.text == "Deploying — done"
    workers = {m.claimed_by for m in _sent(sessions)}
    assert workers == {"replica-1", "replica-2"}   # both replicas did deliver


def _sent(sessions) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.SENT.value)))
