"""Keystone v2.0 as the Fuel master runs it: tokens by password or by token, expiry, logout.

Tokens are UUID-style (32 hex digits, Keystone's default ``uuid`` provider in Juno); their life
is measured in wall seconds so clients see expiry whatever the simulation speed.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sim.fuel.errors import HttpError

_USER_ID = "3b3b5bd5b7e44c5f8b4a8f0b6f1f2a11"
_TENANT_ID = "4f8b0c2b6d0e4b0f9a1d2c3e4f5a6b7c"


def keystone_error(status: int, title: str, message: str) -> HttpError:
    return HttpError(status, {"error": {"message": message, "code": status, "title": title}})


def unauthorized() -> HttpError:
    return keystone_error(401, "Unauthorized", "The request you have made requires authentication.")


@dataclass
class _Token:
    user: str
    tenant: str
    issued: float
    expires: float


class TokenStore:
    """Issued tokens and the one admin account; callers hold the state lock."""

    def __init__(self, *, user: str, password: str, tenant: str, ttl: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.user, self.password, self.tenant, self.ttl = user, password, tenant, ttl
        self._monotonic = monotonic
        self._tokens: dict[str, _Token] = {}

    def valid(self, token: object) -> bool:
        if not isinstance(token, str) or not token:
            return False
        entry = self._tokens.get(token)
        return entry is not None and entry.expires > self._monotonic()

    def expire_all(self) -> None:
        """Every token issued so far stops working now (clients must log in again)."""
        now = self._monotonic()
        for entry in self._tokens.values():
            entry.expires = min(entry.expires, now)

    def revoke(self, token: str) -> None:
        self._tokens.pop(token, None)

    def clear(self) -> None:
        self._tokens.clear()

    def authenticate(self, body: Any) -> dict[str, Any]:
        """``POST /keystone/v2.0/tokens``: a new token from a password or from a valid token."""
        auth = body.get("auth") if isinstance(body, dict) else None
        if not isinstance(auth, dict):
            raise keystone_error(400, "Bad Request", "Expecting to find auth in request body - the server could "
                                 "not comply with the request since it is either malformed or otherwise incorrect."
                                 " The client is assumed to be in error.")
        tenant = auth.get("tenantName") or self.tenant
        if auth.get("tenantId") not in (None, _TENANT_ID) or tenant != self.tenant:
            raise unauthorized()
        if isinstance(auth.get("passwordCredentials"), dict):
            creds = auth["passwordCredentials"]
            if creds.get("username") != self.user or creds.get("password") != self.password:
                raise unauthorized()
        elif isinstance(auth.get("token"), dict):
            if not self.valid(auth["token"].get("id")):
                raise unauthorized()
        else:
            raise keystone_error(400, "Bad Request", "Expecting to find passwordCredentials or token in auth.")
        now = self._monotonic()
        token_id = uuid.uuid4().hex
        self._tokens[token_id] = _Token(self.user, self.tenant, now, now + self.ttl)
        return self._access(token_id)

    def change_password(self, user_id: str, token: object, body: Any) -> dict[str, Any]:
        """``PATCH /keystone/v2.0/OS-KSCRUD/users/<id>``: the UI's "Change password".

        As Keystone's user_crud extension does (keystone ``contrib/user_crud/core.py``): the
        caller's token must be valid and belong to that user, ``original_password`` must be
        given and right; then every token of the user is revoked and a new one returned.
        The 6.0 UI sends it with its token (fuel-web 6.0 ``static/js/keystone_client.js``).
        """
        if not self.valid(token):
            raise unauthorized()
        if user_id != _USER_ID:
            raise keystone_error(403, "Forbidden", "Token belongs to another user")
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict) or not isinstance(user.get("password"), str) or not user["password"]:
            raise keystone_error(400, "Bad Request", "Expecting to find password in user - the server could not "
                                 "comply with the request since it is either malformed or otherwise incorrect. "
                                 "The client is assumed to be in error.")
        if user.get("original_password") is None:
            raise keystone_error(400, "Bad Request", "Expecting to find original password in user - the server "
                                 "could not comply with the request since it is either malformed or otherwise "
                                 "incorrect. The client is assumed to be in error.")
        if user["original_password"] != self.password:
            raise unauthorized()
        self.reset_password(user["password"])
        return self.authenticate({"auth": {"passwordCredentials": {"username": self.user,
                                                                   "password": self.password}}})

    def reset_password(self, password: str) -> None:
        """Set the admin password and revoke every token (a fresh install does this too)."""
        self.password = password
        self._tokens.clear()

    def _access(self, token_id: str) -> dict[str, Any]:
        entry = self._tokens[token_id]
        utc = datetime.now(timezone.utc)
        expires = utc + timedelta(seconds=max(0.0, entry.expires - self._monotonic()))
        tenant = {"id": _TENANT_ID, "name": entry.tenant, "enabled": True, "description": None}
        endpoint = "http://10.20.0.2:5000/v2.0"
        return {"access": {
            "token": {"id": token_id, "issued_at": utc.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                      "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "tenant": tenant},
            "serviceCatalog": [{"type": "identity", "name": "keystone", "endpoints_links": [], "endpoints": [
                {"adminURL": "http://10.20.0.2:35357/v2.0", "region": "RegionOne", "internalURL": endpoint,
                 "id": "1", "publicURL": endpoint}]}],
            "user": {"id": _USER_ID, "name": entry.user, "username": entry.user,
                     "roles": [{"name": "admin"}], "roles_links": []},
            "metadata": {"is_admin": 0, "roles": ["8d2e8e7e2a8c4c0e9f7f3b1b2a1c0d9e"]}}}


VERSION_DOCUMENT = {"version": {
    "status": "stable", "updated": "2014-04-17T00:00:00Z", "id": "v2.0",
    "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v2.0+json"}],
    "links": [{"href": "http://10.20.0.2:5000/v2.0/", "rel": "self"}]}}
