"""The article's steps on a freshly installed Fuel 6.0 master, each one idempotent and resumable.

    check_release()          version.yaml and /api/version say 6.0
    ensure_root_password()   root logs in with the lab's password (changed from 6.0's r00tme if needed)
    ensure_admin_password()  admin logs in with fuel.password (changed from admin as the UI does)
    ensure_feature_groups()  version.yaml lists the lab's groups; nailgun (and nginx) restarted until
                             /api/version shows them
    ensure_ntp()             astute.yaml and ntp.conf list the lab's NTP servers, ntpd restarted with them
                             (see :mod:`integrations.fuel.master_ntp`)
    sync_cobbler()           ``dockerctl shell cobbler cobbler sync`` (harmless to repeat)

and what fuelbot looks at without changing anything: ``install_stage()`` (how far an install has
come, from outside), ``feature_groups()``, ``ntp_servers()``, ``default_logins()``, ``overview()`` and
``host_key()``. ``trust_host_key()`` replaces the recorded SSH host key with the one the master presents,
when an admin typed its fingerprint (``core.host_key_trust``).

Each action looks first and changes only what differs, so running it again after a crash (or
twice) changes nothing the second time. The feature groups are edited with GNU sed, which
every 6.0 master has: the list items are deleted and the lab's appended after
``  feature_groups:`` (fuel-main ``iso/module.mk`` writes that block, and only it, as ``    - x``).
"""
from __future__ import annotations

import logging
import re
import shlex
import time
from typing import Any, Callable

import requests
import yaml

from core.errors import FuelError, MasterError
from core.host_key_trust import Fingerprint, KeyTrust, RecordedHostKey, Verdict, judge
from integrations.fuel import master_backup, master_ntp, master_overview
from integrations.fuel.install_watch import InstallStage, probe
from integrations.fuel.keystone import KeystoneAccount
from integrations.fuel.master_backup import MasterBackup
from integrations.fuel.master_outcome import Outcome
from integrations.fuel.master_ntp import NtpState
from integrations.fuel.master_overview import DefaultLogins, FeatureGroups, MasterOverview
from integrations.fuel.models import FuelVersion
from integrations.fuel.session import FuelSession
from integrations.fuel.ssh import HostKeys, MasterShell, presented_key
from integrations.fuel.waiting import follow
from labspec.model import ADMIN_DEFAULT, ROOT_DEFAULT, FuelMaster, MasterSetup

log = logging.getLogger(__name__)
VERSION_YAML = "/etc/fuel/version.yaml"
_ITEM = re.compile(r"^    - (\S+)$")


