"""How fuelbot speaks of the Fuel master: its install, its ISO, its setup over SSH, ``/fuel master``.

The deploy's voice and ``/fuel master``'s both word master facts here; the failures the
master's steps end in are worded here too, each with what to do.
"""
from __future__ import annotations

from typing import Sequence

from core.buttons import Button, ButtonAction
from core.errors import StepFailed
from core.host_key_trust import CONSOLE_COMMAND, KeyTrust, Verdict
from core.mrkdwn import moment, who
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.master_ntp import NtpState
from integrations.fuel.master_overview import Service
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message
from workflows.voices.base import Line
from workflows.voices.master_facts import (BootByHand, BootMenuMissed, BootTyped, HostKeyJudged, IsoDetached,
                                           MasterFact, MasterSetupProgress, MasterShown, MasterStarting, MasterUp)
from workflows.voices.oneshot import OneShotVoice
from workflows.voices.words import duration

DISK_FULL_PERCENT = 85
_INSTALL_STEPS = ("VM powered on", "installer", "reboot", "Fuel API answering", "all services up")
_BOOT_STEPS = ("VM powered on", "booting from its disk", "Fuel API answering", "all services up")


def _checklist(steps: Sequence[str], current: int, *, finished: bool = False) -> str:
    marks = ["✓" if finished or i < current else ("⏳" if i == current else "○") for i in range(len(steps))]
    return " → ".join(f"{mark} {step}" for mark, step in zip(marks, steps))


def _position(stage: InstallStage, *, install: bool) -> int:
    """Which item of the checklist the master is at."""
    if install:
        return {InstallStage.NOTHING: 1, InstallStage.SSH: 2, InstallStage.API: 4, InstallStage.READY: 5}[stage]
    return {InstallStage.NOTHING: 1, InstallStage.SSH: 1, InstallStage.API: 3, InstallStage.READY: 4}[stage]


def starting_line(fact: MasterStarting) -> str:
    steps = _INSTALL_STEPS if fact.install else _BOOT_STEPS
    name = f"`{fact.vm}`" if fact.vm else "the Fuel master"
    head = (f"💿 Installing Fuel 6.0 on {name} from its ISO" if fact.install else f"🔌 Starting {name}") + (
        f" — {duration(fact.elapsed)} elapsed (deadline {duration(fact.deadline)})")
    return f"{head}\n{_checklist(steps, _position(fact.stage, install=fact.install))}"


SETUP = "master_setup"      # the phase of the master's setup: one message, edited as each action is done


def setup_line(fact: MasterSetupProgress) -> str:
    if fact.finished:
        head = ("🔧 Fuel master set up" if any(a.changed for a in fact.done) else "🔧 Fuel master already set up")
    else:
        head = "🔧 Setting up the Fuel master"
    rows = [f"   {'✓' if action.changed else '·'} {action.summary}"
            + (f"\n      ⚠️ {action.warning}" if action.warning else "") for action in fact.done]
    return "\n".join([f"{head} over SSH (root@{fact.address}) and Keystone:", *rows])


def master_line(fact: MasterFact) -> Line:
    """A deploy's (or ``--fix``'s) line for a master fact."""
    match fact:
        case BootTyped(vm=vm, parameters=parameters):
            return Line(f"⌨️ Typed the boot parameters at `{vm}`'s ISO menu (Tab, then `{parameters}`, Enter).")
        case BootByHand(vm=vm, instructions=instructions):
            return Line(f"⌨️ This vCenter cannot type at a VM's console (that needs vSphere 6.5), so over to you: "
                        f"{instructions} fuelbot powers `{vm}` on now and follows the install.")
        case BootMenuMissed(vm=vm, parameters=parameters):
            return Line(f"⚠️ fuelbot was away while `{vm}`'s ISO menu counted down its 30 s: the installer took 6.0's "
                        f"default parameters instead of `{parameters}`. If the master does not come up where the "
                        "lab expects it, delete the VM and deploy again.")
        case MasterStarting():
            return Line(starting_line(fact), phase="master")
        case MasterUp(vm=vm, install=install, elapsed=elapsed):
            name = f"`{vm}`" if vm else "The Fuel master"
            what = "installed from its ISO in" if install else "up after"
            return Line(f"✅ {name} {what} {duration(elapsed)}: "
                        + _checklist(_INSTALL_STEPS if install else _BOOT_STEPS, 0, finished=True),
                        phase="master", force=True)
        case IsoDetached(vm=vm):
            return Line(f"💿 ISO detached from `{vm}` (CD-ROM disconnected, also at power-on) and its disk boots "
                        "first: a reboot starts the installed master, never the 6.0 installer again.")
        case MasterSetupProgress(finished=finished):
            # once finished it is kept: the deploy adds "reachable" under it, in the same message
            return Line(setup_line(fact), phase=SETUP, force=True, keep=finished)
        case MasterShown():
            return Line("\n".join(shown_lines(fact)))
        case HostKeyJudged():
            return Line(host_key_line(fact))


