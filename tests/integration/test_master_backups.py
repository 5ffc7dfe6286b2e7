"""The Fuel master's own backup through signed Slack commands, on the real parts: ``dockerctl backup``
over SSH as root on the Fuel simulator, its task list through its API, a real database, LocalSlack."""
from __future__ import annotations

import re

import requests

from tests.fixtures.fuel_simulator import FuelHttp
from tests.fixtures.stack import OPERATOR, SECOND_OPERATOR, VIEWER, Stack
from tests.integration.test_workflow_rollback import run

ARCHIVE = re.compile(r"/var/backup/fuel/backup_\d{4}-\d\d-\d\d_\d{4}/fuel_backup_\d{4}-\d\d-\d\d_\d{4}\.tar\.lrz")


def look_up(stack: Stack, text: str, *, user: str = VIEWER) -> str:
    """A look-up's answer, as only ``user`` sees it."""
    reply = stack.command(text, user=user).json()
    assert reply["response_type"] == "ephemeral" and "the answer comes here" in reply["text"], reply["text"]
    job = stack.wait_job(stack.last_job(text.split()[0]).id, timeout=60)
    assert job.state == "succeeded", job.error
    headline, lines = stack.answer(job.id, user=user)
    return "\n".join([headline, *lines])


def test_a_backup_is_threaded_with_its_archive_and_then_listed(stack: Stack) -> None:
    empty = look_up(stack, "backups lab1")
    assert empty.startswith("🗄️ *lab1*'s Fuel master (127.0.0.1:") and "holds no backup under /var/backup/fuel. " \
        "`/fuel backup-master lab1` takes one." in empty
    job = run(stack, "backup-master lab1", "backup_master")
    assert job.state == "succeeded", job.error
    path, size = job.result["path"], job.result["bytes"]
    assert ARCHIVE.fullmatch(path) and size > 0
    parent, replies = stack.thread(job.id)
    assert parent.startswith(f"🗄️ *lab1*'s Fuel master backed up — `{path}`, ") and "<@UOPS0001>" in parent
    assert replies[0] == ("🗄️ Fuel runs no task: `dockerctl backup` runs as root on the master "
                          f"(127.0.0.1:{stack.fuel.ssh_port}). It commits and saves every container and archives the "
                          "system folders (on a real master this takes a while).")
    assert any(r.startswith(f"✅ Backup written on the master: `{path}` (") for r in replies)
    listing = look_up(stack, "backups lab1").splitlines()
    assert listing[0].endswith("holds 1 backup(s):")
    assert re.fullmatch(rf"• `{re.escape(path)}` · [\d.]+ (kB|MB|bytes) · just now — job #\d+ by <@UVIEW001> · \d+s",
                        listing[1]), listing[1]


def test_a_backup_is_refused_while_fuel_runs_a_task_and_nothing_is_written(stack: Stack) -> None:
    api = FuelHttp(stack.fuel.url)
    api.login()
    assert requests.post(f"{stack.fuel.url}/_sim/speed", json={"speed": 0.5}, timeout=5).status_code == 200
    dump = api.put("/api/logs/package").json()                  # a diagnostic snapshot, behind fuelbot's back
    job = run(stack, "backup-master lab1", "backup_master")
    assert job.state == "failed" and job.step == "tasks"
    parent, replies = stack.thread(job.id)
    assert parent.startswith("❌ ") and "failed" in parent
    assert replies[-1] == (f"❌ Fuel is running tasks on *lab1*'s master: dump #{dump['id']} (0%). `dockerctl backup` "
                           "refuses while Nailgun has running tasks, so nothing was backed up. Wait for them to end "
                           "(`/fuel status lab1`), then `/fuel backup-master lab1` again.")
    assert "holds no backup" in look_up(stack, "backups lab1")


def test_bad_requests_get_answers_naming_what_to_do(stack: Stack) -> None:
    unmanaged = stack.command("backup-master lab2").json()["text"]
    assert unmanaged == ("*lab2* declares no `fuel.master_vm`, so fuelbot has no root login on its Fuel master "
                         f"({stack.fuel.url}): *lab1* declares it, on the same master: `/fuel backup-master lab1`.")
    assert stack.command("backups lab2", user=VIEWER).json()["text"].endswith("`/fuel backups lab1`.")
    assert stack.last_job("backup_master") is None and stack.last_job("backups") is None
    denied = stack.command("backup-master lab1", user=VIEWER).json()["text"]
    assert denied.startswith("Backing up a Fuel master needs the *operator* role; you have *viewer*.")
    assert stack.command("backup-master lab9").json()["text"].startswith("No lab named `lab9`. Labs: ")
    stack.command("reserve lab1 2h --reason upgrade rehearsal", user=SECOND_OPERATOR)
    held = stack.command("backup-master lab1", user=OPERATOR).json()["text"]
    assert held.startswith("*lab1* is reserved by <@UOPS0002> until <!date^") and "“upgrade rehearsal”" in held
    assert stack.last_job("backup_master") is None
    assert "holds no backup" in look_up(stack, "backups lab1")             # looking still works
    assert run(stack, "backup-master lab1", "backup_master", user=SECOND_OPERATOR).state == "succeeded"
