"""Where a lab lives (datacenter, cluster, datastore) and bulk reads of what is there.

Every function reads in bulk through :func:`collector.retrieve` and returns the frozen records
of :mod:`integrations.vsphere.info`; unknown objects raise a VSphereError that names the lab
spec field to fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import Row, retrieve
from integrations.vsphere.info import (DatastoreInfo, DistributedPortGroupInfo, FirewallRule, FirewallRuleset,
                                       HostInfo, StandardPortGroupInfo, VSwitchInfo)
from integrations.vsphere.session import Session

_MB = 1024 * 1024
VM_PATHS = ("name", "runtime.powerState", "config.hardware.memoryMB", "config.hardware.numCPU",
            "config.annotation", "config.hardware.device", "config.bootOptions.bootOrder")


@dataclass(frozen=True)
class Placement:
    """The morefs of the target's datacenter, cluster and datastore."""

    datacenter: Any
    vm_folder: Any
    network_folder: Any
    cluster: Any
    resource_pool: Any
    hosts: tuple[Any, ...]
    datastore: Any
    datastore_name: str


def _names(rows: list[Row]) -> str:
    return ", ".join(sorted(str(r.get("name")) for r in rows)) or "none"


def resolve_placement(session: Session) -> Placement:
    """Find the target's datacenter, cluster and datastore, or say which spec field is wrong."""
    target = session.target
    dcs = retrieve(session, {vim.Datacenter: ["name", "vmFolder", "hostFolder", "networkFolder"]})
    dc = next((r for r in dcs if r.get("name") == target.datacenter), None)
    if dc is None:
        raise VSphereError(f"datacenter {target.datacenter!r} not found in vCenter at {session.url} "
                           f"(it has: {_names(dcs)})", obj=target.datacenter,
                           fix="set vcenter.datacenter in the lab spec (VCENTER_DATACENTER)")
    rows = retrieve(session, {vim.ClusterComputeResource: ["name", "resourcePool", "host"],
                              vim.Datastore: ["name"]}, root=dc.obj)
    clusters = [r for r in rows if isinstance(r.obj, vim.ClusterComputeResource)]
    stores = [r for r in rows if isinstance(r.obj, vim.Datastore)]
    cluster = next((r for r in clusters if r.get("name") == target.cluster), None)
    if cluster is None:
        raise VSphereError(f"cluster {target.cluster!r} not found in datacenter {target.datacenter} "
                           f"(it has: {_names(clusters)})", obj=target.cluster,
                           fix="set vcenter.cluster in the lab spec (VCENTER_CLUSTER)")
    store = next((r for r in stores if r.get("name") == target.datastore), None)
    if store is None:
        raise VSphereError(f"datastore {target.datastore!r} not found in datacenter {target.datacenter} "
                           f"(it has: {_names(stores)})", obj=target.datastore,
                           fix="set vcenter.datastore in the lab spec (VCENTER_DATASTORE)")
    return Placement(datacenter=dc.obj, vm_folder=dc.get("vmFolder"), network_folder=dc.get("networkFolder"),
                     cluster=cluster.obj, resource_pool=cluster.get("resourcePool"),
                     hosts=tuple(cluster.get("host") or ()), datastore=store.obj, datastore_name=target.datastore)


def datastores(session: Session, placement: Placement) -> list[DatastoreInfo]:
    """Every datastore of the datacenter with capacity and free space."""
    rows = retrieve(session, {vim.Datastore: ["name", "summary.capacity", "summary.freeSpace",
                                              "summary.accessible"]}, root=placement.datacenter)
    return [DatastoreInfo(name=r.get("name"), moid=r.obj._moId, capacity=int(r.get("summary.capacity") or 0),
                          free=int(r.get("summary.freeSpace") or 0),
                          accessible=bool(r.get("summary.accessible", True))) for r in rows]


def network_rows(session: Session, placement: Placement) -> tuple[list[Row], list[Row]]:
    """(distributed switches, distributed port groups) of the datacenter, in one round trip."""
    rows = retrieve(session, {vim.DistributedVirtualSwitch: ["name", "uuid"],
                              vim.dvs.DistributedVirtualPortgroup: ["name", "key", "config.distributedVirtualSwitch",
                                                                    "config.defaultPortConfig"]},
                    root=placement.network_folder)
    switches = [r for r in rows if isinstance(r.obj, vim.DistributedVirtualSwitch)]
    portgroups = [r for r in rows if isinstance(r.obj, vim.dvs.DistributedVirtualPortgroup)]
    return switches, portgroups


def distributed_portgroups(session: Session, placement: Placement) -> list[DistributedPortGroupInfo]:
    """Every distributed port group of the datacenter (each once: vcsim lists some twice)."""
    switches, portgroups = network_rows(session, placement)
    return [to_dvpg(r, switches) for r in portgroups]


