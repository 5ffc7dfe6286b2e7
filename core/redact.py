"""Keep secrets out of Slack, logs, job records and exception texts.

Known secret values (from settings and lab specs) are registered at start-up; every outgoing
text passes through :func:`scrub`, which also masks token-shaped strings and URL passwords.
"""
from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlsplit, urlunsplit

MASK = "••••"
# Shorter values (a lab's default "admin") would mask ordinary words such as the role name;
# they are not secrets worth hiding, and hiding them would make every reply unreadable.
_MIN_SECRET_LENGTH = 6
_PATTERNS = [
    re.compile(r"xox[abposre]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"https://hooks\.slack\.com/\S+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
    # key: value, key=value, "key": "value" and Ruby's "key"=>"value" (how astute.log dumps its messages)
    re.compile(r"(?i)(password|passwd|secret|token)(\"?\s*(?:=>|[:=])\s*\"?)([^\s\"',}]+)"),
]
# scheme://user:password@host: the password goes, the rest says where
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@<>|]+:)([^\s@/<>|]+)(@)")
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`scrub` masks it wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """Return ``text`` with every known secret and token-shaped string masked."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS[:-1]:
        text = pattern.sub(MASK, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return _PATTERNS[-1].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def mask_url(url: str) -> str:
    """Return ``url`` with its password (if any) replaced by the mask."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{netloc}"))


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs every record's rendered message and traceback."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            # The traceback is rendered after filters run; render it here so it is scrubbed too.
            record.exc_text = scrub(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True
