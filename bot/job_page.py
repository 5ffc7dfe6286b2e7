"""``GET /jobs/<id>``: the whole story of one job as a server-rendered page, behind a signed link.

Everything Slack only summarises is here: every event with its time and actor, the step
timeline with durations, the full error, the Fuel diagnosis with its log excerpts (events
whose data carries ``detail``/``excerpts``), and the thread's messages in full. The page needs
no JavaScript (its Content-Security-Policy forbids any), every text passes ``scrub`` (and
``core.mrkdwn.to_plain``: mentions read ``@U…``) on its way out, and a missing, forged or expired signature gets a 403 page saying what to do instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.job_links import JobLinks, LinkRefused
from core.mrkdwn import to_plain
from core.redact import scrub
from jobs.states import JobKind, JobState
from store.models import Job, JobEvent, OutboxMessage

PATH = re.compile(r"^/jobs/(?P<id>[^/]+)/?$")
_STEP = re.compile(r"^step (?P<name>\S+) started")
_HEADERS = [("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"), ("X-Robots-Tag", "noindex, nofollow"),
            ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")]
_REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class StepSpan:
    """One step of the timeline."""

    name: str
    started: datetime
    seconds: float | None          # None while it runs
    outcome: str                   # done | failed | running | cancelled


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(default=True),
                      finalize=lambda value: scrub(to_plain(value)) if isinstance(value, str) else value)
    env.filters["when"] = lambda moment: "—" if moment is None else _utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")
    env.filters["duration"] = _duration
    return env


class JobPages:
    """The WSGI handler of ``/jobs/<id>``."""

    def __init__(self, *, session_factory: Callable[[], Session], links: JobLinks | None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._sessions = session_factory
        self._links = links
        self._clock = clock
        self._env = _templates()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, html = self.render(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""),
                                   environ.get("QUERY_STRING", ""))
        body = html.encode()
        start_response(f"{status} {_REASONS[status]}", [("Content-Type", "text/html; charset=utf-8"),
                                                        ("Content-Length", str(len(body))), *_HEADERS])
        return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

    def render(self, method: str, path: str, query: str) -> tuple[int, str]:
        """(status, HTML) for one request."""
        if method not in ("GET", "HEAD"):
            return 405, self._refusal(405, "Job pages are read-only", "Open the link from the job's thread.")
        found = PATH.match(path)
        if found is None or not found["id"].isdigit():
            return 404, self._refusal(404, "No such page", "Job pages are /jobs/<number>; open the link from the "
                                      "job's thread in Slack.")
        job_id = int(found["id"])
        if self._links is None:
            return 404, self._refusal(404, "Job pages are switched off",
                                      "An admin sets FUELBOT_JOB_LINK_KEY (and FUELBOT_PUBLIC_URL) to turn them on.")
        try:
            self._links.check(job_id, query, now=self._clock().timestamp())
        except LinkRefused as refused:
            return 403, self._refusal(403, str(refused), f"Type `/fuel job {job_id}` in Slack for the job and a "
                                      "fresh link to this page." if refused.expired else
                                      "Open the link exactly as fuelbot posted it in the job's thread.")
        with self._sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                return 404, self._refusal(404, f"There is no job #{job_id}", "It may have been deleted; "
                                          "`/fuel jobs` lists the latest ones.")
            return 200, self._env.get_template("job.html").render(**self._story(session, job))

    def _refusal(self, status: int, title: str, hint: str) -> str:
        return self._env.get_template("refusal.html").render(status=status, title=title, hint=hint)

    def _story(self, session: Session, job: Job) -> dict[str, Any]:
        events = list(session.scalars(select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id)))
        thread = list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.job_id == job.id, OutboxMessage.placement.in_(("parent", "reply")))
            .order_by(OutboxMessage.id)))
        latest: dict[str, OutboxMessage] = {}
        for message in thread:       # messages of one slot are one Slack message edited in place
            latest[message.slot or f"#{message.id}"] = message
        kind = next((k for k in JobKind if k.value == job.kind), None)
        heading = kind.heading if kind is not None else job.kind
        return {"job": job, "heading": heading, "events": events, "steps": _timeline(job, events),
                "diagnoses": [e.data for e in events if isinstance(e.data, dict)
                              and ("detail" in e.data or "excerpts" in e.data)],
                "thread": list(latest.values()), "took": _took(job, self._clock())}


def _timeline(job: Job, events: list[JobEvent]) -> list[StepSpan]:
    starts = [(name, e.at) for e in events if e.kind == "step" and (name := _step_name(e)) is not None]
    end = job.finished_at
    spans = []
    for index, (name, started) in enumerate(starts):
        last = index == len(starts) - 1
        until = starts[index + 1][1] if not last else end
        outcome = "done"
        if last:
            outcome = {JobState.FAILED.value: "failed", JobState.CANCELLED.value: "cancelled"}.get(
                job.state, "done" if end is not None else "running")
        spans.append(StepSpan(name=name, started=started, outcome=outcome,
                              seconds=None if until is None else (_utc(until) - _utc(started)).total_seconds()))
    return spans


def _step_name(event: JobEvent) -> str | None:
    """A step event's step, as people read it: its title (older events only name the step)."""
    if isinstance(event.data, dict) and event.data.get("step"):
        return str(event.data.get("title") or event.data["step"])
    found = _STEP.match(event.message)
    return found["name"] if found else None


def _took(job: Job, now: datetime) -> float | None:
    if job.started_at is None:
        return None
    return ((_utc(job.finished_at) if job.finished_at else now) - _utc(job.started_at)).total_seconds()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"
