"""Issue #11 end to end, through signed Slack commands on the strict vcsim: the pxe NIC boots wherever
it is in the spec, VMs live in the lab's folder with records, destroy deletes only what fuelbot
recorded (a clone stays), a duplicate MAC fails create_vms, a disconnected host is skipped and said,
and a lab an older fuelbot deployed is reported by preflight and adopted on an admin's request."""
from __future__ import annotations

import time
from typing import Any, Callable

import yaml
from pyVim.task import WaitForTask
from pyVmomi import vim
from sqlalchemy import select

from integrations.vsphere.client import VSphereClient
from sim.slack.signing import block_actions_form, post_signed
from store import vm_records
from store.models import JobEvent
from tests.fixtures.slack import assert_no_violations
from tests.fixtures.stack import ADMIN, CHANNEL, OPERATOR, Stack, start_stack, stop_stack
from tests.fixtures.vcenter_simulator import admin_session

Dev = vim.vm.device


# -- the conversation and vCenter as another user sees it -------------------------------------------
def _edit_lab(stack: Stack, change: Callable[[dict], None], lab: str = "lab1") -> None:
    path = stack.labs_dir / f"{lab}.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def _job(stack: Stack, text: str, kind: str, user: str = OPERATOR, timeout: float = 120) -> Any:
    before = stack.last_job(kind)
    stack.command(text, user=user)
    latest = stack.last_job(kind)
    assert latest is not None and (before is None or latest.id != before.id), f"/fuel {text} queued no {kind} job"
    return stack.wait_job(latest.id, timeout=timeout)


def _story(stack: Stack, job_id: int) -> str:
    parent, replies = stack.thread(job_id)
    return "\n".join([parent, *replies])


def _destroy(stack: Stack, lab: str = "lab1") -> Any:
    """An admin asks, then clicks the prompt's Destroy button, as Slack sends the click."""
    asked = stack.command(f"destroy {lab}", user=ADMIN).json()
    button = asked["blocks"][-1]["elements"][0]
    prompt = stack.slack.channel(CHANNEL).ephemerals_for(ADMIN)[-1]
    body = block_actions_form(user_id=ADMIN, channel_id=CHANNEL, channel_name="lab", team_id=stack.slack.team_id,
                              action={"action_id": "confirm_destroy", "value": button["value"],
                                      "text": {"type": "plain_text", "text": "Destroy"}},
                              block_id="b0", response_url=stack.slack.new_response_url(
                                  channel=CHANNEL, user=ADMIN, origin=prompt.id),
                              message=None, ephemeral=True, trigger_id="T-destroy")
    assert post_signed(stack.events_url, body, secret=stack.secret).status == 200
    deadline = time.monotonic() + 10
    while stack.last_job("destroy") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return stack.wait_job(stack.last_job("destroy").id, timeout=60)


def _vms(admin: Any, name: str) -> list[Any]:
    view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
    try:
        return [v for v in view.view if v.name == name]
    finally:
        view.Destroy()


def _folder(vm: Any) -> str:
    """The VM's folder path under its datacenter's VM folder ("" for that folder itself)."""
    parts, node = [], vm.parent
    while not isinstance(node.parent, vim.Datacenter):
        parts.append(node.name)
        node = node.parent
    return "/".join(reversed(parts))


def _records(stack: Stack, lab: str = "lab1") -> list[vm_records.VMRecord]:
    with stack.runtime.sessions() as session:
        return vm_records.records(session, lab)


def _clone(admin: Any, vm: Any, name: str, folder: Any) -> None:
    WaitForTask(vm.CloneVM_Task(folder=folder, name=name,
                                spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=vm.resourcePool))))


