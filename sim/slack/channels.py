"""What a Slack conversation looks like to the people in it: the model behind ``LocalSlack``.

Parents in ``ts`` order, their thread replies, edits with their history, files shared in them, and
ephemeral messages (each visible to one user). A conversation has a kind (public or private
channel, DM, group DM), members (the bot among them or not) and may be archived; who may post
where is ``sim.slack.access``'s business. The mutable ``Channel`` lives inside ``LocalSlack``
under its lock; ``snapshot()`` hands out frozen views that the console and tests read unlocked.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SHARED_SEQUENCE = itertools.count(1)   # one creation order across channels: the console interleaves by it


@dataclass(frozen=True)
class MessageView:
    """A channel message (parent or thread reply) as people see it now."""

    ts: str
    user: str
    text: str
    blocks: tuple[dict[str, Any], ...]
    thread_ts: str | None
    seq: int
    history: tuple[str, ...] = ()           # earlier texts, oldest first
    replies: tuple["MessageView", ...] = ()
    deleted: bool = False
    files: tuple[str, ...] = ()             # names of the files shared with this message
    metadata: dict[str, Any] | None = None  # chat.postMessage's ``metadata`` (event_type, event_payload)

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def revision(self) -> int:
        return len(self.history)


@dataclass(frozen=True)
class EphemeralView:
    """A message only ``user`` sees ("Only visible to you")."""

    id: str
    user: str
    text: str
    blocks: tuple[dict[str, Any], ...]
    source: str                             # ack | response_url | chat.postEphemeral
    seq: int
    history: tuple[str, ...] = ()
    deleted: bool = False

    @property
    def revision(self) -> int:
        return len(self.history)


class Kind(StrEnum):
    """Slack's conversation types (``conversations.info``: is_channel, is_private, is_im, is_mpim)."""

    PUBLIC = "public"
    PRIVATE = "private"
    IM = "im"
    MPIM = "mpim"


@dataclass(frozen=True)
class ChannelSnapshot:
    """The whole channel at one moment; ``version`` grows with every change anywhere."""

    channel_id: str
    name: str
    messages: tuple[MessageView, ...]
    ephemerals: tuple[EphemeralView, ...]
    version: int
    kind: Kind = Kind.PUBLIC
    archived: bool = False

    def message(self, ts: str) -> MessageView | None:
        """The parent or reply with this ``ts``."""
        for parent in self.messages:
            if parent.ts == ts:
                return parent
            for reply in parent.replies:
                if reply.ts == ts:
                    return reply
        return None

    def ephemerals_for(self, user: str) -> tuple[EphemeralView, ...]:
        return tuple(e for e in self.ephemerals if e.user == user and not e.deleted)

    def replies_to(self, ts: str) -> tuple[MessageView, ...]:
        parent = self.message(ts)
        return parent.replies if parent is not None else ()


@dataclass
class _Message:
    ts: str
    user: str
    text: str
    blocks: list[Any]
    thread_ts: str | None
    seq: int
    history: list[str] = field(default_factory=list)
    deleted: bool = False
    files: tuple[str, ...] = ()
    metadata: dict[str, Any] | None = None

    def view(self, replies: tuple[MessageView, ...] = ()) -> MessageView:
        return MessageView(ts=self.ts, user=self.user, text=self.text, blocks=tuple(self.blocks),
                           thread_ts=self.thread_ts, seq=self.seq, history=tuple(self.history),
                           replies=replies, deleted=self.deleted, files=self.files, metadata=self.metadata)


@dataclass
class _Ephemeral:
    id: str
    user: str
    text: str
    blocks: list[Any]
    source: str
    seq: int
    history: list[str] = field(default_factory=list)
    deleted: bool = False

    def view(self) -> EphemeralView:
        return EphemeralView(id=self.id, user=self.user, text=self.text, blocks=tuple(self.blocks),
                             source=self.source, seq=self.seq, history=tuple(self.history),
                             deleted=self.deleted)


class ChannelError(Exception):
    """A Slack API error code (``message_not_found`` …) for LocalSlack to return."""