# -- /fuel master ----------------------------------------------------------------------------------
def shown_lines(fact: MasterShown) -> list[str]:
    view = fact.overview
    ready = sum(1 for s in view.services if s.ready)
    lines = [f"*Address*: {view.url} · SSH root@{view.ssh} · `{view.hostname}`"
             + (f" · up {view.uptime}" if view.uptime else ""),
             f"*Version*: Fuel {view.release}" + (f" (build {view.build})" if view.build else "")]
    groups = view.groups
    needed_ok = all(g in groups.running for g in fact.needed)
    lines.append(f"*Feature groups*: {', '.join(groups.running) or 'none'} {'✓' if needed_ok else '✗'} "
                 f"(the lab needs {', '.join(fact.needed)})"
                 + ("" if groups.listed == groups.running else
                    f"; version.yaml lists {', '.join(groups.listed) or 'none'}: nailgun has not re-read it"))
    if fact.ntp is not None:
        lines.append(ntp_line(fact.ntp, fact.ntp_wanted))
    lines.append(f"*Services*: {ready}/{len(view.services)} ready — {_services(view.services)}")
    if fact.host_key is not None:
        lines.append(f"*SSH host key*: {fact.host_key.key.described}, recorded {moment(fact.host_key.recorded_at)}")
    if view.disks:
        lines.append("*Disk*: " + " · ".join(f"{d.mount} {d.used_percent}% of {d.size}"
                                             + (" ⚠️" if d.used_percent >= DISK_FULL_PERCENT else "")
                                             for d in view.disks))
    if fact.defaults.admin:
        lines.append("⚠️ `admin` still logs in with 6.0's default password `admin`.")
    if fact.defaults.root:
        lines.append("⚠️ root still logs in over SSH with 6.0's default password `r00tme`.")
    lines += [f"⚠️ {problem}" for problem in fact.iso_problems]
    if fact.fixes:
        lines.append(f"🔧 `/fuel master {fact.lab} --fix` would: " + "; ".join(fact.fixes) + ".")
    return lines


def ntp_line(ntp: NtpState, wanted: tuple[str, ...]) -> str:
    """``*NTP*: a, b ✓ (as the lab sets…)``, or what differs: the lab's servers, astute.yaml, ntpd."""
    shown = f"*NTP*: {', '.join(ntp.configured) or 'no servers'}"
    if ntp.matches(wanted):
        return f"{shown} ✓ (as the lab sets; ntpd runs with them)"
    return f"{shown} ✗ ({ntp_mismatch(ntp, wanted)})"


def ntp_mismatch(ntp: NtpState, wanted: tuple[str, ...]) -> str:
    """What keeps the master's NTP from being the lab's, ``; ``-separated."""
    differs = [f"the lab sets {', '.join(wanted)}"] if ntp.configured != wanted else []
    if ntp.listed != ntp.configured:
        differs.append(f"astute.yaml lists {', '.join(ntp.listed) or 'none'}")
    if not ntp.running:
        differs.append("ntpd is stopped")
    elif ntp.stale:
        differs.append("ntpd started before ntp.conf was last edited")
    return "; ".join(differs)


def _services(services: Sequence[Service]) -> str:
    """``up 2 days: postgres, rabbitmq … · up 5 minutes: nailgun, nginx · ✗ not ready: ostf``."""
    groups: dict[str, list[str]] = {}
    for service in services:
        label = ("up " + service.up if service.up else "running") if service.ready else "✗ not ready"
        groups.setdefault(label, []).append(service.name)
    return " · ".join(f"{label}: {', '.join(names)}" for label, names in groups.items())


def fix_button(lab: str) -> Button:
    return Button(ButtonAction.FIX_MASTER, "Fix the master", lab, style="primary",
                  confirm=f"Set up the Fuel master of {lab} as its spec says (passwords, feature groups, NTP, ISO)?")


