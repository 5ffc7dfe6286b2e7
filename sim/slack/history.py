"""Reading a conversation back, and the metadata messages carry: conversations.history and .replies.

Sources: docs.slack.dev/reference/methods/conversations.history and conversations.replies (bot
tokens read "any conversation the bot is a member of", with the ``*:history`` scope of its kind;
cursor pagination through ``response_metadata.next_cursor``; ``oldest``/``latest`` bound the
timeline, exclusive unless ``inclusive``; ``include_all_metadata`` returns each message's
``metadata``), and docs.slack.dev/messaging/message-metadata (a message's ``metadata`` is an
``event_type`` and an ``event_payload`` object; chat.postMessage refuses anything else with
``invalid_metadata_format`` / ``invalid_metadata_schema``).
"""
from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from sim.slack.access import visible
from sim.slack.channels import Channel, ChannelError, Kind, MessageView

if TYPE_CHECKING:
    from sim.slack.workspace import LocalSlack

HISTORY_SCOPES = {Kind.PUBLIC: "channels:history", Kind.PRIVATE: "groups:history", Kind.IM: "im:history",
                  Kind.MPIM: "mpim:history"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 999
_EVENT_TYPE = re.compile(r"[A-Za-z0-9_]{1,255}")


def metadata_of(params: dict[str, Any]) -> dict[str, Any] | None:
    """A post's ``metadata`` (a JSON object, or its text in a form body), checked as Slack checks it."""
    raw = params.get("metadata")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ChannelError("invalid_metadata_format") from None
    if not isinstance(raw, dict):
        raise ChannelError("invalid_metadata_format")
    if not isinstance(raw.get("event_type"), str) or not _EVENT_TYPE.fullmatch(raw["event_type"]) \
            or not isinstance(raw.get("event_payload"), dict):
        raise ChannelError("invalid_metadata_schema")
    return {"event_type": raw["event_type"], "event_payload": raw["event_payload"]}


def history(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    return _page(slack, params, _readable(slack, params).timeline())


def replies(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    return _page(slack, params, _readable(slack, params).timeline(str(params["ts"])))


def _readable(slack: LocalSlack, params: dict[str, Any]) -> Channel:
    channel = visible(slack.find_channel(str(params["channel"])), slack.bot_user_id)
    if not channel.is_member(slack.bot_user_id):
        raise ChannelError("not_in_channel")
    scope = HISTORY_SCOPES[channel.kind]
    if scope not in slack.scopes:
        slack.violation("conversations.history", "missing_scope", f"reading a {channel.kind} conversation needs "
                        f"{scope}, which slack-manifest.yml does not ask for")
        raise ChannelError("missing_scope")
    return channel


def _page(slack: LocalSlack, params: dict[str, Any], messages: list[MessageView]) -> dict[str, Any]:
    inclusive = _flag(params.get("inclusive"))
    oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or "inf")
    inside = [m for m in messages if (oldest <= float(m.ts) if inclusive else oldest < float(m.ts))
              and (float(m.ts) <= latest if inclusive else float(m.ts) < latest)]
    limit = max(1, min(MAX_LIMIT, int(params.get("limit") or DEFAULT_LIMIT)))
    start = _offset(params.get("cursor"))
    shown = inside[start:start + limit]
    more = start + limit < len(inside)
    with_metadata = _flag(params.get("include_all_metadata"))
    return {"messages": [_message(slack, m, with_metadata) for m in shown], "has_more": more,
            "response_metadata": {"next_cursor": _cursor(start + limit) if more else ""}}


def _message(slack: LocalSlack, message: MessageView, with_metadata: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "message", "user": message.user, "text": message.text, "ts": message.ts}
    if message.user == slack.bot_user_id:
        out["bot_id"] = "B_FUELBOT"
    if message.thread_ts is not None:
        out["thread_ts"] = message.thread_ts
    if with_metadata and message.metadata is not None:
        out["metadata"] = message.metadata
    if message.files:          # a file share: Slack's message carries its files (name among their fields)
        out["files"] = [{"name": name} for name in message.files]
    return out


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(str(cursor)).decode().partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except ValueError:
        pass
    raise ChannelError("invalid_cursor")
