"""The MACs in use across a whole vCenter (every datacenter), and the duplicates among them.

Read once before creating VMs (so new MACs step past them) and once after (a VM created by
someone else meanwhile, or a MAC vCenter changed, shows up as a duplicate and fails the step).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyVmomi import vim

from integrations.vsphere.collector import retrieve
from integrations.vsphere.session import Session

Dev = vim.vm.device


def nic_macs(props: Mapping[str, Any]) -> tuple[str, ...]:
    """MACs of a VM's NICs in device-key order, from its ``config.hardware.device``."""
    nics = sorted((d for d in props.get("config.hardware.device") or () if isinstance(d, Dev.VirtualEthernetCard)),
                  key=lambda d: d.key)
    return tuple((n.macAddress or "").lower() for n in nics)


def mac_owners(session: Session) -> dict[str, list[str]]:
    """MAC → names of the VMs using it, for every VM of every datacenter (one round trip)."""
    owners: dict[str, list[str]] = {}
    for row in retrieve(session, {vim.VirtualMachine: ["name", "config.hardware.device"]}):
        for mac in nic_macs(row.props):
            if mac:
                owners.setdefault(mac, []).append(row.get("name"))
    return owners


def duplicate_problem(vm: str, macs: Sequence[str], owners: Mapping[str, list[str]]) -> str | None:
    """Why ``vm``'s MACs are not unique in the vCenter, or None."""
    shared = [m for m in macs if len(owners.get(m, ())) > 1]
    if not shared:
        return None
    others = sorted({n for m in shared for n in owners[m] if n != vm}) or [vm]
    return f"MAC {', '.join(shared)} is also used by VM {', '.join(others)}; duplicate MACs break PXE and Fuel's discovery"
