"""Whole-lab snapshots and rollback on the real parts, through signed Slack commands and clicks:
vcsim (the snapshots are real), the Fuel simulator, a real database, LocalSlack."""
from __future__ import annotations

import time
from typing import Any

import yaml

from integrations.vsphere.client import VSphereClient
from store import lab_snapshots
from store.enums import SnapshotState
from tests.fixtures.stack import ADMIN, OPERATOR, VIEWER, Stack
from tests.fixtures.vcenter_simulator import DATACENTER
from tests.integration.test_workflow_lifecycle import ZABBIX_NODE

VMS = ("fuel-master", "lab1-controller-1")


def vcenter(stack: Stack) -> VSphereClient:
    from labspec.model import VCenterTarget
    return VSphereClient.connect(VCenterTarget(url=stack.vcsim.url, user=stack.vcsim.user,
                                               password=stack.vcsim.password, datacenter=DATACENTER,
                                               cluster="DC0_C0", datastore="LocalDS_0"))


def buttons(ack: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for block in ack.get("blocks") or [] if block.get("type") == "actions" for e in block["elements"]]


def run(stack: Stack, text: str, kind: str, *, user: str = OPERATOR, timeout: float = 120.0):
    before = stack.last_job(kind)
    ack = stack.command(text, user=user).json()
    assert "queued as job" in ack["text"], ack["text"]
    job = stack.last_job(kind)
    assert job is not None and (before is None or job.id != before.id)
    return stack.wait_job(job.id, timeout=timeout)


def deploy_and_snapshot(stack: Stack, name: str = "before-reset") -> None:
    assert run(stack, "deploy lab1 --skip-health", "deploy").state == "succeeded"
    taken = run(stack, f"snapshot lab1 {name}", "snapshot")
    assert taken.state == "succeeded", taken.error


def last_id(stack: Stack, kind: str) -> int:
    job = stack.last_job(kind)
    return job.id if job is not None else 0


def next_job(stack: Stack, kind: str, *, after: int = 0, timeout: float = 10.0):
    """The job of ``kind`` a click queues (clicks are answered after their ack), newer than job ``after``."""
    deadline = time.monotonic() + timeout
    while last_id(stack, kind) <= after and time.monotonic() < deadline:
        time.sleep(0.05)
    job = stack.last_job(kind)
    assert job is not None and job.id > after, f"no {kind} job was queued"
    return job


def confirm_rollback(stack: Stack, name: str, *, user: str = OPERATOR):
    """Type the rollback, click its button; the rollback job, once it ends."""
    before = last_id(stack, "rollback")
    ack = stack.command(f"rollback lab1 {name}", user=user).json()
    [button] = buttons(ack)
    assert button["action_id"] == "approve_request" and button["style"] == "danger"
    assert last_id(stack, "rollback") == before                        # nothing happens before the click
    assert stack.click(button["action_id"], button["value"], user=user).status == 200
    return stack.wait_job(next_job(stack, "rollback", after=before).id, timeout=120)


