"""The contract with a real vCenter: what the strict vcsim claims, checked on real gear (opt-in).

Skipped unless ``FUELBOT_CONTRACT_VCENTER_URL`` is set, with ``FUELBOT_CONTRACT_VCENTER_USER``,
``…_PASSWORD``, ``…_DATACENTER``, ``…_CLUSTER``, ``…_DATASTORE``, ``…_SWITCH`` (a distributed switch
every host of the cluster is on) and, for TLS, ``…_THUMBPRINT``, ``…_CA_FILE`` or ``…_INSECURE=1``.
Everything happens in a throw-away folder ``fuelbot-contract-<random>`` with throw-away port groups
and tiny VMs (1 vCPU, 128 MB, a 1 GB thin disk, never a guest OS), all deleted at the end, whatever
happens. README.md, "The contract suite against a real vCenter", says how to run it on a nested lab.
"""
from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import VSphereClient
from integrations.vsphere.collector import retrieve
from labspec.model import (DistributedPortGroup, Environment, FuelMaster, Lab, Nic, NodeSpec, Settings,
                           StandardPortGroup, VCenterTarget, VMSpec, VSphereNetworks)

PREFIX = "FUELBOT_CONTRACT_VCENTER_"
pytestmark = pytest.mark.skipif(not os.environ.get(PREFIX + "URL"),
                                reason=f"set {PREFIX}URL (and credentials) to run the contract suite")


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(PREFIX + name, default)
    if value is None:
        pytest.fail(f"{PREFIX}{name} is not set (see this module's docstring)")
    return value


@pytest.fixture(scope="module")
def run_id() -> str:
    return f"fuelbot-contract-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def lab(run_id: str) -> Lab:
    target = VCenterTarget(url=_env("URL"), user=_env("USER"), password=_env("PASSWORD"),
                           datacenter=_env("DATACENTER"), cluster=_env("CLUSTER"), datastore=_env("DATASTORE"),
                           insecure=_env("INSECURE", "") == "1", ca_file=os.environ.get(PREFIX + "CA_FILE"),
                           thumbprint=os.environ.get(PREFIX + "THUMBPRINT"), folder=run_id,
                           allow_http=_env("URL").startswith("http://"))
    pxe, other, std = f"{run_id}-pxe", f"{run_id}-mgmt", f"{run_id}-std"
    nics = (Nic(other, ("management",)), Nic(pxe, ("fuelweb_admin",)), Nic(std, ("fixed",)))
    vm = VMSpec(name=f"{run_id}-node", cpus=1, memory_mb=128, disk_gb=1, guest_id="otherGuest64", nics=nics,
                pxe_portgroup=pxe)
    env = Environment(name=run_id, release="Juno on CentOS 6.5", release_version="2014.2-6.0", mode="multinode",
                      compute="vcenter", network_provider="nova_network", network_manager="FlatDHCPManager",
                      volumes="vmdk", images="vcenter", services=(), settings=Settings(openstack_password="x"),
                      networks=())
    switch = _env("SWITCH")
    networks = VSphereNetworks(pxe=pxe, distributed=(DistributedPortGroup(pxe, switch, vlan=3, promiscuous=True),
                                                     DistributedPortGroup(other, switch)),
                               standard=(StandardPortGroup(std, vlan=0),))
    return Lab(name=run_id, source="contract", vcenter=target, networks=networks,
               fuel=FuelMaster(url="http://127.0.0.1:1", user="x", password="x"), environment=env,
               nodes=tuple(NodeSpec(vm=dataclasses.replace(vm, name=f"{run_id}-node-{i}"), roles=("controller",))
                           for i in range(2)))


@pytest.fixture(scope="module")
def client(lab: Lab) -> Iterator[VSphereClient]:
    with VSphereClient.connect(lab.vcenter) as client:
        try:
            yield client
        finally:
            _clean_up(client, lab)


def _raw(client: VSphereClient) -> Any:
    return client._session          # the contract reads vCenter's answers directly, not through fuelbot


def _vm(client: VSphereClient, name: str) -> Any:
    rows = retrieve(_raw(client), {vim.VirtualMachine: ["name"]})
    return next(r.obj for r in rows if r.get("name") == name)


def _clean_up(client: VSphereClient, lab: Lab) -> None:
    """Delete the throw-away VMs, folder and port groups, whatever the tests left."""
    session = _raw(client)
    for row in retrieve(session, {vim.VirtualMachine: ["name", "runtime.powerState"]}):
        if row.get("name", "").startswith(lab.name):
            if row.get("runtime.powerState") == "poweredOn":
                WaitForTask(row.obj.PowerOffVM_Task())
            WaitForTask(row.obj.Destroy_Task())
    for row in retrieve(session, {vim.Folder: ["name"], vim.dvs.DistributedVirtualPortgroup: ["name"]}):
        if row.get("name", "").startswith(lab.name):
            WaitForTask(row.obj.Destroy_Task())
    for host in retrieve(session, {vim.HostSystem: ["configManager.networkSystem"]}):
        system = host.get("configManager.networkSystem")
        for name in [p.name for p in lab.networks.standard]:
            try:
                system.RemovePortGroup(name)
            except vim.fault.NotFound:
                pass


