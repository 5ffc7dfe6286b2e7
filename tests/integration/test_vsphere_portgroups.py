"""Port groups and preflight against a real vcsim: create, converge, report, repair."""
from __future__ import annotations

import dataclasses

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import VSphereClient
from labspec.model import DistributedPortGroup, StandardPortGroup
from tests.fixtures.vcenter_simulator import admin_session, lab_for


@pytest.fixture
def client(vsphere_target):
    with VSphereClient.connect(vsphere_target) as client:
        yield client


def _counts(client: VSphereClient) -> tuple[int, int, int]:
    return len(client.distributed_portgroups()), len(client.standard_portgroups()), len(client.vms())


def test_ensure_portgroups_twice_changes_nothing_the_second_time(client, vcsim):
    lab = lab_for(vcsim)
    first = client.fix_portgroups(lab)
    assert [str(c).split(":")[0] for c in first] == ["created"] * 5
    counts = _counts(client)
    second = client.fix_portgroups(lab)
    assert [str(c) for c in second] == ["unchanged"] * 5
    assert _counts(client) == counts
    pxe = next(p for p in client.distributed_portgroups() if p.name == "pxe")
    assert (pxe.switch, pxe.vlan, pxe.promiscuous) == ("DVS0", 3, True)


def test_reconfigure_sends_a_complete_spec(client):
    # vcsim replaces the whole config on a partial spec: turning promiscuous on must keep VLAN 3.
    client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=False))
    change = client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=True))
    assert str(change) == "updated: promiscuous off→on"
    pxe = next(p for p in client.distributed_portgroups() if p.name == "pxe")
    assert (pxe.vlan, pxe.promiscuous, pxe.switch) == (3, True, "DVS0")
    change = client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=4, promiscuous=True))
    assert str(change) == "updated: vlan 3→4"


def test_a_trunk_portgroup_made_by_hand_gets_the_declared_vlan(client, vcsim):
    V = vim.dvs.VmwareDistributedVirtualSwitch
    with admin_session(vcsim) as admin:             # someone made `pxe` a VlanManager-style trunk
        view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder,
                                                             [vim.DistributedVirtualSwitch], True)
        dvs = view.view[0]
        trunk = V.VmwarePortConfigPolicy(vlan=V.TrunkVlanSpec(vlanId=[vim.NumericRange(start=1000, end=1030)],
                                                              inherited=False))
        WaitForTask(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            name="pxe", type="earlyBinding", numPorts=16, defaultPortConfig=trunk)]))
    change = client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=True))
    assert str(change) == "updated: vlan trunk 1000-1030→3, promiscuous off→on"
    pxe = next(p for p in client.distributed_portgroups() if p.name == "pxe")
    assert (pxe.vlan, pxe.trunk, pxe.promiscuous) == (3, (), True)


def test_unknown_switch_names_it(client):
    with pytest.raises(VSphereError) as caught:
        client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS9"))
    assert caught.value.obj == "DVS9"
    assert "switch" in caught.value.fix


def test_standard_portgroup_is_added_on_every_host(client):
    # ESXi keeps host port groups per host (vcsim used to refuse the 2nd host; ours no longer does).
    change = client.ensure_standard_portgroup(StandardPortGroup("br100"))
    assert change.action == "created" and change.notes == ()
    assert "on DC0_C0_H0, DC0_C0_H1, DC0_C0_H2" in str(change)
    names = [(p.host, p.name, p.vswitch) for p in client.standard_portgroups() if p.name == "br100"]
    assert names == [(f"DC0_C0_H{i}", "br100", "vSwitch0") for i in range(3)]
    again = client.ensure_standard_portgroup(StandardPortGroup("br100"))
    assert again.action == "unchanged"


def test_standard_portgroup_vlan_is_updated_in_place_while_a_vm_uses_it(client, vcsim):
    lab = lab_for(vcsim)
    client.fix_portgroups(lab)
    client.ensure_vm(lab.nodes[0].vm, lab="lab1")          # its 5th NIC is on br100
    change = client.ensure_standard_portgroup(StandardPortGroup("br100", vlan=100))
    assert str(change) == "updated: DC0_C0_H0: vlan 0→100, DC0_C0_H1: vlan 0→100, DC0_C0_H2: vlan 0→100"
    assert [p.vlan for p in client.standard_portgroups() if p.name == "br100"] == [100, 100, 100]
    assert client.vm(lab.nodes[0].vm.name).nics[4].network_name == "br100"


def test_standard_portgroup_on_a_missing_vswitch_is_refused(client):
    with pytest.raises(VSphereError) as caught:
        client.ensure_standard_portgroup(StandardPortGroup("br100", vswitch="vSwitch7"))
    assert caught.value.obj == "vSwitch7"


def test_preflight_reports_pxe_without_promiscuous_and_fix_repairs_it(client, vcsim):
    lab = lab_for(vcsim)
    pxe = lab.networks.distributed[0]
    wrong = dataclasses.replace(lab, networks=dataclasses.replace(
        lab.networks, distributed=(dataclasses.replace(pxe, promiscuous=False),) + lab.networks.distributed[1:]))
    client.fix_portgroups(wrong)                     # a lab prepared without the article's promiscuous step

    failures = [f for f in client.preflight(lab) if f.level == "fail"]
    assert len(failures) == 1
    (finding,) = failures
    assert (finding.check, finding.obj) == ("pxe-portgroup", "pxe")
    assert "promiscuous mode is off" in finding.message
    assert finding.fix == "`/fuel preflight lab1 --fix` reconfigures it"

    changes = client.fix_portgroups(lab)
    assert [(c.obj, str(c)) for c in changes if c.changed] == [("pxe", "updated: promiscuous off→on")]
    after = client.preflight(lab)
    assert [f for f in after if f.level == "fail"] == []
    assert any(f.level == "ok" and f.check == "pxe-portgroup" for f in after)


