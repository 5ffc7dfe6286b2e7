"""On which host a lab VM can run, and whether vCenter should choose.

A host qualifies when it is connected, powered on and not in maintenance mode, mounts the VM's
datastore and the ISO's, is a member of every distributed switch the VM's NICs use (the pxe
switch among them) and has every standard port group they use. With DRS on, vCenter places the
VM (the host is left out of CreateVM_Task, as the API allows for a DRS cluster, and DRS keeps to
compatible hosts); in manual mode or without DRS, fuelbot picks the qualifying host with the most
free memory. Hosts that do not qualify are
skipped and named in the report, never fatal while one qualifies.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import retrieve_one
from integrations.vsphere.info import HostInfo
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session

_FULLY_AUTOMATED = "fullyAutomated"


@dataclass(frozen=True)
class DrsState:
    """The cluster's DRS setting: vCenter places VMs when it is on (and automated)."""

    enabled: bool
    behavior: str                      # fullyAutomated | partiallyAutomated | manual

    @property
    def places_vms(self) -> bool:
        """vCenter chooses the host of a new VM (partially or fully automated DRS)."""
        return self.enabled and self.behavior != "manual"

    @property
    def fully_automated(self) -> bool:
        return self.enabled and self.behavior == _FULLY_AUTOMATED


def read_drs(session: Session, placement: Placement) -> DrsState:
    """DRS of the target cluster (``configurationEx.drsConfig``)."""
    config = retrieve_one(session, placement.cluster, vim.ClusterComputeResource, "configurationEx")
    drs = getattr(config, "drsConfig", None)
    # An unset defaultVmBehavior means fully automated (vSphere API reference, ClusterDrsConfigInfo).
    return DrsState(enabled=bool(getattr(drs, "enabled", False)),
                    behavior=str(getattr(drs, "defaultVmBehavior", None) or _FULLY_AUTOMATED))


@dataclass(frozen=True)
class VMNeeds:
    """What a VM asks of its host."""

    datastores: tuple[str, ...]       # the VM's datastore and the ISO's
    switches: tuple[str, ...]         # distributed switches of its NICs
    standard: tuple[str, ...]         # standard port groups of its NICs


def why_not(host: HostInfo, needs: VMNeeds) -> str | None:
    """Why ``host`` cannot run a VM with ``needs`` ("disconnected", "does not mount ds1"), or None."""
    if not host.usable:
        return host.state_text()
    missing_ds = [d for d in needs.datastores if d not in host.datastores]
    if missing_ds:
        return f"does not mount {', '.join(missing_ds)}"
    missing_switch = [s for s in needs.switches if s not in host.switches]
    if missing_switch:
        return f"is not a member of switch {', '.join(missing_switch)}"
    missing_pg = [p for p in needs.standard if p not in host.networks]
    if missing_pg:
        return f"has no port group {', '.join(missing_pg)}"
    return None


@dataclass(frozen=True)
class HostChoice:
    """Where CreateVM_Task should put a VM: ``host`` None means "DRS chooses among ``eligible``"."""

    host: Any | None
    eligible: tuple[str, ...]
    skipped: tuple[str, ...]          # "DC0_C0_H1: disconnected"


def choose(hosts: Sequence[HostInfo], refs: dict[str, Any], needs: VMNeeds, drs: DrsState, *,
           cluster: str, vm: str) -> HostChoice:
    """The host for ``vm`` (or DRS), or a VSphereError naming why no host qualifies."""
    eligible, skipped = [], []
    for host in hosts:
        reason = why_not(host, needs)
        if reason is None:
            eligible.append(host)
        else:
            skipped.append(f"{host.name}: {reason}")
    if not eligible:
        raise VSphereError(f"no host of cluster {cluster} can run VM {vm}: {'; '.join(skipped) or 'no hosts'}",
                           obj=cluster, fix="reconnect a host or take it out of maintenance mode, mount the "
                           "datastores on it and add it to the switches the lab uses")
    names = tuple(h.name for h in eligible)
    if drs.places_vms:
        return HostChoice(host=None, eligible=names, skipped=tuple(skipped))
    best = max(eligible, key=lambda h: h.memory_mb - h.memory_used_mb)
    return HostChoice(host=refs[best.moid], eligible=names, skipped=tuple(skipped))
