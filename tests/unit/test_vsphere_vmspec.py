"""ConfigSpec building and boot-order planning, without a server."""
from __future__ import annotations

import dataclasses

import pytest
from pyVmomi import vim

from integrations.vsphere.info import BootDevice
from integrations.vsphere.vmspec import (NetworkTarget, boot_options, config_spec, planned_boot_order,
                                         read_boot_order)
from labspec.model import Nic, VMSpec

Dev = vim.vm.device
NODE = VMSpec(name="lab1-controller-1", cpus=1, memory_mb=1024, disk_gb=16, guest_id="rhel6_64Guest",
              nics=(Nic("pxe"), Nic("br100")))
MASTER = VMSpec(name="fuel-master", cpus=1, memory_mb=2048, disk_gb=50, guest_id="rhel7_64Guest",
                nics=(Nic("pxe"),), iso="[LocalDS_0] iso/MirantisOpenStack-6.0.iso")
TARGETS = (NetworkTarget("pxe", portgroup_key="dvportgroup-45", switch_uuid="uuid-1"), NetworkTarget("br100"))


def _devices(spec: vim.vm.ConfigSpec) -> list:
    return [c.device for c in spec.deviceChange]


def test_node_spec_has_thin_disk_and_nics_in_order_with_manual_macs():
    spec = config_spec(NODE, lab="lab1", datastore="LocalDS_0", networks=TARGETS,
                       macs=("00:50:56:00:00:01", "00:50:56:00:00:02"))
    assert (spec.name, spec.numCPUs, spec.memoryMB, spec.guestId) == ("lab1-controller-1", 1, 1024, "rhel6_64Guest")
    assert spec.annotation == "fuelbot lab=lab1"
    assert spec.files.vmPathName == "[LocalDS_0]"
    disk = next(d for d in _devices(spec) if isinstance(d, Dev.VirtualDisk))
    assert disk.backing.thinProvisioned is True and disk.capacityInKB == 16 * 1024 * 1024
    nics = [d for d in _devices(spec) if isinstance(d, Dev.VirtualEthernetCard)]
    assert [n.macAddress for n in nics] == ["00:50:56:00:00:01", "00:50:56:00:00:02"]
    assert {n.addressType for n in nics} == {"manual"}
    assert nics[0].backing.port.portgroupKey == "dvportgroup-45"
    assert nics[0].backing.port.switchUuid == "uuid-1"
    assert nics[1].backing.deviceName == "br100"
    assert not any(isinstance(d, Dev.VirtualCdrom) for d in _devices(spec))


def test_master_spec_has_a_cdrom_with_the_iso():
    spec = config_spec(MASTER, lab="lab1", datastore="LocalDS_0", networks=TARGETS[:1], macs=("00:50:56:00:00:03",))
    (cdrom,) = [d for d in _devices(spec) if isinstance(d, Dev.VirtualCdrom)]
    assert cdrom.backing.fileName == MASTER.iso and cdrom.connectable.startConnected


def test_one_target_and_mac_per_nic():
    with pytest.raises(ValueError):
        config_spec(NODE, lab="lab1", datastore="LocalDS_0", networks=TARGETS[:1], macs=("00:50:56:00:00:01",))


def _created_devices():
    return [Dev.VirtualDisk(key=203), Dev.VirtualVmxnet3(key=206), Dev.VirtualVmxnet3(key=205),
            Dev.VirtualCdrom(key=204)]


def test_nodes_boot_from_the_first_nic_then_disk():
    assert planned_boot_order(_created_devices(), iso=False) == (BootDevice("network", 205), BootDevice("disk", 203))


def test_a_vm_with_an_iso_boots_from_cdrom_first():
    assert planned_boot_order(_created_devices(), iso=True) == (BootDevice("cdrom"), BootDevice("disk", 203))


def test_boot_options_round_trip():
    order = (BootDevice("network", 205), BootDevice("cdrom"), BootDevice("disk", 203))
    assert read_boot_order(boot_options(order).bootOrder) == order
    assert str(order[0]) == "network:205" and str(order[1]) == "cdrom"


def test_bios_is_pinned_and_the_nic_type_is_the_specs():
    spec = config_spec(dataclasses.replace(NODE, nic_type="e1000"), lab="lab1", datastore="LocalDS_0",
                       networks=TARGETS, macs=("00:50:56:00:00:01", "00:50:56:00:00:02"), instance_uuid="uuid-1")
    assert (spec.firmware, spec.instanceUuid) == ("bios", "uuid-1")
    assert spec.bootOptions.bootRetryEnabled is True and spec.bootOptions.bootOrder == []
    assert all(isinstance(d, Dev.VirtualE1000) for d in _devices(spec) if isinstance(d, Dev.VirtualEthernetCard))
    with pytest.raises(ValueError, match="NIC type"):
        config_spec(dataclasses.replace(NODE, nic_type="rtl8139"), lab="lab1", datastore="LocalDS_0",
                    networks=TARGETS, macs=("00:50:56:00:00:01", "00:50:56:00:00:02"))


def test_the_boot_nic_is_the_one_on_pxe_wherever_it_is():
    spec = dataclasses.replace(NODE, nics=(Nic("management"), Nic("pxe")), pxe_portgroup="pxe")
    assert spec.boot_nic() == 1
    order = planned_boot_order(_created_devices(), iso=False, boot_nic=spec.boot_nic())
    assert order == (BootDevice("network", 206), BootDevice("disk", 203))
