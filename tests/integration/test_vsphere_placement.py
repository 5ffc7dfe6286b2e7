"""Placement, network kinds and the cluster pitfalls of preflight, on the strict vcsim's awkward inventories."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import VSphereClient
from sim.vcenter.process import VcsimProcess
from tests.fixtures.vcenter_simulator import admin_session, lab_for, target_for


@contextmanager
def lab_on(tmp_path, *args: str, iso: str | None = "iso/MirantisOpenStack-6.0.iso", **target) -> Iterator:
    """(client, lab, sim) on a vcsim started with ``args``; the lab's port groups are in place."""
    with VcsimProcess.start(extra_args=list(args), iso=iso, log_path=tmp_path / "vcsim.log") as sim:
        lab = lab_for(sim)
        lab = dataclasses.replace(lab, vcenter=dataclasses.replace(lab.vcenter, **target))
        with VSphereClient.connect(lab.vcenter) as client:
            client.fix_portgroups(lab)
            yield client, lab, sim


def _nodes(lab, count):
    vm = dataclasses.replace(lab.nodes[0].vm, pxe_portgroup="pxe")
    return dataclasses.replace(lab, nodes=tuple(dataclasses.replace(lab.nodes[0], vm=dataclasses.replace(
        vm, name=f"lab1-node-{i}")) for i in range(count)))


def _hosts_of(sim, names):
    with admin_session(sim) as admin:
        view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
        return {v.name: v.runtime.host.name for v in view.view if v.name in names}


def by_check(findings):
    return {(f.check, f.level): f for f in findings}


def test_unusable_hosts_are_skipped_and_reported_not_fatal(tmp_path):
    args = ["-disconnected-host", "DC0_C0_H1", "-maintenance-host", "DC0_C0_H2", "-drs=false"]
    with lab_on(tmp_path, *args) as (client, lab, sim):
        lab = _nodes(lab, 3)
        report = client.provision(lab, {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])})
        assert report.failures == ()
        assert report.skipped_hosts == ("DC0_C0_H1: disconnected", "DC0_C0_H2: in maintenance mode")
        assert set(_hosts_of(sim, [n.name for n in lab.nodes]).values()) == {"DC0_C0_H0"}
        found = by_check(client.preflight(lab))
        assert found[("host-state", "warn")].obj in ("DC0_C0_H1", "DC0_C0_H2")
        assert found[("drs", "fail")].message == "DRS is off on cluster `DC0_C0`"


def test_a_host_outside_the_pxe_switch_gets_no_vm_and_fails_preflight(tmp_path):
    with lab_on(tmp_path, "-outside-dvs-host", "DC0_C0_H2", "-drs=false") as (client, lab, sim):
        lab = _nodes(lab, 4)
        report = client.provision(lab, {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])})
        assert report.skipped_hosts == ("DC0_C0_H2: is not a member of switch DVS0",)
        assert "DC0_C0_H2" not in _hosts_of(sim, [n.name for n in lab.nodes]).values()
        finding = by_check(client.preflight(lab))[("pxe-switch", "fail")]
        assert "DC0_C0_H2" in finding.message and "Add and Manage Hosts" in finding.fix


def test_a_datastore_one_host_mounts_is_not_shared(tmp_path):
    with lab_on(tmp_path, "-ds", "2", "-single-host-ds", "-drs=false", datastore="LocalDS_1") as (client, lab, sim):
        lab = _nodes(lab, 2)
        client.provision(lab, {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])}, power_on=False)
        assert set(_hosts_of(sim, [n.name for n in lab.nodes]).values()) == {"DC0_C0_H0"}
        finding = by_check(client.preflight(lab))[("shared-datastore", "fail")]
        assert finding.obj == "LocalDS_1" and "DC0_C0_H1, DC0_C0_H2" in finding.message


