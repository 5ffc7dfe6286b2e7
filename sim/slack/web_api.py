"""The Slack Web API methods LocalSlack answers.

Each method is a function of the workspace (``LocalSlack``, whose lock is held) and the call's
parameters, already held to ``sim.slack.contract`` (method, token, scope, required arguments,
rate) and with ``blocks`` checked and parsed; it returns the response's fields or raises
``ChannelError`` with Slack's error code. Access follows ``sim.slack.access``.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from sim.slack import history
from sim.slack.access import CHANNEL_ID, ephemeral_target, postable, visible
from sim.slack.channels import ChannelError, Kind

if TYPE_CHECKING:
    from sim.slack.workspace import LocalSlack


def _post_message(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel = postable(slack.find_channel(str(params["channel"])), slack.bot_user_id, slack.scopes)
    text, blocks = str(params.get("text") or ""), params.get("blocks") or []
    ts = channel.post(user=slack.bot_user_id, text=text, blocks=blocks, thread_ts=params.get("thread_ts") or None,
                      metadata=history.metadata_of(params))
    return {"channel": channel.channel_id, "ts": ts,
            "message": {"type": "message", "user": slack.bot_user_id, "text": text, "ts": ts}}


def _update(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel_id, ts = str(params["channel"]), str(params["ts"])
    if not CHANNEL_ID.fullmatch(channel_id):
        slack.violation("chat.update", "channel_not_an_id", f"chat.update takes a channel id, not {channel_id!r}")
        raise ChannelError("channel_not_found")
    channel = visible(slack.find_channel(channel_id), slack.bot_user_id)
    if channel.is_ephemeral(ts):
        slack.violation("chat.update", "ephemeral_update",
                        f"{ts} is an ephemeral message; change it through the click's response_url")
    blocks = params["blocks"] if "blocks" in params else None
    channel.update(ts=ts, user=slack.bot_user_id, text=params.get("text"), blocks=blocks)
    return {"channel": channel_id, "ts": ts, "text": params.get("text", "")}


def _post_ephemeral(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    user = str(params["user"])
    channel = ephemeral_target(slack.find_channel(str(params["channel"])), slack.bot_user_id, slack.scopes, user)
    ephemeral_id = channel.add_ephemeral(user=user, text=str(params.get("text") or ""), blocks=params.get("blocks") or [],
                                         source="chat.postEphemeral")
    return {"message_ts": ephemeral_id}


def _delete(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel = visible(slack.find_channel(str(params["channel"])), slack.bot_user_id)
    channel.delete(str(params["ts"]))
    return {"channel": channel.channel_id, "ts": params["ts"]}


def _permalink(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel = visible(slack.find_channel(str(params["channel"])), slack.bot_user_id)
    ts = str(params["message_ts"])
    if not channel.has(ts):
        raise ChannelError("message_not_found")
    return {"channel": channel.channel_id,
            "permalink": f"{slack.root_url}archives/{channel.channel_id}/p{ts.replace('.', '')}"}


def _usergroup_users(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    users = slack.members(str(params["usergroup"]))
    if users is None:
        raise ChannelError("no_such_subteam")
    return {"users": users}


def _conversation_info(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel = visible(slack.find_channel(str(params["channel"])), slack.bot_user_id)
    return {"channel": {"id": channel.channel_id, "name": channel.name, "is_channel": channel.kind is Kind.PUBLIC,
                        "is_private": channel.kind is not Kind.PUBLIC, "is_im": channel.kind is Kind.IM,
                        "is_mpim": channel.kind is Kind.MPIM, "is_archived": channel.archived,
                        "is_member": channel.is_member(slack.bot_user_id)}}


def _conversation_open(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    users = [u for u in str(params.get("users") or "").split(",") if u]
    if len(users) != 1:
        raise ChannelError("not_enough_users" if not users else "too_many_users")   # fuelbot opens DMs only
    if not slack.knows_user(users[0]):
        raise ChannelError("user_not_found")
    return {"channel": {"id": slack.open_im(users[0])}}


def _auth_test(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    return {"url": slack.root_url, "team": "Local", "team_id": slack.team_id, "user": "fuelbot",
            "user_id": slack.bot_user_id, "bot_id": "B_FUELBOT"}


def _connections_open(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    return {"url": slack.socket.issue_url()}


def _upload_url(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    stored = slack.files.reserve(str(params["filename"]), params["length"])
    return {"upload_url": f"{slack.root_url}upload/{stored.file_id}", "file_id": stored.file_id}


def _file_entries(value: object) -> list[dict[str, Any]]:
    """``files``: a JSON array of ``{"id", "title"?}`` (a string in a form body), else ``invalid_arguments``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ChannelError("invalid_arguments") from None
    if not isinstance(value, list) or not value or not all(isinstance(e, dict) and e.get("id") for e in value):
        raise ChannelError("invalid_arguments")
    return value


