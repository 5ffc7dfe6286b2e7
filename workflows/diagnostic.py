"""``/fuel diagnostic <lab>``: Fuel's diagnostic snapshot, built by the master, downloaded within a limit.

Fuel 6.0 builds one snapshot at a time (``PUT /api/logs/package`` answers 400 "Dump already
running" to a second), so a run that finds one running follows it instead; a restarted job
follows the task it recorded. The download stops at ``snapshot_max_bytes`` and keeps nothing
of a file past it. The file is written readable by fuelbot's user only: it holds every password
of the environment. Then the tarball is shared in the job's thread (``jobs.uploads``: Slack's
external upload, through the outbox); one larger than Slack takes (1 GB) stays on fuelbot's host
and in Fuel, and the thread says where.
"""
from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath

from core.errors import FuelError, SnapshotTooLarge
from integrations.fuel.enums import TaskName, TaskStatus
from integrations.fuel.models import Task
from jobs.states import JobKind
from jobs.steps import Step
from jobs.uploads import FileToShare, FileTooLarge
from jobs.voice import Ending
from workflows.records import DiagnosticRecord
from workflows.run import Run, RunWorkflow
from workflows.voices.diagnostic import (DiagnosticVoice, SnapshotBuilding, SnapshotFact, SnapshotReady,
                                         SnapshotStarted, SnapshotTooLargeForSlack, shared_comment, snapshot_failed,
                                         snapshot_too_large)

DiagnosticRun = Run[DiagnosticRecord, SnapshotFact]
DUMP_RUNNING = "Dump already running"       # fuel-web 6.0 DumpTaskManager's refusal


def step_snapshot(run: DiagnosticRun) -> None:
    """Ask Fuel for a snapshot (or follow the one it is building) until its tarball is ready."""
    fuel = run.fuel()
    if run.data.snapshot_task is None:
        try:
            task, adopted = fuel.start_snapshot(), False
        except FuelError as exc:
            running = [t for t in fuel.tasks() if t.name is TaskName.DUMP and t.status is TaskStatus.RUNNING]
            if exc.server_message != DUMP_RUNNING or not running:
                raise
            task, adopted = running[0], True
        run.data.snapshot_task = task.id
        run.save()
        run.tell(SnapshotStarted(task_id=task.id, adopted=adopted))
    began = run.now()

    def building(task: Task) -> None:
        run.tell(SnapshotBuilding(progress=task.progress, elapsed=run.now() - began))

    task = run.follow_task(fuel, run.data.snapshot_task, timeout=run.deps.timeouts.snapshot, on_progress=building)
    if task.status is not TaskStatus.READY:
        raise snapshot_failed(task.message)


def step_download(run: DiagnosticRun) -> None:
    """Download the tarball into ``snapshot_dir`` (owner-only), within ``snapshot_max_bytes``."""
    fuel = run.fuel()
    assert run.data.snapshot_task is not None     # the snapshot step recorded it
    task = fuel.task(run.data.snapshot_task)
    name = PurePosixPath(task.message or "snapshot.tgz").name
    folder = run.deps.snapshot_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run.lab.name}-job{run.job_id}-{name}"
    try:
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as sink:
            size = fuel.download_snapshot(task, sink, max_bytes=run.deps.snapshot_max_bytes)
    except SnapshotTooLarge as too_large:
        path.unlink(missing_ok=True)
        raise snapshot_too_large(too_large.size, too_large.limit, f"{fuel.url}{task.message}") from None
    except BaseException:
        path.unlink(missing_ok=True)   # a half-written tarball is worth nothing and still holds passwords
        raise
    run.data.snapshot_path, run.data.snapshot_bytes = str(path), size
    run.data.result = {"path": str(path), "bytes": size, "name": name, "task": task.id,
                       "url": f"{fuel.url}{task.message}",
                       "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    run.save()
    run.tell(ready(run))


def step_share(run: DiagnosticRun) -> None:
    """Share the tarball in the job's thread, once; past Slack's limit, say where it is instead."""
    if run.data.snapshot_shared:
        return
    done = ready(run)
    try:
        run.report.upload(FileToShare(done.name, f"Diagnostic snapshot of {done.lab}'s Fuel master",
                                      path=Path(done.path)), comment=shared_comment(done),
                          limit=run.deps.upload_max_bytes)
    except FileTooLarge as too_large:
        run.tell(SnapshotTooLargeForSlack(ready=done, limit=too_large.limit,
                                          fuel_url=str((run.data.result or {}).get("url") or "")))
    run.data.snapshot_shared = True
    run.save()


def ready(run: DiagnosticRun) -> SnapshotReady:
    path = Path(run.data.snapshot_path or "")
    return SnapshotReady(lab=run.lab_name or "", name=str((run.data.result or {}).get("name") or path.name),
                         path=str(path), size=run.data.snapshot_bytes or 0)


class DiagnosticWorkflow(RunWorkflow[DiagnosticRecord, SnapshotFact]):
    """Fuel's diagnostic snapshot (logs package) of a lab's master, downloaded for the team."""

    kind = JobKind.DIAGNOSTIC
    record = DiagnosticRecord
    voice = DiagnosticVoice()

    def steps(self) -> list[Step[DiagnosticRun]]:
        return [Step("snapshot", "Diagnostic snapshot", step_snapshot, deadline_seconds=3600),
                Step("download", "Download the snapshot", step_download, deadline_seconds=3600),
                Step("share", "Share the snapshot", step_share, deadline_seconds=600)]

    def on_finish(self, run: DiagnosticRun, ending: Ending) -> None:
        done = ready(run) if run.data.snapshot_path else None
        run.post(self.voice.ended(run.ctx.job, ending, done))
