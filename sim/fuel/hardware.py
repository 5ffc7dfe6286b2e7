"""What nailgun-agent reports about a machine's hardware (the ``meta`` of ``POST /api/nodes``).

Both the vSphere watcher (from a VM's config) and node injection (from test parameters)
describe machines with :class:`Hardware`; :func:`agent_payload` turns it into the agent's body.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NicInfo:
    name: str
    mac: str
    max_speed: int | None = 1000


@dataclass(frozen=True)
class Hardware:
    """A machine's CPUs, RAM, disks and NICs (eth0.. in PCI order)."""

    cpus: int
    memory_mb: int
    disks: tuple[tuple[str, int], ...]          # (name, size in bytes)
    nics: tuple[NicInfo, ...]
    manufacturer: str = "VMware, Inc."
    product: str = "VMware Virtual Platform"
    uuid: str = ""


def agent_payload(hw: Hardware) -> dict[str, Any]:
    """The body nailgun-agent POSTs, minus ``mac``, ``ip`` and ``status`` (added at registration)."""
    memory = hw.memory_mb * 1024 * 1024
    meta = {
        "interfaces": [{"name": n.name, "mac": n.mac, "max_speed": n.max_speed, "current_speed": n.max_speed,
                        "state": "up"} for n in hw.nics],
        "disks": [{"name": name, "disk": f"disk/by-path/pci-0000:00:10.0-scsi-0:0:{i}:0", "model": "Virtual disk",
                   "size": size, "removable": "0"} for i, (name, size) in enumerate(hw.disks)],
        "memory": {"total": memory, "maximum_capacity": memory, "slots": 1,
                   "devices": [{"size": memory, "type": "DRAM"}]},
        "cpu": {"total": hw.cpus, "real": hw.cpus,
                "spec": [{"model": "Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz", "frequency": 2800}] * hw.cpus},
        "system": {"manufacturer": hw.manufacturer, "product": hw.product, "serial": hw.uuid, "uuid": hw.uuid,
                   "family": "Not Specified", "version": "None", "fqdn": "bootstrap"},
    }
    checksum = hashlib.md5(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    return {"meta": meta, "manufacturer": hw.manufacturer, "platform_name": hw.product, "os_platform": "centos",
            "is_agent": True, "agent_checksum": checksum}


def mac_for(index: int, nic: int = 0) -> str:
    """A stable, unique MAC for the ``index``-th injected machine's ``nic``-th NIC (VMware's OUI)."""
    return f"00:50:56:{(index >> 8) & 0x3f:02x}:{index & 0xff:02x}:{nic:02x}"
