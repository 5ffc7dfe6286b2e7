"""Where each NIC plugs in, resolved by the kind the lab spec declares, never "the first object
with that name".

A distributed port group is found by its switch and name (two switches may each have a ``pxe``);
a standard port group by name (it is a ``vim.Network`` shared by the hosts that have it). An
opaque network (NSX-T) is refused: fuelbot backs NICs with distributed or standard port groups
only. A VM spec read without its lab's declarations (the older ``ensure_vm`` path) resolves by
name, and refuses a name that is ambiguous.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import Row, retrieve
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session
from integrations.vsphere.vmspec import NetworkTarget
from labspec.model import VMSpec, VSphereNetworks

DVPG = vim.dvs.DistributedVirtualPortgroup
OPAQUE_FIX = ("use a distributed or standard port group for this NIC; fuelbot does not attach VMs to NSX-T "
              "opaque networks")


@dataclass(frozen=True)
class NetworkInventory:
    """The datacenter's switches, distributed port groups, standard and opaque networks."""

    switches: dict[str, str]                         # switch moid -> name
    switch_uuids: dict[str, str]                     # switch moid -> uuid
    distributed: tuple[tuple[str, str, str], ...]    # (name, key, switch moid)
    standard: frozenset[str]
    opaque: frozenset[str]


def read_networks(session: Session, placement: Placement) -> NetworkInventory:
    """One round trip over the network folder."""
    rows = retrieve(session, {vim.DistributedVirtualSwitch: ["name", "uuid"], vim.Network: ["name"],
                              DVPG: ["name", "key", "config.distributedVirtualSwitch"]},
                    root=placement.network_folder)
    return inventory_of(rows)


def inventory_of(rows: list[Row]) -> NetworkInventory:
    switches = [r for r in rows if isinstance(r.obj, vim.DistributedVirtualSwitch)]
    distributed = {}
    for row in rows:
        if isinstance(row.obj, DVPG):
            switch = row.get("config.distributedVirtualSwitch")
            distributed[row.obj._moId] = (row.get("name"), row.get("key") or row.obj._moId,
                                          switch._moId if switch is not None else "")
    plain = [r for r in rows if isinstance(r.obj, vim.Network) and not isinstance(r.obj, DVPG)]
    return NetworkInventory(
        switches={r.obj._moId: r.get("name") for r in switches},
        switch_uuids={r.obj._moId: r.get("uuid") for r in switches},
        distributed=tuple(distributed.values()),
        standard=frozenset(r.get("name") for r in plain if not isinstance(r.obj, vim.OpaqueNetwork)),
        opaque=frozenset(r.get("name") for r in plain if isinstance(r.obj, vim.OpaqueNetwork)))


def _fix(lab: str) -> str:
    return f"`/fuel preflight {lab} --fix` creates the lab's port groups"


def _distributed(inv: NetworkInventory, name: str, switch: str, *, where: str, lab: str) -> NetworkTarget:
    on_switch = [(key, moid) for pg, key, moid in inv.distributed if pg == name and inv.switches.get(moid) == switch]
    if on_switch:
        key, moid = on_switch[0]
        return NetworkTarget(name, portgroup_key=key, switch_uuid=inv.switch_uuids.get(moid))
    if name in inv.opaque:
        raise VSphereError(f"{where}: {name!r} is an NSX-T opaque network, not a distributed port group",
                           obj=name, fix=OPAQUE_FIX)
    elsewhere = sorted(inv.switches.get(moid, "?") for pg, _, moid in inv.distributed if pg == name)
    also = f" (it exists on {', '.join(elsewhere)})" if elsewhere else ""
    raise VSphereError(f"{where}: distributed port group {name!r} does not exist on switch {switch}{also}",
                       obj=name, fix=_fix(lab))


def _standard(inv: NetworkInventory, name: str, *, where: str, lab: str) -> NetworkTarget:
    if name in inv.standard:
        return NetworkTarget(name)
    if name in inv.opaque:
        raise VSphereError(f"{where}: {name!r} is an NSX-T opaque network, not a standard port group",
                           obj=name, fix=OPAQUE_FIX)
    raise VSphereError(f"{where}: standard port group {name!r} does not exist on the hosts", obj=name, fix=_fix(lab))


def _by_name(inv: NetworkInventory, name: str, *, where: str, lab: str) -> NetworkTarget:
    candidates = [(key, moid) for pg, key, moid in inv.distributed if pg == name]
    if name in inv.opaque and not candidates and name not in inv.standard:
        raise VSphereError(f"{where}: {name!r} is an NSX-T opaque network", obj=name, fix=OPAQUE_FIX)
    kinds = len(candidates) + (name in inv.standard)
    if kinds > 1:
        raise VSphereError(f"{where}: more than one network is called {name!r} (distributed on "
                           f"{', '.join(sorted(inv.switches.get(m, '?') for _, m in candidates)) or 'no switch'}"
                           f"{', and a standard port group' if name in inv.standard else ''})", obj=name,
                           fix="declare the port group in vsphere_networks (distributed with its switch, or "
                               "standard) so fuelbot knows which one you mean")
    if candidates:
        key, moid = candidates[0]
        return NetworkTarget(name, portgroup_key=key, switch_uuid=inv.switch_uuids.get(moid))
    return _standard(inv, name, where=where, lab=lab)


def resolve(spec: VMSpec, inv: NetworkInventory, declared: VSphereNetworks | None, *, lab: str) -> list[NetworkTarget]:
    """One target per NIC of ``spec``, in NIC order."""
    distributed = {p.name: p.switch for p in declared.distributed} if declared else {}
    standard = {p.name for p in declared.standard} if declared else set()
    targets = []
    for index, nic in enumerate(spec.nics):
        where = f"NIC {index + 1} of VM {spec.name}"
        if nic.portgroup in distributed:
            targets.append(_distributed(inv, nic.portgroup, distributed[nic.portgroup], where=where, lab=lab))
        elif nic.portgroup in standard:
            targets.append(_standard(inv, nic.portgroup, where=where, lab=lab))
        else:
            targets.append(_by_name(inv, nic.portgroup, where=where, lab=lab))
    return targets