class FuelMasterSetup:
    """Post-install setup of one Fuel master over SSH (root) and Keystone (admin)."""

    def __init__(self, *, master: FuelMaster, ssh_host: str, keys: HostKeys, timeout: float = 15.0,
                 restart_deadline: float = 300.0, poll: float = 1.0,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic, lab: str | None = None) -> None:
        if master.setup is None:
            raise ValueError("the lab's Fuel master has no setup (fuel.master_vm)")
        self.master, self.setup, self.lab = master, master.setup, lab
        self.ssh_host, self.keys, self.timeout = ssh_host, keys, timeout
        self.restart_deadline, self.poll, self._clock = restart_deadline, poll, clock
        self._http = session
        self._shell: MasterShell | None = None
        self._on_default = False               # the session above logged in with r00tme, not the lab's

    @classmethod
    def of(cls, master: FuelMaster, *, keys: HostKeys, **kw: Any) -> "FuelMasterSetup":
        """The setup of the lab's master, whose sshd listens where its API does (``fuel.url``'s host)."""
        return cls(master=master, ssh_host=master.host, keys=keys, **kw)

    def __repr__(self) -> str:
        return f"FuelMasterSetup(root@{self.address}, {self.master.url})"

    @property
    def address(self) -> str:
        return f"{self.ssh_host}:{self.setup.ssh_port}"

    def install_stage(self) -> InstallStage:
        """How far the master's install has come, seen from outside (never raises)."""
        return probe(url=self.master.url, user=self.master.user, password=self.master.password,
                     ssh_host=self.ssh_host, ssh_port=self.setup.ssh_port, timeout=min(self.timeout, 5.0),
                     session=self._http)

    def forget_host_key(self) -> bool:
        """Drop the recorded host key: fuelbot is reinstalling this master, which makes a new one."""
        self.close()
        return self.keys.forget(self.address)

    def host_key(self) -> RecordedHostKey | None:
        """The SSH host key recorded for this master and when; None before the first contact."""
        return self.keys.entry(self.address)

    def trust_host_key(self, typed: Fingerprint) -> KeyTrust:
        """Replace the recorded host key with the one the master presents now, if ``typed`` is its fingerprint.

        The presented key is read without logging in (no password is offered to a master whose key
        changed); the record is replaced only if it is still the one judged against.
        """
        entry = self.host_key()
        recorded = entry.key if entry is not None else None
        presented = presented_key(self.ssh_host, self.setup.ssh_port, timeout=self.timeout,
                                  prefer=recorded.key_type if recorded is not None else None)
        verdict = judge(recorded, presented, typed)
        if verdict is Verdict.TRUSTED and recorded is not None:
            self.close()
            if not self.keys.replace(self.address, old=recorded, new=presented):
                raise MasterError(f"The recorded SSH host key of the Fuel master at {self.address} changed while "
                                  "fuelbot compared it (someone else trusted a key meanwhile).",
                                  fix=f"look at `/fuel master {self.lab or 'LAB'}` and run the command again")
            # the job audits who trusted it, in a transaction of its own: this line outlives a crash between
            log.warning("trusted a new SSH host key for the Fuel master at %s: %s in place of %s (%s typed)",
                        self.address, presented.sha256, recorded.sha256, typed)
        return KeyTrust(address=self.address, verdict=verdict, typed=typed, presented=presented, recorded=recorded)

    def close(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    # ----- root ---------------------------------------------------------------------------------------
    def _open(self, password: str) -> MasterShell:
        return MasterShell(host=self.ssh_host, port=self.setup.ssh_port, password=password, keys=self.keys,
                           timeout=self.timeout, lab=self.lab)

    def root(self) -> MasterShell:
        """root's session: with the lab's password, or 6.0's r00tme until ``ensure_root_password``."""
        if self._shell is None:
            wanted = self.setup.root_password
            for password in dict.fromkeys((wanted, ROOT_DEFAULT)):
                shell = self._open(password)
                if shell.login_works():
                    self._shell, self._on_default = shell, password != wanted
                    return shell
            also = "" if wanted == ROOT_DEFAULT else " and 6.0's default r00tme"
            raise MasterError(f"The Fuel master at {self.address} refused root's password over SSH (the lab's"
                              f"{also}).", fix="set FUEL_ROOT_PASSWORD (fuel.master_vm.root_password) to the "
                                               "master's root password")
        return self._shell

    def ensure_root_password(self) -> Outcome:
        shell = self.root()
        if not self._on_default:
            return Outcome(False, "root already logs in with the lab's password")
        shell.run("chpasswd", stdin=f"root:{self.setup.root_password}\n")
        self.close()
        fresh = self._open(self.setup.root_password)
        if not fresh.login_works():
            raise MasterError(f"`chpasswd` ran on the Fuel master at {self.address} but root's new password does "
                              "not log in.", fix="log in on the master's console and set root's password by hand")
        self._shell, self._on_default = fresh, False
        return Outcome(True, "root's password changed from 6.0's default")

    # ----- admin (Keystone) ----------------------------------------------------------------------------
    def ensure_admin_password(self) -> Outcome:
        account = KeystoneAccount(url=self.master.url, user=self.master.user, tenant=self.master.tenant,
                                  timeout=self.timeout, session=self._http)
        wanted = self.master.password
        if account.login(wanted) is not None:
            return Outcome(False, f"`{self.master.user}` already logs in with the lab's password")
        if wanted == ADMIN_DEFAULT or account.login(ADMIN_DEFAULT) is None:
            also = "" if wanted == ADMIN_DEFAULT else " and 6.0's default admin"
            raise FuelError(f"The Fuel master at {self.master.url} refused the password of '{self.master.user}' "
                            f"(the lab's{also}); "
                            "set FUEL_PASSWORD to the Fuel UI password", status=401, retryable=False)
        account.change_password(ADMIN_DEFAULT, wanted)
        if account.login(wanted) is None or account.login(ADMIN_DEFAULT) is not None:
            raise FuelError(f"Keystone at {self.master.url} accepted the password change of '{self.master.user}' "
                            "but the new password does not log in (or the old one still does)", retryable=False)
        return Outcome(True, f"`{self.master.user}`'s password changed from 6.0's default, as the UI does")

    # ----- version and feature groups ------------------------------------------------------------------
    def version_file(self) -> tuple[str, tuple[str, ...], str]:
        """(release, feature groups, raw text) of ``/etc/fuel/version.yaml``."""
        text = self.root().run(f"cat {VERSION_YAML}").stdout
        try:
            version = yaml.safe_load(text)["VERSION"]
            groups = tuple(str(g) for g in version.get("feature_groups") or ())
            return str(version.get("release", "")), groups, text
        except (yaml.YAMLError, KeyError, TypeError, AttributeError):
            raise MasterError(f"{VERSION_YAML} on the Fuel master at {self.address} is not the YAML Fuel writes",
                              fix=f"repair {VERSION_YAML} by hand (VERSION: feature_groups: [...], release: ...)") from None

    def feature_groups(self) -> FeatureGroups:
        """What version.yaml lists and what Nailgun runs with."""
        return FeatureGroups(listed=self.version_file()[1], running=self.running_version().feature_groups)

    def default_logins(self) -> DefaultLogins:
        """Whether 6.0's ``admin``/``admin`` and ``root``/``r00tme`` still log in."""
        account = KeystoneAccount(url=self.master.url, user=self.master.user, tenant=self.master.tenant,
                                  timeout=self.timeout, session=self._http)
        with self._open(ROOT_DEFAULT) as shell:
            root = shell.login_works()
        return DefaultLogins(admin=account.login(ADMIN_DEFAULT) is not None, root=root)

    def overview(self) -> MasterOverview:
        """Release, feature groups, address, services and disks, as root reads them."""
        release, listed, _ = self.version_file()
        running = self.running_version()
        return master_overview.read(self.root(), url=self.master.url, release=release, build=running.build_number,
                                    groups=FeatureGroups(listed=listed, running=running.feature_groups))

    def back_up(self) -> MasterBackup:
        """``dockerctl backup`` as root (see :mod:`integrations.fuel.master_backup`)."""
        return master_backup.back_up(self.root())

    def backups(self) -> list[MasterBackup]:
        """The backup archives under /var/backup/fuel, newest first."""
        return master_backup.list_backups(self.root())

    def running_version(self) -> FuelVersion:
        return FuelSession(url=self.master.url, user=self.master.user, password=self.master.password,
                           timeout=self.timeout, retries=0, session=self._http).fetch_version()

    def check_release(self) -> Outcome:
        release, _, _ = self.version_file()
        api = self.running_version().release
        if release != "6.0" or api != "6.0":
            raise MasterError(f"The Fuel master at {self.address} runs Fuel {release or '?'} (its API says "
                              f"{api}), not 6.0, which fuelbot and this lab are made for.",
                              fix="point the lab at a Fuel 6.0 master, or reinstall it from the 6.0 ISO")
        return Outcome(False, "Fuel 6.0")

    def ensure_feature_groups(self) -> Outcome:
        wanted = self.setup.feature_groups
        _, groups, text = self.version_file()
        edited = groups != wanted
        if edited:
            self._check_editable(text, groups)
            script = ["-e", "/^    - /d"] + [arg for group in wanted
                                              for arg in ("-e", f"/^  feature_groups:/a\\    - {group}")]
            self.root().run(shlex.join(["sed", "-i", *script, VERSION_YAML]))
            if self.version_file()[1] != wanted:
                raise MasterError(f"Editing {VERSION_YAML} on the Fuel master at {self.address} did not leave "
                                  f"feature_groups {list(wanted)}", fix=f"edit {VERSION_YAML} by hand")
        running = self.running_version().feature_groups
        if running == wanted:
            return Outcome(edited, f"feature groups {', '.join(wanted)}" + (" (version.yaml edited)" if edited else ""))
        self.root().run("dockerctl restart nailgun")
        self.root().run("dockerctl restart nginx")
        follow(self.running_version, done=lambda v: v.feature_groups == wanted, state=lambda v: v.feature_groups,
               describe=lambda v: f"/api/version to list {list(wanted)} (it lists "
                                  f"{list(v.feature_groups) if v else 'nothing yet'})",
               deadline=self._clock() + self.restart_deadline, poll=self.poll, clock=self._clock)
        return Outcome(True, f"feature groups {', '.join(wanted)}: nailgun and nginx restarted")

    def _check_editable(self, text: str, groups: tuple[str, ...]) -> None:
        lines = text.splitlines()
        items = [i for i, line in enumerate(lines) if _ITEM.match(line)]
        try:
            start = lines.index("  feature_groups:")
        except ValueError:
            start = -2
        if items != list(range(start + 1, start + 1 + len(groups))):
            raise MasterError(f"{VERSION_YAML} on the Fuel master at {self.address} is laid out differently from "
                              "what 6.0 writes; fuelbot will not edit it", fix="set feature_groups by hand, then "
                              "`dockerctl restart nailgun` and `dockerctl restart nginx`")

    def ntp_servers(self) -> NtpState:
        """The NTP servers astute.yaml and ntp.conf list, and whether ntpd runs with them."""
        return master_ntp.read(self.root())

    def ensure_ntp(self) -> Outcome:
        return master_ntp.ensure(self.root(), self.setup.ntp)

    def sync_cobbler(self) -> Outcome:
        out = self.root().run("dockerctl shell cobbler cobbler sync").stdout
        if "*** TASK COMPLETE ***" not in out:
            raise MasterError(f"`cobbler sync` on the Fuel master at {self.address} did not complete",
                              fix="run `dockerctl shell cobbler cobbler sync` on the master and read its output")
        return Outcome(True, "cobbler synced")
