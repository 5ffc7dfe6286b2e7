"""``response_url``s as Slack runs them: five uses within thirty minutes of the invocation.

A POST to one answers the person in the conversation where they typed or clicked, whether or not
the bot is a member there: an ephemeral message by default, an ``in_channel`` message, or, for a
click, ``replace_original`` / ``delete_original`` of the clicked message (the only way to change
an ephemeral one). Sources: docs.slack.dev/interactivity/handling-user-interaction ("up to 5
times within 30 minutes"), java-slack-sdk's shortcuts guide (same words).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sim.slack.channels import Channel, ChannelError

RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


@dataclass
class _Hook:
    channel: str
    user: str
    origin: str | None            # the message ts or ephemeral id an interaction came from
    created_at: float
    uses: int = 0


class ResponseUrls:
    """The live response_urls; the owner (LocalSlack) serialises access and supplies channels."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._hooks: dict[str, _Hook] = {}

    def issue(self, *, channel: str, user: str, origin: str | None) -> str:
        hook_id = uuid.uuid4().hex
        self._hooks[hook_id] = _Hook(channel=channel, user=user, origin=origin, created_at=self._clock())
        return hook_id

    def use(self, hook_id: str) -> _Hook:
        """The hook, counting this use; ChannelError ``used_url`` / ``expired_url`` past Slack's limits."""
        hook = self._hooks.get(hook_id)
        if hook is None or hook.uses >= RESPONSE_URL_USES:
            raise ChannelError("used_url")
        if self._clock() - hook.created_at > RESPONSE_URL_SECONDS:
            raise ChannelError("expired_url")
        hook.uses += 1
        return hook


def answer(hook: _Hook, channel: Channel, payload: dict[str, Any], *, bot: str, blocks: list[Any]) -> None:
    """Do what Slack does with one response_url payload."""
    text = str(payload.get("text") or "")
    if payload.get("delete_original") and hook.origin:
        if channel.has(hook.origin):
            channel.delete(hook.origin)
        else:
            channel.delete_ephemeral(hook.origin)
    elif payload.get("replace_original") and hook.origin:
        if channel.has(hook.origin):
            channel.update(ts=hook.origin, user=bot, text=text, blocks=blocks)
        else:
            channel.replace_ephemeral(hook.origin, text=text, blocks=blocks)
    elif payload.get("response_type") == "in_channel":
        channel.post(user=bot, text=text, blocks=blocks, thread_ts=payload.get("thread_ts"))
    else:
        channel.add_ephemeral(user=hook.user, text=text, blocks=blocks, source="response_url")
