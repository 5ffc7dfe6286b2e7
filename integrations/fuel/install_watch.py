"""How far a Fuel master's install has come, seen from outside, and the wait for it.

A 6.0 install goes: the ISO's installer (nothing answers), the first boot (sshd answers while
``bootstrap_admin_node.sh`` builds the containers: fuel-main ``iso/bootstrap_admin_node.sh``),
the API answering (nginx and nailgun up), then every service (Keystone gives a token, OSTF
answers). A real one takes 20–40 minutes; the deadline is the caller's.
"""
from __future__ import annotations

import enum
import socket
import time
from collections.abc import Callable

import requests

from core.errors import FuelError, MasterError
from core.waiting import follow
from integrations.fuel.session import FuelSession


class InstallStage(enum.IntEnum):
    NOTHING = 0          # off, at the ISO's menu, or in the installer
    SSH = 1              # the installed system booted: sshd answers, containers being built
    API = 2              # /api/version answers
    READY = 3            # Keystone and OSTF answer too: every service is up

    @property
    def label(self) -> str:
        return {0: "installer (nothing answers yet)", 1: "first boot (sshd answers, containers being built)",
                2: "Fuel API answering", 3: "all services up"}[self.value]


def ssh_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """An SSH server's banner arrives on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def probe(*, url: str, user: str, password: str, ssh_host: str, ssh_port: int, timeout: float = 5.0,
          session: requests.Session | None = None) -> InstallStage:
    """The furthest stage the master shows now."""
    fuel = FuelSession(url=url, user=user, password=password, timeout=timeout, retries=0, session=session)
    try:
        fuel.fetch_version()
    except FuelError:
        return InstallStage.SSH if ssh_answers(ssh_host, ssh_port, timeout) else InstallStage.NOTHING
    try:
        fuel.call("GET", "/ostf/testsets/{cluster_id}", cluster_id=0)   # a token, then OSTF through nginx
    except FuelError as exc:
        if exc.retryable or exc.status in (None, 502, 503):
            return InstallStage.API
        # a refused password is Keystone answering: the services are up, the credentials are another step
    return InstallStage.READY


def wait_installed(*, url: str, user: str, password: str, ssh_host: str, ssh_port: int, deadline: float,
                   on_stage: Callable[[InstallStage], None] | None = None, poll: float = 10.0,
                   clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                   session: requests.Session | None = None) -> InstallStage:
    """Probe until every service is up; ``on_stage`` hears each new stage; ``MasterError`` at the deadline."""
    def stuck(last: InstallStage | None, _: MasterError | None) -> MasterError:
        return not_up_in_time(url, last or InstallStage.NOTHING)

    return follow(lambda: probe(url=url, user=user, password=password, ssh_host=ssh_host, ssh_port=ssh_port,
                                session=session),
                  done=lambda stage: stage == InstallStage.READY, state=lambda stage: stage,
                  describe=lambda stage: f"the Fuel master at {url} to come up", deadline=deadline,
                  error=MasterError, poll=poll, max_poll=poll, on_progress=on_stage, give_up=stuck,
                  clock=clock, sleep=sleep)


def not_up_in_time(url: str, last: InstallStage) -> MasterError:
    """An install (or a boot) that did not bring every service up by its deadline."""
    return MasterError(f"The Fuel master at {url} did not come up in time (last seen: {last.label}).",
                       fix="open the master VM's console in vCenter: the installer may be waiting at a "
                           "question (\"erase ALL data on disk?\", or fuelmenu with showmenu=yes), or the "
                           "VM may lack memory (2048 MB at least)")
