"""Snapshot sizes from a VM's layoutEx, as govc computes them (govmomi object.SnapshotSize), plus memory."""
from __future__ import annotations

from pyVmomi import vim

from integrations.vsphere.snapshots import snapshot_size

Layout = vim.vm.FileLayoutEx
GB = 1024 ** 3


def _file(key: int, name: str, kind: str, size: int) -> Layout.FileInfo:
    return Layout.FileInfo(key=key, name=name, type=kind, size=size)


def _disk(*keys: tuple[int, int]) -> Layout.DiskLayout:
    return Layout.DiskLayout(key=2000, chain=[Layout.DiskUnit(fileKey=[d, e]) for d, e in keys])


def _snap(moref: str, data: int, memory: int, disk: Layout.DiskLayout) -> Layout.SnapshotLayout:
    return Layout.SnapshotLayout(key=vim.vm.Snapshot(moref), dataKey=data, memoryKey=memory, disk=[disk])


def layout() -> Layout:
    """Base disk (1, 2); snapshot-1 taken on it (state 10, memory 11); snapshot-2 on delta (3, 4); now delta (5, 6)."""
    files = [_file(1, "vm.vmdk", "diskDescriptor", 1), _file(2, "vm-flat.vmdk", "diskExtent", 16 * GB),
             _file(3, "vm-000001.vmdk", "diskDescriptor", 1), _file(4, "vm-000001-delta.vmdk", "diskExtent", 3 * GB),
             _file(5, "vm-000002.vmdk", "diskDescriptor", 1), _file(6, "vm-000002-delta.vmdk", "diskExtent", GB),
             _file(10, "vm-Snapshot1.vmsn", "snapshotData", 30_000), _file(11, "vm-Snapshot1.vmem", "snapshotMemory",
                                                                         2 * GB),
             _file(12, "vm-Snapshot2.vmsn", "snapshotData", 40_000)]
    return Layout(file=files, disk=[_disk((1, 2), (3, 4), (5, 6))],
                  snapshot=[_snap("snapshot-1", 10, 11, _disk((1, 2))),
                            _snap("snapshot-2", 12, -1, _disk((1, 2), (3, 4)))])


def test_a_root_snapshot_is_its_state_and_memory_files_never_the_base_disk() -> None:
    assert snapshot_size("snapshot-1", None, layout(), is_current=False) == 30_000 + 2 * GB


def test_a_child_snapshot_holds_the_delta_written_since_its_parent() -> None:
    assert snapshot_size("snapshot-2", "snapshot-1", layout(), is_current=False) == 40_000 + 1 + 3 * GB


def test_the_current_snapshot_also_holds_what_was_written_on_top_of_it_since() -> None:
    assert snapshot_size("snapshot-2", "snapshot-1", layout(), is_current=True) == 40_000 + 1 + 3 * GB + 1 + GB
