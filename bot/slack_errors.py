"""What a failed Slack call means for the message it carried: wait, shorten, or give up, and why.

* ``RATE_LIMITED``: 429 ``ratelimited``; the allowance is held for ``Retry-After``.
* ``UNAVAILABLE``: Slack or the way to it is down (HTTP 5xx, ``internal_error``,
  ``service_unavailable``, ``request_timeout``, a timeout, a dropped or refused connection). It is
  retried with capped backoff for as long as it lasts; nothing is lost. When the call may have
  reached Slack (anything but a refused connection), the post is ``maybe_sent``: Slack's own words
  for ``internal_error`` are "it's possible some aspect of the operation succeeded".
* ``CHANNEL``: ``channel_not_found``, ``not_in_channel``, ``is_archived``: never there (``bot.dead_letters``).
* ``TOO_LONG``: ``msg_too_long``; sent once more, shortened, then given up.
* ``PERMANENT``: an error no retry cures (the token is revoked, the message is refused): given up
  at once, the requester told why.
* ``UNKNOWN``: anything else (``fatal_error``, an upload URL's 4xx…): a few attempts, then given up and told.

Sources: slack_sdk's ``SlackApiError`` (HTTP status and the body's ``error``), the error lists of
chat.postMessage / chat.update / chat.postEphemeral (docs.slack.dev/reference/methods) and
docs.slack.dev/apis/web-api/rate-limits.
"""
from __future__ import annotations

import socket
import urllib.error
from dataclasses import dataclass
from enum import Enum
from http.client import HTTPException

from slack_sdk.errors import SlackApiError

from bot.dead_letters import CHANNEL_ERRORS


class Verdict(Enum):
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    CHANNEL = "channel"
    TOO_LONG = "too_long"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


UNAVAILABLE_ERRORS = frozenset({"internal_error", "service_unavailable", "request_timeout", "team_added_to_org"})
TOO_LONG_ERRORS = frozenset({"msg_too_long", "msg_blocks_too_long"})
PERMANENT_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
    "missing_scope", "not_allowed_token_type", "ekm_access_denied", "org_login_required", "restricted_action",
    "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel", "no_text", "invalid_arguments", "invalid_blocks",
    "invalid_blocks_format", "invalid_metadata_format", "invalid_metadata_schema", "too_many_attachments",
    "cant_update_message", "message_not_found", "edit_window_closed", "user_not_in_channel", "user_not_found",
    "cannot_dm_bot", "thread_not_found", "file_upload_size_restricted"})


@dataclass(frozen=True)
class Failure:
    """A failed call: its verdict, what Slack (or the network) said, and whether it may have landed."""

    verdict: Verdict
    error: str
    maybe_sent: bool = False
    retry_after: float = 1.0


def classify(method: str, exc: Exception) -> Failure:
    """The meaning of ``exc``, raised by a call of ``method``."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or "") or f"HTTP {status}"
        if status == 429 or error == "ratelimited":
            return Failure(Verdict.RATE_LIMITED, error, retry_after=_retry_after(exc))
        if status >= 500 or error in UNAVAILABLE_ERRORS:
            return Failure(Verdict.UNAVAILABLE, f"{method}: {error}", maybe_sent=True)
        if error in CHANNEL_ERRORS:
            return Failure(Verdict.CHANNEL, error)
        if error in TOO_LONG_ERRORS:
            return Failure(Verdict.TOO_LONG, error)
        if error in PERMANENT_ERRORS:
            return Failure(Verdict.PERMANENT, error)
        return Failure(Verdict.UNKNOWN, f"{method}: {error}", maybe_sent=error == "fatal_error")
    if isinstance(exc, urllib.error.HTTPError) and exc.code < 500:
        # An upload URL refused the bytes (files_upload_v2's POST): a few fresh uploads, then given up.
        return Failure(Verdict.UNKNOWN, f"{method}: the upload URL answered HTTP {exc.code}")
    if _refused(exc):
        return Failure(Verdict.UNAVAILABLE, f"{method}: connection refused")
    if isinstance(exc, (OSError, HTTPException, TimeoutError)):   # timeouts, resets, dropped connections
        return Failure(Verdict.UNAVAILABLE, f"{method}: {type(exc).__name__}: {exc}", maybe_sent=True)
    return Failure(Verdict.UNKNOWN, f"{method}: {type(exc).__name__}: {exc}", maybe_sent=True)


def _refused(exc: Exception) -> bool:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror))


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    try:
        return max(1.0, float(headers.get("Retry-After") or headers.get("retry-after") or 1))
    except ValueError:
        return 1.0