def test_preflight_on_a_bare_vcenter_lists_every_missing_piece(client, vcsim):
    findings = client.preflight(lab_for(vcsim))
    failed = {(f.check, f.obj) for f in findings if f.level == "fail"}
    assert failed == {("pxe-portgroup", "pxe"), ("distributed-portgroup", "public"),
                      ("distributed-portgroup", "management"), ("distributed-portgroup", "storage"),
                      ("standard-portgroup", "br100")}
    assert all("/fuel preflight lab1 --fix" in f.fix for f in findings if f.level == "fail")
    by_check = {f.check: f for f in findings}
    assert by_check["fuel-master"].level == "warn" and "will be created" in by_check["fuel-master"].message
    assert by_check["vnc-firewall"].level == "warn" and "esxcli network firewall refresh" in by_check["vnc-firewall"].fix
    # disks (16 + 50 GB) and one swap file per VM (1 + 2 GB)
    assert by_check["datastore-space"].level == "ok" and "lab needs 69 GB" in by_check["datastore-space"].message
    assert by_check["iso"].level == "ok" and by_check["drs"].level == "ok"
    assert by_check["cluster-memory"].level == "ok"


def test_preflight_flags_a_fuel_master_below_2048_mb(client, vcsim):
    lab = lab_for(vcsim)
    small = dataclasses.replace(lab, fuel=dataclasses.replace(lab.fuel, vm=dataclasses.replace(lab.fuel.vm,
                                                                                            memory_mb=1024)))
    findings = [f for f in client.preflight(small) if f.check == "fuel-master" and f.level == "fail"]
    assert len(findings) == 1 and "2048" in findings[0].fix


def test_preflight_flags_a_datastore_too_small(client, vcsim):
    lab = lab_for(vcsim)
    free_gb = client.datastores()[0].free // 1024 ** 3
    huge = dataclasses.replace(lab, nodes=(dataclasses.replace(
        lab.nodes[0], vm=dataclasses.replace(lab.nodes[0].vm, disk_gb=free_gb + 100)),))
    (finding,) = [f for f in client.preflight(huge) if f.check == "datastore-space"]
    assert finding.level == "fail" and finding.obj == "LocalDS_0"


def test_preflight_with_an_unknown_datacenter_is_one_finding(vcsim):
    lab = lab_for(vcsim)
    lab = dataclasses.replace(lab, vcenter=dataclasses.replace(lab.vcenter, datacenter="DC9"))
    with VSphereClient(lab.vcenter) as client:
        findings = client.preflight(lab)
    assert [(f.level, f.check, f.obj) for f in findings] == [("fail", "target", "DC9")]
    assert "VCENTER_DATACENTER" in findings[0].fix


def test_a_reconfigure_is_a_delta_that_keeps_what_others_set(client, vcsim):
    client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=False))
    with admin_session(vcsim) as admin:             # an admin tunes the port group by hand
        view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder,
                                                             [vim.dvs.DistributedVirtualPortgroup], True)
        pg = next(p for p in view.view if p.name == "pxe")
        WaitForTask(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            configVersion=pg.config.configVersion, numPorts=64, description="PXE for the Fuel labs")))
    change = client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=True))
    assert str(change) == "updated: promiscuous off→on"
    with admin_session(vcsim) as admin:
        view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder,
                                                             [vim.dvs.DistributedVirtualPortgroup], True)
        config = next(p for p in view.view if p.name == "pxe").config
    assert (config.numPorts, config.description, config.defaultPortConfig.vlan.vlanId) == (
        64, "PXE for the Fuel labs", 3)
    assert config.defaultPortConfig.securityPolicy.allowPromiscuous.value is True


@pytest.mark.parametrize("args, mac_management", [
    (["-dvs-version", "6.6.0", "-api-version", "6.7"], True),     # both policies on a 6.6 switch
    (["-lag", "-api-version", "6.7"], False),                     # a 6.5 switch with a LAG: no lacpPolicy echo
])
def test_promiscuous_mode_is_set_in_every_policy_the_switch_has(vcsim_binary, tmp_path, args, mac_management):
    from sim.vcenter.process import VcsimProcess
    from tests.fixtures.vcenter_simulator import target_for
    with VcsimProcess.start(extra_args=args, log_path=tmp_path / "vcsim.log") as sim:
        with VSphereClient.connect(target_for(sim)) as client:
            client.ensure_distributed_portgroup(DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=False))
            assert str(client.ensure_distributed_portgroup(
                DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=True))) == "updated: promiscuous off→on"
        with admin_session(sim) as admin:
            view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder,
                                                                 [vim.dvs.DistributedVirtualPortgroup], True)
            setting = next(p for p in view.view if p.name == "pxe").config.defaultPortConfig
    assert setting.securityPolicy.allowPromiscuous.value is True
    mac = setting.macManagementPolicy
    assert (mac is not None and mac.allowPromiscuous is True) == mac_management
