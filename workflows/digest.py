"""Digests: per lab, what changed since the previous digest first, then the state at a glance."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.errors import FuelbotError
from jobs.steps import StepContext
from jobs.states import JobState
from store.models import HealthRun, Job, LabObservation
from store.types import utcnow
from workflows.deps import RunValue, fuel, vms_by_mac
from workflows.oneshot import OneShotWorkflow
from workflows.texts import duration

SECTION_LIMIT = 12


def observe(ctx: StepContext, lab) -> dict:
    """A snapshot of one lab: Fuel environment, nodes, last deploy, last health, running jobs."""
    snap: dict = {"lab": lab.name}
    try:
        api = fuel(ctx, lab)
        cluster = api.find_cluster(lab.environment.name)
        snap["status"] = cluster.status.value if cluster else "not deployed"
        nodes = api.nodes(cluster.id) if cluster else []
        snap["nodes"] = {}
        for n in nodes:
            key = f"{n.status.value}:{'+'.join(n.roles or n.pending_roles) or 'unassigned'}"
            snap["nodes"][key] = snap["nodes"].get(key, 0) + 1
        snap["offline"] = [f"node-{n.id}" for n in nodes if not n.online]
        unallocated = [n for n in _unallocated(ctx, api) if n.online]
        vms = vms_by_mac(ctx, lab) if unallocated else {}
        snap["unassigned"] = [f"{n.mac} ({vms[n.mac.lower()].name if n.mac.lower() in vms else 'no VM matches'})"
                              for n in unallocated]
    except FuelbotError as exc:
        snap["status"] = f"unreachable: {exc}"
    with ctx.deps.session_factory() as session:
        deploy = session.scalar(select(Job).where(Job.lab == lab.name, Job.kind == "deploy",
                                                  Job.state.in_([s.value for s in JobState if s.is_final]))
                                .order_by(Job.id.desc()).limit(1))
        if deploy is not None:
            snap["last_deploy"] = {"job": deploy.id, "state": deploy.state, "step": deploy.step,
                                   "at": (deploy.finished_at or deploy.created_at).isoformat()}
        health = session.scalar(select(HealthRun).where(HealthRun.lab == lab.name).order_by(HealthRun.id.desc()).limit(1))
        if health is not None:
            snap["health"] = {"passed": health.summary.get("passed", 0), "failed": health.summary.get("failed", 0),
                              "at": health.at.isoformat()}
        snap["running"] = [f"#{j.id} {j.kind}" for j in session.scalars(select(Job).where(
            Job.lab == lab.name, Job.state.in_(["queued", "running"]), Job.id != ctx.job_id))]
    return snap


def _unallocated(ctx: StepContext, api) -> list:
    """Unallocated nodes of a Fuel master, asked once per digest however many labs share it."""
    key = f"unallocated:{api.url}"
    if key not in ctx.resources:
        ctx.resources[key] = RunValue(api.nodes("unallocated"))
    return ctx.resources[key].value


def line_for(snap: dict, now: datetime) -> str:
    parts = [f"*{snap['lab']}* {snap['status']}"]
    nodes = snap.get("nodes") or {}
    if nodes:
        parts.append(", ".join(f"{count} {key.replace(':', ' ')}" for key, count in sorted(nodes.items())))
    if snap.get("offline"):
        parts.append(f"🔌 {', '.join(snap['offline'])} offline")
    if snap.get("unassigned"):
        parts.append(f"{len(snap['unassigned'])} discovered, unassigned ({'; '.join(snap['unassigned'][:3])})")
    if snap.get("last_deploy"):
        d = snap["last_deploy"]
        parts.append(f"last deploy {'✅' if d['state'] == 'succeeded' else '❌'} #{d['job']}"
                     + (f" at {d['step']}" if d["state"] != "succeeded" else ""))
    if snap.get("health"):
        h = snap["health"]
        age = duration((now - datetime.fromisoformat(h["at"])).total_seconds())
        verdict = "✓" if not h["failed"] else f"✗ {h['failed']} failed"
        parts.append(f"health {verdict} {age} ago")
    if snap.get("running"):
        parts.append(f"running: {', '.join(snap['running'])}")
    return " · ".join(parts)


def changes(previous: dict | None, snap: dict) -> list[str]:
    if previous is None:
        return []
    out = []
    if previous.get("status") != snap.get("status"):
        out.append(f"{snap['lab']} {previous.get('status')} → {snap.get('status')}")
    if previous.get("last_deploy") != snap.get("last_deploy") and snap.get("last_deploy"):
        d = snap["last_deploy"]
        out.append(f"{snap['lab']} deploy {'✅' if d['state'] == 'succeeded' else '❌'} (#{d['job']})")
    before, after = previous.get("health") or {}, snap.get("health") or {}
    if after and before.get("failed") != after.get("failed"):
        trend = "got worse" if after["failed"] > before.get("failed", 0) else "improved"
        out.append(f"{snap['lab']} health {trend} ({after['passed']}/{after['passed'] + after['failed']})")
    if set(snap.get("offline", [])) - set(previous.get("offline", [])):
        out.append(f"{snap['lab']} new offline: {', '.join(sorted(set(snap['offline']) - set(previous.get('offline', []))))}")
    return out


class DigestWorkflow(OneShotWorkflow):
    """Every lab (or one) at a glance, what changed since the previous digest first."""

    kind, title = "digest", "Digest"

    def run(self, ctx: StepContext) -> None:
        labs, problems = ctx.deps.load_labs()
        selected = [labs[ctx.lab_name]] if ctx.lab_name in labs else [labs[n] for n in sorted(labs)]
        now = utcnow()
        snaps, changed = [], []
        for lab in selected:
            ctx.checkpoint()
            snap = observe(ctx, lab)
            with ctx.deps.session_factory() as session, session.begin():
                previous = session.scalar(select(LabObservation).where(
                    LabObservation.lab == lab.name, LabObservation.kind == "digest")
                    .order_by(LabObservation.id.desc()).limit(1))
                changed += changes(previous.data if previous else None, snap)
                session.add(LabObservation(lab=lab.name, kind="digest", observed_at=now, data=snap))
            snaps.append(snap)
        missed = ctx.params.get("missed") or 0
        since = ("since last digest: " + "; ".join(changed)) if changed else "no change since last digest"
        head = f"📋 Labs digest — {len(snaps)} lab(s) · {since}"
        if missed:
            head += f" · (covers {missed + 1} scheduled runs missed while fuelbot was down)"
        lines = [line_for(s, now) for s in snaps] + [f"⚠️ {p}" for p in problems][:5]
        mention = ctx.params.get("mention")
        if mention and changed and ctx.params.get("scheduled"):
            head = f"{mention} {head}"
        if len(lines) <= 3:
            ctx.data["headline"] = head + "\n" + "\n".join(lines)
        else:
            ctx.data["headline"] = head
            for start in range(0, len(lines), SECTION_LIMIT):
                ctx.report.say("\n".join(lines[start:start + SECTION_LIMIT]))
        ctx.data["result"] = {"labs": len(snaps), "changes": changed}

    def on_finish(self, ctx: StepContext, *, state: str, error, elapsed: float) -> None:
        if state == "succeeded":
            ctx.report.parent(ctx.data["headline"] + f" · job #{ctx.job_id}")
            return
        super().on_finish(ctx, state=state, error=error, elapsed=elapsed)
