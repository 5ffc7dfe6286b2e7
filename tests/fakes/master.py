"""``FakeMaster``: a ``MasterPort`` in memory, a freshly installed Fuel 6.0 master's host.

It starts as 6.0 leaves a master: root ``r00tme``, ``admin``/``admin``, ``feature_groups: [mirantis]``
listed and running, fuelmenu's NTP servers 0-2.pool.ntp.org in astute.yaml and ntp.conf, ntpd on them. The lab's wanted passwords and groups come from its ``FuelMaster``, as with
``FuelMasterSetup``; the running groups are the ``FakeFuel``'s (its ``/api/version``), so a step
test sees one master. Each install has a host key of its own (``generation``); the one recorded
on first contact is kept until forgotten or trusted anew, as ``store.host_keys`` keeps it.
Outcomes and refusals carry ``FuelMasterSetup``'s words (the contract suite checks both). ``stages`` is what ``install_stage`` answers, one per call, the last one repeated.
"""
from __future__ import annotations

import base64
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Sequence

from core.errors import FuelError, FuelbotError, MasterError
from core.host_key_trust import Fingerprint, HostKey, KeyTrust, RecordedHostKey, Verdict, judge
from integrations.fuel.enums import TaskStatus
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.master_backup import BACKUP_ROOT, MasterBackup
from integrations.fuel.master_ntp import NtpState
from integrations.fuel.master_overview import DefaultLogins, FeatureGroups, Filesystem, MasterOverview, Service
from integrations.fuel.master_outcome import Outcome
from integrations.fuel.ssh import trust_command
from labspec.model import ADMIN_DEFAULT, ROOT_DEFAULT, FuelMaster, MasterSetup
from sim.fuel.host import CONTAINERS
from tests.fakes.fuel import FakeFuel


