"""Block Kit and message text as Slack checks them, for LocalSlack.

``block_problems`` runs every block through the official SDK's models (``slack_sdk.models.blocks``:
``Block.parse`` then ``to_dict()``, which validates each element's documented limits), refuses
what the SDK would silently drop (unknown block types and fields), and adds the documented
limits the SDK does not check (docs.slack.dev/reference/block-kit): at most 50 blocks in a
message; block_ids unique in a message and action_ids unique in a block; a section field at most
2,000 characters; text objects of type plain_text or mrkdwn, never empty; context and actions
blocks with at least one element. Slack answers such a payload ``invalid_blocks``.

``text_problems`` looks at what Slack parses in mrkdwn (the top-level ``text`` and every mrkdwn
text object). Two kinds, both breaches of the contract:
* ``control_characters``: C0 control characters (other than newline and tab), which no message
  should carry;
* ``unescaped``: Slack's own control characters ``&``, ``<`` and ``>`` outside the sequences
  Slack defines (``<@U…>``, ``<#C…>``, ``<!here>``, ``<!subteam^S…>``, ``<url|label>``, …) and
  the entities ``&amp;``, ``&lt;``, ``&gt;`` (docs.slack.dev/messaging/formatting-message-text,
  "Escaping text"). A line's leading ``>`` is a block quote and allowed.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from core.slack_ids import CHANNEL_ID_PATTERN, GROUP_ID_PATTERN, USER_ID_PATTERN

MAX_BLOCKS = 50
FIELD_TEXT_LIMIT = 2000
MESSAGE_TEXT_LIMIT = 40_000          # Slack truncates longer text (2018-04 changelog)
TEXT_TYPES = ("plain_text", "mrkdwn")

_SEQUENCE = re.compile(
    rf"<(?:[@]{USER_ID_PATTERN}(?:\|[^<>]*)?"          # user mention
    rf"|#{CHANNEL_ID_PATTERN}(?:\|[^<>]*)?"          # channel link
    r"|!(?:here|channel|everyone)(?:\|[^<>]*)?"     # special mentions
    rf"|!subteam\^{GROUP_ID_PATTERN}(?:\|[^<>]*)?"   # user group mention
    r"|!date\^[^<>|]+(?:\|[^<>]*)?"                 # date formatting
    r"|(?:https?|mailto|slack):[^<>|\s]+(?:\|[^<>]*)?"   # link, with an optional label
    r")>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_C0 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class MessageCheck:
    """What Slack makes of a message: its error (None: taken), broken rules, unescaped mrkdwn."""

    blocks: list[Any] = field(default_factory=list)
    error: str | None = None
    violations: tuple[str, ...] = ()
    unescaped: tuple[str, ...] = ()


def check_message(text: Any, raw_blocks: Any, *, mrkdwn: Any = True) -> MessageCheck:
    """Check a message's ``text`` and ``blocks`` the way Slack would take them."""
    blocks, error = parse_blocks(raw_blocks)
    if blocks is None:
        return MessageCheck(error=error, violations=(f"blocks are not a JSON list of objects: {raw_blocks!r:.80}",))
    problems = block_problems(blocks)
    if problems:
        return MessageCheck(blocks=blocks, error="invalid_blocks", violations=tuple(problems))
    text = "" if text is None else str(text)
    violations = []
    if len(text) > MESSAGE_TEXT_LIMIT:
        violations.append(f"text of {len(text)} characters (Slack truncates past {MESSAGE_TEXT_LIMIT})")
    parsed = mrkdwn_texts(text, blocks, mrkdwn=str(mrkdwn).lower() not in ("false", "0"))
    for piece in [text] + [str(t.get("text", "")) for t in text_objects(blocks)]:
        bad = control_characters(piece)
        if bad:
            violations.append(f"control characters {', '.join(bad)} in {piece[:60]!r}")
    found = tuple(problem for piece in parsed for problem in unescaped(piece))
    return MessageCheck(blocks=blocks, violations=tuple(violations), unescaped=found)


