"""Preflight knows the Fuel master: it answers, it is 6.0, its feature groups and NTP servers are the lab's,
its ISO will not reinstall it, and 6.0's default passwords are not what protects it.

Each finding names the fix. In a deploy (``deploying``) what the deploy itself sets up (feature
groups, the ISO of a running master, passwords) is a warning, not a reason to stop; the live
default-password and NTP checks are left to the deploy's setup, which changes them.
"""
from __future__ import annotations

from typing import Any

from core.errors import FuelbotError, FuelError
from integrations.vsphere.preflight import Finding
from labspec.master_setup import experimental_reasons, needed_groups
from labspec.model import ADMIN_DEFAULT, ROOT_DEFAULT, Lab
from workflows.run import Run
from workflows.voices import master as words


def master_findings(run: Run[Any, Any], lab: Lab, *, deploying: bool) -> list[Finding]:
    """Every master check for ``lab``; the Fuel API first (without logging in), then vCenter, then SSH."""
    found: list[Finding] = []
    managed = lab.fuel.setup is not None
    fix = "the deploy" if deploying else f"`/fuel master {lab.name} --fix`"
    vm = _vm_state(run, lab)
    try:
        version = run.fuel(lab).version()
    except FuelError as error:
        if managed and vm in ("missing", "poweredOff"):
            does = "creates and installs it" if vm == "missing" else "powers it on"
            found.append(Finding("warn", "fuel-master-api", lab.fuel.url, f"the Fuel master at {lab.fuel.url} does "
                                 f"not answer: its VM {'does not exist yet' if vm == 'missing' else 'is off'}; "
                                 f"`/fuel deploy {lab.name}` {does}"))
        else:
            found.append(Finding("fail", "fuel-master-api", lab.fuel.url, f"the Fuel master at {lab.fuel.url} does "
                                 f"not answer: {error}", f"check fuel.url in {lab.source} and that the master is up"))
        version = None
    if version is not None:
        found.append(Finding("ok", "fuel-master-api", lab.fuel.url,
                             f"the Fuel master at {lab.fuel.url} answers: Fuel {version.release}"))
        if version.release != "6.0":
            found.append(Finding("fail", "fuel-master-release", lab.fuel.url, f"the Fuel master at {lab.fuel.url} "
                                 f"runs Fuel {version.release}; fuelbot and this lab are made for 6.0",
                                 f"point fuel.url in {lab.source} at a 6.0 master, or reinstall it from the 6.0 ISO"))
        found.append(_groups(run, lab, version.feature_groups, deploying=deploying))
    found += _iso(run, lab, vm, deploying=deploying)
    if managed:
        found += _passwords(run, lab, live=version is not None and not deploying, fix=fix)
        if version is not None and not deploying and not any(f.check == "fuel-master-ssh" for f in found):
            found.append(_ntp(run, lab))        # root's SSH works (a refusal was said once, above)
    return found


def _ntp(run: Run[Any, Any], lab: Lab) -> Finding:
    """The master's NTP servers against the lab's: a mismatch is a warning (NTP errors are not fatal to 6.0)."""
    assert lab.fuel.setup is not None
    wanted = lab.fuel.setup.ntp
    master = run.master(lab)
    try:
        ntp = master.ntp_servers()
    except FuelbotError as error:
        return Finding("warn", "fuel-master-ntp", master.address, f"could not read the master's NTP servers: {error}")
    if ntp.matches(wanted):
        return Finding("ok", "fuel-master-ntp", master.address, f"the Fuel master syncs its clock with "
                       f"{', '.join(wanted)}, as the lab sets")
    return Finding("warn", "fuel-master-ntp", master.address, f"the Fuel master's ntp.conf lists "
                   f"{', '.join(ntp.configured) or 'no servers'}: {words.ntp_mismatch(ntp, wanted)}",
                   f"`/fuel master {lab.name} --fix` (sets them as fuelmenu does and restarts ntpd)")


def _vm_state(run: Run[Any, Any], lab: Lab) -> str | None:
    """``missing``, a power state, or None for a lab without a master VM (or vCenter not answering)."""
    if lab.fuel.vm is None:
        return None
    try:
        info = run.vsphere(lab).vm(lab.fuel.vm.name)
    except FuelbotError:
        return None
    return "missing" if info is None else info.power_state


