"""What a person typed, repeated in a reply: made inert (no mention, link or code span can come of it)."""
from __future__ import annotations

import re

from core.mrkdwn import inert

_ECHO_LIMIT = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def echo(text: str) -> str:
    """``text`` a person typed, made inert: in backticks, without backticks, mentions or links."""
    clean = _CONTROL.sub(" ", inert(text)).replace("`", "").replace("<", "‹").replace(">", "›").strip()
    if len(clean) > _ECHO_LIMIT:
        clean = clean[:_ECHO_LIMIT - 1] + "…"
    return f"`{clean or ' '}`"
