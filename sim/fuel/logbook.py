"""The simulated master's log files and Nailgun's way of reading them back.

A ``LogFile`` holds lines the way a file holds bytes, so that the ``from``/``to`` byte offsets
of ``GET /api/logs`` mean what they mean on a real master. ``read_log`` follows fuel-web 6.0
``nailgun/api/v1/handlers/logs.py`` (``read_log``): lines are read backwards from the end (or
from ``from`` when ``fetch_older``), a line that does not parse joins the next entry when the
source is multiline, ``level`` keeps that level and every more severe one, and ``max_entries``
stops the read with ``has_more``.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from sim.fuel import log_sources

_MAX_LINES = 5000


@dataclass
class LogFile:
    """One log file: its lines (without newline) and their total size in bytes."""

    lines: deque[str] = field(default_factory=lambda: deque(maxlen=_MAX_LINES))   # older ones rotate away

    def append(self, line: str) -> None:
        for part in line.split("\n"):
            self.lines.append(part)

    @property
    def size(self) -> int:
        return sum(len(line.encode()) + 1 for line in self.lines)

    def text(self) -> str:
        return "".join(f"{line}\n" for line in self.lines)

    def backwards(self, before: int) -> Iterator[tuple[int, str]]:
        """(offset of the line's first byte, line) for every line ending at or before ``before``."""
        end = self.size
        for line in reversed(self.lines):
            start = end - len(line.encode()) - 1
            if end <= before:
                yield start, line
            end = start


@dataclass
class LogBook:
    """Master logs by source id, node logs by the node's directory and the source's path."""

    master: dict[str, LogFile] = field(default_factory=dict)
    remote: dict[str, dict[str, LogFile]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for source in log_sources.LOGS:
            if not source["remote"]:
                self.master.setdefault(source["id"], LogFile())

    def write_master(self, source_id: str, level: str, text: str, when: datetime) -> None:
        self.master[source_id].append(log_sources.master_line(source_id, level, text, when))

    def write_node(self, directory: str, source_id: str, level: str, text: str, when: datetime) -> None:
        path = log_sources.BY_ID[source_id]["path"]
        self.remote.setdefault(directory, {}).setdefault(path, LogFile()).append(
            log_sources.remote_line(level, text, when))


def read_log(log: LogFile, config: dict[str, Any], *, level: str | None, max_entries: int, from_byte: int,
             to_byte: int, fetch_older: bool) -> dict[str, Any]:
    """``GET /api/logs``'s answer for one file (the handler's early return included)."""
    size = log.size
    if (not fetch_older and to_byte >= size) or (fetch_older and from_byte == 0):
        return {"entries": [], "from": from_byte, "to": size, "has_more": False}
    regexp = re.compile(config["regexp"])
    allowed = config["levels"][config["levels"].index(level):] if level else config["levels"]
    entries: list[list[str]] = []
    has_more = False
    pos = from_byte if from_byte != -1 and fetch_older else size
    pending: list[str] = []
    for start, line in log.backwards(pos):
        pos = start
        if not fetch_older and pos < to_byte:
            has_more = pos > 0
            break
        if not line:
            continue
        found = regexp.match(line)
        if found is None:
            if config.get("multiline"):
                pending.append(line)
            continue
        text = found.group("text")
        if pending:
            text += "\n" + "\n".join(reversed(pending))
            pending = []
        entry_level = found.group("level").upper() or "INFO"
        if level and entry_level not in allowed:
            continue
        entries.append([found.group("date").replace("T", " "), entry_level, text])
        if len(entries) >= max_entries:
            has_more = True
            break
    if fetch_older or from_byte == -1:
        from_byte = pos
        if from_byte == 0:
            has_more = False
    return {"entries": entries, "from": from_byte, "to": size, "has_more": has_more}
