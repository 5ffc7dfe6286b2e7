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
                                       HostInfo, NicInfo, StandardPortGroupInfo, TeamingInfo, VMInfo, VSwitchInfo)
from integrations.vsphere.session import Session
from integrations.vsphere.vmspec import read_boot_order
from labspec.model import VCenterTarget

_MB = 1024 * 1024
Dev = vim.vm.device
VM_PATHS = ("name", "runtime.powerState", "config.hardware.memoryMB", "config.hardware.numCPU",
            "config.annotation", "config.hardware.device", "config.bootOptions.bootOrder", "config.instanceUuid")


@dataclass(frozen=True)
class Placement:
    """The morefs of the target's datacenter, cluster and datastore (and their names, for messages)."""

    datacenter_name: str
    cluster_name: str
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


def resolve_placement(session: Session, target: VCenterTarget) -> Placement:
    """Find the target's datacenter, cluster and datastore, or say which spec field is wrong."""
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
    return Placement(datacenter_name=target.datacenter, cluster_name=target.cluster, datacenter=dc.obj, vm_folder=dc.get("vmFolder"), network_folder=dc.get("networkFolder"),
                     cluster=cluster.obj, resource_pool=cluster.get("resourcePool"),
                     hosts=tuple(cluster.get("host") or ()), datastore=store.obj, datastore_name=target.datastore)


def datastores(session: Session, placement: Placement) -> list[DatastoreInfo]:
    """Every datastore of the datacenter with capacity and free space."""
    rows = retrieve(session, {vim.Datastore: ["name", "summary.capacity", "summary.freeSpace",
                                              "summary.accessible", "summary.type"]}, root=placement.datacenter)
    return [DatastoreInfo(name=r.get("name"), moid=r.obj._moId, capacity=int(r.get("summary.capacity") or 0),
                          free=int(r.get("summary.freeSpace") or 0),
                          accessible=bool(r.get("summary.accessible", True)), kind=str(r.get("summary.type") or ""))
            for r in rows]


def _active_uplinks(setting: Any) -> tuple[str, ...] | None:
    """Active uplinks a port setting names, or None when it inherits them."""
    order = getattr(getattr(setting, "uplinkTeamingPolicy", None), "uplinkPortOrder", None)
    if order is None or getattr(order, "inherited", False):
        return None
    return tuple(order.activeUplinkPort or ())


def teaming(session: Session, placement: Placement) -> list[TeamingInfo]:
    """Each distributed port group's active uplinks and its switch's LACP LAGs, in one round trip."""
    rows = retrieve(session, {vim.DistributedVirtualSwitch: ["name", "config"],
                              vim.dvs.DistributedVirtualPortgroup: ["name", "config.distributedVirtualSwitch",
                                                                    "config.defaultPortConfig"]},
                    root=placement.network_folder)
    switches = {}
    for row in rows:
        if isinstance(row.obj, vim.DistributedVirtualSwitch):
            config = row.get("config")
            uplinks = tuple(getattr(getattr(config, "uplinkPortPolicy", None), "uplinkPortName", None) or ())
            default = _active_uplinks(getattr(config, "defaultPortConfig", None))
            lags = tuple(g.name for g in getattr(config, "lacpGroupConfig", None) or ())
            switches[row.obj._moId] = (row.get("name"), default if default is not None else uplinks, lags)
    result = []
    for row in rows:
        switch = row.get("config.distributedVirtualSwitch")
        if not isinstance(row.obj, vim.dvs.DistributedVirtualPortgroup) or switch is None:
            continue
        name, default, lags = switches.get(switch._moId, ("?", (), ()))
        own = _active_uplinks(row.get("config.defaultPortConfig"))
        result.append(TeamingInfo(portgroup=row.get("name"), switch=name,
                                  active=own if own is not None else default, lags=lags))
    return result


