"""When Slack will never take a message where it was meant to go: what to tell the person who asked.

Slack answers ``channel_not_found`` for a conversation fuelbot cannot see (a private channel, DM
or group DM it is not in), ``not_in_channel`` for a public channel it has not joined (without
``chat:write.public``) and ``is_archived`` for an archived one. Retrying cannot help, so the outbox
dead-letters the message (and the rest of its job's thread there) at once, and the requester gets
one DM saying why and what to do; the job itself goes on. Other errors no retry cures (the token
revoked, a message too long even shortened, …) give up one message, and are told the same way.
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
    "msg_too_long": "it was too long for Slack, even shortened.",
    "msg_blocks_too_long": "it was too long for Slack, even shortened.",
    "message_not_found": "its message was deleted in Slack, so it could not be updated.",
    "cant_update_message": "its message can no longer be edited.",
    "edit_window_closed": "Slack no longer lets fuelbot edit that message.",
    "invalid_auth": "fuelbot's Slack token is not valid any more; an admin must reinstall the app "
                    "and set SLACK_BOT_TOKEN.",
    "token_revoked": "fuelbot's Slack token was revoked; an admin must reinstall the app and set SLACK_BOT_TOKEN.",
    "account_inactive": "fuelbot's Slack app was deactivated; an admin must reinstall it.",
    "missing_scope": "fuelbot's Slack app lacks a scope it needs (sharing files needs `files:write`); an admin "
                     "must update the app from slack-manifest.yml and reinstall it.",
    "file_upload_size_restricted": "the file is larger than Slack takes.",
    "file_gone": "its file was deleted from fuelbot's host before it could be shared.",
    "file_changed": "its file changed on fuelbot's host after it was queued, so it was not shared.",
    "file_outside_data_dir": "its file is not under fuelbot's data dir (FUELBOT_SNAPSHOT_DIR), the only files "
                             "fuelbot shares.",
}


def notice(*, error: str, channel: str, job_id: int | None, title: str | None, thread: bool = True) -> str:
    """The DM telling the requester why their job's messages could not be posted, and the fix."""
    if job_id is not None:
        what = f"the thread of job *#{job_id}* ({title})" if thread else f"a message of job *#{job_id}* ({title})"
    else:
        what = "a message"
    where = channel_ref(channel)
    follow = f" The job itself goes on: `/fuel job {job_id}` shows where it is." if job_id is not None else ""
    why = _WHY.get(error, f"Slack refused it (`{error}`).")
    return f"⚠️ fuelbot could not post {what} in {where}: {why}{follow}"
