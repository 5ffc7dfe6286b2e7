"""``snapshot``, ``snapshots``, ``rollback`` and ``approve`` answered on a real database: names that exist
or do not, sets being taken, failed or left incomplete, requests that do not exist."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jobs.queue import transition
from jobs.states import JobState
from store import lab_snapshots
from store.enums import SnapshotState
from store.lab_snapshots import SnapshotMember
from store.models import Job, LabSnapshot
from store.types import utcnow
from tests.integration.test_commands_handlers import ALICE, BOB, Chat, jobs
from tests.integration.test_commands_handlers import chat, policy  # noqa: F401  (fixtures)


def recorded(sessions: sessionmaker[Session], name: str, state: SnapshotState, *, job_id: int | None = None,
             age: timedelta = timedelta(hours=3), size: int | None = 2 * 1024 ** 3) -> None:
    with sessions() as session, session.begin():
        snapshot = lab_snapshots.create(session, lab="lab1", name=name, created_by=ALICE, job_id=job_id,
                                        automatic=False, trigger=None, now=utcnow() - age, fuel={},
                                        members=[SnapshotMember("lab1-node-1", "vm-1", "node", "poweredOn"),
                                                 SnapshotMember("lab1-node-2", "vm-2", "node", "poweredOff")])
        assert snapshot is not None
        snapshot.state = state
        for index, vm in enumerate(snapshot.vms):
            vm.snapshot_moref, vm.size_bytes = f"snapshot-{index}", None if size is None else size // 2


def test_snapshot_names_are_checked_and_a_taken_name_is_refused(chat: Chat, sessions) -> None:
    assert "`../x` is not a snapshot name" in chat.say(ALICE, "snapshot lab1 ../x").text
    recorded(sessions, "before-upgrade", SnapshotState.READY)
    assert chat.say(ALICE, "snapshot lab1 before-upgrade").text == (
        "*lab1* already has a snapshot set `before-upgrade` (taken 3h ago by <@U0ALICE>). Pick another name, or roll "
        "back to it with `/fuel rollback lab1 before-upgrade`.")
    queued = chat.say(ALICE, "snapshot lab1")
    assert queued.ok and jobs(sessions)[-1].params["name"].startswith(f"{utcnow():%Y%m%d}-")


def test_snapshots_lists_each_set_with_its_age_size_and_state(chat: Chat, sessions) -> None:
    assert chat.say(BOB, "snapshots lab1").text == "*lab1* has no snapshot sets yet: `/fuel snapshot lab1 [name]` takes one."
    chat.say(ALICE, "snapshot lab1 nightly")
    [running] = jobs(sessions)
    recorded(sessions, "old", SnapshotState.READY, age=timedelta(days=2))
    recorded(sessions, "nightly", SnapshotState.CREATING, job_id=running.id, age=timedelta(0), size=None)
    lines = chat.say(BOB, "snapshots lab1").text.splitlines()
    assert lines == ["Snapshot sets of *lab1*, newest first:",
                     f"• `nightly` · just now by <@U0ALICE> · 2 VMs · size unknown · ⏳ being taken (job #{running.id})",
                     "• `old` · 2d ago by <@U0ALICE> · 2 VMs · 2.0 GB"]
    assert chat.say(ALICE, "rollback lab1 nightly").text == (
        f"Snapshot set `nightly` of *lab1* is still being taken (job #{running.id}); roll back once it is done.")
    with sessions() as session:
        transition(session, session.get(Job, running.id), JobState.CANCELLED, actor="U0ALICE", message="cancelled")
        session.commit()
    assert "⚠️ incomplete: job #1 ended before it was finished; cannot be rolled back to" in \
        chat.say(BOB, "snapshots lab1").text
    refused = chat.say(ALICE, "rollback lab1 nightly")
    assert refused.text.startswith("Snapshot set `nightly` of *lab1* was not finished (job #1)")


def test_a_rollback_to_a_name_that_does_not_exist_lists_the_ones_that_do(chat: Chat, sessions) -> None:
    assert chat.say(ALICE, "rollback lab1 x").text == (
        "*lab1* has no snapshot set `x`; it has none yet: `/fuel snapshot lab1 [name]` takes one.")
    recorded(sessions, "a", SnapshotState.READY)
    recorded(sessions, "b", SnapshotState.FAILED)
    assert chat.say(ALICE, "rollback lab1 x").text == \
        "*lab1* has no snapshot set `x`. Its sets: `a` (`/fuel snapshots lab1`)."
    assert "Missing `<snapshot>`. Usage: `/fuel rollback <lab> <snapshot>`" in chat.say(ALICE, "rollback lab1").text


@pytest.mark.parametrize(("text", "answer"), [
    ("approve 99", "There is no request #99; it is the number on a request's button."),
    ("approve soon", "`soon` is not a request number; it is the number on the request's Approve button, e.g. `4`."),
])
def test_approve_names_a_request_that_exists(chat: Chat, text: str, answer: str) -> None:
    assert chat.say(ALICE, text).text == answer


def test_a_rollback_request_is_confirmed_by_its_requester_only(chat: Chat, sessions) -> None:
    recorded(sessions, "a", SnapshotState.READY)
    asked = chat.say(ALICE, "rollback lab1 a")
    [button] = asked.buttons
    assert asked.text.startswith("Rolling back *lab1* to `a` (taken 3h ago by <@U0ALICE>) reverts 2 node VMs, "
                                 "restores their power states")
    assert "request #1, until <!date^" in asked.text and "is shared" not in asked.text
    assert (button.action_id, button.value, button.label) == ("approve_request", "1", "Roll back lab1 to a")
    assert "Approving a request needs the *operator* role" in chat.click(BOB, "approve_request", "1").text
    done = chat.click(ALICE, "approve_request", "1", delivery="click-9")
    assert done.text == ("Confirmed: the rollback of *lab1* to `a` is queued as job *#1*. Follow it in the thread "
                         "below.")
    [job] = jobs(sessions)
    assert (job.kind, job.requester, job.params) == ("rollback", ALICE, {"snapshot": "a", "snapshot_id": 1})
    with sessions() as session:
        assert session.get(LabSnapshot, 1) is not None
