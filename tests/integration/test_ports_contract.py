"""One contract for each port workflows use, run against the in-memory fake and the real client.

``vsphere`` is ``FakeVSphere`` or ``VSphereClient`` on vcsim; ``fuel`` is ``FakeFuel`` or
``FuelClient`` on the Fuel simulator; ``master`` is ``FakeMaster`` or ``FuelMasterSetup`` on the Fuel
simulator's sshd and Keystone (host keys in a real database). A behaviour the step tests rely on from a fake is asserted
here on both, so a fake that drifts from the real peer fails here first.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.errors import FuelError, MasterError, VSphereError
from core.host_key_trust import Fingerprint, Verdict
from core.waiting import follow
from integrations.fuel.client import FuelClient
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.iso import boot_keys
from integrations.fuel.master_overview import DefaultLogins, FeatureGroups
from integrations.fuel.master_setup import FuelMasterSetup
from integrations.fuel.enums import ClusterStatus, Mode, NodeStatus, TaskName, TaskStatus
from integrations.fuel.models import Task
from integrations.fuel.waiting import describe_task, task_state
from integrations.vsphere.adoption import ROOT_FOLDER
from integrations.vsphere.client import VSphereClient
from integrations.vsphere.info import BootDevice, owner_annotation
from integrations.vsphere.macs import assign_macs
from integrations.vsphere.ownership import VMPlan
from labspec.model import FuelMaster, Lab, MasterSetup, Nic
from sim.vcenter.process import VcsimProcess
from store.host_keys import HostKeyStore
from tests.fakes.fuel import FakeFuel
from tests.fakes.master import FakeMaster
from tests.fakes.vsphere import FakeVSphere
from tests.fixtures.vcenter_simulator import admin_session, lab_for, set_promiscuous
from workflows.ports import FuelPort, MasterPort, VSpherePort

PORTGROUP_CHECKS = {"pxe-portgroup", "distributed-portgroup", "standard-portgroup", "uplink"}


# -- vSphere -------------------------------------------------------------------------------------
@dataclass
class VSphereSide:
    port: VSpherePort
    lab: Lab
    set_promiscuous: Callable[[str, bool], None]
    aimed_at: Callable[[str], VSpherePort]        # a client whose target names this datacenter
    # what other vCenter users do: a VM (notes, MAC) in a folder ("" the datacenter's), a clone, new notes
    add_vm: Callable[..., None] = lambda *a, **k: None
    clone: Callable[[str, str], None] = lambda *a: None
    set_notes: Callable[[str, str], None] = lambda *a: None


def _fake_side(fake: FakeVSphere) -> VSphereSide:
    def add_vm(name: str, *, notes: str = "", folder: str = "", mac: str | None = None) -> None:
        fake.add_vm(name, annotation=notes, folder=folder, macs=(mac,) if mac else ())

    return VSphereSide(fake, lab_for(SimpleNamespace(url="https://vcenter.fake/sdk", user="u", password="p")),
                       fake.set_promiscuous, lambda dc: FakeVSphere(target=(dc, fake.cluster, fake.datastore)),
                       add_vm=add_vm, clone=fake.clone_vm, set_notes=fake.set_notes)


def _vcsim_side(vcsim: VcsimProcess, client: VSphereClient, lab: Lab) -> VSphereSide:
    def find(admin: Any, name: str) -> Any:
        view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
        try:
            return next(v for v in view.view if v.name == name)
        finally:
            view.Destroy()

    def add_vm(name: str, *, notes: str = "", folder: str = "", mac: str | None = None) -> None:
        with admin_session(vcsim) as admin:
            dc = admin.content.rootFolder.childEntity[0]
            parent = dc.vmFolder
            for part in [p for p in folder.split("/") if p]:
                parent = next((f for f in parent.childEntity if f.name == part), None) or parent.CreateFolder(part)
            pool = next(c for c in dc.hostFolder.childEntity if c.name == "DC0_C0").resourcePool
            nics = [vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
                key=-1, addressType="manual", macAddress=mac,
                backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network")))] if mac else []
            WaitForTask(parent.CreateVM_Task(config=vim.vm.ConfigSpec(
                name=name, numCPUs=1, memoryMB=64, guestId="otherGuest", annotation=notes, deviceChange=nics,
                files=vim.vm.FileInfo(vmPathName="[LocalDS_0]")), pool=pool))

    def clone(name: str, clone_name: str) -> None:
        with admin_session(vcsim) as admin:
            source = find(admin, name)
            WaitForTask(source.CloneVM_Task(folder=source.parent, name=clone_name, spec=vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(pool=source.resourcePool))))

    def set_notes(name: str, notes: str) -> None:
        with admin_session(vcsim) as admin:
            WaitForTask(find(admin, name).ReconfigVM_Task(vim.vm.ConfigSpec(annotation=notes)))

    return VSphereSide(client, lab, lambda name, value: set_promiscuous(vcsim, name, value),
                       lambda dc: VSphereClient(replace(lab.vcenter, datacenter=dc)),
                       add_vm=add_vm, clone=clone, set_notes=set_notes)


@pytest.fixture(params=["fake", "vcsim"])
def vsphere(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        yield _fake_side(FakeVSphere())
        return
    vcsim = request.getfixturevalue("vcsim")
    lab = lab_for(vcsim)
    client = VSphereClient.connect(lab.vcenter)
    try:
        yield _vcsim_side(vcsim, client, lab)
    finally:
        client.close()


def _portgroup_failures(port: VSpherePort, lab: Lab) -> set[str]:
    return {f.obj for f in port.preflight(lab) if f.level == "fail" and f.check in PORTGROUP_CHECKS}


def test_preflight_names_each_missing_port_group_and_fix_creates_them_once(vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    assert _portgroup_failures(port, lab) == set(lab.networks.names())
    first = port.fix_portgroups(lab)
    assert [(c.obj, c.action) for c in first] == [(name, "created") for name in lab.networks.names()]
    assert [c.details for c in first if c.kind == "distributed-portgroup"] == [
        (f"vlan {s.vlan}", f"promiscuous {'on' if s.promiscuous else 'off'}") for s in lab.networks.distributed]
    assert _portgroup_failures(port, lab) == set()
    assert {p.name for p in port.distributed_portgroups()} >= {s.name for s in lab.networks.distributed}
    assert "br100" in {p.name for p in port.standard_portgroups()}
    assert [c.action for c in port.fix_portgroups(lab)] == ["unchanged"] * len(first)


def test_a_port_group_changed_behind_our_back_is_reported_and_repaired(vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    port.fix_portgroups(lab)
    vsphere.set_promiscuous("pxe", False)
    failing = [f for f in port.preflight(lab) if f.level == "fail"]
    assert [(f.check, f.obj) for f in failing] == [("pxe-portgroup", "pxe")]
    assert "promiscuous mode is off" in failing[0].message and "--fix" in (failing[0].fix or "")
    pxe = next(c for c in port.fix_portgroups(lab) if c.obj == "pxe")
    assert (pxe.action, pxe.details) == ("updated", ("promiscuous off→on",))


def test_vms_are_created_once_marked_with_manual_macs_and_powered_on(vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    port.fix_portgroups(lab)
    spec = lab.nodes[0].vm
    assert port.vm(spec.name) is None
    created = port.ensure_vm(spec, lab=lab.name)
    assert created.owned_by(lab.name) and not created.owned_by("lab2")
    assert created.macs == assign_macs(lab.name, spec.name, len(spec.nics), vcenter=port.vcenter_uuid)
    assert [n.network_name for n in created.nics] == [n.portgroup for n in spec.nics]
    assert (created.power_state, created.memory_mb, created.cpus) == ("poweredOff", spec.memory_mb, spec.cpus)
    assert port.ensure_vm(spec, lab=lab.name).macs == created.macs          # found, not created again
    assert port.power_on(spec.name).power_state == "poweredOn"
    assert port.power_on(spec.name).power_state == "poweredOn"              # already on is fine
    assert [v.name for v in port.vms() if v.owned_by(lab.name)] == [spec.name]
    with pytest.raises(VSphereError):
        port.ensure_vm(spec, lab="lab2")                                      # another lab's VM is never adopted


def test_a_vm_needs_its_port_groups_and_a_missing_vm_is_not_found(vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    with pytest.raises(VSphereError, match="port group 'pxe'"):
        port.ensure_vm(lab.nodes[0].vm, lab=lab.name)
    assert port.vm(lab.nodes[0].vm.name) is None
    with pytest.raises(VSphereError, match="not found"):
        port.power_on(lab.nodes[0].vm.name)


def test_a_missing_datacenter_is_one_failing_target_finding(vsphere: VSphereSide) -> None:
    port = vsphere.aimed_at("DC9")
    try:
        (finding,) = port.preflight(vsphere.lab)
    finally:
        port.close()
    assert (finding.level, finding.check, finding.obj) == ("fail", "target", "DC9")


def test_the_master_vm_boots_its_iso_until_it_is_detached_and_types_only_when_on(vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    assert lab.fuel.vm is not None and lab.fuel.setup is not None
    name = lab.fuel.vm.name
    with pytest.raises(VSphereError, match=f"no VM\\(s\\) named '{name}'"):
        port.master_boot(name)
    port.fix_portgroups(lab)
    port.ensure_vm(lab.fuel.vm, lab=lab.name)
    boot = port.master_boot(name)
    assert (boot.iso, boot.iso_connected, boot.iso_at_power_on, boot.order) == (lab.fuel.vm.iso, True, True,
                                                                               ("cdrom", "disk"))
    assert boot.boots_iso_first and not boot.installed_once and len(boot.problems()) == 1
    keys = boot_keys(lab.fuel.setup)
    assert port.console_typing_supported()
    with pytest.raises(VSphereError, match="not powered on"):
        port.type_at_console(name, keys)
    port.power_on(name)
    assert port.type_at_console(name, keys) == len(keys)
    assert port.detach_master_iso(name) is True and port.detach_master_iso(name) is False
    boot = port.master_boot(name)
    assert (boot.iso_connected, boot.iso_at_power_on, boot.order, boot.problems()) == (False, False,
                                                                                      ("disk", "cdrom"), [])
    assert boot.installed_once and boot.power_state == "poweredOn"


# management first: a boot order on the first NIC would never PXE-boot (issue #11, item 1)
MANAGEMENT_FIRST = (Nic("management", ("management",)), Nic("pxe", ("fuelweb_admin",)), Nic("public", ("public",)),
                    Nic("storage", ("storage",)), Nic("br100", ("fixed",)))


def _lab_of(side: VSphereSide, *names: str, nics: tuple[Nic, ...] | None = None) -> Lab:
    """The side's lab with these node VMs (lab1-controller-1's spec, renamed), port groups made."""
    base = side.lab.nodes[0]
    vm = replace(base.vm, nics=nics) if nics else base.vm
    lab = replace(side.lab, nodes=tuple(replace(base, vm=replace(vm, name=n)) for n in names or (vm.name,)))
    side.port.fix_portgroups(lab)
    return lab


def _plans(port: VSpherePort, lab: Lab) -> dict[str, VMPlan]:
    return {p.name: p for p in port.plan_vms([n.vm for n in lab.nodes])}


def test_provisioned_vms_live_in_the_lab_folder_boot_from_the_pxe_nic_and_are_found_again(
        vsphere: VSphereSide) -> None:
    port = vsphere.port
    lab = _lab_of(vsphere, nics=MANAGEMENT_FIRST)
    name = lab.nodes[0].name
    plans = _plans(port, lab)
    heard: list[Any] = []
    report = port.provision(lab, plans, on_created=heard.append, checkpoint=lambda: None)
    (vm,) = report.vms
    assert (report.created, report.failures, report.skipped_hosts) == ((name,), (), ())
    assert [(o.name, o.moid, o.instance_uuid, o.folder, o.macs) for o in heard] == [
        (name, vm.moid, plans[name].instance_uuid, "fuelbot/lab1", vm.macs)] and port.lab_folder("lab1") == "fuelbot/lab1"
    assert vm.boot_order[0] == BootDevice("network", vm.nics[1].key) and vm.nics[1].network_name == "pxe"
    assert (vm.power_state, vm.instance_uuid, vm.owned_by("lab1")) == ("poweredOn", plans[name].instance_uuid, True)
    assert vm.macs == assign_macs("lab1", name, 5, vcenter=port.vcenter_uuid)
    assert [v.moid for v in port.lab_vms("lab1")] == [vm.moid] and port.lab_vms("lab2") == []
    again = port.provision(lab, plans)
    assert again.created == () and again.owned == report.owned
    with pytest.raises(VSphereError, match="fuelbot did not create it") as caught:
        port.provision(lab, _plans(port, lab))                # fresh plans: not the recorded instance UUID
    assert caught.value.obj == name


def test_destroy_owned_deletes_what_matches_its_record_never_a_clone(vsphere: VSphereSide) -> None:
    port = vsphere.port
    lab = _lab_of(vsphere, "lab1-node-0", "lab1-node-1")
    first, second = port.provision(lab, _plans(port, lab)).owned
    vsphere.clone("lab1-node-0", "lab1-node-0-copy")          # a user's clone, in the lab's folder, same notes
    assert next(v for v in port.lab_vms("lab1") if v.name == "lab1-node-0-copy").owned_by("lab1")
    vsphere.set_notes("lab1-node-1", "mine now")
    forged = replace(first, instance_uuid="00000000-0000-4000-8000-000000000000")
    refused, lost_marker = port.destroy_owned("lab1", [forged, second])
    assert (refused.action, lost_marker.action) == ("refused", "refused")
    assert "instance UUID" in refused.reason and "owner marker" in lost_marker.reason
    (deleted,) = port.destroy_owned("lab1", [replace(first, moid="")])   # planned, never confirmed: by identity
    assert (deleted.action, deleted.moid) == ("deleted", first.moid)
    assert sorted(v.name for v in port.lab_vms("lab1")) == ["lab1-node-0-copy", "lab1-node-1"]
    assert [o.action for o in port.destroy_owned("lab1", [first])] == ["gone"]


def test_a_duplicate_mac_fails_the_vm_and_spares_the_others(vsphere: VSphereSide) -> None:
    port = vsphere.port
    lab = _lab_of(vsphere, "lab1-node-0")
    plans = _plans(port, lab)
    (vm,) = port.provision(lab, plans).vms
    vsphere.add_vm("rogue", mac=vm.macs[0])                   # someone copied its MAC onto another VM
    grown = _lab_of(vsphere, "lab1-node-0", "lab1-node-1")
    report = port.provision(grown, {**plans, **_plans(port, replace(grown, nodes=grown.nodes[1:]))})
    assert report.created == ("lab1-node-1",)
    (failure,) = report.failures
    assert failure.name == "lab1-node-0" and f"MAC {vm.macs[0]} is also used by VM rogue" in failure.message
    assert [v.power_state for v in report.vms] == ["poweredOn", "poweredOn"]
    with pytest.raises(VSphereError, match="VM lab1-node-0: MAC"):
        report.raise_for_failures()


def test_an_older_fuelbots_vm_outside_the_folder_is_refused_until_adopted(vsphere: VSphereSide) -> None:
    port = vsphere.port
    lab = _lab_of(vsphere, "lab1-node-0", "lab1-node-1")
    vsphere.add_vm("lab1-node-0", notes=owner_annotation("lab1"))               # the datacenter's VM folder
    vsphere.add_vm("lab1-node-1", notes=owner_annotation("lab1"), folder="old")
    vsphere.add_vm("lab1-node-1", notes=owner_annotation("lab1"))               # two candidates of one name
    vsphere.add_vm("lab1-other", notes=owner_annotation("lab2"))
    with pytest.raises(VSphereError, match="outside the lab's folder"):
        port.provision(lab, _plans(port, lab))
    adopted, ambiguous = port.adopt_vms("lab1", ["lab1-node-0", "lab1-node-1", "lab1-other"], recorded=())
    assert (adopted.name, adopted.action, adopted.moved_from) == ("lab1-node-0", "adopted", ROOT_FOLDER)
    assert adopted.owned is not None and adopted.owned.folder == "fuelbot/lab1"
    assert (ambiguous.action, ambiguous.owned) == ("refused", None) and "2 VMs named 'lab1-node-1'" in ambiguous.reason
    assert ROOT_FOLDER in ambiguous.reason and "in old" in ambiguous.reason
    assert [v.moid for v in port.lab_vms("lab1")] == [adopted.owned.moid]
    solo = replace(lab, nodes=lab.nodes[:1])
    report = port.provision(solo, {"lab1-node-0": VMPlan("lab1-node-0", adopted.owned.instance_uuid)})
    assert report.created == () and [o.moid for o in report.owned] == [adopted.owned.moid]
    assert port.adopt_vms("lab1", ["lab1-node-0"], recorded={adopted.owned.moid}) == []


@pytest.fixture(params=["fake", "vcsim"])
def one_host_down(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """A side whose cluster's second host is disconnected (vcsim: ``-disconnected-host``)."""
    if request.param == "fake":
        fake = FakeVSphere()
        fake.hosts[1].connection_state = "disconnected"
        yield _fake_side(fake)
        return
    request.getfixturevalue("vcsim_binary")
    with VcsimProcess.start(extra_args=["-disconnected-host", "DC0_C0_H1"], log_path=tmp_path / "vcsim.log") as sim:
        lab = lab_for(sim)
        with VSphereClient.connect(lab.vcenter) as client:
            yield _vcsim_side(sim, client, lab)


