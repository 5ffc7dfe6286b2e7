"""Bulk provisioning on the strict vcsim: the lab's folder, the boot NIC on pxe, BIOS, NIC types,
MACs seeded by the vCenter, a bounded task window, ownership that survives a crash."""
from __future__ import annotations

import dataclasses

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import VSphereClient, manual_mac
from labspec.model import Nic
from tests.fixtures.vcenter_simulator import admin_session, lab_for

Dev = vim.vm.device
# management first: a first-NIC boot order would never PXE-boot (issue #11, item 1)
MANAGEMENT_FIRST = (Nic("management", ("management",)), Nic("pxe", ("fuelweb_admin",)), Nic("public", ("public",)),
                    Nic("storage", ("storage",)), Nic("br100", ("fixed",)))


def _lab(vcsim, count: int = 3, **vm_changes):
    lab = lab_for(vcsim)
    base = dataclasses.replace(lab.nodes[0].vm, pxe_portgroup="pxe", **vm_changes)
    nodes = tuple(dataclasses.replace(lab.nodes[0], vm=dataclasses.replace(base, name=f"lab1-node-{i}"))
                  for i in range(count))
    return dataclasses.replace(lab, nodes=nodes)


@pytest.fixture
def client(vsphere_target, vcsim):
    with VSphereClient.connect(vsphere_target) as client:
        client.fix_portgroups(lab_for(vcsim))
        yield client


def _plans(client, lab):
    return {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])}


def _vm(admin, name):
    view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
    try:
        return [v for v in view.view if v.name == name]
    finally:
        view.Destroy()


def test_vms_land_in_the_lab_folder_boot_from_the_pxe_nic_and_run(client, vcsim):
    lab = _lab(vcsim, nics=MANAGEMENT_FIRST, nic_type="e1000")
    plans = _plans(client, lab)
    recorded = []
    report = client.provision(lab, plans, on_created=recorded.append)
    assert report.failures == () and sorted(report.created) == [n.name for n in lab.nodes]
    assert [vm.name for vm in client.lab_vms("lab1")] == [n.name for n in lab.nodes]   # in fuelbot/lab1
    for vm in report.vms:
        assert vm.power_state == "poweredOn"
        assert [n.network_name for n in vm.nics] == ["management", "pxe", "public", "storage", "br100"]
        assert vm.boot_order[0].kind == "network" and vm.boot_order[0].device_key == vm.nics[1].key
        assert list(vm.macs) == [manual_mac("lab1", vm.name, i, vcenter=client.vcenter_uuid) for i in range(5)]
        assert vm.instance_uuid == plans[vm.name].instance_uuid
    assert sorted(r.name for r in recorded) == sorted(report.created)
    assert {(r.moid, r.instance_uuid, r.folder) for r in recorded} == {
        (vm.moid, vm.instance_uuid, "fuelbot/lab1") for vm in report.vms}
    with admin_session(vcsim) as admin:
        raw = _vm(admin, "lab1-node-0")[0]
        assert raw.config.firmware == "bios"
        assert raw.parent.name == "lab1" and raw.parent.parent.name == "fuelbot"
        assert all(isinstance(d, Dev.VirtualE1000) for d in raw.config.hardware.device
                   if isinstance(d, Dev.VirtualEthernetCard))


def test_a_second_pass_changes_nothing_and_a_vm_created_before_a_crash_is_recognised(client, vcsim):
    lab = _lab(vcsim)
    plans = _plans(client, lab)

    def crash_after_the_first(owned):
        raise RuntimeError("worker killed right after vCenter created the VM")

    with pytest.raises(RuntimeError):
        client.provision(lab, plans, on_created=crash_after_the_first)
    report = client.provision(lab, plans)          # the resumed step, same recorded plans
    assert report.failures == ()
    with admin_session(vcsim) as admin:
        assert [len(_vm(admin, n.name)) for n in lab.nodes] == [1, 1, 1]   # never a duplicate
    assert {o.name: o.instance_uuid for o in report.owned} == {n: p.instance_uuid for n, p in plans.items()}
    again = client.provision(lab, plans)
    assert again.created == () and [v.power_state for v in again.vms] == ["poweredOn"] * 3


def test_a_vm_in_the_folder_that_fuelbot_did_not_record_is_refused(client, vcsim):
    lab = _lab(vcsim, count=1)
    client.provision(lab, _plans(client, lab), power_on=False)
    with pytest.raises(VSphereError) as caught:
        client.provision(lab, _plans(client, lab))      # fresh plans: not the recorded instance UUID
    assert caught.value.obj == "lab1-node-0" and "fuelbot did not create it" in str(caught.value)


