"""Requests, responses and the route table (path regex + method -> handler).

Paths are matched after normalisation (``/api/v1`` folded into ``/api``, trailing slash
dropped), so every route has a single pattern. A path that matches some route but not the
method gives 405, no match at all gives 404.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs

from sim.fuel.errors import HttpError, bad_request


@dataclass
class Request:
    """One HTTP request as handlers see it."""

    method: str
    path: str                         # normalised
    query: dict[str, list[str]]
    headers: dict[str, str]           # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON, Nailgun style: 400 on an empty or malformed body."""
        if not self.body.strip():
            raise bad_request("Empty request received")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Invalid json received") from None

    def json_or(self, default: Any) -> Any:
        """The body as JSON when there is one (bodies some routes ignore)."""
        return self.json() if self.body.strip() else default

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def id(self, name: str) -> int:
        return int(self.params[name])


@dataclass
class Response:
    """A handler's answer; ``body`` is JSON-encoded unless ``raw`` is given."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Handler
    public: bool = False        # no token needed
    locked: bool = True         # run with the state lock held (and the simulation advanced)


def ok(body: Any = None, status: int = 200) -> Response:
    return Response(status=status, body=body)


def error_response(exc: HttpError) -> Response:
    """6.0 error bodies are plain strings; Keystone's are JSON."""
    raw = exc.body.encode() if isinstance(exc.body, str) else json.dumps(exc.body).encode()
    return Response(status=exc.status, raw=raw, headers=exc.headers)


class Router:
    """An ordered route table."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, public: bool = False,
            locked: bool = True) -> None:
        """Register ``template``: ``{id:int}`` digits, ``{p:a|b}`` one of the words, ``{x}`` one segment."""
        regex = re.sub(r"\{(\w+):int\}", r"(?P<\1>\\d+)", template)
        regex = re.sub(r"\{(\w+):([\w|]+)\}", r"(?P<\1>\2)", regex)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self.routes.append(Route(method, re.compile(f"^{regex}$"), template, handler, public, locked))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed.append(route.method)
        if allowed:
            raise HttpError(405, "method not allowed", {"Allow": ", ".join(sorted(set(allowed)))})
        raise HttpError(404, "not found")


def normalise(path: str) -> str:
    """Fold ``/api/v1`` into ``/api`` and drop a trailing slash (Nailgun routes end in ``/?$``)."""
    if path == "/api/v1" or path.startswith("/api/v1/"):
        path = "/api" + path[len("/api/v1"):]
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path or "/"


def parse_query(query: str) -> dict[str, list[str]]:
    return parse_qs(query, keep_blank_values=True)
