"""Discovery watch: new unallocated nodes in a lab's Fuel are announced once in its channel."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jobs.queue import active_mutating_job
from jobs.steps import Step, StepContext
from store.models import AnnouncedNode
from store.types import utcnow
from workflows.deps import fuel, lab_of, vms_by_mac


def _claim(ctx: StepContext, lab: str, mac: str) -> bool:
    """Record the announcement first: the unique key makes it once-only across replicas."""
    try:
        with ctx.deps.session_factory() as session, session.begin():
            session.add(AnnouncedNode(lab=lab, mac=mac, at=utcnow()))
        return True
    except IntegrityError:
        return False


def step_watch(ctx: StepContext) -> None:
    lab = lab_of(ctx)
    with ctx.deps.session_factory() as session:
        if active_mutating_job(session, lab.name) is not None:
            return  # the running job reports its own discoveries
        announced = set(session.scalars(select(AnnouncedNode.mac).where(AnnouncedNode.lab == lab.name)))
    nodes = [n for n in fuel(ctx, lab).nodes("unallocated") if n.mac.lower() not in announced]
    if not nodes:
        return
    owner = vms_by_mac(ctx, lab)
    lines = []
    for node in nodes:
        vm = owner.get(node.mac.lower())
        if vm is not None and vm.annotation and "fuelbot lab=" in vm.annotation and not vm.owned_by(lab.name):
            continue  # another lab's VM: that lab announces it
        if not _claim(ctx, lab.name, node.mac.lower()):
            continue
        match = f"VM `{vm.name}`" if vm is not None else "unknown MAC (no VM matches)"
        lines.append(f"node-{node.id} {node.mac} ⇐ {match}")
    if lines:
        ctx.report.parent(f"🆕 New node(s) discovered in *{lab.name}*'s Fuel, unassigned:\n" + "\n".join(lines))


class WatchWorkflow:
    """Periodic, quiet unless something new shows up."""

    def steps(self, ctx: StepContext) -> list[Step]:
        return [Step("watch", "Discovery watch", step_watch, deadline_seconds=120, retries=0)]

    def on_finish(self, ctx: StepContext, *, state: str, error, elapsed: float) -> None:
        return  # a watch that could not reach Fuel says nothing; the digest shows unreachable labs

    def on_cancel(self, ctx: StepContext) -> None:
        return
