"""Our vcsim refuses what vCenter refuses. Each test measures plain vcsim (``-lenient``) beside it:
the difference is the override, and its source is cited in sim/vcenter/strict_*.go."""
from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from sim.vcenter.process import VcsimProcess
from tests.fixtures.vcenter_simulator import admin_session

V = vim.dvs.VmwareDistributedVirtualSwitch
Dev = vim.vm.device


@contextmanager
def raw(tmp_path, *args: str) -> Iterator[Any]:
    """A vcsim started with ``args`` and a plain pyvmomi session on it."""
    with VcsimProcess.start(extra_args=list(args), log_path=tmp_path / f"vcsim{len(args)}.log") as sim:
        with admin_session(sim) as si:
            yield si


def find(si: Any, kind: Any, name: str) -> Any:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        return next(o for o in view.view if o.name == name)
    finally:
        view.Destroy()


def run(task: Any) -> Any:
    """The task's result, or its fault raised."""
    WaitForTask(task)
    return task.info.result


def network_system(si: Any, host: str) -> Any:
    return find(si, vim.HostSystem, host).configManager.networkSystem


def spec(name: str, *, datastore: str = "LocalDS_0", nics: list[Any] = (), memory_mb: int = 64) -> Any:
    return vim.vm.ConfigSpec(name=name, numCPUs=1, memoryMB=memory_mb, guestId="otherGuest",
                             files=vim.vm.FileInfo(vmPathName=f"[{datastore}]"), deviceChange=list(nics))


def std_nic(portgroup: str) -> Any:
    return Dev.VirtualDeviceSpec(operation="add", device=Dev.VirtualVmxnet3(
        key=-200, backing=Dev.VirtualEthernetCard.NetworkBackingInfo(deviceName=portgroup)))


def dvs_nic(si: Any, portgroup: str = "DC0_DVPG0") -> Any:
    pg = find(si, vim.dvs.DistributedVirtualPortgroup, portgroup)
    switch = find(si, vim.DistributedVirtualSwitch, "DVS0")
    return Dev.VirtualDeviceSpec(operation="add", device=Dev.VirtualVmxnet3(
        key=-201, backing=Dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(portgroupKey=pg.key, switchUuid=switch.uuid))))


def create(si: Any, config: Any, host: str | None = None) -> Any:
    dc = find(si, vim.Datacenter, "DC0")
    pool = find(si, vim.ClusterComputeResource, "DC0_C0").resourcePool
    return run(dc.vmFolder.CreateVM_Task(config=config, pool=pool,
                                         host=find(si, vim.HostSystem, host) if host else None))


# Host port groups ------------------------------------------------------------------------------
def test_host_port_groups_are_per_host_and_update_in_place(tmp_path):
    add = vim.host.PortGroup.Specification(name="br100", vlanId=0, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy())
    with raw(tmp_path, "-lenient") as si:
        network_system(si, "DC0_C0_H0").AddPortGroup(add)
        with pytest.raises(vim.fault.DuplicateName):          # plain vcsim: one name per datacenter
            network_system(si, "DC0_C0_H1").AddPortGroup(add)
        with pytest.raises(vmodl.fault.MethodNotFound):
            network_system(si, "DC0_C0_H0").UpdatePortGroup("br100", add)
    with raw(tmp_path) as si:
        for host in ("DC0_C0_H0", "DC0_C0_H1"):
            network_system(si, host).AddPortGroup(add)
        with pytest.raises(vim.fault.AlreadyExists):
            network_system(si, "DC0_C0_H0").AddPortGroup(add)
        network_system(si, "DC0_C0_H1").UpdatePortGroup("br100", vim.host.PortGroup.Specification(
            name="br100", vlanId=100, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy()))
        vlans = {h: [p.spec.vlanId for p in network_system(si, h).networkInfo.portgroup if p.spec.name == "br100"]
                 for h in ("DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2")}
        assert vlans == {"DC0_C0_H0": [0], "DC0_C0_H1": [100], "DC0_C0_H2": []}
        with pytest.raises(vim.fault.NotFound):
            network_system(si, "DC0_C0_H2").UpdatePortGroup("br100", add)
        network = find(si, vim.Network, "br100")
        assert sorted(h.name for h in network.host) == ["DC0_C0_H0", "DC0_C0_H1"]


