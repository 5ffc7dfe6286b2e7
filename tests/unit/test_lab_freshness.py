"""How far a lab's observation is trusted: never read, its master silent since, too old, or current."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.mrkdwn import as_of, to_plain
from store.models import LabState
from store.lab_states import STALE_AFTER, freshness

NOW = datetime(2026, 5, 1, 18, 0, tzinfo=timezone.utc)


def _row(*, observed: float | None, tried: float, error: str | None = None) -> LabState:
    at = (lambda ago: None if ago is None else NOW - timedelta(seconds=ago))
    return LabState(lab="lab1", fuel="http://fuel", observed_at=at(observed), tried_at=at(tried), error=error,
                    data={"status": "operational"})


def test_a_lab_never_read_is_not_current():
    assert not freshness(None, NOW).current
    never = freshness(_row(observed=None, tried=5, error="connection refused"), NOW)
    assert never.observed_at is None and never.error == "connection refused" and not never.current


def test_a_reading_from_the_last_tick_is_current_and_an_old_one_is_stale():
    assert freshness(_row(observed=40, tried=40), NOW).current
    old = freshness(_row(observed=STALE_AFTER + 1, tried=STALE_AFTER + 1), NOW)
    assert old.stale and not old.current


def test_a_master_that_failed_after_its_last_answer_makes_the_reading_not_current():
    failed = freshness(_row(observed=60, tried=5, error="timed out"), NOW)
    assert failed.error == "timed out" and not failed.current
    # a read that answers again clears the error
    assert freshness(_row(observed=5, tried=5, error=None), NOW).current


def test_as_of_says_seconds_then_minutes_then_the_time():
    assert as_of(NOW - timedelta(seconds=40), NOW) == "as of 40s ago"
    assert as_of(NOW - timedelta(minutes=5), NOW) == "as of 5 min ago"
    assert to_plain(as_of(NOW - timedelta(hours=2), NOW)) == "as of 2026-05-01 16:00 UTC"
