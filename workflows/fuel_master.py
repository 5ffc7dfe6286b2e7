"""What the deploy and ``/fuel master --fix`` both do to a Fuel master: wait for it to come up, detach
its ISO, and the article's post-install steps over SSH and Keystone.

Each looks before it acts, so a crash anywhere resumes without doing anything twice; what only
the record can tell (a cobbler sync still due after feature groups changed) is saved before the
change that makes it due.
"""
from __future__ import annotations

import time
from typing import Any

from core.errors import MasterError
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.master_outcome import Outcome
from workflows.ports import MasterPort, VSpherePort
from workflows.records import MasterProgress
from workflows.run import Run
from workflows.voices import master as words
from workflows.voices.master_facts import (IsoDetached, MasterSetupProgress, MasterStarting, MasterStepFact, MasterUp,
                                           SetupAction)

MasterRun = Run[Any, MasterStepFact]


def follow_up(run: MasterRun, master: MasterPort, *, vm: str | None, install: bool, since: float,
              timeout: float, url: str) -> None:
    """Wait until every service of the master answers; one progress line, edited in place.

    ``since`` is the wall clock of the power-on, so a job resumed mid-install keeps its deadline.
    A master already up says nothing (a deploy of a set-up lab stays quiet).
    """
    if not install and master.install_stage() == InstallStage.READY:
        return

    def tell(stage: InstallStage | None) -> None:
        run.tell(MasterStarting(vm=vm, install=install, stage=stage or InstallStage.NOTHING,
                                elapsed=time.time() - since, deadline=timeout))

    def gave_up(last: InstallStage | None, _: MasterError | None) -> Exception:
        return words.not_up(vm, url, last or InstallStage.NOTHING, install=install, within=timeout)

    left = max(timeout - (time.time() - since), run.deps.timeouts.poll)
    run.follow(master.install_stage, done=lambda stage: stage == InstallStage.READY, state=lambda stage: stage,
               describe=lambda stage: f"the Fuel master at {url} to come up", timeout=left, error=MasterError,
               max_poll=5 * run.deps.timeouts.poll, on_progress=tell, on_wait=tell, give_up=gave_up)
    run.tell(MasterUp(vm=vm, install=install, elapsed=time.time() - since))


def detach_iso(run: MasterRun, vsphere: VSpherePort, vm: str) -> None:
    """ISO out, disk first (the 6.0 ISO's default entry would reinstall at the next power-on)."""
    if vsphere.detach_master_iso(vm):
        run.tell(IsoDetached(vm=vm))


def set_up(run: MasterRun, master: MasterPort, progress: MasterProgress, *, groups: tuple[str, ...]) -> None:
    """The article's steps on the master: release, root's and admin's passwords, feature groups, the lab's NTP
    servers (fuelmenu's Time Sync, which the ISO's boot parameters cannot set), cobbler sync."""
    done: list[SetupAction] = []

    def did(outcome: Outcome) -> None:
        done.append(SetupAction(summary=outcome.summary, changed=outcome.changed, warning=outcome.warning))
        run.tell(MasterSetupProgress(address=master.address, done=tuple(done)))
        run.checkpoint()

    did(master.check_release())
    did(master.ensure_root_password())
    did(master.ensure_admin_password())
    current = master.feature_groups()
    if (current.listed, current.running) != (groups, groups) and not progress.cobbler_due:
        progress.cobbler_due = True          # recorded first: a crash after the restart still syncs cobbler
        run.save()
    did(master.ensure_feature_groups())
    did(master.ensure_ntp())                 # looks at ntpd too: a crash before its restart restarts it
    if progress.cobbler_due:
        did(master.sync_cobbler())
        progress.cobbler_due = False
        run.save()
    run.tell(MasterSetupProgress(address=master.address, done=tuple(done), finished=True))
