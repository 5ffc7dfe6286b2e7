"""The diagnostic snapshot's voice (``/fuel diagnostic``): Fuel building it, then where the tarball is.

The tarball holds the environment's passwords (``/etc/astute.yaml`` of every node), so the
thread names the file and its size and says so. The tarball is shared in the thread; one larger
than Slack takes stays on fuelbot's host and in Fuel, and the thread says where to get it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from core.errors import StepFailed
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message
from workflows.voices.base import KindVoice, Line
from workflows.voices.words import duration


@dataclass(frozen=True)
class SnapshotStarted:
    task_id: int
    adopted: bool                   # one was already running (Fuel builds one at a time): followed instead


@dataclass(frozen=True)
class SnapshotBuilding:
    progress: int
    elapsed: float


@dataclass(frozen=True)
class SnapshotReady:
    lab: str
    name: str                       # fuel-snapshot-2025-03-04_09-00-00.tgz
    path: str                       # where fuelbot keeps it
    size: int                       # bytes


@dataclass(frozen=True)
class SnapshotTooLargeForSlack:
    ready: SnapshotReady
    limit: int                      # what fuelbot shares (FUELBOT_UPLOAD_MAX_MB, at most Slack's 1 GB)
    fuel_url: str                   # the tarball on the master (Fuel keeps it until the next snapshot)


SnapshotFact = SnapshotStarted | SnapshotBuilding | SnapshotReady | SnapshotTooLargeForSlack


def size_text(size: float) -> str:
    """``12.3 MB``, ``840 kB``, ``1.2 GB`` (powers of 1000, as Slack shows file sizes)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{int(size)} bytes"


def shared_comment(ready: SnapshotReady) -> str:
    """The words above the shared tarball."""
    return (f"📦 `{ready.name}` ({size_text(ready.size)}): the logs and settings of the Fuel master and every node. "
            "It holds the environment's passwords (/etc/astute.yaml): everyone in this channel can download it.")


def snapshot_failed(message: str | None) -> StepFailed:
    return StepFailed(f"Fuel could not build the diagnostic snapshot: {message or 'no message'}. Its Astute log says "
                      "more: `/fuel logs <lab> astute --level error`.", step="snapshot")


def snapshot_too_large(size: int | None, limit: int, url: str) -> StepFailed:
    said = f"is {size_text(size)}, more than" if size is not None else "grew past"
    return StepFailed(f"The diagnostic snapshot {said} the {size_text(limit)} fuelbot downloads "
                      f"(FUELBOT_SNAPSHOT_MAX_MB); nothing was kept. Take it from the Fuel UI instead "
                      f"(Support → Download diagnostic snapshot), or at {url} from a machine that reaches the "
                      "master.", step="download")


class DiagnosticVoice(KindVoice[SnapshotFact]):
    """One progress line while Fuel builds the tarball; the parent says where it is, and what it holds."""

    def lines(self, fact: SnapshotFact) -> Sequence[Line]:
        match fact:
            case SnapshotStarted(task_id=task_id, adopted=adopted):
                verb = "Following the snapshot Fuel is already building" if adopted else "Fuel is building the snapshot"
                return [Line(f"📦 {verb} (task #{task_id}): the logs and settings of the master and every node.")]
            case SnapshotBuilding(progress=progress, elapsed=elapsed):
                return [Line(f"📦 Building — {progress}% · {duration(elapsed)}", phase="snapshot")]
            case SnapshotReady(name=name, path=path, size=size):
                return [Line(f"📦 Downloaded `{name}` ({size_text(size)}), kept on fuelbot's host at `{path}`. "
                             "It holds the environment's passwords (/etc/astute.yaml): share it with care.",
                             phase="snapshot", force=True)]
            case SnapshotTooLargeForSlack(ready=ready, limit=limit, fuel_url=fuel_url):
                return [Line(f"📦 `{ready.name}` is {size_text(ready.size)}, more than the {size_text(limit)} fuelbot "
                             "shares in Slack (FUELBOT_UPLOAD_MAX_MB, at most Slack's 1 GB), so it is not in this "
                             f"thread. Take it from fuelbot's host at `{ready.path}`, or "
                             f"from the Fuel UI (Support → Download diagnostic snapshot) or {fuel_url} on a machine "
                             "that reaches the master.")]
        return []

    def ended(self, job: JobHeader, ending: Ending, ready: SnapshotReady | None) -> list[Line]:
        by = f"{job.byline} · {duration(ending.elapsed)}"
        if ending.state is JobState.SUCCEEDED and ready is not None:
            return [Line.of_parent(Message(f"📦 Diagnostic snapshot of *{ready.lab}*'s Fuel master is ready — "
                                           f"`{ready.name}`, {size_text(ready.size)} — {by}"))]
        failed = [Line(self.failure(ending.error))] if ending.error is not None else []
        return [Line.of_parent(Message(f"❌ {job.title} {ending.state.value} — {by}")), *failed]
