"""The deploy's Fuel master, as the article does it by hand, hands off.

    fuel_master     the VM: created from the ISO when missing and the boot parameters typed at the
                    ISO's menu (or what to type posted), or checked (it must not boot the ISO again)
                    and powered on
    master_install  the install (or the boot) followed until every service answers, then the ISO
                    detached
    master_setup    over SSH and Keystone: release 6.0, root's and admin's passwords, feature groups
                    (nailgun and nginx restarted), cobbler sync; then fuelbot logs in as the lab's admin

A lab without ``fuel.master_vm`` shares a master another lab declares: only the last login is
its. The record (``DeployRecord.master``) is saved before each act, so a crash resumes them.
"""
from __future__ import annotations

import time

from core.errors import FuelError
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.iso import MENU_TIMEOUT_SECONDS, boot_instructions, boot_keys, boot_parameters
from integrations.fuel.models import FuelVersion
from labspec.model import MasterSetup, VMSpec
from workflows import fuel_master
from workflows.deploy_vsphere import DeployRun
from workflows.ports import VSpherePort
from workflows.voices import deploy_failures as failures
from workflows.voices import master as words
from workflows.voices.deploy_facts import MasterReachable, MasterVmCreated
from workflows.voices.master_facts import BootByHand, BootMenuMissed, BootTyped

MIN_MASTER_MB = 2048
MENU_SETTLE_SECONDS = 5.0      # POST and isolinux before the menu reads keys (typed earlier, they are lost)


def step_fuel_master(run: DeployRun) -> None:
    """The Fuel master's VM exists and runs: a new one boots its ISO with the lab's boot parameters."""
    lab = run.lab
    spec = lab.fuel.vm
    if spec is None:
        return
    progress = run.data.master
    client = run.vsphere()
    info = client.vm(spec.name)
    if info is None:
        progress.new, progress.installed, progress.cobbler_due = True, False, True
        run.save()                            # before the VM exists: a crash after still installs it
        info = client.ensure_vm(spec, lab=lab.name)
        run.tell(MasterVmCreated(spec=spec))
    if info.memory_mb < MIN_MASTER_MB:
        raise failures.master_too_small(spec.name, info.memory_mb, MIN_MASTER_MB)
    if progress.new and not progress.installed:
        _boot_installer(run, client, spec, on=info.power_state == "poweredOn")
        return
    boot = client.master_boot(spec.name)
    if info.power_state == "poweredOn":
        # Running from its ISO and not answering: an install still going (an earlier deploy's, which
        # gave up waiting). Answering: an installed master whose ISO the next step detaches.
        if boot.boots_iso_first and run.master().install_stage() != InstallStage.READY:
            progress.new, progress.typed, progress.cobbler_due = True, True, True
            progress.powered_at = time.time()
            run.save()
        return
    if boot.problems():
        raise words.boot_refused(spec.name, boot.problems(), lab.name)
    client.power_on(spec.name)
    progress.powered_at = time.time()
    run.save()


def _boot_installer(run: DeployRun, client: VSpherePort, spec: VMSpec, *, on: bool) -> None:
    """Power the new master on at its ISO's menu and type the lab's boot parameters there."""
    progress = run.data.master
    setup = run.lab.fuel.setup or MasterSetup()
    typing = client.console_typing_supported()
    if not on:
        if not typing:
            run.tell(BootByHand(vm=spec.name, instructions=boot_instructions(setup, spec.name)))
        if run.lab.fuel.setup is not None:
            run.master().forget_host_key()   # the install makes a new one; the old record would refuse it
        client.power_on(spec.name)
        progress.powered_at, progress.typed = time.time(), not typing
        run.save()
    if progress.typed:
        return
    if time.time() - (progress.powered_at or time.time()) >= MENU_TIMEOUT_SECONDS - MENU_SETTLE_SECONDS:
        run.tell(BootMenuMissed(vm=spec.name, parameters=boot_parameters(setup)))
    else:
        run.pause(MENU_SETTLE_SECONDS)
        client.type_at_console(spec.name, boot_keys(setup))
        run.tell(BootTyped(vm=spec.name, parameters=boot_parameters(setup)))
    progress.typed = True
    run.save()


def step_master_install(run: DeployRun) -> None:
    """Follow the install (or the boot) until every service answers, then detach the ISO for good."""
    lab = run.lab
    if lab.fuel.setup is None:
        return
    progress = run.data.master
    install = progress.new and not progress.installed
    timeouts = run.deps.timeouts
    vm = lab.fuel.vm.name if lab.fuel.vm is not None else None
    fuel_master.follow_up(run, run.master(), vm=vm, install=install, since=progress.powered_at or time.time(),
                          timeout=timeouts.master_install if install else timeouts.fuel_reachable, url=lab.fuel.url)
    if vm is not None:
        fuel_master.detach_iso(run, run.vsphere(), vm)
    if install:
        progress.installed = True
        run.save()


def step_master_setup(run: DeployRun) -> None:
    """The article's post-install steps (labs that declare the master), then log in as the lab's admin."""
    lab = run.lab
    if lab.fuel.setup is not None:
        fuel_master.set_up(run, run.master(), run.data.master, groups=lab.fuel.setup.feature_groups)
    api = run.fuel()

    def logged_in() -> FuelVersion:
        version = api.version()
        api.releases()  # proves the credentials work, not only that nginx answers
        return version

    def gave_up(last: FuelVersion | None, error: FuelError | None) -> Exception:
        return failures.master_silent(lab.fuel.url, error)

    version = run.follow(logged_in, done=lambda _: True, state=lambda v: v.release,
                         describe=lambda _: f"Fuel master at {lab.fuel.url}", timeout=run.deps.timeouts.fuel_reachable,
                         error=FuelError, max_poll=run.deps.timeouts.poll, give_up=gave_up)
    run.tell(MasterReachable(release=version.release, url=lab.fuel.url, user=lab.fuel.user))