def to_dvpg(row: Row, switches: list[Row]) -> DistributedPortGroupInfo:
    """Convert a port-group row, naming its switch from ``switches``."""
    switch = row.get("config.distributedVirtualSwitch")
    switch_name = next((s.get("name") for s in switches if switch is not None and s.obj._moId == switch._moId), None)
    config = row.get("config.defaultPortConfig")
    vlan_spec = getattr(config, "vlan", None)
    vlan: int | None = None
    trunk: tuple[tuple[int, int], ...] = ()
    if isinstance(vlan_spec, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        vlan = int(vlan_spec.vlanId)
    elif isinstance(vlan_spec, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        trunk = tuple((int(r.start), int(r.end)) for r in vlan_spec.vlanId or ())
    security = getattr(config, "securityPolicy", None)
    promiscuous = getattr(getattr(security, "allowPromiscuous", None), "value", None)
    return DistributedPortGroupInfo(name=row.get("name"), moid=row.obj._moId, key=row.get("key") or row.obj._moId,
                                    switch=switch_name, vlan=vlan, trunk=trunk, promiscuous=bool(promiscuous))


def hosts(session: Session, placement: Placement) -> list[HostInfo]:
    """The cluster's hosts with vSwitches, uplinks, live port groups and firewall rulesets."""
    host_rows = retrieve(session, {vim.HostSystem: [
        "name", "runtime.connectionState", "summary.hardware.memorySize", "summary.quickStats.overallMemoryUsage",
        "config.network.vswitch", "config.network.pnic", "config.firewall", "configManager.networkSystem"]},
        root=placement.cluster)
    systems = [r.get("configManager.networkSystem") for r in host_rows if r.get("configManager.networkSystem")]
    net_rows = retrieve(session, {vim.host.NetworkSystem: ["networkInfo.vswitch", "networkInfo.portgroup"]},
                        objects=systems) if systems else []
    net_by_moid = {r.obj._moId: r for r in net_rows}
    result = []
    for row in sorted(host_rows, key=lambda r: r.get("name") or ""):
        system = row.get("configManager.networkSystem")
        net = net_by_moid.get(system._moId) if system is not None else None
        result.append(_to_host(row, net))
    return result


def _to_host(row: Row, net: Row | None) -> HostInfo:
    name = row.get("name")
    pnic_names = {p.key: p.device for p in row.get("config.network.pnic") or ()}
    static = {v.name: v for v in row.get("config.network.vswitch") or ()}
    live = {v.name: v for v in (net.get("networkInfo.vswitch") if net else None) or ()} or static
    portgroups = tuple(
        StandardPortGroupInfo(host=name, name=pg.spec.name, vswitch=pg.spec.vswitchName,
                              vlan=int(pg.spec.vlanId or 0),
                              promiscuous=getattr(getattr(pg.spec.policy, "security", None), "allowPromiscuous", None))
        for pg in ((net.get("networkInfo.portgroup") if net else None) or ()))
    vswitches = []
    for vs_name, vswitch in live.items():
        # vcsim leaves networkInfo.vswitch[].pnic empty; the static config.network copy has the uplinks.
        source = vswitch if vswitch.pnic else static.get(vs_name, vswitch)
        uplinks = [pnic_names.get(k, k.rsplit("-", 1)[-1]) for k in source.pnic or ()]
        bridge = getattr(getattr(source, "spec", None), "bridge", None)
        uplinks += [d for d in getattr(bridge, "nicDevice", None) or () if d not in uplinks]
        vswitches.append(VSwitchInfo(name=vs_name, uplinks=tuple(uplinks),
                                     portgroups=tuple(p.name for p in portgroups if p.vswitch == vs_name)))
    firewall = row.get("config.firewall")
    rulesets = None if firewall is None else tuple(
        FirewallRuleset(key=rs.key, label=rs.label or rs.key, enabled=bool(rs.enabled),
                        rules=tuple(FirewallRule(port=int(r.port), end_port=int(r.endPort or r.port),
                                                 direction=r.direction, protocol=r.protocol) for r in rs.rule or ()))
        for rs in firewall.ruleset or ())
    return HostInfo(name=name, moid=row.obj._moId,
                    connection_state=str(row.get("runtime.connectionState", "unknown")),
                    memory_mb=int(row.get("summary.hardware.memorySize") or 0) // _MB,
                    memory_used_mb=int(row.get("summary.quickStats.overallMemoryUsage") or 0),
                    vswitches=tuple(vswitches), portgroups=portgroups, firewall=rulesets)


def network_systems(session: Session, placement: Placement) -> dict[str, Any]:
    """Host moid → its HostNetworkSystem moref, for the cluster's hosts."""
    rows = retrieve(session, {vim.HostSystem: ["configManager.networkSystem"]}, objects=placement.hosts)
    return {r.obj._moId: r.get("configManager.networkSystem") for r in rows}


def vm_rows(session: Session, placement: Placement, paths: tuple[str, ...] = ("name",)) -> list[Row]:
    """``paths`` of every VM in the datacenter's VM folder."""
    return retrieve(session, {vim.VirtualMachine: list(paths)}, root=placement.vm_folder)
