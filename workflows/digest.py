"""Digests: per lab, what changed since the previous digest first, then the state at a glance.

A digest asks no Fuel master: it reads what the observation tick last saw of each lab
(``workflows.observations``, one clusters read and one nodes read per master per tick) and says
how fresh that is; a lab never observed, or whose master stopped answering, is said to be so.

Labs that share a Fuel master share what is the master's: an outage is said once for the master
(with the labs it hides), and a node no lab owns is listed once for the master, not under each
of its labs.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs import lease_notices
from jobs.record import JobRecord
from jobs.states import JobKind, JobState
from labspec.model import Lab
from store.models import HealthRun, Job, LabObservation, LabState
from store.types import utcnow
from store.lab_states import freshness, lab_states
from workflows.oneshot import OneShotWorkflow
from workflows.run import Run
from workflows.voices.digest import (NOT_OBSERVED, UNREACHABLE, Digest, DigestVoice, Outage, Strangers, changes,
                                     outage_changes, unreachable)

DigestRun = Run[JobRecord, Digest]


def fuel_part(lab: Lab, row: LabState | None, now: datetime) -> dict[str, Any]:
    """What the observation tick last read of ``lab`` (``workflows.observations``), said as fresh as it is."""
    snap: dict[str, Any] = {"lab": lab.name, "fuel": lab.fuel.url}
    fresh = freshness(row, now)
    if fresh.observed_at is None and fresh.error is None:
        snap["status"] = NOT_OBSERVED
        return snap
    if fresh.error is not None:
        snap["status"], snap["error"] = UNREACHABLE, fresh.error
    else:
        assert row is not None
        snap.update({k: row.data.get(k) for k in ("status", "nodes", "offline", "unassigned")})
    if fresh.observed_at is not None:
        snap["as_of"] = fresh.observed_at.isoformat()
        snap["stale"] = fresh.stale
    return snap


def jobs_part(session: Session, names: list[str], job_id: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Per lab: its last finished deploy, last health run, running jobs and lease (a few queries for all)."""
    parts: dict[str, dict[str, Any]] = {name: {} for name in names}
    final = [s.value for s in JobState if s.is_final]
    last_deploys = select(func.max(Job.id)).where(Job.lab.in_(names), Job.kind == JobKind.DEPLOY.value,
                                                  Job.state.in_(final)).group_by(Job.lab)
    for deploy in session.scalars(select(Job).where(Job.id.in_(last_deploys))):
        parts[str(deploy.lab)]["last_deploy"] = {
            "job": deploy.id, "state": deploy.state, "step": deploy.step_title or deploy.step,
            "at": (deploy.finished_at or deploy.created_at).isoformat()}
    last_health = select(func.max(HealthRun.id)).where(HealthRun.lab.in_(names)).group_by(HealthRun.lab)
    for health in session.scalars(select(HealthRun).where(HealthRun.id.in_(last_health))):
        parts[health.lab]["health"] = {"passed": health.summary.get("passed", 0),
                                       "failed": health.summary.get("failed", 0), "at": health.at.isoformat()}
    for job in session.scalars(select(Job).where(Job.lab.in_(names), Job.id != job_id, Job.state.in_(
            [s.value for s in JobState if s.is_active])).order_by(Job.id)):
        parts[str(job.lab)].setdefault("running", []).append(f"#{job.id} {job.kind}")
    for name in names:
        parts[name].setdefault("running", [])
        lease = lease_notices.held(session, name, now)
        if lease is not None:
            parts[name]["lease"] = lease
    return parts


def strangers(labs: list[Lab], rows: dict[str, LabState], now: datetime) -> list[Strangers]:
    """Per Fuel master read fresh, its unassigned nodes no lab fuelbot knows recorded (listed once)."""
    found = []
    for url in sorted({lab.fuel.url for lab in labs}):
        served = [lab for lab in labs if lab.fuel.url == url]
        current = [rows[lab.name] for lab in served if lab.name in rows and freshness(rows[lab.name], now).current]
        loose = current[0].data.get("strangers") if current else None
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
        names = [lab.name for lab in selected]
        now = utcnow()
        run.checkpoint()
        with run.deps.session_factory() as session, session.begin():
            rows = lab_states(session, names)
            jobs = jobs_part(session, names, run.job_id, now)
            last = select(func.max(LabObservation.id)).where(LabObservation.lab.in_(names),
                                                             LabObservation.kind == "digest").group_by(LabObservation.lab)
            previous = {o.lab: o.data for o in session.scalars(select(LabObservation).where(LabObservation.id.in_(last)))}
            snaps = [{**fuel_part(lab, rows.get(lab.name), now), **jobs[lab.name]} for lab in selected]
            if not run.data.in_place:    # a look-up for one person does not move everyone's baseline
                session.add_all(LabObservation(lab=s["lab"], kind="digest", observed_at=now, data=s) for s in snaps)
        previous_snaps = [previous.get(name) for name in names]
        changed = [c for before, snap in zip(previous_snaps, snaps) for c in changes(before, snap)]
        changed = outage_changes(previous_snaps, snaps) + changed
        errors = {s["fuel"]: s["error"] for s in snaps if unreachable(s) and s.get("error")}
        outages = [Outage(fuel=url, error=error, labs=tuple(s["lab"] for s in snaps if s.get("fuel") == url
                                                            and unreachable(s)))
                   for url, error in sorted(errors.items())]
        scheduled = bool(run.params.get("scheduled"))
        digest = Digest(snapshots=tuple(snaps), changes=tuple(changed), problems=tuple(str(p) for p in problems),
                        now=now, missed=run.params.get("missed") or 0,
                        mention=run.params.get("mention") if scheduled else None,
                        first=all(p is None for p in previous_snaps),
                        outages=tuple(outages), strangers=tuple(strangers(selected, rows, now)))
        run.headline = self.voice.headline(digest)
        run.tell(digest)
        run.data.result = {"labs": len(snaps), "changes": changed}
