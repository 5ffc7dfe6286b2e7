"""The article's post-install steps on the simulated 6.0 master, over real SSH and Keystone, with the
host key kept in a real database: each step looks first, so running it twice changes nothing."""
from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator

import paramiko
import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import FuelError, MasterError
from core.redact import scrub
from integrations.fuel.install_watch import InstallStage, probe, wait_installed
from integrations.fuel.keystone import KeystoneAccount
from integrations.fuel.master_setup import FuelMasterSetup
from core.host_key_trust import HostKey
from integrations.fuel.ssh import MasterShell
from labspec.model import FuelMaster, MasterSetup
from sim.fuel import FuelSimulator
from core.host_key_trust import HostKey
from store.host_keys import HostKeyStore
from store.models import MasterHostKey
from tests.fixtures.fuel_simulator import wait_for

ADMIN_PW = "Adm1n-Lab-pw"
ROOT_PW = "R00t-Lab-pw"


def master_of(sim: FuelSimulator) -> FuelMaster:
    """The lab's master: admin and root passwords of its own, experimental on, the simulator's sshd."""
    return FuelMaster(url=sim.url, user="admin", password=ADMIN_PW,
                      setup=MasterSetup(root_password=ROOT_PW, feature_groups=("mirantis", "experimental"),
                                        ssh_port=sim.ssh_port))


@pytest.fixture
def keys(sessions: sessionmaker[Session]) -> HostKeyStore:
    return HostKeyStore(sessions)


@pytest.fixture
def setup(fuelsim: FuelSimulator, keys: HostKeyStore) -> Iterator[FuelMasterSetup]:
    runner = FuelMasterSetup(master=master_of(fuelsim), ssh_host="127.0.0.1", keys=keys, poll=0.05,
                             restart_deadline=20)
    yield runner
    runner.close()


def version(sim: FuelSimulator) -> dict:
    """``/api/version``, waiting out the moment nginx's listener takes to follow a restart."""
    def answer() -> dict | None:
        try:
            reply = requests.get(f"{sim.url}/api/version", timeout=5)
        except requests.ConnectionError:
            return None
        return reply.json() if reply.status_code == 200 else None
    return wait_for(answer, timeout=10, what="/api/version")


def test_every_step_on_a_fresh_master_then_nothing_the_second_time(fuelsim: FuelSimulator, setup: FuelMasterSetup,
                                                                  sessions: sessionmaker[Session]) -> None:
    assert setup.check_release().summary == "Fuel 6.0"
    assert setup.ensure_root_password().changed
    assert setup.ensure_admin_password().changed
    groups = setup.ensure_feature_groups()
    assert groups.changed and "nailgun and nginx restarted" in groups.summary
    assert version(fuelsim)["feature_groups"] == ["mirantis", "experimental"]
    assert setup.sync_cobbler().summary == "cobbler synced"
    # the old passwords stop working, the new ones work
    account = KeystoneAccount(url=fuelsim.url, user="admin")
    assert account.login("admin") is None and account.login(ADMIN_PW) is not None
    with pytest.raises(paramiko.AuthenticationException):
        _plain_ssh(fuelsim, "r00tme")
    # again: every step looks first and finds nothing to do
    requests_before = dict(fuelsim.state()["request_counts"])
    assert [setup.ensure_root_password().changed, setup.ensure_admin_password().changed,
            setup.ensure_feature_groups().changed] == [False, False, False]
    assert fuelsim.state()["request_counts"].get("PATCH /keystone/v2.0/OS-KSCRUD/users/{user_id}") == \
        requests_before.get("PATCH /keystone/v2.0/OS-KSCRUD/users/{user_id}") == 1
    with sessions() as session:
        (row,) = session.scalars(select(MasterHostKey)).all()
        assert row.address == f"127.0.0.1:{fuelsim.ssh_port}" and row.key_type == "ssh-rsa"


def test_a_crash_between_the_edit_and_the_restart_resumes_with_the_restart(fuelsim: FuelSimulator,
                                                                          setup: FuelMasterSetup) -> None:
    setup.ensure_root_password()
    # what a step that died after sed and before `dockerctl restart` leaves behind
    setup.root().run("sed -i '/^    - mirantis$/a\\    - experimental' /etc/fuel/version.yaml")
    assert version(fuelsim)["feature_groups"] == ["mirantis"]
    outcome = setup.ensure_feature_groups()
    assert outcome.changed and "version.yaml edited" not in outcome.summary
    assert version(fuelsim)["feature_groups"] == ["mirantis", "experimental"]


def test_a_crash_after_each_change_resumes_without_changing_again(fuelsim: FuelSimulator, keys: HostKeyStore) -> None:
    # what steps that died right after their change (before the job recorded it) leave behind
    fuelsim.run_command("chpasswd", f"root:{ROOT_PW}\n".encode())
    KeystoneAccount(url=fuelsim.url, user="admin").change_password("admin", ADMIN_PW)
    runner = FuelMasterSetup(master=master_of(fuelsim), ssh_host="127.0.0.1", keys=keys)
    assert runner.ensure_root_password().changed is False
    assert runner.ensure_admin_password().changed is False
    assert runner.sync_cobbler() == runner.sync_cobbler()               # repeating cobbler sync is harmless
    runner.close()


