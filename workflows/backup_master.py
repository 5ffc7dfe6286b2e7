"""``/fuel backup-master <lab>`` and ``/fuel backups <lab>``: Fuel 6.0's own backup of its master.

The backup (a job in the lab's thread) first asks Fuel's API for its task list and refuses while
any task runs (``dockerctl backup`` would refuse too, but only after SSH and only while the
nailgun container's client can log in as admin/admin), then runs ``dockerctl backup`` as root
and reports where the archive is and how big. A restart after the archive was written reports
it instead of backing up twice. The list is a look-up answered in place.
"""
from __future__ import annotations

from typing import Sequence

from integrations.fuel.enums import TaskStatus
from jobs.record import JobRecord
from jobs.states import JobKind
from jobs.steps import Step
from jobs.voice import Ending
from store.types import utcnow
from workflows.oneshot import OneShotWorkflow
from workflows.records import BackupRecord
from workflows.run import Run, RunWorkflow
from workflows.voices.backups import (BackupFact, BackupList, BackupListed, BackupListVoice, BackupStarted,
                                      BackupVoice, BackupWritten, tasks_running)

BackupRun = Run[BackupRecord, BackupFact]


def step_tasks(run: BackupRun) -> None:
    """Nothing runs on Fuel (and the lab's master is one fuelbot manages), or nothing is backed up."""
    if run.data.path is not None:
        return
    master = run.master()
    running = sorted((t for t in run.fuel().tasks() if t.status is TaskStatus.RUNNING), key=lambda t: t.id)
    if running:
        raise tasks_running(run.lab.name, [(t.name.value, t.id, t.progress) for t in running])
    run.tell(BackupStarted(lab=run.lab.name, address=master.address))


def step_backup(run: BackupRun) -> None:
    """``dockerctl backup`` as root; the archive's path and size are recorded before they are told."""
    if run.data.path is None:
        archive = run.master().back_up()
        run.data.path, run.data.size_bytes = archive.path, archive.size_bytes
        run.data.result = {"path": archive.path, "bytes": archive.size_bytes, "written": archive.written.isoformat()}
        run.save()
    run.tell(written(run))


def written(run: BackupRun) -> BackupWritten:
    return BackupWritten(lab=run.lab_name or "", path=run.data.path or "", size=run.data.size_bytes or 0)


class BackupMasterWorkflow(RunWorkflow[BackupRecord, BackupFact]):
    """Fuel's tasks checked, then ``dockerctl backup`` on the lab's master."""

    kind = JobKind.BACKUP_MASTER
    record = BackupRecord
    voice = BackupVoice()

    def steps(self) -> Sequence[Step[BackupRun]]:
        # A real 6.0 backup saves six container images and lrzips them: tens of minutes.
        return [Step("tasks", "Fuel's running tasks", step_tasks, deadline_seconds=300),
                Step("backup", "dockerctl backup", step_backup, deadline_seconds=3 * 3600)]

    def on_finish(self, run: BackupRun, ending: Ending) -> None:
        run.post(self.voice.ended(run.ctx.job, ending, written(run) if run.data.path else None))


class BackupsWorkflow(OneShotWorkflow[JobRecord, BackupList]):
    """The backup archives on a lab's master: path, size, age."""

    kind, title = JobKind.BACKUPS, "Fuel master backups"
    record = JobRecord
    voice = BackupListVoice()
    deadline_seconds = 120.0

    def run(self, run: Run[JobRecord, BackupList]) -> None:
        master = run.master()
        now = utcnow()
        found = BackupList(lab=run.lab.name, address=master.address, backups=tuple(
            BackupListed(path=b.path, size=b.size_bytes, age=(now - b.written).total_seconds())
            for b in master.backups()))
        run.headline = self.voice.headline(found)
        run.tell(found)
