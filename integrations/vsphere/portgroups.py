"""Make the lab's port groups exist exactly as declared: create, reconfigure, or leave alone.

Distributed port groups are reconfigured with a COMPLETE spec copied from the current config:
vcsim (unlike vCenter) replaces the whole config with whatever partial spec it is sent.
Standard port groups are "updated" by remove + add, because vcsim does not implement
UpdatePortGroup. vcsim also refuses the same host port group name on a second host
(DuplicateName); that is reported in ``Change.notes``, never hidden.
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
VCSIM_DUPLICATE_NOTE = "vcsim keeps one host port group per name per datacenter and refused it"


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


def _port_config(spec: DistributedPortGroup, base: DVS.VmwarePortConfigPolicy | None = None
                 ) -> DVS.VmwarePortConfigPolicy:
    config = base if base is not None else DVS.VmwarePortConfigPolicy()
    config.vlan = DVS.VlanIdSpec(vlanId=spec.vlan, inherited=False)
    security = config.securityPolicy or DVS.SecurityPolicy(inherited=False)
    security.inherited = False
    security.allowPromiscuous = vim.BoolPolicy(value=spec.promiscuous, inherited=False)
    config.securityPolicy = security
    return config


def ensure_distributed(session: Session, placement: Placement, spec: DistributedPortGroup) -> Change:
    """Create the port group on its switch, or reconfigure VLAN/promiscuous mode to match ``spec``."""
    switches, rows = inventory.network_rows(session, placement)
    switch = next((s for s in switches if s.get("name") == spec.switch), None)
    if switch is None:
        raise VSphereError(f"distributed switch {spec.switch!r} not found in datacenter {session.target.datacenter}",
                           obj=spec.switch, fix="create the switch in vCenter, or fix "
                           f"vsphere_networks.distributed[{spec.name}].switch in the lab spec")
    row = next((r for r in rows if r.get("name") == spec.name), None)
    if row is None:
        config = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            name=spec.name, type="earlyBinding", numPorts=_NEW_PORTS, autoExpand=True,
            defaultPortConfig=_port_config(spec))
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
    _reconfigure(session, row.obj, spec)
    _, after = inventory.network_rows(session, placement)
    readback = next((inventory.to_dvpg(r, switches) for r in after if r.obj._moId == row.obj._moId), None)
    if readback is None or distributed_differences(spec, readback):
        raise VSphereError(f"vCenter accepted the reconfiguration of port group {spec.name} but still reports "
                           f"{readback}", obj=spec.name, fix="set VLAN and promiscuous mode by hand in vCenter")
    return Change(obj=spec.name, kind="distributed-portgroup", action="updated", details=diffs)


def _reconfigure(session: Session, portgroup: vim.dvs.DistributedVirtualPortgroup,
                 spec: DistributedPortGroup) -> None:
    current = retrieve_one(session, portgroup, vim.dvs.DistributedVirtualPortgroup, "config")
    config = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        configVersion=current.configVersion, name=current.name, numPorts=current.numPorts, type=current.type,
        description=current.description, autoExpand=current.autoExpand, policy=current.policy,
        portNameFormat=current.portNameFormat, defaultPortConfig=_port_config(spec, current.defaultPortConfig))
    wait_for_task(session, portgroup.ReconfigureDVPortgroup_Task(config), timeout=_TASK_TIMEOUT,
                  what=f"reconfiguring port group {spec.name}")


def _host_spec(spec: StandardPortGroup) -> vim.host.PortGroup.Specification:
    return vim.host.PortGroup.Specification(name=spec.name, vlanId=spec.vlan, vswitchName=spec.vswitch,
                                            policy=vim.host.NetworkPolicy())


def standard_differences(spec: StandardPortGroup, current: StandardPortGroupInfo) -> tuple[str, ...]:
    """What differs between a declared and an existing host port group."""
    diffs = []
    if current.vswitch != spec.vswitch:
        diffs.append(f"vswitch {current.vswitch}→{spec.vswitch}")
    if current.vlan != spec.vlan:
        diffs.append(f"vlan {current.vlan}→{spec.vlan}")
    return tuple(diffs)


def ensure_standard(session: Session, placement: Placement, spec: StandardPortGroup, *,
                    simulator: bool) -> Change:
    """Add the port group to ``spec.vswitch`` on every host of the cluster, or fix its VLAN/vSwitch."""
    hosts = inventory.hosts(session, placement)
    missing_switch = [h.name for h in hosts if h.vswitch(spec.vswitch) is None]
    if missing_switch:
        raise VSphereError(f"vSwitch {spec.vswitch!r} not found on host(s) {', '.join(missing_switch)}",
                           obj=spec.vswitch, fix=f"create {spec.vswitch} with uplink {spec.uplink} on those hosts, "
                           f"or fix vsphere_networks.standard[{spec.name}].vswitch in the lab spec")
    network_systems = inventory.network_systems(session, placement)
    created, updated, refused = [], [], []
    for host in hosts:
        network_system = network_systems[host.moid]
        current = host.portgroup(spec.name)
        if current is not None:
            diffs = standard_differences(spec, current)
            if diffs:
                network_system.RemovePortGroup(pgName=spec.name)
                network_system.AddPortGroup(portgrp=_host_spec(spec))
                updated.append(f"{host.name}: {', '.join(diffs)}")
            continue
        try:
            network_system.AddPortGroup(portgrp=_host_spec(spec))
            created.append(host.name)
        except (vim.fault.DuplicateName, vim.fault.AlreadyExists):
            if not simulator:
                raise
            refused.append(host.name)
    notes = (f"not on {', '.join(refused)}: {VCSIM_DUPLICATE_NOTE}",) if refused else ()
    if created:
        details = (f"on {', '.join(created)}", f"vswitch {spec.vswitch}", f"vlan {spec.vlan}") + tuple(updated)
        return Change(obj=spec.name, kind="standard-portgroup", action="created", details=details, notes=notes)
    if updated:
        return Change(obj=spec.name, kind="standard-portgroup", action="updated", details=tuple(updated), notes=notes)
    return Change(obj=spec.name, kind="standard-portgroup", action="unchanged", notes=notes)
