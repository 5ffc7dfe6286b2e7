"""Slack's id shapes: a type letter, then upper-case letters and digits, never an underscore.

The user id is slack-api-specs' ``defs_user_id`` (``^[UW][A-Z0-9]{2,}$``); channels (``C``,
``G`` private, ``D`` direct) and user groups (``S``) follow the same rule. Each shape is kept as
its pattern text, for the larger expressions that embed it (a ``<@U…>`` sequence), and compiled,
for ``fullmatch`` on a bare id. Anything else in ``<@…>`` is not a mention: Slack shows the brackets.
"""
from __future__ import annotations

import re

USER_ID_PATTERN = r"[UW][A-Z0-9]{2,}"
CHANNEL_ID_PATTERN = r"[CGD][A-Z0-9]+"
GROUP_ID_PATTERN = r"S[A-Z0-9]+"

USER_ID = re.compile(USER_ID_PATTERN)
CHANNEL_ID = re.compile(CHANNEL_ID_PATTERN)
GROUP_ID = re.compile(GROUP_ID_PATTERN)
