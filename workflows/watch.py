"""Discovery watch: new unallocated nodes on a lab's Fuel master are announced once, where people look.

It runs on a tick in every replica, not as a job: it is housekeeping nobody asked for, and a
job per lab per minute would bury the ones people did ask for. Labs that share a Fuel master are
watched together: the master is asked once; a node whose VM is a lab's is announced in that
lab's channel, and a node no lab owns (a stranger) once for the master, in the channel of the
first of its labs that has one. The unique (key, MAC) row is claimed before posting, so with N
replicas each node is still announced exactly once.

VMs are read from each lab's own folder through the kept vSphere clients (``VSphereSessions``: one
session per vCenter, no login and logout every minute per lab per replica); a node whose MAC
another lab has recorded (``store.models.VMOwnership``) belongs to that lab and is not a stranger.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import FuelbotError
from core.redact import scrub
from integrations.vsphere.info import VMInfo
from jobs.outbox import Placement, enqueue
from jobs.queue import active_mutating_job
from labspec.model import Lab
from workflows.ports import FuelPort, VSpherePort
from store.models import AnnouncedNode, VMOwnership
from store.types import utcnow

log = logging.getLogger(__name__)


def master_key(url: str) -> str:
    """The announcement key of a Fuel master's strangers (fits ``AnnouncedNode.lab``; never a lab's name)."""
    return "fuel:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _claim(sessions: Callable[[], Session], key: str, mac: str) -> bool:
    """Record the announcement first: the unique key makes it once-only across replicas."""
    try:
        with sessions() as session, session.begin():
            session.add(AnnouncedNode(lab=key, mac=mac, at=utcnow()))
        return True
    except IntegrityError:
        return False


def _post(sessions: Callable[[], Session], channel: str, text: str) -> None:
    with sessions() as session, session.begin():
        enqueue(session, channel=channel, placement=Placement.POST, text=text)


def announce_new_nodes(*, sessions: Callable[[], Session], labs: Sequence[Lab], fuel: FuelPort,
                       read_vms: Callable[[], Mapping[str, VMInfo]]) -> list[str]:
    """Announce the new unallocated nodes of one Fuel master shared by ``labs``; returns the lines posted.

    ``read_vms`` maps MAC → VM over the labs' folders; it is called only when a node is new. A lab
    busy with a mutating job reports its own discoveries; its nodes wait for the next tick after it.
    """
    names = [lab.name for lab in labs]
    keys = names + [master_key(fuel.url)]
    with sessions() as session:
        busy = {lab.name for lab in labs if active_mutating_job(session, lab.name) is not None}
        announced = {mac for mac in session.scalars(select(AnnouncedNode.mac).where(AnnouncedNode.lab.in_(keys)))}
    fresh = [n for n in fuel.nodes("unallocated") if n.mac.lower() not in announced]
    if not fresh:
        return []
    with sessions() as session:   # the VMs every lab recorded: a node of theirs is theirs to announce
        recorded = {m.lower(): lab for lab, macs in session.execute(select(VMOwnership.lab, VMOwnership.macs))
                    for m in macs}
    vms = read_vms()
    posted: list[str] = []
    by_lab: dict[str, list[str]] = {}
    loose: list[str] = []
    for node in fresh:
        mac = node.mac.lower()
        vm = vms.get(mac)
        owner = next((lab for lab in labs if vm is not None and vm.owned_by(lab.name)), None)
        if owner is None and mac in recorded:
            owner = next((lab for lab in labs if lab.name == recorded[mac]), None)
            if owner is None:
                continue   # the VM of a lab on another master: not ours to announce
        if owner is None and vm is not None and "fuelbot lab=" in (vm.annotation or ""):
            continue   # marked for a lab on another master
        key = owner.name if owner is not None else master_key(fuel.url)
        held = owner.name in busy if owner is not None else bool(busy)   # a running deploy reports what it sees
        if held or not _claim(sessions, key, mac):
            continue
        match = f"VM `{vm.name}`" if vm is not None else "unknown MAC (no VM matches)"
        line = f"node-{node.id} {node.mac} ⇐ {match}"
        (by_lab.setdefault(owner.name, []) if owner is not None else loose).append(line)
    for lab in labs:
        if by_lab.get(lab.name) and lab.channel:
            _post(sessions, lab.channel, f"🆕 New node(s) discovered in *{lab.name}*'s Fuel, unassigned:\n"
                  + "\n".join(by_lab[lab.name]))
            posted += by_lab[lab.name]
    watched = next((lab for lab in labs if lab.channel), None)
    if loose and watched is not None and watched.channel:
        _post(sessions, watched.channel, f"👽 New node(s) on the Fuel master of {', '.join(names)} that no lab owns, "
              "unassigned:\n" + "\n".join(loose))
        posted += loose
    return posted


def by_master(labs: Iterable[Lab]) -> dict[str, list[Lab]]:
    """The labs grouped by the Fuel master that serves them (its URL), each group by lab name."""
    masters: dict[str, list[Lab]] = {}
    for lab in sorted(labs, key=lambda lab: lab.name):
        masters.setdefault(lab.fuel.url, []).append(lab)
    return masters


def watch_labs(*, sessions: Callable[[], Session], labs: Callable[[], tuple[Mapping[str, Lab], Sequence[object]]],
               fuel_factory: Callable[[Lab], FuelPort], vsphere: Callable[[Lab], VSpherePort]) -> None:
    """One pass over every Fuel master that serves a lab with a channel; a master that is down is skipped.

    ``vsphere`` hands out a lab's kept client, which this pass does not close.
    """
    found, _ = labs()
    for url, served in by_master(found.values()).items():
        if not any(lab.channel for lab in served):
            continue
        fuel: FuelPort | None = None
        try:
            fuel = fuel_factory(served[0])

            def read_vms(served: list[Lab] = served) -> dict[str, VMInfo]:
                vms: dict[str, VMInfo] = {}
                for lab in served:
                    try:
                        vms.update({m.lower(): vm for vm in vsphere(lab).lab_vms(lab.name) for m in vm.macs})
                    except FuelbotError as exc:
                        log.info("discovery watch: the VMs of %s are unreadable: %s", lab.name, scrub(str(exc)))
                return vms
            announce_new_nodes(sessions=sessions, labs=served, fuel=fuel, read_vms=read_vms)
        except FuelbotError as exc:
            log.info("discovery watch skipped the Fuel master of %s: %s", ", ".join(lab.name for lab in served),
                     scrub(str(exc)))
        finally:
            if fuel is not None:
                fuel.close()
