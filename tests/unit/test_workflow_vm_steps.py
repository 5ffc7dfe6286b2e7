"""The lab's VMs and fuelbot's records of them, step by step on the fakes and an in-memory database:
create (recorded before and after), a crash between the two, the pxe NIC, skipped hosts, duplicate
MACs; destroy by record; VMs an older fuelbot left, found by preflight and adopted on request."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from core.errors import StepFailed, VSphereError
from integrations.vsphere.info import owner_annotation
from jobs.record import JobRecord
from labspec.model import Nic
from store import vm_records
from store.models import JobEvent
from tests.fakes.harness import Harness
from workflows import deploy_vsphere, teardown
from workflows.adopt import AdoptWorkflow
from workflows.records import DeployRecord
from workflows.voices.adopt import AdoptVoice
from workflows.voices.deploy import DeployVoice
from workflows.voices.teardown import DestroyVoice

MANAGEMENT_FIRST = (Nic("management", ("management",)), Nic("pxe", ("fuelweb_admin",)), Nic("public", ("public",)),
                    Nic("storage", ("storage",)), Nic("br100", ("fixed",)))


def _deploy_run(h: Harness):
    return h.run(DeployRecord(), DeployVoice())


def _records(h: Harness):
    with h.sessions() as session:
        return vm_records.records(session, h.lab.name)


def _with_nodes(h: Harness, *names: str, nics: tuple[Nic, ...] | None = None) -> None:
    base = h.lab.nodes[0]
    vm = replace(base.vm, nics=nics) if nics else base.vm
    h.lab = replace(h.lab, nodes=tuple(replace(base, vm=replace(vm, name=n)) for n in names))
    h.vsphere.fix_portgroups(h.lab)


# -- create ---------------------------------------------------------------------------------------
def test_each_vm_is_recorded_before_and_after_creation_and_a_rerun_records_nothing_new() -> None:
    h = Harness()
    _with_nodes(h, "lab1-node-1", "lab1-node-2")
    seen = []
    provision = h.vsphere.provision

    def watching(lab, plans, **kw):        # what the database says while vCenter works
        seen.append(sorted((r.name, r.moid) for r in _records(h)))
        return provision(lab, plans, **kw)

    h.vsphere.provision = watching
    run = _deploy_run(h)
    deploy_vsphere.step_create_vms(run)
    assert seen == [[("lab1-node-1", None), ("lab1-node-2", None)]]            # planned before the first task
    records = _records(h)
    vms = {vm.name: vm for vm in h.vsphere.lab_vms("lab1")}
    assert [(r.name, r.moid, r.instance_uuid, r.folder, r.macs) for r in records] == [
        (n, vms[n].moid, vms[n].instance_uuid, "fuelbot/lab1", vms[n].macs) for n in ("lab1-node-1", "lab1-node-2")]
    deploy_vsphere.step_create_vms(run)
    assert _records(h) == records and h.vsphere.calls["provision"] == 2
    assert h.thread.said()[-1] == "🖥️ All 2 VM(s) of lab1 already exist and are powered on."


def test_a_vm_made_just_before_a_crash_is_recognised_by_its_plan_and_recorded() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    provision = h.vsphere.provision

    def killed(lab, plans, *, on_created=None, checkpoint=None):
        def die(owned):
            raise RuntimeError("kill -9 right after vCenter made the VM")
        return provision(lab, plans, on_created=die, checkpoint=checkpoint)

    h.vsphere.provision = killed
    with pytest.raises(RuntimeError):
        deploy_vsphere.step_create_vms(_deploy_run(h))
    (planned,) = _records(h)
    assert planned.moid is None
    h.vsphere.provision = provision
    run = _deploy_run(h)
    deploy_vsphere.step_create_vms(run)                       # the resumed step
    (vm,) = h.vsphere.vms()
    (record,) = _records(h)
    assert (record.moid, record.instance_uuid) == (vm.moid, planned.instance_uuid) == (vm.moid, vm.instance_uuid)
    assert run.data.vms["lab1-controller-1"].created is False


def test_the_pxe_mac_is_the_nic_on_pxe_wherever_it_is_in_the_spec() -> None:
    h = Harness()
    _with_nodes(h, "lab1-controller-1", nics=MANAGEMENT_FIRST)
    run = _deploy_run(h)
    deploy_vsphere.step_create_vms(run)
    (vm,) = h.vsphere.vms()
    record = run.data.vms["lab1-controller-1"]
    assert record.pxe_mac == vm.macs[1] == next(n.mac for n in vm.nics if n.network_name == "pxe")
    assert vm.boot_order[0].device_key == vm.nics[1].key
    assert f"(pxe {vm.macs[1]})" in h.thread.said()[-1]


def test_a_skipped_host_is_said_and_the_vms_go_elsewhere() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.hosts[2].connection_state = "disconnected"
    deploy_vsphere.step_create_vms(_deploy_run(h))
    skipped, created = h.thread.said()
    assert skipped == ("⚠️ Host(s) skipped, the VMs went to the others: DC0_C0_H2: disconnected. Reconnect a host, "
                       "or take it out of maintenance mode, to use it again.")
    assert created.startswith("🖥️ VMs created and powered on in `fuelbot/lab1`")


def test_a_duplicate_mac_fails_the_step_naming_both_vms() -> None:
    h = Harness()
    _with_nodes(h, "lab1-node-1")
    deploy_vsphere.step_create_vms(_deploy_run(h))
    mac = h.vsphere.machines["lab1-node-1"].macs[0]
    h.vsphere.add_vm("someones-copy", macs=(mac,))
    _with_nodes(h, "lab1-node-1", "lab1-node-2")              # the spec grows a node
    run = _deploy_run(h)
    with pytest.raises(VSphereError, match=f"VM lab1-node-1: MAC {mac} is also used by VM someones-copy"):
        deploy_vsphere.step_create_vms(run)
    assert [r.name for r in _records(h) if r.moid] == ["lab1-node-1", "lab1-node-2"]   # the new VM is recorded
    assert run.data.vms == {}                                  # nothing for discovery to wait on


def test_preflight_stops_on_a_vm_an_older_fuelbot_left_and_names_the_adopt_fix() -> None:
    h = Harness()
    h.vsphere.add_vm("lab1-controller-1", annotation=owner_annotation("lab1"))
    with pytest.raises(StepFailed) as caught:
        deploy_vsphere.step_preflight(_deploy_run(h))
    assert "VM `lab1-controller-1` (vm-1) carries lab1's owner marker but fuelbot has no record of it" in str(caught.value)
    assert "`/fuel adopt lab1` (admin) moves it into `fuelbot/lab1`" in str(caught.value)


# -- destroy --------------------------------------------------------------------------------------
def test_destroy_deletes_only_what_matches_its_record_and_says_why_it_left_the_rest() -> None:
    h = Harness()
    _with_nodes(h, "lab1-node-1", "lab1-node-2", "lab1-node-3")
    deploy_vsphere.step_create_vms(_deploy_run(h))
    h.vsphere.clone_vm("lab1-node-1", "lab1-node-1-copy")            # a user's clone: same notes, in the folder
    h.vsphere.set_notes("lab1-node-2", "taken over by the storage team")
    h.vsphere.delete_vm("lab1-node-3")                                # someone deleted it already
    _with_nodes(h, "lab1-node-1", "lab1-node-2", "lab1-node-3", "lab1-node-4")
    h.vsphere.add_vm("lab1-node-4", annotation=owner_annotation("lab1"))   # an older fuelbot's, unrecorded
    run = h.run(JobRecord(), DestroyVoice(), kind="destroy")
    teardown.step_destroy_vms(run)
    said = h.thread.said()[-1]
    assert said == ("🧹 VMs deleted: `lab1-node-1`.\n"
                    "Already gone from `fuelbot/lab1`: `lab1-node-3`.\n"
                    "⚠️ Refused to delete `lab1-node-2`: its notes lost the owner marker 'fuelbot lab=lab1'. It is "
                    "left in vCenter; delete it there if it is no one's.\n"
                    "⚠️ Left alone, fuelbot has no record of them: `lab1-node-4` (they carry lab1's owner marker: "
                    "`/fuel adopt lab1` takes them over if they are the lab's, then destroy deletes them).\n"
                    "Port groups and the Fuel master VM are kept (they may serve other labs).")
    assert sorted(h.vsphere.machines) == ["lab1-node-1-copy", "lab1-node-2", "lab1-node-4"]
    assert [r.name for r in _records(h)] == ["lab1-node-2"]              # the refused one keeps its record


def test_destroy_leaves_vms_recorded_in_a_folder_the_spec_no_longer_names() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    deploy_vsphere.step_create_vms(_deploy_run(h))
    h.vsphere.folder = "labs/lab1-v2"                                  # vcenter.folder edited after the deploy
    teardown.step_destroy_vms(h.run(JobRecord(), DestroyVoice(), kind="destroy"))
    said = h.thread.said()[-1]
    assert said.startswith("🧹 VMs deleted: none.\n⚠️ Refused to delete `lab1-controller-1`: it was recorded in folder "
                           "`fuelbot/lab1`, and the lab's folder is now `labs/lab1-v2`.")
    assert list(h.vsphere.machines) == ["lab1-controller-1"] and len(_records(h)) == 1


# -- adopt ----------------------------------------------------------------------------------------
def test_adopt_moves_an_older_fuelbots_vm_into_the_folder_records_and_audits_it_and_refuses_the_ambiguous() -> None:
    h = Harness()
    _with_nodes(h, "lab1-node-1", "lab1-node-2", "lab1-node-3")
    legacy = h.vsphere.add_vm("lab1-node-1", annotation=owner_annotation("lab1"))
    h.vsphere.add_vm("lab1-node-2", annotation=owner_annotation("lab1"))
    stale = h.vsphere.add_vm("lab1-node-2", annotation=owner_annotation("lab1"), folder="old")
    h.vsphere.add_vm("lab1-node-3", annotation="fuelbot lab=lab2")         # another lab's: never a candidate
    run = h.run(JobRecord(), AdoptVoice(), kind="adopt")
    with pytest.raises(StepFailed, match=r"1 VM\(s\) of lab1 could not be adopted \(`lab1-node-2`\)"):
        AdoptWorkflow(h.deps()).run(run)
    assert run.headline == "📥 *lab1*: 1 VM(s) adopted into `fuelbot/lab1`"
    (said,) = h.thread.said()
    assert said.splitlines()[0] == (f"📥 `lab1-node-1` ({legacy.moid}) adopted: moved from the datacenter's VM folder "
                                    "into `fuelbot/lab1`, recorded")
    assert said.splitlines()[1].startswith("⚠️ `lab1-node-2` not adopted: 2 VMs named 'lab1-node-2' carry the marker")
    assert [(r.name, r.moid, r.instance_uuid) for r in _records(h)] == [("lab1-node-1", legacy.moid,
                                                                          legacy.instance_uuid)]
    with h.sessions() as session:
        (event,) = session.scalars(select(JobEvent).where(JobEvent.kind == "adopted"))
    assert (event.actor, event.data["moid"], event.data["moved_from"]) == ("U0ALICE1", legacy.moid,
                                                                          "the datacenter's VM folder")
    again = h.run(JobRecord(), AdoptVoice(), kind="adopt")
    del h.vsphere.vm_store.by_moid[stale.moid]                          # someone sorted the duplicates out
    AdoptWorkflow(h.deps()).run(again)
    assert again.headline == "📥 *lab1*: 1 VM(s) adopted into `fuelbot/lab1`"
    assert [r.name for r in _records(h)] == ["lab1-node-1", "lab1-node-2"]
    nothing = h.run(JobRecord(), AdoptVoice(), kind="adopt")
    AdoptWorkflow(h.deps()).run(nothing)
    assert nothing.headline.startswith("📥 *lab1*: nothing to adopt")
