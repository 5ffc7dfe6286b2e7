"""The console's picture of a channel: threads indented under their parents, numbered buttons.

Two ways to draw a ``ChannelSnapshot``: ``full`` (the whole channel, each thread beneath its
parent) and ``changes`` (only what is new or edited since the last call, edits reprinted with
"(edited)"), which suits a terminal log and piped output alike. Buttons get stable numbers,
shown ``[1 Cancel]``, so a person can type ``!1`` to click.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Mapping

from sim.slack.channels import ChannelSnapshot, EphemeralView, MessageView
from bot.render import plain_lines, truncate

EPHEMERAL_MARK = "(only visible to you)"
REPLY_INDENT = "    "


@dataclass(frozen=True)
class ButtonRef:
    """A button as the console shows it, and what a click on it must send."""

    number: int
    element: Mapping[str, Any]
    block_id: str
    item: str                     # message ts, or ephemeral id
    ephemeral: bool


class ChannelView:
    """Renders snapshots for one user; remembers what it printed and the button numbers."""

    def __init__(self, *, user_id: str, bot_user_id: str) -> None:
        self._user_id = user_id
        self._bot_user_id = bot_user_id
        self._printed: dict[str, int] = {}          # item key -> revision printed
        self._numbers: dict[tuple[str, str], int] = {}
        self._buttons: dict[int, ButtonRef] = {}
        self._last_thread: str | None = None

    def button(self, number: int) -> ButtonRef | None:
        return self._buttons.get(number)

    def has_button(self, snapshot: ChannelSnapshot, ref: ButtonRef) -> bool:
        """Whether ``ref`` is still on its message (edits can take buttons away)."""
        blocks: tuple = ()
        if ref.ephemeral:
            blocks = next((e.blocks for e in snapshot.ephemerals_for(self._user_id) if e.id == ref.item), ())
        else:
            message = snapshot.message(ref.item)
            blocks = message.blocks if message is not None and not message.deleted else ()
        return any(element.get("action_id") == ref.element.get("action_id")
                   for block in blocks if block.get("type") == "actions" for element in block.get("elements", []))

    def full(self, snapshot: ChannelSnapshot) -> list[str]:
        """The whole channel: parents flush left, replies beneath, your ephemerals in place."""
        lines = [f"── #{snapshot.name} ──"]
        for item in self._timeline(snapshot):
            if isinstance(item, EphemeralView):
                lines += self._ephemeral(item)
                continue
            lines += self._parent(item)
            for reply in item.replies:
                lines += self._reply(reply)
        for item in self._timeline(snapshot):
            self._remember(item)
        return lines

    def changes(self, snapshot: ChannelSnapshot) -> list[str]:
        """Only what changed since the last call, in the order it happened."""
        lines: list[str] = []
        changed: list[tuple[int, Any, MessageView | None]] = []
        for item in self._timeline(snapshot):
            if self._is_new(item):
                changed.append((item.seq, item, None))
            if isinstance(item, MessageView):
                for reply in item.replies:
                    if self._is_new(reply):
                        changed.append((reply.seq, reply, item))
        for _seq, item, parent in sorted(changed, key=lambda c: (c[0], c[1].revision)):
            if isinstance(item, EphemeralView):
                lines += self._ephemeral(item)
                self._last_thread = None
            elif parent is None:
                lines += self._parent(item)
                self._last_thread = item.ts
            else:
                if self._last_thread != parent.ts:
                    headline = plain_lines(parent.text, parent.blocks)[0]
                    lines.append(f"  ┆ in the thread of: {truncate(headline, 70)}")
                    self._last_thread = parent.ts
                lines += self._reply(item)
            self._remember(item)
        return lines

    def _timeline(self, snapshot: ChannelSnapshot) -> list[MessageView | EphemeralView]:
        items: list[MessageView | EphemeralView] = list(snapshot.messages)
        items += list(snapshot.ephemerals_for(self._user_id))
        return sorted(items, key=lambda item: item.seq)

    def _key(self, item: MessageView | EphemeralView) -> str:
        return item.id if isinstance(item, EphemeralView) else item.ts

    def _is_new(self, item: MessageView | EphemeralView) -> bool:
        return self._printed.get(self._key(item)) != item.revision

    def _remember(self, item: MessageView | EphemeralView) -> None:
        self._printed[self._key(item)] = item.revision
        for reply in getattr(item, "replies", ()):
            self._printed[reply.ts] = reply.revision

    def _body(self, item: MessageView | EphemeralView, ephemeral: bool) -> list[str]:
        if getattr(item, "deleted", False):
            return ["(message deleted)"]
        key = self._key(item)

        def label(element: Mapping[str, Any], block_id: str) -> str:
            slot = (key, str(element.get("action_id")))
            if slot not in self._numbers:
                self._numbers[slot] = len(self._numbers) + 1
            number = self._numbers[slot]
            self._buttons[number] = ButtonRef(number=number, element=dict(element), block_id=block_id,
                                              item=key, ephemeral=ephemeral)
            return f"[{number} {element.get('text', {}).get('text', '?')}]"

        lines: list[str] = []
        for index, block in enumerate(item.blocks or ({"type": "section", "text": {"text": item.text}},)):
            block_id = str(block.get("block_id") or f"b{index}")
            lines += plain_lines(item.text, [block], button_label=partial(label, block_id=block_id), show_urls=True)
        return lines or [""]

    def _author(self, user: str) -> str:
        return "fuelbot" if user == self._bot_user_id else f"@{user}"

    def _parent(self, message: MessageView) -> list[str]:
        body = self._body(message, ephemeral=False)
        first = f"{self._author(message.user)}: {body[0]}" + (" (edited)" if message.edited else "")
        return [first] + [f"  {line}" for line in body[1:]]

    def _reply(self, message: MessageView) -> list[str]:
        body = self._body(message, ephemeral=False)
        first = f"{REPLY_INDENT}↳ {self._author(message.user)}: {body[0]}" + (" (edited)" if message.edited else "")
        return [first] + [f"{REPLY_INDENT}  {line}" for line in body[1:]]

    def _ephemeral(self, ephemeral: EphemeralView) -> list[str]:
        body = self._body(ephemeral, ephemeral=True)
        edited = " (edited)" if ephemeral.revision else ""
        return [f"{EPHEMERAL_MARK} fuelbot: {body[0]}{edited}"] + [f"  {line}" for line in body[1:]]
