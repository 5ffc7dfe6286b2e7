"""Scheduled checks that are safe to page on, through signed Slack commands on the simulators.

The schedule is made with `/fuel schedule health`; its fires are driven with a fast clock (as the
other schedule tests do): each ``fire(n)`` is the schedule's n-th minute. On-call must get one
page when something breaks, one when it recovers, and nothing in between.
"""
from __future__ import annotations

import time
from datetime import timedelta

import requests
from sqlalchemy import select

from jobs.schedules import fire_due
from store.models import Job, JobEvent, Schedule, ScheduleFire
from store.types import utcnow
from tests.fixtures.stack import OPERATOR, VIEWER

ONCALL = "<!subteam^SONCALL|oncall>"       # as Slack puts a group mention in a command's text
PAGED = "<!subteam^SONCALL>"               # as fuelbot mentions it (core.mrkdwn.subteam)


class Minutes:
    """An every-minute schedule of lab1's health, fired one minute at a time on a fast clock."""

    def __init__(self, stack, testsets: str = "sanity") -> None:
        self.stack = stack
        answer = stack.command(f'schedule health lab1 "* * * * *" UTC --mention {ONCALL} {testsets}').json()["text"]
        assert answer.startswith("Scheduled health check of *lab1*"), answer
        # A whole minute far from real time, so that the stack's own ticker never fires it.
        self.base = utcnow().replace(second=0, microsecond=0) + timedelta(days=1)
        with stack.runtime.sessions() as session, session.begin():
            schedule = session.scalar(select(Schedule))
            schedule.next_fire_at = self.base
            self.id = schedule.id

    def fire(self, minute: int, *, wait: bool = True) -> Job | None:
        """The fire at ``minute``; its job (finished, unless ``wait`` is False), or None when it was skipped."""
        with self.stack.runtime.sessions() as session, session.begin():
            ids = fire_due(session, worker_id="test", now=self.base + timedelta(minutes=minute - 1, seconds=5))
        if not ids:
            return None
        return self.stack.wait_job(ids[0], timeout=60) if wait else self.stack.job(ids[0])

    def skipped(self, minute: int) -> str | None:
        with self.stack.runtime.sessions() as session:
            return session.scalar(select(ScheduleFire.skipped).where(
                ScheduleFire.fire_at == self.base + timedelta(minutes=minute - 1)))

    def posted(self, job: Job) -> bool:
        self.stack.settle()
        return self.stack.job(job.id).thread_ts is not None


def _deployed(stack) -> None:
    stack.command("deploy lab1 --skip-health")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "succeeded", job.error


