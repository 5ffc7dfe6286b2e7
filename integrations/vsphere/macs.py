"""Deterministic MAC addresses in VMware's manual range, 00:50:56:00:00:00–00:50:56:3f:ff:ff.

vcsim derives generated MACs from three characters of the VM UUID, so they collide (874 unique
out of 1000 in a measured run), and a clone copies its source's MACs. PXE and Fuel's node
discovery key on the MAC, so fuelbot sets every MAC itself: a hash of (vCenter instance UUID,
lab, VM, NIC index) gives the same MAC on every re-creation in one vCenter and different MACs for
the same lab names in two vCenters (whose VMs may share a layer-2 segment), and ``assign_macs``
steps past any MAC already in use anywhere in the vCenter.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Collection

MANUAL_PREFIX = "00:50:56"
_MANUAL_SPACE = 0x400000          # 22 bits: 00:00:00 .. 3f:ff:ff after the prefix
_MAX_ATTEMPTS = 64
_MAC = re.compile(r"^00:50:56:([0-3][0-9a-f]):[0-9a-f]{2}:[0-9a-f]{2}$")


def manual_mac(lab: str, vm_name: str, nic_index: int, *, attempt: int = 0, vcenter: str = "") -> str:
    """The MAC of NIC ``nic_index`` of ``vm_name`` in ``lab`` on the vCenter whose instance UUID is
    ``vcenter`` (``attempt`` > 0 after a collision)."""
    if nic_index < 0:
        raise ValueError(f"nic_index must be >= 0, not {nic_index}")
    seed = (f"{vcenter.lower()}\0" if vcenter else "") + f"{lab}\0{vm_name}\0{nic_index}" + \
        (f"\0{attempt}" if attempt else "")
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % _MANUAL_SPACE
    return f"{MANUAL_PREFIX}:{value >> 16:02x}:{(value >> 8) & 0xFF:02x}:{value & 0xFF:02x}"


def is_manual_mac(mac: str) -> bool:
    """True when ``mac`` lies in VMware's range for manually assigned addresses."""
    return bool(_MAC.match(mac.lower()))


def assign_macs(lab: str, vm_name: str, count: int, *, taken: Collection[str] = (),
                vcenter: str = "") -> tuple[str, ...]:
    """MACs for ``count`` NICs, none of them in ``taken`` and no two alike."""
    used = {m.lower() for m in taken}
    macs: list[str] = []
    for index in range(count):
        for attempt in range(_MAX_ATTEMPTS):
            mac = manual_mac(lab, vm_name, index, attempt=attempt, vcenter=vcenter)
            if mac not in used:
                break
        else:  # 64 collisions in a 4-million space means the inventory is not what we think
            raise ValueError(f"no free manual MAC for {vm_name} NIC {index} after {_MAX_ATTEMPTS} attempts")
        used.add(mac)
        macs.append(mac)
    return tuple(macs)
