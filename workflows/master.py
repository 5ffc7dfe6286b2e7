"""``/fuel master <lab> [--fix]``: the lab's Fuel master as it is, and with ``--fix`` set up as its spec says.

    master_key     (--trust-key) the master's new SSH host key trusted, if its fingerprint is the one typed
    master_iso     (--fix) the ISO detached, the disk first; a VM that is off is powered on then
    master_up      (--fix) every service answering
    master_setup   (--fix) the deploy's post-install steps over SSH and Keystone
    master         the look: version, feature groups, NTP, address, services, disk, what --fix would change
"""
from __future__ import annotations

import time

from core.host_key_trust import Fingerprint, KeyTrust, Verdict
from jobs.queue import record_event
from jobs.states import JobKind
from jobs.steps import Step
from jobs.voice import Ending
from labspec.model import ADMIN_DEFAULT, ROOT_DEFAULT, Lab
from store.models import Job
from store.types import utcnow
from workflows import fuel_master
from workflows.oneshot import OneShotWorkflow
from workflows.records import MasterRecord
from workflows.run import Run
from workflows.voices import master as words
from workflows.voices.master_facts import HostKeyJudged, MasterFact, MasterShown

MINUTE = 60.0
MasterJobRun = Run[MasterRecord, MasterFact]


def _fixing(run: MasterJobRun) -> bool:
    return bool(run.params.get("fix"))


def step_key(run: MasterJobRun) -> None:
    """``--trust-key``: the key the master presents now replaces the recorded one if the fingerprint typed is its.

    Run first, so the steps after it (and the look) log in to the trusted key. A mismatch fails
    the job with both fingerprints and changes nothing; either way the admin's attempt is audited.
    Run again (a resumed job), it finds the key already trusted: nothing to do.
    """
    typed = run.params.get("trust_key")
    if not typed:
        return
    trust = run.master().trust_host_key(Fingerprint.parse(typed))
    if trust.verdict in (Verdict.TRUSTED, Verdict.MISMATCH):
        _audit(run, trust)
    if trust.verdict is Verdict.MISMATCH:
        raise words.key_mismatch(trust)
    run.tell(HostKeyJudged(trust=trust, by=run.ctx.requester))


def _audit(run: MasterJobRun, trust: KeyTrust) -> None:
    """Who trusted (or tried to trust) which key in place of which; the new fingerprint first, as the trail cuts."""
    old = trust.recorded.sha256 if trust.recorded else "none"
    new = trust.presented.sha256
    trusted = trust.verdict is Verdict.TRUSTED
    with run.deps.session_factory() as session, session.begin():
        record_event(session, session.get(Job, run.job_id), actor=run.ctx.requester,
                     kind="host-key-trusted" if trusted else "host-key-refused",
                     message=(f"{run.lab_name}: the Fuel master at {trust.address} "
                              + (f"is trusted with SSH host key {new} in place of {old}" if trusted else
                                 f"keeps SSH host key {old}: {trust.typed} typed, {new} presented")),
                     data={"address": trust.address, "typed": str(trust.typed),
                           "recorded": trust.recorded.described if trust.recorded else None,
                           "presented": trust.presented.described, "verdict": trust.verdict.value},
                     at=utcnow())


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
                       iso_problems=problems, fixes=tuple(fixes), host_key=master.host_key(), ntp=ntp,
                       ntp_wanted=setup.ntp)


class MasterWorkflow(OneShotWorkflow[MasterRecord, MasterFact]):
    """The lab's Fuel master at a glance; ``--fix`` first detaches its ISO and runs the post-install steps."""

    kind, title = JobKind.MASTER, "Fuel master"
    record = MasterRecord
    voice = words.MasterVoice()

    def steps(self) -> list[Step[MasterJobRun]]:
        return [Step("master_key", "Fuel master host key", step_key, deadline_seconds=2 * MINUTE),
                Step("master_iso", "Fuel master ISO", step_iso, deadline_seconds=10 * MINUTE),
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
