"""Texts as tests write them: fuelbot's mention and link tokens shown as their Slack sequences.

A reply's text carries ``core.mrkdwn`` tokens, not ``<@U…>``; ``readable`` turns each into the
sequence Slack would get and leaves the rest as it is (unescaped), so a test can say
``"Admins: <@U0CAROL>."`` and still see a ``<lab>`` typed by fuelbot as ``<lab>``.
"""
from __future__ import annotations

from dataclasses import replace
from html import unescape

from commands.api import Reply
from core.mrkdwn import to_slack


def readable(text: str) -> str:
    """``text`` with its tokens as Slack sequences and nothing escaped."""
    return unescape(to_slack(text))


def readable_reply(reply: Reply) -> Reply:
    return replace(reply, text=readable(reply.text))
