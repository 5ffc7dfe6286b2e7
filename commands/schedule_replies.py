"""What replies say about schedules and snoozed alerts."""
from __future__ import annotations

from typing import Sequence

from core.mrkdwn import channel_ref, who


def schedule_subject(kind: str, lab: str | None, testsets: Sequence[str] = ()) -> str:
    sets = f" ({', '.join(testsets)})" if testsets else ""
    return f"{kind} of *{lab}*{sets}" if lab else f"{kind} of all labs"


def schedule_created(*, schedule_id: int, subject: str, cron: str, timezone: str, channel: str,
                     next_fire: str, existed: bool) -> str:
    lead = (f"That schedule already exists as *#{schedule_id}*" if existed
            else f"Scheduled {subject} as *#{schedule_id}*")
    return (f"{lead}: `{cron}` in {timezone}, posting in {channel_ref(channel)}. Next: {next_fire}. "
            f"`/fuel unschedule {schedule_id}` removes it.")


def schedule_elsewhere(channel: str) -> str:
    return (f"A schedule posts in the channel it is made in, one you are in: type this command in "
            f"{channel_ref(channel)} itself (without `--channel`), or ask an admin to point it there.")


def never_fires(cron: str) -> str:
    return f"`{cron}` never fires (no such date); nothing was scheduled."


def schedule_line(*, schedule_id: int, subject: str, cron: str, timezone: str, channel: str,
                  next_fire: str, created_by: str, snoozed: str | None = None) -> str:
    quiet = f" · 🔕 snoozed {snoozed}" if snoozed else ""
    return (f"#{schedule_id} {subject} · `{cron}` {timezone} · {channel_ref(channel)} · next {next_fire} "
            f"· by {who(created_by)}{quiet}")


def snoozed_until(until: str, by: str | None) -> str:
    return f"until {until}" + (f" by {who(by)}" if by else "")


def no_such_schedule(schedule_id: int) -> str:
    return f"There is no schedule #{schedule_id}. `/fuel schedules` lists them."


def nothing_to_snooze(lab: str) -> str:
    return f"*{lab}* has no schedules, so nothing alerts about it. `/fuel schedules` lists them."


def snoozed(subjects: Sequence[str], *, until: str, length: str, target: str) -> str:
    return (f"🔕 Alerts snoozed for {length}, until {until}: {'; '.join(subjects)}. The checks still run and keep "
            f"their state; nothing is posted until then. `/fuel snooze {target} off` wakes them.")


def snooze_ended(subjects: Sequence[str]) -> str:
    return f"🔔 Alerts back on: {'; '.join(subjects)}."


def schedules_overview(lines: Sequence[str]) -> str:
    if not lines:
        return ('No schedules. Add one with `/fuel schedule digest "0 9 * * mon-fri" Europe/Paris`.')
    return "\n".join(["Schedules:", *lines])


def unscheduled(schedule_id: int, subject: str, cron: str, timezone: str) -> str:
    return f"Schedule *#{schedule_id}* ({subject}, `{cron}` in {timezone}) removed."