def _complete_upload(slack: LocalSlack, params: dict[str, Any]) -> dict[str, Any]:
    """Share uploaded files; every check comes before a file is taken, so a refused call spends none.

    ``channel_id`` is an id (a name or a user id is ``invalid_arguments``); ``thread_ts`` needs that
    one channel ("make sure to provide only one channel when using thread_ts") and must be a message
    in it: Slack's docs give no code for a missing one, so LocalSlack answers ``thread_not_found``
    as its chat.postMessage does; a reply's ts is a violation ("Never use a reply's ts value").
    """
    method = "files.completeUploadExternal"
    entries = _file_entries(params["files"])
    channel_id, thread_ts = str(params.get("channel_id") or ""), str(params.get("thread_ts") or "") or None
    if params.get("channels"):
        slack.violation(method, "channels", "fuelbot shares a file in one conversation: channel_id")
        raise ChannelError("invalid_arguments")
    if channel_id and not CHANNEL_ID.fullmatch(channel_id):
        slack.violation(method, "channel_not_an_id", f"channel_id takes a conversation id, not {channel_id!r}")
        raise ChannelError("invalid_arguments")
    if thread_ts and not channel_id:
        slack.violation(method, "thread_without_channel", "thread_ts names a thread of the channel_id given")
        raise ChannelError("invalid_arguments")
    channel = postable(slack.find_channel(channel_id), slack.bot_user_id, slack.scopes) if channel_id else None
    if channel is not None and thread_ts is not None:
        root = channel.thread_root(thread_ts)
        if root is None:
            raise ChannelError("thread_not_found")
        if root != thread_ts:
            slack.violation(method, "reply_ts", f"{thread_ts} is a reply; share in its thread's root {root}")
    stored = slack.files.completable([str(e["id"]) for e in entries])
    titles = [str(e.get("title") or f.filename) for f, e in zip(stored, entries)]
    if channel is not None:
        ts = channel.post(user=slack.bot_user_id, text=str(params.get("initial_comment") or ""), blocks=[],
                          thread_ts=thread_ts, files=tuple(f.filename for f in stored))
        for f in stored:
            f.shared_in.append(channel.channel_id)
            f.thread_ts, f.ts = (channel.thread_root(thread_ts) if thread_ts else None), ts
    for f, title in zip(stored, titles):
        f.completed, f.title = True, title
    return {"files": [{"id": f.file_id, "title": f.title} for f in stored]}


API: dict[str, Callable[[LocalSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": _post_ephemeral,
    "chat.delete": _delete,
    "chat.getPermalink": _permalink,
    "usergroups.users.list": _usergroup_users,
    "conversations.info": _conversation_info,
    "conversations.open": _conversation_open,
    "conversations.history": history.history,
    "conversations.replies": history.replies,
    "apps.connections.open": _connections_open,
    "files.getUploadURLExternal": _upload_url,
    "files.completeUploadExternal": _complete_upload,
}

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})


def token_of(authorization: str, params: dict[str, Any]) -> str:
    """The call's token: the ``Authorization`` header or a ``token`` parameter."""
    return authorization.removeprefix("Bearer ").strip() or str(params.get("token") or "")