# -- issue #11, item 1 and 7: the pxe NIC, the lab's folder, the records ------------------------------
def test_a_node_listing_management_first_pxe_boots_is_discovered_and_is_recorded_in_the_labs_folder(stack):
    def management_first(spec: dict) -> None:
        pxe, public, management, *rest = spec["nodes"][0]["nics"]
        spec["nodes"][0]["nics"] = [management, pxe, public, *rest]

    _edit_lab(stack, management_first)
    job = _job(stack, "deploy lab1 --skip-health", "deploy")
    assert job.state == "succeeded", job.error
    with admin_session(stack.vcsim) as admin:
        (vm,) = _vms(admin, "lab1-controller-1")
        nics = sorted((d for d in vm.config.hardware.device if isinstance(d, Dev.VirtualEthernetCard)),
                      key=lambda d: d.key)
        first = vm.config.bootOptions.bootOrder[0]
        where, moid, instance_uuid, pxe_mac = _folder(vm), vm._moId, vm.config.instanceUuid, nics[1].macAddress
    assert isinstance(first, vim.vm.BootOptions.BootableEthernetDevice) and first.deviceKey == nics[1].key
    assert where == "fuelbot/lab1"
    story = _story(stack, job.id).lower()
    assert "vms created and powered on in `fuelbot/lab1` (network boot first)" in story
    assert f"(pxe {pxe_mac})" in story and f"⇐ `lab1-controller-1` ({pxe_mac})" in story   # Fuel saw the pxe NIC
    (record,) = _records(stack)
    assert (record.name, record.moid, record.instance_uuid, record.folder) == (
        "lab1-controller-1", moid, instance_uuid, "fuelbot/lab1")
    assert record.macs[1] == pxe_mac and record.confirmed


# -- item 7: destroy deletes what fuelbot recorded, never a user's clone --------------------------------
def test_destroy_deletes_only_the_recorded_vm_and_leaves_the_clones(stack):
    assert _job(stack, "deploy lab1 --skip-health", "deploy").state == "succeeded"
    with admin_session(stack.vcsim) as admin:                  # a user copies the lab's VM, notes and all
        (vm,) = _vms(admin, "lab1-controller-1")
        _clone(admin, vm, "lab1-controller-1-copy", vm.parent)
        _clone(admin, vm, "lab1-controller-1", admin.content.rootFolder.childEntity[0].vmFolder)
    job = _destroy(stack)
    assert job.state == "succeeded", job.error
    story = _story(stack, job.id)
    assert "🧹 VMs deleted: `lab1-controller-1`." in story
    assert ("⚠️ Left alone, fuelbot has no record of them: `lab1-controller-1` (they carry lab1's owner marker: "
            "`/fuel adopt lab1` takes them over if they are the lab's, then destroy deletes them).") in story
    with admin_session(stack.vcsim) as admin:
        left = {(v.name, _folder(v)) for n in ("lab1-controller-1", "lab1-controller-1-copy") for v in _vms(admin, n)}
        assert all(v.config.annotation == "fuelbot lab=lab1" for v in _vms(admin, "lab1-controller-1-copy"))
    assert left == {("lab1-controller-1-copy", "fuelbot/lab1"), ("lab1-controller-1", "")}
    assert _records(stack) == []


# -- item 8: a duplicate MAC fails the step ---------------------------------------------------------------
def test_a_mac_copied_onto_another_vm_fails_create_vms_naming_both(stack):
    assert _job(stack, "deploy lab1 --skip-health", "deploy").state == "succeeded"
    with admin_session(stack.vcsim) as admin:                  # someone gives a VM the controller's pxe MAC
        (vm,) = _vms(admin, "lab1-controller-1")
        mac = sorted((d for d in vm.config.hardware.device if isinstance(d, Dev.VirtualEthernetCard)),
                     key=lambda d: d.key)[0].macAddress
        dc = admin.content.rootFolder.childEntity[0]
        WaitForTask(dc.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(
            name="someones-copy", numCPUs=1, memoryMB=64, guestId="otherGuest",
            files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"), deviceChange=[Dev.VirtualDeviceSpec(
                operation="add", device=Dev.VirtualVmxnet3(key=-1, addressType="manual", macAddress=mac,
                                                          backing=Dev.VirtualEthernetCard.NetworkBackingInfo(
                                                              deviceName="VM Network")))]),
            pool=vm.resourcePool))

    def one_more_node(spec: dict) -> None:
        spec["nodes"].append(dict(spec["nodes"][0], name="lab1-compute-1", roles=["cinder"]))

    _edit_lab(stack, one_more_node)
    job = _job(stack, "deploy lab1 --skip-health", "deploy")
    assert (job.state, job.step) == ("failed", "create_vms")
    assert f"VM lab1-controller-1: MAC {mac} is also used by VM someones-copy" in job.error
    assert "duplicate MACs break PXE and Fuel's discovery" in _story(stack, job.id)
    assert [r.name for r in _records(stack) if r.confirmed] == ["lab1-compute-1", "lab1-controller-1"]


