"""``/fuel backup-master`` and ``/fuel backups`` step by step, on the fakes (kept honest by the contract suite)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.errors import MasterError, StepFailed
from jobs.record import JobRecord
from jobs.states import JobKind, JobState
from jobs.voice import Ending, JobHeader
from tests.fakes.harness import Harness
from workflows.backup_master import BackupsWorkflow, step_backup, step_tasks
from workflows.records import BackupRecord
from workflows.voices.backups import BackupListVoice, BackupVoice, BackupWritten

VOICE = BackupVoice()


def backup_run(h: Harness, record: BackupRecord | None = None):
    return h.run(record or BackupRecord(), VOICE, kind=JobKind.BACKUP_MASTER.value)


def test_fuel_idle_the_backup_runs_and_says_where_the_archive_is_and_how_big() -> None:
    h = Harness()
    master = h.fake_master()
    run = backup_run(h)
    step_tasks(run)
    step_backup(run)
    [archive] = master.archives
    stamp = master.now.strftime("%Y-%m-%d_%H%S")               # functions.sh.erb: $(date +%F_%H%S)
    assert archive.path == f"/var/backup/fuel/backup_{stamp}/fuel_backup_{stamp}.tar.lrz"
    assert master.calls["back_up"] == 1
    assert h.thread.said() == [
        "🗄️ Fuel runs no task: `dockerctl backup` runs as root on the master (10.20.0.2:8022). It commits and saves "
        "every container and archives the system folders (on a real master this takes a while).",
        f"✅ Backup written on the master: `{archive.path}` (3.2 GB). Restore it with `dockerctl restore "
        f"{archive.path}` on the master."]
    assert h.saved[-1]["path"] == archive.path and h.saved[-1]["size_bytes"] == 3_200_000_000
    assert run.data.result == {"path": archive.path, "bytes": 3_200_000_000, "written": archive.written.isoformat()}


def test_a_restart_after_the_archive_was_written_reports_it_and_backs_up_nothing_twice() -> None:
    h = Harness()
    master = h.fake_master()
    step_backup(backup_run(h))
    asked = h.fuel.calls["tasks"]
    again = backup_run(h, BackupRecord.from_json(h.saved[-1]))
    step_tasks(again)
    step_backup(again)
    assert master.calls["back_up"] == 1 and len(master.archives) == 1
    assert h.fuel.calls["tasks"] == asked                       # nothing asked: the archive exists
    assert h.thread.said()[-1].startswith("✅ Backup written on the master: `/var/backup/fuel/backup_")


def test_running_fuel_tasks_refuse_the_backup_before_any_ssh() -> None:
    h = Harness()
    h.fuel.step = 1                                              # the dump runs for a while
    dump = h.fuel.start_snapshot()
    master = h.fake_master()
    with pytest.raises(StepFailed) as refused:
        step_tasks(backup_run(h))
    assert str(refused.value) == (
        f"Fuel is running tasks on *lab1*'s master: dump #{dump.id} (1%). `dockerctl backup` refuses while Nailgun "
        "has running tasks, so nothing was backed up. Wait for them to end (`/fuel status lab1`), then "
        "`/fuel backup-master lab1` again.")
    assert master.calls["back_up"] == 0 and master.archives == []


def test_dockerctl_refusing_or_ssh_failing_leaves_no_archive_recorded() -> None:
    h = Harness()
    master = h.fake_master()
    master.fail_next("back_up", MasterError("Cannot reach SSH on the Fuel master at 10.20.0.2:8022: connection "
                                            "refused.", fix="check that the master is up", retryable=True))
    run = backup_run(h)
    with pytest.raises(MasterError, match="Cannot reach SSH"):
        step_backup(run)
    assert run.data.path is None and h.saved == []
    h.fuel.step = 1
    h.fuel.start_snapshot()                                      # a task started behind fuelbot's back
    with pytest.raises(MasterError, match="refused: Fuel has running tasks"):
        step_backup(run)
    assert master.archives == []


def test_a_lab_whose_master_fuelbot_does_not_manage_fails_saying_so() -> None:
    h = Harness()
    h.lab = replace(h.lab, fuel=replace(h.lab.fuel, setup=None))
    with pytest.raises(StepFailed, match="declares no `fuel.master_vm`"):
        step_tasks(backup_run(h))
    assert h.fuel.calls["tasks"] == 0


def test_the_parent_names_the_archive_or_the_failure() -> None:
    job = JobHeader(id=7, kind=JobKind.BACKUP_MASTER.value, lab="lab1", requester="U0ALICE1")
    done = VOICE.ended(job, Ending(JobState.SUCCEEDED, error=None, elapsed=75.0, step_title="dockerctl backup"),
                       BackupWritten(lab="lab1", path="/var/backup/fuel/b/fuel_backup_b.tar.lrz", size=2_500_000))
    assert [line.text.split(" — ")[:2] for line in done] == [
        ["🗄️ *lab1*'s Fuel master backed up", "`/var/backup/fuel/b/fuel_backup_b.tar.lrz`, 2.5 MB"]]
    failed = VOICE.ended(job, Ending(JobState.FAILED, error=StepFailed("Fuel is running tasks"), elapsed=3.0,
                                         step_title="Fuel's running tasks"), None)
    assert failed[0].text.startswith("❌ ") and " failed — " in failed[0].text
    assert failed[1].text == "❌ Fuel is running tasks"


def test_backups_are_listed_newest_first_with_size_and_age() -> None:
    h = Harness()
    master = h.fake_master()
    listing = h.run(JobRecord(), BackupListVoice(), kind=JobKind.BACKUPS.value)
    BackupsWorkflow(h.deps()).run(listing)
    assert listing.headline == ("🗄️ *lab1*'s Fuel master (10.20.0.2:8022) holds no backup under /var/backup/fuel. "
                                "`/fuel backup-master lab1` takes one.")
    step_backup(backup_run(h))
    master.now -= timedelta(days=3)
    step_backup(backup_run(h))
    BackupsWorkflow(h.deps()).run(listing)
    newest, oldest = sorted(master.archives, key=lambda b: b.written, reverse=True)
    assert listing.headline is not None
    head, first, second = listing.headline.split("\n")
    assert head == "🗄️ *lab1*'s Fuel master (10.20.0.2:8022) holds 2 backup(s):"
    assert first.startswith(f"• `{newest.path}` · 3.2 GB · ") and second.startswith(f"• `{oldest.path}` · 3.2 GB · ")
    assert second.endswith("d ago")
