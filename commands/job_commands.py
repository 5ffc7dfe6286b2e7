"""Commands that become jobs: check the lab, submit once per Slack delivery, say where to follow.

Nothing here talks to vSphere, Fuel or Slack; the job engine and workflows do the work and the
job's thread tells the story. Destroy only becomes a job after its confirmation button.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from commands import confirmations, job_replies, lab_replies, lease_replies, routing, time_phrases
from commands.api import Button, Reply
from commands.catalog import COMMANDS, CancelJob, DestroyLab
from commands.command import JobCommand
from commands.approval_requests import ask_second_person
from commands.dispatch import handles
from commands.lease_guard import check_lease, note_override
from commands.master_guard import require_managed_master
from commands.request import Request
from commands.roles import Role
from core.buttons import ButtonAction
from core.errors import CommandError, LabBusy
from jobs.announce import announce, announce_cancelled_before_start
from jobs.fairness import crowding, identical_queued
from jobs.outbox import DM_PREFIX
from jobs.queue import JobLine, active_mutating_job, get_job, request_cancel, submit
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
        first = replace(broken[0], file=Path(broken[0].file).name)    # never the server's path
        raise CommandError(lab_replies.invalid_lab_spec(name, first.file, str(first), len(broken) - 1))
    raise CommandError(lab_replies.no_such_lab(name, sorted(labs)))


def lab_or_all(request: Request, name: str | None) -> str | None:
    """The lab called ``name`` when one is named; None (every lab) otherwise."""
    return find_lab(request, name).name if name else None


def subject_of(job: Job) -> str:
    """``Deploy of *lab1*``: how replies name a job."""
    return job_replies.job_subject(job.kind, job.lab, fix=bool((job.params or {}).get("fix")))


def step_of(job: Job | JobLine) -> str | None:
    """The step a job is (or stopped) in, as people read it: its title, never its internal name."""
    if job.step_title:
        return job.step_title
    return job.step.replace("_", " ").capitalize() if job.step else None


def submit_job(request: Request, *, kind: JobKind, lab: str | None, params: dict[str, Any] | None = None,
               override: bool = False, activity: str | None = None) -> Reply:
    """Queue a job (or find the one this delivery already made), announce it, and say where to follow it.

    A read-only request that is already waiting is joined rather than queued twice, and a person
    past a fair share (``jobs.fairness``) is told what waits and how to make room.
    """
    params = params or {}
    retried = request.dedupe_key is not None and request.session.scalar(
        select(Job.id).where(Job.dedupe_key == request.dedupe_key)) is not None
    if not retried:                     # a Slack retry of a queued request finds its job below
        joined = _join_or_refuse(request, kind=kind, lab=lab, params=params)
        if joined is not None:
            return joined
    job = submit_for(request, kind=kind, lab=lab, params=params, override=override, activity=activity)
    return _queued_reply(request, job)


def submit_for(request: Request, *, kind: JobKind, lab: str | None, params: dict[str, Any] | None = None,
               override: bool = False, activity: str | None = None, requester: str | None = None,
               channel: str | None = None) -> Job:
    """Queue a job for ``requester`` (default: the person asking) in ``channel`` (default: where its
    thread belongs: where they asked, or the lab's channel for a request typed in a DM).

    A job that changes a reserved lab is refused unless ``requester`` holds the lease, or ``override``
    says an admin confirmed it past the lease (a destroy; see ``commands.lease_guard``).
    """
    requester = requester or request.user_id
    overriding = None
    if lab and kind.is_mutating(params):
        overriding = check_lease(request, lab=lab, activity=activity or job_replies.job_subject(kind, lab),
                                 override=override, requester=requester)
    if channel is None:
        lab_channel = find_lab(request, lab).channel if lab and request.direct else None
        channel = routing.job_channel(typed_in=request.channel_id, direct=request.direct, user_id=request.user_id,
                                      lab_channel=lab_channel)
    try:
        submission = submit(request.session, kind=kind, requester=requester, lab=lab, channel=channel,
                            params=params or {}, dedupe_key=request.dedupe_key)
    except LabBusy as busy:
        raise LabBusy(busy_text(request, busy), job_id=busy.job_id) from None
    if submission.created:
        announce(request.session, submission.job, links=request.services.links)
        if overriding is not None:
            note_override(request, overriding, activity=activity or kind.label, job_id=submission.job.id)
    return submission.job


def _queued_reply(request: Request, job: Job) -> Reply:
    if job.channel and job.channel != request.channel_id:
        return Reply(routing.queued_elsewhere(subject_of(job), job.id, job.channel))
    return Reply(job_replies.queued(subject_of(job), job.id))


def _join_or_refuse(request: Request, *, kind: JobKind, lab: str | None, params: dict[str, Any]) -> Reply | None:
    """The answer for an identical read-only job already waiting; a CommandError past a fair share."""
    if not kind.is_mutating(params):
        twin = identical_queued(request.session, kind=kind, lab=lab, params=params)
        if twin is not None:
            return Reply(job_replies.already_queued(subject_of(twin), twin.id, requester=twin.requester,
                                                channel=twin.channel, viewer=request.user_id))
    crowded = crowding(request.session, request.services.fair_share, kind=kind, lab=lab, requester=request.user_id,
                       channel=request.channel_id, params=params)
    if crowded is not None:
        raise CommandError(job_replies.crowded(crowded.limit, count=crowded.count, waiting=crowded.waiting, lab=lab,
                                           channel=request.channel_id))
    return None


def busy_text(request: Request, busy: LabBusy) -> str:
    """Who holds the lab, with which job, since when, and where to follow it."""
    holder = request.session.get(Job, busy.job_id)
    if holder is None:                   # it finished between the check and now
        return str(busy)
    started = holder.state == JobState.RUNNING and holder.started_at is not None
    since = time_phrases.ago(holder.started_at if started else holder.created_at, request.now)
    return job_replies.lab_busy(lab=holder.lab_lock or holder.lab or "", kind=holder.kind, job_id=holder.id,
                            requester=holder.requester, since=since, started=started, channel=holder.channel,
                            viewer=request.user_id)


def queue_job(command: JobCommand, request: Request) -> Reply:
    """Check the lab the command names (if any) and queue its job; the job's thread tells the rest,
    or, for a look-up, one answer to the person who asked."""
    lab = lab_or_all(request, command.lab)
    if command.needs_managed_master and lab is not None:
        require_managed_master(request, lab, command=command.name)
    if command.answers_in_place:
        return _look_up(request, kind=command.job, lab=lab, params=command.job_params)
    return submit_job(request, kind=command.job, lab=lab, params=command.job_params, activity=command.activity)


def _look_up(request: Request, *, kind: JobKind, lab: str | None, params: dict[str, Any]) -> Reply:
    """Queue a look-up whose answer goes to the person where they asked: no public parent, no thread.

    It answers only its requester, so it never joins another person's identical request; the fair
    shares still apply.
    """
    crowded = crowding(request.session, request.services.fair_share, kind=kind, lab=lab, requester=request.user_id,
                       channel=request.channel_id, params=params)
    if crowded is not None:
        raise CommandError(job_replies.crowded(crowded.limit, count=crowded.count, waiting=crowded.waiting, lab=lab,
                                           channel=request.channel_id))
    channel = routing.answer_channel(typed_in=request.channel_id, direct=request.direct, user_id=request.user_id)
    submission = submit(request.session, kind=kind, requester=request.user_id, lab=lab, channel=channel,
                        params=params, dedupe_key=request.dedupe_key)
    job = submission.job
    if submission.created:
        job.context = {**(job.context or {}), "in_place": True}
    return Reply(job_replies.looking(subject_of(job), job.id, in_dm=channel.startswith(DM_PREFIX)))


for _command in COMMANDS:          # a command whose work is one job needs no handler of its own
    if issubclass(_command, JobCommand):
        handles(_command)(queue_job)


@handles(DestroyLab)
def destroy_lab(command: DestroyLab, request: Request) -> Reply:
    """Typed: ask for confirmation with a danger button. Clicked: queue the destroy."""
    spec = find_lab(request, command.lab)
    lab = spec.name
    if command.confirmed:
        confirmation = confirmations.redeem(request.session, nonce=command.nonce, action="destroy", lab=lab,
                                            user=request.user_id, now=request.now, delivery=request.dedupe_key)
        if spec.shared:                 # a second admin must approve (commands.approval_commands)
            return ask_second_person(request, lab=lab, action=JobKind.DESTROY, params={"override": True},
                                     required_role=Role.ADMIN)
        # destroy is for admins: its confirmation overrides a lease
        job = submit_for(request, kind=JobKind.DESTROY, lab=lab, override=True, activity=command.activity)
        confirmation.job_id = job.id
        return _queued_reply(request, job)
    holder = active_mutating_job(request.session, lab)
    if holder is not None:               # say so now rather than after the click
        raise LabBusy(busy_text(request, LabBusy("", job_id=holder.id)), job_id=holder.id)
    lease = check_lease(request, lab=lab, activity=command.activity, override=True)
    nonce = confirmations.issue(request.session, action="destroy", lab=lab, requester=request.user_id,
                                now=request.now)
    button = Button(action_id=ButtonAction.CONFIRM_DESTROY, label=job_replies.destroy_button(lab),
                    value=confirmations.button_value(lab, nonce), style="danger",
                    confirm=job_replies.destroy_confirm(lab))
    warning = "" if lease is None else " " + lease_replies.destroy_overrides(lease.holder, lease.expires_at)
    return Reply(job_replies.destroy_prompt(lab) + warning, buttons=(button,))


@handles(CancelJob)
def cancel_job(command: CancelJob, request: Request) -> Reply:
    """Cancel a queued job now, or ask a running one to stop at its next safe point."""
    job = get_job(request.session, command.job_id)
    already = bool(job.cancel_requested)
    job = request_cancel(request.session, command.job_id, actor=request.user_id)
    if job.state == JobState.CANCELLED:
        announce_cancelled_before_start(request.session, job, actor=request.user_id)
        return Reply(job_replies.cancelled_now(job.id, subject_of(job)))
    return Reply(job_replies.cancel_requested(job.id, subject_of(job), fuel_deploy=job.kind == JobKind.DEPLOY,
                                          already=already))