class MasterVoice(OneShotVoice[MasterFact]):
    """``/fuel master <lab> [--fix]``: the fix's steps as the deploy tells them, then the master as it is."""

    def lines(self, fact: MasterFact) -> Sequence[Line]:
        return [master_line(fact)]

    def headline(self, fact: MasterShown) -> str:
        view = fact.overview
        ready = sum(1 for s in view.services if s.ready)
        state = (f"{len(fact.fixes)} thing(s) to fix" if fact.fixes else "set up as its spec says")
        mark = "⚠️" if fact.fixes or ready < len(view.services) else "✅"
        return (f"{mark} Fuel master of *{fact.lab}*: Fuel {view.release} at {view.url} · "
                f"{ready}/{len(view.services)} services ready · {state}")

    def ended_offering(self, job: JobHeader, ending: Ending, headline: str | None, *, fix: str | None) -> list[Line]:
        """The outcome as the parent, with a button for ``/fuel master <fix> --fix`` when there is one to offer."""
        lines = self.ended(job, ending, headline)
        parent = lines[0].parent if lines else None
        if ending.state is JobState.SUCCEEDED and fix is not None and parent is not None:
            lines[0] = Line.of_parent(Message(parent.text, (fix_button(fix),)))
        return lines


# -- --trust-key -----------------------------------------------------------------------------------
def host_key_line(fact: HostKeyJudged) -> str:
    trust = fact.trust
    presented = trust.presented
    match trust.verdict:
        case Verdict.TRUSTED:
            old = f" in place of {trust.recorded.key_type} {trust.recorded.sha256}" if trust.recorded else ""
            return (f"🔑 Trusted the new SSH host key of the Fuel master at {trust.address} ({who(fact.by)} compared "
                    f"{trust.typed}): {presented.described} is recorded{old}. fuelbot logs in to it from now on.")
        case Verdict.UNCHANGED:
            return (f"🔑 Nothing to do: the Fuel master at {trust.address} presents the SSH host key fuelbot "
                    f"recorded, {presented.described}.")
        case Verdict.NOTHING_RECORDED:
            return (f"🔑 Nothing to do: fuelbot has no SSH host key recorded for the Fuel master at {trust.address}; "
                    f"its next connection records the key it presents, {presented.described}.")
        case Verdict.MISMATCH:      # the step fails with these words; a fact of it reads the same
            return str(key_mismatch(trust))


def key_mismatch(trust: KeyTrust) -> StepFailed:
    """The fingerprint typed is not the presented key's: nothing changes."""
    recorded = f"{trust.recorded.key_type} {trust.recorded.sha256}" if trust.recorded else "none"
    fix = (f"read the fingerprint on the master's console (`{CONSOLE_COMMAND}`): if it is {trust.presented.sha256} "
           f"(or {trust.presented.md5.removeprefix('MD5:')}), run the command again with it; if it is what you "
           "typed, something else answers at the master's address")
    return StepFailed(f"Refused to trust the SSH host key of the Fuel master at {trust.address}: you typed "
                      f"{trust.typed}, but it presents {trust.presented.described}. fuelbot kept the key it recorded "
                      f"({recorded}) and sent no password. Fix: {fix}.", hint=fix)


# -- failures --------------------------------------------------------------------------------------
def boot_refused(vm: str, problems: Sequence[str], lab: str) -> StepFailed:
    fix = (f"`/fuel master {lab} --fix` detaches the ISO and puts the disk first (or do it in the VM's settings in "
           f"vCenter); then `/fuel deploy {lab}` again.")
    return StepFailed(f"`{vm}` is powered off and fuelbot left it off: {'; '.join(problems)}. Fix: {fix}", hint=fix)


def no_master_vm(vm: str, lab: str) -> StepFailed:
    return StepFailed(f"There is no VM `{vm}` in vCenter: `/fuel deploy {lab}` creates the Fuel master and installs "
                      "it from its ISO.")


def not_up(vm: str | None, url: str, stage: InstallStage, *, install: bool, within: float) -> StepFailed:
    what = f"`{vm}`" if vm else f"The Fuel master at {url}"
    doing = "install" if install else "boot"
    return StepFailed(f"{what} did not come up within {duration(within)} of its {doing} (last seen: {stage.label}). "
                      "Open its console in vCenter: the installer may be waiting at a question (\"erase ALL data on "
                      "disk?\", or fuelmenu with showmenu=yes) or the VM may lack memory (2048 MB at least). "
                      + ("A slow datastore takes longer: raise FUELBOT_MASTER_INSTALL_MINUTES. " if install else "")
                      + "Then run the deploy again; it goes on from here.")
