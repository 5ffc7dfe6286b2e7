"""How replies say time: when something happened (``4m ago``, a UTC stamp), how long something lasts."""
from __future__ import annotations

from datetime import datetime


def ago(then: datetime | None, now: datetime) -> str:
    """``4m ago``, ``3h ago``…"""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now" if seconds < 5 else f"{seconds}s ago"


def lasting(seconds: float) -> str:
    """``7 days``, ``12 hours``, ``10 minutes``: how long something stays valid."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"


def stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"
