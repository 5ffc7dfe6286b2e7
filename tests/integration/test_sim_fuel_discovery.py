"""Discovery from a real vcsim: VMs that PXE-boot from the ``pxe`` DVPG become Fuel nodes.

The VMs and port groups are made with pyvmomi directly, the way an operator (or the article)
makes them in vSphere; the simulator only watches.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from sim.fuel import FuelSimulator
from sim.vcenter.process import VcsimProcess
from tests.fixtures.fuel_simulator import FuelHttp, wait_for

V = vim.dvs.VmwareDistributedVirtualSwitch
Dev = vim.vm.device


class Lab:
    """pyvmomi helpers over one vcsim: the DVS0 port groups and Fuel-style VMs."""

    def __init__(self, vcsim: VcsimProcess) -> None:
        parts = urlsplit(vcsim.url)
        self.si = SmartConnect(protocol="http", host=parts.hostname, port=parts.port, user=vcsim.user,
                               pwd=vcsim.password)
        self.content = self.si.RetrieveContent()
        self.dvs = self.find(vim.DistributedVirtualSwitch, "DVS0")
        self.pool = self.find(vim.ClusterComputeResource, "DC0_C0").resourcePool
        self.folder = self.find(vim.Datacenter, "DC0").vmFolder

    def find(self, kind: Any, name: str) -> Any:
        view = self.content.viewManager.CreateContainerView(self.content.rootFolder, [kind], True)
        try:
            return next(o for o in view.view if o.name == name)
        finally:
            view.Destroy()

    def portgroup(self, name: str, *, vlan: int, promiscuous: bool) -> Any:
        WaitForTask(self.dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            name=name, type="earlyBinding", numPorts=32, defaultPortConfig=self._port_config(vlan, promiscuous))]))
        return self.find(vim.dvs.DistributedVirtualPortgroup, name)

    @staticmethod
    def _port_config(vlan: int, promiscuous: bool) -> Any:
        return V.VmwarePortConfigPolicy(
            vlan=V.VlanIdSpec(vlanId=vlan, inherited=False),
            securityPolicy=V.SecurityPolicy(inherited=False,
                                            allowPromiscuous=vim.BoolPolicy(value=promiscuous, inherited=False)))

    def set_promiscuous(self, pg: Any, value: bool) -> None:
        current = pg.config   # vcsim replaces the whole config: send it back complete
        spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            configVersion=current.configVersion, name=current.name, numPorts=current.numPorts, type=current.type,
            defaultPortConfig=self._port_config(current.defaultPortConfig.vlan.vlanId, value), policy=current.policy)
        WaitForTask(pg.ReconfigureDVPortgroup_Task(spec))

    def vm(self, name: str, portgroups: list[Any], *, memory_mb: int = 2048, cdrom_first: bool = False,
           boot_nic: int | None = None, firmware: str | None = None) -> Any:
        changes = [Dev.VirtualDeviceSpec(operation="add", device=Dev.VirtualVmxnet3(
            key=-200 - i, addressType="generated", backing=Dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                port=vim.dvs.PortConnection(portgroupKey=pg.key, switchUuid=self.dvs.uuid))))
            for i, pg in enumerate(portgroups)]
        changes.append(Dev.VirtualDeviceSpec(operation="add", device=Dev.VirtualLsiLogicController(
            key=-300, busNumber=0, sharedBus="noSharing")))
        changes.append(Dev.VirtualDeviceSpec(operation="add", fileOperation="create", device=Dev.VirtualDisk(
            key=-301, controllerKey=-300, unitNumber=0, capacityInKB=16 * 1024 * 1024,
            backing=Dev.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=True))))
        config = vim.vm.ConfigSpec(name=name, numCPUs=1, memoryMB=memory_mb, guestId="rhel6_64Guest",
                                   files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"), deviceChange=changes,
                                   firmware=firmware)
        task = self.folder.CreateVM_Task(config=config, pool=self.pool)
        WaitForTask(task)
        vm = task.info.result
        if cdrom_first:
            WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(bootOptions=vim.vm.BootOptions(
                bootOrder=[vim.vm.BootOptions.BootableCdromDevice()]))))
        if boot_nic is not None:   # the way fuelbot sets it: the NIC's real device key, then the disk
            devices = vm.config.hardware.device
            nic = sorted((d for d in devices if isinstance(d, Dev.VirtualEthernetCard)), key=lambda d: d.key)[boot_nic]
            disk = next(d for d in devices if isinstance(d, Dev.VirtualDisk))
            WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(bootOptions=vim.vm.BootOptions(bootOrder=[
                vim.vm.BootOptions.BootableEthernetDevice(deviceKey=nic.key),
                vim.vm.BootOptions.BootableDiskDevice(deviceKey=disk.key)]))))
        return vm

    @staticmethod
    def macs(vm: Any) -> list[str]:
        nics = sorted((d for d in vm.config.hardware.device if isinstance(d, Dev.VirtualEthernetCard)),
                      key=lambda d: d.key)
        return [n.macAddress.lower() for n in nics]

    def close(self) -> None:
        Disconnect(self.si)


@pytest.fixture
def lab(vcsim: VcsimProcess) -> Iterator[Lab]:
    helper = Lab(vcsim)
    try:
        yield helper
    finally:
        helper.close()


@pytest.fixture
def watching(vcsim: VcsimProcess, fuelsim_factory: Callable[..., FuelSimulator]) -> FuelSimulator:
    return fuelsim_factory(vcenter_url=vcsim.url, vcenter_user=vcsim.user, vcenter_password=vcsim.password,
                           pxe_portgroup="pxe", forget_after=60.0)


def nodes_of(api: FuelHttp) -> list[dict]:
    return api.get("/api/nodes").json()


def test_powered_on_vm_on_pxe_becomes_a_node(lab: Lab, watching: FuelSimulator) -> None:
    api = FuelHttp(watching.url)
    api.login()
    pxe = lab.portgroup("pxe", vlan=3, promiscuous=True)
    other = lab.portgroup("public", vlan=0, promiscuous=False)
    node_vm = lab.vm("controller-1", [other, pxe], memory_mb=1024, boot_nic=1)
    master = lab.vm("fuel-master", [pxe], cdrom_first=True)
    stranger = lab.vm("unrelated", [other])
    for vm in (node_vm, master, stranger):
        WaitForTask(vm.PowerOnVM_Task())
    node = wait_for(lambda: nodes_of(api), 10, "the VM to be discovered")[0]
    macs = lab.macs(node_vm)
    assert node["mac"] == macs[1], "the node is known by its PXE NIC"
    assert node["status"] == "discover" and node["online"] is True and node["cluster"] is None
    assert [(i["name"], i["mac"], i["max_speed"]) for i in node["meta"]["interfaces"]] == [
        ("eth0", macs[0], 10000), ("eth1", macs[1], 10000)]
    assert node["meta"]["memory"]["total"] == 1024 ** 3 and node["meta"]["cpu"]["total"] == 1
    assert node["meta"]["disks"][0]["size"] == 16 * 1024 ** 3
    assert any(n["message"].startswith("New node is discovered: 1 CPUs / 1.0 GB RAM / 17.2 GB HDD")
               for n in api.get("/api/notifications").json())
    assert len(nodes_of(api)) == 1, "neither the CD-booting master nor a VM off the PXE network"

    WaitForTask(node_vm.PowerOffVM_Task())
    wait_for(lambda: not api.get(f"/api/nodes/{node['id']}").json()["online"], 10, "the node to go offline")
    WaitForTask(node_vm.PowerOnVM_Task())
    wait_for(lambda: api.get(f"/api/nodes/{node['id']}").json()["online"], 10, "the node to come back")
    assert f"Node '{node['name']}' is back online" in [n["message"] for n in api.get("/api/notifications").json()]

    WaitForTask(node_vm.PowerOffVM_Task())
    WaitForTask(node_vm.Destroy_Task())
    wait_for(lambda: not nodes_of(api), 10, "the destroyed VM's node to disappear")


def test_only_a_vm_whose_bios_would_pxe_boot_on_pxe_is_discovered(lab: Lab, watching: FuelSimulator) -> None:
    api = FuelHttp(watching.url)
    api.login()
    pxe = lab.portgroup("pxe", vlan=3, promiscuous=True)
    management = lab.portgroup("management", vlan=0, promiscuous=False)
    good = lab.vm("boots-on-pxe", [management, pxe], boot_nic=1)
    others = [lab.vm("boots-on-management", [management, pxe], boot_nic=0),   # names the first NIC: never PXE
              lab.vm("no-boot-order", [management, pxe]),                     # BIOS default: the first NIC only
              lab.vm("efi", [pxe], firmware="efi")]                           # no pxelinux under EFI
    for vm in [good, *others]:
        WaitForTask(vm.PowerOnVM_Task())
    (node,) = wait_for(lambda: nodes_of(api), 10, "the VM that PXE-boots on pxe")
    assert node["mac"] == lab.macs(good)[1]
    time.sleep(0.5)                                   # the others were powered on together with it
    assert [n["mac"] for n in nodes_of(api)] == [node["mac"]]


def test_verification_fails_while_the_pxe_port_group_refuses_promiscuous_mode(lab: Lab,
                                                                             watching: FuelSimulator) -> None:
    api = FuelHttp(watching.url)
    api.login()
    pxe = lab.portgroup("pxe", vlan=3, promiscuous=False)
    public = lab.portgroup("public", vlan=0, promiscuous=True)
    vms = [lab.vm(f"node-{i}", [pxe, public]) for i in (1, 2)]   # one NIC would carry two untagged networks
    for vm in vms:
        WaitForTask(vm.PowerOnVM_Task())
    nodes = wait_for(lambda: len(n := nodes_of(api)) == 2 and n, 10, "two nodes")
    cid = api.post("/api/clusters", {"name": "lab", "release": 1, "mode": "multinode"}).json()["id"]
    api.post(f"/api/clusters/{cid}/assignment", [{"id": n["id"], "roles": [r]}
                                                 for n, r in zip(nodes, ["controller", "compute"])])
    path = f"/api/clusters/{cid}/network_configuration/nova_network"
    config = api.get(path).json()
    failed = api.wait_task(api.put(f"{path}/verify", config).json()["id"])
    assert failed["status"] == "error", failed
    assert sorted((r["uid"], r["interface"], r["absent_vlans"]) for r in failed["result"]) == sorted(
        (n["id"], "eth0", [0]) for n in nodes)
    assert {r["mac"] for r in failed["result"]} == {n["mac"] for n in nodes}

    lab.set_promiscuous(pxe, True)   # the article's fix, read back at the next verification
    passed = api.wait_task(api.put(f"{path}/verify", config).json()["id"])
    assert passed["status"] == "ready" and passed["result"] == []


def test_watcher_reconnects_after_vcsim_restarts(tmp_path: Any, fuelsim_factory: Callable[..., FuelSimulator],
                                                 vcsim_binary: Any) -> None:
    first = VcsimProcess.start(log_path=tmp_path / "one.log")
    port = first.port
    sim = fuelsim_factory(vcenter_url=first.url, vcenter_user=first.user, vcenter_password=first.password)
    api = FuelHttp(sim.url)
    api.login()
    first.stop()
    second = VcsimProcess.start(port=port, log_path=tmp_path / "two.log")
    try:
        helper = Lab(second)
        try:
            pxe = helper.portgroup("pxe", vlan=3, promiscuous=True)
            WaitForTask(helper.vm("late", [pxe]).PowerOnVM_Task())
            wait_for(lambda: nodes_of(api), 15, "discovery through the new vcsim session")
        finally:
            helper.close()
    finally:
        second.stop()
    assert requests.get(f"{sim.url}/api/version").status_code == 200
