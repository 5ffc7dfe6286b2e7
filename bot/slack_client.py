"""How fuelbot talks to Slack's Web API: one ``WebClient`` recipe, metered, with quiet, scrubbed logs.

Every client carries ``SlackCallMeter`` first in its retry handlers: slack_sdk consults retry
handlers on every response (Bolt copies them into its per-request clients too), so the meter
sees every call, by method, and every 429, without wrapping any method.
"""
from __future__ import annotations

import logging
from typing import Optional
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (ConnectionErrorRetryHandler, RateLimitErrorRetryHandler,
                                                   ServerErrorRetryHandler)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from bot.metrics import Metrics
from core.redact import ScrubbingFilter
from core.settings import Settings

SLACK_LOGGERS = ("slack_bolt", "slack_sdk", "fuelbot.slack")
_scrubber = ScrubbingFilter()


def quiet_slack_logging() -> logging.Logger:
    """Slack's libraries at WARNING with secrets scrubbed; returns the logger to give them.

    Bolt logs whole request bodies (``response_url`` included) at INFO and slack_sdk logs
    bodies at DEBUG, so neither may run more verbosely than WARNING in fuelbot.
    """
    for name in SLACK_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if _scrubber not in logger.filters:
            logger.addFilter(_scrubber)
    return logging.getLogger("fuelbot.slack")


class SlackCallMeter(RetryHandler):
    """Counts every Web API attempt and every 429; never asks for a retry itself."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    def can_retry(self, *, state: RetryState, request: HttpRequest, response: Optional[HttpResponse] = None,
                  error: Optional[Exception] = None) -> bool:
        method = urlsplit(request.url).path.rsplit("/", 1)[-1] or "unknown"
        self._metrics.slack_call(method, status=response.status_code if response is not None else None)
        return False


def slack_client(settings: Settings, metrics: Metrics, *, wait_on_rate_limit: bool = True,
                 timeout: int = 30) -> WebClient:
    """A ``WebClient`` for ``settings`` (``SLACK_API_URL`` overrides Slack's address).

    ``wait_on_rate_limit=False`` leaves out the handler that sleeps through ``Retry-After``; the
    outbox never uses it anyway (``OutboxDelivery`` drops it and holds just the limited channel).
    """
    handlers: list[RetryHandler] = [SlackCallMeter(metrics), ConnectionErrorRetryHandler(),
                                    ServerErrorRetryHandler()]
    if wait_on_rate_limit:
        handlers.append(RateLimitErrorRetryHandler())
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url or WebClient.BASE_URL,
                     timeout=timeout, retry_handlers=handlers, logger=quiet_slack_logging())


def without_retries(client: WebClient) -> WebClient:
    """``client`` without retries of its own (the call meter stays): for the outbox, which retries
    itself after looking for a post in doubt. A 5xx or a lost connection retried inside slack_sdk
    could post twice, and a sleep through Retry-After would stall every channel of a tick."""
    handlers: list[RetryHandler] = [h for h in client.retry_handlers if isinstance(h, SlackCallMeter)]
    return WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                     proxy=client.proxy, headers=client.headers, logger=client.logger, retry_handlers=handlers)


def quick_client(client: WebClient, metrics: Metrics, *, timeout: int = 2) -> WebClient:
    """A copy of ``client`` that gives up fast and never waits: for calls a person is waiting on."""
    return WebClient(token=client.token, base_url=client.base_url, timeout=timeout,
                     retry_handlers=[SlackCallMeter(metrics)], logger=quiet_slack_logging())
