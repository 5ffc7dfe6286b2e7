"""Fuel's logs as the UI's Logs tab reads them: sources, per-node sources, pages of entries.

fuel-web 6.0 ``nailgun/api/v1/handlers/logs.py``: ``GET /api/logs/sources`` lists every
configured source; ``GET /api/logs/sources/nodes/<id>`` the remote ones with a file for that
node; ``GET /api/logs?source=&node=&level=&max_entries=&from=&to=&fetch_older=`` answers
entries newest first with byte offsets for the next read. Each source has its own level words
(``ERR`` for syslog-style files, ``ERROR`` for Nailgun's Python logs), and ``level`` keeps that
level and every more severe one; :meth:`LogSource.level_named` maps what people type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from integrations.fuel.models import Task
from integrations.fuel.session import FuelSession

# What people type → the words sources use, most usual first.
_LEVEL_WORDS = {"debug": ("DEBUG",), "info": ("INFO",), "notice": ("NOTICE", "INFO"),
                "warning": ("WARNING",), "warn": ("WARNING",), "error": ("ERR", "ERROR"),
                "err": ("ERR", "ERROR"), "critical": ("CRIT", "CRITICAL"), "crit": ("CRIT", "CRITICAL"),
                "alert": ("ALERT",), "emerg": ("EMERG",), "emergency": ("EMERG",)}


@dataclass(frozen=True)
class LogSource:
    """One log Fuel can show: on the master (``remote`` False) or per node (``remote`` True)."""

    id: str                    # "astute", "install/puppet", "bootstrap/messages" …
    name: str                  # the UI's label: "Astute", "puppet" …
    remote: bool
    path: str
    levels: tuple[str, ...]    # least to most severe
    group: str | None = None   # "Bootstrap logs", "Openstack logs" … (None: the main install logs)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "LogSource":
        return cls(id=str(data["id"]), name=str(data.get("name") or data["id"]),
                   remote=bool(data.get("remote", False)), path=str(data.get("path") or ""),
                   levels=tuple(str(level) for level in data.get("levels") or ()), group=data.get("group"))

    def level_named(self, word: str) -> str | None:
        """This source's level for what a person typed (``error`` → ``ERR`` or ``ERROR``), or None."""
        if word.upper() in self.levels:
            return word.upper()
        return next((level for level in _LEVEL_WORDS.get(word.lower(), ()) if level in self.levels), None)


@dataclass(frozen=True)
class LogEntry:
    """One entry: the master's local time as Fuel shows it, the level word, the (maybe multiline) text."""

    date: str
    level: str
    text: str


@dataclass(frozen=True)
class LogPage:
    """A read of one log: entries newest first; ``from_byte`` continues backwards, ``to_byte`` forwards."""

    entries: tuple[LogEntry, ...]
    from_byte: int
    to_byte: int
    has_more: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "LogPage":
        entries = tuple(LogEntry(date=str(e[0]), level=str(e[1]), text=str(e[2]))
                        for e in data.get("entries") or () if isinstance(e, (list, tuple)) and len(e) >= 3)
        return cls(entries=entries, from_byte=int(data.get("from", 0) or 0), to_byte=int(data.get("to", 0) or 0),
                   has_more=bool(data.get("has_more", False)))


class LogsAPI:
    """Nailgun's log endpoints and the logs package (diagnostic snapshot) task."""

    def __init__(self, session: FuelSession) -> None:
        self._s = session

    def log_sources(self) -> list[LogSource]:
        return [LogSource.from_json(s) for s in self._s.call("GET", "/api/logs/sources") or ()]

    def node_log_sources(self, node_id: int) -> list[LogSource]:
        """The node's sources that have a file (404 "Node not found" for an unknown node)."""
        return [LogSource.from_json(s)
                for s in self._s.call("GET", "/api/logs/sources/nodes/{node_id}", node_id=int(node_id)) or ()]

    def logs(self, source: str, *, node: int | None = None, level: str | None = None,
             max_entries: int | None = None, from_byte: int | None = None, to_byte: int | None = None,
             fetch_older: bool = False) -> LogPage:
        """One read of ``source`` (of ``node`` for a remote source), newest entries first.

        ``level`` is the source's own word (see ``LogSource.level_named``); Nailgun answers 400
        "Invalid level" to any other. Without ``max_entries`` Nailgun returns 100 entries.
        """
        params: dict[str, Any] = {"source": source}
        for key, value in (("node", node), ("level", level), ("max_entries", max_entries),
                           ("from", from_byte), ("to", to_byte)):
            if value is not None:
                params[key] = value
        if fetch_older:
            params["fetch_older"] = "true"
        return LogPage.from_json(self._s.call("GET", "/api/logs", params=params) or {})

    def start_snapshot(self) -> Task:
        """``PUT /api/logs/package``: the ``dump`` task (400 "Dump already running" while one runs)."""
        return Task.from_json(self._s.call("PUT", "/api/logs/package", idempotent=False))
