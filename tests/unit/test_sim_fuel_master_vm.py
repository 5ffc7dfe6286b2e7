"""What the simulated master reads from its own VM: the BIOS's boot devices and the typed keys."""
from __future__ import annotations

from pyVmomi import vim

from sim.fuel.master_vm import TYPED_KEY, boot_devices, typed_lines

B = vim.vm.BootOptions
Dev = vim.vm.device


def cdrom(*, at_power_on: bool) -> vim.vm.device.VirtualCdrom:
    return Dev.VirtualCdrom(key=3000, backing=Dev.VirtualCdrom.IsoBackingInfo(fileName="[ds] fuel.iso"),
                            connectable=Dev.VirtualDevice.ConnectInfo(startConnected=at_power_on, connected=True))


def test_an_explicit_order_counts_the_cd_only_when_its_iso_connects_at_power_on() -> None:
    order = [B.BootableCdromDevice(), B.BootableDiskDevice(deviceKey=2000), B.BootableEthernetDevice(deviceKey=4000)]
    assert boot_devices({"config.hardware.device": [cdrom(at_power_on=True)],
                         "config.bootOptions.bootOrder": order}) == ("cdrom", "disk")
    assert boot_devices({"config.hardware.device": [cdrom(at_power_on=False)],
                         "config.bootOptions.bootOrder": order}) == ("disk",)


def test_without_an_order_vmwares_bios_tries_the_disk_first() -> None:
    assert boot_devices({"config.hardware.device": [cdrom(at_power_on=True)]}) == ("disk", "cdrom")
    assert boot_devices({}) == ("disk",)


def test_typed_lines_read_the_vcsim_option_and_skip_garbage() -> None:
    value = '{"at": 1.0, "text": "\\t ip=10.20.0.3\\n"}\nnot json\n{"at": 2.0, "text": "y\\n"}\n'
    props = {"config.extraConfig": [vim.option.OptionValue(key="other", value="x"),
                                    vim.option.OptionValue(key=TYPED_KEY, value=value)]}
    assert typed_lines(props) == ["\t ip=10.20.0.3\n", "y\n"]
    assert typed_lines({}) == []