def _groups(run: Run[Any, Any], lab: Lab, running: tuple[str, ...], *, deploying: bool) -> Finding:
    setup = lab.fuel.setup
    wanted = setup.feature_groups if setup is not None else needed_groups(lab.environment, lab.nodes)
    missing = [g for g in wanted if g not in running]
    shown = f"the Fuel master runs with feature groups {', '.join(running) or 'none'}"
    if not missing and (setup is None or running == wanted):
        return Finding("ok", "feature-groups", lab.fuel.url, f"{shown}, as the lab needs")
    reasons = "; ".join(experimental_reasons(lab.environment, lab.nodes))
    need = f"; the lab needs {', '.join(missing)}" + (f" ({reasons})" if "experimental" in missing and reasons else "")
    if setup is not None:
        level = "warn" if deploying or not missing else "fail"
        what = need if missing else f"; the lab sets {', '.join(wanted)}"
        return Finding(level, "feature-groups", lab.fuel.url, shown + what,
                       "the deploy sets them (the article's version.yaml edit, nailgun and nginx restarted)"
                       if deploying else f"`/fuel master {lab.name} --fix`")
    owner = _owner(run, lab)
    return Finding("fail", "feature-groups", lab.fuel.url, shown + need,
                   f"`/fuel master {owner} --fix` ({owner} declares this master)" if owner else
                   "add them to feature_groups in /etc/fuel/version.yaml on the master, then `dockerctl restart "
                   "nailgun` and `dockerctl restart nginx`")


def _owner(run: Run[Any, Any], lab: Lab) -> str | None:
    labs, _ = run.deps.load_labs()
    return next((name for name, other in sorted(labs.items())
                 if other.fuel.url == lab.fuel.url and other.fuel.setup is not None), None)


def _iso(run: Run[Any, Any], lab: Lab, vm: str | None, *, deploying: bool) -> list[Finding]:
    if lab.fuel.vm is None or vm in (None, "missing"):
        return []
    try:
        boot = run.vsphere(lab).master_boot(lab.fuel.vm.name)
    except FuelbotError as error:
        return [Finding("warn", "fuel-master-iso", lab.fuel.vm.name, f"could not read the boot devices of "
                        f"`{lab.fuel.vm.name}`: {error}")]
    if boot.boots_iso_first:
        off = vm != "poweredOn"
        return [Finding("fail" if off else "warn", "fuel-master-iso", boot.name,
                        "; ".join(boot.problems()) + ("" if off else " at its next power-on"),
                        f"`/fuel master {lab.name} --fix` detaches the ISO" if off or not deploying else
                        "the deploy detaches the ISO once the master answers")]
    if boot.problems():
        return [Finding("fail", "fuel-master-iso", boot.name, "; ".join(boot.problems()), f"put the disk first in "
                        f"`{boot.name}`'s boot options (or `/fuel master {lab.name} --fix`)")]
    return [Finding("ok", "fuel-master-iso", boot.name, f"`{boot.name}` boots its disk, not the ISO")]


def _passwords(run: Run[Any, Any], lab: Lab, *, live: bool, fix: str) -> list[Finding]:
    setup = lab.fuel.setup
    assert setup is not None
    found = []
    if lab.fuel.password == ADMIN_DEFAULT:
        found.append(Finding("warn", "default-passwords", "admin", "the lab keeps 6.0's default `admin` password "
                             "(FUEL_PASSWORD is `admin`)", "set FUEL_PASSWORD to a password of your own; "
                             f"{fix} then changes it on the master as the UI does"))
    if setup.root_password == ROOT_DEFAULT:
        found.append(Finding("warn", "default-passwords", "root", "the lab keeps 6.0's default root password "
                             "(FUEL_ROOT_PASSWORD is unset or `r00tme`)", "set FUEL_ROOT_PASSWORD to a password "
                             f"of your own; {fix} then changes it on the master"))
    if not live:
        return found
    master = run.master(lab)
    try:
        logins = master.default_logins()
    except FuelbotError as error:
        return [*found, Finding("fail", "fuel-master-ssh", master.address, str(error))]
    if logins.admin and lab.fuel.password != ADMIN_DEFAULT:
        found.append(Finding("warn", "default-passwords", "admin", "`admin` still logs in with 6.0's default "
                             "password on the master", f"{fix} changes it to FUEL_PASSWORD's"))
    if logins.root and setup.root_password != ROOT_DEFAULT:
        found.append(Finding("warn", "default-passwords", "root", "root still logs in over SSH with 6.0's default "
                             "password on the master", f"{fix} changes it to FUEL_ROOT_PASSWORD's"))
    if not found:
        found.append(Finding("ok", "default-passwords", lab.fuel.url, "6.0's default passwords no longer log in"))
    return found