def _fuel_answers(stack) -> bool:
    try:
        return requests.get(f"{stack.fuel.url}/api/version", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _events(stack, kind: str) -> list[JobEvent]:
    with stack.runtime.sessions() as session:
        return list(session.scalars(select(JobEvent).where(JobEvent.kind == kind).order_by(JobEvent.id)))


def test_fuel_down_for_three_minutes_pages_once_and_once_more_when_it_is_back(stack):
    _deployed(stack)
    minutes = Minutes(stack)
    first = minutes.fire(1)
    assert first.state == "succeeded" and minutes.posted(first), "the first run is news"
    stack.fuel.outage(20)
    _wait(lambda: not _fuel_answers(stack))
    down = [minutes.fire(m) for m in (2, 3, 4)]
    assert all(job.state == "failed" for job in down) and _fuel_answers(stack) is False, "all three while Fuel was down"
    _wait(lambda: _fuel_answers(stack))
    back, after = minutes.fire(5), minutes.fire(6)
    assert back.state == after.state == "succeeded"
    assert [minutes.posted(job) for job in (*down, back, after)] == [True, False, False, True, False]

    parent, (said,) = stack.thread(down[0].id)
    assert parent == (f"{PAGED} ⚠️ Scheduled health check of *lab1* could not run — the Fuel master does not answer "
                      f"· job #{down[0].id}")
    assert said.startswith("❌ Health check (OSTF) could not run: ") and "Cannot reach the Fuel master" in said
    assert (f"💡 Is the Fuel master up, and its API ({stack.fuel.url}) reachable from fuelbot? `/fuel status lab1` "
            "shows what fuelbot sees. This schedule keeps checking and says here once, when the check runs again; "
            f"`/fuel snooze {minutes.id} 2h` silences it meanwhile.") in said
    parent, _ = stack.thread(back.id)
    assert parent.startswith(f"{PAGED} ✅ Health of *lab1* — sanity") and f"· job #{back.id}" in parent
    assert "\n🔁 The check runs again: the Fuel master does not answer since " in parent
    with stack.runtime.sessions() as session:
        started = session.get(Job, down[0].id).started_at
    assert f"since {started:%Y-%m-%d %H:%M} UTC" in parent, "since the first check that could not run"


def test_overlapping_fires_and_a_reset_page_nobody_falsely(stack):
    _deployed(stack)
    minutes = Minutes(stack, testsets="smoke")
    check = minutes.fire(1, wait=False)
    _wait(lambda: stack.job(check.id).state == "running")
    assert minutes.fire(2) is None, "the previous run of the same schedule is still going"
    assert minutes.skipped(2) == f"its previous run, job #{check.id}, is still running"

    stack.fuel.set_fault(route=r"/reset/?$", method="PUT", latency_ms=6000, count=1)
    stack.command("reset lab1", user=OPERATOR)               # while the check runs: its outcome means nothing
    reset = stack.last_job("reset")
    check = stack.wait_job(check.id, timeout=60)
    assert not minutes.posted(check)
    discarded = _events(stack, "check-discarded")
    assert len(discarded) == 1 and discarded[0].job_id == check.id
    assert f"lab1 was held by reset job #{reset.id} during this check" in discarded[0].message

    assert stack.job(reset.id).state == "running"
    assert minutes.fire(3) is None, "a mutating job holds the lab"
    assert minutes.skipped(3) == f"lab1 is held by reset job #{reset.id}, whose work would fail the check"
    skips = _events(stack, "schedule-skipped")
    assert [e.message.split(" skipped: ")[1] for e in skips] == [minutes.skipped(2), minutes.skipped(3)]
    assert stack.wait_job(reset.id, timeout=60).state == "succeeded"

    after = minutes.fire(4)                                   # a true change: the lab is no longer deployed
    assert after.state == "failed" and minutes.posted(after)
    parent, (said,) = stack.thread(after.id)
    assert parent.startswith(f"{PAGED} ⚠️ Scheduled health check of *lab1* could not run — the environment is not "
                             "deployed")
    assert "It is not deployed (a reset, or never deployed): `/fuel deploy lab1`." in said
    assert "Wait for" not in said
    again = minutes.fire(5)
    assert again.state == "failed" and not minutes.posted(again), "the same state: said once"
    with stack.runtime.sessions() as session:
        posted = session.scalars(select(Job.id).where(Job.kind == "health", Job.thread_ts.is_not(None))).all()
    assert posted == [after.id], "one page in all: the environment gone, not the reset's side effects"


def test_a_snooze_silences_alerts_and_a_change_still_standing_is_said_when_it_ends(stack):
    _deployed(stack)
    minutes = Minutes(stack)
    assert minutes.posted(minutes.fire(1))
    answer = stack.command("snooze lab1 1h", user=OPERATOR).json()["text"]
    assert answer.startswith("🔕 Alerts snoozed for 1h, until ") and f"#{minutes.id} health check of *lab1*" in answer
    listing = stack.command("schedules").json()["text"]
    assert "🔕 snoozed until " in listing and f"by <@{OPERATOR}>" in listing
    stack.fuel.fail_ostf_test("test_list_services", message="Keystone is down", step=1)
    quiet = minutes.fire(2)
    assert quiet.state == "succeeded" and not minutes.posted(quiet)
    (silenced,) = _events(stack, "alert-snoozed")
    assert silenced.job_id == quiet.id and "snoozed until" in silenced.message and OPERATOR in silenced.message
    assert stack.command(f"snooze {minutes.id} off", user=OPERATOR).json()["text"] == (
        f"🔔 Alerts back on: #{minutes.id} health check of *lab1* (sanity).")
    assert "snoozed" not in stack.command("schedules").json()["text"]
    loud = minutes.fire(3)
    assert minutes.posted(loud), "still failing when the snooze ended: on-call hears it now"
    parent, replies = stack.thread(loud.id)
    assert parent.startswith(f"{PAGED} ❌ Health of *lab1*") and any("Keystone is down" in r for r in replies)
    assert not minutes.posted(minutes.fire(4))
    for text, expected in (("snooze 99 1h", "There is no schedule #99."), ("snooze lab2 1h", "*lab2* has no schedules"),
                           ("snooze lab1 forever", "`forever` is not a length of time")):
        assert stack.command(text, user=OPERATOR).json()["text"].startswith(expected), text
    assert stack.command("snooze lab1 1h", user=VIEWER).json()["text"].startswith(
        "Snoozing alerts needs the *operator* role")
