"""The Fuel master's steps (deploy and ``/fuel master``) branch by branch, on the fakes and a fake clock.

The fakes keep to ``tests/integration/test_ports_contract.py``; the texts asserted are the thread's.
"""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from core.errors import FuelError, MasterError, StepFailed
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.iso import boot_keys
from tests.fakes.harness import Harness
from workflows import deploy_master, deploy_vsphere, fuel_master
from jobs.record import JobRecord
from workflows.inspect import plan_changes
from workflows.master import MasterWorkflow, look
from workflows.master_preflight import master_findings
from workflows.records import DeployRecord, MasterProgress, MasterRecord
from workflows.run import Clients
from workflows.voices.deploy import DeployVoice
from workflows.voices.inspect import PlanVoice, plan_line
from workflows.voices.master import MasterVoice

VOICE = DeployVoice()
ADMIN_PW, ROOT_PW = "Adm1n-Lab-pw", "R00t-Lab-pw"
STAGES = (InstallStage.NOTHING, InstallStage.NOTHING, InstallStage.SSH, InstallStage.API, InstallStage.READY)


def secured(h: Harness) -> Harness:
    """The lab sets passwords of its own, as a real lab does."""
    fuel = h.lab.fuel
    assert fuel.setup is not None
    h.lab = replace(h.lab, fuel=replace(fuel, password=ADMIN_PW, setup=replace(fuel.setup, root_password=ROOT_PW)))
    return h


def deploy(h: Harness, record: DeployRecord | None = None):
    return h.run(record or DeployRecord(), VOICE)


def progress_of(h: Harness, phase: str) -> list[str]:
    return [text for kind, text in h.thread.lines if kind == f"progress:{phase}"]


def setup_of(h: Harness) -> list[str]:
    """The master's setup lines (its message also keeps the deploy's "reachable" line under them)."""
    return [text for text in progress_of(h, "master_setup") if text.startswith("🔧 ")]


# -- a new master, from the ISO -------------------------------------------------------------------
def test_a_new_master_is_created_typed_at_installed_and_its_iso_detached() -> None:
    h = secured(Harness())
    h.vsphere.fix_portgroups(h.lab)
    master = h.fake_master()
    master.key_recorded = True                      # an earlier master at this address
    master.stages = list(STAGES)
    run = deploy(h)
    deploy_master.step_fuel_master(run)
    assert h.vsphere.machines["fuel-master"].power_state == "poweredOn"
    assert h.vsphere.typed["fuel-master"] == [boot_keys(h.lab.fuel.setup)]
    assert h.clock.slept == pytest.approx(deploy_master.MENU_SETTLE_SECONDS)   # the menu shows before keys go
    assert master.calls["forget_host_key"] == 1 and not master.key_recorded
    assert h.thread.said() == [
        "💿 Fuel master VM `fuel-master` created: 1 vCPU · 2048 MB · 50 GB · booting `[LocalDS_0] "
        "iso/MirantisOpenStack-6.0.iso`",
        "⌨️ Typed the boot parameters at `fuel-master`'s ISO menu (Tab, then `ip=10.20.0.2 gw=10.20.0.1 "
        "dns1=10.20.0.1 netmask=255.255.255.0 hostname=fuel.domain.tld showmenu=no`, Enter)."]
    assert h.saved[0]["master"]["new"] is True and run.data.master.typed
    deploy_master.step_master_install(run)
    lines = progress_of(h, "master")
    assert lines[0].startswith("💿 Installing Fuel 6.0 on `fuel-master` from its ISO — ")
    assert lines[0].endswith("(deadline 1h 00m)\n✓ VM powered on → ⏳ installer → ○ reboot → ○ Fuel API answering → "
                             "○ all services up")
    assert any(line.endswith("✓ VM powered on → ✓ installer → ⏳ reboot → ○ Fuel API answering → ○ all services up")
               for line in lines)
    assert lines[-1].startswith("✅ `fuel-master` installed from its ISO in ")
    assert h.thread.said()[-1].startswith("💿 ISO detached from `fuel-master`")
    assert h.vsphere.master_boot("fuel-master").installed_once and run.data.master.installed
    deploy_master.step_master_setup(run)
    setup = setup_of(h)
    assert setup[-1] == ("🔧 Fuel master set up over SSH (root@10.20.0.2:8022) and Keystone:\n"
                         "   · Fuel 6.0\n"
                         "   ✓ root's password changed from 6.0's default\n"
                         "   ✓ `admin`'s password changed from 6.0's default, as the UI does\n"
                         "   ✓ feature groups mirantis, experimental: nailgun and nginx restarted\n"
                         "   · NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org\n"
                         "   ✓ cobbler synced")
    assert h.thread.said()[-1] == "🔐 Fuel 6.0 master at http://127.0.0.1:8000 reachable; logged in as `admin`."
    assert (master.root_password, master.admin_password, master.cobbler_syncs) == (ROOT_PW, ADMIN_PW, 1)
    assert h.fuel.version().feature_groups == ("mirantis", "experimental")