def test_a_port_group_in_use_cannot_be_removed(tmp_path):
    add = vim.host.PortGroup.Specification(name="br100", vlanId=0, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy())
    for lenient in (True, False):
        with raw(tmp_path, *(["-lenient"] if lenient else [])) as si:
            network_system(si, "DC0_C0_H0").AddPortGroup(add)
            create(si, spec("uses-br100", nics=[std_nic("br100")]), host="DC0_C0_H0")
            if lenient:
                network_system(si, "DC0_C0_H0").RemovePortGroup("br100")   # plain vcsim lets it go
                continue
            with pytest.raises(vim.fault.ResourceInUse) as caught:
                network_system(si, "DC0_C0_H0").RemovePortGroup("br100")
            assert caught.value.name == "uses-br100"


# CreateVM placement ----------------------------------------------------------------------------
def test_create_on_a_host_that_does_not_mount_the_datastore_is_invalid_datastore(tmp_path):
    args = ["-ds", "2", "-single-host-ds"]
    with raw(tmp_path, "-lenient", *args) as si:   # plain vcsim: a server panic, a ghost VM left behind
        with pytest.raises(http.client.RemoteDisconnected):
            create(si, spec("vm", datastore="LocalDS_1"), host="DC0_C0_H1")
    with raw(tmp_path, *args) as si:
        with pytest.raises(vim.fault.InvalidDatastore) as caught:
            create(si, spec("vm", datastore="LocalDS_1"), host="DC0_C0_H1")
        assert caught.value.name == "LocalDS_1"
        assert create(si, spec("vm", datastore="LocalDS_1"), host="DC0_C0_H0") is not None
        vm = create(si, spec("placed", datastore="LocalDS_1"))          # DRS: only H0 mounts it
        assert vm.runtime.host.name == "DC0_C0_H0"


def test_without_drs_the_host_is_required_and_unusable_hosts_refuse(tmp_path):
    with raw(tmp_path, "-drs=false", "-disconnected-host", "DC0_C0_H1", "-maintenance-host", "DC0_C0_H2") as si:
        with pytest.raises(vmodl.fault.InvalidArgument) as caught:
            create(si, spec("no-host"))
        assert caught.value.invalidProperty == "host"
        with pytest.raises(vmodl.fault.HostNotConnected):
            create(si, spec("on-h1"), host="DC0_C0_H1")
        with pytest.raises(vim.fault.InvalidState):
            create(si, spec("on-h2"), host="DC0_C0_H2")
        assert create(si, spec("on-h0"), host="DC0_C0_H0").runtime.host.name == "DC0_C0_H0"


def test_a_host_outside_the_switch_cannot_take_a_vm_on_it_and_members_still_can(tmp_path):
    args = ["-outside-dvs-host", "DC0_C0_H2"]
    with raw(tmp_path, "-lenient", *args) as si:     # plain vcsim refuses every host of the cluster
        with pytest.raises(vmodl.fault.InvalidArgument):
            create(si, spec("vm", nics=[dvs_nic(si)]), host="DC0_C0_H0")
    with raw(tmp_path, *args) as si:
        with pytest.raises(vmodl.fault.InvalidArgument) as caught:
            create(si, spec("vm", nics=[dvs_nic(si)]), host="DC0_C0_H2")
        assert caught.value.invalidProperty == "spec.deviceChange.device.port.switchUuid"
        assert create(si, spec("vm", nics=[dvs_nic(si)]), host="DC0_C0_H0").runtime.host.name == "DC0_C0_H0"
        assert {create(si, spec(f"drs-{i}", nics=[dvs_nic(si)])).runtime.host.name for i in range(4)} <= {
            "DC0_C0_H0", "DC0_C0_H1"}


