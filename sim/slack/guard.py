"""The gate every call to LocalSlack passes: Slack's contract enforced, each breach recorded.

``ContractGuard.admit`` refuses a Web API call the way Slack would (unknown method, wrong token
type, missing scope or argument, rate limit, blocks Slack would not take) and records a
``Violation`` for each breach of the contract; ``check_payload`` does the message checks for
what is not a Web API call (a command's ack, a response_url POST, a Socket Mode ack), unescaped
mrkdwn included. The owner (LocalSlack) serialises access under its lock.
"""
from __future__ import annotations

from typing import Any, Mapping

from sim.slack.blockkit import check_message
from sim.slack.contract import METHODS, Violation, missing_arguments, missing_scope
from sim.slack.ratelimits import RateLimiter, retry_after_header
from sim.slack.web_api import MESSAGE_METHODS


class Refused(Exception):
    """A call LocalSlack answers with an error before running the method."""

    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}


class ContractGuard:
    """Holds calls to ``sim.slack.contract`` for an app granted ``scopes``."""

    def __init__(self, *, scopes: frozenset[str], rate_scale: float) -> None:
        self.scopes = scopes
        self.violations: list[Violation] = []
        self._limiter = RateLimiter(scale=rate_scale)

    def violation(self, method: str, rule: str, detail: str) -> None:
        self.violations.append(Violation(method, rule, detail))

    def admit(self, method: str, params: dict[str, Any], token: str) -> None:
        """Raise ``Refused`` as Slack would answer; parsed blocks replace ``params["blocks"]``."""
        contract = METHODS.get(method)
        if contract is None:
            self.violation(method, "unknown_method", "not a method fuelbot may call (sim.slack.contract)")
            raise Refused("unknown_method")
        if not token.startswith("xox") and not token.startswith("xapp-"):
            raise Refused("not_authed")
        if contract.app_token != token.startswith("xapp-"):
            self.violation(method, "token_type", f"{method} takes {'an app' if contract.app_token else 'a bot'} token")
            raise Refused("not_allowed_token_type")
        scope = missing_scope(contract, self.scopes)
        if scope is not None:
            self.violation(method, "missing_scope", f"needs {scope}, which slack-manifest.yml does not ask for")
            raise Refused("missing_scope")
        missing = missing_arguments(contract, params)
        if missing:
            self.violation(method, "missing_argument", ", ".join(missing))
            raise Refused("channel_not_found" if "channel" in missing else
                          "no_text" if missing == [" or ".join(contract.any_of)] else "invalid_arguments")
        wait = self._limiter.take(contract, params)
        if wait is not None:
            raise Refused("ratelimited", status=429, headers={"Retry-After": retry_after_header(wait)})
        if method in MESSAGE_METHODS and ("blocks" in params or params.get("text")):
            blocks, error = self._check(method, params)
            if error:
                raise Refused(error)
            if "blocks" in params:
                params["blocks"] = blocks

    def check_payload(self, where: str, payload: Mapping[str, Any]) -> list[Any]:
        """Check a message payload that is no Web API call; its parsed blocks."""
        if not payload.get("text") and not payload.get("blocks"):
            return []
        return self._check(where, payload)[0]

    def _check(self, where: str, payload: Mapping[str, Any]) -> tuple[list[Any], str | None]:
        checked = check_message(payload.get("text"), payload.get("blocks"), mrkdwn=payload.get("mrkdwn", True))
        self.violations += [Violation(where, "invalid_blocks" if checked.error else "message", v)
                            for v in checked.violations]
        self.violations += [Violation(where, "unescaped", f) for f in checked.unescaped]
        return checked.blocks, checked.error