def test_a_snapshot_set_holds_every_vm_and_the_master_with_what_fuel_saw(stack: Stack) -> None:
    deploy_and_snapshot(stack)
    job = stack.last_job("snapshot")
    parent, replies = stack.thread(job.id)
    assert parent.startswith("📸 *lab1* snapshot set `before-reset` taken: 2 VMs, 0 B — job #")
    assert ("📸 Taking snapshot set `before-reset` of *lab1*: `lab1-controller-1` and the Fuel master `fuel-master`. "
            "Fuel sees environment `lab1` operational, 1 node (node-1 controller ready).") in replies
    assert any(r.startswith("✅ Snapshot set `before-reset` ready: 2 VMs, 0 B.") for r in replies)
    with stack.runtime.sessions() as session:
        snapshot = lab_snapshots.find(session, "lab1", "before-reset")
        assert snapshot is not None and snapshot.state is SnapshotState.READY
        recorded = {vm.vm_name: (vm.snapshot_moref, vm.role, vm.power_state, vm.memory) for vm in snapshot.vms}
        assert snapshot.fuel["status"] == "operational" and [n["roles"] for n in snapshot.fuel["nodes"]] == [["controller"]]
    client = vcenter(stack)
    try:
        for vm in VMS:
            [taken] = client.snapshots(vm)
            assert (taken.name, taken.moref) == ("fuelbot lab1 before-reset", recorded[vm][0])
            assert recorded[vm][2:] == ("poweredOn", True)                  # a running VM: with its memory
    finally:
        client.close()
    assert {r for r, *_ in (v[1:] for v in recorded.values())} == {"master", "node"}
    listing = stack.command("snapshots lab1", user=VIEWER).json()["text"]
    assert "• `before-reset` · just now by <@UOPS0001> · 2 VMs incl. the Fuel master · 0 B" in listing
    again = stack.command("snapshot lab1 before-reset").json()["text"]
    assert again.startswith("*lab1* already has a snapshot set `before-reset` (taken just now by <@UOPS0001>)")


def test_rollback_after_a_reset_reverts_every_vm_to_its_snapshot_and_power_state(stack: Stack) -> None:
    deploy_and_snapshot(stack)
    client = vcenter(stack)
    try:
        client.power_off("lab1-controller-1")                                 # behind fuelbot's back
        assert run(stack, "reset lab1", "reset").state == "succeeded"
        assert stack.fuel.state()["clusters"][0]["status"] == "new"
        job = confirm_rollback(stack, "before-reset")
        assert any(a.startswith("Confirmed: the rollback of *lab1* to `before-reset` is queued as job")
                   for a in stack.answers(OPERATOR))
        assert job.context["reverted"] == list(VMS)                          # the master first
        with stack.runtime.sessions() as session:
            snapshot = lab_snapshots.find(session, "lab1", "before-reset")
            morefs = {vm.vm_name: vm.snapshot_moref for vm in snapshot.vms}
        for vm in VMS:
            [current] = [s for s in client.snapshots(vm) if s.current]
            assert current.moref == morefs[vm]
            info = client.vm(vm)
            assert info is not None and info.power_state == "poweredOn"       # as it was taken
    finally:
        client.close()
    _, replies = stack.thread(job.id)
    assert any("`before-reset` holds the 2 VMs *lab1* has now" in r for r in replies)
    assert any(r.startswith("⏪ 2/2 reverted") for r in replies)
    assert job.step in ("fuel", "health")                                     # Fuel was asked, whatever it said


def test_rollback_brings_the_environment_back_operational_with_its_nodes_and_health_passes(stack: Stack) -> None:
    deploy_and_snapshot(stack)
    nodes_before = sorted((n["id"], n["mac"], tuple(n["roles"])) for n in stack.fuel.state()["nodes"])
    assert run(stack, "reset lab1", "reset").state == "succeeded"
    job = confirm_rollback(stack, "before-reset")
    assert job.state == "succeeded", job.error
    state = stack.fuel.state()
    assert state["clusters"][0]["status"] == "operational"
    assert sorted((n["id"], n["mac"], tuple(n["roles"])) for n in state["nodes"]) == nodes_before
    parent, replies = stack.thread(job.id)
    assert parent.startswith("⏪ *lab1* rolled back to `before-reset` — job #") and "health sanity" in parent
    assert any(r.startswith("✅ Fuel sees environment `lab1` operational, 1 node") for r in replies)
    assert any(r.startswith("✅ Health check after the rollback:") and "✗" not in r for r in replies)