def test_names_are_unique_per_folder_and_instance_uuids_per_vcenter(tmp_path):
    with raw(tmp_path, "-lenient") as si:
        first, second = create(si, spec("dup")), create(si, spec("dup"))   # plain vcsim: two "dup" in one folder
        assert first != second and first.name == second.name == "dup"
    with raw(tmp_path) as si:
        first = create(si, spec("dup"))
        with pytest.raises(vim.fault.DuplicateName):
            create(si, spec("dup"))
        other = create(si, spec("other"))
        assert first.config.instanceUuid != other.config.instanceUuid
        given = spec("given")
        given.instanceUuid = "4a0e2c47-6a52-4c1c-9d1b-2f6a0c3e5d11"
        assert create(si, given).config.instanceUuid == given.instanceUuid      # a client's choice is kept...
        again = spec("again")
        again.instanceUuid = given.instanceUuid
        assert create(si, again).config.instanceUuid != given.instanceUuid      # ...unless another VM has it


# Power-on -------------------------------------------------------------------------------------
def test_power_on_needs_room_for_the_swap_file(tmp_path):
    for lenient in (True, False):
        with raw(tmp_path, "-ds-gb", "1", *(["-lenient"] if lenient else [])) as si:
            small, big = create(si, spec("small", memory_mb=512)), create(si, spec("big", memory_mb=2048))
            run(small.PowerOnVM_Task())
            if lenient:
                run(big.PowerOnVM_Task())                              # plain vcsim: anything powers on
                continue
            with pytest.raises(vim.fault.GenericVmConfigFault) as caught:
                run(big.PowerOnVM_Task())
            assert "swap file" in caught.value.reason
            assert big.runtime.powerState == "poweredOff"


# Snapshots ------------------------------------------------------------------------------------
def _tree(vm: Any, name: str) -> Any:
    trees = list(vm.snapshot.rootSnapshotList)
    while trees:
        tree = trees.pop()
        if tree.name == name:
            return tree
        trees.extend(tree.childSnapshotList)
    raise AssertionError(f"no snapshot {name}")


def test_a_revert_leaves_the_vm_in_its_snapshots_power_state(tmp_path):
    for lenient in (True, False):
        with raw(tmp_path, *(["-lenient"] if lenient else [])) as si:
            vm = create(si, spec("vm"))
            run(vm.PowerOnVM_Task())
            run(vm.CreateSnapshot_Task(name="warm", memory=True, quiesce=False))
            run(vm.CreateSnapshot_Task(name="cold", memory=False, quiesce=False))
            warm, cold = _tree(vm, "warm"), _tree(vm, "cold")
            assert warm.state == "poweredOn"
            # vCenter: without memory "the power state of the snapshot is set to powered off"
            assert cold.state == ("poweredOn" if lenient else "poweredOff")
            if lenient:
                continue     # plain vcsim files its revert task under the snapshot: pyVmomi cannot read it
            run(cold.snapshot.RevertToSnapshot_Task())
            assert vm.runtime.powerState == "poweredOff"
            run(warm.snapshot.RevertToSnapshot_Task())                  # powered on "to reach the snapshot state"
            assert vm.runtime.powerState == "poweredOn"
            assert vm.snapshot.currentSnapshot == warm.snapshot
            run(vm.PowerOffVM_Task())
            run(warm.snapshot.RevertToSnapshot_Task(suppressPowerOn=True))
            assert vm.runtime.powerState == "suspended"                 # its memory back, not resumed
            run(vm.PowerOffVM_Task())
            run(vm.CreateSnapshot_Task(name="off", memory=True, quiesce=False))
            run(vm.PowerOnVM_Task())
            run(_tree(vm, "off").snapshot.RevertToSnapshot_Task())
            assert vm.runtime.powerState == "poweredOff"                # taken off: off again


# Distributed port groups ----------------------------------------------------------------------
def _reconfigure(pg: Any, version: str | None, promiscuous: bool) -> None:
    run(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        configVersion=version, defaultPortConfig=V.VmwarePortConfigPolicy(securityPolicy=V.SecurityPolicy(
            inherited=False, allowPromiscuous=vim.BoolPolicy(value=promiscuous, inherited=False))))))


def _pxe(si: Any) -> Any:
    switch = find(si, vim.DistributedVirtualSwitch, "DVS0")
    run(switch.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name="pxe", type="earlyBinding", numPorts=32,
        defaultPortConfig=V.VmwarePortConfigPolicy(vlan=V.VlanIdSpec(vlanId=3, inherited=False)))]))
    return find(si, vim.dvs.DistributedVirtualPortgroup, "pxe")


