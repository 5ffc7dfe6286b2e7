"""Routing: path normalisation, 404 vs 405, and Nailgun's JSON body errors."""
from __future__ import annotations

import pytest

from sim.fuel.errors import HttpError
from sim.fuel.router import Request, Response, Router, normalise


@pytest.mark.parametrize("raw, expected", [
    ("/api/v1/clusters/", "/api/clusters"), ("/api/v1", "/api"), ("/api/clusters//", "/api/clusters"),
    ("/ostf/testruns/", "/ostf/testruns"), ("/", "/"), ("/api/v10/x", "/api/v10/x")])
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_word_alternatives() -> None:
    router = Router()
    router.add("GET", "/c/{provider:nova_network|neutron}", lambda req: Response(200))
    assert router.match("GET", "/c/neutron")[1] == {"provider": "neutron"}
    with pytest.raises(HttpError):
        router.match("GET", "/c/flat")


def test_match_gives_params_404_and_405() -> None:
    router = Router()
    router.add("GET", "/api/nodes/{node_id:int}", lambda req: Response(200, req.params))
    router.add("PUT", "/api/nodes/{node_id:int}", lambda req: Response(200))
    route, params = router.match("GET", "/api/nodes/12")
    assert params == {"node_id": "12"} and route.template == "/api/nodes/{node_id:int}"
    with pytest.raises(HttpError) as missing:
        router.match("GET", "/api/nodes/x")
    assert missing.value.status == 404
    with pytest.raises(HttpError) as wrong:
        router.match("DELETE", "/api/nodes/12")
    assert wrong.value.status == 405 and wrong.value.headers["Allow"] == "GET, PUT"


@pytest.mark.parametrize("body, message", [(b"", "Empty request received"), (b"  ", "Empty request received"),
                                           (b"{", "Invalid json received"), (b"\xff", "Invalid json received")])
def test_request_json_errors(body: bytes, message: str) -> None:
    request = Request("PUT", "/api/x", {}, {}, body)
    with pytest.raises(HttpError) as err:
        request.json()
    assert (err.value.status, err.value.body) == (400, message)


def test_response_encoding() -> None:
    assert Response(200, {"a": 1}).encode() == b'{"a": 1}'
    assert Response(200).encode() == b""
    assert Response(404, raw=b"Cluster not found").encode() == b"Cluster not found"
