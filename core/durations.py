"""Lengths of time as people type them (``90m``, ``2h``, ``3d``, ``1d12h``, ``1w``) and as fuelbot says them.

Leases, their extensions, reminders and approvals' lifetimes are typed or configured this way;
one parser means ``/fuel reserve lab1 2h`` and ``remind: [1d, 1h]`` in the policy file agree.
"""
from __future__ import annotations

import re
from datetime import timedelta

UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
_PART = re.compile(r"(\d{1,6})\s*(w|d|h|m)")
_WORDS = {"weeks": "w", "week": "w", "days": "d", "day": "d", "hours": "h", "hour": "h", "hrs": "h", "hr": "h",
          "minutes": "m", "minute": "m", "mins": "m", "min": "m"}
_WORD = re.compile(r"(\d)\s*(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b")
EXAMPLES = "`90m`, `2h`, `3d`, `1d12h` or `1w`"


class Duration(timedelta):
    """A ``timedelta`` that prints as typed: ``1d12h``, ``90m`` (a command's canonical text parses back)."""

    def __str__(self) -> str:
        seconds, parts = int(self.total_seconds()), []
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size:
                parts.append(f"{seconds // size}{unit}")
                seconds %= size
        return "".join(parts) or "0m"


class NotADuration(ValueError):
    """The text is not a length of time fuelbot understands."""


def parse_duration(text: str) -> Duration:
    """``2h`` → 2 hours; ``1d12h``, ``90m``, ``1w``, ``2 days`` too. NotADuration otherwise (and for zero)."""
    compact = _WORD.sub(lambda m: m.group(1) + _WORDS[m.group(2)], text.strip().lower()).replace(" ", "")
    if not compact:
        raise NotADuration(text)
    position, seconds, seen = 0, 0, set()
    for match in _PART.finditer(compact):
        unit = match.group(2)
        if match.start() != position or unit in seen:
            raise NotADuration(text)
        seen.add(unit)
        seconds += int(match.group(1)) * UNITS[unit]
        position = match.end()
    if position != len(compact) or seconds == 0:
        raise NotADuration(text)
    return Duration(seconds=seconds)


def say_duration(length: timedelta) -> str:
    """``3d``, ``1d 12h``, ``2h 30m``, ``45m``: the two largest units, rounded down to the minute."""
    seconds = max(0, int(length.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2]) or "less than a minute"
