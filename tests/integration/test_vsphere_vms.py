"""Lab VMs against a real vcsim: idempotent create, NICs, MACs, boot order, ISO, power, destroy."""
from __future__ import annotations

import dataclasses

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.errors import VSphereError
from sim.vcenter.process import VcsimProcess
from integrations.vsphere import VSphereClient, manual_mac
from integrations.vsphere.macs import is_manual_mac
from labspec.model import Nic
from tests.fixtures.vcenter_simulator import admin_session, lab_for, target_for


@pytest.fixture
def lab(vcsim):
    return lab_for(vcsim)


@pytest.fixture
def client(vsphere_target, lab):
    with VSphereClient.connect(vsphere_target) as client:
        client.fix_portgroups(lab)
        yield client


def test_ensure_vm_twice_makes_one_vm(client, lab):
    spec = lab.nodes[0].vm
    first = client.ensure_vm(spec, lab="lab1")
    calls = client.calls
    second = client.ensure_vm(spec, lab="lab1")
    assert second == first
    assert [v.name for v in client.vms()].count(spec.name) == 1
    assert client.calls - calls < 15                 # the second time only reads


def test_node_vm_matches_the_spec(client, lab):
    spec = lab.nodes[0].vm
    vm = client.ensure_vm(spec, lab="lab1")
    assert (vm.cpus, vm.memory_mb, vm.annotation, vm.iso) == (1, 1024, "fuelbot lab=lab1", None)
    assert [n.network_name for n in vm.nics] == ["pxe", "public", "management", "storage", "br100"]
    assert list(vm.macs) == [manual_mac("lab1", spec.name, i, vcenter=client.vcenter_uuid) for i in range(5)]
    assert all(is_manual_mac(m) for m in vm.macs)
    assert [n.key for n in vm.nics] == sorted(n.key for n in vm.nics)
    # PXE first, on the first NIC's real device key, then the disk.
    assert [b.kind for b in vm.boot_order] == ["network", "disk"]
    assert vm.boot_order[0].device_key == vm.nics[0].key > 0
    assert client.vm_macs(spec.name) == vm.macs


def test_fuel_master_boots_from_its_iso(client, lab):
    vm = client.ensure_vm(lab.fuel.vm, lab="lab1")
    assert vm.iso == "[LocalDS_0] iso/MirantisOpenStack-6.0.iso"
    assert [b.kind for b in vm.boot_order] == ["cdrom", "disk"]
    assert (vm.memory_mb, [n.network_name for n in vm.nics]) == (2048, ["pxe"])


def test_macs_stay_unique_across_many_vms(client, lab):
    base = lab.nodes[0].vm
    macs = []
    for i in range(8):
        macs += client.ensure_vm(dataclasses.replace(base, name=f"lab1-compute-{i}"), lab="lab1").macs
    assert len(macs) == len(set(macs)) == 40


def test_missing_portgroup_is_refused_before_vcsim_sees_it(client, lab):
    spec = dataclasses.replace(lab.nodes[0].vm, nics=(Nic("pxe"), Nic("nova-fixed")))
    before = len(client.vms())
    with pytest.raises(VSphereError) as caught:
        client.ensure_vm(spec, lab="lab1")
    assert caught.value.obj == "nova-fixed"
    assert "/fuel preflight lab1 --fix" in caught.value.fix
    assert len(client.vms()) == before               # no ghost VM left behind


def test_power_on_and_off_are_idempotent(client, lab):
    name = client.ensure_vm(lab.nodes[0].vm, lab="lab1").name
    assert client.power_on(name).power_state == "poweredOn"
    assert client.power_on(name).power_state == "poweredOn"
    assert client.power_off(name).power_state == "poweredOff"
    assert client.power_off(name).power_state == "poweredOff"


def test_unknown_vm_power_on_names_it(client):
    with pytest.raises(VSphereError) as caught:
        client.power_on("lab1-ghost")
    assert caught.value.obj == "lab1-ghost"


def test_foreign_vm_with_a_lab_name_is_a_collision(vcsim_binary, tmp_path):
    with VcsimProcess.start(extra_args=["-vm", "1"], log_path=tmp_path / "vcsim.log") as sim:
        lab = lab_for(sim)
        with admin_session(sim) as admin:          # someone else's VM already holds the node's name
            view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
            foreign = next(v for v in view.view if v.name == "DC0_C0_RP0_VM0")
            WaitForTask(foreign.Rename_Task("lab1-controller-1"))
        with VSphereClient.connect(target_for(sim)) as client:
            client.fix_portgroups(lab)
            with pytest.raises(VSphereError) as caught:
                client.ensure_vm(lab.nodes[0].vm, lab="lab1")
            assert caught.value.obj == "lab1-controller-1"
            collisions = [f for f in client.preflight(lab) if f.check == "vm-collision"]
            assert [(f.level, f.obj) for f in collisions] == [("fail", "lab1-controller-1")]
            assert client.vm("lab1-controller-1") is not None


def test_vm_of_another_lab_is_not_adopted(client, lab):
    client.ensure_vm(lab.nodes[0].vm, lab="lab2")
    with pytest.raises(VSphereError, match="did not create it for lab lab1"):
        client.ensure_vm(lab.nodes[0].vm, lab="lab1")


def test_existing_fuel_master_under_2048_mb_fails_preflight(client, lab):
    small = dataclasses.replace(lab.fuel.vm, memory_mb=1536)
    client.ensure_vm(small, lab="lab1")
    (finding,) = [f for f in client.preflight(lab) if f.check == "fuel-master"]
    assert finding.level == "fail" and "1536 MB" in finding.message