def test_a_changed_host_key_stops_before_the_password_is_sent(fuelsim: FuelSimulator, keys: HostKeyStore) -> None:
    address = f"127.0.0.1:{fuelsim.ssh_port}"
    other = paramiko.RSAKey.generate(1024)
    keys.record(address, other.get_name(), other.get_base64())        # what an earlier contact recorded
    shell = MasterShell(host="127.0.0.1", port=fuelsim.ssh_port, password="r00tme", keys=keys)
    with pytest.raises(MasterError) as caught:
        shell.run("hostname")
    text = str(caught.value)
    assert "host key of the Fuel master at" in text and HostKey(other.get_name(), other.get_base64()).sha256 in text
    assert "sent no password" in text and "r00tme" not in text
    assert keys.forget(address) and shell.run("hostname").stdout == "fuel.domain.tld\n"


def test_wrong_root_and_admin_passwords_say_what_to_set(fuelsim: FuelSimulator, keys: HostKeyStore) -> None:
    fuelsim.run_command("chpasswd", b"root:someone-elses\n")
    runner = FuelMasterSetup(master=master_of(fuelsim), ssh_host="127.0.0.1", keys=keys)
    with pytest.raises(MasterError) as root_error:
        runner.ensure_root_password()
    assert "refused root's password" in str(root_error.value) and "FUEL_ROOT_PASSWORD" in str(root_error.value)
    KeystoneAccount(url=fuelsim.url, user="admin").change_password("admin", "someone-elses-ui")
    with pytest.raises(FuelError) as admin_error:
        runner.ensure_admin_password()
    assert "FUEL_PASSWORD" in str(admin_error.value)
    for text in (str(root_error.value), str(admin_error.value)):
        assert ROOT_PW not in text and ADMIN_PW not in text and scrub(text) == text


def test_a_failing_command_names_the_command_and_its_stderr(setup: FuelMasterSetup) -> None:
    setup.ensure_root_password()
    with pytest.raises(MasterError, match=r"`dockerctl restart nailgunn` failed .* \(exit 1\): Error: No such container"):
        setup.root().run("dockerctl restart nailgunn")


def test_a_master_that_is_not_6_0_is_refused(fuelsim: FuelSimulator, setup: FuelMasterSetup) -> None:
    setup.ensure_root_password()
    setup.root().run("sed -i 's/^  release: \"6.0\"/  release: \"6.1\"/' /etc/fuel/version.yaml")
    with pytest.raises(MasterError, match="runs Fuel 6.1 .*not 6.0"):
        setup.check_release()


def test_an_install_that_never_comes_up_and_one_that_does(fuelsim_factory: Callable[..., FuelSimulator]) -> None:
    sim = fuelsim_factory(installed=False, install_time=200.0)
    stages: list[InstallStage] = []
    ready = wait_installed(url=sim.url, user="admin", password="admin", ssh_host="127.0.0.1", ssh_port=sim.ssh_port,
                           deadline=_now() + 20, on_stage=stages.append, poll=0.05)
    assert ready == InstallStage.READY and stages[0] == InstallStage.NOTHING and stages[-1] == InstallStage.READY
    assert InstallStage.SSH in stages
    stuck = fuelsim_factory(installed=False, install_time=10_000_000.0)
    with pytest.raises(MasterError, match="did not come up in time .*installer"):
        wait_installed(url=stuck.url, user="admin", password="admin", ssh_host="127.0.0.1", ssh_port=stuck.ssh_port,
                       deadline=_now() + 0.5, poll=0.05)
    assert probe(url=stuck.url, user="admin", password="admin", ssh_host="127.0.0.1",
                 ssh_port=stuck.ssh_port) == InstallStage.NOTHING


def _now() -> float:
    return time.monotonic()


def _plain_ssh(sim: FuelSimulator, password: str) -> None:
    with paramiko.SSHClient() as client:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect("127.0.0.1", port=sim.ssh_port, username="root", password=password, look_for_keys=False,
                       allow_agent=False, timeout=5)


def test_a_recorded_key_is_replaced_only_while_it_is_the_one_compared(keys: HostKeyStore) -> None:
    first, second, third = (HostKey("ssh-rsa", base64.b64encode(f"key {n}".encode()).decode()) for n in (1, 2, 3))
    address = "10.20.0.2:22"
    assert keys.entry(address) is None and not keys.replace(address, old=first, new=second)
    keys.record(address, first.key_type, first.key_base64)
    recorded = keys.entry(address)
    assert recorded is not None and recorded.key == first
    assert keys.replace(address, old=first, new=second)
    # a replica that compared against the first key meanwhile loses: the record stays the second
    assert not keys.replace(address, old=first, new=third)
    now = keys.entry(address)
    assert now is not None and now.key == second and now.recorded_at >= recorded.recorded_at
    keys.record(address, third.key_type, third.key_base64)             # a first contact never overwrites
    assert keys.recorded(address) == (second.key_type, second.key_base64)
