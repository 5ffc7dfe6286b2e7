"""When Slack will never take a message where it was meant to go: what to tell the person who asked.

Slack answers ``channel_not_found`` for a conversation fuelbot cannot see (a private channel, DM
or group DM it is not in), ``not_in_channel`` for a public channel it has not joined (without
``chat:write.public``) and ``is_archived`` for an archived one. Retrying cannot help, so the outbox
dead-letters the message (and the rest of its job's thread there) at once, and the requester gets
one DM saying why and what to do; the job itself goes on.
"""
from __future__ import annotations

from core.mrkdwn import channel_ref

CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})

_WHY = {
    "channel_not_found": "fuelbot cannot see that conversation (a private channel, DM or group DM it is not in). "
                         "Invite fuelbot there with `/invite @fuelbot`, or run the command in the lab's channel.",
    "not_in_channel": "fuelbot is not a member of that channel. Invite it with `/invite @fuelbot`, "
                      "or run the command in the lab's channel.",
    "is_archived": "that channel is archived. Unarchive it, or run the command in another channel "
                   "(and point the lab's `channel` in its spec at a live one).",
}


def notice(*, error: str, channel: str, job_id: int | None, title: str | None) -> str:
    """The DM telling the requester why their job's messages could not be posted, and the fix."""
    what = f"the thread of job *#{job_id}* ({title})" if job_id is not None else "a message"
    where = channel_ref(channel)
    follow = f" The job itself goes on: `/fuel job {job_id}` shows where it is." if job_id is not None else ""
    return f"⚠️ fuelbot could not post {what} in {where}: {_WHY.get(error, error)}{follow}"
