"""The master's machine: boot menu, installer, first boot, disk boots, and when it serves.

A real 6.0 master is a VM that boots the ISO, installs, reboots and brings up its containers;
the simulator follows the same course in simulated time:

    OFF ──power on, ISO first──▶ BOOT_MENU ──Enter / 30 s──▶ INSTALLING ──▶ FIRST_BOOT ──▶ UP
     │                              │ (disk holds an install, no forceformat=yes)
     │                              └──▶ ERASE_PROMPT ──"y⏎"──▶ INSTALLING   (other answer: reboot)
     └──power on, disk first──▶ BOOTING ──▶ UP          (an empty disk: NO_OS, never serves)

fuel-main 6.0 is the model: ``iso/isolinux/isolinux.cfg`` (the one menu entry, ``timeout 300``
i.e. 30 s, its ``append`` line), ``iso/ks.template`` (the kernel parameters read back with
``eval`` in order, so a later ``ip=`` wins; ``confirm_format`` asking "Are you sure you want to
erase ALL data on disk sda? (y/N)" when the disk has a partition table, unless
``forceformat=yes``; ``reboot --eject``) and ``iso/bootstrap_admin_node.sh`` (first boot:
fuelmenu when ``showmenu=yes``, which waits for a person, then puppet builds the containers).
SSH answers from the first boot on; the API once the containers are up.

Keys typed at the console arrive as text (``\\t`` Tab, ``\\n`` Enter, ``\\b`` Backspace).
Callers hold the engine's lock.
"""
from __future__ import annotations

import enum
import shlex
from dataclasses import dataclass
from typing import Callable

from sim.fuel.config import SimConfig

# fuel-main 6.0 iso/isolinux/isolinux.cfg, label nailgunstatic ("Fuel Install (Static IP)")
DEFAULT_APPEND = ("initrd=initrd.img biosdevname=0 ks=cdrom:/ks.cfg ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 "
                  "netmask=255.255.255.0 hostname=fuel.domain.tld showmenu=no")
MENU_TIMEOUT = 30.0            # isolinux.cfg "timeout 300" (tenths of a second)
_INSTALLER_SHARE = 0.4         # anaconda's share of the install; the first boot (puppet, docker) is the rest
_SSH_AFTER_BOOT_SHARE = 0.25   # sshd starts early in a disk boot, long before the containers


class Phase(enum.Enum):
    OFF = "off"
    BOOT_MENU = "boot menu"
    ERASE_PROMPT = "erase prompt"
    INSTALLING = "installing"
    FIRST_BOOT = "first boot"
    FUELMENU = "fuelmenu"
    BOOTING = "booting"
    UP = "up"
    NO_OS = "no operating system"


@dataclass(frozen=True)
class BootParams:
    """What the installer took from the kernel command line (ks.template's ``eval`` loop)."""

    ip: str = "10.20.0.2"
    netmask: str = "255.255.255.0"
    gw: str = "10.20.0.1"
    dns1: str = "10.20.0.1"
    hostname: str = "fuel.domain.tld"
    showmenu: str = "no"
    forceformat: str = "no"

    @classmethod
    def from_append(cls, line: str) -> "BootParams":
        values: dict[str, str] = {}
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        for word in words:          # later words win, as with ks.template's eval
            key, sep, value = word.partition("=")
            if sep and key in cls.__dataclass_fields__:
                values[key] = value
        return cls(**values)


