"""Schedules on a real database: validation, exactly-once fires across replicas, coalescing."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.errors import CommandError
from jobs.schedules import create_schedule, delete_schedule, fire_due, list_schedules
from store.models import Job, Schedule, ScheduleFire


def _count(sessions, model):
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("cron,tz,message", [
    ("0 9 * *", "UTC", "needs 5 fields"),
    ("0 25 * * *", "UTC", "not a valid cron"),
    ("0 9 * * mon-fri", "Mars/Olympus", "Unknown time zone"),
    ("0 9 * * mon-fri", "Europe", "is a region"),
    ("0 9 * * mon-fri", "Asia/Calcutta", "old name of `Asia/Kolkata`"),
    # crontab(5)'s five fields and nothing APScheduler adds to them
    ("0 9 last * *", "UTC", "day `last` is not a number"),
    ("5/10 * * * *", "UTC", "minute `5/10` is not a value, a range or `\\*`"),
    ("0 9 * * L", "UTC", r"weekday `L` is not a number or a name \(sun…sat\)"),
    ("*/0 * * * *", "UTC", "steps by 0"),
    ("0 9 * * fri-mon", "UTC", "runs backwards"),
    ("0 9 1 * mon", "UTC", "restricts both the day of the month and the weekday"),
])
def test_invalid_schedules_are_refused_and_nothing_is_stored(sessions, cron, tz, message):
    with sessions() as s, s.begin():
        with pytest.raises(CommandError, match=message):
            create_schedule(s, kind="digest", cron=cron, timezone=tz, channel="C1", created_by="U1")
    assert _count(sessions, Schedule) == 0


def test_next_fire_time_honours_the_time_zone(sessions):
    now = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)  # 08:00 in Paris
    with sessions() as s, s.begin():
        schedule = create_schedule(s, kind="digest", cron="0 9 * * *", timezone="Europe/Paris", channel="C1",
                                   created_by="U1", now=now)
        assert schedule.next_fire_at == datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def test_each_fire_time_runs_once_with_three_replicas(sessions):
    start = datetime(2026, 11, 24, 8, 59, tzinfo=timezone.utc)
    with sessions() as s, s.begin():
        create_schedule(s, kind="health", lab="lab1", cron="0 9 * * *", timezone="UTC", channel="C1",
                        created_by="U1", now=start)
    at = start + timedelta(minutes=1, seconds=5)
    barrier = threading.Barrier(3)
    created, errors = [], []

    def replica(name):
        barrier.wait()
        try:
            with sessions() as s, s.begin():
                created.extend(fire_due(s, worker_id=name, now=at))
        except Exception as exc:  # a lost race must be absorbed inside fire_due, never surface
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(f"r{i}",)) for i in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and len(created) == 1
    assert _count(sessions, ScheduleFire) == 1 and _count(sessions, Job) == 1
    with sessions() as s:
        job = s.scalar(select(Job))
        assert (job.kind, job.lab, job.requester, job.channel) == ("health", "lab1", "schedule:1", "C1")


def test_missed_fires_are_coalesced_into_one_run_that_says_so(sessions):
    start = datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)
    with sessions() as s, s.begin():
        create_schedule(s, kind="digest", cron="0 * * * *", timezone="UTC", channel="C1", created_by="U1", now=start)
    down_until = start + timedelta(hours=5, minutes=10)   # fires at 01..05 missed while all replicas were down
    with sessions() as s, s.begin():
        assert len(fire_due(s, worker_id="r1", now=down_until)) == 1
    with sessions() as s:
        fire = s.scalar(select(ScheduleFire))
        job = s.scalar(select(Job))
        assert fire.fire_at == start + timedelta(hours=5) and fire.missed == 4 and job.params["missed"] == 4
        assert s.scalar(select(Schedule)).next_fire_at == start + timedelta(hours=6)
    with sessions() as s, s.begin():
        assert fire_due(s, worker_id="r1", now=down_until) == []


def test_unschedule(sessions):
    with sessions() as s, s.begin():
        schedule = create_schedule(s, kind="digest", cron="0 9 * * *", timezone="UTC", channel="C1", created_by="U1")
    with sessions() as s, s.begin():
        delete_schedule(s, schedule.id)
        assert list_schedules(s) == []
        with pytest.raises(Exception, match="no schedule #42"):
            delete_schedule(s, 42)


@pytest.mark.parametrize("weekday,first_fire", [
    ("1-5", datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)),      # cron's 1 is Monday
    ("0", datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)),        # and 0 is Sunday
    ("7", datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)),
    ("sat", datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)),
])
def test_cron_weekday_numbers_mean_what_cron_means(sessions, weekday, first_fire):
    saturday_morning = datetime(2026, 11, 28, 0, 0, tzinfo=timezone.utc)
    with sessions() as s, s.begin():
        schedule = create_schedule(s, kind="digest", cron=f"0 9 * * {weekday}", timezone="UTC", channel="C1",
                                   created_by="U1", now=saturday_morning)
        assert schedule.next_fire_at == first_fire
