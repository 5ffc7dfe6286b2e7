"""Turn what the Fuel master answered (or failed to answer) into a ``FuelError`` a person can act on.

Nailgun 6.0 sends error bodies as plain strings ("Cluster not found") under a JSON content
type; 6.1+ sends ``{"message": ..., "errors": [...]}``; Keystone sends
``{"error": {"message", "code", "title"}}``; nginx and foreign servers send HTML. All of them
end up as ``server_message``. Every text passes through ``scrub`` so that neither the password
nor the token can reach a log or a Slack thread through an exception.
"""
from __future__ import annotations

import json
from typing import Any

import requests

from core.errors import FuelError
from core.mrkdwn import inert
from core.redact import scrub

_MAX_MESSAGE = 500


def server_message(body: str | bytes | None) -> str | None:
    """The human message in an error body, whatever its shape; ``None`` if there is none."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = (body or "").strip()
    if not text or looks_like_html(text):
        return None
    try:
        data: Any = json.loads(text)
    except ValueError:
        return _clip(text)
    if isinstance(data, str):
        return _clip(data) or None
    if isinstance(data, dict):
        if isinstance(data.get("message"), str) and data["message"]:
            return _clip(data["message"])
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return _clip(str(error["message"]))
        if isinstance(error, str) and error:
            return _clip(error)
    return _clip(text)


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:100].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or head.startswith("<?xml")


def _clip(text: str) -> str:
    text = inert(text).strip()
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def http_error(*, method: str, url: str, path: str, status: int, body: str | bytes | None,
               retryable: bool, idempotent: bool) -> FuelError:
    """The error for an HTTP answer of 400 or more (401 is handled by the auth layer)."""
    message = server_message(body)
    said = f": {message}" if message else ""
    text = f"Fuel master answered {status} to {method} {path}{said}"
    if status >= 500:
        if not idempotent:
            text += (". The outcome is unknown: look at the environment's tasks "
                     "(GET /api/tasks?cluster_id=…) before trying again")
        elif retryable:
            text += ". The master may be busy or restarting; trying again later can help"
    return FuelError(scrub(text), method=method, url=scrub(url), status=status,
                     server_message=scrub(message) if message else None, retryable=retryable)


def describe_failure(exc: requests.RequestException, timeout: float) -> str:
    """A few words for a transport failure, without urllib3's long repr."""
    if isinstance(exc, requests.ConnectTimeout):
        return f"no connection within {timeout:g} s"
    if isinstance(exc, requests.ReadTimeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "resolution" in text or "getaddrinfo" in text:
            return "host name does not resolve"
        if "reset" in text:
            return "connection reset"
        return "connection dropped"
    return type(exc).__name__


def transport_error(*, method: str, url: str, path: str, base_url: str, why: str,
                    outcome_known: bool) -> FuelError:
    """The error for a call that got no HTTP answer at all."""
    if outcome_known:
        text = (f"Cannot reach the Fuel master at {base_url} ({method} {path}: {why}); "
                "check FUEL_URL and that the master is up")
    else:
        text = (f"Lost the Fuel master at {base_url} during {method} {path} ({why}). "
                "The outcome is unknown: look at the environment's tasks before trying again")
    return FuelError(scrub(text), method=method, url=scrub(url), status=None,
                     server_message=None, retryable=outcome_known)


def not_a_fuel_master(*, base_url: str, url: str, detail: str, status: int | None) -> FuelError:
    """``/api/version`` does not look like Nailgun's: wrong URL or port."""
    return FuelError(scrub(f"The server at {base_url} is not a Fuel master (GET /api/version "
                           f"{detail}); check FUEL_URL (a Fuel master listens on port 8000)"),
                     method="GET", url=scrub(url), status=status, retryable=False)


def bad_credentials(*, base_url: str, url: str, user: str, tenant: str, status: int,
                    body: str | bytes | None) -> FuelError:
    """Keystone refused the user's password (or the tenant)."""
    message = server_message(body)
    said = f" ({message})" if message else ""
    return FuelError(scrub(f"The Fuel master at {base_url} refused the credentials of user "
                           f"'{user}' in tenant '{tenant}' (Keystone answered {status}{said}); "
                           "check FUEL_USER/FUEL_PASSWORD"),
                     method="POST", url=scrub(url), status=status,
                     server_message=scrub(message) if message else None, retryable=False)


def token_rejected(*, base_url: str, method: str, url: str, path: str, user: str) -> FuelError:
    """A fresh token was refused too: the user exists in Keystone but may not use Nailgun."""
    return FuelError(scrub(f"The Fuel master at {base_url} refused a fresh token of user '{user}' "
                           f"for {method} {path} (401); check that FUEL_USER has the admin role"),
                     method=method, url=scrub(url), status=401, retryable=False)


def unexpected_body(*, method: str, url: str, path: str, status: int, body: str,
                    expected: str = "JSON") -> FuelError:
    """A 2xx answer whose body is not what Nailgun or Keystone send."""
    what = "an HTML page" if looks_like_html(body) else f"{body[:80]!r}"
    return FuelError(scrub(f"Fuel master answered {status} to {method} {path} with {what} instead "
                           f"of {expected}; is FUEL_URL pointing at the Fuel API (port 8000)?"),
                     method=method, url=scrub(url), status=status, retryable=False)
