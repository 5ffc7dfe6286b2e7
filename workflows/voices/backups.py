"""The Fuel master backup's voice (``/fuel backup-master``) and the backups look-up's (``/fuel backups``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from core.errors import StepFailed
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message
from workflows.voices.base import KindVoice, Line
from workflows.voices.diagnostic import size_text
from workflows.voices.oneshot import OneShotVoice
from workflows.voices.words import duration


@dataclass(frozen=True)
class BackupStarted:
    lab: str
    address: str                    # root@ this host:port runs it


@dataclass(frozen=True)
class BackupWritten:
    lab: str
    path: str
    size: int                       # bytes


@dataclass(frozen=True)
class BackupListed:
    path: str
    size: int
    age: float                      # seconds since it was written


@dataclass(frozen=True)
class BackupList:
    lab: str
    address: str
    backups: tuple[BackupListed, ...]


BackupFact = BackupStarted | BackupWritten


def tasks_running(lab: str, tasks: Sequence[tuple[str, int, int]]) -> StepFailed:
    """Fuel runs tasks: ``dockerctl backup`` would refuse (and a backup mid-deploy would be worth little)."""
    named = ", ".join(f"{name} #{task_id} ({progress}%)" for name, task_id, progress in tasks[:5])
    more = f" and {len(tasks) - 5} more" if len(tasks) > 5 else ""
    return StepFailed(f"Fuel is running tasks on *{lab}*'s master: {named}{more}. `dockerctl backup` refuses while "
                      f"Nailgun has running tasks, so nothing was backed up. Wait for them to end (`/fuel status "
                      f"{lab}`), then `/fuel backup-master {lab}` again.", step="tasks")


def age_text(seconds: float) -> str:
    """``just now``, ``12m ago``, ``3h ago``, ``2d ago``."""
    seconds = max(0, int(seconds))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


class BackupVoice(KindVoice[BackupFact]):
    """What the backup does, then the archive's path and size in the parent."""

    def lines(self, fact: BackupFact) -> Sequence[Line]:
        match fact:
            case BackupStarted(address=address):
                return [Line(f"🗄️ Fuel runs no task: `dockerctl backup` runs as root on the master ({address}). It "
                             "commits and saves every container and archives the system folders (on a real master "
                             "this takes a while).")]
            case BackupWritten(path=path, size=size):
                return [Line(f"✅ Backup written on the master: `{path}` ({size_text(size)}). Restore it with "
                             f"`dockerctl restore {path}` on the master.")]
        return []

    def ended(self, job: JobHeader, ending: Ending, written: BackupWritten | None) -> list[Line]:
        by = f"{job.byline} · {duration(ending.elapsed)}"
        if ending.state is JobState.SUCCEEDED and written is not None:
            return [Line.of_parent(Message(f"🗄️ *{written.lab}*'s Fuel master backed up — `{written.path}`, "
                                           f"{size_text(written.size)} — {by}"))]
        failed = [Line(self.failure(ending.error))] if ending.error is not None else []
        return [Line.of_parent(Message(f"❌ {job.title} {ending.state.value} — {by}")), *failed]


class BackupListVoice(OneShotVoice[BackupList]):
    """The backups on the master, newest first: path, size, age."""

    def lines(self, fact: BackupList) -> Sequence[Line]:
        return []

    def headline(self, found: BackupList) -> str:
        if not found.backups:
            return (f"🗄️ *{found.lab}*'s Fuel master ({found.address}) holds no backup under /var/backup/fuel. "
                    f"`/fuel backup-master {found.lab}` takes one.")
        rows = "\n".join(f"• `{b.path}` · {size_text(b.size)} · {age_text(b.age)}" for b in found.backups)
        return f"🗄️ *{found.lab}*'s Fuel master ({found.address}) holds {len(found.backups)} backup(s):\n{rows}"
