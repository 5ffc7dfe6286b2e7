"""A step's retry policy: the pauses it takes and what its deadline still allows (what the thread promises)."""
from __future__ import annotations

from jobs.steps import MAX_BACKOFF, RetryPlan, Step


def _step(**kw: float) -> Step[None]:
    return Step(name="follow_deploy", title="Deployment", run=lambda _: None, **kw)


def test_pauses_double_and_stop_growing_at_the_cap() -> None:
    step = _step(retries=30, backoff_seconds=5.0)
    assert [step.retry_wait(n) for n in (1, 2, 3, 4, 30)] == [5.0, 10.0, 20.0, MAX_BACKOFF, MAX_BACKOFF]


def test_the_plan_is_every_retry_when_the_deadline_leaves_room() -> None:
    step = _step(retries=30, backoff_seconds=5.0)
    assert step.retry_plan(after=0, seconds_left=5 * 3600) == RetryPlan(attempts=30, waits=5 + 10 + 20 + 27 * 30)


def test_the_deadline_cuts_the_plan_short_of_the_retries() -> None:
    step = _step(retries=30, backoff_seconds=5.0)
    assert step.retry_plan(after=0, seconds_left=60) == RetryPlan(attempts=3, waits=35)
    assert step.retry_plan(after=0, seconds_left=4) == RetryPlan(attempts=0, waits=0)


def test_retries_already_spent_are_not_promised_again() -> None:
    step = _step(retries=3, backoff_seconds=2.0)
    assert step.retry_plan(after=2, seconds_left=600) == RetryPlan(attempts=1, waits=8)
    assert _step(retries=0).retry_plan(after=0, seconds_left=600) == RetryPlan(attempts=0, waits=0)
