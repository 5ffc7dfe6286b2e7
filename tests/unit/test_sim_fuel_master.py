"""The simulated master's machine: boot menu, installer, erase prompt, first boot, disk boots."""
from __future__ import annotations

import pytest

from sim.fuel.config import SimConfig
from sim.fuel.master import DEFAULT_APPEND, MENU_TIMEOUT, BootParams, MasterMachine, Phase

CONFIG = SimConfig(master_vm="fuel-master", install_time=1000.0, boot_time=100.0)


def machine(config: SimConfig = CONFIG) -> tuple[MasterMachine, list[BootParams]]:
    installs: list[BootParams] = []
    return MasterMachine(config, on_installed=installs.append), installs


def test_boot_parameters_later_words_win_as_in_ks_template() -> None:
    params = BootParams.from_append(DEFAULT_APPEND + " ip=10.20.0.5 hostname=master.lab.local showmenu=no")
    assert (params.ip, params.hostname, params.gw, params.netmask) == (
        "10.20.0.5", "master.lab.local", "10.20.0.1", "255.255.255.0")
    assert BootParams.from_append(DEFAULT_APPEND) == BootParams()


def test_without_a_vm_the_master_simply_runs_or_installs_from_the_start() -> None:
    running, _ = machine(SimConfig())
    assert running.serving_http() and running.serving_ssh()
    fresh, installs = machine(SimConfig(installed=False, install_time=1000.0))
    assert fresh.phase == Phase.INSTALLING and not fresh.serving_ssh()
    fresh.advance(400.0)                          # the installer's share, then the first boot
    assert fresh.phase == Phase.FIRST_BOOT and fresh.serving_ssh() and not fresh.serving_http()
    assert installs == [BootParams()]
    fresh.advance(1000.0)
    assert fresh.serving_http()


def test_a_new_vm_booting_the_iso_installs_with_the_typed_parameters() -> None:
    master, installs = machine()
    assert master.phase == Phase.OFF and not master.serving_ssh()
    master.vm_seen(0.0, moid="vm-1", powered=True, boot_devices=("cdrom", "disk"), initial=False)
    assert master.phase == Phase.BOOT_MENU
    master.typed(2.0, "\t ip=10.20.0.9 hostname=fuel.lab.local\n")
    assert master.phase == Phase.INSTALLING        # an empty disk: no erase prompt
    master.advance(2.0 + 400.0)
    assert master.phase == Phase.FIRST_BOOT and installs[0].ip == "10.20.0.9"
    assert installs[0].hostname == "fuel.lab.local"
    master.advance(2.0 + 1000.0)
    assert master.phase == Phase.UP


def test_the_menu_boots_the_default_entry_after_30_seconds() -> None:
    master, installs = machine()
    master.vm_seen(0.0, moid="vm-1", powered=True, boot_devices=("cdrom", "disk"), initial=False)
    master.advance(MENU_TIMEOUT + 1)
    assert master.phase == Phase.INSTALLING
    master.advance(MENU_TIMEOUT + 400.0)
    assert installs == [BootParams()]


def test_booting_the_iso_again_stops_at_the_erase_prompt_and_y_wipes() -> None:
    master, installs = machine()
    master.vm_seen(0.0, moid="vm-1", powered=True, boot_devices=("cdrom", "disk"), initial=False)
    master.advance(2000.0)
    assert master.phase == Phase.UP and len(installs) == 1
    master.vm_seen(2001.0, moid="vm-1", powered=False, boot_devices=("cdrom", "disk"), initial=False)
    master.vm_seen(2002.0, moid="vm-1", powered=True, boot_devices=("cdrom", "disk"), initial=False)
    master.advance(2002.0 + MENU_TIMEOUT + 1)
    assert master.phase == Phase.ERASE_PROMPT and not master.serving_http() and not master.serving_ssh()
    master.typed(2100.0, "y\n")
    assert master.phase == Phase.INSTALLING
    master.advance(2100.0 + 400.0)
    assert len(installs) == 2


def test_forceformat_skips_the_erase_prompt_and_no_reboots_to_the_menu() -> None:
    master, _ = machine()
    master.vm_seen(0.0, moid="vm-1", powered=True, boot_devices=("cdrom",), initial=True)
    assert master.phase == Phase.UP                # found running at start: an installed master
    master.vm_seen(1.0, moid="vm-1", powered=False, boot_devices=("cdrom",), initial=False)
    master.vm_seen(2.0, moid="vm-1", powered=True, boot_devices=("cdrom",), initial=False)
    master.typed(3.0, "\n")
    assert master.phase == Phase.ERASE_PROMPT
    master.typed(4.0, "n\n")
    assert master.phase == Phase.BOOT_MENU         # "Installation cannot continue ... Press Enter to restart"
    master.typed(5.0, "\t forceformat=yes\n")
    assert master.phase == Phase.INSTALLING


@pytest.mark.parametrize(("devices", "installed", "phase"), [
    (("disk", "cdrom"), True, Phase.BOOTING),
    (("disk", "cdrom"), False, Phase.BOOT_MENU),   # an empty disk boots nothing: the BIOS tries the CD
    (("disk",), False, Phase.NO_OS),
    ((), True, Phase.NO_OS),
])
def test_the_bios_boots_the_first_device_holding_something(devices: tuple[str, ...], installed: bool,
                                                           phase: Phase) -> None:
    master, _ = machine(CONFIG.with_changes(installed=installed))
    master.vm_seen(0.0, moid="vm-1", powered=False, boot_devices=devices, initial=True)
    master.vm_seen(1.0, moid="vm-1", powered=True, boot_devices=devices, initial=False)
    assert master.phase == phase


def test_a_disk_boot_serves_ssh_before_the_api_and_power_off_mid_install_leaves_no_os() -> None:
    master, _ = machine()
    master.vm_seen(0.0, moid="vm-1", powered=False, boot_devices=("disk",), initial=True)
    master.vm_seen(1.0, moid="vm-1", powered=True, boot_devices=("disk",), initial=False)
    master.advance(40.0)
    assert master.serving_ssh() and not master.serving_http()
    master.advance(101.0)
    assert master.serving_http()
    master.vm_seen(102.0, moid="vm-1", powered=False, boot_devices=("cdrom", "disk"), initial=False)
    master.vm_seen(103.0, moid="vm-1", powered=True, boot_devices=("cdrom", "disk"), initial=False)
    master.typed(104.0, "\t forceformat=yes\n")
    master.vm_seen(200.0, moid="vm-1", powered=False, boot_devices=("disk",), initial=False)
    master.vm_seen(201.0, moid="vm-1", powered=True, boot_devices=("disk",), initial=False)
    assert master.phase == Phase.NO_OS


def test_showmenu_yes_waits_in_fuelmenu_for_a_person() -> None:
    master, _ = machine()
    master.vm_seen(0.0, moid="vm-1", powered=True, boot_devices=("cdrom",), initial=False)
    master.typed(1.0, "\t showmenu=yes\n")
    master.advance(10_000.0)
    assert master.phase == Phase.FUELMENU and master.serving_ssh() and not master.serving_http()
