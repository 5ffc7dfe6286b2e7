"""Where a job tells its story, when it was asked for somewhere fuelbot cannot post.

Typed in a channel: the job posts there (in a private channel fuelbot was not invited to, the
outbox finds out from Slack, dead-letters the thread and tells the person how to fix it). Typed in
a DM or a group DM, where fuelbot can read the command but never post: a lab's job goes to the
lab's own channel (a ``C…`` id from its spec), anything else to the person's DM with fuelbot,
which the Slack edge opens (``jobs.outbox.dm_with``). The ack says where to look. A look-up
(status, nodes, plan, one lab's digest) opens no thread at all: its answer goes to the person.
"""
from __future__ import annotations

import re

from core.mrkdwn import channel_ref
from jobs.outbox import DM_PREFIX, dm_with

_CHANNEL_ID = re.compile(r"[CG][A-Z0-9_]+")


def job_channel(*, typed_in: str, direct: bool, user_id: str, lab_channel: str | None) -> str:
    """The conversation a job asked for in ``typed_in`` posts its parent and thread in."""
    if not direct:
        return typed_in
    if lab_channel and _CHANNEL_ID.fullmatch(lab_channel):
        return lab_channel
    return dm_with(user_id)


def answer_channel(*, typed_in: str, direct: bool, user_id: str) -> str:
    """Where a look-up answers the person who asked: ephemeral where they typed, or in their DM
    with fuelbot when they typed in a DM or group DM (where fuelbot can show nothing)."""
    return dm_with(user_id) if direct else typed_in


def queued_elsewhere(subject: str, job_id: int, channel: str) -> str:
    """The ack of a job whose thread is not where it was asked for: where to follow it."""
    where = ("your DM with fuelbot (Apps → fuelbot)" if channel.startswith(DM_PREFIX)
             else channel_ref(channel))
    return f"{subject} queued as job *#{job_id}*. fuelbot cannot post here, so follow it in {where}."
