"""Turn neutral content (a ``Reply``, an outbox body) into Block Kit, and Block Kit into plain text.

Every text becomes mrkdwn here, once (``core.mrkdwn.to_slack``): ``&``, ``<`` and ``>`` are escaped
and only fuelbot's own mention and link tokens become Slack sequences, so no text reaches Slack
unescaped whoever wrote it; plain_text (buttons, confirm dialogs) gets ``to_plain``.

Slack's limits are enforced here, once: section text ≤ 3,000 characters, ≤ 50 blocks, ≤ 10 fields
per section, button text ≤ 75, value ≤ 2,000, confirm dialogs within theirs (measured after
escaping, and never cutting an entity or a sequence in two). Long output is summarised with a
note pointing at ``/fuel job <id>`` instead of flooding the channel, and the top-level ``text``
fallback (notifications, screen readers) is always set.

Every text that leaves here passes the scrubber (``core.redact``), whatever its source: this is
the last place before Slack, so a secret that slipped into a reply, an outbox body or a button's
confirmation never reaches it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from commands.api import Button, Reply
from core.mrkdwn import to_plain, to_slack
from core.redact import scrub

SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
MAX_BLOCKS = 50
MAX_FIELDS_PER_SECTION = 10
MAX_FIELD_SECTIONS = 2
MAX_LINES = 40                 # past this a message floods the channel; the rest is one command away
MAX_TEXT_SECTIONS = 4
MAX_BUTTONS = 25               # Slack's cap per actions block
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTION_ID_LIMIT = 255
CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
FALLBACK_TEXT_LIMIT = 3000
ELLIPSIS = "…"


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for ``chat.postMessage`` / ``chat.update`` / ``ack`` / ``respond``."""

    text: str
    blocks: tuple[dict, ...]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": [dict(b) for b in self.blocks]}


def render_reply(reply: Reply) -> SlackMessage:
    """The immediate answer to a command or a click."""
    return _render(reply.text, [], [], [_button_dict(b) for b in reply.buttons], None, job_id=None)


def render_outbox(text: str, body: Mapping[str, Any] | None, *, job_id: int | None = None) -> SlackMessage:
    """An outbox message: ``text`` plus the neutral ``body`` (fields, lines, actions, context)."""
    body = body or {}
    fields = [(str(f[0]), str(f[1])) for f in body.get("fields") or [] if len(f) >= 2]
    lines = [str(line) for line in body.get("lines") or []]
    actions = [dict(a) for a in body.get("actions") or []]
    return _render(text, fields, lines, actions, body.get("context"), job_id=job_id)


def _button_dict(button: Button) -> dict[str, Any]:
    return {"id": button.action_id, "label": button.label, "value": button.value, "style": button.style,
            "confirm": button.confirm}


def _render(text: str, fields: list[tuple[str, str]], lines: list[str], actions: list[dict],
            context: str | None, *, job_id: int | None) -> SlackMessage:
    text = to_slack(scrub(text or ""))
    lines = [to_slack(scrub(line)) for line in lines]
    fields = [(to_slack(scrub(label)), to_slack(scrub(value))) for label, value in fields]
    context = to_slack(scrub(str(context))) if context else None
    actions = [{**a, "label": scrub(str(a.get("label") or "")) or None,
                "confirm": scrub(str(a["confirm"])) if a.get("confirm") else a.get("confirm")} for a in actions]
    all_lines = text.splitlines() + lines
    sections, omitted = _text_sections(all_lines)
    field_sections, omitted_fields = _field_sections(fields)
    blocks: list[dict] = sections + field_sections
    if omitted or omitted_fields:
        blocks.append(_context(_more_note(omitted + omitted_fields, job_id)))
    if actions:
        blocks.append(_actions(actions))
    if context:
        blocks.append(_context(context))
    # Every part above is capped, so this only guards future growth; keep actions if we must cut.
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS - 1] + [blocks[-1]]
    return SlackMessage(text=_fallback(text, all_lines), blocks=tuple(blocks))


def _more_note(count: int, job_id: int | None) -> str:
    where = f"see `/fuel job {job_id}`" if job_id is not None else "not shown"
    return f"{ELLIPSIS} ({count} more line{'s' if count != 1 else ''}, {where})"


