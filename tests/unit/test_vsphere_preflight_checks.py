"""Preflight checks as pure functions over inventory records."""
from __future__ import annotations

import dataclasses

import pytest

from integrations.vsphere.info import (DistributedPortGroupInfo, FirewallRule, FirewallRuleset, HostInfo,
                                       StandardPortGroupInfo, VMInfo, VSwitchInfo)
from integrations.vsphere.cluster_checks import check_vnc, vnc_open
from integrations.vsphere.preflight import check_distributed, check_standard
from labspec.model import (DistributedPortGroup, Environment, FuelMaster, Lab, Settings, StandardPortGroup,
                           VCenterTarget, VSphereNetworks)


def _ruleset(key, enabled, *ranges, protocol="tcp", direction="inbound"):
    return FirewallRuleset(key=key, label=key, enabled=enabled,
                           rules=tuple(FirewallRule(a, b, direction, protocol) for a, b in ranges))


@pytest.mark.parametrize("rulesets, expected", [
    ((), False),
    ((_ruleset("gdbserver", False, (1000, 9999)),), False),
    ((_ruleset("gdbserver", True, (1000, 9999)),), True),
    ((_ruleset("VNC", True, (5900, 6105)),), True),
    ((_ruleset("VNC", True, (5900, 6000)),), False),
    ((_ruleset("a", True, (5900, 6000)), _ruleset("b", True, (6001, 6105))), True),
    ((_ruleset("VNC", True, (5900, 6105), protocol="udp"),), False),
    ((_ruleset("VNC", True, (5900, 6105), direction="outbound"),), False),
])
def test_vnc_open_needs_enabled_inbound_tcp_cover_of_5900_to_6105(rulesets, expected):
    assert vnc_open(rulesets) is expected


def _lab(distributed=(), standard=()):
    target = VCenterTarget(url="https://vc/sdk", user="u", password="p", datacenter="DC0", cluster="C", datastore="D")
    env = Environment(name="lab1", release="Juno on CentOS 6.5", release_version="2014.2-6.0", mode="multinode",
                      compute="vcenter", network_provider="nova_network", network_manager="FlatDHCPManager",
                      volumes="vmdk", images="vcenter", services=(), settings=Settings(openstack_password="x"),
                      networks=())
    return Lab(name="lab1", source="labs/lab1.yaml", vcenter=target,
               networks=VSphereNetworks(pxe="pxe", distributed=tuple(distributed), standard=tuple(standard)),
               fuel=FuelMaster(url="http://10.20.0.2:8000", user="admin", password="admin"), environment=env, nodes=())


def _dvpg(name, vlan=3, promiscuous=True, switch="DVS0"):
    return DistributedPortGroupInfo(name=name, moid="pg", key="pg", switch=switch, vlan=vlan, trunk=(),
                                    promiscuous=promiscuous)


PXE = DistributedPortGroup("pxe", "DVS0", vlan=3, promiscuous=True)


@pytest.mark.parametrize("current, level, text", [
    (None, "fail", "missing"),
    (_dvpg("pxe", promiscuous=False), "fail", "promiscuous mode is off"),
    (_dvpg("pxe", vlan=0), "fail", "VLAN is 0, not 3"),
    (_dvpg("pxe", switch="DVS1"), "fail", "is on `DVS1`"),
    (_dvpg("pxe"), "ok", "promiscuous ✓"),
])
def test_pxe_portgroup_findings(current, level, text):
    findings = list(check_distributed(_lab([PXE]), [current] if current else [], {"DVS0", "DVS1"}))
    assert [(f.level, f.check) for f in findings] == [(level, "pxe-portgroup")]
    assert text in findings[0].message


def test_missing_switch_is_reported_instead_of_the_portgroup():
    (finding,) = check_distributed(_lab([PXE]), [], set())
    assert finding.obj == "DVS0" and finding.level == "fail"


def _host(name, *, uplinks=("vmnic0",), br100=True, vswitch="vSwitch0", firewall=None):
    pgs = (StandardPortGroupInfo(host=name, name="br100", vswitch=vswitch, vlan=0, promiscuous=None),) if br100 else ()
    return HostInfo(name=name, moid=name, connection_state="connected", memory_mb=4096, memory_used_mb=0,
                    vswitches=(VSwitchInfo(name=vswitch, uplinks=uplinks, portgroups=()),), portgroups=pgs,
                    firewall=firewall)


BR100 = StandardPortGroup("br100", vswitch="vSwitch0", uplink="vmnic0")


def test_br100_ok_on_every_host_with_vmnic0():
    findings = list(check_standard(_lab(standard=[BR100]), [_host("h1"), _host("h2")], set()))
    assert [(f.level, f.check) for f in findings] == [("ok", "standard-portgroup")]


def test_br100_without_vmnic0_uplink_fails_naming_the_host():
    findings = list(check_standard(_lab(standard=[BR100]), [_host("h1", uplinks=("vmnic1",))], set()))
    assert [(f.level, f.check, f.obj) for f in findings] == [("fail", "uplink", "h1/vSwitch0")]
    assert "vmnic0" in findings[0].message and "vmnic1" in findings[0].message


def test_br100_only_as_a_distributed_portgroup_is_called_out():
    (finding,) = check_standard(_lab(standard=[BR100]), [_host("h1", br100=False)], {"br100"})
    assert finding.level == "fail" and "standard vSwitch" in finding.message


def test_br100_on_some_hosts_fails_naming_the_others():
    # Host port groups are per host on ESXi, and now on our strict vcsim too: no simulator excuse.
    hosts = [_host("h1"), _host("h2", br100=False)]
    (real,) = check_standard(_lab(standard=[BR100]), hosts, set())
    assert real.level == "fail"
    assert "h2" in real.message and "h1" not in real.message


def test_vnc_check_is_skipped_when_the_firewall_is_not_readable():
    assert list(check_vnc([_host("h1")])) == []
    closed = _host("h2", firewall=(_ruleset("sshServer", True, (22, 22)),))
    (finding,) = check_vnc([_host("h1"), closed])
    assert finding.level == "warn" and finding.obj == "h2" and "esxcli network firewall refresh" in finding.fix


def test_vm_info_ownership_reads_the_annotation_lines():
    vm = VMInfo(name="n", moid="vm-1", power_state="poweredOff", memory_mb=1, cpus=1,
                annotation="notes\nfuelbot lab=lab1", nics=(), boot_order=(), iso=None)
    assert vm.owned_by("lab1") and not vm.owned_by("lab")


def test_br100_with_the_wrong_vlan_is_not_also_reported_ok():
    host = _host("h1")
    wrong = dataclasses.replace(host, portgroups=(dataclasses.replace(host.portgroups[0], vlan=7),))
    findings = list(check_standard(_lab(standard=[BR100]), [wrong], set()))
    assert [(f.level, f.message) for f in findings] == [("fail", "`br100` on h1 has VLAN 7, not 0")]
