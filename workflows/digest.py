"""Digests: per lab, what changed since the previous digest first, then the state at a glance."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.errors import FuelbotError
from jobs.record import JobRecord
from jobs.states import JobKind, JobState
from labspec.model import Lab
from store.models import HealthRun, Job, LabObservation
from store.types import utcnow
from workflows.oneshot import OneShotWorkflow
from workflows.run import Run
from workflows.voices.digest import Digest, DigestVoice, changes


def observe(run: Run[JobRecord, Digest], lab: Lab) -> dict[str, Any]:
    """A snapshot of one lab: Fuel environment, nodes, last deploy, last health, running jobs."""
    snap: dict[str, Any] = {"lab": lab.name}
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
        snap["unassigned"] = [f"{n.mac} ({vms[n.mac.lower()].name if n.mac.lower() in vms else 'no VM matches'})"
                              for n in unallocated]
    except FuelbotError as exc:
        snap["status"] = f"unreachable: {exc}"
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
    return snap


class DigestWorkflow(OneShotWorkflow[JobRecord, Digest]):
    """Every lab (or one) at a glance, what changed since the previous digest first."""

    kind, title = JobKind.DIGEST, "Digest"
    record = JobRecord
    voice = DigestVoice()

    def run(self, run: Run[JobRecord, Digest]) -> None:
        labs, problems = run.deps.load_labs()
        wanted = run.lab_name
        selected = [labs[wanted]] if wanted is not None and wanted in labs else [labs[n] for n in sorted(labs)]
        now = utcnow()
        snaps, changed = [], []
        for lab in selected:
            run.checkpoint()
            snap = observe(run, lab)
            with run.deps.session_factory() as session, session.begin():
                previous = session.scalar(select(LabObservation).where(
                    LabObservation.lab == lab.name, LabObservation.kind == "digest")
                    .order_by(LabObservation.id.desc()).limit(1))
                changed += changes(previous.data if previous else None, snap)
                if not run.data.in_place:    # a look-up for one person does not move everyone's baseline
                    session.add(LabObservation(lab=lab.name, kind="digest", observed_at=now, data=snap))
            snaps.append(snap)
        scheduled = bool(run.params.get("scheduled"))
        digest = Digest(snapshots=tuple(snaps), changes=tuple(changed), problems=tuple(str(p) for p in problems),
                        now=now, missed=run.params.get("missed") or 0,
                        mention=run.params.get("mention") if scheduled else None)
        run.headline = self.voice.headline(digest)
        run.tell(digest)
        run.data.result = {"labs": len(snaps), "changes": changed}