def test_a_vcenter_that_cannot_type_gets_the_words_to_type_before_the_power_on() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.typing = False
    run = deploy(h)
    deploy_master.step_fuel_master(run)
    (created, by_hand) = h.thread.said()
    assert by_hand.startswith("⌨️ This vCenter cannot type at a VM's console (that needs vSphere 6.5), so over to "
                              "you: Open the console of `fuel-master` now; within 30 s of the Fuel menu appearing "
                              "press Tab, type a space and `ip=10.20.0.2 ")
    assert by_hand.endswith("fuelbot powers `fuel-master` on now and follows the install.")
    assert "fuel-master" not in h.vsphere.typed and run.data.master.typed
    assert h.vsphere.machines["fuel-master"].power_state == "poweredOn"


def test_resumed_after_the_menus_30_seconds_it_says_so_instead_of_typing_into_the_installer() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.power_on("fuel-master")
    record = DeployRecord(master=MasterProgress(new=True, powered_at=time.time() - 120, cobbler_due=True))
    deploy_master.step_fuel_master(deploy(h, record))
    (line,) = h.thread.said()
    assert line.startswith("⚠️ fuelbot was away while `fuel-master`'s ISO menu counted down its 30 s")
    assert "fuel-master" not in h.vsphere.typed and record.master.typed


def test_an_install_that_never_comes_up_stops_at_the_deadline_with_what_to_look_at() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.fake_master().stages = [InstallStage.NOTHING]
    run = deploy(h)
    deploy_master.step_fuel_master(run)
    with pytest.raises(StepFailed) as failed:
        deploy_master.step_master_install(run)
    text = str(failed.value)
    assert text.startswith("`fuel-master` did not come up within 1h 00m of its install (last seen: installer "
                           "(nothing answers yet)). Open its console in vCenter")
    assert "erase ALL data on disk?" in text and "FUELBOT_MASTER_INSTALL_MINUTES" in text
    assert h.clock.slept == pytest.approx(3600 + deploy_master.MENU_SETTLE_SECONDS, abs=1)
    assert not run.data.master.installed and h.vsphere.master_boot("fuel-master").iso_connected   # left as it is


# -- an existing master -----------------------------------------------------------------------------
def test_a_master_that_would_boot_its_iso_again_is_left_off_with_the_fix() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")            # made by an earlier deploy, ISO still first
    with pytest.raises(StepFailed) as refused:
        deploy_master.step_fuel_master(deploy(h))
    text = str(refused.value)
    assert text.startswith("`fuel-master` is powered off and fuelbot left it off: `fuel-master` would boot its ISO")
    assert "erase ALL data on disk?" in text and "Fix: `/fuel master lab1 --fix` detaches the ISO" in text
    assert h.vsphere.machines["fuel-master"].power_state == "poweredOff" and h.vsphere.calls["power_on"] == 0


