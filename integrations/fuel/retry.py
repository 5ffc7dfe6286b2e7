"""When a Fuel call may be sent again, and how long to wait first.

The rule: a call is retried only when sending it twice cannot do more than sending it once.
That holds for GETs and for the PUTs that replace a whole document (attributes, network
configuration, interfaces, bulk node updates), and for any call that never left this host
(the TCP connection was refused or never opened). It does not hold for ``PUT .../changes``,
``stop_deployment``, ``reset``, cluster POST/DELETE, role assignment or OSTF testrun POSTs:
if those lose their answer, the master may have acted on them, so the caller has to look at
the tasks instead of resending. Keystone's token POST is safe to resend: it only mints a token.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import requests
import urllib3.exceptions

# 502/503/504 come from nginx when uwsgi (Nailgun) or OSTF is down, restarting or slow.
TRANSIENT_STATUSES = frozenset({502, 503, 504})
# A 500 from a GET is an unhandled error on a read; reading again is harmless and sometimes
# succeeds (Nailgun restarting, DB hiccup). A 500 from a write is never resent: in 6.0 it is
# how "deployment already started" and "reset during deploy" surface.
TRANSIENT_READ_STATUSES = TRANSIENT_STATUSES | {500}
_MAX_DELAY = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to resend and how long to back off (exponential, with jitter)."""

    retries: int = 3
    backoff: float = 0.5
    max_delay: float = _MAX_DELAY

    def retry_status(self, *, method: str, idempotent: bool, status: int) -> bool:
        """Whether an answer with ``status`` should be sent again."""
        if not idempotent:
            return False
        statuses = TRANSIENT_READ_STATUSES if method.upper() == "GET" else TRANSIENT_STATUSES
        return status in statuses

    def retry_failure(self, *, idempotent: bool, exc: requests.RequestException) -> bool:
        """Whether a call that got no answer should be sent again."""
        return idempotent or never_sent(exc)

    def delay(self, attempt: int, *, retry_after: str | None = None,
              rng: random.Random | None = None) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based).

        Jitter spreads the retries of many jobs hitting one master; half the exponential step
        is kept so that the wait still grows. A ``Retry-After`` in seconds is honoured, capped.
        """
        step = min(self.max_delay, self.backoff * (2 ** attempt))
        wait = (rng or random).uniform(step / 2, step)
        if retry_after and retry_after.strip().isdigit():
            wait = max(wait, min(float(retry_after), self.max_delay))
        return wait


def never_sent(exc: BaseException) -> bool:
    """True when the request certainly did not reach the server (no TCP connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the real cause
    return isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.ConnectTimeoutError))
