"""Turn a lab's ``VMSpec`` into a vSphere ConfigSpec, and compute boot orders: no I/O here.

Device choices: an LSI Logic parallel SCSI controller (its driver is in every CentOS 6 and 7
installer, unlike PVSCSI in older anaconda images), a thin disk, NICs with manual MACs (vmxnet3,
or e1000 when the spec says so) and a CD-ROM on the IDE controller 200 that ESX (and vcsim) add
to every new VM. Firmware is pinned to BIOS: Fuel 6.0's bootstrap is served by pxelinux, and
its ISO has no EFI loader (``VirtualMachineConfigSpec.firmware``; newer guest OS defaults are
EFI). The boot order names the NIC on the lab's PXE port group, wherever it is in the spec.

Device keys are the server's to assign ("the server may assign a different value from the one
passed", vSphere API reference, ``VirtualDevice.key``), so a boot order naming a NIC can only be
set once the VM exists; the creation spec carries what needs no key: the firmware and BIOS boot
retry (a node that finds no PXE server yet tries again after ``BOOT_RETRY_MS``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from integrations.vsphere.info import BootDevice, owner_annotation
from labspec.model import VMSpec

Dev = vim.vm.device
_SCSI_KEY = -100
_DISK_KEY = -101
_CDROM_KEY = -102
_NIC_KEY_BASE = -200
IDE_CONTROLLER_KEY = 200
_KB_PER_GB = 1024 * 1024
FIRMWARE = "bios"
BOOT_RETRY_MS = 10_000
_NIC_CLASSES = {"vmxnet3": Dev.VirtualVmxnet3, "e1000": Dev.VirtualE1000}


@dataclass(frozen=True)
class NetworkTarget:
    """Where one NIC plugs in: a distributed port group (key + switch UUID) or a standard one (name)."""

    name: str
    portgroup_key: str | None = None
    switch_uuid: str | None = None

    @property
    def distributed(self) -> bool:
        return self.portgroup_key is not None


def _nic_backing(target: NetworkTarget) -> Any:
    if target.distributed:
        return Dev.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(portgroupKey=target.portgroup_key, switchUuid=target.switch_uuid))
    return Dev.VirtualEthernetCard.NetworkBackingInfo(deviceName=target.name)


def config_spec(spec: VMSpec, *, lab: str, datastore: str, networks: Sequence[NetworkTarget],
                macs: Sequence[str], instance_uuid: str | None = None) -> vim.vm.ConfigSpec:
    """The CreateVM_Task spec: CPU, RAM, guest, BIOS, thin disk, NICs in spec order, CD-ROM, owner annotation.

    ``instance_uuid`` is the identity fuelbot records before creating (vCenter keeps it unless it
    conflicts with another VM's, so the created VM's value must be read back).
    """
    if len(networks) != len(spec.nics) or len(macs) != len(spec.nics):
        raise ValueError("one network target and one MAC per NIC of the spec")
    nic_class = _NIC_CLASSES.get(spec.nic_type)
    if nic_class is None:
        raise ValueError(f"unknown NIC type {spec.nic_type!r} (expected one of {', '.join(_NIC_CLASSES)})")
    add = Dev.VirtualDeviceSpec.Operation.add
    changes = [
        Dev.VirtualDeviceSpec(operation=add, device=Dev.VirtualLsiLogicController(
            key=_SCSI_KEY, busNumber=0, sharedBus=Dev.VirtualSCSIController.Sharing.noSharing)),
        Dev.VirtualDeviceSpec(operation=add, fileOperation=Dev.VirtualDeviceSpec.FileOperation.create,
                              device=Dev.VirtualDisk(
                                  key=_DISK_KEY, controllerKey=_SCSI_KEY, unitNumber=0,
                                  capacityInKB=spec.disk_gb * _KB_PER_GB,
                                  backing=Dev.VirtualDisk.FlatVer2BackingInfo(
                                      diskMode="persistent", thinProvisioned=True))),
    ]
    for index, (target, mac) in enumerate(zip(networks, macs)):
        changes.append(Dev.VirtualDeviceSpec(operation=add, device=nic_class(
            key=_NIC_KEY_BASE - index, addressType="manual", macAddress=mac, backing=_nic_backing(target),
            connectable=Dev.VirtualDevice.ConnectInfo(startConnected=True, connected=True, allowGuestControl=True))))
    if spec.iso:
        changes.append(Dev.VirtualDeviceSpec(operation=add, device=Dev.VirtualCdrom(
            key=_CDROM_KEY, controllerKey=IDE_CONTROLLER_KEY, unitNumber=0,
            backing=Dev.VirtualCdrom.IsoBackingInfo(fileName=spec.iso),
            connectable=Dev.VirtualDevice.ConnectInfo(startConnected=True, connected=True, allowGuestControl=True))))
    return vim.vm.ConfigSpec(
        name=spec.name, guestId=spec.guest_id, numCPUs=spec.cpus, memoryMB=spec.memory_mb,
        annotation=owner_annotation(lab), files=vim.vm.FileInfo(vmPathName=f"[{datastore}]"),
        firmware=FIRMWARE, instanceUuid=instance_uuid, bootOptions=boot_options(()),
        deviceChange=changes)


def planned_boot_order(devices: Sequence[Any], *, iso: bool, boot_nic: int = 0) -> tuple[BootDevice, ...]:
    """Network first for nodes, on NIC ``boot_nic`` (in spec order), so they PXE-boot from Fuel;
    CD-ROM first for a VM with an ISO. The disk comes next."""
    nics = sorted((d for d in devices if isinstance(d, Dev.VirtualEthernetCard)), key=lambda d: d.key)
    disks = sorted((d for d in devices if isinstance(d, Dev.VirtualDisk)), key=lambda d: d.key)
    has_cdrom = any(isinstance(d, Dev.VirtualCdrom) for d in devices)
    disk = [BootDevice("disk", disks[0].key)] if disks else []
    if iso and has_cdrom:
        return tuple([BootDevice("cdrom")] + disk)
    network = [BootDevice("network", nics[boot_nic].key)] if 0 <= boot_nic < len(nics) else []
    return tuple(network + disk)


def boot_options(order: Sequence[BootDevice]) -> vim.vm.BootOptions:
    """Complete BootOptions (order and retry): vcsim replaces the whole object on reconfigure, vCenter
    merges; sending all of it is right for both. Keys must be the real ones (vcsim stores negative
    keys as given)."""
    B = vim.vm.BootOptions
    make = {"network": lambda k: B.BootableEthernetDevice(deviceKey=k), "cdrom": lambda k: B.BootableCdromDevice(),
            "disk": lambda k: B.BootableDiskDevice(deviceKey=k), "floppy": lambda k: B.BootableFloppyDevice()}
    return B(bootOrder=[make[d.kind](d.device_key) for d in order], bootRetryEnabled=True,
             bootRetryDelay=BOOT_RETRY_MS, enterBIOSSetup=False)


def read_boot_order(order: Sequence[Any] | None) -> tuple[BootDevice, ...]:
    """Translate ``config.bootOptions.bootOrder`` into BootDevice records."""
    B = vim.vm.BootOptions
    kinds = ((B.BootableEthernetDevice, "network"), (B.BootableCdromDevice, "cdrom"),
             (B.BootableDiskDevice, "disk"), (B.BootableFloppyDevice, "floppy"))
    result = []
    for entry in order or ():
        kind = next((name for cls, name in kinds if isinstance(entry, cls)), type(entry).__name__)
        key = getattr(entry, "deviceKey", None)
        result.append(BootDevice(kind, int(key) if key is not None else None))
    return tuple(result)
