"""The two ways a simulated request ends early.

    HttpError        answer with this status and body (6.0 bodies are plain strings)
    DropConnection   close the socket without answering (fault injection, outages)
"""
from __future__ import annotations

from typing import Any


class HttpError(Exception):
    """An HTTP error answer; ``body`` is a plain string (Nailgun 6.0) or a JSON value (Keystone)."""

    def __init__(self, status: int, body: Any = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class DropConnection(Exception):
    """Close the client's connection without sending a response."""


def not_found(kind: str) -> HttpError:
    """Nailgun's ``<ObjectClass> not found`` 404."""
    return HttpError(404, f"{kind} not found")


def bad_request(message: str) -> HttpError:
    """Nailgun's 400 with a plain-text message (errors.InvalidData)."""
    return HttpError(400, message)
