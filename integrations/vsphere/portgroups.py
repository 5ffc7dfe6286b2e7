"""Make the lab's port groups exist exactly as declared: create, reconfigure, or leave alone.

Distributed port groups are reconfigured with a delta (vSphere API reference,
ReconfigureDVPortgroup_Task: unset properties keep their value) quoting the current
``configVersion``: only the VLAN and the promiscuous policy are sent, in the deprecated
``securityPolicy`` and, on switches of version 6.6.0 and later, in ``macManagementPolicy`` too.
The port group's ``lacpPolicy`` is never echoed back (a switch with LAGs refuses it).
Standard port groups live on each host: missing ones are added, differing ones updated in place
with UpdatePortGroup (never removed and re-added: VMs may be using them).
"""
from __future__ import annotations

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import inventory
from integrations.vsphere.collector import retrieve_one, wait_for_task
from integrations.vsphere.info import Change, DistributedPortGroupInfo, StandardPortGroupInfo
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session
from labspec.model import DistributedPortGroup, StandardPortGroup

DVS = vim.dvs.VmwareDistributedVirtualSwitch
_TASK_TIMEOUT = 120.0
_NEW_PORTS = 32
MAC_MANAGEMENT_SINCE = (6, 6)      # VMwareDVSPortSetting.macManagementPolicy: switches 6.6.0 and later


def _on_off(value: bool | None) -> str:
    return "on" if value else "off"


def _vlan_text(vlan: int | None, trunk: tuple[tuple[int, int], ...] = ()) -> str:
    if trunk:
        return "trunk " + ",".join(f"{a}-{b}" for a, b in trunk)
    return "none" if vlan is None else str(vlan)


def distributed_differences(spec: DistributedPortGroup, current: DistributedPortGroupInfo) -> tuple[str, ...]:
    """What differs between a declared and an existing distributed port group, as "vlan 0→3"."""
    diffs = []
    if current.vlan != spec.vlan or current.trunk:
        diffs.append(f"vlan {_vlan_text(current.vlan, current.trunk)}→{spec.vlan}")
    if current.promiscuous != spec.promiscuous:
        diffs.append(f"promiscuous {_on_off(current.promiscuous)}→{_on_off(spec.promiscuous)}")
    return tuple(diffs)


def supports_mac_management(version: str | None) -> bool:
    """True for a distributed switch of version 6.6.0 or later."""
    parts = [int(p) for p in (version or "").split(".")[:2] if p.isdigit()]
    return len(parts) == 2 and tuple(parts) >= MAC_MANAGEMENT_SINCE


def _port_config(spec: DistributedPortGroup, *, vlan: bool, promiscuous: bool,
                 mac_management: bool) -> DVS.VmwarePortConfigPolicy:
    """Only what must change: the VLAN and/or the promiscuous policy (both for a new port group)."""
    config = DVS.VmwarePortConfigPolicy()
    if vlan:
        config.vlan = DVS.VlanIdSpec(vlanId=spec.vlan, inherited=False)
    if promiscuous:
        config.securityPolicy = DVS.SecurityPolicy(
            inherited=False, allowPromiscuous=vim.BoolPolicy(value=spec.promiscuous, inherited=False))
        if mac_management:
            config.macManagementPolicy = vim.dvs.VmwareDistributedVirtualSwitch.MacManagementPolicy(
                inherited=False, allowPromiscuous=spec.promiscuous)
    return config


def ensure_distributed(session: Session, placement: Placement, spec: DistributedPortGroup) -> Change:
    """Create the port group on its switch, or reconfigure VLAN/promiscuous mode to match ``spec``."""
    switches, rows = inventory.network_rows(session, placement)
    switch = next((s for s in switches if s.get("name") == spec.switch), None)
    if switch is None:
        raise VSphereError(f"distributed switch {spec.switch!r} not found in datacenter {placement.datacenter_name}",
                           obj=spec.switch, fix="create the switch in vCenter, or fix "
                           f"vsphere_networks.distributed[{spec.name}].switch in the lab spec")
    mac_management = supports_mac_management(switch.get("summary.productInfo.version"))
    row = next((r for r in rows if r.get("name") == spec.name
                and getattr(r.get("config.distributedVirtualSwitch"), "_moId", None) == switch.obj._moId), None)
    row = row or next((r for r in rows if r.get("name") == spec.name), None)
    if row is None:
        config = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            name=spec.name, type="earlyBinding", numPorts=_NEW_PORTS, autoExpand=True,
            defaultPortConfig=_port_config(spec, vlan=True, promiscuous=True, mac_management=mac_management))
        wait_for_task(session, switch.obj.AddDVPortgroup_Task([config]), timeout=_TASK_TIMEOUT,
                      what=f"creating port group {spec.name}")
        return Change(obj=spec.name, kind="distributed-portgroup", action="created",
                      details=(f"vlan {spec.vlan}", f"promiscuous {_on_off(spec.promiscuous)}"))
    current = inventory.to_dvpg(row, switches)
    if current.switch != spec.switch:
        raise VSphereError(f"port group {spec.name!r} already exists on switch {current.switch}, not {spec.switch}",
                           obj=spec.name,
                           fix=f"rename one of them, or set its switch to {current.switch} in the spec")
    diffs = distributed_differences(spec, current)
    if not diffs:
        return Change(obj=spec.name, kind="distributed-portgroup", action="unchanged")
    _reconfigure(session, row.obj, spec, vlan=current.vlan != spec.vlan or bool(current.trunk),
                 promiscuous=current.promiscuous != spec.promiscuous, mac_management=mac_management)
    _, after = inventory.network_rows(session, placement)
    readback = next((inventory.to_dvpg(r, switches) for r in after if r.obj._moId == row.obj._moId), None)
    if readback is None or distributed_differences(spec, readback):
        raise VSphereError(f"vCenter accepted the reconfiguration of port group {spec.name} but still reports "
                           f"{readback}", obj=spec.name, fix="set VLAN and promiscuous mode by hand in vCenter")
    return Change(obj=spec.name, kind="distributed-portgroup", action="updated", details=diffs)


