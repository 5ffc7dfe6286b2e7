"""Who may post, edit and look where: Slack's error codes for conversations the bot cannot use.

Slack hides a private channel, a DM or a group DM from anyone outside it, the bot included, so a
call there answers ``channel_not_found``; in a public channel the bot has not joined, posting
needs ``chat:write.public`` (else ``not_in_channel``); an archived conversation answers
``is_archived`` to a post. Sources: the error lists of chat.postMessage, chat.update,
chat.postEphemeral and conversations.info in slackapi/slack-api-specs (see ``sim.slack.contract``)
and docs.slack.dev/reference/scopes/chat.write.public. ``chat.update`` takes only a channel id:
a name is ``channel_not_found``.
"""
from __future__ import annotations

import re

from sim.slack.channels import Channel, ChannelError, Kind

CHANNEL_ID = re.compile(r"[CGD][A-Z0-9_]+")


def visible(channel: Channel | None, bot: str) -> Channel:
    """The conversation, if the bot can see it at all (else ``channel_not_found``)."""
    if channel is None or (channel.kind is not Kind.PUBLIC and not channel.is_member(bot)):
        raise ChannelError("channel_not_found")
    return channel


def postable(channel: Channel | None, bot: str, scopes: frozenset[str]) -> Channel:
    """The conversation, if the bot may post in it now."""
    seen = visible(channel, bot)
    if seen.archived:
        raise ChannelError("is_archived")
    if not seen.is_member(bot) and "chat:write.public" not in scopes:
        raise ChannelError("not_in_channel")
    return seen


def ephemeral_target(channel: Channel | None, bot: str, scopes: frozenset[str], user: str) -> Channel:
    """The conversation, if the bot may show ``user`` an ephemeral message there."""
    seen = postable(channel, bot, scopes)
    if not seen.is_member(user):
        raise ChannelError("user_not_in_channel")
    return seen
