"""Leases through signed Slack commands on the real parts: a reserved lab refuses a second person's
deploy, the queue hands it over on release, reminders come with an Extend button, and a lease that
runs out applies the spec's ``lease.on_expiry: power_off`` as a job in the lab's channel."""
from __future__ import annotations

import time
from datetime import timedelta

from integrations.vsphere.client import VSphereClient
from store.types import utcnow
from tests.fixtures.stack import CHANNEL, OPERATOR, SECOND_OPERATOR, VIEWER, Stack
from tests.integration.test_shared_labs import answered
from tests.integration.test_workflow_rollback import next_job, run, vcenter
from workflows.lease_watch import tick_leases


def posted(stack: Stack, prefix: str, *, timeout: float = 10.0):
    """The newest channel message starting with ``prefix``, once delivered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.settle()
        found = [m for m in stack.slack.channel(CHANNEL).messages if m.text.startswith(prefix)]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"nothing starting with {prefix!r} was posted")


def tick(stack: Stack, *, after: timedelta) -> None:
    for _replica in range(2):
        tick_leases(sessions=stack.runtime.sessions, labs=stack.runtime.services.labs.load,
                    reminders=stack.runtime.services.policy.leases.reminders, now=utcnow() + after)


def test_a_reserved_lab_refuses_a_second_persons_deploy_and_the_queue_hands_it_over(stack: Stack) -> None:
    granted = stack.command("reserve lab1 2h --reason upgrade rehearsal").json()["text"]
    assert granted.startswith("🔐 *lab1* is yours until <!date^") and "— “upgrade rehearsal”" in granted
    refused = stack.command("deploy lab1", user=SECOND_OPERATOR).json()["text"]
    assert refused.startswith("*lab1* is reserved by <@UOPS0001> until <!date^") and "“upgrade rehearsal”" in refused
    assert stack.last_job("deploy") is None
    assert "the answer comes here" in stack.command("status lab1", user=VIEWER).json()["text"]   # looking still works
    queued = stack.command("reserve lab1 1h", user=SECOND_OPERATOR).json()["text"]
    assert "You are #1 in its queue" in queued
    assert "<@UOPS0002> was next in line and holds it now" in stack.command("release lab1").json()["text"]
    handed = posted(stack, "🔑")
    assert handed.text.startswith("🔑 <@UOPS0002>, *lab1* is yours now, until <!date^")
    assert run(stack, "deploy lab1 --skip-health", "deploy", user=SECOND_OPERATOR).state == "succeeded"
    refused = stack.command("reset lab1").json()["text"]
    assert refused.startswith("*lab1* is reserved by <@UOPS0002>")


def test_reminder_with_extend_then_expiry_powers_the_nodes_off_as_the_spec_says(stack: Stack) -> None:
    path = stack.labs_dir / "lab1.yaml"
    path.write_text(path.read_text() + "\nlease:\n  on_expiry: power_off\n")
    assert run(stack, "deploy lab1 --skip-health", "deploy").state == "succeeded"
    stack.command("reserve lab1 2h")
    tick(stack, after=timedelta(hours=1, minutes=1))
    reminder = posted(stack, "⏰")
    assert reminder.text.startswith("⏰ <@UOPS0001>, your lease of *lab1* ends <!date^") and "(in 59m)" in reminder.text
    [extend] = [e for b in reminder.blocks if b["type"] == "actions" for e in b["elements"]]
    assert (extend["action_id"], extend["value"], extend["text"]["text"]) == ("extend_lease", "lab1", "Extend lab1 by 2h")
    stack.click("extend_lease", "lab1", user=SECOND_OPERATOR)                 # anyone sees it; only the holder may
    assert "not by you" in answered(stack, SECOND_OPERATOR, "lab1")
    stack.click("extend_lease", "lab1")
    assert "(extended by 2h)" in answered(stack, OPERATOR, "extended")
    tick(stack, after=timedelta(hours=3, minutes=59))                         # still held: 4h in all
    assert not [m for m in stack.slack.channel(CHANNEL).messages if m.text.startswith("⌛")]
    tick(stack, after=timedelta(hours=4, minutes=1))
    ended = posted(stack, "⌛")
    assert "Its node VMs are being powered off (job #" in ended.text and "The lab is free." in ended.text
    job = stack.wait_job(next_job(stack, "power_off").id, timeout=60)
    assert job.state == "succeeded", job.error
    parent, _ = stack.thread(job.id)
    assert parent.startswith("🔌 *lab1* node VMs powered off: `lab1-controller-1` — the lease of <@UOPS0001> ended.")
    client: VSphereClient = vcenter(stack)
    try:
        states = {vm.name: vm.power_state for vm in client.vms()}
        assert (states["lab1-controller-1"], states["fuel-master"]) == ("poweredOff", "poweredOn")
    finally:
        client.close()
    with stack.runtime.sessions() as session:
        from store.models import Job
        assert session.query(Job).filter(Job.kind == "power_off").count() == 1   # two replicas ticked