def test_destroy_deletes_recorded_vms_only_never_a_clone_with_the_same_notes(client, vcsim):
    lab = _lab(vcsim, count=2)
    report = client.provision(lab, _plans(client, lab))
    records = list(report.owned)
    with admin_session(vcsim) as admin:            # a user clones a lab VM into the lab's folder
        source = _vm(admin, "lab1-node-0")[0]
        WaitForTask(source.CloneVM_Task(folder=source.parent, name="lab1-node-0-copy",
                                        spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=source.resourcePool))))
        clone = _vm(admin, "lab1-node-0-copy")[0]
        assert clone.config.annotation == "fuelbot lab=lab1"
        assert clone.config.instanceUuid != source.config.instanceUuid
    forged = dataclasses.replace(records[1], instance_uuid="00000000-0000-0000-0000-000000000000")
    outcomes = client.destroy_owned("lab1", [records[0], forged])
    assert [(o.name, o.action) for o in outcomes] == [("lab1-node-0", "deleted"), ("lab1-node-1", "refused")]
    assert "instance UUID" in outcomes[1].reason
    assert sorted(v.name for v in client.lab_vms("lab1")) == ["lab1-node-0-copy", "lab1-node-1"]
    assert [o.action for o in client.destroy_owned("lab1", [records[0]])] == ["gone"]


def test_destroy_refuses_a_vm_whose_notes_lost_the_owner_marker(client, vcsim):
    lab = _lab(vcsim, count=1)
    (record,) = client.provision(lab, _plans(client, lab), power_on=False).owned
    with admin_session(vcsim) as admin:
        WaitForTask(_vm(admin, "lab1-node-0")[0].ReconfigVM_Task(vim.vm.ConfigSpec(annotation="mine now")))
    (outcome,) = client.destroy_owned("lab1", [record])
    assert outcome.action == "refused" and "owner marker" in outcome.reason
    assert [v.name for v in client.lab_vms("lab1")] == ["lab1-node-0"]


def test_a_question_blocking_power_on_is_shown_not_waited_out(client, vcsim):
    lab = _lab(vcsim, count=1)
    plans = _plans(client, lab)
    client.provision(lab, plans, power_on=False)
    with admin_session(vcsim) as admin:            # ESXi asks before powering on a moved/copied VM
        WaitForTask(_vm(admin, "lab1-node-0")[0].ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[
            vim.option.OptionValue(key="vcsim.powerOn.question", value="This virtual machine might have been moved "
                                                                       "or copied.")])))
    with pytest.raises(VSphereError) as caught:
        client.provision(lab, plans)
    assert caught.value.obj == "lab1-node-0"
    assert "might have been moved or copied" in str(caught.value) and "answer" in caught.value.fix


def test_at_most_the_window_of_tasks_is_in_flight(client, vcsim):
    lab = _lab(vcsim, count=7)
    seen = []
    report = client.provision(lab, _plans(client, lab), max_in_flight=2,
                              checkpoint=lambda: seen.append(None))
    assert report.failures == () and len(report.vms) == 7
    # create, boot order and power-on for 7 VMs through a window of 2: at least 21/2 waits
    assert len(seen) >= 11


def test_a_planned_vm_never_confirmed_is_still_destroyed_by_its_identity(client, vcsim):
    lab = _lab(vcsim, count=1)
    plans = _plans(client, lab)
    (owned,) = client.provision(lab, plans, power_on=False).owned
    unconfirmed = dataclasses.replace(owned, moid="")        # the crash hit before the moref was recorded
    (outcome,) = client.destroy_owned("lab1", [unconfirmed])
    assert (outcome.action, outcome.moid) == ("deleted", owned.moid)
    assert client.lab_vms("lab1") == []


def test_a_vm_of_the_lab_left_outside_its_folder_by_an_older_fuelbot_is_not_duplicated(client, vcsim):
    lab = _lab(vcsim, count=1)
    with admin_session(vcsim) as admin:                      # what the older create_vms left: root VM folder
        dc = admin.content.rootFolder.childEntity[0]
        pool = next(c for c in dc.hostFolder.childEntity if c.name == "DC0_C0").resourcePool
        WaitForTask(dc.vmFolder.CreateVM_Task(config=vim.vm.ConfigSpec(
            name="lab1-node-0", numCPUs=1, memoryMB=64, guestId="otherGuest", annotation="fuelbot lab=lab1",
            files=vim.vm.FileInfo(vmPathName="[LocalDS_0]")), pool=pool))
    with pytest.raises(VSphereError) as caught:
        client.provision(lab, _plans(client, lab))
    assert "outside the lab's folder" in str(caught.value) and "deploy again" in caught.value.fix
