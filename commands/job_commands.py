"""Commands that become jobs: check the lab, submit once per Slack delivery, say where to follow.

Nothing here talks to vSphere, Fuel or Slack; the job engine and workflows do the work and the
job's thread tells the story. Destroy only becomes a job after its confirmation button.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from commands import lease_replies, replies
from commands.api import Button, Reply
from commands.catalog import COMMANDS, CancelJob, DestroyLab
from commands.command import JobCommand
from commands.approval_requests import ask_second_person
from commands.dispatch import handles
from commands.lease_guard import check_lease, note_override
from commands.request import Request
from commands.roles import Role
from core.buttons import ButtonAction
from core.errors import CommandError, LabBusy
from jobs.announce import announce, announce_cancelled_before_start
from jobs.queue import active_mutating_job, get_job, request_cancel, submit
from jobs.states import JobKind, JobState
from labspec.model import Lab
from store.models import Job


def find_lab(request: Request, name: str) -> Lab:
    """The lab called ``name``; a CommandError naming the labs, or the broken spec, otherwise."""
    labs, problems = request.services.labs.load()
    if name in labs:
        return labs[name]
    broken = [p for p in problems if Path(p.file).stem == name]
    if broken:
        raise CommandError(replies.invalid_lab_spec(name, broken[0].file, str(broken[0]), len(broken) - 1))
    raise CommandError(replies.no_such_lab(name, sorted(labs)))


def lab_or_all(request: Request, name: str | None) -> str | None:
    """The lab called ``name`` when one is named; None (every lab) otherwise."""
    return find_lab(request, name).name if name else None


def subject_of(job: Job) -> str:
    """``Deploy of *lab1*``: how replies name a job."""
    return replies.job_subject(job.kind, job.lab, fix=bool((job.params or {}).get("fix")))


def submit_job(request: Request, *, kind: JobKind, lab: str | None, params: dict[str, Any] | None = None,
               override: bool = False, activity: str | None = None) -> Reply:
    """Queue a job (or find the one this delivery already made), announce it, and say where to follow it."""
    job = submit_for(request, kind=kind, lab=lab, params=params, override=override, activity=activity)
    return Reply(replies.queued(subject_of(job), job.id))


def submit_for(request: Request, *, kind: JobKind, lab: str | None, params: dict[str, Any] | None = None,
               override: bool = False, activity: str | None = None, requester: str | None = None,
               channel: str | None = None) -> Job:
    """Queue a job for ``requester`` (default: the person asking) in ``channel`` (default: where they asked).

    A job that changes a reserved lab is refused unless ``requester`` holds the lease, or ``override``
    says an admin confirmed it past the lease (a destroy; see ``commands.lease_guard``).
    """
    requester = requester or request.user_id
    overriding = None
    if lab and kind.is_mutating(params):
        overriding = check_lease(request, lab=lab, activity=activity or replies.job_subject(kind, lab),
                                 override=override, requester=requester)
    try:
        submission = submit(request.session, kind=kind, requester=requester, lab=lab,
                            channel=channel or request.channel_id, params=params or {},
                            dedupe_key=request.dedupe_key)
    except LabBusy as busy:
        raise LabBusy(busy_text(request, busy), job_id=busy.job_id) from None
    if submission.created:
        announce(request.session, submission.job)
        if overriding is not None:
            note_override(request, overriding, activity=activity or kind.label, job_id=submission.job.id)
    return submission.job


def busy_text(request: Request, busy: LabBusy) -> str:
    """Who holds the lab, with which job, since when, and where to follow it."""
    holder = request.session.get(Job, busy.job_id)
    if holder is None:                   # it finished between the check and now
        return str(busy)
    started = holder.state == JobState.RUNNING and holder.started_at is not None
    since = replies.ago(holder.started_at if started else holder.created_at, request.now)
    return replies.lab_busy(lab=holder.lab_lock or holder.lab or "", kind=holder.kind, job_id=holder.id,
                            requester=holder.requester, since=since, started=started, channel=holder.channel,
                            viewer=request.user_id)


def queue_job(command: JobCommand, request: Request) -> Reply:
    """Check the lab the command names (if any) and queue its job; the job's thread tells the rest."""
    return submit_job(request, kind=command.job, lab=lab_or_all(request, command.lab), params=command.job_params,
                      activity=command.activity)


for _command in COMMANDS:          # a command whose work is one job needs no handler of its own
    if issubclass(_command, JobCommand):
        handles(_command)(queue_job)


@handles(DestroyLab)
def destroy_lab(command: DestroyLab, request: Request) -> Reply:
    """Typed: ask for confirmation with a danger button. Clicked: queue the destroy."""
    spec = find_lab(request, command.lab)
    lab = spec.name
    if command.confirmed and spec.shared:       # a second admin must approve (commands.approval_commands)
        return ask_second_person(request, lab=lab, action=JobKind.DESTROY, params={"override": True},
                                 required_role=Role.ADMIN)
    if command.confirmed:               # destroy is for admins: its confirmation overrides a lease
        return submit_job(request, kind=JobKind.DESTROY, lab=lab, override=True, activity=command.activity)
    holder = active_mutating_job(request.session, lab)
    if holder is not None:               # say so now rather than after the click
        raise LabBusy(busy_text(request, LabBusy("", job_id=holder.id)), job_id=holder.id)
    lease = check_lease(request, lab=lab, activity=command.activity, override=True)
    button = Button(action_id=ButtonAction.CONFIRM_DESTROY, label=replies.destroy_button(lab), value=lab, style="danger",
                    confirm=replies.destroy_confirm(lab))
    warning = "" if lease is None else " " + lease_replies.destroy_overrides(lease.holder, lease.expires_at)
    return Reply(replies.destroy_prompt(lab) + warning, buttons=(button,))


@handles(CancelJob)
def cancel_job(command: CancelJob, request: Request) -> Reply:
    """Cancel a queued job now, or ask a running one to stop at its next safe point."""
    job = get_job(request.session, command.job_id)
    already = bool(job.cancel_requested)
    job = request_cancel(request.session, command.job_id, actor=request.user_id)
    if job.state == JobState.CANCELLED:
        announce_cancelled_before_start(request.session, job, actor=request.user_id)
        return Reply(replies.cancelled_now(job.id, subject_of(job)))
    return Reply(replies.cancel_requested(job.id, subject_of(job), fuel_deploy=job.kind == JobKind.DEPLOY,
                                          already=already))