def network_rows(session: Session, placement: Placement) -> tuple[list[Row], list[Row]]:
    """(distributed switches, distributed port groups) of the datacenter, in one round trip."""
    rows = retrieve(session, {vim.DistributedVirtualSwitch: ["name", "uuid", "summary.productInfo.version"],
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


HOST_PATHS = ("name", "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
              "summary.hardware.memorySize", "summary.quickStats.overallMemoryUsage", "config.network.vswitch",
              "config.network.pnic", "config.firewall", "configManager.networkSystem", "datastore", "network",
              "config.product.version")


def hosts(session: Session, placement: Placement) -> list[HostInfo]:
    """The cluster's hosts with state, datastores, networks, vSwitches, uplinks, port groups and firewall."""
    host_rows = retrieve(session, {vim.HostSystem: list(HOST_PATHS)}, root=placement.cluster)
    systems = [r.get("configManager.networkSystem") for r in host_rows if r.get("configManager.networkSystem")]
    net_rows = retrieve(session, {vim.host.NetworkSystem: ["networkInfo.vswitch", "networkInfo.portgroup"]},
                        objects=systems) if systems else []
    net_by_moid = {r.obj._moId: r for r in net_rows}
    names = _names_of(session, [ref for r in host_rows for ref in (r.get("datastore") or ()) + (r.get("network") or ())])
    switches = _switch_members(session, placement)
    result = []
    for row in sorted(host_rows, key=lambda r: r.get("name") or ""):
        system = row.get("configManager.networkSystem")
        net = net_by_moid.get(system._moId) if system is not None else None
        result.append(_to_host(row, net, names, switches))
    return result


def _names_of(session: Session, refs: list[Any]) -> dict[str, str]:
    """moid → name of ``refs`` (datastores, networks), in one round trip."""
    unique = list({ref._moId: ref for ref in refs}.values())
    if not unique:
        return {}
    kinds = {type(ref) for ref in unique}
    rows = retrieve(session, {kind: ["name"] for kind in kinds}, objects=unique)
    return {r.obj._moId: r.get("name") for r in rows}


def _switch_members(session: Session, placement: Placement) -> dict[str, tuple[str, ...]]:
    """Host moid → names of the distributed switches it is a member of."""
    rows = retrieve(session, {vim.DistributedVirtualSwitch: ["name", "summary.hostMember"]},
                    root=placement.network_folder)
    members: dict[str, list[str]] = {}
    for row in rows:
        for host in row.get("summary.hostMember") or ():
            members.setdefault(host._moId, []).append(row.get("name"))
    return {moid: tuple(sorted(names)) for moid, names in members.items()}


def _to_host(row: Row, net: Row | None, names: dict[str, str], switches: dict[str, tuple[str, ...]]) -> HostInfo:
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
    networks = row.get("network") or ()
    return HostInfo(name=name, moid=row.obj._moId,
                    connection_state=str(row.get("runtime.connectionState", "unknown")),
                    memory_mb=int(row.get("summary.hardware.memorySize") or 0) // _MB,
                    memory_used_mb=int(row.get("summary.quickStats.overallMemoryUsage") or 0),
                    vswitches=tuple(vswitches), portgroups=portgroups, firewall=rulesets,
                    power_state=str(row.get("runtime.powerState", "poweredOn")),
                    maintenance=bool(row.get("runtime.inMaintenanceMode")),
                    datastores=tuple(sorted(names.get(d._moId, d._moId) for d in row.get("datastore") or ())),
                    networks=tuple(sorted(names.get(n._moId, n._moId) for n in networks
                                          if not isinstance(n, vim.dvs.DistributedVirtualPortgroup))),
                    switches=switches.get(row.obj._moId, ()),
                    version=str(row.get("config.product.version") or ""))


def to_info(row: Row, dvpg_names: dict[str, str]) -> VMInfo:
    """Build a VMInfo from a row read with ``inventory.VM_PATHS``."""
    devices = row.get("config.hardware.device") or ()
    nics = []
    for nic in sorted((d for d in devices if isinstance(d, Dev.VirtualEthernetCard)), key=lambda d: d.key):
        backing = nic.backing
        if isinstance(backing, Dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
            key = backing.port.portgroupKey
            network = dvpg_names.get(str(key)) if key else None
        else:
            network = getattr(backing, "deviceName", None)
        nics.append(NicInfo(key=int(nic.key), mac=(nic.macAddress or "").lower(), network_name=network))
    iso = next((d.backing.fileName for d in devices if isinstance(d, Dev.VirtualCdrom)
                and isinstance(d.backing, Dev.VirtualCdrom.IsoBackingInfo)), None)
    return VMInfo(name=row.get("name"), moid=row.obj._moId, power_state=str(row.get("runtime.powerState", "unknown")),
                  memory_mb=int(row.get("config.hardware.memoryMB") or 0),
                  cpus=int(row.get("config.hardware.numCPU") or 0),
                  annotation=row.get("config.annotation") or "", nics=tuple(nics),
                  boot_order=read_boot_order(row.get("config.bootOptions.bootOrder")), iso=iso,
                  instance_uuid=str(row.get("config.instanceUuid") or ""))


def network_systems(session: Session, placement: Placement) -> dict[str, Any]:
    """Host moid → its HostNetworkSystem moref, for the cluster's hosts."""
    rows = retrieve(session, {vim.HostSystem: ["configManager.networkSystem"]}, objects=placement.hosts)
    return {r.obj._moId: r.get("configManager.networkSystem") for r in rows}


def vm_rows(session: Session, placement: Placement, paths: tuple[str, ...] = ("name",)) -> list[Row]:
    """``paths`` of every VM in the datacenter's VM folder."""
    return retrieve(session, {vim.VirtualMachine: list(paths)}, root=placement.vm_folder)
