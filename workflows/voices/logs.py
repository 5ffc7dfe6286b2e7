"""The logs' voice (``/fuel logs``): which log, whose, at what level, and its entries newest first.

The thread shows the newest entries, each cut to a line. A reading is long when the thread
cannot hold it whole: more than ``THREAD_ENTRIES`` entries (past that a reply is a wall that
buries the thread, and Slack's 3,000-character section limit is near: ``bot.render``), or an
entry longer than ``LINE_CHARS`` (astute logs whole deployment requests on one line). A long
reading is also shared whole as a file below the reply (``LogReading.file_text``, oldest first
as the log itself reads), and kept on the job page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from core.errors import StepFailed
from integrations.fuel.logs import LogEntry
from workflows.voices.base import Line
from workflows.voices.oneshot import OneShotVoice

THREAD_ENTRIES = 30
LINE_CHARS = 240


@dataclass(frozen=True)
class LogReading:
    """One read of one log: whose it is (``node`` None: the master), at which level, its entries newest first."""

    lab: str
    source: str                    # Fuel's id: "astute", "install/puppet" …
    source_name: str               # the Fuel UI's label: "Astute", "puppet" …
    node: str | None               # "node-7 `lab1-controller-1`"; None for the master
    level: str | None              # the log's own word ("ERR"), None for every level
    asked: int
    entries: tuple[LogEntry, ...]
    has_more: bool                 # Fuel has older entries than those asked for
    job_id: int

    @property
    def whose(self) -> str:
        return f"{self.node}" if self.node else "the Fuel master"

    @property
    def text(self) -> str:
        """The reading whole, as a file would hold it (newest first)."""
        return "\n".join(f"{e.date} {e.level} {e.text}" for e in self.entries)

    @property
    def file_name(self) -> str:
        """``lab1-node-7-install-puppet.log``, ``lab1-master-astute.log``."""
        whose = self.node.split(" ")[0] if self.node else "master"
        return f"{self.lab}-{whose}-{self.source.replace('/', '-')}.log"

    @property
    def file_title(self) -> str:
        """The file's title as Slack shows it (plain text): ``puppet log of node-7 lab1-controller-1 in lab1``."""
        return f"{self.source_name} log of {self.whose.replace('`', '')} in {self.lab}"

    @property
    def file_text(self) -> str:
        """The reading whole, oldest first, as the log file on the master reads."""
        return "".join(f"{e.date} {e.level} {e.text}\n" for e in reversed(self.entries))

    @property
    def cut(self) -> bool:
        """The thread shows less than the reading holds."""
        return len(self.entries) > THREAD_ENTRIES or any(len(e.text) > LINE_CHARS for e in self.entries)


def _level(reading: LogReading) -> str:
    return f"{reading.level} and above" if reading.level else "every level"


def _clip(text: str) -> str:
    line = " ⏎ ".join(text.splitlines())
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…"


def unknown_node(lab: str, word: str, nodes: Sequence[str]) -> StepFailed:
    listing = ", ".join(nodes) if nodes else "none yet (deploy it first: `/fuel deploy " + lab + "`)"
    return StepFailed(f"{lab} has no node `{word}`. Its nodes: {listing}. Name one as `node-7`, `7` or by its VM.")


def unknown_source(word: str, whose: str, sources: Sequence[str]) -> StepFailed:
    return StepFailed(f"Fuel has no log `{word}` for {whose}. Its logs: {', '.join(sources) or 'none yet'}.")


def neither_node_nor_log(lab: str, word: str, nodes: Sequence[str], sources: Sequence[str]) -> StepFailed:
    return StepFailed(f"`{word}` is neither a node of {lab} nor a log of its Fuel master. Nodes: "
                      f"{', '.join(nodes) or 'none yet'}. Master logs: {', '.join(sources)}.")


def node_log_without_node(lab: str, word: str, nodes: Sequence[str]) -> StepFailed:
    example = nodes[0].split(" ")[0] if nodes else "node-7"
    return StepFailed(f"`{word}` is a log each node keeps; say whose: `/fuel logs {lab} {example} {word}`. "
                      f"Nodes: {', '.join(nodes) or 'none yet'}.")


def no_logs_yet(whose: str) -> StepFailed:
    return StepFailed(f"Fuel has no logs of {whose} yet: a node sends them once it has booted.")


def unknown_level(word: str, source_name: str, levels: Sequence[str]) -> StepFailed:
    return StepFailed(f"`{word}` is not a level of the {source_name} log; its levels, least to most severe: "
                      f"{', '.join(level.lower() for level in levels)}.")


def file_comment(reading: LogReading) -> str:
    """The words above the shared log file."""
    count = len(reading.entries)
    return (f"📎 {reading.source_name} log of {reading.whose}, {count} entr{'y' if count == 1 else 'ies'} whole, "
            f"oldest first ({_level(reading)}; secrets masked).")


class LogsVoice(OneShotVoice[LogReading]):
    """The parent names the log; one reply holds its newest entries; the page holds them all."""

    def headline(self, reading: LogReading) -> str:
        count = len(reading.entries)
        older = " (older ones exist: `--lines` reads more)" if reading.has_more else ""
        return (f"📜 {reading.source_name} log of {reading.whose} in *{reading.lab}* — "
                f"{count} newest entr{'y' if count == 1 else 'ies'}, {_level(reading)}{older}")

    def lines(self, fact: LogReading) -> Sequence[Line]:
        if not fact.entries:
            return [Line(f"Nothing at {_level(fact)} in `{fact.source}` of {fact.whose}.")]
        shown = fact.entries[:THREAD_ENTRIES]
        body = "```\n" + "\n".join(f"{e.date} {e.level} {_clip(e.text)}" for e in shown) + "\n```"
        if fact.cut:
            which = (f"the {len(shown)} newest of {len(fact.entries)}" if len(shown) < len(fact.entries)
                     else f"all {len(shown)}")
            body += (f"\nShown: {which}, long entries cut to a line. All of them, whole: the job page "
                     f"(`/fuel job {fact.job_id}` links it) and `{fact.file_name}` below.")
        return [Line(f"Newest first (`{fact.source}`):\n{body}")]
