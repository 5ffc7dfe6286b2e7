"""``/fuel master <lab> [--fix]``: the lab's Fuel master as it is, and with ``--fix`` set up as its spec says.

    master_iso     (--fix) the ISO detached, the disk first; a VM that is off is powered on then
    master_up      (--fix) every service answering
    master_setup   (--fix) the deploy's post-install steps over SSH and Keystone
    master         the look: version, feature groups, NTP, address, services, disk, what --fix would change
"""
from __future__ import annotations

import time
from jobs.states import JobKind
from jobs.steps import Step
from jobs.voice import Ending
from labspec.model import ADMIN_DEFAULT, ROOT_DEFAULT, Lab
from workflows import fuel_master
from workflows.oneshot import OneShotWorkflow
from workflows.records import MasterRecord
from workflows.run import Run
from workflows.voices import master as words
from workflows.voices.master_facts import MasterFact, MasterShown

MINUTE = 60.0
MasterJobRun = Run[MasterRecord, MasterFact]


def _fixing(run: MasterJobRun) -> bool:
    return bool(run.params.get("fix"))


def step_iso(run: MasterJobRun) -> None:
    """The installed-once state: ISO out, disk first; then (only then) a master that is off is powered on."""
    lab = run.lab
    spec = lab.fuel.vm
    run.master()                                  # a lab that does not declare its master stops here
    if not _fixing(run) or spec is None:
        return
    client = run.vsphere()
    info = client.vm(spec.name)
    if info is None:
        raise words.no_master_vm(spec.name, lab.name)
    fuel_master.detach_iso(run, client, spec.name)
    if info.power_state != "poweredOn":
        client.power_on(spec.name)
        run.data.master.powered_at = time.time()
        run.save()


def step_up(run: MasterJobRun) -> None:
    if not _fixing(run):
        return
    lab = run.lab
    fuel_master.follow_up(run, run.master(), vm=lab.fuel.vm.name if lab.fuel.vm else None, install=False,
                          since=run.data.master.powered_at or time.time(), timeout=run.deps.timeouts.fuel_reachable,
                          url=lab.fuel.url)


def step_setup(run: MasterJobRun) -> None:
    lab = run.lab
    if _fixing(run) and lab.fuel.setup is not None:
        fuel_master.set_up(run, run.master(), run.data.master, groups=lab.fuel.setup.feature_groups)


def look(run: MasterJobRun, lab: Lab) -> MasterShown:
    """The master as it is, and what ``--fix`` would change to make it what the lab's spec says."""
    assert lab.fuel.setup is not None
    setup = lab.fuel.setup
    master = run.master(lab)
    view = master.overview()
    defaults = master.default_logins()
    problems: tuple[str, ...] = ()
    fixes = []
    if lab.fuel.vm is not None:
        boot = run.vsphere(lab).master_boot(lab.fuel.vm.name)
        problems = tuple(boot.problems())
        if not boot.installed_once:
            fixes.append("detach the ISO and boot the disk first")
    if view.groups.listed != setup.feature_groups or view.groups.running != setup.feature_groups:
        fixes.append(f"set feature groups {', '.join(setup.feature_groups)} (nailgun and nginx restarted, cobbler "
                     "synced)")
    ntp = master.ntp_servers()
    if not ntp.matches(setup.ntp):
        fixes.append(f"set NTP servers {', '.join(setup.ntp)} (astute.yaml and ntp.conf, ntpd restarted)")
    if defaults.admin and lab.fuel.password != ADMIN_DEFAULT:
        fixes.append("change `admin`'s password to the lab's (FUEL_PASSWORD), as the UI does")
    if defaults.root and setup.root_password != ROOT_DEFAULT:
        fixes.append("change root's password to the lab's (FUEL_ROOT_PASSWORD)")
    return MasterShown(lab=lab.name, overview=view, needed=setup.feature_groups, defaults=defaults,
                       iso_problems=problems, fixes=tuple(fixes), ntp=ntp, ntp_wanted=setup.ntp)


class MasterWorkflow(OneShotWorkflow[MasterRecord, MasterFact]):
    """The lab's Fuel master at a glance; ``--fix`` first detaches its ISO and runs the post-install steps."""

    kind, title = JobKind.MASTER, "Fuel master"
    record = MasterRecord
    voice = words.MasterVoice()

    def steps(self) -> list[Step[MasterJobRun]]:
        return [Step("master_iso", "Fuel master ISO", step_iso, deadline_seconds=10 * MINUTE),
                Step("master_up", "Fuel master up", step_up, deadline_seconds=self.deps.timeouts.fuel_reachable + MINUTE),
                Step("master_setup", "Fuel master setup", step_setup, deadline_seconds=30 * MINUTE),
                *super().steps()]

    def run(self, run: MasterJobRun) -> None:
        shown = look(run, run.lab)
        run.data.result = {"release": shown.overview.release, "feature_groups": list(shown.overview.groups.running),
                           "fixes": list(shown.fixes)}
        run.headline = self.voice.headline(shown)
        run.tell(shown)

    def on_finish(self, run: MasterJobRun, ending: Ending) -> None:
        fixes = (run.data.result or {}).get("fixes")
        offer = run.lab_name if fixes and not _fixing(run) else None
        run.post(self.voice.ended_offering(run.ctx.job, ending, run.headline, fix=offer))
