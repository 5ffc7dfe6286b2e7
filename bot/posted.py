"""Finding a post that may already be in Slack, so that it is never posted twice.

Every post fuelbot makes carries message metadata (docs.slack.dev/messaging/message-metadata):
``event_type`` ``fuelbot_outbox`` and an ``event_payload`` naming its outbox slot, or its outbox
id when it has none. When a post's answer never came (a timeout, a 5xx, ``internal_error``), the
next attempt first reads the conversation back (conversations.history for a channel message,
conversations.replies for a thread reply, ``include_all_metadata``) from a little before the
message was queued, and adopts the ts it finds. Reading needs the ``*:history`` scope of the
conversation and the bot's membership; where Slack will not let fuelbot read (a public channel it
was never invited to), the message is posted again: a rare duplicate beats a lost message. While
Slack is still unavailable the read fails like any call, and the message keeps waiting, in doubt.

A file share carries no metadata (files.completeUploadExternal takes none): an upload in doubt is
found by the file's name among the files of fuelbot's messages in the job's thread (``file_name``);
a job shares a name once.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

EVENT_TYPE = "fuelbot_outbox"
MAX_PAGES = 5                 # 5 × 200 messages back at most: a post in doubt is recent
PAGE_SIZE = 200
MARGIN_SECONDS = 120.0        # clocks differ: look a little before the message was queued


def metadata(*, outbox_id: int, slot: str | None) -> dict[str, Any]:
    """What a post carries so that it can be found again."""
    return {"event_type": EVENT_TYPE, "event_payload": {"slot": slot} if slot else {"outbox_id": outbox_id}}


def find(client: WebClient, *, channel: str, thread_ts: str | None, outbox_id: int, slot: str | None,
         since: datetime, file_name: str | None = None) -> str | None:
    """The ts of fuelbot's post of this slot (or outbox message, or file share) in ``channel``, if Slack has it."""
    wanted = metadata(outbox_id=outbox_id, slot=slot)["event_payload"]
    oldest = f"{since.timestamp() - MARGIN_SECONDS:.6f}"
    cursor = None
    try:
        for _ in range(MAX_PAGES):
            if thread_ts is None:
                page = client.conversations_history(channel=channel, oldest=oldest, limit=PAGE_SIZE,
                                                    include_all_metadata=True, cursor=cursor)
            else:
                page = client.conversations_replies(channel=channel, ts=thread_ts, oldest=oldest, limit=PAGE_SIZE,
                                                    include_all_metadata=True, cursor=cursor)
            for message in page.get("messages") or []:
                if _shares(message, file_name) if file_name else _carries(message, wanted):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return None
    except SlackApiError as exc:
        if exc.response.status_code >= 500 or exc.response.status_code == 429:
            raise                        # Slack is still unwell: the caller waits, the doubt stays
        log.warning("could not read %s back to find a post in doubt (%s); posting it again", channel,
                    exc.response.get("error"))
    return None


def _shares(message: Mapping[str, Any], file_name: str) -> bool:
    return bool(message.get("bot_id")) and any(f.get("name") == file_name for f in message.get("files") or [])


def _carries(message: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    meta = message.get("metadata") or {}
    return meta.get("event_type") == EVENT_TYPE and meta.get("event_payload") == wanted
