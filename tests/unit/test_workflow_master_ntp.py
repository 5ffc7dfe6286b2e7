"""The Fuel master's NTP servers in the master's steps: ``/fuel master`` shows them against the lab's,
preflight warns of a mismatch with the fix, and the setup (deploy or ``--fix``) tells what it did."""
from __future__ import annotations

from dataclasses import replace

from tests.fakes.harness import Harness
from workflows import deploy_master
from workflows.master import MasterWorkflow, look
from workflows.master_preflight import master_findings
from workflows.records import DeployRecord, MasterRecord
from workflows.voices.deploy import DeployVoice
from workflows.voices.master import MasterVoice

WANTED = ("ntp.example.com", "10.0.0.5")


def with_ntp(h: Harness) -> Harness:
    """The lab sets NTP servers of its own (fuelmenu's 0-2.pool.ntp.org are on the master)."""
    setup, vm = h.lab.fuel.setup, h.lab.fuel.vm
    assert setup is not None and vm is not None
    h.lab = replace(h.lab, fuel=replace(h.lab.fuel, setup=replace(setup, ntp=WANTED)))
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(vm, lab="lab1")
    h.vsphere.power_on("fuel-master")
    return h


def test_fuel_master_shows_the_ntp_servers_against_the_labs_and_fix_sets_them() -> None:
    h = with_ntp(Harness())
    shown = look(h.run(MasterRecord(), MasterVoice(), kind="master"), h.lab)
    assert "set NTP servers ntp.example.com, 10.0.0.5 (astute.yaml and ntp.conf, ntpd restarted)" in shown.fixes
    lines = "\n".join(MasterVoice().lines(shown)[0].text.splitlines())
    assert "*NTP*: 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org ✗ (the lab sets ntp.example.com, 10.0.0.5)" in lines
    fix = h.run(MasterRecord(), MasterVoice(), kind="master", params={"fix": True})
    for step in MasterWorkflow(h.deps()).steps():
        step.run(fix)
    setup = [t for k, t in h.thread.lines if k == "progress:master_setup" and t.startswith("🔧 Fuel master set up")]
    assert "   ✓ NTP servers ntp.example.com, 10.0.0.5: astute.yaml and ntp.conf edited, ntpd restarted" in \
        setup[-1].splitlines()
    (shown_line,) = [t for k, t in h.thread.lines if k == "say" and t.startswith("*Address*")]
    assert "*NTP*: ntp.example.com, 10.0.0.5 ✓ (as the lab sets; ntpd runs with them)" in shown_line
    assert "--fix` would" not in shown_line and h.fake_master().ntpd_restarts == 1


def test_preflight_warns_of_other_ntp_servers_with_the_fix_and_not_in_a_deploy() -> None:
    h = with_ntp(Harness())
    (ntp,) = [f for f in master_findings(h.run(MasterRecord(), MasterVoice()), h.lab, deploying=False)
              if f.check == "fuel-master-ntp"]
    assert (ntp.level, ntp.message, ntp.fix) == (
        "warn", "the Fuel master's ntp.conf lists 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org: the lab sets "
                "ntp.example.com, 10.0.0.5", "`/fuel master lab1 --fix` (sets them as fuelmenu does and restarts ntpd)")
    assert not [f for f in master_findings(h.run(MasterRecord(), MasterVoice()), h.lab, deploying=True)
                if f.check == "fuel-master-ntp"]           # the deploy sets them itself
    h.fake_master().ensure_ntp()
    (ntp,) = [f for f in master_findings(h.run(MasterRecord(), MasterVoice()), h.lab, deploying=False)
              if f.check == "fuel-master-ntp"]
    assert ntp.level == "ok" and ntp.message.endswith("ntp.example.com, 10.0.0.5, as the lab sets")


def test_a_deploy_tells_an_unreachable_ntp_server_as_a_warning_and_goes_on() -> None:
    h = with_ntp(Harness())
    h.vsphere.detach_master_iso("fuel-master")
    h.fake_master().ntp_unreachable.add("ntp.example.com")
    run = h.run(DeployRecord(), DeployVoice())
    deploy_master.step_master_setup(run)
    (done,) = [t for k, t in h.thread.lines if k == "progress:master_setup" and t.startswith("🔧 Fuel master set up")]
    rows = done.splitlines()
    ntp = rows.index("   ✓ NTP servers ntp.example.com, 10.0.0.5: astute.yaml and ntp.conf edited, ntpd restarted")
    assert rows[ntp + 1].startswith("      ⚠️ `ntpdate -t5 ntp.example.com` could not set the master's clock (")
    assert rows[ntp + 1].endswith("the servers are set and ntpd keeps trying (NTP errors are not fatal, as fuelmenu "
                                  "says)")
    assert rows[ntp - 1].startswith("   ✓ feature groups") and rows[ntp + 2] == "   ✓ cobbler synced"


def test_preflight_says_a_refused_root_login_once_not_again_for_ntp() -> None:
    h = with_ntp(Harness())
    h.fake_master().root_password = "someone-elses"
    checks = [f.check for f in master_findings(h.run(MasterRecord(), MasterVoice()), h.lab, deploying=False)
              if f.level != "ok"]
    assert "fuel-master-ssh" in checks and "fuel-master-ntp" not in checks
