"""Lab observations: a tick reads each Fuel master once and keeps, per lab, what it saw and when.

A sibling of the discovery watch (``workflows.watch``), on its own tick in every replica: per Fuel
master, ONE clusters read and ONE nodes read, however many labs the master serves; each lab's
row of ``lab_states`` then holds its environment's status, its nodes by status and role, the
offline ones, and the discovered nodes that are its VMs' (``VMOwnership``: what deploys recorded,
no vSphere read) but unassigned; nodes no lab recorded are the master's strangers.

A master that does not answer keeps each lab's last reading and says why it failed
(``error``, ``tried_at``), so a reader never shows an old reading as current: the digest and
``labs``/``status`` read these rows and say how fresh they are (``store.lab_states``); ``status
--live`` still asks Fuel.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Counter, Literal, Mapping, Protocol, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import FuelbotError
from core.redact import scrub
from integrations.fuel.models import Cluster, Node
from labspec.model import Lab
from store.lab_states import NOT_DEPLOYED
from store.models import LabState, VMOwnership
from store.types import utcnow
from workflows.watch import by_master

log = logging.getLogger(__name__)


class FuelReads(Protocol):
    """What a tick reads of a Fuel master (``integrations.fuel.client.FuelClient``)."""

    @property
    def request_count(self) -> Counter[str]: ...

    def clusters(self) -> list[Cluster]: ...

    def nodes(self, cluster_id: int | None | Literal["unallocated"] = None) -> list[Node]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TickCost:
    """What one observation tick cost: the Fuel requests it sent (all masters), its seconds, the masters down."""

    at: datetime
    masters: int
    labs: int
    fuel_requests: int
    seconds: float
    down: tuple[str, ...] = ()


def lab_reading(lab: Lab, clusters: Mapping[str, Cluster], nodes: Sequence[Node],
                owned: Mapping[str, str]) -> dict[str, Any]:
    """One lab as the master's clusters and nodes show it; ``owned`` maps its VMs' MACs to their names."""
    cluster = clusters.get(lab.environment.name)
    unassigned = [f"{n.mac} (VM `{owned[n.mac.lower()]}`)" for n in nodes
                  if n.cluster is None and n.online and n.mac.lower() in owned]
    if cluster is None:
        return {"status": NOT_DEPLOYED, "nodes": {}, "by_status": {}, "offline": [], "unassigned": unassigned}
    members = [n for n in nodes if n.cluster == cluster.id]
    by_role: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for n in members:
        key = f"{n.status.value}:{'+'.join(n.roles or n.pending_roles) or 'unassigned'}"
        by_role[key] = by_role.get(key, 0) + 1
        by_status[n.status.value] = by_status.get(n.status.value, 0) + 1
    return {"status": cluster.status.value, "nodes": by_role, "by_status": by_status,
            "offline": [f"node-{n.id}" for n in members if not n.online], "unassigned": unassigned}


def strangers(nodes: Sequence[Node], recorded: set[str]) -> list[str]:
    """The master's discovered, unassigned nodes that are no lab's recorded VM."""
    return [f"{n.mac} (no lab's VM)" for n in nodes if n.cluster is None and n.online and n.mac.lower() not in recorded]


class LabObserver:
    """Runs the observation tick; keeps one Fuel client per master and the cost of recent ticks."""

    def __init__(self, *, sessions: Callable[[], Session],
                 labs: Callable[[], tuple[Mapping[str, Lab], Sequence[object]]],
                 fuel_factory: Callable[[Lab], FuelReads], keep: int = 50) -> None:
        self._sessions, self._labs, self._fuel_factory = sessions, labs, fuel_factory
        self._clients: dict[str, FuelReads] = {}
        self.ticks: deque[TickCost] = deque(maxlen=keep)

    def tick(self) -> TickCost:
        started, now = time.perf_counter(), utcnow()
        found, _ = self._labs()
        masters = by_master(found.values())
        with self._sessions() as session:
            owned: dict[str, dict[str, str]] = {}
            for lab_name, name, macs in session.execute(select(VMOwnership.lab, VMOwnership.name, VMOwnership.macs)):
                owned.setdefault(lab_name, {}).update({m.lower(): name for m in macs})
        recorded = {mac for macs in owned.values() for mac in macs}
        sent, down = 0, []
        for url, served in masters.items():
            readings, error, requests = self._read(served, owned, recorded)
            sent += requests
            if error is not None:
                down.append(url)
            self._store(url, served, readings, error, now)
        cost = TickCost(at=now, masters=len(masters), labs=sum(len(s) for s in masters.values()),
                        fuel_requests=sent, seconds=round(time.perf_counter() - started, 3), down=tuple(down))
        self.ticks.append(cost)
        log.info("lab observations: %d lab(s) on %d Fuel master(s), %d request(s), %.3f s%s", cost.labs,
                 cost.masters, cost.fuel_requests, cost.seconds, f"; down: {', '.join(down)}" if down else "")
        return cost

    def _read(self, served: list[Lab], owned: Mapping[str, Mapping[str, str]],
              recorded: set[str]) -> tuple[dict[str, dict[str, Any]], str | None, int]:
        """Each lab's reading from one clusters read and one nodes read; or why the master did not answer."""
        url = served[0].fuel.url
        client = self._clients.get(url)
        before = 0
        try:
            if client is None:
                client = self._clients[url] = self._fuel_factory(served[0])
            before = sum(client.request_count.values())
            clusters = {c.name: c for c in client.clusters()}
            nodes = client.nodes()
        except FuelbotError as exc:
            self._drop(url)
            sent = sum(client.request_count.values()) - before if client is not None else 0
            return {}, scrub(str(exc)), sent
        sent = sum(client.request_count.values()) - before
        loose = strangers(nodes, recorded)
        readings = {lab.name: {**lab_reading(lab, clusters, nodes, owned.get(lab.name, {})), "strangers": loose}
                    for lab in served}
        return readings, None, sent

    def _store(self, url: str, served: list[Lab], readings: Mapping[str, dict[str, Any]], error: str | None,
               now: datetime) -> None:
        with self._sessions() as session, session.begin():
            rows = {row.lab: row for row in session.scalars(select(LabState).where(
                LabState.lab.in_([lab.name for lab in served])))}
            for lab in served:
                row = rows.get(lab.name)
                if row is None:
                    row = LabState(lab=lab.name, fuel=url, observed_at=None, tried_at=now, data={})
                    session.add(row)
                if row.fuel != url:          # the spec moved to another master: the old reading is not this one's
                    row.fuel, row.observed_at, row.data = url, None, {}
                row.tried_at, row.error = now, error
                if error is None:
                    row.observed_at, row.data = now, readings[lab.name]

    def _drop(self, url: str) -> None:
        client = self._clients.pop(url, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        for url in list(self._clients):
            self._drop(url)