def test_an_installed_master_that_is_off_boots_from_its_disk_and_is_followed_up() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.detach_master_iso("fuel-master")
    h.fake_master().stages = [InstallStage.NOTHING, InstallStage.SSH, InstallStage.READY]
    run = deploy(h)
    deploy_master.step_fuel_master(run)
    deploy_master.step_master_install(run)
    lines = progress_of(h, "master")
    assert lines[0].startswith("🔌 Starting `fuel-master` — ") and "⏳ booting from its disk" in lines[0]
    assert lines[-1].startswith("✅ `fuel-master` up after ")
    assert h.thread.said() == [] and not run.data.master.new        # nothing created, no ISO to detach


def test_a_master_already_up_and_set_up_makes_a_quiet_deploy() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.detach_master_iso("fuel-master")
    h.vsphere.power_on("fuel-master")
    run = deploy(h)
    for step in (deploy_master.step_fuel_master, deploy_master.step_master_install, deploy_master.step_master_setup):
        step(run)
    deploy_master.step_master_setup(deploy(h, DeployRecord.from_json(h.saved[-1] if h.saved else None)))
    first, again = setup_of(h)[-7], setup_of(h)[-1]
    assert first.startswith("🔧 Fuel master set up over SSH")
    assert again == ("🔧 Fuel master already set up over SSH (root@10.20.0.2:8022) and Keystone:\n"
                     "   · Fuel 6.0\n   · root already logs in with the lab's password\n"
                     "   · `admin` already logs in with the lab's password\n   · feature groups mirantis, experimental\n"
                     "   · NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org")
    assert progress_of(h, "master") == [] and h.fake_master().cobbler_syncs == 1


# -- the setup, resumed and refused ------------------------------------------------------------------
def test_a_crash_between_the_feature_groups_and_cobbler_sync_still_syncs_cobbler() -> None:
    h = secured(Harness())
    master = h.fake_master()
    master.fail_next("sync_cobbler", MasterError("Lost SSH to the Fuel master", retryable=True))
    run = deploy(h)
    with pytest.raises(MasterError):
        fuel_master.set_up(run, master, run.data.master, groups=("mirantis", "experimental"))
    assert h.saved[-1]["master"]["cobbler_due"] is True          # recorded before the restart
    again = deploy(h, DeployRecord.from_json(h.saved[-1]))
    fuel_master.set_up(again, master, again.data.master, groups=("mirantis", "experimental"))
    assert setup_of(h)[-1].splitlines()[-3:] == ["   · feature groups mirantis, experimental",
                                                 "   · NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org",
                                                 "   ✓ cobbler synced"]
    assert master.cobbler_syncs == 1 and h.saved[-1]["master"]["cobbler_due"] is False
    assert master.calls["ensure_root_password"] == 2 and master.root_password == ROOT_PW


@pytest.mark.parametrize(("arrange", "expected"), [
    (lambda m: setattr(m, "root_password", "someone-elses"), "refused root's password over SSH (the lab's and "
                                                             "6.0's default r00tme). Fix: set FUEL_ROOT_PASSWORD"),
    (lambda m: setattr(m, "key_changed", True), "The SSH host key of the Fuel master at 10.20.0.2:8022 changed"),
    (lambda m: setattr(m, "release", "6.1"), "runs Fuel 6.1 (its API says 6.0), not 6.0"),
    (lambda m: setattr(m, "admin_password", "someone-elses-ui"), "refused the password of 'admin' (the lab's and "
                                                                 "6.0's default admin); set FUEL_PASSWORD"),
    (lambda m: m.fail_next("ensure_feature_groups", MasterError(
        "`dockerctl restart nailgun` failed on the Fuel master at 10.20.0.2:8022 (exit 1): Error: No such container",
        fix="run it by hand on the master (ssh root@master) to see why")), "(exit 1): Error: No such container"),
], ids=["wrong root password", "host key changed", "not 6.0", "wrong admin password", "failing command"])
def test_bad_masters_stop_the_setup_with_what_happened_and_what_to_do(arrange, expected: str) -> None:
    h = secured(Harness())
    arrange(h.fake_master())
    run = deploy(h)
    with pytest.raises((MasterError, FuelError)) as stopped:
        fuel_master.set_up(run, h.fake_master(), run.data.master, groups=("mirantis", "experimental"))
    text = str(stopped.value)
    assert expected in text and ("Fix:" in text or "set FUEL_PASSWORD" in text)
    assert ADMIN_PW not in text and ROOT_PW not in text


