"""How a lab spec's problems show what they are about: a value as written (never as interpolated, a
URL may carry a password), what a node is, and the closest allowed word."""
from __future__ import annotations

import difflib

from yaml.nodes import MappingNode, Node, SequenceNode

_SHOWN_MAX = 60


def suggest(word: str, choices: tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def show(raw: str, value: str) -> str:
    """A value for a problem line: as written, never as interpolated (a URL may carry a password)."""
    if "${" in raw:
        return f"{_clip(raw.strip())} (its value is not shown)"
    return _clip(value)


def hide(message: str, raw: str, value: str) -> str:
    """A check's message with the interpolated ``value`` replaced by the reference it came from."""
    return message.replace(value, raw.strip()) if "${" in raw and value else message


def _clip(text: str) -> str:
    return repr(text if len(text) <= _SHOWN_MAX else text[:_SHOWN_MAX] + "…")


def kind_of(node: Node) -> str:
    """What a node is, for a problem line: ``a mapping``, ``a list`` or ``the value '…'``."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {show(node.value, node.value)}"
