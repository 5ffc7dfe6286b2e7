"""Recurring digests and health checks: cron in a time zone, stored, fired exactly once.

Each fire time is claimed by inserting a ``ScheduleFire`` row whose (schedule, fire time) key is
unique, in the same transaction that submits the job and moves ``next_fire_at`` on: with N
replicas exactly one wins. Fire times missed while every replica was down are coalesced into
one run that says how many it stands for.

A fire is skipped, and the fire row says why (an audit event too), while the schedule's previous
run is still queued or running (two checks of one schedule never overlap, so their outcomes are
compared in the order they started), and, for health checks, while a mutating job (deploy,
reset, destroy, preflight --fix) holds the lab: a check then would page about work in progress.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import CommandError, JobError, LabBusy
from jobs.queue import active_mutating_job, record_event, submit
from jobs.states import JobKind, JobState
from jobs.timezones import canonical_zone
from store.models import Job, Schedule, ScheduleFire
from store.types import utcnow

SCHEDULABLE = (JobKind.DIGEST, JobKind.HEALTH)     # read-only kinds: a schedule never holds a lab


def parse_trigger(cron: str, timezone: str) -> CronTrigger:
    """A CronTrigger for a 5-field crontab in ``timezone``, or a CommandError saying what is wrong."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):   # OSError: "Europe" is a directory
        raise CommandError(f"Unknown time zone `{timezone}`; use an IANA name like `Europe/Paris` or `UTC`.") from None
    fields = cron.split()
    if len(fields) != 5:
        raise CommandError(f"`{cron}` is not a cron expression: it needs 5 fields "
                           "(minute hour day month weekday), e.g. `0 9 * * mon-fri`.")
    try:
        minute, hour, day, month, weekday = fields
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=cron_weekdays(weekday), timezone=zone)
    except ValueError as exc:
        raise CommandError(f"`{cron}` is not a valid cron expression ({exc}); e.g. `0 9 * * mon-fri`.") from None


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# (name, lowest, highest, names for lowest + i): the five fields of crontab(5), nothing more
_CRON_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day", 1, 31, ()), ("month", 1, 12, _MONTH_NAMES),
                ("weekday", 0, 7, _DAY_NAMES))
_CRON_ITEM = re.compile(r"(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?")


def cron_problem(cron: str) -> str | None:
    """What in ``cron`` is not crontab(5)'s 5-field form, or None.

    APScheduler reads more than cron does (``last``, ``1st mon``, ``5/10`` meaning only 5); each
    of those would fire at times nobody who knows cron expects, so only the plain form passes.
    """
    fields = cron.split()
    if len(fields) != 5:
        return "it needs 5 fields (minute hour day month weekday)"
    for (name, low, high, names), field in zip(_CRON_FIELDS, fields):
        for item in field.split(","):
            match = _CRON_ITEM.fullmatch(item.lower())
            if match is None or (match.group(2) is not None and match.group(1) != "*" and "-" not in match.group(1)):
                return f"{name} `{item}` is not a value, a range or `*`, each with an optional `/step`"
            if match.group(2) is not None and int(match.group(2)) == 0:
                return f"{name} `{item}` steps by 0"
            if match.group(1) == "*":
                continue
            bounds = [_cron_value(part, low, names) for part in match.group(1).split("-")]
            if None in bounds:
                distinct = list(dict.fromkeys(names))
                return f"{name} `{item}` is not a number" + (f" or a name ({distinct[0]}…{distinct[-1]})" if names else "")
            values = [b for b in bounds if b is not None]
            if not all(low <= v <= high for v in values):
                return f"{name} `{item}` is out of range {low}-{high}"
            if values[0] > values[-1]:
                return f"{name} `{item}` runs backwards"
    if fields[2] != "*" and fields[4] != "*":
        return ("it restricts both the day of the month and the weekday; cron fires when either matches, "
                "fuelbot only when both do, so keep one of them `*`")
    return None


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.index(text) + low if text in names else None


def check_cron(cron: str) -> None:
    """A CommandError when ``cron`` is not the 5-field form the help describes."""
    problem = cron_problem(cron)
    if problem is not None:
        raise CommandError(f"`{cron}` is not a valid cron expression: {problem}; e.g. `0 9 * * mon-fri`.")


def cron_weekdays(field: str) -> str:
    """Cron's weekday field (0 or 7 = Sunday) in APScheduler's words, which number from Monday."""
    if not any(ch.isdigit() for ch in field):
        return field
    days: list[int] = []
    for token in field.split(","):
        part, _, step = token.partition("/")
        if part == "*":
            first, last = 0, 6
        elif "-" in part:
            first, last = (int(x) for x in part.split("-", 1))
        else:
            first = last = int(part)
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            raise ValueError(f"weekday {token!r} is out of range 0-7")
        days += range(first, last + 1, int(step) if step else 1)
    order = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    names = {_DAY_NAMES[d] for d in days}
    return ",".join(name for name in order if name in names)


