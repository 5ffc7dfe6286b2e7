"""Reading the master's own VM from vCenter: what its BIOS would boot, and what was typed at it.

A VM's BIOS tries ``config.bootOptions.bootOrder`` in order (vSphere API reference,
``vim.vm.BootOptions``); without one, VMware's BIOS default tries the hard disk before the
CD-ROM (Phoenix BIOS: removable, hard drive, CD-ROM, network). A CD-ROM boots only if it holds
an ISO and is connected at power-on (``connectable.startConnected``). The master is the PXE
server itself, so its network entries boot nothing and are left out.

Power edges are what the watcher sees: an off and on quicker than one property-collector update
(vCenter sends the latest values) goes unnoticed, and ``ResetVM`` is not modelled.

Keys typed with ``PutUsbScanCodes`` reach our vcsim override (``sim/vcenter/console_keys.go``),
which decodes them and appends one JSON line per call to the VM's extraConfig option
``vcsim.console.typed``: ``{"at": <unix time>, "text": "\\tip=…\\n"}``.
"""
from __future__ import annotations

import json
from typing import Any

from pyVmomi import vim

TYPED_KEY = "vcsim.console.typed"
_B = vim.vm.BootOptions


def _iso_at_power_on(devices: list[Any]) -> bool:
    return any(isinstance(d, vim.vm.device.VirtualCdrom)
               and isinstance(d.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)
               and d.connectable is not None and d.connectable.startConnected for d in devices)


def boot_devices(props: dict[str, Any]) -> tuple[str, ...]:
    """``("cdrom", "disk")``-like: what the master's BIOS would try, in order."""
    devices = props.get("config.hardware.device") or []
    iso = _iso_at_power_on(devices)
    order = props.get("config.bootOptions.bootOrder") or []
    if not order:
        return ("disk", "cdrom") if iso else ("disk",)
    found: list[str] = []
    for entry in order:
        if isinstance(entry, _B.BootableCdromDevice) and iso:
            found.append("cdrom")
        elif isinstance(entry, _B.BootableDiskDevice):
            found.append("disk")
    return tuple(found)


def typed_lines(props: dict[str, Any]) -> list[str]:
    """Every text typed at the console so far, one entry per ``PutUsbScanCodes`` call."""
    for option in props.get("config.extraConfig") or []:
        if getattr(option, "key", None) == TYPED_KEY:
            lines = []
            for raw in str(option.value or "").splitlines():
                try:
                    lines.append(str(json.loads(raw)["text"]))
                except (ValueError, KeyError, TypeError):
                    continue
            return lines
    return []
