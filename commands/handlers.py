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

# The handler modules register their functions in commands.dispatch.HANDLERS when imported.
from commands import audit_commands, info_commands, job_commands, schedule_commands  # noqa: F401
from commands import approval_commands, lease_commands, snapshot_commands  # noqa: F401
from commands.api import ActionInvocation, CommandServices, Invocation, Reply
from commands.authz import Policy
from commands.catalog import ShowHelp
from commands.clicks import parse_click
from commands.command import Command
from commands.dispatch import HANDLERS
from commands.parser import parse
from commands.request import Request
from core.errors import CommandError, JobError, PermissionDenied, StaleAction
from jobs.queue import record_event
from store.types import utcnow


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
    try:
        command = parse_click(action.action_id, action.value)
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
            elif isinstance(error, PermissionDenied):     # a handler's refusal is audited as authz's are
                record_event(session, None, actor=user_id, kind="denied",
                             message=f"{command.canonical} (in {channel_id}): {error.audit}")
            session.commit()
            return refusal(error)
        session.commit()
        return reply


def policy_of(services: CommandServices) -> Policy:
    """The services' policy, with ``services.admins`` always admin too."""
    if services.admins <= services.policy.admins:
        return services.policy
    return replace(services.policy, admins=services.policy.admins | services.admins)


def refusal(error: Exception) -> Reply:
    """A mistake or a refusal, shown only to the person who caused it."""
    return Reply(str(error), ephemeral=True, ok=False)

