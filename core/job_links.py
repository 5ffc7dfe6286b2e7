"""Signed, expiring links to a job's page (``/jobs/<id>?expires=…&sig=…``).

The signature is an HMAC-SHA256 of the job id and the expiry under ``FUELBOT_JOB_LINK_KEY``, so
any replica sharing the key can check a link and nobody without it can make one or stretch its
life. A link carries no secret and grants one thing: reading that job's page until it expires.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from core.errors import FuelbotError


class LinkRefused(FuelbotError):
    """A job link that is malformed, forged or expired; ``expired`` tells which kind."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class JobLinks:
    """Makes and checks job page links for one base URL and key."""

    base_url: str                     # where people reach fuelbot's web server, e.g. https://fuelbot.example.com
    key: str = field(repr=False)
    ttl_seconds: float = 7 * 24 * 3600

    def link(self, job_id: int, *, now: float | None = None) -> str:
        """The page of job ``job_id``, valid for ``ttl_seconds`` from ``now``."""
        expires = int((time.time() if now is None else now) + self.ttl_seconds)
        query = urlencode({"expires": expires, "sig": self._sign(job_id, expires)})
        return f"{self.base_url.rstrip('/')}/jobs/{job_id}?{query}"

    def check(self, job_id: int, query: str, *, now: float | None = None) -> None:
        """Raise ``LinkRefused`` unless ``query`` (the URL's query string) is a live signature for ``job_id``."""
        values = parse_qs(query)
        raw_expires, sig = values.get("expires", [""])[-1], values.get("sig", [""])[-1]
        if not raw_expires.isdigit() or not sig:
            raise LinkRefused("This link is incomplete: it lacks its signature or expiry.")
        expires = int(raw_expires)
        if not hmac.compare_digest(sig, self._sign(job_id, expires)):
            raise LinkRefused("This link is not valid: its signature does not match.")
        if expires < (time.time() if now is None else now):
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires))
            raise LinkRefused(f"This link expired on {stamp}.", expired=True)

    def _sign(self, job_id: int, expires: int) -> str:
        return hmac.new(self.key.encode(), f"job-page:{job_id}:{expires}".encode(), hashlib.sha256).hexdigest()
