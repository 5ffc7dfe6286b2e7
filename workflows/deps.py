"""What workflows need from the outside world, built once in ``app.py`` and handed to steps.

Clients are opened lazily per job and kept in ``ctx.resources`` so that a job logs in once;
the runner closes them when the job ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from core.errors import FuelbotError, StepFailed
from jobs.steps import StepContext
from labspec.model import Lab


@dataclass(frozen=True)
class Timeouts:
    """Deadlines of the long waits (seconds of wall time)."""

    fuel_reachable: float = 600.0
    discovery: float = 1800.0
    verify: float = 900.0
    deploy: float = 4 * 3600.0
    health: float = 3600.0
    poll: float = 2.0


@dataclass(frozen=True)
class WorkflowDeps:
    """Factories and settings every workflow step may use."""

    session_factory: Callable[[], Session]
    load_labs: Callable[[], tuple[Mapping[str, Lab], list]]
    vsphere_factory: Callable[[Lab], Any]     # -> integrations.vsphere.VSphereClient (context manager)
    fuel_factory: Callable[[Lab], Any]        # -> integrations.fuel.FuelClient
    timeouts: Timeouts = Timeouts()


def lab_of(ctx: StepContext, name: str | None = None) -> Lab:
    """The job's lab, freshly loaded from its spec; a clear failure when it is gone or invalid."""
    name = name or ctx.lab_name
    pinned = f"lab:{name}"
    if pinned in ctx.resources:   # one spec per run: an edit mid-deploy applies to the next run
        return ctx.resources[pinned]
    labs, problems = ctx.deps.load_labs()
    if name in labs:
        ctx.resources[pinned] = labs[name]
        return labs[name]
    mine = [p for p in problems if getattr(p, "file", "").endswith(f"{name}.yaml")]
    if mine:
        details = "; ".join(str(p) for p in mine[:3])
        raise StepFailed(f"The spec of {name} is invalid: {details}. Run `python app.py check-lab` on it.")
    raise StepFailed(f"No lab named `{name}` (labs: {', '.join(sorted(labs)) or 'none'}).")


def vsphere(ctx: StepContext, lab: Lab) -> Any:
    """The job's vSphere client for ``lab`` (connected on first use; shared by labs on one vCenter)."""
    key = f"vsphere:{lab.vcenter.url}:{lab.vcenter.user}:{lab.vcenter.datacenter}:{lab.vcenter.cluster}"
    if key not in ctx.resources:
        ctx.resources[key] = ctx.deps.vsphere_factory(lab)
    return ctx.resources[key]


class RunValue:
    """A value kept in ``ctx.resources`` for one run (nothing to close)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def vms_by_mac(ctx: StepContext, lab: Lab) -> dict[str, Any]:
    """MAC (lowercase) → VMInfo for the lab's vCenter, read once per run; empty when unreachable."""
    key = f"vms-by-mac:{lab.vcenter.url}:{lab.vcenter.datacenter}"
    if key not in ctx.resources:
        try:
            found = {m.lower(): vm for vm in vsphere(ctx, lab).vms() for m in vm.macs}
        except FuelbotError:
            found = {}
        ctx.resources[key] = RunValue(found)
    return ctx.resources[key].value


def fuel(ctx: StepContext, lab: Lab) -> Any:
    """The job's Fuel client for ``lab`` (shared by labs on one Fuel master)."""
    key = f"fuel:{lab.fuel.url}:{lab.fuel.user}"
    if key not in ctx.resources:
        ctx.resources[key] = ctx.deps.fuel_factory(lab)
    return ctx.resources[key]