class MasterMachine:
    """One master's machine state; ``on_installed`` runs when a fresh install's first boot starts."""

    def __init__(self, config: SimConfig, *, on_installed: Callable[[BootParams], None]) -> None:
        self.config = config
        self._on_installed = on_installed
        self.vm: str | None = None              # the VM's moid, when coupled to vCenter
        self.disk_installed = config.installed
        self.params = BootParams()
        # Without a VM to follow the master simply runs; with one, it is off until that VM is seen.
        self.phase = Phase.UP if config.master_vm is None and config.installed else Phase.OFF
        self.until = 0.0                        # when the current phase ends by itself
        self.powered = config.master_vm is None
        self._line = ""                         # what is typed on the current console line
        self._editing = False                   # Tab pressed at the boot menu
        self._now = 0.0
        self.booted_at = 0.0                    # when the installed system last started (``uptime``)
        if config.master_vm is None and not config.installed:
            self._start_install(0.0, BootParams())

    # ----- what the simulator serves --------------------------------------------------------------
    def serving_ssh(self) -> bool:
        return self.phase in (Phase.UP, Phase.FIRST_BOOT, Phase.FUELMENU) or (
            self.phase == Phase.BOOTING and self._boot_elapsed_share() >= _SSH_AFTER_BOOT_SHARE)

    def serving_http(self) -> bool:
        return self.phase == Phase.UP

    def _boot_elapsed_share(self) -> float:
        start = self.until - self.config.boot_time
        return (self._now - start) / self.config.boot_time if self.config.boot_time > 0 else 1.0

    # ----- events from the VM ---------------------------------------------------------------------
    def vm_seen(self, now: float, *, moid: str, powered: bool, boot_devices: tuple[str, ...], initial: bool) -> None:
        """The master's VM as vCenter shows it; ``initial`` when it was there before we looked.

        ``boot_devices`` lists what the BIOS may boot, in its order: ``cdrom`` (an ISO connected
        at power-on), ``disk``; the first that holds something bootable wins.
        """
        self._now = now
        if moid != self.vm:
            # A VM we meet for the first time holds an install only if it predates the simulator.
            self.vm, self.disk_installed, self.powered = moid, initial and self.config.installed, False
            self.phase = Phase.OFF
            if initial and powered:
                self.powered = True
                self.phase = Phase.UP if self.disk_installed else Phase.NO_OS
                return
        if powered and not self.powered:
            self._power_on(now, boot_devices)
        elif not powered and self.powered:
            self.power_off(now)

    def vm_gone(self, now: float) -> None:
        self.power_off(now)
        self.vm, self.disk_installed = None, False

    def power_off(self, now: float) -> None:
        self._now = now
        if self.phase == Phase.INSTALLING:
            self.disk_installed = False        # a half-written disk boots nothing
        self.powered, self.phase = False, Phase.OFF

    def _power_on(self, now: float, boot_devices: tuple[str, ...]) -> None:
        self.powered = True
        self._line, self._editing = "", False
        for device in boot_devices:
            if device == "cdrom":
                self._enter(Phase.BOOT_MENU, now + MENU_TIMEOUT)
                return
            if device == "disk" and self.disk_installed:
                self.booted_at = now
                self._enter(Phase.BOOTING, now + self.config.boot_time)
                return
        self._enter(Phase.NO_OS, float("inf"))      # "Operating System not found"

    # ----- the console ----------------------------------------------------------------------------
    def typed(self, now: float, text: str) -> None:
        """Keys typed at the VM's console (only a running VM gets them)."""
        self._now = now
        if not self.powered:
            return
        for key in text:
            if self.phase == Phase.BOOT_MENU:
                self._menu_key(now, key)
            elif self.phase == Phase.ERASE_PROMPT:
                self._prompt_key(now, key)

    def _menu_key(self, now: float, key: str) -> None:
        if key == "\t":
            self._editing = True
        elif key == "\n":
            line = DEFAULT_APPEND + self._line if self._editing else DEFAULT_APPEND
            self._boot_installer(now, BootParams.from_append(line))
        elif key == "\b":
            self._line = self._line[:-1]
        elif self._editing and key.isprintable():
            self._line += key
        if self.phase == Phase.BOOT_MENU:
            self.until = float("inf")          # any key stops the menu's countdown

    def _prompt_key(self, now: float, key: str) -> None:
        if key == "\b":
            self._line = self._line[:-1]
        elif key != "\n":
            self._line += key
        elif self._line.strip() in ("y", "Y"):
            self._start_install(now, self.params)
        else:                                  # "Installation cannot continue ... Press Enter to restart"
            self._line = ""
            self._enter(Phase.BOOT_MENU, now + MENU_TIMEOUT)

    def _boot_installer(self, now: float, params: BootParams) -> None:
        self.params, self._line, self._editing = params, "", False
        if self.disk_installed and params.forceformat != "yes":
            self._enter(Phase.ERASE_PROMPT, float("inf"))
        else:
            self._start_install(now, params)

    def _start_install(self, now: float, params: BootParams) -> None:
        self.params, self._line = params, ""
        self.disk_installed = False
        self._enter(Phase.INSTALLING, now + self.config.install_time * _INSTALLER_SHARE)

    def _enter(self, phase: Phase, until: float) -> None:
        self.phase, self.until = phase, until

    # ----- time -----------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        self._now = now
        while now >= self.until:
            if self.phase == Phase.BOOT_MENU:       # the menu's countdown: the default entry boots
                self._boot_installer(self.until, BootParams())
            elif self.phase == Phase.INSTALLING:    # reboot --eject: the first boot, from the disk
                self.disk_installed = True
                self.booted_at = self.until
                self._on_installed(self.params)
                if self.params.showmenu.lower() == "yes":
                    self._enter(Phase.FUELMENU, float("inf"))  # fuelmenu waits for a person
                else:
                    self._enter(Phase.FIRST_BOOT,
                                self.until + self.config.install_time * (1 - _INSTALLER_SHARE))
            elif self.phase in (Phase.FIRST_BOOT, Phase.BOOTING):
                self._enter(Phase.UP, float("inf"))
            else:
                return

    def describe(self) -> dict[str, object]:
        return {"phase": self.phase.value, "vm": self.vm, "disk_installed": self.disk_installed,
                "hostname": self.params.hostname, "ip": self.params.ip}
