"""Recurring digests and health checks: add, list and remove schedules (``jobs.schedules`` stores them).

Cron and time zone are validated by ``jobs.schedules`` before anything is stored, and a handler
error rolls the whole unit of work back, so an invalid schedule never leaves a row behind.

A schedule posts where it is made: Slack lets people type only in conversations they are in, so
the channel a command comes from is one its author is in, known without asking Slack (which a
3-second ack has no time for, and which needs channels:read and groups:read). Pointing one at
another channel (``--channel``) is an admin's call; anyone else is told to type it there.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commands import schedule_replies
from commands.api import Reply
from commands.catalog import ListSchedules, ScheduleDigest, ScheduleHealth, SnoozeAlerts, Unschedule
from commands.dispatch import handles
from commands.job_commands import find_lab, lab_or_all
from commands.request import Request
from commands.roles import Role
from core.errors import CommandError, PermissionDenied
from jobs.queue import record_event
from jobs.schedules import create_schedule, delete_schedule, list_schedules
from jobs.states import JobKind
from store.models import Schedule


@handles(ScheduleDigest)
def schedule_digest(command: ScheduleDigest, request: Request) -> Reply:
    return _schedule(request, kind=JobKind.DIGEST, lab=lab_or_all(request, command.lab), cron=command.cron, timezone=command.timezone,
                     channel=_channel_for(request, command.channel), mention=command.mention,
                     params={}, canonical=command.canonical)


def _channel_for(request: Request, channel: str | None) -> str:
    """Where a schedule may post: the channel it is typed in, or any channel for an admin."""
    if channel is None or channel == request.channel_id or request.role >= Role.ADMIN:
        return channel or request.channel_id
    raise PermissionDenied(schedule_replies.schedule_elsewhere(channel), audit="schedules post where they are made")


@handles(ScheduleHealth)
def schedule_health(command: ScheduleHealth, request: Request) -> Reply:
    lab = find_lab(request, command.lab).name
    return _schedule(request, kind=JobKind.HEALTH, lab=lab, cron=command.cron, timezone=command.timezone,
                     channel=request.channel_id, mention=command.mention,
                     params={"testsets": list(command.testsets)}, canonical=command.canonical)


def _schedule(request: Request, *, kind: JobKind, lab: str | None, cron: str, timezone: str, channel: str,
              mention: str | None, params: dict[str, Any], canonical: str) -> Reply:
    # Same schedule twice (a Slack retry, or a second person) is answered with the first one.
    existing = request.session.scalar(select(Schedule).where(
        Schedule.enabled.is_(True), Schedule.kind == kind, Schedule.lab.is_(None) if lab is None else Schedule.lab == lab,
        Schedule.cron == cron, Schedule.timezone == timezone, Schedule.channel == channel).order_by(Schedule.id))
    if existing is not None and existing.mention == mention and (existing.params or {}) == params:
        return Reply(_created_text(existing, existed=True))
    schedule = create_schedule(request.session, kind=kind, cron=cron, timezone=timezone, channel=channel,
                               created_by=request.user_id, lab=lab, mention=mention, params=params, now=request.now)
    if schedule.next_fire_at is None:
        raise CommandError(schedule_replies.never_fires(cron))
    record_event(request.session, None, actor=request.user_id, kind="scheduled",
                 message=f"schedule #{schedule.id}: {canonical}")
    return Reply(_created_text(schedule, existed=False))


def _subject(schedule: Schedule) -> str:
    return schedule_replies.schedule_subject(JobKind(schedule.kind).label.lower(), schedule.lab,
                                    (schedule.params or {}).get("testsets", ()))


def _local(moment: datetime | None, timezone: str) -> str:
    """A fire time in the schedule's own zone, where people expect it."""
    if moment is None:
        return "never"
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %Y-%m-%d %H:%M %Z")


def _created_text(schedule: Schedule, *, existed: bool) -> str:
    return schedule_replies.schedule_created(schedule_id=schedule.id, subject=_subject(schedule), cron=schedule.cron,
                                    timezone=schedule.timezone, channel=schedule.channel,
                                    next_fire=_local(schedule.next_fire_at, schedule.timezone), existed=existed)


@handles(ListSchedules)
def show_schedules(command: ListSchedules, request: Request) -> Reply:
    lines = [schedule_replies.schedule_line(schedule_id=s.id, subject=_subject(s), cron=s.cron, timezone=s.timezone,
                                   channel=s.channel, next_fire=_local(s.next_fire_at, s.timezone),
                                   created_by=s.created_by, snoozed=_snoozed(s, request.now))
             for s in list_schedules(request.session)]
    return Reply(schedule_replies.schedules_overview(lines))


def _snoozed(schedule: Schedule, now: datetime) -> str | None:
    """``until Tue 2025-03-04 14:00 CET by <@U…>`` while the schedule's alerts are snoozed."""
    if schedule.snoozed_until is None or schedule.snoozed_until <= now:
        return None
    return schedule_replies.snoozed_until(_local(schedule.snoozed_until, schedule.timezone), schedule.snoozed_by)


@handles(SnoozeAlerts)
def snooze(command: SnoozeAlerts, request: Request) -> Reply:
    """Silence (or, with ``off``, wake) the alerts of one schedule or of every schedule of a lab."""
    if command.target.startswith("#"):
        schedule = request.session.get(Schedule, int(command.target[1:]))
        if schedule is None or not schedule.enabled:
            raise CommandError(schedule_replies.no_such_schedule(int(command.target[1:])))
        chosen = [schedule]
    else:
        lab = find_lab(request, command.target).name
        chosen = [s for s in list_schedules(request.session) if s.lab == lab]
        if not chosen:
            raise CommandError(schedule_replies.nothing_to_snooze(lab))
    until = None if isinstance(command.length, str) else request.now + command.length
    for schedule in chosen:
        schedule.snoozed_until, schedule.snoozed_by = until, (request.user_id if until else None)
    names = ", ".join(f"#{s.id}" for s in chosen)
    record_event(request.session, None, actor=request.user_id, kind="snoozed" if until else "unsnoozed",
                 message=f"schedule(s) {names} of {command.target}: "
                         + (f"alerts snoozed for {command.length}, until {until:%Y-%m-%d %H:%M} UTC" if until
                            else "alerts back on"))
    subjects = [f"#{s.id} {_subject(s)}" for s in chosen]
    if until is None:
        return Reply(schedule_replies.snooze_ended(subjects))
    return Reply(schedule_replies.snoozed(subjects, until=_local(until, chosen[0].timezone), length=str(command.length),
                                 target=command.target.lstrip("#")))


@handles(Unschedule)
def unschedule(command: Unschedule, request: Request) -> Reply:
    schedule = delete_schedule(request.session, command.schedule_id)
    record_event(request.session, None, actor=request.user_id, kind="unscheduled",
                 message=f"schedule #{schedule.id} ({schedule.kind} {schedule.cron} {schedule.timezone}) removed")
    return Reply(schedule_replies.unscheduled(schedule.id, _subject(schedule), schedule.cron, schedule.timezone))