def test_port_groups_are_created_then_changed_as_deltas(client: VSphereClient, lab: Lab) -> None:
    changes = client.fix_portgroups(lab)
    assert [c.action for c in changes] == ["created"] * 3
    pxe = lab.networks.distributed[0]
    portgroup = next(r.obj for r in retrieve(_raw(client), {vim.dvs.DistributedVirtualPortgroup: ["name"]})
                     if r.get("name") == pxe.name)
    before = portgroup.config
    WaitForTask(portgroup.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        configVersion=before.configVersion, description="contract")))       # a delta: nothing else changes
    after = portgroup.config
    assert (after.defaultPortConfig.vlan.vlanId, after.numPorts, after.description) == (3, before.numPorts, "contract")
    assert after.configVersion != before.configVersion
    flipped = dataclasses.replace(pxe, promiscuous=False)
    assert str(client.ensure_distributed_portgroup(flipped)) == "updated: promiscuous on→off"
    assert portgroup.config.description == "contract"                       # our delta kept it too
    client.ensure_distributed_portgroup(pxe)
    standard = lab.networks.standard[0]
    changed = client.ensure_standard_portgroup(dataclasses.replace(standard, vlan=42))
    assert changed.action == "updated" and "vlan 0→42" in str(changed)      # UpdatePortGroup, in place
    client.ensure_standard_portgroup(standard)


@pytest.fixture(scope="module")
def provisioned(client: VSphereClient, lab: Lab) -> tuple[dict, Any]:
    """The lab's two VMs, created once for the module: (plans, report)."""
    client.fix_portgroups(lab)
    plans = {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])}
    return plans, client.provision(lab, plans, power_on=False)


def test_vms_are_created_where_and_how_fuelbot_says(client: VSphereClient, lab: Lab, provisioned: Any) -> None:
    plans, report = provisioned
    assert report.failures == ()
    for vm in report.vms:
        assert vm.instance_uuid == plans[vm.name].instance_uuid           # vCenter kept fuelbot's identity
        assert vm.boot_order[0].kind == "network" and vm.boot_order[0].device_key == vm.nics[1].key
    assert sorted(v.name for v in client.lab_vms(lab.name)) == sorted(plans)
    raw = _vm(client, lab.nodes[0].name)
    assert raw.config.firmware == "bios" and raw.parent.name == lab.vcenter.folder


def test_vcenter_refuses_what_the_strict_vcsim_refuses(client: VSphereClient, lab: Lab, provisioned: Any) -> None:
    session = _raw(client)
    vm = _vm(client, lab.nodes[0].name)
    folder, pool = vm.parent, vm.resourcePool
    duplicate = vim.vm.ConfigSpec(name=lab.nodes[0].name, numCPUs=1, memoryMB=128, guestId="otherGuest64",
                                  files=vim.vm.FileInfo(vmPathName=f"[{lab.vcenter.datastore}]"))
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(folder.CreateVM_Task(config=duplicate, pool=pool))
    host = vm.runtime.host
    standard = lab.networks.standard[0].name
    with pytest.raises(vim.fault.ResourceInUse):
        host.configManager.networkSystem.RemovePortGroup(standard)
    stores = {r.obj._moId: r.get("name") for r in retrieve(session, {vim.Datastore: ["name"]})}
    hosts = retrieve(session, {vim.HostSystem: ["name", "datastore"]})
    lonely = [(h, ds) for h in hosts for moid, ds in stores.items()
              if moid not in {d._moId for d in h.get("datastore") or ()}]
    if lonely:
        target_host, datastore = lonely[0]
        elsewhere = vim.vm.ConfigSpec(name=f"{lab.name}-elsewhere", numCPUs=1, memoryMB=128, guestId="otherGuest64",
                                      files=vim.vm.FileInfo(vmPathName=f"[{datastore}]"))
        with pytest.raises(vim.fault.InvalidDatastore):
            WaitForTask(folder.CreateVM_Task(config=elsewhere, pool=pool, host=target_host.obj))


def test_destroy_deletes_only_what_fuelbot_recorded(client: VSphereClient, lab: Lab, provisioned: Any) -> None:
    records = list(provisioned[1].owned)
    source = _vm(client, lab.nodes[0].name)
    WaitForTask(source.CloneVM_Task(folder=source.parent, name=f"{lab.name}-clone",
                                    spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=source.resourcePool))))
    outcomes = client.destroy_owned(lab.name, records)
    assert {o.action for o in outcomes} == {"deleted"}
    assert [v.name for v in client.lab_vms(lab.name)] == [f"{lab.name}-clone"]
    with pytest.raises(VSphereError):
        client.ensure_vm(dataclasses.replace(lab.nodes[0].vm, name=f"{lab.name}-clone"), lab="someone-else")