def next_fire(trigger: CronTrigger, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``, in UTC."""
    # APScheduler's answer may equal ``after`` itself; cron has one-second resolution.
    fire = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return fire.astimezone(ZoneInfo("UTC")) if fire else None


def create_schedule(session: Session, *, kind: JobKind, cron: str, timezone: str, channel: str, created_by: str,
                    lab: str | None = None, mention: str | None = None, params: dict[str, Any] | None = None,
                    now: datetime | None = None) -> Schedule:
    """Validate and store a schedule; nothing is stored when the cron or zone is invalid."""
    if kind not in SCHEDULABLE:
        raise CommandError(f"Only {', '.join(SCHEDULABLE)} can be scheduled, not `{kind}`.")
    now = now or utcnow()
    timezone = canonical_zone(timezone)
    check_cron(cron)
    trigger = parse_trigger(cron, timezone)
    schedule = Schedule(kind=kind, lab=lab, cron=cron, timezone=timezone, channel=channel, mention=mention,
                        params=dict(params or {}), created_by=created_by, enabled=True, created_at=now,
                        next_fire_at=next_fire(trigger, now))
    session.add(schedule)
    session.flush()
    return schedule


def list_schedules(session: Session) -> list[Schedule]:
    return list(session.scalars(select(Schedule).where(Schedule.enabled.is_(True)).order_by(Schedule.id)))


def delete_schedule(session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or not schedule.enabled:
        raise JobError(f"There is no schedule #{schedule_id}. `/fuel schedules` lists them.")
    schedule.enabled = False
    return schedule


def fire_due(session: Session, *, worker_id: str, now: datetime | None = None) -> list[int]:
    """Submit one job per due schedule (missed fires coalesced); returns the job ids created.

    Call in its own transaction; a lost race on the fire key rolls back only that schedule.
    """
    now = now or utcnow()
    created: list[int] = []
    due = session.scalars(select(Schedule).where(Schedule.enabled.is_(True), Schedule.next_fire_at <= now)
                          .order_by(Schedule.id)).all()
    for schedule in due:
        trigger = parse_trigger(schedule.cron, schedule.timezone)
        fire_at, missed = schedule.next_fire_at, 0
        assert fire_at is not None            # `next_fire_at <= now` matches no NULL
        following = next_fire(trigger, fire_at)
        while following is not None and following <= now:
            fire_at, missed = following, missed + 1
            following = next_fire(trigger, fire_at)
        busy = why_skip(session, schedule)
        try:
            with session.begin_nested():
                fire = ScheduleFire(schedule_id=schedule.id, fire_at=fire_at, missed=missed, fired_by=worker_id,
                                    created_at=now, skipped=busy)
                session.add(fire)
                session.flush()
        except IntegrityError:
            continue  # another replica fired this time already
        schedule.last_fire_at = fire_at
        schedule.next_fire_at = following
        if busy is not None:
            record_event(session, None, actor=worker_id, kind="schedule-skipped", at=now,
                         message=f"schedule #{schedule.id} ({schedule.kind} of {schedule.lab or 'all labs'}) "
                                 f"fire at {fire_at:%Y-%m-%d %H:%M} UTC skipped: {busy}")
            continue
        params = dict(schedule.params or {}, schedule_id=schedule.id, missed=missed, mention=schedule.mention,
                      scheduled=True)
        try:
            submission = submit(session, kind=JobKind(schedule.kind), requester=f"schedule:{schedule.id}",
                                lab=schedule.lab, channel=schedule.channel, params=params,
                                dedupe_key=f"schedule:{schedule.id}:{fire_at.isoformat()}",
                                schedule_id=schedule.id, now=now)
            fire.job_id = submission.job.id
            created.append(submission.job.id)
        except LabBusy:
            pass  # health/digest are read-only, but keep the fire recorded either way
    return created


def why_skip(session: Session, schedule: Schedule) -> str | None:
    """Why this fire must not run now (its previous run still going, a mutating job on the lab), or None."""
    previous = session.scalar(select(Job).where(Job.schedule_id == schedule.id,
                                                Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
                              .order_by(Job.id.desc()).limit(1))
    if previous is not None:
        return f"its previous run, job #{previous.id}, is still {previous.state.value}"
    if schedule.kind == JobKind.HEALTH and schedule.lab:
        holder = active_mutating_job(session, schedule.lab)
        if holder is not None:
            return f"{schedule.lab} is held by {holder.kind} job #{holder.id}, whose work would fail the check"
    return None
