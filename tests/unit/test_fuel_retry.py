"""Which Fuel calls are resent, on what, and after how long."""
from __future__ import annotations

import random

import pytest
import requests
import urllib3.exceptions
from hypothesis import given
from hypothesis import strategies as st

from integrations.fuel.retry import RetryPolicy, never_sent

POLICY = RetryPolicy(retries=3, backoff=0.5)


def _refused() -> requests.ConnectionError:
    cause = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: "
                                                        "[Errno 111] Connection refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/api/version", cause))


def _dropped() -> requests.ConnectionError:
    return requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.",
                                                                     ConnectionResetError()))


@pytest.mark.parametrize("method, idempotent, status, retried", [
    ("GET", True, 503, True), ("GET", True, 502, True), ("GET", True, 504, True),
    ("GET", True, 500, True),            # a read may be resent after an unhandled error
    ("PUT", True, 503, True),            # attributes / network config / interfaces
    ("PUT", True, 500, False),           # a 500 on a write is a real answer
    ("PUT", False, 503, False),          # PUT .../changes, stop_deployment, reset
    ("POST", False, 502, False),         # cluster create, testruns
    ("DELETE", False, 504, False),       # cluster delete
    ("GET", True, 404, False), ("GET", True, 401, False), ("GET", True, 400, False),
    ("GET", True, 200, False), ("PUT", True, 409, False),
])
def test_retry_on_status(method: str, idempotent: bool, status: int, retried: bool) -> None:
    assert POLICY.retry_status(method=method, idempotent=idempotent, status=status) is retried


@pytest.mark.parametrize("exc, idempotent, retried", [
    (_refused(), True, True),
    (_refused(), False, True),           # never reached the master: safe even for a deploy
    (requests.ConnectTimeout(), False, True),
    (_dropped(), True, True),
    (_dropped(), False, False),          # the deploy may have started: never resend blindly
    (requests.ReadTimeout(), True, True),
    (requests.ReadTimeout(), False, False),
])
def test_retry_on_failure(exc: requests.RequestException, idempotent: bool, retried: bool) -> None:
    assert POLICY.retry_failure(idempotent=idempotent, exc=exc) is retried


def test_never_sent_only_when_no_connection_was_made() -> None:
    assert never_sent(_refused()) and never_sent(requests.ConnectTimeout())
    assert not never_sent(_dropped()) and not never_sent(requests.ReadTimeout())
    assert not never_sent(ValueError())


@given(attempt=st.integers(0, 10), backoff=st.floats(0.01, 5), seed=st.integers(0, 2 ** 32))
def test_delay_is_exponential_with_jitter_and_capped(attempt: int, backoff: float, seed: int) -> None:
    policy = RetryPolicy(retries=3, backoff=backoff, max_delay=10.0)
    step = min(10.0, backoff * 2 ** attempt)
    delay = policy.delay(attempt, rng=random.Random(seed))
    assert step / 2 <= delay <= step <= 10.0


def test_delays_grow() -> None:
    rng = random.Random(1)
    delays = [POLICY.delay(a, rng=rng) for a in range(4)]
    assert delays[0] <= 0.5 and 2.0 <= delays[3] <= 4.0


def test_retry_after_is_honoured_but_capped() -> None:
    assert POLICY.delay(0, retry_after="3") >= 3.0
    assert POLICY.delay(0, retry_after="3600") <= 10.0
    assert POLICY.delay(0, retry_after="Wed, 21 Oct 2015 07:28:00 GMT") <= 0.5
