"""One request through the simulated master: faults, routing, auth, counting, the handler.

The order mirrors the real master's layers: nginx (faults stand in for a sick upstream),
then Nailgun's/OSTF's routing, then the Keystone middleware, then the handler.
"""
from __future__ import annotations

import logging
import time
import traceback
from http.cookies import CookieError, SimpleCookie
from typing import Callable

from sim.fuel import (routes_clusters, routes_keystone, routes_logs, routes_misc, routes_nodes, routes_ostf,
                      routes_sim)
from sim.fuel.engine import Engine
from sim.fuel.errors import DropConnection, HttpError
from sim.fuel.router import Request, Response, Router, error_response, normalise, parse_query

log = logging.getLogger(__name__)
_OVERRIDABLE = ("PUT", "PATCH", "DELETE")


class Dispatcher:
    """Turns (method, target, headers, body) into a Response, or raises DropConnection."""

    def __init__(self, engine: Engine, on_outage: Callable[[float], None]) -> None:
        self.engine = engine
        self.router = Router()
        routes_keystone.register(self.router, engine)
        routes_misc.register(self.router, engine)
        routes_logs.register(self.router, engine)
        routes_clusters.register(self.router, engine)
        routes_nodes.register(self.router, engine)
        routes_ostf.register(self.router, engine)
        routes_sim.register(self.router, engine, on_outage)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        raw_path, _, query = target.partition("?")
        path = normalise(raw_path)
        if not path.startswith("/_sim"):   # the simulator's own controls are not the master's: no vCenter read
            self.engine.catch_up()
        override = headers.get("x-http-method-override", "").upper()
        if method == "POST" and override in _OVERRIDABLE:
            method = override
        if not path.startswith("/_sim"):
            with self.engine.lock:
                now = self.engine.advance()
                up = self.engine.master.serving_http() and self.engine.host.serving("nginx", now)
                decision = self.engine.faults.decide(method, path)
            if not up:   # the listener closes at the simulator's next tick; nothing is served meanwhile
                raise DropConnection()
            if decision.latency:
                time.sleep(decision.latency)
            if decision.drop:
                raise DropConnection()
            if decision.status:
                return Response(decision.status, raw=decision.body.encode())
        container = _container_of(path)
        if container is not None:
            with self.engine.lock:
                serving = self.engine.host.serving(container, self.engine.advance())
            if not serving:   # nginx answers for an upstream container that is restarting or down
                return Response(502, raw=_BAD_GATEWAY, headers={"Content-Type": "text/html"})
        request = Request(method=method, path=path, query=parse_query(query), headers=headers, body=body)
        try:
            route, request.params = self.router.match(method, path)
        except HttpError as exc:
            self._count(f"{method} <unmatched>")
            return error_response(exc)
        self._count(f"{method} {route.template}")
        try:
            if not route.public and not self._authorized(request):
                raise HttpError(401, "Authentication required",
                                {"WWW-Authenticate": "Keystone uri='http://10.20.0.2:5000'"})
            if not route.locked:
                return route.handler(request)
            with self.engine.lock:
                self.engine.advance()
                return route.handler(request)
        except HttpError as exc:
            return error_response(exc)
        except (DropConnection, KeyboardInterrupt):
            raise
        except Exception:  # a simulator bug: answer like an unhandled Nailgun error, keep serving
            log.error("fuelsim: %s %s failed\n%s", method, target, traceback.format_exc())
            return Response(500, raw=b"internal server error")

    def _count(self, key: str) -> None:
        with self.engine.lock:
            self.engine.state.request_counts[key] += 1

    def _authorized(self, request: Request) -> bool:
        if not self.engine.config.auth_required:
            return True
        token = request.headers.get("x-auth-token")
        if not token and request.path.startswith("/api"):
            token = _cookie_token(request.headers.get("cookie", ""))
        with self.engine.lock:
            return self.engine.tokens.valid(token)


_BAD_GATEWAY = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body bgcolor=\"white\">\r\n"
                b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.4.7</center>\r\n"
                b"</body>\r\n</html>\r\n")


def _container_of(path: str) -> str | None:
    """The container nginx proxies ``path`` to (fuel-library 6.0 ``nginx_nailgun.conf.erb``)."""
    for prefix, container in (("/api", "nailgun"), ("/keystone", "keystone"), ("/ostf", "ostf")):
        if path == prefix or path.startswith(prefix + "/"):
            return container
    return None


def _cookie_token(header: str) -> str | None:
    """Nailgun also takes the UI's ``token`` cookie; OSTF does not."""
    try:
        cookie = SimpleCookie(header)
    except CookieError:
        return None
    return cookie["token"].value if "token" in cookie else None