# -- item 4: a disconnected host is skipped and said ----------------------------------------------------
def test_a_disconnected_host_is_skipped_and_said_and_the_deploy_goes_on(migrated_database_url, tmp_path, vcsim_binary):
    stack = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path,
                        vcsim_args=("-disconnected-host", "DC0_C0_H1"))
    try:
        job = _job(stack, "deploy lab1 --skip-health", "deploy")
        assert job.state == "succeeded", job.error
        story = _story(stack, job.id)
        assert ("⚠️ Host(s) skipped, the VMs went to the others: DC0_C0_H1: disconnected. Reconnect a host, or take "
                "it out of maintenance mode, to use it again.") in story
        assert "DC0_C0_H1" in story.split("🔎 Preflight")[1].split("\n🧰")[0]       # preflight warned first
        with admin_session(stack.vcsim) as admin:
            (vm,) = _vms(admin, "lab1-controller-1")
            assert vm.runtime.host.name != "DC0_C0_H1"
    finally:
        stop_stack(stack)
    assert_no_violations(stack.slack)


# -- labs deployed before the records: reported, then adopted on an admin's request -----------------------
def test_a_lab_an_older_fuelbot_deployed_is_reported_then_adopted_and_deployed_again(stack):
    labs, _ = stack.runtime.services.labs.load()
    lab = labs["lab1"]
    with VSphereClient.connect(lab.vcenter) as client:           # what an older fuelbot left: a marked VM, no record
        client.fix_portgroups(lab)
        client.ensure_vm(lab.nodes[0].vm, lab="lab1")
    with admin_session(stack.vcsim) as admin:                  # ...before folders: in the datacenter's VM folder
        (vm,) = _vms(admin, "lab1-controller-1")
        WaitForTask(admin.content.rootFolder.childEntity[0].vmFolder.MoveIntoFolder_Task([vm]))
        moid, instance_uuid = vm._moId, vm.config.instanceUuid
    preflight = _job(stack, "preflight lab1", "preflight")
    assert preflight.state == "failed"
    assert (f"VM `lab1-controller-1` ({moid}) carries lab1's owner marker but fuelbot has no record of it"
            in _story(stack, preflight.id))
    assert "`/fuel adopt lab1` (admin) moves it into `fuelbot/lab1`" in _story(stack, preflight.id)
    refused = stack.command("adopt lab1", user=OPERATOR).json()
    assert "admin" in refused["text"] and stack.last_job("adopt") is None
    adopt = _job(stack, "adopt lab1", "adopt", user=ADMIN)
    assert adopt.state == "succeeded", adopt.error
    story = _story(stack, adopt.id)
    assert story.startswith("📥 *lab1*: 1 VM(s) adopted into `fuelbot/lab1`")
    assert (f"📥 `lab1-controller-1` ({moid}) adopted: moved from the datacenter's VM folder into `fuelbot/lab1`, "
            "recorded") in story
    with stack.runtime.sessions() as session:
        (event,) = session.scalars(select(JobEvent).where(JobEvent.kind == "adopted"))
    assert event.actor == ADMIN and event.job_id == adopt.id and moid in event.message
    assert [(r.moid, r.instance_uuid, r.folder) for r in _records(stack)] == [(moid, instance_uuid, "fuelbot/lab1")]
    deploy = _job(stack, "deploy lab1 --skip-health", "deploy")
    assert deploy.state == "succeeded", deploy.error
    assert "🖥️ All 1 VM(s) of lab1 already exist and are powered on." in _story(stack, deploy.id)
    with admin_session(stack.vcsim) as admin:
        assert [(v._moId, _folder(v)) for v in _vms(admin, "lab1-controller-1")] == [(moid, "fuelbot/lab1")]

