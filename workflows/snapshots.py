"""``/fuel snapshot <lab> [name]``: every VM of the lab and its Fuel master, snapshotted as one set."""
from __future__ import annotations

from jobs.states import JobKind, JobState
from jobs.voice import Ending
from workflows.oneshot import OneShotWorkflow
from workflows.records import SnapshotRecord
from workflows.run import Run
from workflows.snapshot_sets import abandon_quietly, take_set
from workflows.voices.snapshots import SetFact, SnapshotVoice

SnapshotRun = Run[SnapshotRecord, SetFact]


class SnapshotWorkflow(OneShotWorkflow[SnapshotRecord, SetFact]):
    """Take the set named in the job's params; a set that fails is removed again and marked failed."""

    kind, title, deadline_seconds = JobKind.SNAPSHOT, "Snapshot", 3600.0
    record = SnapshotRecord
    voice = SnapshotVoice()

    def run(self, run: SnapshotRun) -> None:
        name = str(run.params["name"])
        set_id, ready = take_set(run, run.lab, name=name)
        run.data.snapshot_id = set_id
        run.data.result = {"snapshot_id": set_id, "name": name}
        run.headline = self.voice.headline(ready)

    def on_cancel(self, run: SnapshotRun) -> None:
        abandon_quietly(run, str(run.params["name"]))
        super().on_cancel(run)

    def on_finish(self, run: SnapshotRun, ending: Ending) -> None:
        if ending.state is JobState.FAILED:
            abandon_quietly(run, str(run.params["name"]))
        super().on_finish(run, ending)
