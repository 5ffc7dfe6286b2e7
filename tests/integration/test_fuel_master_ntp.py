"""The lab's NTP servers applied to the simulated 6.0 master over real SSH, as fuelmenu applies them:
astute.yaml and ntp.conf edited with sed, ``service ntpd stop``, ``ntpdate -t5``, ``service ntpd start``."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
import yaml
from sqlalchemy.orm import Session, sessionmaker

from core.errors import MasterError
from integrations.fuel.master_setup import FuelMasterSetup
from labspec.model import FuelMaster, MasterSetup
from sim.fuel import FuelSimulator
from sim.fuel.ntp import ntp_conf
from store.host_keys import HostKeyStore

WANTED = ("ntp1.example.com", "10.0.0.5")
DEFAULTS = ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org")


@pytest.fixture
def setup(fuelsim: FuelSimulator, sessions: sessionmaker[Session]) -> Iterator[FuelMasterSetup]:
    """The lab sets NTP servers of its own; root keeps 6.0's password (not what these tests are about)."""
    master = FuelMaster(url=fuelsim.url, user="admin", password="admin",
                        setup=MasterSetup(ntp=WANTED, feature_groups=("mirantis",), ssh_port=fuelsim.ssh_port))
    runner = FuelMasterSetup(master=master, ssh_host="127.0.0.1", keys=HostKeyStore(sessions), poll=0.05)
    yield runner
    runner.close()


def on_master(sim: FuelSimulator, command: str) -> str:
    result = sim.run_command(command)
    return result.stdout + result.stderr


def ntpd_pid(sim: FuelSimulator) -> int | None:
    said = on_master(sim, "service ntpd status")
    match = re.fullmatch(r"ntpd \(pid  (\d+)\) is running\.\.\.\n", said)
    return int(match.group(1)) if match else None


def ntpd_polls(sim: FuelSimulator) -> list[str]:
    """The servers the running ntpd polls, as ``ntpq -p`` lists them."""
    return [line[1:].split()[0] for line in on_master(sim, "ntpq -p").splitlines()[2:]]


def as_ntpq_shows(servers: tuple[str, ...]) -> list[str]:
    return [server[:15] for server in servers]          # ntpq's remote column holds 15 characters


def test_the_specs_servers_are_written_where_6_0_keeps_them_and_ntpd_restarted(fuelsim: FuelSimulator,
                                                                            setup: FuelMasterSetup) -> None:
    before = ntpd_pid(fuelsim)
    assert before is not None and ntpd_polls(fuelsim) == as_ntpq_shows(DEFAULTS)
    assert setup.ntp_servers().listed == DEFAULTS and not setup.ntp_servers().matches(WANTED)
    outcome = setup.ensure_ntp()
    assert (outcome.changed, outcome.summary, outcome.warning) == (
        True, "NTP servers ntp1.example.com, 10.0.0.5: astute.yaml and ntp.conf edited, ntpd restarted", None)
    astute = yaml.safe_load(on_master(fuelsim, "cat /etc/fuel/astute.yaml"))
    assert (astute["NTP1"], astute["NTP2"], astute["NTP3"]) == ("ntp1.example.com", "10.0.0.5", "")
    assert astute["ADMIN_NETWORK"]["ipaddress"] == "10.20.0.2"              # the rest of the file untouched
    assert on_master(fuelsim, "cat /etc/ntp.conf") == ntp_conf(WANTED)     # as 6.0's template writes it
    after = ntpd_pid(fuelsim)
    assert after is not None and after != before and ntpd_polls(fuelsim) == as_ntpq_shows(WANTED)
    assert setup.ntp_servers().matches(WANTED)
    # a second run looks and changes nothing: same files, same ntpd
    assert (setup.ensure_ntp().changed, setup.ensure_ntp().summary) == (False, "NTP servers ntp1.example.com, "
                                                                               "10.0.0.5")
    assert ntpd_pid(fuelsim) == after


def test_an_unreachable_server_is_a_warning_and_the_servers_are_still_set(fuelsim: FuelSimulator,
                                                                        setup: FuelMasterSetup) -> None:
    fuelsim.unreachable_ntp("ntp1.example.com")
    outcome = setup.ensure_ntp()
    assert outcome.changed and outcome.summary.endswith("astute.yaml and ntp.conf edited, ntpd restarted")
    assert outcome.warning is not None
    assert re.fullmatch(r"`ntpdate -t5 ntp1\.example\.com` could not set the master's clock \(\d\d? \w{3} "
                        r"\d\d:\d\d:\d\d ntpdate\[\d+\]: no server suitable for synchronization found\); the servers "
                        r"are set and ntpd keeps trying \(NTP errors are not fatal, as fuelmenu says\)",
                        outcome.warning), outcome.warning
    assert ntpd_pid(fuelsim) is not None and setup.ntp_servers().matches(WANTED)
    assert ".INIT." in on_master(fuelsim, "ntpq -pn")                      # ntpd keeps asking it
    assert setup.ensure_ntp().changed is False                              # nothing more to do


