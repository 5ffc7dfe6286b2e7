"""How fuelbot names people and channels in Slack's mrkdwn: one ``who()``, one ``channel_ref()``.

Commands' replies and jobs' messages both use these, so a person is named the same way in an
ephemeral answer and in a job's thread.
"""
from __future__ import annotations

import re
from datetime import datetime

_USER_ID = re.compile(r"[UW][A-Z0-9_]+")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9_]+")


def who(requester: str, *, viewer: str | None = None) -> str:
    """A mention for a person (``you`` for the reader), ``schedule #3`` for a schedule, else as is."""
    if viewer is not None and requester == viewer:
        return "you"
    if requester.startswith("schedule:"):
        return f"schedule #{requester.split(':', 1)[1]}"
    return f"<@{requester}>" if _USER_ID.fullmatch(requester) else requester


def channel_ref(channel: str) -> str:
    """A channel link for an id (``<#C…>``), else ``#name``."""
    return f"<#{channel}>" if _CHANNEL_ID.fullmatch(channel) else f"#{channel.lstrip('#')}"


def moment(at: datetime) -> str:
    """A time each reader sees in their own time zone (Slack's date token), ``2026-05-01 18:00 UTC`` elsewhere."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"