def test_a_rollback_of_a_lab_whose_vms_changed_is_refused_before_anything_is_reverted(stack: Stack) -> None:
    deploy_and_snapshot(stack)
    spec_path = stack.labs_dir / "lab1.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["nodes"].append(ZABBIX_NODE)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    refused = stack.command("rollback lab1 before-reset").json()
    assert refused["text"].startswith("*lab1*'s VMs changed since `before-reset` was taken (added since: "
                                      "`lab1-zabbix-1`). A rollback would leave the lab half old and half new")
    assert buttons(refused) == [] and stack.last_job("rollback") is None
    missing = stack.command("rollback lab1 after-upgrade").json()["text"]
    assert missing == "*lab1* has no snapshot set `after-upgrade`. Its sets: `before-reset` (`/fuel snapshots lab1`)."
    assert "is not a snapshot name" in stack.command("rollback lab1 ../etc").json()["text"]
    assert "Rolling back a lab needs the *operator* role" in stack.command("rollback lab1 before-reset",
                                                                           user=VIEWER).json()["text"]


def test_a_rollback_needs_its_requesters_click_and_a_second_click_changes_nothing(stack: Stack) -> None:
    deploy_and_snapshot(stack)
    ack = stack.command("rollback lab1 before-reset").json()
    [button] = buttons(ack)
    assert "request #" in ack["text"] and "Everything changed since is lost" in ack["text"]
    stack.click(button["action_id"], button["value"], user=ADMIN)             # not theirs to confirm
    stack.settle()
    assert stack.last_job("rollback") is None
    assert any("is <@UOPS0001>'s to confirm" in a for a in stack.answers(ADMIN))
    stack.click(button["action_id"], button["value"], user=OPERATOR)
    stack.click(button["action_id"], button["value"], user=OPERATOR)          # a double click: one job
    job = stack.wait_job(next_job(stack, "rollback").id, timeout=120)
    assert job.step in ("fuel", "health")
    stack.click(button["action_id"], button["value"], user=OPERATOR)          # a click on the old button
    stack.settle()
    with stack.runtime.sessions() as session:
        from store.models import Job
        assert session.query(Job).filter(Job.kind == "rollback").count() == 1
    deadline = time.monotonic() + 5
    while not any("was already approved" in a for a in stack.answers(OPERATOR)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("was already approved by <@UOPS0001>" in a for a in stack.answers(OPERATOR)), stack.answers(OPERATOR)


def test_automatic_sets_before_a_reset_and_a_scale_out_keep_the_newest(stack: Stack) -> None:
    path = stack.labs_dir / "lab1.yaml"
    path.write_text(path.read_text() + "\nsnapshots:\n  before: [scale_out, reset]\n  keep: 1\n")
    first = run(stack, "deploy lab1 --skip-health", "deploy")
    assert first.state == "succeeded" and not any("Taking snapshot" in r for r in stack.thread(first.id)[1])
    reset = run(stack, "reset lab1", "reset")
    assert reset.state == "succeeded", reset.error
    _, replies = stack.thread(reset.id)
    assert any(r.startswith(f"📸 Taking snapshot set `before-reset-{reset.id}` of *lab1* before the reset (the "
                            "spec's `snapshots.before`): `lab1-controller-1` and the Fuel master") for r in replies)
    assert run(stack, "deploy lab1 --skip-health", "deploy").state == "succeeded"     # new again: no scale-out
    spec = yaml.safe_load(path.read_text())
    spec["nodes"].append(ZABBIX_NODE)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    scale = run(stack, "deploy lab1 --skip-health", "deploy")
    assert scale.state == "succeeded", scale.error
    _, replies = stack.thread(scale.id)
    story = "\n".join(replies)
    assert f"Taking snapshot set `before-scale-out-{scale.id}` of *lab1* before the scale-out" in story
    assert story.index("Taking snapshot set") < story.index("VMs created")        # before the new VM exists
    assert f"🧹 Older automatic snapshot sets removed: `before-reset-{reset.id}` (the spec keeps 1)." in story
    listing = stack.command("snapshots lab1", user=VIEWER).json()["text"]
    assert f"`before-scale-out-{scale.id}`" in listing and "automatic, before scale-out" in listing
    assert "before-reset" not in listing
    client = vcenter(stack)
    try:
        assert [s.name for s in client.snapshots("lab1-controller-1")] == [f"fuelbot lab1 before-scale-out-{scale.id}"]
    finally:
        client.close()