def test_a_lab_sharing_another_labs_master_only_waits_for_its_api() -> None:
    h = Harness()
    h.lab = replace(h.lab, fuel=replace(h.lab.fuel, vm=None, setup=None))
    h.fuel.fail_next("version", FuelError("Cannot reach the Fuel master", retryable=True), times=1000)
    run = deploy(h)
    deploy_master.step_fuel_master(run)
    deploy_master.step_master_install(run)
    with pytest.raises(FuelError, match="Cannot reach the Fuel master"):
        deploy_master.step_master_setup(run)
    assert h.clock.slept == pytest.approx(600)
    with pytest.raises(StepFailed, match="lab1 declares no `fuel.master_vm`"):
        run.master()


# -- /fuel master and preflight ------------------------------------------------------------------------
def test_fuel_master_shows_what_fix_would_change_and_fix_sets_it_up() -> None:
    h = secured(Harness())
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.power_on("fuel-master")
    workflow = MasterWorkflow(h.deps())
    shown = look(h.run(MasterRecord(), MasterVoice(), kind="master"), h.lab)
    assert shown.fixes == ("detach the ISO and boot the disk first",
                           "set feature groups mirantis, experimental (nailgun and nginx restarted, cobbler synced)",
                           "change `admin`'s password to the lab's (FUEL_PASSWORD), as the UI does",
                           "change root's password to the lab's (FUEL_ROOT_PASSWORD)")
    assert MasterVoice().headline(shown) == ("⚠️ Fuel master of *lab1*: Fuel 6.0 at http://127.0.0.1:8000 · "
                                             "11/11 services ready · 4 thing(s) to fix")
    fix = h.run(MasterRecord(), MasterVoice(), kind="master", params={"fix": True})
    for step in workflow.steps():
        step.run(fix)
    assert fix.headline == ("✅ Fuel master of *lab1*: Fuel 6.0 at http://127.0.0.1:8000 · 11/11 services ready · "
                            "set up as its spec says")
    (shown_line,) = [t for k, t in h.thread.lines if k == "say" and t.startswith("*Address*")]
    assert "*Feature groups*: mirantis, experimental ✓ (the lab needs mirantis, experimental)" in shown_line
    assert "*Disk*: / 27% of 9.7G · /var 30% of 18G · /var/log 4% of 9.7G" in shown_line
    assert ("*Services*: 11/11 ready — up 2 days: postgres, rabbitmq, keystone, rsync, astute, rsyslog, nailgun, ostf, "
            "nginx, cobbler, mcollective") in shown_line
    assert "default password" not in shown_line and "--fix` would" not in shown_line


def test_preflight_knows_the_master_and_names_each_fix() -> None:
    h = secured(Harness())
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.power_on("fuel-master")
    findings = {f.check: f for f in master_findings(h.run(MasterRecord(), MasterVoice()), h.lab, deploying=False)
                if f.level != "ok"}
    assert findings["feature-groups"].level == "fail" and findings["feature-groups"].fix == "`/fuel master lab1 --fix`"
    assert findings["fuel-master-iso"].level == "warn" and "at its next power-on" in findings["fuel-master-iso"].message
    assert [str(f) for f in master_findings(h.run(MasterRecord(), MasterVoice()), h.lab, deploying=False)
            if f.check == "default-passwords"] == [
        "`admin` still logs in with 6.0's default password on the master Fix: `/fuel master lab1 --fix` changes it "
        "to FUEL_PASSWORD's",
        "root still logs in over SSH with 6.0's default password on the master Fix: `/fuel master lab1 --fix` "
        "changes it to FUEL_ROOT_PASSWORD's"]
    h.fuel.feature_groups = ("mirantis", "experimental")
    shared = replace(h.lab, name="lab2", fuel=replace(h.lab.fuel, vm=None, setup=None))
    h.fuel.feature_groups = ("mirantis",)
    (groups,) = [f for f in master_findings(h.run(MasterRecord(), MasterVoice()), shared, deploying=True)
                 if f.check == "feature-groups"]
    assert groups.level == "fail" and groups.fix == "`/fuel master lab1 --fix` (lab1 declares this master)"
    assert not [f for f in master_findings(h.run(MasterRecord(), MasterVoice()), shared, deploying=True)
                if f.check == "default-passwords"]
    h.fuel.feature_groups = ("mirantis", "experimental")
    assert {f.level for f in master_findings(h.run(MasterRecord(), MasterVoice()), shared, deploying=True)} == {"ok"}


