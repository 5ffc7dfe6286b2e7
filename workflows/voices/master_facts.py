"""What the Fuel master's steps say happened (install, ISO, setup over SSH, a look at it), as typed facts.

The deploy and ``/fuel master`` tell the same facts; ``workflows/voices/master.py`` words them.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.host_key_trust import KeyTrust, RecordedHostKey
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.master_ntp import NtpState
from integrations.fuel.master_overview import DefaultLogins, MasterOverview


@dataclass(frozen=True)
class BootTyped:
    """fuelbot typed the boot parameters at the ISO's menu (Tab, the words, Enter)."""

    vm: str
    parameters: str


@dataclass(frozen=True)
class BootByHand:
    """This vCenter cannot type at a console: what a person types, before fuelbot powers the VM on."""

    vm: str
    instructions: str


@dataclass(frozen=True)
class BootMenuMissed:
    """Resumed after the ISO menu's 30 s: the installer started with 6.0's default parameters."""

    vm: str
    parameters: str


@dataclass(frozen=True)
class MasterStarting:
    """The install (or a boot from the disk) seen from outside: one progress line, edited in place."""

    vm: str | None
    install: bool
    stage: InstallStage
    elapsed: float
    deadline: float
    typed: bool = False


@dataclass(frozen=True)
class MasterUp:
    vm: str | None
    install: bool
    elapsed: float


@dataclass(frozen=True)
class IsoDetached:
    vm: str


@dataclass(frozen=True)
class SetupAction:
    """One post-install action and what it did (its summary and warning are safe to post)."""

    summary: str
    changed: bool
    warning: str | None = None


@dataclass(frozen=True)
class MasterSetupProgress:
    """The post-install steps done so far over SSH and Keystone; ``finished`` once all are."""

    address: str
    done: tuple[SetupAction, ...]
    finished: bool = False


@dataclass(frozen=True)
class MasterShown:
    """``/fuel master``: the master as it is, what the lab needs of it, and what ``--fix`` would change."""

    lab: str
    overview: MasterOverview
    needed: tuple[str, ...]
    defaults: DefaultLogins
    iso_problems: tuple[str, ...]
    fixes: tuple[str, ...]
    host_key: RecordedHostKey | None = None
    ntp: NtpState | None = None                  # where the NTP servers are, and the lab's
    ntp_wanted: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostKeyJudged:
    """``--trust-key``: the master's presented key trusted, or nothing to do (a mismatch fails the step)."""

    trust: KeyTrust
    by: str                    # the admin who typed the fingerprint


# what the master's steps tell, in a deploy or a --fix; /fuel master adds what it shows
MasterStepFact = (BootTyped | BootByHand | BootMenuMissed | MasterStarting | MasterUp | IsoDetached
                  | MasterSetupProgress)
MasterFact = MasterStepFact | MasterShown | HostKeyJudged