def _reconfigure(session: Session, portgroup: vim.dvs.DistributedVirtualPortgroup, spec: DistributedPortGroup, *,
                 vlan: bool, promiscuous: bool, mac_management: bool) -> None:
    version = retrieve_one(session, portgroup, vim.dvs.DistributedVirtualPortgroup, "config.configVersion")
    config = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        configVersion=version,
        defaultPortConfig=_port_config(spec, vlan=vlan, promiscuous=promiscuous, mac_management=mac_management))
    wait_for_task(session, portgroup.ReconfigureDVPortgroup_Task(config), timeout=_TASK_TIMEOUT,
                  what=f"reconfiguring port group {spec.name}")


def _host_spec(spec: StandardPortGroup, policy: object = None) -> vim.host.PortGroup.Specification:
    """The host port group spec; an update keeps the port group's current policy (security, teaming)."""
    return vim.host.PortGroup.Specification(name=spec.name, vlanId=spec.vlan, vswitchName=spec.vswitch,
                                            policy=policy or vim.host.NetworkPolicy())


def _policy(session: Session, network_system: vim.host.NetworkSystem, name: str) -> object:
    """The port group's current policy (security, teaming, shaping), which an update must keep."""
    groups = retrieve_one(session, network_system, vim.host.NetworkSystem, "networkInfo.portgroup") or ()
    return next((pg.spec.policy for pg in groups if pg.spec.name == name), None)


def standard_differences(spec: StandardPortGroup, current: StandardPortGroupInfo) -> tuple[str, ...]:
    """What differs between a declared and an existing host port group."""
    diffs = []
    if current.vswitch != spec.vswitch:
        diffs.append(f"vswitch {current.vswitch}→{spec.vswitch}")
    if current.vlan != spec.vlan:
        diffs.append(f"vlan {current.vlan}→{spec.vlan}")
    return tuple(diffs)


def ensure_standard(session: Session, placement: Placement, spec: StandardPortGroup) -> Change:
    """Add the port group to ``spec.vswitch`` on every host of the cluster, or update its VLAN/vSwitch in place."""
    hosts = inventory.hosts(session, placement)
    missing_switch = [h.name for h in hosts if h.vswitch(spec.vswitch) is None]
    if missing_switch:
        raise VSphereError(f"vSwitch {spec.vswitch!r} not found on host(s) {', '.join(missing_switch)}",
                           obj=spec.vswitch, fix=f"create {spec.vswitch} with uplink {spec.uplink} on those hosts, "
                           f"or fix vsphere_networks.standard[{spec.name}].vswitch in the lab spec")
    network_systems = inventory.network_systems(session, placement)
    created, updated = [], []
    for host in hosts:
        network_system = network_systems[host.moid]
        current = host.portgroup(spec.name)
        if current is None:
            network_system.AddPortGroup(portgrp=_host_spec(spec))
            created.append(host.name)
            continue
        diffs = standard_differences(spec, current)
        if diffs:
            network_system.UpdatePortGroup(pgName=spec.name, portgrp=_host_spec(spec, _policy(session, network_system,
                                                                                              spec.name)))
            updated.append(f"{host.name}: {', '.join(diffs)}")
    if created:
        details = (f"on {', '.join(created)}", f"vswitch {spec.vswitch}", f"vlan {spec.vlan}") + tuple(updated)
        return Change(obj=spec.name, kind="standard-portgroup", action="created", details=details)
    if updated:
        return Change(obj=spec.name, kind="standard-portgroup", action="updated", details=tuple(updated))
    return Change(obj=spec.name, kind="standard-portgroup", action="unchanged")
