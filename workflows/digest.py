"""Digests: per lab, what changed since the previous digest first, then the state at a glance.

Labs that share a Fuel master share what is the master's: an outage is said once for the master
(with the labs it hides), and a node no lab owns is listed once for the master, not under each
of its labs.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.errors import FuelbotError
from core.redact import scrub
from jobs import lease_notices
from jobs.record import JobRecord
from jobs.states import JobKind, JobState
from labspec.model import Lab
from store.models import HealthRun, Job, LabObservation
from store.types import utcnow
from workflows.oneshot import OneShotWorkflow
from workflows.run import Run
from workflows.voices.digest import (UNREACHABLE, Digest, DigestVoice, Outage, Strangers, changes, outage_changes,
                                     unreachable)

DigestRun = Run[JobRecord, Digest]


def observe(run: DigestRun, lab: Lab, down: dict[str, str]) -> dict[str, Any]:
    """A snapshot of one lab: Fuel environment, nodes, last deploy, last health, running jobs.

    ``down`` maps the Fuel masters found unreachable in this digest to their error: a master is
    asked once, however many labs it serves.
    """
    snap: dict[str, Any] = {"lab": lab.name, "fuel": lab.fuel.url}
    if lab.fuel.url in down:
        snap["status"] = UNREACHABLE
    else:
        try:
            api = run.fuel(lab)
            cluster = api.find_cluster(lab.environment.name)
            snap["status"] = cluster.status.value if cluster else "not deployed"
            nodes = api.nodes(cluster.id) if cluster else []
            snap["nodes"] = {}
            for n in nodes:
                key = f"{n.status.value}:{'+'.join(n.roles or n.pending_roles) or 'unassigned'}"
                snap["nodes"][key] = snap["nodes"].get(key, 0) + 1
            snap["offline"] = [f"node-{n.id}" for n in nodes if not n.online]
            unallocated = [n for n in run.clients.unallocated(api) if n.online]
            vms = run.clients.vms_by_mac(lab) if unallocated else {}
            snap["unassigned"] = [f"{n.mac} (VM `{vms[n.mac.lower()].name}`)" for n in unallocated
                                  if n.mac.lower() in vms and vms[n.mac.lower()].owned_by(lab.name)]
        except FuelbotError as exc:
            down[lab.fuel.url] = scrub(str(exc))
            snap["status"] = UNREACHABLE
    with run.deps.session_factory() as session:
        deploy = session.scalar(select(Job).where(Job.lab == lab.name, Job.kind == JobKind.DEPLOY.value,
                                                  Job.state.in_([s.value for s in JobState if s.is_final]))
                                .order_by(Job.id.desc()).limit(1))
        if deploy is not None:
            snap["last_deploy"] = {"job": deploy.id, "state": deploy.state, "step": deploy.step_title or deploy.step,
                                   "at": (deploy.finished_at or deploy.created_at).isoformat()}
        health = session.scalar(select(HealthRun).where(HealthRun.lab == lab.name).order_by(HealthRun.id.desc()).limit(1))
        if health is not None:
            snap["health"] = {"passed": health.summary.get("passed", 0), "failed": health.summary.get("failed", 0),
                              "at": health.at.isoformat()}
        snap["running"] = [f"#{j.id} {j.kind}" for j in session.scalars(select(Job).where(
            Job.lab == lab.name, Job.state.in_([s.value for s in JobState if s.is_active]), Job.id != run.job_id))]
        lease = lease_notices.held(session, lab.name, utcnow())
        if lease is not None:
            snap["lease"] = lease
    return snap


def strangers(run: DigestRun, labs: list[Lab], down: dict[str, str]) -> list[Strangers]:
    """Per Fuel master that answers, its unassigned nodes that no lab fuelbot knows owns (listed once)."""
    found = []
    for url in sorted({lab.fuel.url for lab in labs} - set(down)):
        served = [lab for lab in labs if lab.fuel.url == url]
        try:
            nodes = [n for n in run.clients.unallocated(run.fuel(served[0])) if n.online]
        except FuelbotError:
            continue
        owners = {mac: vm for lab in served for mac, vm in run.clients.vms_by_mac(lab).items()}
        loose = []
        for node in nodes:
            vm = owners.get(node.mac.lower())
            if vm is None:
                loose.append(f"{node.mac} (no VM matches)")
            elif "fuelbot lab=" not in (vm.annotation or ""):
                loose.append(f"{node.mac} (VM `{vm.name}`, not a lab's)")
        if loose:
            found.append(Strangers(fuel=url, labs=tuple(lab.name for lab in served), nodes=tuple(loose)))
    return found


class DigestWorkflow(OneShotWorkflow[JobRecord, Digest]):
    """Every lab (or one) at a glance, what changed since the previous digest first."""

    kind, title = JobKind.DIGEST, "Digest"
    record = JobRecord
    voice = DigestVoice()

    def run(self, run: DigestRun) -> None:
        labs, problems = run.deps.load_labs()
        wanted = run.lab_name
        selected = [labs[wanted]] if wanted is not None and wanted in labs else [labs[n] for n in sorted(labs)]
        now = utcnow()
        snaps, changed, previous_snaps = [], [], []
        down: dict[str, str] = {}
        first = True
        for lab in selected:
            run.checkpoint()
            snap = observe(run, lab, down)
            with run.deps.session_factory() as session, session.begin():
                previous = session.scalar(select(LabObservation).where(
                    LabObservation.lab == lab.name, LabObservation.kind == "digest")
                    .order_by(LabObservation.id.desc()).limit(1))
                first = first and previous is None
                changed += changes(previous.data if previous else None, snap)
                previous_snaps.append(previous.data if previous else None)
                if not run.data.in_place:    # a look-up for one person does not move everyone's baseline
                    session.add(LabObservation(lab=lab.name, kind="digest", observed_at=now, data=snap))
            snaps.append(snap)
        changed = outage_changes(previous_snaps, snaps) + changed
        outages = [Outage(fuel=url, error=error, labs=tuple(s["lab"] for s in snaps if s.get("fuel") == url
                                                            and unreachable(s)))
                   for url, error in sorted(down.items())]
        scheduled = bool(run.params.get("scheduled"))
        digest = Digest(snapshots=tuple(snaps), changes=tuple(changed), problems=tuple(str(p) for p in problems),
                        now=now, missed=run.params.get("missed") or 0,
                        mention=run.params.get("mention") if scheduled else None, first=first,
                        outages=tuple(outages), strangers=tuple(strangers(run, selected, down)))
        run.headline = self.voice.headline(digest)
        run.tell(digest)
        run.data.result = {"labs": len(snaps), "changes": changed}