def _fallback(text: str, lines: list[str]) -> str:
    fallback = (text or "").strip() or next((line for line in lines if line.strip()), "") or "fuelbot"
    return cut(fallback, FALLBACK_TEXT_LIMIT)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def cut(mrkdwn: str, limit: int, *, note: str = ELLIPSIS) -> str:
    """``truncate`` for escaped mrkdwn, ending with ``note`` when cut: never splits an entity
    (``&amp;``) or a ``<…>`` sequence, which would leave a bare ``&`` or ``<`` behind."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    kept = mrkdwn[:max(0, limit - len(note))]
    amp, lt = kept.rfind("&"), kept.rfind("<")
    if amp != -1 and ";" not in kept[amp:]:
        kept = kept[:amp]
    if lt != -1 and ">" not in kept[lt:]:
        kept = kept[:lt]
    return kept + note


def _text_sections(lines: list[str]) -> tuple[list[dict], int]:
    """Pack lines into sections within the limits; return the sections and how many lines were left out."""
    shown = lines[:MAX_LINES]
    omitted = len(lines) - len(shown)
    limit = SECTION_TEXT_LIMIT - 8     # room to re-open and close a code fence cut between sections
    chunks: list[list[str]] = [[]]
    size = 0
    for index, raw in enumerate(shown):
        line = cut(raw, limit)
        if chunks[-1] and size + len(line) + 1 > limit:
            if len(chunks) == MAX_TEXT_SECTIONS:
                omitted += len(shown) - index
                break
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    texts = ["\n".join(chunk) for chunk in chunks]
    return _balance_fences([_section(t) for t in texts if t.strip()]), omitted


def _balance_fences(sections: list[dict]) -> list[dict]:
    # A ``` block cut between two sections would swallow the rest of the message's formatting.
    carry = False
    for section in sections:
        body = section["text"]["text"]
        if carry:
            body = "```\n" + body
        carry = body.count("```") % 2 == 1
        if carry:
            body += "\n```"
        section["text"]["text"] = body
    return sections


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_TEXT_LIMIT)}]}


def _field_sections(fields: list[tuple[str, str]]) -> tuple[list[dict], int]:
    capacity = MAX_FIELDS_PER_SECTION * MAX_FIELD_SECTIONS
    shown, omitted = fields[:capacity], max(0, len(fields) - capacity)
    sections = []
    for start in range(0, len(shown), MAX_FIELDS_PER_SECTION):
        chunk = shown[start:start + MAX_FIELDS_PER_SECTION]
        sections.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": cut(f"*{label}*\n{value}", FIELD_TEXT_LIMIT)} for label, value in chunk]})
    return sections, omitted


def _actions(actions: Iterable[Mapping[str, Any]]) -> dict:
    elements, seen = [], set()
    for action in list(actions)[:MAX_BUTTONS]:
        action_id = truncate(str(action.get("id") or "action"), ACTION_ID_LIMIT - 4)
        base, n = action_id, 1
        while action_id in seen:      # Slack rejects duplicate action_ids in one block
            n += 1
            action_id = f"{base}:{n}"
        seen.add(action_id)
        label = truncate(to_plain(str(action.get("label") or action_id)), BUTTON_TEXT_LIMIT)
        element: dict[str, Any] = {"type": "button", "action_id": action_id,
                                   "text": {"type": "plain_text", "text": label, "emoji": True},
                                   "value": truncate(str(action.get("value") or ""), BUTTON_VALUE_LIMIT)}
        if action.get("style") in ("primary", "danger"):
            element["style"] = action["style"]
        if action.get("confirm"):
            element["confirm"] = _confirm(to_plain(str(action["confirm"])), label, action.get("style"))
        elements.append(element)
    return {"type": "actions", "elements": elements}


def _confirm(question: str, label: str, style: str | None) -> dict:
    def plain(kind: str, text: str) -> dict:
        return {"type": "plain_text", "text": truncate(text, CONFIRM_LIMITS[kind])}
    dialog: dict[str, Any] = {"title": plain("title", "Are you sure?"), "text": plain("text", question),
              "confirm": plain("confirm", f"Yes, {label.lower()}"), "deny": plain("deny", "No, keep it")}
    if style in ("primary", "danger"):
        dialog["style"] = style
    return dialog


def base_action_id(action_id: str) -> str:
    """The action id a listener knows, without the ``:n`` suffix added for duplicates in one block."""
    return action_id.split(":", 1)[0]


# -- plain text (the console) -----------------------------------------------------------------
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_MENTION = re.compile(r"<[@#!]([^<>|]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")


def mrkdwn_to_plain(text: str, *, show_urls: bool = False) -> str:
    """Slack mrkdwn made readable in a terminal (links, mentions, bold, italics; code kept as is).

    A link shows its label; with ``show_urls`` a web link shows ``label (url)``, for a terminal
    where nothing can be clicked.
    """
    parts = text.split("`")
    for index in range(0, len(parts), 2):   # even parts are outside `code`, where Slack formats
        part = _LINK.sub(lambda m: _link_text(m, show_urls), parts[index])
        part = _MENTION.sub(r"@\1", part)
        part = _BOLD.sub(r"\1", part)
        parts[index] = _ITALIC.sub(r"\1", part)
    return "`".join(parts).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _link_text(match: re.Match[str], show_urls: bool) -> str:
    url, label = match.group(1), match.group(2)
    return f"{label} ({url})" if show_urls and url.startswith(("http://", "https://")) else label


def plain_lines(text: str, blocks: Sequence[Mapping[str, Any]], *,
                button_label: Callable[[Mapping[str, Any]], str] | None = None, show_urls: bool = False) -> list[str]:
    """The message as terminal lines; ``button_label`` names each button (default ``[Label]``)."""
    label = button_label or (lambda element: f"[{element.get('text', {}).get('text', '?')}]")

    def plain(mrkdwn: str) -> str:
        return mrkdwn_to_plain(mrkdwn, show_urls=show_urls)

    if not blocks:
        return plain(text or "").splitlines() or [""]
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header") and block.get("text"):
            out.extend(plain(block["text"].get("text", "")).splitlines())
        if kind == "section" and block.get("fields"):
            pairs = [plain(f.get("text", "")).replace("\n", ": ", 1) for f in block["fields"]]
            out.append(" · ".join(pairs))
        elif kind == "context":
            out.append(" · ".join(plain(e.get("text", "")) for e in block.get("elements", [])))
        elif kind == "actions":
            out.append(" ".join(label(e) for e in block.get("elements", []) if e.get("type") == "button"))
        elif kind == "divider":
            out.append("─" * 24)
    return out or [""]
