"""Slack mrkdwn, safe by construction: fuelbot's own links and mentions, and everything else inert.

Slack reads ``<…>`` as a mention or a link and ``&`` as the start of an entity, so a text must
escape ``&``, ``<`` and ``>`` (docs.slack.dev/messaging/formatting-message-text, "Escaping
text"). fuelbot's texts are written as plain Python strings; only the functions below build the
sequences Slack must read as mentions, dates or links (``who()``, ``channel_ref()``, ``subteam()``,
``mention()``, ``moment()``, ``link()``), and they build them as *tokens*: the sequence's inside between two
private-use characters (``TOKEN_OPEN`` … ``TOKEN_CLOSE``) that no keyboard types.

The Slack edge turns a text into mrkdwn with ``to_slack()``: it escapes everything, then turns
each token whose inside is one of the allowed shapes (a user, a channel, a user group, ``!here``,
a date with its fallback, an http(s)/mailto link with its label) into its ``<…>`` sequence. So a text builder cannot forget
to escape, and text from outside (what people type, Fuel's and OSTF's messages, vCenter's names)
can never become a mention or a link: ``inert()`` strips the two token characters where such text
enters fuelbot (the Slack edge, the Fuel and vSphere clients, lab specs), and the rest of it is
escaped like any other text. ``to_plain()`` is the same text for places that are not Slack (a job
page, a log).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from core.slack_ids import CHANNEL_ID, CHANNEL_ID_PATTERN, GROUP_ID, GROUP_ID_PATTERN, USER_ID, USER_ID_PATTERN

TOKEN_OPEN, TOKEN_CLOSE = "\ue000", "\ue001"          # Unicode private use: never typed, never sent
_MARKERS = re.compile(f"[{TOKEN_OPEN}{TOKEN_CLOSE}]")
_TOKEN = re.compile(f"{TOKEN_OPEN}([^{TOKEN_OPEN}{TOKEN_CLOSE}]*){TOKEN_CLOSE}")

# The only shapes a token may have; anything else renders as the plain, escaped text it holds.
_ALLOWED = re.compile(rf"@{USER_ID_PATTERN}|#{CHANNEL_ID_PATTERN}|!subteam\^{GROUP_ID_PATTERN}|!here"
                      r"|!date\^\d+\^[{}a-z_ ]+\|(?P<fallback>[0-9: -]+ UTC)"
                      r"|(?P<url>(?:https?://|mailto:)[^\s|<>]+)\|(?P<label>.*)", re.DOTALL)
# A mention as ``commands.param_values`` accepts it (what Slack puts in a slash command's text).
_TYPED_MENTION = re.compile(r"<@(?P<user>[UW][A-Z0-9]+)(?:\|[^<>]*)?>|<!subteam\^(?P<group>S[A-Z0-9]+)(?:\|[^<>]*)?>"
                            r"|(?P<here><!here>)")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _token(inside: str) -> str:
    return f"{TOKEN_OPEN}{inside}{TOKEN_CLOSE}"


# -- the sequences fuelbot builds ------------------------------------------------------------
def who(requester: str, *, viewer: str | None = None) -> str:
    """A mention for a person (``you`` for the reader), ``schedule #3`` for a schedule, else as is."""
    if viewer is not None and requester == viewer:
        return "you"
    if requester.startswith("schedule:"):
        return f"schedule #{requester.split(':', 1)[1]}"
    return _token(f"@{requester}") if USER_ID.fullmatch(requester) else requester


def channel_ref(channel: str) -> str:
    """A channel link for an id (``<#C…>``), else ``#name``."""
    return _token(f"#{channel}") if CHANNEL_ID.fullmatch(channel) else f"#{channel.lstrip('#')}"


def subteam(group_id: str) -> str:
    """A user group mention (``<!subteam^S…>``), for an id; anything else as plain text."""
    return _token(f"!subteam^{group_id}") if GROUP_ID.fullmatch(group_id) else group_id


def mention(typed: str) -> str:
    """A mention people chose (``--mention``): a person, a user group or ``@here``; else plain text.

    ``typed`` is what ``commands.param_values`` validated: Slack's ``<@U…|name>``, ``<!subteam^S…|name>``,
    ``<!here>``, or a bare ``@name``, which Slack shows as the text it is.
    """
    found = _TYPED_MENTION.fullmatch(typed.strip())
    if found is None:
        return typed
    if found["user"]:
        return who(found["user"])
    if found["group"]:
        return subteam(found["group"])
    return _token("!here")


def link(url: str, label: str) -> str:
    """A link reading ``label`` (``<url|label>``); the URL is percent-encoded where Slack needs it."""
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~")
    if not re.match(r"(?:https?://|mailto:)", safe):
        return f"{label} ({url})"
    return _token(f"{safe}|{inert(label)}")


# -- text from outside -----------------------------------------------------------------------
def inert(text: str) -> str:
    """Text that did not come from fuelbot, unable to become a mention or a link in any of its texts."""
    return _MARKERS.sub("", text)


def inert_all(value: Any) -> Any:
    """``inert`` on every string inside a decoded JSON document (or any lists, tuples and dicts)."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, list):
        return [inert_all(v) for v in value]
    if isinstance(value, tuple):
        return tuple(inert_all(v) for v in value)
    if isinstance(value, dict):
        return {inert_all(k): inert_all(v) for k, v in value.items()}
    return value


# -- rendering ---------------------------------------------------------------------------------
def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as Slack's entities."""
    return text.translate(_ESCAPES)


def to_slack(text: str) -> str:
    """``text`` as Slack mrkdwn: everything escaped, fuelbot's own tokens turned into their sequences."""
    out, at = [], 0
    for found in _TOKEN.finditer(text):
        out.append(escape(inert(text[at:found.start()])))
        out.append(_sequence(found.group(1)))
        at = found.end()
    out.append(escape(inert(text[at:])))
    return "".join(out)


def _sequence(inside: str) -> str:
    allowed = _ALLOWED.fullmatch(inside)
    if allowed is None:
        return escape(inside)
    if allowed["url"]:
        return f"<{escape(allowed['url'])}|{escape(allowed['label'])}>"
    return f"<{inside}>"


def to_plain(text: str) -> str:
    """``text`` for a reader outside Slack: ``@U…``, ``#C…``, ``label (url)``; nothing escaped."""
    def plain(found: re.Match[str]) -> str:
        inside = found.group(1)
        allowed = _ALLOWED.fullmatch(inside)
        if allowed is not None and allowed["url"]:
            return f"{allowed['label']} ({allowed['url']})"
        if allowed is not None and allowed["fallback"]:
            return str(allowed["fallback"])
        return "@" + inside[len("!subteam^"):] if inside.startswith("!subteam^") else \
            "@here" if inside == "!here" else inside
    return inert(_TOKEN.sub(plain, text))


def moment(at: datetime) -> str:
    """A time each reader sees in their own time zone (Slack's date token), ``2026-05-01 18:00 UTC`` elsewhere."""
    return _token(f"!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC")


def as_of(at: datetime, now: datetime) -> str:
    """How fresh a reading is: ``as of 40s ago`` within the hour, else ``as of`` its time (``moment``)."""
    seconds = max(0, int((now - at).total_seconds()))
    if seconds >= 3600:
        return f"as of {moment(at)}"
    return f"as of {seconds}s ago" if seconds < 90 else f"as of {seconds // 60} min ago"