def test_a_disconnected_host_is_skipped_and_named_not_fatal(one_host_down: VSphereSide) -> None:
    port = one_host_down.port
    lab = _lab_of(one_host_down)
    report = port.provision(lab, _plans(port, lab))
    assert report.skipped_hosts == ("DC0_C0_H1: disconnected",)
    assert report.failures == () and [v.power_state for v in report.vms] == ["poweredOn"]


# -- Fuel ----------------------------------------------------------------------------------------
@dataclass
class FuelSide:
    port: FuelPort
    discover: Callable[[], tuple[int, tuple[str, ...]]]     # a new unallocated node: id, NIC MACs


@pytest.fixture(params=["fake", "fuelsim"])
def fuel(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        fake = FakeFuel()
        count = iter(range(1, 100))

        def discover_fake() -> tuple[int, tuple[str, ...]]:
            n = next(count)
            macs = tuple(f"52:54:00:00:{n:02x}:{i:02x}" for i in range(5))
            node = fake.discover(macs[0], macs=macs)
            return node.id, macs

        yield FuelSide(fake, discover_fake)
        return
    sim = request.getfixturevalue("fuelsim")
    client = FuelClient(url=sim.url, user="admin", password="admin", retries=2, backoff=0.01, timeout=5)

    def discover_real() -> tuple[int, tuple[str, ...]]:
        node = sim.inject_node(memory_mb=2048)
        return node["id"], tuple(i.mac for i in client.nodes("unallocated") if i.id == node["id"]
                                 for i in i.interfaces)

    try:
        yield FuelSide(client, discover_real)
    finally:
        client.close()


def _wait(port: FuelPort, task: Task) -> Task:
    return follow(lambda: port.task(task.id), done=lambda t: t.done, state=task_state,
                  describe=describe_task(task.id), deadline=time.monotonic() + 30, error=FuelError, poll=0.05)


def _environment(port: FuelPort, name: str = "lab1") -> int:
    release = port.find_release("Juno on CentOS 6.5", "2014.2-6.0")
    return port.create_cluster(name=name, release_id=release.id, mode=Mode.MULTINODE).id


def _with_nodes(side: FuelSide, roles: list[list[str]]) -> tuple[int, list[int]]:
    cluster_id = _environment(side.port)
    ids = [side.discover()[0] for _ in roles]
    side.port.assign_roles(cluster_id, dict(zip(ids, roles)))
    return cluster_id, ids


def test_releases_environments_and_what_is_missing(fuel: FuelSide) -> None:
    port = fuel.port
    assert "Juno on CentOS 6.5" in {r.name for r in port.releases()} and port.version().release == "6.0"
    assert port.version().feature_groups == ("mirantis",)          # a fresh 6.0 master, as the ISO leaves it
    with pytest.raises(FuelError, match="no release"):
        port.find_release("Kilo on CentOS 7")
    assert port.find_cluster("lab1") is None
    cluster_id = _environment(port)
    found = port.find_cluster("lab1")
    assert found is not None and found.id == cluster_id and found.status is ClusterStatus.NEW
    assert port.cluster(cluster_id) == found
    with pytest.raises(FuelError) as missing:
        port.cluster(cluster_id + 1000)
    assert missing.value.status == 404 and not missing.value.retryable


def test_a_discovered_node_is_unallocated_until_it_gets_roles(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id = _environment(port)
    node_id, macs = fuel.discover()
    (node,) = port.nodes("unallocated")
    assert (node.id, node.cluster, node.status, node.mac) == (node_id, None, NodeStatus.DISCOVER, macs[0])
    assert port.nodes(cluster_id) == []
    port.assign_roles(cluster_id, {node_id: ["controller"]})
    (member,) = port.nodes(cluster_id)
    assert (member.id, member.pending_roles, member.pending_addition) == (node_id, ("controller",), True)
    assert port.nodes("unallocated") == [] and [n.id for n in port.nodes()] == [node_id]


def test_settings_and_networks_written_are_read_back(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id = _environment(port)
    editable = port.attributes(cluster_id)
    assert {"common", "provision", "access"} <= set(editable)
    editable["provision"]["method"]["value"] = "image"
    port.update_attributes(cluster_id, editable)
    assert port.attributes(cluster_id)["provision"]["method"]["value"] == "image"
    config = port.network_configuration(cluster_id, "nova_network")
    assert {n["name"] for n in config["networks"]} >= {"fuelweb_admin", "public", "management", "storage", "fixed"}
    storage = next(n for n in config["networks"] if n["name"] == "storage")
    storage["cidr"] = "10.0.2.0/24"                          # inside nova's fixed range 10.0.0.0/16
    refused = port.update_network_configuration(cluster_id, "nova_network", config)
    assert refused.status is TaskStatus.ERROR
    assert "Address space intersection between networks:\nfixed, storage." in (refused.message or "")
    storage["cidr"] = "192.168.5.0/24"
    task = port.update_network_configuration(cluster_id, "nova_network", config)
    assert task.status is TaskStatus.READY, task.message
    saved = port.network_configuration(cluster_id, "nova_network")
    assert next(n for n in saved["networks"] if n["name"] == "storage")["cidr"] == "192.168.5.0/24"


def test_networks_follow_their_macs_and_admin_stays_on_the_pxe_nic(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id, (node_id,) = _with_nodes(fuel, [["controller"]])
    macs = next(n for n in port.nodes(cluster_id)).interfaces
    nic_macs = [i.mac for i in macs]
    mapping = {nic_macs[1]: ["public"], nic_macs[2]: ["management", "storage"], nic_macs[0]: ["fuelweb_admin"]}
    interfaces = {i.mac: set(i.network_names) for i in port.assign_networks_by_mac(node_id, mapping)}
    assert {"public"} <= interfaces[nic_macs[1]] and {"management", "storage"} <= interfaces[nic_macs[2]]
    assert "fuelweb_admin" in interfaces[nic_macs[0]]


def test_verification_of_two_nodes_passes(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id, _ = _with_nodes(fuel, [["controller"], ["cinder"]])
    task = port.verify_networks(cluster_id, "nova_network", port.network_configuration(cluster_id, "nova_network"))
    assert task.name is TaskName.VERIFY_NETWORKS
    assert _wait(port, task).status is TaskStatus.READY


def test_deploy_changes_runs_once_and_ends_operational(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id, (node_id,) = _with_nodes(fuel, [["controller"]])
    deploy = port.deploy_changes(cluster_id)
    assert (deploy.name, deploy.status) == (TaskName.DEPLOY, TaskStatus.RUNNING)
    assert [t.id for t in port.tasks(cluster_id) if t.name is TaskName.DEPLOY and t.status is TaskStatus.RUNNING] \
        == [deploy.id]
    with pytest.raises(FuelError) as second:
        port.deploy_changes(cluster_id)                      # never a second Deploy Changes while one runs
    assert second.value.status == 500 and not second.value.retryable
    assert _wait(port, deploy).status is TaskStatus.READY
    assert port.cluster(cluster_id).status is ClusterStatus.OPERATIONAL
    (node,) = port.nodes(cluster_id)
    assert (node.status, node.roles, node.pending_addition, node.pending_roles) == \
        (NodeStatus.READY, ("controller",), False, ())
    with pytest.raises(FuelError, match="No changes to deploy") as nothing:
        port.deploy_changes(cluster_id)
    assert nothing.value.status == 400


def test_stopping_needs_a_running_deploy(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id, _ = _with_nodes(fuel, [["controller"]])
    with pytest.raises(FuelError, match="Nothing to stop"):
        port.stop_deployment(cluster_id)
    port.deploy_changes(cluster_id)
    stop = port.stop_deployment(cluster_id)
    assert stop.name is TaskName.STOP_DEPLOYMENT
    _wait(port, stop)


def test_health_checks_run_to_the_end(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id, _ = _with_nodes(fuel, [["controller"]])
    _wait(port, port.deploy_changes(cluster_id))
    assert {"sanity", "smoke"} <= {t.id for t in port.ostf_testsets(cluster_id)}
    started = port.start_testruns(cluster_id, ["sanity"])
    ids = [r.id for r in started]
    runs = follow(lambda: [r for r in port.last_testruns(cluster_id) if r.id in ids],
                  done=lambda rs: len(rs) == len(ids) and all(r.finished for r in rs),
                  state=lambda rs: tuple((r.id, r.status) for r in rs), describe=lambda _: "sanity",
                  deadline=time.monotonic() + 30, error=FuelError, poll=0.05)
    assert [r.testset for r in runs] == ["sanity"] and runs[0].tests
    assert port.testrun(ids[0]).finished


def test_reset_makes_the_environment_new_and_deletion_takes_its_nodes(fuel: FuelSide) -> None:
    port = fuel.port
    cluster_id, (node_id,) = _with_nodes(fuel, [["controller"]])
    _wait(port, port.deploy_changes(cluster_id))
    reset = port.reset(cluster_id)
    assert reset.name is TaskName.RESET_ENVIRONMENT
    assert _wait(port, reset).status is TaskStatus.READY
    assert port.cluster(cluster_id).status is ClusterStatus.NEW
    (node,) = port.nodes(cluster_id)
    assert (node.status, node.pending_addition, node.pending_roles, node.roles) == \
        (NodeStatus.DISCOVER, True, ("controller",), ())
    port.delete_cluster(cluster_id)
    follow(lambda: port.find_cluster("lab1"), done=lambda c: c is None, state=lambda c: c and c.status,
           describe=lambda _: "deletion", deadline=time.monotonic() + 30, error=FuelError, poll=0.05)
    assert node_id not in {n.id for n in port.nodes()}    # its machine reboots and is discovered anew


def test_logs_refuse_what_does_not_exist_as_nailgun_does(fuel: FuelSide) -> None:
    port = fuel.port
    assert {"astute", "install/puppet", "bootstrap/messages"} <= {s.id for s in port.log_sources()}
    astute = next(s for s in port.log_sources() if s.id == "astute")
    assert not astute.remote and astute.level_named("error") == "ERR"
    node_id, _ = fuel.discover()
    assert {s.id for s in port.node_log_sources(node_id)} <= {s.id for s in port.log_sources() if s.remote}
    with pytest.raises(FuelError) as unknown_node:
        port.node_log_sources(node_id + 1000)
    assert unknown_node.value.status == 404
    with pytest.raises(FuelError) as unknown_source:
        port.logs("no-such-log")
    assert unknown_source.value.status == 404 and unknown_source.value.server_message == "Log source not found"
    with pytest.raises(FuelError) as bad_level:
        port.logs("astute", level="LOUD")
    assert bad_level.value.status == 400 and bad_level.value.server_message == "Invalid level"
    assert len(port.logs("astute", level="ERR", max_entries=3).entries) <= 3
    assert all(isinstance(n.id, int) for n in port.notifications())


def test_a_diagnostic_snapshot_is_a_dump_task_whose_tarball_downloads_within_a_limit(fuel: FuelSide) -> None:
    import io

    from core.errors import SnapshotTooLarge

    port = fuel.port
    task = _wait(port, port.start_snapshot())
    assert task.name is TaskName.DUMP and task.status is TaskStatus.READY
    sink = io.BytesIO()
    size = port.download_snapshot(task, sink, max_bytes=50_000_000)
    assert size == len(sink.getvalue()) > 0
    with pytest.raises(SnapshotTooLarge) as too_large:
        port.download_snapshot(task, io.BytesIO(), max_bytes=size - 1)
    assert too_large.value.limit == size - 1


def test_snapshots_are_taken_listed_reverted_with_their_power_state_and_removed(vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    port.fix_portgroups(lab)
    spec = lab.nodes[0].vm
    port.ensure_vm(spec, lab=lab.name)
    assert port.snapshots(spec.name) == []                     # no `snapshot` property at all: read safely
    port.power_on(spec.name)
    first = port.create_snapshot(spec.name, name="fuelbot lab1 running", description="set #1", memory=True)
    assert (first.name, first.description, first.power_state, first.current) == \
        ("fuelbot lab1 running", "set #1", "poweredOn", True)
    port.power_off(spec.name)
    second = port.create_snapshot(spec.name, name="fuelbot lab1 off", description="set #2", memory=False)
    assert second.power_state == "poweredOff"
    listed = port.snapshots(spec.name)
    assert [(s.moref, s.current) for s in listed] == [(first.moref, False), (second.moref, True)]
    assert port.revert_snapshot(spec.name, first.moref, power_state="poweredOn").vm.power_state == "poweredOn"
    assert [s.current for s in port.snapshots(spec.name)] == [True, False]
    running = port.vm(spec.name)
    assert running is not None and running.power_state == "poweredOn"
    assert port.revert_snapshot(spec.name, second.moref, power_state="poweredOff").vm.power_state == "poweredOff"
    assert port.remove_snapshot(spec.name, first.moref) is True
    assert [s.moref for s in port.snapshots(spec.name)] == [second.moref]   # its child stays
    assert port.remove_snapshot(spec.name, first.moref) is False
    with pytest.raises(VSphereError, match="no snapshot"):
        port.revert_snapshot(spec.name, first.moref, power_state="poweredOn")
    with pytest.raises(VSphereError, match="not found"):
        port.create_snapshot("no-such-vm", name="x", description="", memory=False)



def test_a_revert_takes_the_snapshots_power_state_and_fuelbot_brings_the_vm_to_the_one_it_was_taken_in(
        vsphere: VSphereSide) -> None:
    port, lab = vsphere.port, vsphere.lab
    port.fix_portgroups(lab)
    spec = lab.nodes[0].vm
    port.ensure_vm(spec, lab=lab.name)
    port.power_on(spec.name)
    warm = port.create_snapshot(spec.name, name="warm", description="", memory=True)
    cold = port.create_snapshot(spec.name, name="cold", description="", memory=False)
    assert (warm.power_state, cold.power_state) == ("poweredOn", "poweredOff")
    port.power_off(spec.name)
    back = port.revert_snapshot(spec.name, warm.moref, power_state="poweredOn")
    assert (back.left_in, back.vm.power_state, back.powered_after) == ("poweredOn", "poweredOn", False)
    back = port.revert_snapshot(spec.name, cold.moref, power_state="poweredOn")   # it ran when taken
    assert (back.left_in, back.vm.power_state, back.powered_after) == ("poweredOff", "poweredOn", True)
    back = port.revert_snapshot(spec.name, cold.moref, power_state="poweredOff")  # it was off when taken
    assert (back.left_in, back.vm.power_state, back.powered_after) == ("poweredOff", "poweredOff", False)
    running = port.vm(spec.name)
    assert running is not None and running.power_state == "poweredOff"

# -- the Fuel master's host ------------------------------------------------------------------------
ADMIN_PW, ROOT_PW = "Adm1n-Contract", "R00t-Contract"


@dataclass
class MasterSide:
    port: MasterPort
    api: FuelPort                         # the same master's API, to see what the setup changed
    run_as_root: Callable[[str], None]    # a command typed on the master behind fuelbot's back
    reinstall: Callable[[], None]         # the master installed again from its ISO: a new host key


@pytest.fixture(params=["fake", "fuelsim"])
def master(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        fake_fuel = FakeFuel()
        spec = FuelMaster(url="http://10.20.0.2:8000", user="admin", password=ADMIN_PW,
                          setup=MasterSetup(root_password=ROOT_PW, feature_groups=("mirantis", "experimental"),
                                            ssh_port=22))
        fake = FakeMaster(spec, fake_fuel)

        def as_root(command: str) -> None:
            assert command == "sed -i 's/release: \"6.0\"/release: \"6.1\"/' /etc/fuel/version.yaml"
            fake.release = "6.1"
        yield MasterSide(fake, fake_fuel, as_root, fake.reinstall)
        return
    sim = request.getfixturevalue("fuelsim")
    spec = FuelMaster(url=sim.url, user="admin", password=ADMIN_PW,
                      setup=MasterSetup(root_password=ROOT_PW, feature_groups=("mirantis", "experimental"),
                                        ssh_port=sim.ssh_port))
    real = FuelMasterSetup.of(spec, keys=HostKeyStore(request.getfixturevalue("sessions")), poll=0.05,
                              restart_deadline=20)
    api = FuelClient(url=sim.url, user="admin", password="admin", retries=2, backoff=0.05, timeout=5)
    try:
        yield MasterSide(real, api, lambda command: sim.run_command(command), sim.reset)
    finally:
        real.close()
        api.close()


def test_a_fresh_master_is_set_up_once_then_every_action_finds_nothing_to_do(master: MasterSide) -> None:
    port = master.port
    assert port.install_stage() == InstallStage.READY
    assert port.default_logins() == DefaultLogins(admin=True, root=True)
    assert port.feature_groups() == FeatureGroups(listed=("mirantis",), running=("mirantis",))
    defaults = ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org")
    assert port.ntp_servers().matches(defaults) and port.ntp_servers().listed == defaults
    first = [port.check_release(), port.ensure_root_password(), port.ensure_admin_password(),
             port.ensure_feature_groups(), port.ensure_ntp(), port.sync_cobbler()]
    assert [(o.changed, o.summary) for o in first] == [
        (False, "Fuel 6.0"), (True, "root's password changed from 6.0's default"),
        (True, "`admin`'s password changed from 6.0's default, as the UI does"),
        (True, "feature groups mirantis, experimental: nailgun and nginx restarted"),
        (False, "NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org"), (True, "cobbler synced")]
    again = [port.ensure_root_password(), port.ensure_admin_password(), port.ensure_feature_groups()]
    assert [(o.changed, o.summary) for o in again] == [
        (False, "root already logs in with the lab's password"), (False, "`admin` already logs in with the lab's "
                                                                         "password"),
        (False, "feature groups mirantis, experimental")]
    assert (port.default_logins().admin, port.default_logins().root) == (False, False)
    groups = ("mirantis", "experimental")
    assert (port.feature_groups().listed, port.feature_groups().running) == (groups, groups)
    view = port.overview()
    assert (view.release, view.build, view.groups.running) == ("6.0", "58", groups)
    assert view.ssh == port.address and view.hostname == "fuel.domain.tld" and view.uptime
    assert len(view.services) == 11 and all(s.ready and s.up for s in view.services)
    assert [d.mount for d in view.disks] == ["/", "/var", "/var/log"] and all(0 < d.used_percent < 100
                                                                              for d in view.disks)


def test_a_backup_writes_an_archive_that_the_list_shows_newest_first(master: MasterSide) -> None:
    port = master.port
    assert port.backups() == []                                  # no /var/backup/fuel yet
    first = port.back_up()
    assert re.fullmatch(r"/var/backup/fuel/backup_\d{4}-\d\d-\d\d_\d{4}/fuel_backup_\d{4}-\d\d-\d\d_\d{4}\.tar\.lrz",
                        first.path), first.path
    assert first.size_bytes > 0 and abs((datetime.now(timezone.utc) - first.written).total_seconds()) < 3600
    assert port.backups() == [first]


def test_a_master_that_is_not_6_0_is_refused_naming_the_fix(master: MasterSide) -> None:
    master.run_as_root("sed -i 's/release: \"6.0\"/release: \"6.1\"/' /etc/fuel/version.yaml")
    with pytest.raises(MasterError) as refused:
        master.port.check_release()
    assert "runs Fuel 6.1" in str(refused.value) and "Fix: point the lab at a Fuel 6.0 master" in str(refused.value)


def test_a_reinstalled_masters_new_key_is_trusted_only_by_its_own_fingerprint(master: MasterSide) -> None:
    port = master.port
    assert port.host_key() is None
    port.overview()                                              # the first contact records the key
    first = port.host_key()
    assert first is not None and first.address == port.address
    same = port.trust_host_key(Fingerprint.parse(first.key.sha256))
    assert (same.verdict, same.presented, same.recorded) == (Verdict.UNCHANGED, first.key, first.key)
    master.reinstall()
    port.close()                                                 # a reinstall ends every session
    with pytest.raises(MasterError) as changed:
        port.overview()
    wrong = port.trust_host_key(Fingerprint.parse(first.key.sha256))      # the old key's: refused
    new = wrong.presented
    assert wrong.verdict is Verdict.MISMATCH and new != first.key and port.host_key() == first
    assert f"`/fuel master LAB --trust-key {new.sha256}`" in str(changed.value)    # no lab named here
    trusted = port.trust_host_key(Fingerprint.parse(new.md5))           # as CentOS 6's console prints it
    assert (trusted.verdict, trusted.presented, trusted.recorded) == (Verdict.TRUSTED, new, first.key)
    now = port.host_key()
    assert now is not None and now.key == new and now.recorded_at >= first.recorded_at
    assert port.overview().release == "6.0"                      # logs in to the trusted key
    assert port.trust_host_key(Fingerprint.parse(new.sha256)).verdict is Verdict.UNCHANGED