def parse_blocks(raw: Any) -> tuple[list[Any] | None, str | None]:
    """``blocks`` as a list (form bodies carry them as JSON text); (None, error) when unreadable."""
    if raw is None or raw == "":
        return [], None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None, "invalid_blocks_format"
    if not isinstance(raw, list) or not all(isinstance(b, dict) for b in raw):
        return None, "invalid_blocks_format"
    return raw, None


def block_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Why Slack would refuse ``blocks`` (empty when it would take them)."""
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a message holds at most {MAX_BLOCKS}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("block_ids repeat within the message")
    for index, block in enumerate(blocks):
        problems += [f"/blocks/{index}: {p}" for p in _block_problems(block)]
    return problems


def _block_problems(block: dict[str, Any]) -> list[str]:
    sdk_logger = logging.getLogger("slack_sdk.models.blocks.blocks")
    level = sdk_logger.level
    sdk_logger.setLevel(logging.ERROR)          # we report unknown types ourselves
    try:
        parsed = Block.parse(block)
    finally:
        sdk_logger.setLevel(level)
    if parsed is None:
        return [f"unknown block type {block.get('type')!r}"]
    try:
        normalised = parsed.to_dict()
    except SlackObjectFormationError as exc:
        return [str(exc)]
    problems = [f"unknown field {path}" for path in _lost_keys(block, normalised, "")]
    problems += _documented_limits(block)
    return problems


def _lost_keys(given: Any, kept: Any, path: str) -> Iterator[str]:
    """Keys of ``given`` the SDK's round trip dropped: fields Slack does not know."""
    if isinstance(given, dict) and isinstance(kept, dict):
        for key, value in given.items():
            if key not in kept:
                yield f"{path}/{key}"
            else:
                yield from _lost_keys(value, kept[key], f"{path}/{key}")
    elif isinstance(given, list) and isinstance(kept, list):
        for index, (a, b) in enumerate(zip(given, kept)):
            yield from _lost_keys(a, b, f"{path}/{index}")


def _documented_limits(block: dict[str, Any]) -> list[str]:
    problems = []
    kind = block.get("type")
    if kind in ("context", "actions") and not block.get("elements"):
        problems.append(f"a {kind} block needs at least one element")
    if kind == "actions":
        ids = [e.get("action_id") for e in block.get("elements", []) if e.get("action_id")]
        if len(ids) != len(set(ids)):
            problems.append("action_ids repeat within the block")
    for field in block.get("fields") or []:
        if len(str(field.get("text", ""))) > FIELD_TEXT_LIMIT:
            problems.append(f"a field's text exceeds {FIELD_TEXT_LIMIT} characters")
    for text in text_objects(block):
        if text.get("type") not in TEXT_TYPES:
            problems.append(f"text object of type {text.get('type')!r} (plain_text or mrkdwn)")
        elif not str(text.get("text", "")):
            problems.append("empty text object (must be more than 0 characters)")
    return problems


def text_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every composition text object (``{"type": …, "text": str}``) inside ``value``."""
    if isinstance(value, dict):
        if isinstance(value.get("text"), str) and value.get("type") != "button":
            yield value
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                yield from text_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_objects(item)


def mrkdwn_texts(text: str | None, blocks: list[dict[str, Any]], *, mrkdwn: bool = True) -> list[str]:
    """The texts Slack parses as mrkdwn: the top-level text (unless ``mrkdwn`` is off) and mrkdwn objects."""
    texts = [text] if text and mrkdwn else []
    texts += [str(t["text"]) for t in text_objects(blocks) if t.get("type") == "mrkdwn"]
    return texts


def control_characters(text: str) -> list[str]:
    """C0 control characters in ``text`` (newline and tab are fine)."""
    return [f"U+{ord(c):04X}" for c in sorted(set(_C0.findall(text)))]


def unescaped(text: str) -> list[str]:
    """Slack control characters in ``text`` that are neither a Slack sequence nor an entity."""
    found = []
    for line in text.split("\n"):
        rest = _ENTITY.sub("", _SEQUENCE.sub("", line))
        if rest.startswith(">"):
            rest = rest[1:]                      # a block quote
        for char in "&<>":
            if char in rest:
                found.append(f"{char!r} in {_excerpt(line, char)!r}")
    return found


def _excerpt(line: str, char: str, width: int = 30) -> str:
    at = line.find(char)
    return line[max(0, at - width):at + width]
