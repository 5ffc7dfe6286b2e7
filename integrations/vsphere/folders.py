"""The lab's VM folder (``fuelbot/<lab>`` unless the spec says otherwise) and resource pool.

Paths are relative: a folder path under the datacenter's VM folder, a pool path under the
cluster's root resource pool. fuelbot creates its folders (Folder.CreateFolder; a concurrent
creation by another replica shows as DuplicateName and is read back) but never resource pools,
which are an administrator's capacity decision.
"""
from __future__ import annotations

from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import retrieve
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session
from labspec.model import VCenterTarget
from labspec.vcenter import DEFAULT_FOLDER


def lab_folder_path(target: VCenterTarget, lab: str) -> str:
    """The lab's folder path: the spec's ``vcenter.folder`` or ``fuelbot/<lab>``."""
    return target.folder or DEFAULT_FOLDER.format(lab=lab)


def _children(session: Session, root: Any, kind: type) -> dict[tuple[str, str], Any]:
    """(parent moid, name) → object, for every ``kind`` under ``root``, in one round trip."""
    rows = retrieve(session, {kind: ["name", "parent"]}, root=root)
    return {(r.get("parent")._moId if r.get("parent") is not None else "", r.get("name")): r.obj for r in rows}


def find_folder(session: Session, placement: Placement, path: str) -> Any | None:
    """The folder at ``path`` under the datacenter's VM folder, or None."""
    tree = _children(session, placement.vm_folder, vim.Folder)
    node = placement.vm_folder
    for part in path.split("/"):
        node = tree.get((node._moId, part))
        if node is None:
            return None
    return node


def ensure_folder(session: Session, placement: Placement, path: str) -> Any:
    """The folder at ``path``, created part by part where missing."""
    tree = _children(session, placement.vm_folder, vim.Folder)
    node = placement.vm_folder
    for part in path.split("/"):
        child = tree.get((node._moId, part))
        if child is None:
            try:
                child = node.CreateFolder(part)
            except vim.fault.DuplicateName as exc:   # another replica made it a moment ago
                child = exc.object if isinstance(exc.object, vim.Folder) else None
                if child is None:
                    raise VSphereError(f"cannot create folder {part!r} in {path!r}: something else is called "
                                       f"{part!r} there", obj=path,
                                       fix="rename that object, or set vcenter.folder to another path") from exc
        node = child
    return node


def resolve_pool(session: Session, placement: Placement, path: str | None) -> Any:
    """The resource pool at ``path`` under the cluster's root pool (the root itself when None)."""
    if not path:
        return placement.resource_pool
    tree = _children(session, placement.cluster, vim.ResourcePool)
    node = placement.resource_pool
    for part in path.split("/"):
        node = tree.get((node._moId, part))
        if node is None:
            raise VSphereError(f"resource pool {path!r} not found in cluster {placement.cluster_name} (no {part!r})",
                               obj=path, fix="create the pool in vCenter, or fix vcenter.resource_pool in the lab spec")
    return node