def test_the_deploy_preflight_stops_on_a_master_that_is_not_6_0() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.fuel.release = "7.0"
    with pytest.raises(StepFailed, match=r"runs Fuel 7.0; fuelbot and this lab are made for 6.0"):
        deploy_vsphere.step_preflight(deploy(h))


def test_the_plan_says_a_master_will_be_installed_or_set_up() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.fuel.fail_next("find_cluster", FuelError("Cannot reach the Fuel master", retryable=True), times=10)
    plan = h.run(JobRecord(), PlanVoice(), kind="plan")
    lines = [plan_line(c) for c in plan_changes(plan, h.lab)]
    assert lines[0] == "➕ create Fuel master VM `fuel-master`, install Fuel 6.0 from its ISO and set it up"
    assert "➕ create environment `lab1` (Juno on CentOS 6.5, multinode)" in lines   # no Fuel asked yet
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.fuel.errors.clear()
    lines = [plan_line(c) for c in plan_changes(h.run(JobRecord(), PlanVoice(), kind="plan"), h.lab)]
    assert "🔧 set up the Fuel master: feature groups mirantis → mirantis, experimental" in lines
    assert not any(line.startswith("➕ create Fuel master") for line in lines)


def test_a_running_master_still_on_its_iso_is_followed_as_an_install_only_while_it_does_not_answer() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.power_on("fuel-master")
    h.fake_master().stages = [InstallStage.SSH, InstallStage.SSH, InstallStage.READY]   # an earlier deploy's install
    still = deploy(h)
    deploy_master.step_fuel_master(still)
    assert still.data.master.new and still.data.master.cobbler_due and h.vsphere.calls["type_at_console"] == 0
    deploy_master.step_master_install(still)
    assert progress_of(h, "master")[-1].startswith("✅ `fuel-master` installed from its ISO in ")
    installed = Harness()                       # a master installed by hand, its ISO never detached
    installed.vsphere.fix_portgroups(installed.lab)
    installed.vsphere.ensure_vm(installed.lab.fuel.vm, lab="lab1")
    installed.vsphere.power_on("fuel-master")
    assert installed.vsphere.master_boot("fuel-master").boots_iso_first
    answering = deploy(installed)
    deploy_master.step_fuel_master(answering)
    deploy_master.step_master_install(answering)
    assert not answering.data.master.new and progress_of(installed, "master") == []
    assert installed.thread.said()[-1].startswith("💿 ISO detached from `fuel-master`")


def test_fuel_master_of_a_lab_sharing_another_labs_master_names_the_lab_that_declares_it() -> None:
    h = Harness()
    shared = replace(h.lab, name="lab2", fuel=replace(h.lab.fuel, vm=None, setup=None))
    deps = replace(h.deps(), load_labs=lambda: ({"lab1": h.lab, "lab2": shared}, []))
    with pytest.raises(StepFailed) as refused:
        Clients(deps).master(shared)
    assert str(refused.value) == ("lab2 declares no `fuel.master_vm`, so fuelbot does not manage its Fuel master's "
                                  "host (lab1 declares it: `/fuel master lab1`).")