def test_a_crash_between_the_edit_and_the_restart_resumes_with_the_restart(fuelsim: FuelSimulator,
                                                                          setup: FuelMasterSetup) -> None:
    # what a step that died after both sed edits and before `service ntpd stop` leaves behind
    on_master(fuelsim, "sed -i -e 's/^NTP1:.*$/NTP1: ntp1.example.com/' -e 's/^NTP2:.*$/NTP2: 10.0.0.5/' "
                       "-e \"s/^NTP3:.*$/NTP3: ''/\" /etc/fuel/astute.yaml")
    on_master(fuelsim, "sed -i -e '16i\\server ntp1.example.com' -e '16i\\server 10.0.0.5' -e 16d -e 17d -e 18d "
                       "/etc/ntp.conf")
    assert on_master(fuelsim, "cat /etc/ntp.conf") == ntp_conf(WANTED)
    before = ntpd_pid(fuelsim)
    state = setup.ntp_servers()
    assert (state.listed, state.configured, state.running, state.stale) == (WANTED, WANTED, True, True)
    outcome = setup.ensure_ntp()
    assert (outcome.changed, outcome.summary) == (True, "NTP servers ntp1.example.com, 10.0.0.5: ntpd restarted to "
                                                        "read ntp.conf")
    assert ntpd_pid(fuelsim) not in (None, before) and ntpd_polls(fuelsim) == as_ntpq_shows(WANTED)
    assert setup.ensure_ntp().changed is False


def test_a_crash_after_stopping_ntpd_starts_it(fuelsim: FuelSimulator, setup: FuelMasterSetup) -> None:
    setup.ensure_ntp()
    on_master(fuelsim, "service ntpd stop")                                 # died before `service ntpd start`
    assert ntpd_pid(fuelsim) is None and not setup.ntp_servers().matches(WANTED)
    assert setup.ensure_ntp().summary == "NTP servers ntp1.example.com, 10.0.0.5: ntpd restarted to read ntp.conf"
    assert ntpd_pid(fuelsim) is not None and ntpd_polls(fuelsim) == as_ntpq_shows(WANTED)


def test_an_ntp_conf_laid_out_otherwise_is_left_alone_with_the_fix(fuelsim: FuelSimulator,
                                                                  setup: FuelMasterSetup) -> None:
    on_master(fuelsim, "sed -i '17i\\# server 1 is the backup' /etc/ntp.conf")   # a person's note in the block
    conf = on_master(fuelsim, "cat /etc/ntp.conf")
    with pytest.raises(MasterError) as refused:
        setup.ensure_ntp()
    assert "/etc/ntp.conf does not hold its servers in one block of `server` lines" in str(refused.value)
    assert "fuelbot will not edit it" in str(refused.value) and "Fix: set the NTP servers with `fuelmenu`" in \
        str(refused.value)
    assert on_master(fuelsim, "cat /etc/ntp.conf") == conf


def test_the_simulated_masters_ntp_commands_answer_as_centos_6s(fuelsim: FuelSimulator) -> None:
    in_use = fuelsim.run_command("ntpdate -t5 0.pool.ntp.org")
    assert in_use.status == 1 and in_use.stderr.endswith("the NTP socket is in use, exiting\n")
    stopped = fuelsim.run_command("service ntpd stop")
    assert (stopped.status, stopped.stdout.split()) == (0, ["Shutting", "down", "ntpd:", "[", "OK", "]"])
    assert fuelsim.run_command("service ntpd stop").status == 1
    status = fuelsim.run_command("service ntpd status")
    assert (status.status, status.stdout) == (3, "ntpd is stopped\n")
    assert fuelsim.run_command("ntpq -pn").stderr == "ntpq: read: Connection refused\n"
    synced = fuelsim.run_command("ntpdate -t5 0.pool.ntp.org")
    assert synced.status == 0 and re.fullmatch(r"\d\d? \w{3} \d\d:\d\d:\d\d ntpdate\[\d+\]: adjust time server "
                                                r"203\.0\.113\.\d+ offset 0\.00\d{4} sec\n", synced.stdout)
    fuelsim.unreachable_ntp("0.pool.ntp.org")
    lost = fuelsim.run_command("ntpdate -q 0.pool.ntp.org")
    assert lost.status == 1 and lost.stderr.endswith("no server suitable for synchronization found\n")
    started = fuelsim.run_command("service ntpd start")
    assert started.status == 0 and started.stdout.startswith("Starting ntpd:")
    assert fuelsim.run_command("service ntpd status").status == 0
    assert fuelsim.run_command("service chronyd status").stderr == "chronyd: unrecognized service\n"


def test_an_unreachable_ntp_server_is_a_fault_of_the_simulators_api(fuelsim: FuelSimulator) -> None:
    refused = requests.post(f"{fuelsim.url}/_sim/faults/ntp", json={}, timeout=5)
    assert refused.status_code == 400 and "'server'" in refused.text
    made = requests.post(f"{fuelsim.url}/_sim/faults/ntp", json={"server": "2.pool.ntp.org"}, timeout=5)
    assert made.status_code == 201
    assert requests.get(f"{fuelsim.url}/_sim/faults", timeout=5).json()["ntp_unreachable"] == ["2.pool.ntp.org"]
    polled = on_master(fuelsim, "ntpq -pn").splitlines()[2:]
    assert [line.split()[1] for line in polled] == ["193.190.230.65", "193.190.230.65", ".INIT."]
    fuelsim.clear_faults()
    assert requests.get(f"{fuelsim.url}/_sim/faults", timeout=5).json()["ntp_unreachable"] == []
