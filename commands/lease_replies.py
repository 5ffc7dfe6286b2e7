"""Every sentence fuelbot says in reply to a lease command, or when a lease stops a command."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from commands.echo import echo
from core.durations import EXAMPLES, Duration, say_duration
from core.mrkdwn import moment, who


def bad_duration(value: str) -> str:
    return f"{echo(value)} is not a length of time: use minutes, hours, days or weeks, e.g. {EXAMPLES}."


def duration_too_long(value: str) -> str:
    return f"{echo(value)} is longer than a year; leases are for hours, days or weeks, e.g. `3d`."


def empty_reason() -> str:
    return "`--reason` needs a few words saying why, e.g. `--reason upgrade rehearsal`."


def _why(reason: str | None) -> str:
    return f" — “{reason}”" if reason else ""


def _reminders(reminders: Sequence[timedelta]) -> str:
    if not reminders:
        return ""
    return f" You will be reminded {' and '.join(say_duration(r) for r in reminders)} before it ends."


def granted(*, lab: str, until: str, reason: str | None, reminders: Sequence[timedelta]) -> str:
    return (f"🔐 *{lab}* is yours {until}{_why(reason)}. Meanwhile only you may deploy, reset, destroy, snapshot "
            f"or roll it back.{_reminders(reminders)} `/fuel release {lab}` when you are done.")


def already_yours(*, lab: str, until: str) -> str:
    return f"You already hold *{lab}* {until}. `/fuel extend {lab} <duration>` keeps it longer."


def queued(*, lab: str, holder: str, until: str, reason: str | None, position: int, length: timedelta,
           already: bool, viewer: str) -> str:
    place = f"You are still #{position}" if already else f"You are #{position}"
    return (f"*{lab}* is reserved by {who(holder, viewer=viewer)} {until}{_why(reason)}. {place} in its queue: "
            f"when it frees it is yours for {say_duration(length)}, and you will be told in this channel. "
            f"`/fuel release {lab}` takes you out of the queue.")


def _a(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"


def longer_than_role_allows(*, lab: str, asked: timedelta, role: str, longest: timedelta) -> str:
    return (f"{say_duration(asked)} is longer than {_a(role)} may hold a lab ({say_duration(longest)}, set in the "
            f"policy file); ask for at most that, e.g. `/fuel reserve {lab} {Duration(seconds=longest.total_seconds())}`.")


def took_over(*, lab: str, holder: str, until: str, left: timedelta) -> str:
    return (f"🔐 As an admin you took *{lab}* over {until}; {who(holder)} is told and first in line to get it "
            f"back for the {say_duration(left)} they had left. `/fuel release {lab}` when you are done.")


def released(*, lab: str, next_holder: str | None, viewer: str) -> str:
    if next_holder:
        return f"*{lab}* released; {who(next_holder, viewer=viewer)} was next in line and holds it now (they are told)."
    return f"*{lab}* released; it is free."


def broke_lease(*, lab: str, holder: str, next_holder: str | None) -> str:
    after = f" {who(next_holder)} was next in line and holds it now." if next_holder else " It is free."
    return f"As an admin you ended {who(holder)}'s lease of *{lab}*; they are told.{after}"


def left_queue(lab: str) -> str:
    return f"You left *{lab}*'s queue."


def not_reserved(lab: str, verb: str) -> str:
    return f"*{lab}* is not reserved: there is nothing to {verb}. `/fuel reserve {lab} <duration>` holds it."


def not_yours(*, lab: str, holder: str, until: str, verb: str) -> str:
    return f"*{lab}* is reserved by {who(holder)} {until}, not by you: only they (or an admin) can {verb} it."


def extended(*, lab: str, until: str, by: timedelta, waiting: int, holder: str, viewer: str) -> str:
    whose = "yours" if holder == viewer else f"{who(holder)}'s"
    queue = f" {waiting} waiting for it." if waiting else ""
    return f"*{lab}* is {whose} {until} (extended by {say_duration(by)}).{queue}"


def cannot_extend(*, lab: str, role: str, longest: timedelta, room: timedelta) -> str:
    limit = f"{_a(role).capitalize()} may hold a lab at most {say_duration(longest)} from now (the policy file)"
    if room <= timedelta(minutes=1):
        return f"{limit}; *{lab}* cannot be extended further. Reserve it again when it frees."
    return f"{limit}; *{lab}* can be extended by at most {say_duration(room)}."


def lab_reserved(*, lab: str, holder: str, until: str, reason: str | None, activity: str, viewer: str,
                 admin: bool, admins: Sequence[str]) -> str:
    text = (f"*{lab}* is reserved by {who(holder, viewer=viewer)} {until}{_why(reason)}. {activity} waits for "
            f"their lease: ask them, or `/fuel reserve {lab} <duration>` to queue for it (you are told when it frees).")
    if admin:
        return text + (f" As an admin you may take it over: `/fuel reserve {lab} <duration> --override` (audited; "
                       "they are told and get it back after you).")
    return text + (f" An admin may take it over: {', '.join(admins)}." if admins else "")


def destroy_overrides(holder: str, expires_at: datetime) -> str:
    """The destroy prompt's warning when someone else holds the lab."""
    return f"⚠️ {who(holder)} holds it until {moment(expires_at)}: confirming overrides their lease (they are told)."
