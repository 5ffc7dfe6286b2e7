"""Slack's published Web API contract for the methods fuelbot may call, vendored by hand.

One row per method: its required arguments (beside the token), the bot scopes that allow it, the
token type it takes and its rate-limit tier. LocalSlack answers only these methods and holds
every call to its row; a call outside the contract is a ``Violation`` the tests see.

Sources:
* slackapi/slack-api-specs, ``web-api/slack_web_openapi_v2_without_examples.json`` (commit
  bc08db4, the spec's last update, October 2020): the required arguments, scopes and error codes
  of auth.test, chat.postMessage, chat.update, chat.postEphemeral, chat.getPermalink, chat.delete,
  conversations.info, conversations.open, conversations.history, conversations.replies and
  usergroups.users.list. The spec lists the legacy
  ``chat:write:bot``; granular bot tokens carry ``chat:write`` (docs.slack.dev/reference/scopes).
* docs.slack.dev/reference/methods/<method> for the methods newer than that spec
  (apps.connections.open, files.getUploadURLExternal, files.completeUploadExternal) and for every
  method's tier (docs.slack.dev/apis/web-api/rate-limits). chat.postMessage is "special": about
  one message per second per channel, short bursts allowed. apps.connections.open is Tier 1 on
  api.slack.com and Tier 3 in docs.slack.dev's newer metadata; LocalSlack uses Tier 3.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Tier(Enum):
    """Slack's rate tiers: calls per minute per method, per workspace, per app (bursts allowed)."""

    TIER_1 = 1
    TIER_2 = 20
    TIER_3 = 50
    TIER_4 = 100
    POST_PER_CHANNEL = 60    # chat.postMessage: ~1 per second in each channel

    @property
    def per_minute(self) -> int:
        return self.value


@dataclass(frozen=True)
class MethodContract:
    """What Slack requires of one method's calls."""

    name: str
    required: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()          # at least one of these (chat.postMessage: text, blocks, attachments)
    scopes: tuple[str, ...] = ()          # any one of these bot scopes allows the call; () needs none
    app_token: bool = False               # takes an app-level xapp- token, not the bot token
    tier: Tier = Tier.TIER_3
    json_body: bool = True                # False: form-encoded arguments only; a JSON body is not read


_MESSAGE = ("text", "blocks", "attachments")

METHODS: dict[str, MethodContract] = {m.name: m for m in (
    MethodContract("auth.test", tier=Tier.TIER_4),
    MethodContract("chat.postMessage", required=("channel",), any_of=_MESSAGE, scopes=("chat:write",),
                   tier=Tier.POST_PER_CHANNEL),
    MethodContract("chat.update", required=("channel", "ts"), any_of=_MESSAGE, scopes=("chat:write",),
                   tier=Tier.TIER_3),
    MethodContract("chat.postEphemeral", required=("channel", "user"), any_of=_MESSAGE, scopes=("chat:write",),
                   tier=Tier.TIER_4),
    MethodContract("chat.delete", required=("channel", "ts"), scopes=("chat:write",), tier=Tier.TIER_3),
    MethodContract("chat.getPermalink", required=("channel", "message_ts"), tier=Tier.TIER_4),
    MethodContract("conversations.info", required=("channel",),
                   scopes=("channels:read", "groups:read", "im:read", "mpim:read"), tier=Tier.TIER_3),
    MethodContract("conversations.history", required=("channel",),
                   scopes=("channels:history", "groups:history", "im:history", "mpim:history"), tier=Tier.TIER_3),
    MethodContract("conversations.replies", required=("channel", "ts"),
                   scopes=("channels:history", "groups:history", "im:history", "mpim:history"), tier=Tier.TIER_3),
    MethodContract("conversations.open", any_of=("users", "channel"),
                   scopes=("im:write", "mpim:write", "channels:manage", "groups:write"), tier=Tier.TIER_3),
    MethodContract("usergroups.users.list", required=("usergroup",), scopes=("usergroups:read",),
                   tier=Tier.TIER_2),
    MethodContract("apps.connections.open", app_token=True, tier=Tier.TIER_3),
    # "Content types: application/x-www-form-urlencoded" only (docs.slack.dev/reference/methods/
    # files.getUploadURLExternal): Slack does not read a JSON body, so filename and length are missing.
    MethodContract("files.getUploadURLExternal", required=("filename", "length"), scopes=("files:write",),
                   tier=Tier.TIER_4, json_body=False),
    MethodContract("files.completeUploadExternal", required=("files",), scopes=("files:write",),
                   tier=Tier.TIER_4),
)}


@dataclass(frozen=True)
class Violation:
    """A call LocalSlack saw that breaks Slack's contract (or that real Slack would refuse)."""

    method: str                 # API method, ``hooks`` (response_url), ``ack`` or ``socket``
    rule: str                   # unknown_method, missing_argument, missing_scope, invalid_blocks, …
    detail: str

    def __str__(self) -> str:
        return f"{self.method}: {self.rule}: {self.detail}"


def missing_arguments(contract: MethodContract, params: dict[str, Any]) -> list[str]:
    """The required arguments ``params`` lacks, and the ``any_of`` group when none of it is there."""
    missing = [name for name in contract.required if params.get(name) in (None, "", [])]
    if contract.any_of and all(params.get(name) in (None, "", []) for name in contract.any_of):
        missing.append(" or ".join(contract.any_of))
    return missing


def missing_scope(contract: MethodContract, granted: frozenset[str]) -> str | None:
    """The scope to ask for when none of ``contract.scopes`` was granted, else None."""
    if not contract.scopes or granted & set(contract.scopes):
        return None
    return contract.scopes[0]
