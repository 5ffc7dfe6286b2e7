"""The HTTP layer under ``FuelClient``: Keystone token, timeouts, retries, error mapping, counting.

Resources (``clusters``, ``nodes``, ``tasks``, ``ostf``) describe calls as a method, a route
template and whether the call is idempotent; this module sends them. Nothing here runs at
construction: the first call probes ``GET /api/version`` (public) to learn whether the master
wants a token, logs in to Keystone if so, and only then sends the call.

On a 401 the token is dropped, a new one fetched and the call sent once more — safe for any
method, because Nailgun's auth middleware rejects the call before a handler sees it.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any, BinaryIO, Mapping

import requests

from core.errors import FuelError, SnapshotTooLarge
from core.mrkdwn import inert_all
from core.redact import mask_url, register_secret
from integrations.fuel import errors
from integrations.fuel.models import FuelVersion
from integrations.fuel.retry import RetryPolicy

log = logging.getLogger(__name__)

VERSION_ROUTE = "/api/version"
TOKENS_ROUTE = "/keystone/v2.0/tokens"
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class FuelSession:
    """Sends Nailgun/OSTF/Keystone calls for one Fuel master and one user."""

    def __init__(self, *, url: str, user: str, password: str, tenant: str = "admin",
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
                 session: requests.Session | None = None) -> None:
        self.base_url = _base_url(url)
        self.user = user
        self.tenant = tenant
        self.timeout = timeout
        self.policy = RetryPolicy(retries=retries, backoff=backoff)
        self.request_count: Counter[str] = Counter()
        register_secret(password)
        self._password = password
        self._owns_session = session is None
        self._http = session if session is not None else requests.Session()
        self._lock = threading.RLock()
        self._token: str | None = None
        self._auth_required: bool | None = None  # unknown until /api/version answers

    def __repr__(self) -> str:  # the password and token must never show up in a repr
        return f"FuelSession(url={mask_url(self.base_url)!r}, user={self.user!r})"

    def close(self) -> None:
        """Release pooled connections (only when this object created the ``requests`` session)."""
        if self._owns_session:
            self._http.close()

    # -- calls ----------------------------------------------------------------------------

    def call(self, method: str, route: str, *, params: Mapping[str, Any] | None = None,
             body: Any = None, idempotent: bool | None = None, **path: Any) -> Any:
        """Send one call and return its decoded JSON (``None`` for an empty body).

        ``route`` is a template such as ``/api/clusters/{cluster_id}``; it is also the key under
        which the call is counted. ``idempotent`` defaults to "is a GET".
        """
        method = method.upper()
        idempotent = method == "GET" if idempotent is None else idempotent
        self._ensure_login()
        resp = self._send(method, route, path, params=params, body=body, idempotent=idempotent)
        if resp.status_code == 401:
            self._relogin()
            resp = self._send(method, route, path, params=params, body=body, idempotent=idempotent)
            if resp.status_code == 401:
                raise errors.token_rejected(base_url=self.base_url, method=method, url=resp.url,
                                            path=route.format(**path), user=self.user)
        return self._decode(method, route.format(**path), resp, idempotent=idempotent)

    def download(self, path: str, dest: BinaryIO, *, max_bytes: int, chunk_size: int = 1 << 16) -> int:
        """Stream ``GET <master><path>`` (nginx's ``/dump/…``, no token) into ``dest``; return its size.

        Past ``max_bytes`` (announced by Content-Length, or counted while reading) it stops and
        raises ``SnapshotTooLarge``; what was written to ``dest`` is then incomplete.
        """
        url = self.base_url + path
        with self._lock:
            self.request_count["GET /dump/{name}"] += 1
        try:
            with self._http.get(url, stream=True, timeout=self.timeout, allow_redirects=False) as resp:
                if resp.status_code >= 400:
                    raise errors.http_error(method="GET", url=url, path=path, status=resp.status_code,
                                            body=next(resp.iter_content(4096), b""), idempotent=True,
                                            retryable=resp.status_code >= 500)
                announced = resp.headers.get("Content-Length")
                size = int(announced) if announced and announced.isdigit() else None
                if size is not None and size > max_bytes:
                    raise _too_large(url, path, size, max_bytes)
                written = 0
                for chunk in resp.iter_content(chunk_size):
                    written += len(chunk)
                    if written > max_bytes:
                        raise _too_large(url, path, size, max_bytes)
                    dest.write(chunk)
                return written
        except requests.RequestException as exc:
            raise errors.transport_error(method="GET", url=url, path=path, base_url=self.base_url,
                                         why=errors.describe_failure(exc, self.timeout), outcome_known=True) from None

    def fetch_version(self) -> FuelVersion:
        """``GET /api/version``, raising a clear error when the URL is not a Fuel master."""
        resp = self._send("GET", VERSION_ROUTE, {}, idempotent=True)
        if resp.status_code == 401:  # fuelclient reads a 401 here as "auth required" too
            self._relogin()
            resp = self._send("GET", VERSION_ROUTE, {}, idempotent=True)
        if resp.status_code >= 500:  # a sick master, not a wrong URL
            raise errors.http_error(method="GET", url=resp.url, path=VERSION_ROUTE,
                                    status=resp.status_code, body=resp.content, idempotent=True,
                                    retryable=self.policy.retry_status(method="GET", idempotent=True,
                                                                       status=resp.status_code))
        data = self._version_document(resp)
        version = FuelVersion.from_json(data)
        with self._lock:
            self._auth_required = bool(self._auth_required) or version.auth_required
        return version

    # -- auth -----------------------------------------------------------------------------

    def _ensure_login(self) -> None:
        with self._lock:
            if self._auth_required is None:
                self.fetch_version()
            if self._auth_required and self._token is None:
                self._login()

    def _relogin(self) -> None:
        """After a 401: the token expired or was revoked (or auth was switched on); get a new one."""
        with self._lock:
            self._auth_required = True
            self._token = None
            self._login()

    def _login(self) -> None:
        body = {"auth": {"passwordCredentials": {"username": self.user, "password": self._password},
                         "tenantName": self.tenant}}
        # Resending a token request is harmless (it only mints a token), so it is retried.
        resp = self._send("POST", TOKENS_ROUTE, {}, body=body, idempotent=True, with_token=False)
        if resp.status_code in (401, 403):
            raise errors.bad_credentials(base_url=self.base_url, url=resp.url, user=self.user,
                                         tenant=self.tenant, status=resp.status_code, body=resp.content)
        if resp.status_code == 404:
            raise errors.not_a_fuel_master(base_url=self.base_url, url=resp.url, status=404,
                                           detail="said a token is needed, but POST "
                                                  f"{TOKENS_ROUTE} answered 404")
        data = self._decode("POST", TOKENS_ROUTE, resp, idempotent=True)  # raises on >= 400
        token = _token_id(data)
        if not token:
            raise errors.unexpected_body(method="POST", url=resp.url, path=TOKENS_ROUTE,
                                         status=resp.status_code, body=resp.text,
                                         expected="a Keystone token")
        register_secret(token)
        self._token = token
        log.debug("logged in to Keystone at %s as %s", self.base_url, self.user)

    # -- transport ------------------------------------------------------------------------

    def _send(self, method: str, route: str, path: Mapping[str, Any], *,
              params: Mapping[str, Any] | None = None, body: Any = None, idempotent: bool,
              with_token: bool = True) -> requests.Response:
        """Send with timeout and retries; return any HTTP answer, raise on no answer."""
        rel = route.format(**path)
        url = self.base_url + rel
        headers = dict(_JSON_HEADERS)
        attempt = 0
        while True:
            if with_token and self._token:
                headers["X-Auth-Token"] = self._token
            with self._lock:
                self.request_count[f"{method} {route}"] += 1
            started = time.monotonic()
            try:
                resp = self._http.request(method, url, params=params, json=body, headers=headers,
                                          timeout=self.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                why = errors.describe_failure(exc, self.timeout)
                if attempt < self.policy.retries and self.policy.retry_failure(idempotent=idempotent,
                                                                              exc=exc):
                    self._pause(attempt, f"{method} {rel}: {why}")
                    attempt += 1
                    continue
                raise errors.transport_error(method=method, url=url, path=rel, base_url=self.base_url,
                                             why=why, outcome_known=self.policy.retry_failure(
                                                 idempotent=idempotent, exc=exc)) from None
            log.debug("%s %s -> %s in %.0f ms", method, rel, resp.status_code,
                      (time.monotonic() - started) * 1000)
            if attempt < self.policy.retries and self.policy.retry_status(
                    method=method, idempotent=idempotent, status=resp.status_code):
                self._pause(attempt, f"{method} {rel}: {resp.status_code}",
                            retry_after=resp.headers.get("Retry-After"))
                attempt += 1
                continue
            return resp

    def _pause(self, attempt: int, what: str, retry_after: str | None = None) -> None:
        delay = self.policy.delay(attempt, retry_after=retry_after)
        log.info("Fuel %s; retry %d/%d in %.2f s", what, attempt + 1, self.policy.retries, delay)
        time.sleep(delay)

    def _decode(self, method: str, rel: str, resp: requests.Response, *, idempotent: bool) -> Any:
        status = resp.status_code
        if status >= 400:
            retryable = self.policy.retry_status(method=method, idempotent=idempotent, status=status)
            raise errors.http_error(method=method, url=resp.url, path=rel, status=status,
                                    body=resp.content, idempotent=idempotent, retryable=retryable)
        text = resp.text.strip() if resp.content else ""
        if not text:  # 6.0 answers assignment POSTs and 204s with nothing at all
            return None
        try:
            return inert_all(resp.json())    # Fuel's texts end in Slack messages: none may carry a token
        except ValueError:
            raise errors.unexpected_body(method=method, url=resp.url, path=rel, status=status,
                                         body=text) from None

    def _version_document(self, resp: requests.Response) -> Mapping[str, Any]:
        if resp.status_code >= 400:
            raise errors.not_a_fuel_master(base_url=self.base_url, url=resp.url,
                                           status=resp.status_code,
                                           detail=f"answered {resp.status_code}")
        if 300 <= resp.status_code < 400:
            raise errors.not_a_fuel_master(
                base_url=self.base_url, url=resp.url, status=resp.status_code,
                detail=f"redirected to {resp.headers.get('Location', '?')}")
        text = resp.text.strip()
        try:
            data = resp.json()
        except ValueError:
            what = "an HTML page" if errors.looks_like_html(text) else "something that is not JSON"
            raise errors.not_a_fuel_master(base_url=self.base_url, url=resp.url,
                                           status=resp.status_code, detail=f"answered {what}") from None
        if not isinstance(data, dict) or "release" not in data:
            raise errors.not_a_fuel_master(base_url=self.base_url, url=resp.url,
                                           status=resp.status_code,
                                           detail="answered JSON without a 'release' field")
        return data


def _too_large(url: str, path: str, size: int | None, limit: int) -> SnapshotTooLarge:
    what = f"{size / 1e6:.1f} MB" if size is not None else f"more than {limit / 1e6:.1f} MB"
    return SnapshotTooLarge(f"{path} on the Fuel master is {what}, over the limit of {limit / 1e6:.1f} MB",
                            url=url, size=size, limit=limit)


def _token_id(data: Any) -> str | None:
    """``access.token.id`` of a Keystone v2.0 token answer."""
    try:
        token = data["access"]["token"]["id"]
    except (TypeError, KeyError):
        return None
    return token if isinstance(token, str) and token else None


def base_url(url: str) -> str:
    """``http://host:8000`` from what people paste (see :func:`_base_url`)."""
    return _base_url(url)


def _base_url(url: str) -> str:
    """``http://host:8000`` from what people paste (fuelclient configs often end in ``/api/v1``)."""
    base = url.strip().rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if not base.startswith(("http://", "https://")):
        raise FuelError(f"FUEL_URL {base!r} is not an http(s) URL; use e.g. http://10.20.0.2:8000")
    return base
