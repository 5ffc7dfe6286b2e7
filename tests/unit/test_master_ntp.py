"""Reading and planning the Fuel master's NTP edits: the files as 6.0 writes them, edited by the sed scripts
fuelbot plans (run through the simulator's GNU sed), and files laid out otherwise refused."""
from __future__ import annotations

import pytest
import yaml

from integrations.fuel.master_ntp import (NotEditable, NtpState, astute_edit, astute_servers, conf_edit,
                                          conf_servers)
from sim.fuel import sed
from sim.fuel.host import astute_yaml
from sim.fuel.master import BootParams
from sim.fuel.ntp import ntp_conf
from workflows.voices.master import ntp_line

DEFAULTS = ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org")


def run_sed(script: list[str], text: str) -> str:
    """What ``sed -i SCRIPT`` leaves of ``text``: the ``-e`` arguments in order, as GNU sed runs them."""
    expressions = script[1::2]
    assert script[0::2] == ["-e"] * len(expressions)
    commands = [c for n, e in enumerate(expressions, start=1) for c in sed.parse(e, n)]
    return sed.run(commands, text)


def test_a_fresh_masters_files_list_fuelmenus_defaults() -> None:
    assert astute_servers(astute_yaml(BootParams())) == DEFAULTS
    assert conf_servers(ntp_conf(DEFAULTS)) == DEFAULTS


def test_empty_ntp_fields_and_the_local_clock_are_not_servers() -> None:
    assert astute_servers("NTP1: ntp.example.com\nNTP2: ''\nNTP3:\nHOSTNAME: fuel\n") == ("ntp.example.com",)
    conf = "server 10.0.0.5 iburst\nserver\t127.127.1.0\nfudge 127.127.1.0 stratum 10\n# server old.example.com\n"
    assert conf_servers(conf) == ("10.0.0.5",)


@pytest.mark.parametrize("wanted", [("ntp.example.com",), ("a.example.com", "10.0.0.5"),
                                    ("a.example.com", "b.example.com", "c.example.com")])
def test_the_planned_edits_leave_the_spec_servers_and_the_rest_of_each_file(wanted: tuple[str, ...]) -> None:
    astute = astute_yaml(BootParams())
    edited = run_sed(astute_edit(astute, wanted), astute)
    data, before = yaml.safe_load(edited), yaml.safe_load(astute)
    assert [data["NTP1"], data["NTP2"], data["NTP3"]] == list(wanted) + [""] * (3 - len(wanted))
    assert {k: v for k, v in data.items() if not k.startswith("NTP")} == \
        {k: v for k, v in before.items() if not k.startswith("NTP")}
    conf = ntp_conf(DEFAULTS)
    after = run_sed(conf_edit(conf, wanted), conf)
    assert after == ntp_conf(wanted)                 # as 6.0's template would have written it for them
    assert astute_servers(edited) == conf_servers(after) == wanted


def test_the_edit_keeps_a_local_clock_after_the_servers() -> None:
    conf = "driftfile /var/lib/ntp/drift\nserver a.example.com\nserver b.example.com\nserver 127.127.1.0\n"
    assert run_sed(conf_edit(conf, ("c.example.com",)), conf) == \
        "driftfile /var/lib/ntp/drift\nserver c.example.com\nserver 127.127.1.0\n"


@pytest.mark.parametrize(("text", "why"), [
    ("driftfile /var/lib/ntp/drift\n", "does not hold its servers in one block"),
    ("server a.example.com\n# a person's note\nserver b.example.com\n", "does not hold its servers in one block"),
])
def test_an_ntp_conf_laid_out_otherwise_is_refused(text: str, why: str) -> None:
    with pytest.raises(NotEditable, match=why):
        conf_edit(text, ("ntp.example.com",))


@pytest.mark.parametrize(("text", "why"), [
    ("NTP1: a\nNTP2: b\nHOSTNAME: fuel\n", "has 0 top-level NTP3 lines"),
    ("NTP1: a\nNTP2: b\nNTP3: c\nNTP1: d\n", "has 2 top-level NTP1 lines"),
])
def test_an_astute_yaml_laid_out_otherwise_is_refused(text: str, why: str) -> None:
    with pytest.raises(NotEditable, match=why):
        astute_edit(text, ("ntp.example.com",))


def test_an_astute_yaml_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(NotEditable, match="not the mapping fuelmenu writes"):
        astute_servers("- NTP1\n")


def test_the_ntp_state_matches_only_when_both_files_and_ntpd_agree_with_the_spec() -> None:
    wanted = ("ntp.example.com",)
    assert NtpState(wanted, wanted, running=True, stale=False).matches(wanted)
    assert not NtpState(wanted, wanted, running=False, stale=False).matches(wanted)
    assert not NtpState(wanted, wanted, running=True, stale=True).matches(wanted)
    assert not NtpState(DEFAULTS, wanted, running=True, stale=False).matches(wanted)


def test_the_ntp_line_says_what_differs() -> None:
    wanted = ("ntp.example.com",)
    assert ntp_line(NtpState(wanted, wanted, True, False), wanted) == \
        "*NTP*: ntp.example.com ✓ (as the lab sets; ntpd runs with them)"
    assert ntp_line(NtpState(DEFAULTS, DEFAULTS, True, False), wanted) == \
        "*NTP*: 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org ✗ (the lab sets ntp.example.com)"
    assert ntp_line(NtpState(DEFAULTS, wanted, True, True), wanted) == \
        ("*NTP*: ntp.example.com ✗ (astute.yaml lists 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org; ntpd started "
         "before ntp.conf was last edited)")
    assert ntp_line(NtpState(wanted, wanted, False, False), wanted) == "*NTP*: ntp.example.com ✗ (ntpd is stopped)"
