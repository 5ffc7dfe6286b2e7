"""What replies say about jobs: queued, already queued, busy, crowded, listed, detailed, cancelled, and
the destroy confirmation."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from commands.time_phrases import lasting
from core.mrkdwn import channel_ref, link, who
from jobs.states import JobKind, JobState


def job_subject(kind: str, lab: str | None, *, fix: bool = False) -> str:
    known = JobKind.known(kind)
    title = (known.label if known else kind.capitalize()) + (" with --fix" if fix else "")
    return f"{title} of *{lab}*" if lab else f"{title} of all labs"


def queued(subject: str, job_id: int) -> str:
    return f"{subject} queued as job *#{job_id}*. Follow it in the thread below."


def already_queued(subject: str, job_id: int, *, requester: str, channel: str | None, viewer: str) -> str:
    where = f" in {channel_ref(channel)}" if channel else ""
    return (f"{subject} is already queued as job *#{job_id}* (asked by {who(requester, viewer=viewer)}): "
            f"its answer will be yours too — follow its thread{where}.")


def crowded(limit: str, *, count: int, waiting: Sequence[int], lab: str | None, channel: str) -> str:
    jobs = ", ".join(f"#{job_id}" for job_id in waiting)
    if limit == "user":
        return (f"You already have {count} read-only job(s) waiting ({jobs}); let them run, or cancel one with "
                "`/fuel cancel <id>`, then ask again.")
    if limit == "lab":
        return (f"*{lab}* already has {count} read-only job(s) waiting ({jobs}); ask again once they have run "
                f"(`/fuel jobs {lab}` shows them).")
    return (f"{count} message(s) of your jobs are still waiting to be posted in {channel_ref(channel)}; "
            "ask again in a minute, once Slack has caught up.")


def looking(subject: str, job_id: int, *, in_dm: bool) -> str:
    where = "in your DM with fuelbot (Apps → fuelbot)" if in_dm else "here, only for you"
    return f"⏳ {subject} (job *#{job_id}*): the answer comes {where}, in a few seconds."


def lab_busy(*, lab: str, kind: str, job_id: int, requester: str, since: str, started: bool,
             channel: str | None, viewer: str) -> str:
    known = JobKind.known(kind)
    doing = (known.busy if known else None) or f"held by a {kind} job"
    when = f"started {since}" if started else f"queued {since}"
    where = f" in {channel_ref(channel)}" if channel else ""
    return (f"{lab} is already {doing} by {who(requester, viewer=viewer)} (job #{job_id}, {when}) "
            f"— follow its thread{where}.")


def job_line(*, job_id: int, kind: str, lab: str | None, state: JobState, step: str | None, requester: str,
             age: str) -> str:
    """``step`` is the step's title (``Deployment``), never its internal name."""
    where = f" *{lab}*" if lab else ""
    at = f" at *{step}*" if step and state in (JobState.RUNNING, JobState.FAILED, JobState.CANCELLED) else ""
    return f"#{job_id} {kind}{where} · {state}{at} · {who(requester)} · {age}"


def jobs_overview(lines: Sequence[str], lab: str | None) -> str:
    if not lines:
        return f"No jobs for *{lab}* yet." if lab else "No jobs yet. `/fuel help` shows what to run."
    head = f"Recent jobs of *{lab}*:" if lab else "Recent jobs:"
    return "\n".join([head, *lines])


def job_detail(*, job_id: int, subject: str, requester: str, state: str, step: str | None, progress: int,
               created: str, started: str | None, finished: str | None, error: str | None, cancel_requested: bool,
               events: Sequence[str], page: str | None = None, page_ttl: float = 0.0) -> str:
    lines = [f"*Job #{job_id}* — {subject} by {who(requester)} · *{state}*"
             + (f" · step *{step}*" if step else "") + f" · {progress}%"
             + (" · cancel requested" if cancel_requested else ""),
             " · ".join(f"{label} {moment}" for label, moment in
                        (("Queued", created), ("started", started), ("finished", finished)) if moment)]
    if error:
        lines.append(f"Error: {error[:500]}")
    if events:
        lines.append("Recent events:")
        lines.extend(f"• {event}" for event in events)
    if page:
        label = f"job #{job_id}'s page"
        lines.append(f"📄 Everything, in full: {link(page, label)} (a fresh link, valid {lasting(page_ttl)})")
    return "\n".join(lines)


def event_line(*, at: datetime, actor: str, kind: str, message: str) -> str:
    return f"{at:%H:%M:%S} {kind} — {message[:200]} ({who(actor)})"


def cancelled_now(job_id: int, subject: str) -> str:
    return f"Job *#{job_id}* ({subject}) was cancelled before it started."


def cancel_requested(job_id: int, subject: str, *, fuel_deploy: bool, already: bool) -> str:
    text = (f"Cancel of job *#{job_id}* ({subject}) was already requested; "
            if already else f"Cancelling job *#{job_id}* ({subject}): ")
    text += "it stops at its next safe point."
    if fuel_deploy:
        text += " If Fuel is deploying by then, fuelbot calls Fuel's stop_deployment."
    return text


def destroy_prompt(lab: str) -> str:
    return f"Destroying *{lab}* deletes its Fuel environment and its VMs. Confirm with the button."


def destroy_button(lab: str) -> str:
    return f"Destroy {lab}"


def destroy_confirm(lab: str) -> str:
    return f"Delete environment and VMs of {lab}? This cannot be undone."
