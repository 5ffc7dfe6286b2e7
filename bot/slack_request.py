"""Is a POST to ``/slack/events`` Slack's, and something Bolt can route? Decided on the raw body.

Bolt parses a request before it checks the signature, so a forged body that does not parse
became a 500 and an ERROR line with its text, and a signed one without the fields a listener
reads became a crash. Here, before Bolt sees anything: 401 for a request not signed with the
signing secret within Slack's five minutes (``Signature``, on the raw bytes);
then 400 for a signed body that is not a slash command, an interaction payload or an Events API
envelope. Neither is an error of fuelbot's: they are counted, not logged as errors.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Verdict:
    """``status`` 200 (hand it to Bolt), 401 (not Slack's) or 400 (Slack's, but not a payload fuelbot takes)."""

    status: int
    reason: str


OK = Verdict(200, "ok")
MAX_AGE_SECONDS = 300


class Signature:
    """Slack's request signature, ``v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>")``, on bytes.

    The same computation and five-minute window as slack_sdk's ``SignatureVerifier``
    (``slack_sdk/signature/__init__.py``), which decodes the body as UTF-8 first and so raises on
    a forged body that is not: here any bytes are simply not signed.
    """

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._key = secret.encode()
        self._clock = clock

    def is_valid(self, *, body: bytes, timestamp: str, signature: str) -> bool:
        if not timestamp.isdigit() or abs(self._clock() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        digest = hmac.new(self._key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}".encode(), signature.encode("utf-8", "replace"))


def check(body: bytes, headers: Mapping[str, str], verifier: Signature) -> Verdict:
    """The verdict on one request; ``headers`` with lower-case names."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        return Verdict(401, "unsigned")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return Verdict(401, "bad signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict(400, "not UTF-8")
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == JSON:
        return _envelope(text)
    if content_type == FORM:
        return _form(text)
    return Verdict(400, f"content type {content_type or 'missing'}")


def _envelope(text: str) -> Verdict:
    document = _json(text)
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        return Verdict(400, "not an Events API envelope")
    if document["type"] == "event_callback" and not isinstance(document.get("event"), dict):
        return Verdict(400, "event_callback without an event")
    return OK


def _form(text: str) -> Verdict:
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=100)
    except ValueError:
        return Verdict(400, "form does not parse")
    first = {name: values[0] for name, values in fields.items()}
    if "payload" in first:
        payload = _json(first["payload"])
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return Verdict(400, "payload is not an interaction")
        if not isinstance(payload.get("user"), dict) or not isinstance(payload["user"].get("id"), str):
            return Verdict(400, "interaction without a user")
        return OK
    if "command" in first:
        if not all(first.get(name) for name in ("user_id", "channel_id")):
            return Verdict(400, "slash command without user_id or channel_id")
        return OK
    if first.get("ssl_check") == "1":
        return OK
    return Verdict(400, "neither a command, an interaction nor an ssl check")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
