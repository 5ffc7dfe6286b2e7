"""Cluster pitfalls of preflight as pure functions: DRS, LAG teaming, swap and vSAN in capacity, VNC by version."""
from __future__ import annotations

import dataclasses

from integrations.vsphere.cluster_checks import check_capacity, check_drs, check_lag, check_vnc
from integrations.vsphere.info import DatastoreInfo, FirewallRule, FirewallRuleset, HostInfo, TeamingInfo
from integrations.vsphere.placement import DrsState
from labspec.model import (DistributedPortGroup, Environment, FuelMaster, Lab, Nic, NodeSpec, Settings,
                           VCenterTarget, VMSpec, VSphereNetworks)


def _lab(nodes=()):
    target = VCenterTarget(url="https://vc/sdk", user="u", password="p", datacenter="DC0", cluster="C", datastore="D")
    env = Environment(name="lab1", release="Juno on CentOS 6.5", release_version="2014.2-6.0", mode="multinode",
                      compute="vcenter", network_provider="nova_network", network_manager="FlatDHCPManager",
                      volumes="vmdk", images="vcenter", services=(), settings=Settings(openstack_password="x"),
                      networks=())
    return Lab(name="lab1", source="labs/lab1.yaml", vcenter=target,
               networks=VSphereNetworks(pxe="pxe", distributed=(DistributedPortGroup("pxe", "DVS0"),), standard=()),
               fuel=FuelMaster(url="http://10.20.0.2:8000", user="admin", password="admin"), environment=env,
               nodes=tuple(nodes))


def _host(name, version="6.5.0", firewall=None):
    return HostInfo(name=name, moid=name, connection_state="connected", memory_mb=8192, memory_used_mb=0,
                    vswitches=(), portgroups=(), firewall=firewall, version=version)


def test_drs_off_fails_and_not_fully_automated_warns():
    assert [f.level for f in check_drs(_lab(), DrsState(False, "fullyAutomated"))] == ["fail"]
    (partial,) = check_drs(_lab(), DrsState(True, "partiallyAutomated"))
    assert partial.level == "warn" and "partiallyAutomated" in partial.message and "nova" in partial.fix
    assert [f.level for f in check_drs(_lab(), DrsState(True, "fullyAutomated"))] == ["ok"]


def test_standalone_uplinks_on_a_switch_with_a_lag_have_no_path():
    standalone = TeamingInfo(portgroup="pxe", switch="DVS0", active=("uplink1", "uplink2"), lags=("lag1",))
    (finding,) = check_lag(_lab(), [standalone])
    assert (finding.level, finding.obj) == ("fail", "pxe") and "uplink1, uplink2" in finding.message
    on_lag = dataclasses.replace(standalone, active=("lag1",))
    no_lag = dataclasses.replace(standalone, lags=())
    undeclared = dataclasses.replace(standalone, portgroup="DVS0-DVUplinks-9")
    assert list(check_lag(_lab(), [on_lag, no_lag, undeclared])) == []


def test_capacity_counts_a_swap_file_per_vm_and_two_copies_on_vsan():
    node = NodeSpec(vm=VMSpec(name="n", cpus=1, memory_mb=4096, disk_gb=16, guest_id="g", nics=(Nic("pxe"),)),
                    roles=("controller",))
    store = DatastoreInfo(name="D", moid="ds", capacity=100 * 1024 ** 3, free=30 * 1024 ** 3, kind="VMFS")
    space, memory = check_capacity(_lab([node]), [], store, [_host("h")])
    assert space.level == "ok" and "lab needs 20 GB (16 GB of disks + 4 GB of swap files)" in space.message
    vsan, _ = check_capacity(_lab([node]), [], dataclasses.replace(store, kind="vsan"), [_host("h")])
    assert vsan.level == "fail" and "needs 40 GB" in vsan.message and "× 2 for vSAN" in vsan.message


def test_vnc_advice_depends_on_the_esxi_version():
    closed = (FirewallRuleset(key="sshServer", label="SSH", enabled=True, rules=(FirewallRule(22, 22, "inbound", "tcp"),)),)
    findings = list(check_vnc([_host("old", firewall=closed), _host("new", version="7.0.3", firewall=closed)]))
    assert [(f.check, f.obj) for f in findings] == [("vnc", "new"), ("vnc-firewall", "old")]
    assert "no built-in VNC server" in findings[0].fix and "esxcli" in findings[1].fix
