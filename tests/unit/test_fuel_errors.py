"""Error bodies of every shape become one server message; texts are actionable and secret-free."""
from __future__ import annotations

import json

import pytest
import requests
import urllib3.exceptions

from core.redact import register_secret
from integrations.fuel import errors


@pytest.mark.parametrize("body, expected", [
    ("Cluster not found", "Cluster not found"),                                       # 6.0 plain string
    ('"No changes to deploy"', "No changes to deploy"),                               # a JSON string
    (json.dumps({"message": "Environment with this name already exists", "errors": []}),
     "Environment with this name already exists"),                                    # 6.1+ JSON
    (json.dumps({"error": {"message": "The request you have made requires authentication.",
                           "code": 401, "title": "Unauthorized"}}),
     "The request you have made requires authentication."),                           # Keystone
    ("Authentication required", "Authentication required"),                         # keystonemiddleware
    ("", None), ("   ", None), (None, None),                                          # fake-mode 401, 204
    ("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", None),              # nginx page
    (b"Node not found", "Node not found"),
    (json.dumps({"errors": ["x"]}), '{"errors": ["x"]}'),                             # no message: raw
])
def test_server_message(body: str | bytes | None, expected: str | None) -> None:
    assert errors.server_message(body) == expected


def test_long_bodies_are_clipped() -> None:
    assert len(errors.server_message("x" * 5000) or "") <= 501


def test_http_error_carries_method_url_status_and_message() -> None:
    err = errors.http_error(method="PUT", url="http://10.20.0.2:8000/api/clusters/1/attributes",
                            path="/api/clusters/1/attributes", status=403,
                            body="Environment attributes can't be changed after, or in deploy.",
                            retryable=False, idempotent=True)
    assert (err.method, err.status, err.retryable) == ("PUT", 403, False)
    assert err.url.endswith("/api/clusters/1/attributes")
    assert err.server_message == "Environment attributes can't be changed after, or in deploy."
    assert str(err) == ("Fuel master answered 403 to PUT /api/clusters/1/attributes: "
                        "Environment attributes can't be changed after, or in deploy.")


def test_a_5xx_on_a_call_that_starts_something_says_the_outcome_is_unknown() -> None:
    err = errors.http_error(method="PUT", url="u", path="/api/clusters/1/changes", status=500,
                            body="", retryable=False, idempotent=False)
    assert "outcome is unknown" in str(err) and "tasks" in str(err) and not err.retryable


def test_unreachable_names_the_url_and_is_retryable() -> None:
    err = errors.transport_error(method="GET", url="http://10.20.0.2:8000/api/version",
                                 path="/api/version", base_url="http://10.20.0.2:8000",
                                 why="connection refused", outcome_known=True)
    assert err.retryable and "http://10.20.0.2:8000" in str(err) and "FUEL_URL" in str(err)


def test_a_lost_answer_to_a_deploy_is_not_retryable() -> None:
    err = errors.transport_error(method="PUT", url="u", path="/api/clusters/1/changes", base_url="b",
                                 why="connection dropped", outcome_known=False)
    assert not err.retryable and "outcome is unknown" in str(err)


def test_not_a_fuel_master_tells_to_check_fuel_url() -> None:
    err = errors.not_a_fuel_master(base_url="http://example.org", url="http://example.org/api/version",
                                   detail="answered 404", status=404)
    assert str(err).startswith("The server at http://example.org is not a Fuel master "
                               "(GET /api/version answered 404); check FUEL_URL")


def test_bad_credentials_names_the_user_and_variables_but_not_the_password() -> None:
    register_secret("s3cr3t-pass")
    err = errors.bad_credentials(base_url="http://m:8000", url="http://m:8000/keystone/v2.0/tokens",
                                 user="admin", tenant="admin", status=401,
                                 body='{"error": {"message": "Invalid user / password s3cr3t-pass"}}')
    assert "'admin'" in str(err) and "FUEL_USER/FUEL_PASSWORD" in str(err)
    assert "s3cr3t-pass" not in str(err) and "s3cr3t-pass" not in (err.server_message or "")


def test_tokens_echoed_by_a_server_are_scrubbed() -> None:
    register_secret("gAAAAAtoken-value-123")
    err = errors.http_error(method="GET", url="u", path="/api/x", status=400,
                            body="bad X-Auth-Token gAAAAAtoken-value-123", retryable=False,
                            idempotent=True)
    assert "gAAAAAtoken-value-123" not in str(err) + (err.server_message or "")


def test_a_2xx_that_is_not_json_points_at_the_port() -> None:
    err = errors.unexpected_body(method="GET", url="http://m/api/nodes/4", path="/api/nodes/4",
                                 status=200, body="<!DOCTYPE html><html>Fuel UI</html>")
    assert str(err) == ("Fuel master answered 200 to GET /api/nodes/4 with an HTML page instead of JSON; "
                        "is FUEL_URL pointing at the Fuel API (port 8000)?")
    assert not err.retryable


@pytest.mark.parametrize("exc, words", [
    (requests.ConnectTimeout(), "no connection within 10 s"),
    (requests.ReadTimeout(), "no answer within 10 s"),
    (requests.ConnectionError("Connection refused"), "connection refused"),
    (requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.")),
     "connection dropped"),
])
def test_describe_failure(exc: requests.RequestException, words: str) -> None:
    assert errors.describe_failure(exc, 10.0) == words
