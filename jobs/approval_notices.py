"""The channel message that asks a second person to approve a destroy or rollback of a shared lab.

Posted once when the requester has confirmed, with an Approve button whose value is the
request's id, then edited in place (its outbox slot) when someone approves it or it expires,
so the button goes away and the channel shows who decided.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.buttons import Button, ButtonAction
from core.mrkdwn import moment, who
from jobs.outbox import Placement, enqueue
from jobs.states import JobKind
from jobs.voice import Message
from store.models import Approval


def slot(approval: Approval) -> str:
    return f"approval:{approval.id}"


def what(approval: Approval) -> str:
    """``rollback of *lab1* to `before-upgrade```, ``destroy of *lab1*``."""
    kind = JobKind.known(approval.action)
    verb = (kind.label if kind else approval.action).lower()
    target = f" to `{approval.params['snapshot']}`" if approval.params.get("snapshot") else ""
    return f"{verb} of *{approval.lab}*{target}"


def approve_button(approval: Approval) -> Button:
    return Button(ButtonAction.APPROVE_REQUEST, f"Approve {approval.action} of {approval.lab}", str(approval.id),
                  style="danger", confirm=f"Approve the {approval.action} of {approval.lab} asked by its requester?")


def _put(session: Session, approval: Approval, message: Message) -> None:
    enqueue(session, channel=approval.channel, text=message.text, placement=Placement.POST, slot=slot(approval),
            body=message.body())


def ask(session: Session, approval: Approval) -> None:
    """Ask the channel for the second person."""
    text = (f"🔏 {who(approval.requester)} asks for a {what(approval)}. *{approval.lab}* is shared, so another "
            f"person with the *{approval.required_role}* role must approve it (request #{approval.id}, until "
            f"{moment(approval.expires_at)}). The requester cannot approve their own.")
    _put(session, approval, Message(text, (approve_button(approval),)))


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]      # str.capitalize() would lower a snapshot's name


def approved(session: Session, approval: Approval, *, job_id: int) -> None:
    text = (f"✅ {_first_up(what(approval))}, asked by {who(approval.requester)}, approved by "
            f"{who(approval.decided_by or '')}: job #{job_id} (request #{approval.id}).")
    _put(session, approval, Message(text))


def expired(session: Session, approval: Approval) -> None:
    text = (f"⌛ {_first_up(what(approval))}, asked by {who(approval.requester)}, expired unapproved "
            f"(request #{approval.id}). Ask again if it is still wanted.")
    _put(session, approval, Message(text))
