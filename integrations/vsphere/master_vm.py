"""The Fuel master's VM: typing at its console, detaching its ISO, and whether it would reinstall.

The 6.0 ISO's only menu entry installs after 30 s (fuel-main ``iso/isolinux/isolinux.cfg``),
so a master whose CD-ROM still holds the ISO at power-on and boots it before the disk goes back
into the installer (which stops at "Are you sure you want to erase ALL data on disk?",
``iso/ks.template``) instead of starting Fuel. Once the master's API has answered, its CD-ROM
is disconnected and not connected at power-on, and its disk boots first.

A VM's BIOS tries ``config.bootOptions.bootOrder`` in order; without one, VMware's BIOS tries
the hard disk before the CD-ROM (vSphere API reference, ``vim.vm.BootOptions``). Typing uses
``PutUsbScanCodes``, which vCenter has from API 6.5 on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere.collector import retrieve, wait_for_task
from integrations.vsphere.inventory import Placement
from integrations.vsphere.keystrokes import keys_for
from integrations.vsphere.session import Session

TASK_TIMEOUT = 300.0
TYPING_API = (6, 5)
Dev = vim.vm.device
_B = vim.vm.BootOptions


@dataclass(frozen=True)
class MasterBoot:
    """What the master's VM would boot, read from vCenter."""

    name: str
    power_state: str
    iso: str | None                   # the ISO in its CD-ROM, if any
    iso_connected: bool               # connected now
    iso_at_power_on: bool             # connected when the VM powers on (connectable.startConnected)
    order: tuple[str, ...]            # the BIOS's order of kinds: disk, cdrom, network, floppy
    explicit_order: bool              # False: VMware's BIOS default (disk before CD-ROM)

    @property
    def boots_iso_first(self) -> bool:
        """True when a power-on would start the ISO's installer instead of the installed master."""
        if not self.iso or not self.iso_at_power_on:
            return False
        order = self.order if self.explicit_order else ("disk", "cdrom")
        bootable = [kind for kind in order if kind in ("disk", "cdrom")]
        return bool(bootable) and bootable[0] == "cdrom"

    @property
    def installed_once(self) -> bool:
        """The state fuelbot leaves an installed master in: ISO out, disk first."""
        return not self.iso_connected and not self.iso_at_power_on and self.order[:1] == ("disk",)

    def problems(self) -> list[str]:
        """What is wrong before powering on an installed master, each with what happens."""
        found = []
        if self.boots_iso_first:
            found.append(f"`{self.name}` would boot its ISO ({self.iso}): the CD-ROM is connected at power-on "
                         "and comes before the disk, and the Fuel 6.0 ISO's default entry reinstalls after 30 s "
                         "(it stops at \"erase ALL data on disk?\")")
        if self.explicit_order and "disk" not in self.order:
            found.append(f"`{self.name}`'s boot order ({', '.join(self.order) or 'empty'}) has no disk: "
                         "the installed master would not start")
        return found


def lookup(session: Session, placement: Placement, name: str) -> Any:
    """The VM called ``name`` in the target datacenter (one round trip)."""
    rows = [r for r in retrieve(session, {vim.VirtualMachine: ["name"]}, root=placement.datacenter)
            if r.get("name") == name]
    if len(rows) != 1:
        raise VSphereError(f"{'no' if not rows else len(rows)} VM(s) named {name!r} in datacenter "
                           f"{session.target.datacenter}", obj=name,
                           fix="create the Fuel master with `/fuel deploy <lab>`" if not rows
                           else "rename or delete the extra VMs in vCenter; fuelbot needs unique names")
    return rows[0].obj


def read(session: Session, vm: Any, name: str) -> MasterBoot:
    """The master VM's CD-ROM and boot order in one round trip."""
    row = retrieve(session, {vim.VirtualMachine: ["runtime.powerState", "config.hardware.device",
                                                  "config.bootOptions.bootOrder"]}, objects=[vm])[0]
    cdrom = _iso_cdrom(row.get("config.hardware.device") or ())
    connect = cdrom.connectable if cdrom is not None else None
    kinds = {_B.BootableDiskDevice: "disk", _B.BootableCdromDevice: "cdrom",
             _B.BootableEthernetDevice: "network", _B.BootableFloppyDevice: "floppy"}
    order = tuple(next((k for cls, k in kinds.items() if isinstance(e, cls)), "other")
                  for e in row.get("config.bootOptions.bootOrder") or ())
    return MasterBoot(name=name, power_state=str(row.get("runtime.powerState")),
                      iso=cdrom.backing.fileName if cdrom is not None else None,
                      iso_connected=bool(connect and connect.connected),
                      iso_at_power_on=bool(connect and connect.startConnected),
                      order=order, explicit_order=bool(order))


def detach_iso(session: Session, vm: Any, name: str) -> bool:
    """Disconnect the ISO (now and at power-on) and boot the disk first; False when already so."""
    boot = read(session, vm, name)
    if boot.installed_once:
        return False
    devices = retrieve(session, {vim.VirtualMachine: ["config.hardware.device"]}, objects=[vm])[0].get(
        "config.hardware.device") or ()
    disks = sorted((d for d in devices if isinstance(d, Dev.VirtualDisk)), key=lambda d: d.key)
    if not disks:
        raise VSphereError(f"VM {name!r} has no disk to boot from", obj=name,
                           fix="the Fuel master needs its 50 GB disk; recreate the VM from the lab spec")
    spec = vim.vm.ConfigSpec(bootOptions=_B(bootOrder=[_B.BootableDiskDevice(deviceKey=disks[0].key),
                                                       _B.BootableCdromDevice()]))
    cdrom = _iso_cdrom(devices)
    if cdrom is not None and (cdrom.connectable.connected or cdrom.connectable.startConnected):
        cdrom.connectable = Dev.VirtualDevice.ConnectInfo(connected=False, startConnected=False,
                                                          allowGuestControl=cdrom.connectable.allowGuestControl)
        spec.deviceChange = [Dev.VirtualDeviceSpec(operation=Dev.VirtualDeviceSpec.Operation.edit, device=cdrom)]
    wait_for_task(session, vm.ReconfigVM_Task(spec), timeout=TASK_TIMEOUT,
                  what=f"detaching the ISO of {name} and booting its disk first")
    return True


def typing_supported(session: Session) -> bool:
    """Whether this vCenter takes ``PutUsbScanCodes`` (API 6.5 or later)."""
    version = str(session.content.about.apiVersion or "")
    try:
        numbers = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return numbers >= TYPING_API


def type_text(session: Session, vm: Any, name: str, text: str) -> int:
    """Type ``text`` at the VM's console; the number of keys vCenter took."""
    spec = vim.vm.UsbScanCodeSpec(keyEvents=[
        vim.vm.UsbScanCodeSpec.KeyEvent(usbHidCode=key.hid_code,
                                     modifiers=vim.vm.UsbScanCodeSpec.ModifierType(leftShift=key.shift))
        for key in keys_for(text)])
    try:
        return int(vm.PutUsbScanCodes(spec))
    except vim.fault.InvalidPowerState:
        raise VSphereError(f"cannot type at the console of {name}: it is not powered on", obj=name,
                           fix="power the VM on first") from None


def _iso_cdrom(devices: Any) -> Any:
    return next((d for d in devices if isinstance(d, Dev.VirtualCdrom)
                 and isinstance(d.backing, Dev.VirtualCdrom.IsoBackingInfo)), None)
