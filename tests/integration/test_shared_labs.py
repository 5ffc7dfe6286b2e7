"""Labs marked ``shared: true``: a destroy or rollback waits for a second person, through signed Slack
clicks on the real parts; approvals expire; everything is in the audit trail."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from store.models import Approval, JobEvent
from store.types import utcnow
from tests.fixtures.stack import ADMIN, CHANNEL, OPERATOR, SECOND_ADMIN, VIEWER, Stack
from tests.integration.test_workflow_rollback import buttons, deploy_and_snapshot, last_id, next_job
from workflows.lease_watch import tick_leases


def share(stack: Stack) -> None:
    path = stack.labs_dir / "lab1.yaml"
    path.write_text(path.read_text() + "\nshared: true\n")


def approval_post(stack: Stack, *, timeout: float = 10.0):
    """The channel message asking for a second person (the newest one), once delivered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.settle()
        asks = [m for m in stack.slack.channel(CHANNEL).messages if "request #" in m.text and m.thread_ts is None
                and not m.text.startswith(("⏳", "🔄"))]
        if asks:
            return asks[-1]
        time.sleep(0.05)
    raise AssertionError("no approval was asked for in the channel")


def answered(stack: Stack, user: str, fragment: str, *, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [a for a in stack.answers(user) if fragment in a]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"{user} was not answered {fragment!r}: {stack.answers(user)}")


def approve_button(message) -> dict:
    [button] = [e for block in message.blocks if block.get("type") == "actions" for e in block["elements"]]
    return button


def test_destroy_of_a_shared_lab_waits_for_a_second_admin(stack: Stack) -> None:
    share(stack)
    ack = stack.command("destroy lab1", user=ADMIN).json()
    [confirm] = buttons(ack)
    stack.click(confirm["action_id"], confirm["value"], user=ADMIN)
    waiting = answered(stack, ADMIN, "is shared")
    assert waiting.startswith("*lab1* is shared: your destroy of *lab1* (request #1) waits for another person with "
                              "the *admin* role, asked for in <#C0LAB>. It expires <!date^")
    ask = approval_post(stack)
    assert ask.text.startswith("🔏 <@UADMIN01> asks for a destroy of *lab1*. *lab1* is shared, so another person "
                               "with the *admin* role must approve it (request #1, until <!date^")
    button = approve_button(ask)
    assert (button["action_id"], button["value"], button["text"]["text"]) == \
        ("approve_request", "1", "Approve destroy of lab1")
    assert stack.last_job("destroy") is None
    stack.click("approve_request", "1", user=ADMIN)
    assert answered(stack, ADMIN, "You asked for request #1").endswith(
        "so another person with the *admin* role must approve it.")
    stack.click("approve_request", "1", user=OPERATOR)
    assert "Approving a destroy needs the *admin* role; you have *operator*." in \
        answered(stack, OPERATOR, "Approving a destroy")
    stack.click("approve_request", "1", user=VIEWER)
    assert "Approving a request needs the *operator* role" in answered(stack, VIEWER, "Approving")
    assert stack.last_job("destroy") is None
    stack.click("approve_request", "1", user=SECOND_ADMIN)
    job = stack.wait_job(next_job(stack, "destroy").id, timeout=60)
    assert (job.state, job.requester) == ("succeeded", ADMIN)
    assert answered(stack, SECOND_ADMIN, "Approved").startswith(
        "Approved <@UADMIN01>'s request: the destroy of *lab1* is queued as job *#")
    stack.settle()
    edited = stack.slack.channel(CHANNEL).message(ask.ts)
    assert edited.text == (f"✅ Destroy of *lab1*, asked by <@UADMIN01>, approved by <@UADMIN02>: job #{job.id} "
                           "(request #1).")
    assert [b["type"] for b in edited.blocks] == ["section"]              # the Approve button is gone
    with stack.runtime.sessions() as session:
        kinds = [e.kind for e in session.scalars(select(JobEvent).where(JobEvent.job_id.is_(None))
                                                 .order_by(JobEvent.id))]
    assert kinds.count("approval-asked") == 1 and kinds.count("approval-approved") == 1
    assert kinds.count("denied") == 2                               # the operator's and the viewer's clicks


def test_rollback_of_a_shared_lab_is_confirmed_then_approved_by_another_operator_or_admin(stack: Stack) -> None:
    deploy_and_snapshot(stack)
    share(stack)
    before = last_id(stack, "rollback")
    ack = stack.command("rollback lab1 before-reset").json()
    assert "*lab1* is shared: after you confirm, another person with the *operator* role must approve it." in ack["text"]
    [confirm] = buttons(ack)
    stack.click(confirm["action_id"], confirm["value"])
    answered(stack, OPERATOR, "waits for another person with the *operator* role")
    ask = approval_post(stack)
    assert ask.text.startswith("🔏 <@UOPS0001> asks for a rollback of *lab1* to `before-reset`.")
    stack.click("approve_request", confirm["value"], user=ADMIN)
    job = stack.wait_job(next_job(stack, "rollback", after=before).id, timeout=120)
    assert job.requester == OPERATOR and job.step in ("fuel", "health")


def test_an_approval_nobody_gives_expires_and_its_button_goes_away(stack: Stack) -> None:
    share(stack)
    ack = stack.command("destroy lab1", user=ADMIN).json()
    [confirm] = buttons(ack)
    stack.click(confirm["action_id"], confirm["value"], user=ADMIN)
    ask = approval_post(stack)
    for _replica in range(2):
        tick_leases(sessions=stack.runtime.sessions, labs=stack.runtime.services.labs.load, reminders=(),
                    now=utcnow() + timedelta(hours=1, minutes=1))
    stack.settle()
    expired = stack.slack.channel(CHANNEL).message(ask.ts)
    assert expired.text == ("⌛ Destroy of *lab1*, asked by <@UADMIN01>, expired unapproved (request #1). "
                            "Ask again if it is still wanted.")
    assert [b["type"] for b in expired.blocks] == ["section"]
    stack.click("approve_request", "1", user=SECOND_ADMIN)
    assert "expired" in answered(stack, SECOND_ADMIN, "Request #1")
    assert stack.last_job("destroy") is None
    with stack.runtime.sessions() as session:
        [approval] = session.scalars(select(Approval)).all()
        assert approval.state == "expired"
        assert [e.kind for e in session.scalars(select(JobEvent).where(JobEvent.kind == "approval-expired"))] == \
            ["approval-expired"]
