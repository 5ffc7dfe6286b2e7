"""Drain the Slack outbox: post, thread and edit in order, throttled per channel, losing nothing.

``tick()`` (APScheduler, every ~0.5 s) claims a batch and delivers it within a short time budget:

* PARENT posts the job's thread root, later messages of its slot edit it (``chat.update``);
* REPLY goes into the job's thread; it waits while the parent is still unposted;
* slot messages coalesce: when a newer one already waits, the older is superseded unsent;
* POST is a plain channel message.

Order is kept per channel: a message waits while an earlier one of its channel is still
pending, unless that one has failed before (a poison message must not stall a channel). At most
one call per ``min_interval_per_channel`` per channel. A 429 holds the whole channel for
``Retry-After`` (``postpone_channel``; nothing lost, counted); other failures back off and, after
``max_attempts``, the message is DEAD with its error kept. Delivery is at least once: a crash
between Slack's answer and the commit re-sends that one message.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from enum import Enum
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.metrics import Metrics
from bot.render import render_outbox
from core.redact import scrub
from jobs.outbox import (OutboxState, Placement, claim_batch, latest_in_slot, mark_sent, mark_superseded,
                         postpone, postpone_channel, release, sent_ts_for_slot, thread_ts_for)
from store.models import OutboxMessage

log = logging.getLogger(__name__)

BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format"})
MAX_BACKOFF_SECONDS = 60.0


class Outcome(Enum):
    DONE = "done"              # sent, edited or superseded
    CALLED = "called"          # a Slack call failed; the message backs off
    POSTPONED = "postponed"    # not sendable yet (no thread to reply in); backs off, the channel goes on
    WAITING = "waiting"        # put back untouched, and the rest of its channel with it (order)
    RATE_LIMITED = "rate_limited"


class OutboxDelivery:
    """Delivers outbox messages to Slack; one instance per process."""

    def __init__(self, *, session_factory: Callable[[], Session], client: WebClient, worker_id: str,
                 metrics: Metrics, min_interval_per_channel: float = 1.0, batch_size: int = 20,
                 budget_seconds: float = 0.4, max_attempts: int = 8,
                 backoff: Callable[[int], float] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._session_factory = session_factory
        self._client = _never_waiting(client)
        self._worker_id = worker_id
        self._metrics = metrics
        self._interval = min_interval_per_channel
        self._batch_size = batch_size
        self._budget = budget_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff or default_backoff
        self._clock = clock
        self._sleep = sleep
        self._next_allowed: dict[str, float] = {}
        self._running = threading.Lock()

    def tick(self) -> int:
        """Deliver what is due within the time budget; returns how many messages were completed."""
        if not self._running.acquire(blocking=False):
            return 0       # a previous tick is still delivering; it owns the throttle state
        try:
            return self._tick()
        finally:
            self._running.release()

    def _tick(self) -> int:
        with self._session_factory() as session, session.begin():
            claimed = [(m.id, m.channel) for m in claim_batch(session, worker_id=self._worker_id,
                                                              limit=self._batch_size)]
        queues: dict[str, deque[int]] = {}
        for message_id, channel in claimed:
            queues.setdefault(channel, deque()).append(message_id)
        deadline = self._clock() + self._budget
        done = 0
        while queues:
            channel = min(queues, key=lambda c: (self._next_allowed.get(c, 0.0), queues[c][0]))
            due = self._next_allowed.get(channel, 0.0)
            if due > deadline:
                break
            if due > self._clock():
                self._sleep(due - self._clock())
            outcome = self._deliver(queues[channel].popleft())
            if outcome in (Outcome.DONE, Outcome.CALLED):
                self._next_allowed[channel] = max(self._next_allowed.get(channel, 0.0),
                                                  self._clock() + self._interval)
            done += outcome is Outcome.DONE
            if outcome in (Outcome.RATE_LIMITED, Outcome.WAITING) or not queues[channel]:
                self._release_all(channel, queues.pop(channel))
        for channel, remaining in queues.items():
            self._release_all(channel, remaining)
        return done

    def _release_all(self, channel: str, message_ids: deque[int]) -> None:
        """Put claimed messages back, held until their channel's next slot.

        The hold matters: without it a busy channel's backlog would fill every claimed batch
        and starve the other channels behind it.
        """
        if not message_ids:
            return
        hold = self._next_allowed.get(channel, 0.0) - self._clock()
        with self._session_factory() as session, session.begin():
            for message_id in message_ids:
                message = session.get(OutboxMessage, message_id)
                if message is not None and self._ours(message):
                    release(message)
            if hold > 0:
                session.flush()
                postpone_channel(session, channel, seconds=hold)

    def _ours(self, message: OutboxMessage) -> bool:
        return message.state == OutboxState.SENDING and message.claimed_by == self._worker_id

    def _deliver(self, message_id: int) -> Outcome:
        """One message, one session: decide, call Slack outside any transaction, record."""
        with self._session_factory() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or not self._ours(message):
                return Outcome.WAITING
            if self._earlier_pending(session, message):
                release(message)
                session.commit()
                return Outcome.WAITING
            # Coalesce edits only once the slot's message exists: the first one must be posted,
            # since a job's parent creates the thread its replies go into.
            if message.slot and not latest_in_slot(session, message) \
                    and sent_ts_for_slot(session, message.slot) is not None:
                mark_superseded(session, message)
                session.commit()
                self._metrics.outbox("superseded")
                return Outcome.DONE
            try:
                method, kwargs = self._plan(session, message)
            except _NotYet as reason:
                return self._failed(session, message, str(reason), called=False)
            except Exception as exc:   # a body we cannot render must not block the outbox
                return self._failed(session, message, f"render: {type(exc).__name__}: {exc}", called=False)
            session.commit()   # end the read transaction: never hold one across an HTTP call
            try:
                response = self._call(method, kwargs)
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    return self._rate_limited(session, message, exc)
                error = exc.response.get("error") or exc.response.status_code
                return self._failed(session, message, f"{method}: {error}")
            except Exception as exc:   # network trouble; slack_sdk already retried connection errors
                return self._failed(session, message, f"{method}: {type(exc).__name__}: {exc}")
            mark_sent(session, message, ts=response.get("ts") or kwargs.get("ts"))
            session.commit()
        self._metrics.outbox("edited" if method == "chat.update" else "posted")
        return Outcome.DONE

    def _earlier_pending(self, session: Session, message: OutboxMessage) -> bool:
        # Messages that already failed (attempts > 0) lose their place so they cannot stall the channel.
        return session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.channel == message.channel, OutboxMessage.id < message.id,
            OutboxMessage.attempts == 0,
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING])).limit(1)) is not None

    def _plan(self, session: Session, message: OutboxMessage) -> tuple[str, dict[str, Any]]:
        rendered = render_outbox(message.text, message.body, job_id=message.job_id).as_kwargs()
        ts = sent_ts_for_slot(session, message.slot) if message.slot else None
        if ts:
            return "chat.update", {"channel": message.channel, "ts": ts, **rendered}
        if message.placement == Placement.REPLY:
            thread_ts = thread_ts_for(session, message)
            if thread_ts is None:
                raise _NotYet("the job's parent message has not been posted")
            return "chat.postMessage", {"channel": message.channel, "thread_ts": thread_ts, **rendered}
        return "chat.postMessage", {"channel": message.channel, **rendered}

    def _call(self, method: str, kwargs: dict[str, Any]) -> Any:
        call = self._client.chat_update if method == "chat.update" else self._client.chat_postMessage
        try:
            return call(**kwargs)
        except SlackApiError as exc:
            if exc.response.get("error") not in BLOCK_ERRORS:
                raise
            # Slack refused our blocks: the text alone still tells people what happened.
            log.warning("%s refused the blocks (%s); sending the text alone", method, exc.response.get("error"))
            return call(**{**kwargs, "blocks": []})

    def _rate_limited(self, session: Session, message: OutboxMessage, exc: SlackApiError) -> Outcome:
        headers = exc.response.headers or {}
        try:
            retry_after = max(1.0, float(headers.get("Retry-After") or headers.get("retry-after") or 1))
        except ValueError:
            retry_after = 1.0
        postpone_channel(session, message.channel, seconds=retry_after)
        release(message, not_before_seconds=retry_after)
        session.commit()
        self._next_allowed[message.channel] = self._clock() + retry_after
        self._metrics.outbox("rate_limited")
        log.info("Slack rate-limited channel %s; holding it for %.0fs", message.channel, retry_after)
        return Outcome.RATE_LIMITED

    def _failed(self, session: Session, message: OutboxMessage, error: str, *, called: bool = True) -> Outcome:
        error = scrub(error)
        delay = self._backoff(message.attempts + 1)
        postpone(session, message, seconds=delay, error=error, max_attempts=self._max_attempts)
        dead = message.state == OutboxState.DEAD
        session.commit()
        self._metrics.outbox("dead" if dead else "postponed")
        if dead:
            log.error("outbox message %s is dead after %s attempts: %s", message.id, message.attempts, error)
        else:
            log.warning("outbox message %s: %s; retrying in %.0fs", message.id, error, delay)
        return Outcome.CALLED if called else Outcome.POSTPONED


def _never_waiting(client: WebClient) -> WebClient:
    # A client that sleeps through Retry-After would stall every channel in this tick and hide
    # the 429 from us; the outbox holds the one channel instead (see postpone_channel).
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    if len(handlers) == len(client.retry_handlers):
        return client
    return WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                     proxy=client.proxy, headers=client.headers, logger=client.logger, retry_handlers=handlers)


def default_backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: 2, 4, 8 … capped at a minute."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** attempt)


class _NotYet(Exception):
    """The message cannot be sent yet (its thread does not exist)."""