class FakeMaster:
    """A Fuel master's host in memory; ``calls`` counts every call by method name."""

    def __init__(self, master: FuelMaster, fuel: FakeFuel, *, stages: Sequence[InstallStage] = (InstallStage.READY,),
                 ssh_host: str = "10.20.0.2", lab: str | None = None) -> None:
        if master.setup is None:
            raise ValueError("the lab's Fuel master has no setup (fuel.master_vm)")
        self.master, self.setup, self.fuel = master, master.setup, fuel
        self.ssh_host, self.lab = ssh_host, lab
        self.stages = list(stages)
        self.release = "6.0"                     # what version.yaml says (the API's is the FakeFuel's)
        self.listed: tuple[str, ...] = ("mirantis",)
        self.root_password = ROOT_DEFAULT
        self.admin_password = ADMIN_DEFAULT
        self.generation = 1                      # the install whose host key sshd presents
        self.recorded_generation: int | None = None
        self.recorded_at: datetime | None = None
        self.cobbler_syncs = 0
        self.ntp_listed = self.ntp_configured = self.ntpd_servers = MasterSetup().ntp   # fuelmenu's defaults
        self.ntpd_running = True
        self.ntp_unreachable: set[str] = set()
        self.ntpd_restarts = 0
        self.archives: list[MasterBackup] = []  # what `dockerctl backup` wrote
        self.now = datetime.now(timezone.utc).replace(microsecond=0)   # when `dockerctl backup` runs
        self.calls: Counter[str] = Counter()
        self.errors: defaultdict[str, list[FuelbotError]] = defaultdict(list)

    # -- arranging state as a person at the master would ----------------------------------------------
    def fail_next(self, method: str, error: FuelbotError, times: int = 1) -> None:
        self.errors[method].extend([error] * times)

    def reinstall(self) -> None:
        """A fresh install: 6.0's defaults again, and a new host key."""
        self.listed, self.fuel.feature_groups = ("mirantis",), ("mirantis",)
        self.root_password, self.admin_password = ROOT_DEFAULT, ADMIN_DEFAULT
        self.ntp_listed = self.ntp_configured = self.ntpd_servers = MasterSetup().ntp
        self.ntpd_running = True
        self.generation += 1

    @property
    def key_recorded(self) -> bool:
        return self.recorded_generation is not None

    @key_recorded.setter
    def key_recorded(self, recorded: bool) -> None:
        self.recorded_generation = self.generation if recorded else None
        self.recorded_at = self.now if recorded else None

    @property
    def key_changed(self) -> bool:
        """A key is recorded and sshd presents another (a reinstall since)."""
        return self.recorded_generation not in (None, self.generation)

    @key_changed.setter
    def key_changed(self, changed: bool) -> None:
        """True: the key recorded is an earlier install's (as after a reinstall)."""
        self.recorded_generation = self.generation - 1 if changed else self.generation
        self.recorded_at = self.now

    @staticmethod
    def key_of(generation: int) -> HostKey:
        """The host key install number ``generation`` made."""
        return HostKey("ssh-rsa", base64.b64encode(f"fake host key of install {generation}".encode()).decode())

    @property
    def presented(self) -> HostKey:
        return self.key_of(self.generation)

    # -- the port -------------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"{self.ssh_host}:{self.setup.ssh_port}"

    def _use(self, method: str, *, ssh: bool = True) -> None:
        self.calls[method] += 1
        if self.errors[method]:
            raise self.errors[method].pop(0)
        if ssh:
            self._login()

    def _login(self) -> None:
        if self.recorded_generation is not None and self.key_changed:
            recorded = self.key_of(self.recorded_generation)
            raise MasterError(f"The SSH host key of the Fuel master at {self.address} changed: it presented "
                              f"ssh-rsa {self.presented.sha256}, fuelbot recorded ssh-rsa {recorded.sha256}. Either "
                              "the master was reinstalled or something else answers at its address; fuelbot sent no "
                              "password.", fix=trust_command(self.lab, self.presented))
        if not self.key_recorded:
            self.key_recorded = True
        if self.root_password not in (self.setup.root_password, ROOT_DEFAULT):
            also = "" if self.setup.root_password == ROOT_DEFAULT else " and 6.0's default r00tme"
            raise MasterError(f"The Fuel master at {self.address} refused root's password over SSH (the lab's"
                              f"{also}).", fix="set FUEL_ROOT_PASSWORD (fuel.master_vm.root_password) to the "
                                               "master's root password")

    def install_stage(self) -> InstallStage:
        self.calls["install_stage"] += 1
        return self.stages.pop(0) if len(self.stages) > 1 else self.stages[0]

    def forget_host_key(self) -> bool:
        self.calls["forget_host_key"] += 1
        recorded = self.key_recorded
        self.recorded_generation, self.recorded_at = None, None
        return recorded

    def host_key(self) -> RecordedHostKey | None:
        self.calls["host_key"] += 1
        if self.recorded_generation is None or self.recorded_at is None:
            return None
        return RecordedHostKey(address=self.address, key=self.key_of(self.recorded_generation),
                               recorded_at=self.recorded_at)

    def trust_host_key(self, typed: Fingerprint) -> KeyTrust:
        self._use("trust_host_key", ssh=False)           # the key is read, no login attempted
        recorded = self.key_of(self.recorded_generation) if self.recorded_generation is not None else None
        verdict = judge(recorded, self.presented, typed)
        if verdict is Verdict.TRUSTED:
            self.recorded_generation, self.recorded_at = self.generation, self.now
        return KeyTrust(address=self.address, verdict=verdict, typed=typed, presented=self.presented,
                        recorded=recorded)

    def check_release(self) -> Outcome:
        self._use("check_release")
        if self.release != "6.0" or self.fuel.release != "6.0":
            raise MasterError(f"The Fuel master at {self.address} runs Fuel {self.release} (its API says "
                              f"{self.fuel.release}), not 6.0, which fuelbot and this lab are made for.",
                              fix="point the lab at a Fuel 6.0 master, or reinstall it from the 6.0 ISO")
        return Outcome(False, "Fuel 6.0")

    def ensure_root_password(self) -> Outcome:
        self._use("ensure_root_password")
        if self.root_password == self.setup.root_password:
            return Outcome(False, "root already logs in with the lab's password")
        self.root_password = self.setup.root_password
        return Outcome(True, "root's password changed from 6.0's default")

    def ensure_admin_password(self) -> Outcome:
        self._use("ensure_admin_password", ssh=False)
        user = self.master.user
        if self.admin_password == self.master.password:
            return Outcome(False, f"`{user}` already logs in with the lab's password")
        if self.admin_password != ADMIN_DEFAULT:
            also = "" if self.master.password == ADMIN_DEFAULT else " and 6.0's default admin"
            raise FuelError(f"The Fuel master at {self.master.url} refused the password of '{user}' (the lab's"
                            f"{also}); set FUEL_PASSWORD to the Fuel UI password", status=401, retryable=False)
        self.admin_password = self.master.password
        return Outcome(True, f"`{user}`'s password changed from 6.0's default, as the UI does")

    def feature_groups(self) -> FeatureGroups:
        self._use("feature_groups")
        return FeatureGroups(listed=self.listed, running=self.fuel.feature_groups)

    def ensure_feature_groups(self) -> Outcome:
        self._use("ensure_feature_groups")
        wanted = self.setup.feature_groups
        edited = self.listed != wanted
        self.listed = wanted
        if self.fuel.feature_groups == wanted:
            return Outcome(edited, f"feature groups {', '.join(wanted)}" + (" (version.yaml edited)" if edited else ""))
        self.fuel.feature_groups = wanted
        return Outcome(True, f"feature groups {', '.join(wanted)}: nailgun and nginx restarted")

    def ntp_servers(self) -> NtpState:
        self._use("ntp_servers")
        return NtpState(listed=self.ntp_listed, configured=self.ntp_configured, running=self.ntpd_running,
                        stale=self.ntpd_running and self.ntpd_servers != self.ntp_configured)

    def ensure_ntp(self) -> Outcome:
        self._use("ensure_ntp")
        wanted = self.setup.ntp
        edited = [name for name, servers in (("astute.yaml", self.ntp_listed), ("ntp.conf", self.ntp_configured))
                  if servers != wanted]
        self.ntp_listed = self.ntp_configured = wanted
        shown = f"NTP servers {', '.join(wanted)}"
        if not edited and self.ntpd_running and self.ntpd_servers == wanted:
            return Outcome(False, shown)
        self.ntpd_running, self.ntpd_servers, self.ntpd_restarts = True, wanted, self.ntpd_restarts + 1
        warning = None
        if wanted[0] in self.ntp_unreachable:
            warning = (f"`ntpdate -t5 {wanted[0]}` could not set the master's clock (ntpdate[1022]: no server "
                       "suitable for synchronization found); the servers are set and ntpd keeps trying (NTP errors "
                       "are not fatal, as fuelmenu says)")
        what = f"{' and '.join(edited)} edited, ntpd restarted" if edited else "ntpd restarted to read ntp.conf"
        return Outcome(True, f"{shown}: {what}", warning)

    def sync_cobbler(self) -> Outcome:
        self._use("sync_cobbler")
        self.cobbler_syncs += 1
        return Outcome(True, "cobbler synced")

    def default_logins(self) -> DefaultLogins:
        self._use("default_logins")
        return DefaultLogins(admin=self.admin_password == ADMIN_DEFAULT, root=self.root_password == ROOT_DEFAULT)

    def overview(self) -> MasterOverview:
        self._use("overview")
        return MasterOverview(url=self.master.url, ssh=self.address, release=self.release, build="58",
                              groups=FeatureGroups(listed=self.listed, running=self.fuel.feature_groups),
                              hostname=self.setup.hostname, uptime="2 days, 3:10",
                              services=tuple(Service(name=c, ready=True, up="2 days") for c in CONTAINERS),
                              disks=(Filesystem("/", "9.7G", 27), Filesystem("/var", "18G", 30),
                                     Filesystem("/var/log", "9.7G", 4)))

    def back_up(self) -> MasterBackup:
        """``dockerctl backup``'s refusal while the FakeFuel runs a task, else a new archive."""
        self._use("back_up")
        if any(t.status is TaskStatus.RUNNING for t in self.fuel.tasks()):
            raise MasterError(f"`dockerctl backup` on the Fuel master at {self.address} refused: Fuel has running "
                              "tasks.", fix="wait for them to end (`/fuel status <lab>`), then back up again")
        stamp = self.now + timedelta(seconds=len(self.archives))
        backup_id = stamp.strftime("%Y-%m-%d_%H%S")
        archive = MasterBackup(path=f"{BACKUP_ROOT}/backup_{backup_id}/fuel_backup_{backup_id}.tar.lrz",
                               size_bytes=3_200_000_000, written=stamp)
        self.archives.append(archive)
        return archive

    def backups(self) -> list[MasterBackup]:
        self._use("backups")
        return sorted(self.archives, key=lambda b: b.written, reverse=True)

    def close(self) -> None:
        self.calls["close"] += 1