def test_a_port_group_reconfigure_is_a_delta_quoting_the_config_version(tmp_path):
    with raw(tmp_path, "-lenient") as si:
        pg = _pxe(si)
        _reconfigure(pg, None, True)
        assert pg.config.defaultPortConfig.vlan is None and pg.config.numPorts == 0   # wiped
    with raw(tmp_path) as si:
        pg = _pxe(si)
        version = pg.config.configVersion
        with pytest.raises(vmodl.fault.InvalidArgument):
            _reconfigure(pg, None, True)
        _reconfigure(pg, version, True)
        config = pg.config
        assert (config.defaultPortConfig.vlan.vlanId, config.numPorts, config.name) == (3, 32, "pxe")
        assert config.defaultPortConfig.securityPolicy.allowPromiscuous.value is True
        assert config.configVersion != version
        with pytest.raises(vim.fault.ConcurrentAccess):
            _reconfigure(pg, version, False)                                # stale


def test_mac_management_needs_a_6_6_switch_and_a_lag_switch_refuses_lacp_policy(tmp_path):
    mac = V.MacManagementPolicy(inherited=False, allowPromiscuous=True)
    # API 6.7: pyvmomi leaves out properties newer than the version it negotiated (6.5 by default)
    with raw(tmp_path, "-lag", "-api-version", "6.7") as si:
        pg = _pxe(si)
        with pytest.raises(vmodl.fault.NotSupported):
            run(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                configVersion=pg.config.configVersion, defaultPortConfig=V.VmwarePortConfigPolicy(
                    macManagementPolicy=mac))))
        with pytest.raises(vmodl.fault.InvalidArgument):
            run(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
                configVersion=pg.config.configVersion, defaultPortConfig=V.VmwarePortConfigPolicy(
                    lacpPolicy=V.UplinkLacpPolicy(inherited=False)))))
    with raw(tmp_path, "-dvs-version", "6.6.0", "-api-version", "6.7") as si:
        pg = _pxe(si)
        run(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            configVersion=pg.config.configVersion, defaultPortConfig=V.VmwarePortConfigPolicy(macManagementPolicy=mac))))
        assert pg.config.defaultPortConfig.macManagementPolicy.allowPromiscuous is True


def test_a_clone_carries_its_sources_notes(tmp_path):
    with raw(tmp_path) as si:
        noted = spec("source")
        noted.annotation = "fuelbot lab=lab1"
        source = create(si, noted)
        run(source.CloneVM_Task(folder=source.parent, name="copy",
                                spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=source.resourcePool))))
        assert find(si, vim.VirtualMachine, "copy").config.annotation == "fuelbot lab=lab1"
        with pytest.raises(vim.fault.DuplicateName):
            run(source.CloneVM_Task(folder=source.parent, name="copy",
                                    spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=source.resourcePool))))


def test_a_vm_moves_into_a_folder_only_where_its_name_is_free(tmp_path):
    def arrange(si: Any) -> tuple[Any, Any]:
        dc = find(si, vim.Datacenter, "DC0")
        folder = dc.vmFolder.CreateFolder("lab1")
        pool = find(si, vim.ClusterComputeResource, "DC0_C0").resourcePool
        run(folder.CreateVM_Task(config=spec("node"), pool=pool))
        return folder, create(si, spec("node"))                      # the same name in the root VM folder

    with raw(tmp_path, "-lenient") as si:
        folder, outside = arrange(si)
        run(folder.MoveIntoFolder_Task([outside]))                   # plain vcsim: two "node" in one folder
        assert [vm.name for vm in folder.childEntity] == ["node", "node"]
    with raw(tmp_path) as si:
        folder, outside = arrange(si)
        with pytest.raises(vim.fault.DuplicateName):
            run(folder.MoveIntoFolder_Task([outside]))
        assert outside.parent.name == "vm"
        other = create(si, spec("other"))
        run(folder.MoveIntoFolder_Task([other]))
        assert other.parent == folder and sorted(vm.name for vm in folder.childEntity) == ["node", "other"]
