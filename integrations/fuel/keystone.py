"""The Fuel UI's "Change password", as it does it: Keystone v2.0 through the master's nginx.

fuel-web 6.0 ``nailgun/static/js/keystone_client.js``: log in (``POST /keystone/v2.0/tokens``,
which also names the user's id), then ``PATCH /keystone/v2.0/OS-KSCRUD/users/<id>`` with the
token and ``{"user": {"password": new, "original_password": current}}``. Keystone revokes the
user's tokens and answers with a new one. Passwords are registered for scrubbing and never
appear in an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from core.errors import FuelError
from core.mrkdwn import inert_all
from core.redact import register_secret, scrub
from integrations.fuel import errors
from integrations.fuel.session import TOKENS_ROUTE, base_url

CHANGE_ROUTE = "/keystone/v2.0/OS-KSCRUD/users/{user_id}"


@dataclass(frozen=True)
class Login:
    token: str
    user_id: str


class KeystoneAccount:
    """One user's password on a Fuel master's Keystone."""

    def __init__(self, *, url: str, user: str, tenant: str = "admin", timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url(url)
        self.user, self.tenant, self.timeout = user, tenant, timeout
        self._http = session or requests.Session()

    def login(self, password: str) -> Login | None:
        """A token for ``password``, or None when Keystone refuses it (401)."""
        register_secret(password)
        body = {"auth": {"passwordCredentials": {"username": self.user, "password": password},
                         "tenantName": self.tenant}}
        reply = self._send("POST", TOKENS_ROUTE, body=body)
        if reply.status_code == 401:
            return None
        data = self._json(reply, TOKENS_ROUTE)
        try:
            token, user_id = data["access"]["token"]["id"], data["access"]["user"]["id"]
        except (TypeError, KeyError):
            raise errors.unexpected_body(method="POST", url=reply.url, path=TOKENS_ROUTE, status=reply.status_code,
                                         body=reply.text, expected="a Keystone token") from None
        register_secret(token)
        return Login(token=str(token), user_id=str(user_id))

    def change_password(self, current: str, new: str) -> None:
        """Change the password as the UI does; raises ``FuelError`` when Keystone refuses."""
        register_secret(new)
        session = self.login(current)
        if session is None:
            raise FuelError(f"Keystone at {self.base_url} refused the current password of '{self.user}'; "
                            "cannot change it", status=401, retryable=False)
        path = CHANGE_ROUTE.format(user_id=session.user_id)
        reply = self._send("PATCH", path, body={"user": {"password": new, "original_password": current}},
                           token=session.token)
        self._json(reply, path)

    def _send(self, method: str, path: str, *, body: Any, token: str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["X-Auth-Token"] = token
        try:
            return self._http.request(method, self.base_url + path, json=body, headers=headers,
                                      timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            # A token request is harmless to repeat; a password change cut off may or may not have happened.
            raise errors.transport_error(method=method, url=self.base_url + path, path=path,
                                         base_url=self.base_url, why=errors.describe_failure(exc, self.timeout),
                                         outcome_known=method == "POST") from None

    def _json(self, reply: requests.Response, path: str) -> Any:
        if reply.status_code >= 400:
            raise errors.http_error(method=reply.request.method or "?", url=reply.url, path=path,
                                    status=reply.status_code, body=reply.content, idempotent=False,
                                    retryable=reply.status_code in (502, 503))
        try:
            return inert_all(reply.json())
        except ValueError:
            raise errors.unexpected_body(method=reply.request.method or "?", url=reply.url, path=path,
                                         status=reply.status_code, body=scrub(reply.text)) from None
