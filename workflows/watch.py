"""Discovery watch: new unallocated nodes in a lab's Fuel are announced once in its channel.

It runs on a tick in every replica, not as a job: it is housekeeping nobody asked for, and a
job per lab per minute would bury the ones people did ask for. The unique (lab, MAC) row is
claimed before posting, so with N replicas each node is still announced exactly once.
"""
from __future__ import annotations

import logging
from typing import Callable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import FuelbotError
from core.redact import scrub
from jobs.outbox import Placement, enqueue
from jobs.queue import active_mutating_job
from labspec.model import Lab
from workflows.ports import FuelPort, VSpherePort
from store.models import AnnouncedNode, VMOwnership
from store.types import utcnow

log = logging.getLogger(__name__)


def _claim(sessions: Callable[[], Session], lab: str, mac: str) -> bool:
    """Record the announcement first: the unique key makes it once-only across replicas."""
    try:
        with sessions() as session, session.begin():
            session.add(AnnouncedNode(lab=lab, mac=mac, at=utcnow()))
        return True
    except IntegrityError:
        return False


def announce_new_nodes(*, sessions: Callable[[], Session], lab: Lab, fuel: FuelPort,
                       vsphere: VSpherePort) -> list[str]:
    """Announce the lab's new unallocated nodes in its channel; returns the lines posted."""
    with sessions() as session:
        if active_mutating_job(session, lab.name) is not None:
            return []   # the running job reports its own discoveries
        announced = set(session.scalars(select(AnnouncedNode.mac).where(AnnouncedNode.lab == lab.name)))
        # the watch reads only this lab's folder: another lab's VMs are known by that lab's records
        others = {m.lower() for macs in session.scalars(select(VMOwnership.macs).where(VMOwnership.lab != lab.name))
                  for m in macs}
    nodes = [n for n in fuel.nodes("unallocated") if n.mac.lower() not in announced]
    if not nodes:
        return []
    try:
        owner = {m.lower(): vm for vm in vsphere.lab_vms(lab.name) for m in vm.macs}
    except FuelbotError:
        owner = {}
    lines = []
    for node in nodes:
        vm = owner.get(node.mac.lower())
        if vm is None and node.mac.lower() in others:
            continue   # another lab's VM: that lab announces it
        if _claim(sessions, lab.name, node.mac.lower()):
            match = f"VM `{vm.name}`" if vm is not None else "unknown MAC (no VM matches)"
            lines.append(f"node-{node.id} {node.mac} ⇐ {match}")
    if lines and lab.channel:
        with sessions() as session, session.begin():
            enqueue(session, channel=lab.channel, placement=Placement.POST,
                    text=f"🆕 New node(s) discovered in *{lab.name}*'s Fuel, unassigned:\n" + "\n".join(lines))
    return lines


def watch_labs(*, sessions: Callable[[], Session], labs: Callable[[], tuple[Mapping[str, Lab], Sequence[object]]],
               fuel_factory: Callable[[Lab], FuelPort], vsphere: Callable[[Lab], VSpherePort]) -> None:
    """One pass over every lab with a channel; a lab whose Fuel or vCenter is down is skipped.

    ``vsphere`` hands out the lab's kept client (``VSphereSessions``: one session per vCenter, no
    login and logout every minute per lab per replica), which this pass does not close.
    """
    found, _ = labs()
    for lab in found.values():
        if not lab.channel:
            continue
        fuel: FuelPort | None = None
        try:
            fuel = fuel_factory(lab)
            announce_new_nodes(sessions=sessions, lab=lab, fuel=fuel, vsphere=vsphere(lab))
        except FuelbotError as exc:
            log.info("discovery watch skipped %s: %s", lab.name, scrub(str(exc)))
        finally:
            if fuel is not None:
                fuel.close()