def test_a_port_group_resolves_on_its_declared_switch_and_an_opaque_network_is_refused(tmp_path):
    with lab_on(tmp_path, "-opaque-network", "nsx-segment") as (client, lab, sim):
        with admin_session(sim) as admin:      # another switch, in a network subfolder, with its own "pxe"
            dc = admin.content.rootFolder.childEntity[0]
            task = dc.networkFolder.CreateFolder("other-team").CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(
                configSpec=vim.dvs.VmwareDistributedVirtualSwitch.ConfigSpec(name="DVS1")))
            WaitForTask(task)
            WaitForTask(task.info.result.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                name="pxe", type="earlyBinding", numPorts=8)]))
        lab = _nodes(lab, 1)
        (vm,) = client.provision(lab, {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])},
                                 power_on=False).vms
        dvs0_pxe = next(p for p in client.distributed_portgroups() if p.name == "pxe" and p.switch == "DVS0")
        assert vm.nics[0].network_name == "pxe"
        with admin_session(sim) as admin:
            view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
            raw = next(v for v in view.view if v.name == vm.name)
            nic = min((d for d in raw.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)),
                      key=lambda d: d.key)
            assert nic.backing.port.portgroupKey == dvs0_pxe.key
        with pytest.raises(VSphereError, match="ambiguous|more than one network is called 'pxe'"):
            client.ensure_vm(dataclasses.replace(lab.nodes[0].vm, name="by-name-only"), lab="lab1")
        opaque = dataclasses.replace(lab, networks=dataclasses.replace(lab.networks, standard=(
            dataclasses.replace(lab.networks.standard[0], name="nsx-segment"),)))
        spec = dataclasses.replace(lab.nodes[0].vm, name="on-nsx", nics=lab.nodes[0].vm.nics[:4] + (
            dataclasses.replace(lab.nodes[0].vm.nics[4], portgroup="nsx-segment"),))
        with pytest.raises(VSphereError) as caught:
            client.provision(opaque, {p.name: p for p in client.plan_vms([spec])}, specs=[spec])
        assert "NSX-T opaque network" in str(caught.value) and caught.value.obj == "nsx-segment"


def test_preflight_counts_swap_and_vsan_copies_and_flags_the_articles_pitfalls(tmp_path):
    args = ["-vsan", "-ds-gb", "200", "-lag", "-esxi-version", "7.0.3"]
    with lab_on(tmp_path, *args, iso=None) as (client, lab, sim):
        findings = client.preflight(lab)
        found = by_check(findings)
        space = found[("datastore-space", "ok")]
        assert "lab needs 138 GB (66 GB of disks + 3 GB of swap files, × 2 for vSAN's default policy)" in space.message
        assert found[("vsan", "warn")].obj == "LocalDS_0" and "Image upload hangs" in found[("vsan", "warn")].fix
        lags = [f for f in findings if f.check == "lag-teaming"]
        assert {(f.level, f.obj) for f in lags} == {("fail", p.name) for p in lab.networks.distributed}
        assert all("LAG lag1" in f.message and "only active uplink" in f.fix for f in lags)
        vnc = found[("vnc", "warn")]
        assert "no VNC server" in vnc.message and ("vnc-firewall", "warn") not in found
        iso = found[("iso", "fail")]
        assert iso.obj == "[LocalDS_0] iso/MirantisOpenStack-6.0.iso" and "Upload" in iso.fix


def test_a_pending_question_on_a_lab_vm_fails_preflight(tmp_path):
    with lab_on(tmp_path) as (client, lab, sim):
        client.ensure_vm(lab.nodes[0].vm, lab="lab1")
        with admin_session(sim) as admin:
            view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
            vm = next(v for v in view.view if v.name == lab.nodes[0].vm.name)
            WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(
                key="vcsim.powerOn.question", value="Cannot connect the virtual device ide0:0.")])))
            vm.PowerOnVM_Task()                  # stays running: the question waits
        finding = by_check(client.preflight(lab))[("vm-question", "fail")]
        assert finding.obj == lab.nodes[0].vm.name and "ide0:0" in finding.message


def test_a_lab_folder_and_pool_from_the_spec(tmp_path):
    with lab_on(tmp_path, "-pool", "1", folder="labs/one", resource_pool="DC0_C0_RP1") as (client, lab, sim):
        lab = _nodes(lab, 1)
        client.provision(lab, {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])}, power_on=False)
        assert [v.name for v in client.lab_vms("lab1")] == ["lab1-node-0"]
        with admin_session(sim) as admin:
            view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
            raw = next(v for v in view.view if v.name == "lab1-node-0")
            assert (raw.parent.name, raw.parent.parent.name, raw.resourcePool.name) == ("one", "labs", "DC0_C0_RP1")
    with lab_on(tmp_path, resource_pool="nope") as (client, lab, sim):
        with pytest.raises(VSphereError) as caught:
            client.provision(_nodes(lab, 1), {p.name: p for p in client.plan_vms([lab.nodes[0].vm])})
        assert caught.value.obj == "nope" and "vcenter.resource_pool" in caught.value.fix
