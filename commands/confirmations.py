"""One-time confirmations: a destructive button queues its job once, then only says so.

A confirmation prompt carries a nonce issued here (in the button's value, ``<lab>:<nonce>``),
bound to the person who asked and the lab, valid for ``TTL``. Redeeming it is a compare-and-set
on ``used_at``: a second click, a replayed payload or a click on an old prompt finds it used or
expired and raises ``StaleAction`` (refused and audited by ``commands.handlers.execute``), never
a second job. Issue #12 item 2 and issue #17 item 9 both ask for this.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from core.errors import StaleAction
from core.mrkdwn import who
from store.models import Confirmation

TTL = timedelta(minutes=10)


def issue(session: Session, *, action: str, lab: str, requester: str, now: datetime) -> str:
    """A fresh nonce for a confirmation of ``action`` on ``lab`` asked by ``requester``."""
    nonce = secrets.token_urlsafe(16)
    session.add(Confirmation(nonce=nonce, action=action, lab=lab, requester=requester, created_at=now,
                             expires_at=now + TTL))
    return nonce


def button_value(lab: str, nonce: str) -> str:
    return f"{lab}:{nonce}"


def split_value(value: str) -> tuple[str, str | None]:
    """(lab, nonce) from a button value; the nonce is None on prompts older than nonces."""
    lab, _, nonce = value.partition(":")
    return lab, nonce or None


def redeem(session: Session, *, nonce: str | None, action: str, lab: str, user: str, now: datetime,
           delivery: str | None) -> Confirmation:
    """Use the confirmation once; StaleAction when it was used, expired, or is not one we issued.

    The same Slack ``delivery`` coming again (a retry) finds it used by itself and goes on, so
    it gets the same answer and, through the job's dedupe key, the same job.
    """
    retype = f"Type `/fuel {action} {lab}` again for a new confirmation."
    confirmation = session.get(Confirmation, nonce) if nonce else None
    if confirmation is None or confirmation.action != action or confirmation.lab != lab:
        raise StaleAction(f"That confirmation is not one fuelbot issued. {retype}",
                          audit=f"{action} of {lab}: unknown confirmation refused")
    if confirmation.requester != user:
        raise StaleAction(f"That confirmation belongs to {who(confirmation.requester)}. {retype}",
                          audit=f"{action} of {lab}: confirmation of {confirmation.requester} clicked by {user}")
    if confirmation.used_at is not None and delivery is not None and confirmation.used_delivery == delivery:
        return confirmation
    if confirmation.used_at is not None:
        done = f" (job *#{confirmation.job_id}*)" if confirmation.job_id else ""
        raise StaleAction(f"This confirmation was already used{done}; nothing more was done.",
                          audit=f"{action} of {lab}: confirmation clicked again")
    if confirmation.expires_at <= now:
        raise StaleAction(f"This confirmation expired after {int(TTL.total_seconds() // 60)} minutes. {retype}",
                          audit=f"{action} of {lab}: expired confirmation refused")
    won = cast(CursorResult[Any], session.execute(
        update(Confirmation).where(Confirmation.nonce == nonce, Confirmation.used_at.is_(None))
        .values(used_at=now, used_by=user, used_delivery=delivery).execution_options(synchronize_session=False)))
    if won.rowcount != 1:          # a concurrent click got there first
        raise StaleAction("This confirmation was already used; nothing more was done.",
                          audit=f"{action} of {lab}: confirmation clicked twice at once")
    session.refresh(confirmation)
    return confirmation
