"""Commands answered at once from the catalog and the database: help, labs, jobs, job."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import select

from commands import help_replies, job_replies, lab_replies, time_phrases
from commands.api import Reply
from commands.authz import REQUIRED_ROLES
from commands.roles import Role
from commands.catalog import BY_NAME, COMMANDS, ListJobs, ListLabs, ShowJob
from commands.command import Command
from commands.job_commands import step_of, subject_of
from commands.dispatch import handles
from commands.request import Request
from core.mrkdwn import as_of
from jobs import lease_notices
from jobs.queue import active_mutating_job, get_job, list_jobs
from labspec.model import Lab
from store.lab_states import freshness, lab_states
from store.models import Job, JobEvent, LabState

RECENT_JOBS = 10
RECENT_EVENTS = 8


def summary(command: type[Command]) -> str:
    """A command's help: the first line of its docstring."""
    return (command.__doc__ or "").strip().splitlines()[0]


def _flag_roles(command: type[Command]) -> list[tuple[str, str]]:
    return [(param.option or param.field, param.role.label) for param in command.params if param.role is not None]


def _role_note(command: type[Command]) -> str | None:
    notes = [] if REQUIRED_ROLES[command] is Role.VIEWER else [REQUIRED_ROLES[command].label]
    notes += [f"{flag}: {label}" for flag, label in _flag_roles(command)]
    return ", ".join(notes) or None


def help_text(role: Role, topic: str | None = None) -> str:
    """One line per command, or the usage, example and role of the commands under ``topic``."""
    if topic is None:
        lines = [help_replies.help_line(c.usage, summary(c), _role_note(c)) for c in COMMANDS]
        return help_replies.help_overview(lines, role.label)
    chosen = [BY_NAME[topic]] if topic in BY_NAME else [c for c in COMMANDS if c.name.startswith(f"{topic} ")]
    return "\n\n".join(help_replies.help_command(usage_line=c.usage, summary=summary(c), example=c.example,
                                            needs=REQUIRED_ROLES[c].label, flags=_flag_roles(c), have=role.label)
                        for c in chosen)


def _nodes(lab: Lab) -> str:
    roles = Counter(role for node in lab.nodes for role in node.roles)
    count = len(lab.nodes)
    detail = ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))
    return f"{count} node{'s' if count != 1 else ''}" + (f" ({detail})" if detail else "")


def _observed(row: LabState | None, now: datetime) -> str:
    """What the observation tick last read of the lab's environment, and how fresh it is."""
    fresh = freshness(row, now)
    if fresh.observed_at is None and fresh.error is None:
        return "Fuel: not observed yet"
    seen = as_of(fresh.observed_at, now) if fresh.observed_at is not None else None
    if fresh.error is not None:
        return "Fuel: does not answer" + (f" (last answer {seen})" if seen else "")
    assert row is not None and seen is not None
    counts = ", ".join(f"{n} {status}" for status, n in sorted((row.data.get("by_status") or {}).items()))
    return (f"Fuel: {row.data.get('status')}" + (f" ({counts})" if counts else "")
            + f" {'last read ' + seen + ' (stale)' if fresh.stale else seen}")


@handles(ListLabs)
def list_labs(command: ListLabs, request: Request) -> Reply:
    labs, problems = request.services.labs.load()
    states = lab_states(request.session, list(labs))
    lines = []
    for name in sorted(labs):
        lab = labs[name]
        last = request.session.scalar(select(Job).where(Job.lab == name).order_by(Job.id.desc()).limit(1))
        holder = active_mutating_job(request.session, name)
        env = lab.environment
        lines.append(lab_replies.lab_line(
            name=name, nodes=_nodes(lab), environment=f"{env.release} · {env.mode} · {env.compute}",
            last=(f"{last.kind} #{last.id} {last.state} "
                  f"{time_phrases.ago(last.finished_at or last.created_at, request.now)}" if last else "no jobs yet"),
            busy=f"{holder.kind} #{holder.id} {holder.state}" if holder else None,
            lease=lease_notices.held(request.session, name, request.now),
            observed=_observed(states.get(name), request.now)))
    by_file = sorted(Path(p.file).name for p in problems)     # a file's name, never the server's path
    for source, group in groupby(by_file):
        lines.append(lab_replies.invalid_spec_line(source, len(list(group))))
    return Reply(lab_replies.labs_overview(lines))


@handles(ListJobs)
def list_jobs_command(command: ListJobs, request: Request) -> Reply:
    jobs = list_jobs(request.session, lab=command.lab, limit=RECENT_JOBS)
    lines = [job_replies.job_line(job_id=j.id, kind=j.kind, lab=j.lab, state=j.state, step=step_of(j),
                              requester=j.requester, age=time_phrases.ago(j.created_at, request.now)) for j in jobs]
    return Reply(job_replies.jobs_overview(lines, command.lab))


@handles(ShowJob)
def show_job(command: ShowJob, request: Request) -> Reply:
    job = get_job(request.session, command.job_id)
    events = list(request.session.scalars(select(JobEvent).where(JobEvent.job_id == job.id)
                                          .order_by(JobEvent.id.desc()).limit(RECENT_EVENTS)))
    lines = [job_replies.event_line(at=e.at, actor=e.actor, kind=e.kind, message=e.message) for e in reversed(events)]
    return Reply(job_replies.job_detail(
        job_id=job.id, subject=subject_of(job), requester=job.requester, state=job.state, step=step_of(job),
        progress=job.progress or 0, created=_when(job.created_at, request) or "—", started=_when(job.started_at, request),
        finished=_when(job.finished_at, request), error=job.error, cancel_requested=bool(job.cancel_requested),
        events=lines, **_page(request, job.id)))


def _page(request: Request, job_id: int) -> dict[str, Any]:
    """A fresh link to the job's page (and how long it lasts), when job pages are on."""
    links = request.services.links
    return {} if links is None else {"page": links.link(job_id), "page_ttl": links.ttl_seconds}


def _when(moment: datetime | None, request: Request) -> str | None:
    return f"{time_phrases.stamp(moment)} ({time_phrases.ago(moment, request.now)})" if moment else None