class Channel:
    """One conversation's mutable state; the owner serialises access (LocalSlack's lock).

    ``members`` None means everyone in the workspace (the bot included), like a #general.
    """

    def __init__(self, channel_id: str, name: str, *, kind: Kind = Kind.PUBLIC,
                 members: set[str] | None = None) -> None:
        self.channel_id = channel_id
        self.name = name
        self.kind = kind
        self.members = members
        self._messages: dict[str, _Message] = {}
        self._ephemerals: dict[str, _Ephemeral] = {}
        self._last_ts = 0
        self.archived = False

    def is_member(self, user: str) -> bool:
        return self.members is None or user in self.members

    def _next_ts(self) -> str:
        # Slack's ts is "seconds.micro", unique and increasing within a channel.
        now = int(time.time() * 1_000_000)
        self._last_ts = max(now, self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def post(self, *, user: str, text: str, blocks: list[Any], thread_ts: str | None,
             files: tuple[str, ...] = (), metadata: dict[str, Any] | None = None) -> str:
        if self.archived:
            raise ChannelError("is_archived")
        if thread_ts is not None:
            parent = self._messages.get(thread_ts)
            if parent is None:
                raise ChannelError("thread_not_found")
            # Slack files a reply to a reply under the thread root.
            thread_ts = parent.thread_ts or parent.ts
        ts = self._next_ts()
        self._messages[ts] = _Message(ts=ts, user=user, text=text, blocks=list(blocks), thread_ts=thread_ts,
                                      seq=next(SHARED_SEQUENCE), files=files, metadata=metadata)
        return ts

    def update(self, *, ts: str, user: str, text: str | None, blocks: list[Any] | None) -> None:
        message = self._messages.get(ts)
        if message is None or message.deleted:
            # An ephemeral message is no message of the channel's: Slack cannot find it to edit
            # (interactivity docs: change an ephemeral message through its response_url).
            raise ChannelError("message_not_found")
        if message.user != user:
            raise ChannelError("cant_update_message")
        message.history.append(message.text)
        if text is not None:
            message.text = text
        if blocks is not None:   # Slack keeps the old blocks when none are given
            message.blocks = list(blocks)

    def delete(self, ts: str) -> None:
        message = self._messages.get(ts)
        if message is None:
            raise ChannelError("message_not_found")
        message.deleted = True

    def has(self, ts: str) -> bool:
        return ts in self._messages

    def thread_root(self, ts: str) -> str | None:
        """The root of the thread ``ts`` is in (``ts`` itself for a parent); None if no such message."""
        message = self._messages.get(ts)
        if message is None or message.deleted:
            return None
        return message.thread_ts or message.ts

    def timeline(self, thread_ts: str | None = None) -> list[MessageView]:
        """What conversations.history (no ``thread_ts``: the channel's top level, newest first) or
        conversations.replies (a thread: its root then its replies, oldest first) read."""
        if thread_ts is None:
            return [m.view() for m in sorted(self._messages.values(), key=lambda m: m.ts, reverse=True)
                    if m.thread_ts is None and not m.deleted]
        root = self._messages.get(thread_ts)
        if root is None or root.deleted:
            raise ChannelError("thread_not_found")
        root_ts = root.thread_ts or root.ts
        return [m.view() for m in sorted(self._messages.values(), key=lambda m: m.ts)
                if (m.ts == root_ts or m.thread_ts == root_ts) and not m.deleted]

    def is_ephemeral(self, ts: str) -> bool:
        return ts in self._ephemerals

    def add_ephemeral(self, *, user: str, text: str, blocks: list[Any], source: str) -> str:
        # Slack gives an ephemeral message a ts of its own (chat.postEphemeral's ``message_ts``,
        # a click's ``container.message_ts``), never one of the channel's messages.
        ephemeral_id = self._next_ts()
        self._ephemerals[ephemeral_id] = _Ephemeral(id=ephemeral_id, user=user, text=text, blocks=list(blocks),
                                                    source=source, seq=next(SHARED_SEQUENCE))
        return ephemeral_id

    def replace_ephemeral(self, ephemeral_id: str, *, text: str, blocks: list[Any]) -> None:
        ephemeral = self._ephemerals.get(ephemeral_id)
        if ephemeral is None:
            raise ChannelError("message_not_found")
        ephemeral.history.append(ephemeral.text)
        ephemeral.text = text
        ephemeral.blocks = list(blocks)

    def delete_ephemeral(self, ephemeral_id: str) -> None:
        if ephemeral_id in self._ephemerals:
            self._ephemerals[ephemeral_id].deleted = True

    def snapshot(self, version: int) -> ChannelSnapshot:
        ordered = sorted(self._messages.values(), key=lambda m: m.ts)
        replies: dict[str, list[MessageView]] = {}
        for message in ordered:
            if message.thread_ts is not None:
                replies.setdefault(message.thread_ts, []).append(message.view())
        parents = tuple(m.view(tuple(replies.get(m.ts, ()))) for m in ordered if m.thread_ts is None)
        ephemerals = tuple(e.view() for e in sorted(self._ephemerals.values(), key=lambda e: e.seq))
        return ChannelSnapshot(channel_id=self.channel_id, name=self.name, messages=parents,
                               ephemerals=ephemerals, version=version, kind=self.kind, archived=self.archived)
