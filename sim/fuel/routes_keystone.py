"""Keystone's public v2.0 API as nginx exposes it under ``/keystone``."""
from __future__ import annotations

import copy
import json

from sim.fuel.auth import VERSION_DOCUMENT, keystone_error
from sim.fuel.engine import Engine
from sim.fuel.router import Request, Response, Router, ok


def _body(req: Request) -> object:
    """Keystone answers malformed JSON with its own 400 document, not Nailgun's text."""
    try:
        return json.loads(req.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise keystone_error(400, "Bad Request", "The request you have made is malformed.") from None


def register(router: Router, engine: Engine) -> None:
    tokens = engine.tokens

    def version(req: Request) -> Response:
        return ok(copy.deepcopy(VERSION_DOCUMENT))

    def issue(req: Request) -> Response:
        return ok(tokens.authenticate(_body(req)))

    def validate(req: Request) -> Response:
        if not tokens.valid(req.headers.get("x-auth-token")):
            raise keystone_error(401, "Unauthorized", "The request you have made requires authentication.")
        if not tokens.valid(req.params["token"]):
            raise keystone_error(404, "Not Found", f"Could not find token, {req.params['token']}.")
        return ok({"access": {"token": {"id": req.params["token"]}}})

    def revoke(req: Request) -> Response:
        tokens.revoke(req.params["token"])
        return Response(204, raw=b"")

    def change_password(req: Request) -> Response:
        return ok(tokens.change_password(req.params["user_id"], req.headers.get("x-auth-token"), _body(req)))

    router.add("GET", "/keystone/v2.0", version, public=True)
    router.add("POST", "/keystone/v2.0/tokens", issue, public=True)
    router.add("GET", "/keystone/v2.0/tokens/{token}", validate, public=True)
    router.add("DELETE", "/keystone/v2.0/tokens/{token}", revoke, public=True)
    router.add("PATCH", "/keystone/v2.0/OS-KSCRUD/users/{user_id}", change_password, public=True)
