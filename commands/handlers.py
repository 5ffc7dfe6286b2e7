"""The command layer's entry points: text or a button click in, a Reply out, fast.

    handle(invocation, services)        ``/fuel <text>``
    handle_action(action, services)     a click on a button fuelbot posted

Each call parses, authorizes (denials are audited), and runs one handler in one database
session that it commits; the handler only validates, touches the database and queues jobs.
Every CommandError and JobError becomes ``Reply(text, ephemeral=True, ok=False)``; anything
else is a bug and reaches the edge. Buttons carry no authority: anyone in the channel can
click one, so each click is authorized again as if its command had been typed.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from commands import info_commands, job_commands, replies, schedule_commands
from commands.api import ActionInvocation, CommandServices, Invocation, Reply
from commands.authz import Policy
from commands.confirmations import split_value
from commands.catalog import (CancelJob, Command, DeployLab, DestroyLab, ListJobs, ListLabs, ListNodes,
                              ListSchedules, PlanDeploy, ResetLab, RunHealth, RunPreflight, ScheduleDigest,
                              ScheduleHealth, ShowDigest, ShowHelp, ShowJob, ShowStatus, Unschedule)
from commands.parser import job_id, lab_name, parse
from commands.request import Request
from core.buttons import ButtonAction
from core.errors import CommandError, JobError, PermissionDenied, StaleAction
from jobs.queue import record_event
from store.types import utcnow

Handler = Callable[[Command, Request], Reply]

HANDLERS: dict[type[Command], Handler] = {
    ListLabs: info_commands.list_labs,
    ListJobs: info_commands.list_jobs_command,
    ShowJob: info_commands.show_job,
    PlanDeploy: job_commands.plan_deploy,
    RunPreflight: job_commands.run_preflight,
    DeployLab: job_commands.deploy_lab,
    ShowStatus: job_commands.show_status,
    ListNodes: job_commands.list_nodes,
    RunHealth: job_commands.run_health,
    ShowDigest: job_commands.show_digest,
    ResetLab: job_commands.reset_lab,
    DestroyLab: job_commands.destroy_lab,
    CancelJob: job_commands.cancel_job,
    ScheduleDigest: schedule_commands.schedule_digest,
    ScheduleHealth: schedule_commands.schedule_health,
    ListSchedules: schedule_commands.show_schedules,
    Unschedule: schedule_commands.unschedule,
}

# A button's value → the command its click stands for (validated like typed words).
ACTIONS: dict[ButtonAction, Callable[[str], Command]] = {
    ButtonAction.CANCEL_JOB: lambda value: CancelJob(job_id(value)),
    ButtonAction.RERUN_HEALTH: lambda value: RunHealth(lab_name(value)),
    ButtonAction.CONFIRM_DESTROY: lambda value: DestroyLab(lab_name(split_value(value)[0]), confirmed=True,
                                                           nonce=split_value(value)[1]),
}


def handle(invocation: Invocation, services: CommandServices) -> Reply:
    """Answer ``/fuel <text>``; never raises for anything a person can type."""
    try:
        command = parse(invocation.text)
    except CommandError as error:
        return refusal(error)
    return execute(command, user_id=invocation.user_id, channel_id=invocation.channel_id,
                   delivery_id=invocation.delivery_id, groups=invocation.user_groups, services=services,
                   direct=invocation.direct)


def handle_action(action: ActionInvocation, services: CommandServices) -> Reply:
    """Answer a button click by re-running its command under the clicker's own role."""
    factory = ACTIONS.get(ButtonAction(action.action_id)) if action.action_id in set(ButtonAction) else None
    if factory is None:
        return refusal(CommandError(replies.unknown_action(action.action_id)))
    try:
        command = factory(action.value)
    except CommandError as error:
        return refusal(error)
    return execute(command, user_id=action.user_id, channel_id=action.channel_id, delivery_id=action.delivery_id,
                   groups=action.user_groups, services=services, direct=action.direct)


def execute(command: Command, *, user_id: str, channel_id: str, delivery_id: str | None,
            groups: frozenset[str], services: CommandServices, direct: bool = False) -> Reply:
    """Authorize ``command`` for the person and run its handler in one committed unit of work."""
    policy = policy_of(services)
    if isinstance(command, ShowHelp):
        # Help must answer even when the database does not: it is where people go when lost.
        role = policy.role_for(user_id, channel_id, groups)
        return Reply(info_commands.help_text(role, command.topic))
    with services.session_factory() as session:
        try:
            role = policy.authorize(command, user_id=user_id, channel_id=channel_id, groups=groups)
        except PermissionDenied as denial:
            record_event(session, None, actor=user_id, kind="denied",
                         message=f"{command.canonical} (in {channel_id}): {denial}")
            session.commit()
            return refusal(denial)
        request = Request(user_id=user_id, channel_id=channel_id, delivery_id=delivery_id, role=role,
                          session=session, services=services, now=utcnow(), direct=direct)
        try:
            reply = HANDLERS[type(command)](command, request)
        except (CommandError, JobError) as error:
            session.rollback()
            if isinstance(error, StaleAction):    # a replayed, expired or forged click leaves a trace
                record_event(session, None, actor=user_id, kind="stale-click",
                             message=f"{error.audit} (in {channel_id})")
                session.commit()
            return refusal(error)
        session.commit()
        return reply


def policy_of(services: CommandServices) -> Policy:
    """The services' policy, with ``services.admins`` always admin too."""
    policy = services.policy if isinstance(services.policy, Policy) else Policy.load(None, services.admins)
    if services.admins - policy.admins:
        policy = replace(policy, admins=policy.admins | services.admins)
    return policy


def refusal(error: Exception) -> Reply:
    """A mistake or a refusal, shown only to the person who caused it."""
    return Reply(str(error), ephemeral=True, ok=False)

