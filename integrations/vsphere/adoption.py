"""Taking over the VMs an older fuelbot made for a lab, which it has no record of.

Before per-lab folders and ownership records, fuelbot marked its VMs only with the annotation
``fuelbot lab=<lab>`` and left them in the datacenter's VM folder (later, in the lab's folder but
unrecorded). The annotation proves nothing (a clone copies it, anyone can type it), so fuelbot
never takes such a VM over by itself: an admin asks (``/fuel adopt <lab>``), and for each of the
lab's VM names the one VM that carries the lab's marker and is not recorded yet is moved into the
lab's folder (Folder.MoveIntoFolder_Task; a running VM may move, the folder is inventory only) and
returned for the caller to record. Two such VMs of one name, or a name the lab's folder already
holds (DuplicateName), are refused with their morefs for a person to sort out.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from integrations.vsphere.collector import Row, retrieve, wait_for_task
from integrations.vsphere.folders import ensure_folder
from integrations.vsphere.info import owner_annotation
from integrations.vsphere.inventory import Placement
from integrations.vsphere.macs_in_use import nic_macs
from integrations.vsphere.ownership import OwnedVM
from integrations.vsphere.session import Session

ROOT_FOLDER = "the datacenter's VM folder"
_PATHS = ["name", "parent", "config.instanceUuid", "config.annotation", "config.hardware.device"]


@dataclass(frozen=True)
class Adoption:
    """One VM name's outcome: ``adopted`` (``owned`` is to be recorded; ``moved_from`` names the folder
    it left, "" when it already was in the lab's folder) or ``refused`` (``reason`` says why)."""

    name: str
    action: str                    # adopted | refused
    owned: OwnedVM | None = None
    moved_from: str = ""
    reason: str = ""

    @classmethod
    def ambiguous(cls, name: str, marker: str, places: Sequence[str]) -> Adoption:
        """Refused: several unrecorded VMs of that name carry the marker (``places``: "<moid> in <folder>")."""
        return cls(name, "refused", reason=f"{len(places)} VMs named {name!r} carry the marker '{marker}' "
                   f"({', '.join(places)}); fuelbot cannot tell which one is the lab's")

    @classmethod
    def name_taken(cls, name: str, *, folder: str, holder: str, moid: str, stays_in: str) -> Adoption:
        """Refused: the lab's folder already holds a VM of that name (``holder``), so this one stays put."""
        return cls(name, "refused", reason=f"{folder} already holds a VM named {name!r} ({holder}); "
                   f"this one ({moid}) stays in {stays_in}")


def _folder_paths(session: Session, placement: Placement) -> dict[str, str]:
    """moid → path under the datacenter's VM folder ("" for that folder itself), in one round trip."""
    rows = retrieve(session, {vim.Folder: ["name", "parent"]}, root=placement.vm_folder)
    parents = {r.obj._moId: (getattr(r.get("parent"), "_moId", ""), str(r.get("name"))) for r in rows}
    paths = {placement.vm_folder._moId: ""}

    def path(moid: str) -> str:
        if moid not in paths:
            parent, name = parents[moid]
            above = path(parent) if parent in parents or parent in paths else ""
            paths[moid] = f"{above}/{name}" if above else name
        return paths[moid]

    for moid in parents:
        path(moid)
    return paths


def adopt(session: Session, placement: Placement, *, lab: str, names: Sequence[str], recorded: Collection[str],
          folder_path: str, timeout: float = 300.0) -> list[Adoption]:
    """Move into the lab's folder the one unrecorded VM per name that carries the lab's owner marker.

    ``recorded`` holds the morefs fuelbot already has records of (never candidates). A name with no
    candidate has no outcome.
    """
    folder = ensure_folder(session, placement, folder_path)
    rows = retrieve(session, {vim.VirtualMachine: _PATHS}, root=placement.datacenter)
    paths = _folder_paths(session, placement)
    marker = owner_annotation(lab)

    def where(row: Row) -> str:
        return paths.get(getattr(row.get("parent"), "_moId", ""), "?") or ROOT_FOLDER

    outcomes = []
    for name in names:
        marked = [r for r in rows if r.get("name") == name and r.obj._moId not in recorded
                  and marker in (r.get("config.annotation") or "").splitlines()]
        if not marked:
            continue
        if len(marked) > 1:
            outcomes.append(Adoption.ambiguous(name, marker, [f"{r.obj._moId} in {where(r)}" for r in marked]))
            continue
        row = marked[0]
        moved_from = ""
        if getattr(row.get("parent"), "_moId", None) != folder._moId:
            try:
                wait_for_task(session, folder.MoveIntoFolder_Task([row.obj]), timeout=timeout,
                              what=f"moving VM {name} into {folder_path}")
            except vim.fault.DuplicateName as exc:
                other = getattr(getattr(exc, "object", None), "_moId", "another VM")
                outcomes.append(Adoption.name_taken(name, folder=folder_path, holder=other, moid=row.obj._moId,
                                                    stays_in=where(row)))
                continue
            moved_from = where(row)
        outcomes.append(Adoption(name, "adopted", owned=_owned(row, lab, session.vcenter_uuid, folder_path),
                                 moved_from=moved_from))
    return outcomes


def _owned(row: Row, lab: str, vcenter: str, folder_path: str) -> OwnedVM:
    props: dict[str, Any] = dict(row.props)
    return OwnedVM(lab=lab, name=str(props.get("name")), moid=row.obj._moId,
                   instance_uuid=str(props.get("config.instanceUuid") or ""), vcenter_uuid=vcenter,
                   folder=folder_path, macs=nic_macs(props))
