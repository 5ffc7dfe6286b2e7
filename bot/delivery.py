"""Drain the Slack outbox: post, thread and edit in order, within Slack's rate limits, losing nothing.

``tick()`` (APScheduler, every ~0.5 s) claims a batch and delivers it within a short time budget:

* PARENT posts the job's thread root, later messages of its slot edit it (``chat.update``);
* REPLY goes into the job's thread; it waits while the parent is still unposted;
* slot messages coalesce: when a newer one already waits, the older is superseded unsent;
* POST is a plain channel message; ``@U…`` channels are the person's DM, opened on first use.

Order is kept per channel: a message waits while an earlier one of its channel is still
pending, unless that one has failed before (a poison message must not stall a channel).

Rate limits hold across replicas: every call spends from an allowance kept in the database
(``jobs.rate_budget``): ``chat.postMessage`` one per ``min_interval_per_channel`` in each channel,
``chat.update`` ``updates_per_minute`` for the whole workspace (Slack's Tier 3 is ~50), in short
bursts. So progress edits slow down (and coalesce) before Slack would say 429. Should Slack say it
anyway, the allowance is held for ``Retry-After`` for every replica (edits everywhere, or posts in
that channel), the message goes back unharmed, and nothing is lost.

Failures back off and, after ``max_attempts``, the message is DEAD with its error kept. When Slack
answers ``channel_not_found`` / ``not_in_channel`` / ``is_archived``, no retry can help: the
message and the rest of its job's thread there are dead-lettered at once and the requester is
told why and how to fix it (``bot.dead_letters``). Delivery is at least once: a crash between
Slack's answer and the commit re-sends that one message.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import dead_letters
from bot.metrics import Metrics
from bot.render import render_outbox
from core.redact import scrub
from jobs.announce import header_of
from jobs.outbox import (DM_PREFIX, OutboxState, Placement, claim_batch, dead_letter, latest_in_slot, mark_sent,
                         mark_superseded, parent_is_dead, person_to_tell, postpone, postpone_channel, release,
                         sent_ts_for_slot, tell_once, thread_ts_for)
from jobs.queue import record_event
from jobs.rate_budget import Allowance, SharedBudget
from store.models import Job, OutboxMessage

log = logging.getLogger(__name__)

BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format"})
MAX_BACKOFF_SECONDS = 60.0
UPDATES_PER_MINUTE = 50.0        # chat.update is Tier 3: 50+ per minute per workspace
UPDATE_BURST = 5
UPDATE_KEY = "update"


class Outcome(Enum):
    DONE = "done"              # sent, edited, superseded or dead-lettered
    CALLED = "called"          # a Slack call failed; the message backs off
    POSTPONED = "postponed"    # not sendable yet (no thread to reply in); backs off, the channel goes on
    WAITING = "waiting"        # put back untouched, and the rest of its channel with it (order)
    RATE_LIMITED = "rate_limited"
    THROTTLED = "throttled"    # the shared allowance says wait; still ours, tried again later


@dataclass(frozen=True)
class _Result:
    outcome: Outcome
    wait: float = 0.0


class OutboxDelivery:
    """Delivers outbox messages to Slack; one instance per process, any number of processes."""

    def __init__(self, *, session_factory: Callable[[], Session], client: WebClient, worker_id: str,
                 metrics: Metrics, min_interval_per_channel: float = 1.0,
                 updates_per_minute: float = UPDATES_PER_MINUTE, batch_size: int = 20,
                 budget_seconds: float = 0.4, max_attempts: int = 8,
                 backoff: Callable[[int], float] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._session_factory = session_factory
        self._client = _never_waiting(client)
        self._worker_id = worker_id
        self._metrics = metrics
        self._post_interval = min_interval_per_channel
        self._update_interval = 60.0 / updates_per_minute if updates_per_minute > 0 else 0.0
        self._budget = SharedBudget(session_factory)
        self._batch_size = batch_size
        self._tick_seconds = budget_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff or default_backoff
        self._clock = clock
        self._sleep = sleep
        self._dms: dict[str, str] = {}           # user → DM id (conversations.open), for this process
        self._running = threading.Lock()

    def tick(self) -> int:
        """Deliver what is due within the time budget; returns how many messages were completed."""
        if not self._running.acquire(blocking=False):
            return 0       # a previous tick is still delivering
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
        not_before: dict[str, float] = {}        # what the shared allowances said, for this tick
        deadline = self._clock() + self._tick_seconds
        done = 0
        while queues:
            channel = min(queues, key=lambda c: (not_before.get(c, 0.0), queues[c][0]))
            due = not_before.get(channel, 0.0)
            if due > deadline:
                break
            if due > self._clock():
                self._sleep(due - self._clock())
            result = self._deliver(queues[channel][0])
            if result.outcome is Outcome.THROTTLED:
                not_before[channel] = self._clock() + result.wait
                continue
            queues[channel].popleft()
            done += result.outcome is Outcome.DONE
            if result.outcome in (Outcome.RATE_LIMITED, Outcome.WAITING) or not queues[channel]:
                self._release_all(channel, queues.pop(channel), 0.0)
        for channel, remaining in queues.items():
            self._release_all(channel, remaining, not_before.get(channel, 0.0) - self._clock())
        return done

    def _release_all(self, channel: str, message_ids: deque[int], hold: float) -> None:
        """Put claimed messages back, held until their allowance comes round.

        The hold matters: without it a busy channel's backlog would fill every claimed batch
        and starve the other channels behind it.
        """
        if not message_ids:
            return
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

    def _deliver(self, message_id: int) -> _Result:
        """One message, one session: decide, call Slack outside any transaction, record."""
        with self._session_factory() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or not self._ours(message):
                return _Result(Outcome.WAITING)
            if self._earlier_pending(session, message):
                release(message)
                session.commit()
                return _Result(Outcome.WAITING)
            # Coalesce edits only once the slot's message exists: the first one must be posted,
            # since a job's parent creates the thread its replies go into.
            if message.slot and not latest_in_slot(session, message) \
                    and sent_ts_for_slot(session, message.slot) is not None:
                mark_superseded(session, message)
                session.commit()
                self._metrics.outbox("superseded")
                return _Result(Outcome.DONE)
            if parent_is_dead(session, message):
                return self._dead_letter(session, message, "the job's thread could not be posted there",
                                         notify=False, attempted=False)
            try:
                method, kwargs = self._plan(session, message)
            except _NotYet as reason:
                return self._failed(session, message, str(reason), called=False)
            except Exception as exc:   # a body we cannot render must not block the outbox
                return self._failed(session, message, f"render: {type(exc).__name__}: {exc}", called=False)
            session.commit()   # end the read transaction: never hold one across an HTTP call
            try:
                kwargs["channel"] = self._conversation(message.channel)
                wait = self._budget.take(self._allowance(method, kwargs["channel"]))
                if wait > 0:
                    return _Result(Outcome.THROTTLED, wait)
                response = self._call(method, kwargs)
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "")
                if exc.response.status_code == 429:
                    return self._rate_limited(session, message, exc, method, str(kwargs.get("channel")))
                if error in dead_letters.CHANNEL_ERRORS:
                    return self._dead_letter(session, message, error, notify=True)
                return self._failed(session, message, f"{method}: {error or exc.response.status_code}")
            except Exception as exc:   # network trouble; slack_sdk already retried connection errors
                return self._failed(session, message, f"{method}: {type(exc).__name__}: {exc}")
            mark_sent(session, message, ts=response.get("ts") or kwargs.get("ts"), channel=kwargs["channel"])
            session.commit()
        self._metrics.outbox("edited" if method == "chat.update" else "posted")
        return _Result(Outcome.DONE)

    def _allowance(self, method: str, channel: str) -> Allowance:
        if method == "chat.update":
            return Allowance(UPDATE_KEY, self._update_interval, UPDATE_BURST)
        return Allowance(f"post:{channel}", self._post_interval)

    def _conversation(self, channel: str) -> str:
        """The conversation id for an outbox channel: ``@U…`` is the DM with that person."""
        if not channel.startswith(DM_PREFIX):
            return channel
        user = channel[len(DM_PREFIX):]
        if user not in self._dms:
            self._dms[user] = self._client.conversations_open(users=user)["channel"]["id"]
        return self._dms[user]

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

    def _rate_limited(self, session: Session, message: OutboxMessage, exc: SlackApiError, method: str,
                      channel: str) -> _Result:
        headers = exc.response.headers or {}
        try:
            retry_after = max(1.0, float(headers.get("Retry-After") or headers.get("retry-after") or 1))
        except ValueError:
            retry_after = 1.0
        self._budget.hold(self._allowance(method, channel).key, retry_after)
        postpone_channel(session, message.channel, seconds=retry_after)
        release(message, not_before_seconds=retry_after)
        session.commit()
        self._metrics.outbox("rate_limited")
        log.info("Slack rate-limited %s in %s; holding it for %.0fs", method, message.channel, retry_after)
        return _Result(Outcome.RATE_LIMITED)

    def _dead_letter(self, session: Session, message: OutboxMessage, error: str, *, notify: bool,
                     attempted: bool = True) -> _Result:
        """Slack will never take this message there: give up on it (and its job's thread there) now."""
        given_up = dead_letter(session, message, error=f"{message.channel}: {error}", attempted=attempted)
        person = person_to_tell(session, message) if notify and not message.channel.startswith(DM_PREFIX) else None
        job = session.get(Job, message.job_id) if message.job_id is not None else None
        if person is not None:
            tell_once(session, person=person, about=f"{message.job_id or message.id}:{message.channel}",
                      text=dead_letters.notice(error=error, channel=message.channel, job_id=message.job_id,
                                               title=header_of(job).title if job is not None else None))
        if job is not None and notify:
            record_event(session, job, actor="slack", kind="dead-letter",
                         message=f"messages to {message.channel} given up: {error}")
        session.commit()
        for _ in range(given_up):
            self._metrics.outbox("dead")
        log.warning("outbox message %s to %s dead-lettered (%s); %s", message.id, message.channel, error,
                    f"told {person}" if person else "nobody to tell")
        return _Result(Outcome.DONE)

    def _failed(self, session: Session, message: OutboxMessage, error: str, *, called: bool = True) -> _Result:
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
        return _Result(Outcome.CALLED if called else Outcome.POSTPONED)


def _never_waiting(client: WebClient) -> WebClient:
    # A client that sleeps through Retry-After would stall every channel in this tick and hide
    # the 429 from us; the outbox holds the one allowance instead (see SharedBudget.hold).
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
