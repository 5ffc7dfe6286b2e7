"""Drain the Slack outbox: post, thread and edit in order, within Slack's rate limits, losing nothing.

``tick()`` (APScheduler, every ~0.5 s) claims a batch, answers to people first, and delivers it
within a short time budget:

* PARENT posts the job's thread root, later messages of its slot edit it (``chat.update``);
* REPLY goes into the job's thread; it waits, without spending attempts, while the parent is unposted;
* slot messages coalesce: only the newest of a slot is ever sent (``jobs.outbox_order``);
* POST is a plain channel message; ``@U…`` channels are the person's DM, opened on first use;
* ANSWER goes to one person: ephemeral where they asked, in their DM when asked in a DM (or where
  fuelbot cannot show them anything), in a lane of its own that never waits behind the channel's
  posts and progress edits;
* a REPLY that carries a file (``jobs.uploads``) is shared in the job's thread with Slack's
  external upload (``bot.uploads``), in its place among the thread's replies.

Rate limits hold across replicas: every call spends from an allowance kept in the database
(``jobs.rate_budget``): ``chat.postMessage`` one per ``min_interval_per_channel`` in each channel,
``chat.update`` ``updates_per_minute`` and ``chat.postEphemeral`` ``answers_per_minute`` for the
whole workspace, in short bursts. So progress edits slow down (and coalesce) before Slack would say
429. Should Slack say it anyway, the allowance is held for ``Retry-After`` for every replica, the
message goes back unharmed, and nothing is lost.

What a failure means is ``bot.slack_errors``' business; ``bot.delivery_failures`` acts on it:
an outage is waited out for as long as it lasts, a post whose answer never came is looked for in
Slack before it is posted again (``bot.posted``), and only errors no retry cures give a message up,
telling the person who asked why. Delivery is at least once: a crash between Slack's answer and
the commit re-sends that one message.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import posted
from bot.delivery_failures import Failures, Outcome, Result
from bot.metrics import Metrics
from bot.render import cut, render_outbox
from bot.slack_client import without_retries
from bot.slack_errors import TOO_LONG_ERRORS, classify
from bot.uploads import UPLOAD_METHOD, FileGone, upload_kwargs
from jobs.outbox import (DM_PREFIX, OutboxState, Placement, claim_batch, mark_sent, mark_superseded, parent_is_dead,
                         postpone_channel, release, thread_ts_for)
from jobs.outbox_order import (earlier_pending, lane_of, may_have_been_posted, newest_of_slot, sent_ts_for_slot,
                               slot_in_flight, take_turn)
from jobs.rate_budget import Allowance, SharedBudget
from jobs.uploads import file_of
from store.models import OutboxMessage

log = logging.getLogger(__name__)

BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format"})
UPDATES_PER_MINUTE = 50.0        # chat.update is Tier 3: 50+ per minute per workspace
ANSWERS_PER_MINUTE = 100.0       # chat.postEphemeral is Tier 4: 100+ per minute per workspace
UPDATE_BURST = 5
ANSWER_BURST = 10
UPDATE_KEY = "update"
ANSWER_KEY = "ephemeral"
THREAD_WAIT_SECONDS = 0.5        # a reply looks for its thread again this soon
SLOT_WAIT_SECONDS = 0.2          # a slot's message waits this long for the one in flight
SHORT_TEXT = 1000                # msg_too_long: the text alone, cut here, is sent once more
POSTING_METHODS = frozenset({"chat.postMessage", UPLOAD_METHOD})   # a new message: in doubt when no answer came

Lane = tuple[str, str]


@dataclass(frozen=True)
class _Plan:
    method: str
    kwargs: dict[str, Any]
    in_doubt_since: datetime | None = None      # a post of this message (or slot) may be in Slack already


@dataclass
class _Tick:
    queues: dict[Lane, deque[int]] = field(default_factory=dict)
    not_before: dict[Lane, float] = field(default_factory=dict)    # what the shared allowances said
    places: dict[int, int] = field(default_factory=dict)          # newest of a slot → the place it took


class OutboxDelivery:
    """Delivers outbox messages to Slack; one instance per process, any number of processes."""

    def __init__(self, *, session_factory: Callable[[], Session], client: WebClient, worker_id: str,
                 metrics: Metrics, min_interval_per_channel: float = 1.0,
                 updates_per_minute: float = UPDATES_PER_MINUTE, answers_per_minute: float = ANSWERS_PER_MINUTE,
                 batch_size: int = 20, budget_seconds: float = 0.4, max_attempts: int = 8,
                 backoff: Callable[[int], float] | None = None, upload_dir: Path | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._session_factory = session_factory
        self._upload_dir = upload_dir            # the only files a queued upload may name (the data dir)
        self._client = without_retries(client)
        self._worker_id = worker_id
        self._metrics = metrics
        self._post_interval = min_interval_per_channel
        self._update_interval = 60.0 / updates_per_minute if updates_per_minute > 0 else 0.0
        self._answer_interval = 60.0 / answers_per_minute if answers_per_minute > 0 else 0.0
        self._budget = SharedBudget(session_factory)
        self._batch_size = batch_size
        self._tick_seconds = budget_seconds
        self._failures = Failures(metrics=metrics, budget=self._budget, allowance=self._allowance,
                                  max_attempts=max_attempts, backoff=backoff)
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
            claimed = [(m.id, lane_of(m)) for m in claim_batch(session, worker_id=self._worker_id,
                                                                limit=self._batch_size)]
        state = _Tick()
        for message_id, lane in claimed:
            state.queues.setdefault(lane, deque()).append(message_id)
        deadline = self._clock() + self._tick_seconds
        done = 0
        while state.queues:
            # Answers to people before channel traffic; then whichever lane is due first.
            lane = min(state.queues, key=lambda ln: (state.not_before.get(ln, 0.0), ln[1] == "",
                                                     state.queues[ln][0]))
            due = state.not_before.get(lane, 0.0)
            if due > deadline:
                break
            if due > self._clock():
                self._sleep(due - self._clock())
            head = state.queues[lane][0]
            result = self._deliver(head, place=state.places.get(head))
            if result.instead is not None:         # the newest of a slot took this message's place
                state.places[result.instead] = state.places.get(head, head)
                state.queues[lane][0] = result.instead
            if result.outcome is Outcome.THROTTLED:
                state.not_before[lane] = self._clock() + result.wait
                continue
            state.queues[lane].popleft()
            done += result.outcome is Outcome.DONE
            if result.outcome in (Outcome.RATE_LIMITED, Outcome.WAITING, Outcome.UNAVAILABLE) \
                    or not state.queues[lane]:
                self._release_all(lane, state.queues.pop(lane), 0.0)
        for lane, remaining in state.queues.items():
            self._release_all(lane, remaining, state.not_before.get(lane, 0.0) - self._clock())
        return done

    def _release_all(self, lane: Lane, message_ids: deque[int], hold: float) -> None:
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
                postpone_channel(session, lane[0], seconds=hold, answers=bool(lane[1]))

    def _ours(self, message: OutboxMessage) -> bool:
        return message.state == OutboxState.SENDING and message.claimed_by == self._worker_id

    def _deliver(self, message_id: int, *, place: int | None = None) -> Result:
        """One message (or the newest of its slot, in its place): decide, call Slack, record."""
        with self._session_factory() as session:
            message = session.get(OutboxMessage, message_id)
            if message is None or message.state in (OutboxState.SENT, OutboxState.SUPERSEDED):
                return Result(Outcome.POSTPONED)     # it went out already, in an older message's place
            if not self._ours(message):
                return Result(Outcome.WAITING)
            if earlier_pending(session, message, place=place):
                release(message)
                session.commit()
                return Result(Outcome.WAITING)
            newest = newest_of_slot(session, message)
            if newest is None:
                return self._send(session, message)
            mark_superseded(session, message)     # a newer state of the slot goes instead, here if it can
            self._metrics.outbox("superseded")
            if not take_turn(session, newest, worker_id=self._worker_id):
                session.commit()
                return Result(Outcome.DONE)
            return replace(self._send(session, newest), instead=newest.id)

    def _send(self, session: Session, message: OutboxMessage) -> Result:
        if slot_in_flight(session, message):
            release(message, not_before_seconds=SLOT_WAIT_SECONDS)
            session.commit()
            return Result(Outcome.WAITING)
        if parent_is_dead(session, message):
            return self._failures.dead_letter(session, message, "the job's thread could not be posted there",
                                              notify=False, attempted=False)
        try:
            plan = self._plan(session, message)
        except _NotYet:     # waiting for its thread is no failure: no attempt is spent
            release(message, not_before_seconds=THREAD_WAIT_SECONDS)
            session.commit()
            return Result(Outcome.POSTPONED)
        except FileGone as gone:     # no retry brings a file back
            log.warning("outbox message %s: %s; its file is given up", message.id, gone)
            return self._failures.give_up(session, message, gone.code)
        except Exception as exc:   # a body we cannot render must not block the outbox
            return self._failures.unknown(session, message, f"render: {type(exc).__name__}: {exc}", called=False)
        session.commit()   # end the read transaction: never hold one across an HTTP call
        in_doubt_before = message.uncertain
        try:
            plan.kwargs["channel"] = self._conversation(message.channel)
            wait = self._budget.take(self._allowance(plan.method, plan.kwargs["channel"]))
            if wait > 0:
                return Result(Outcome.THROTTLED, wait)
            if plan.method in POSTING_METHODS:
                # In flight: until Slack answers, nobody may post this slot again (jobs.outbox_order).
                in_doubt_before, message.uncertain = message.uncertain, True
                session.commit()
            if plan.in_doubt_since is not None:
                found = posted.find(self._client, channel=plan.kwargs["channel"],
                                    thread_ts=plan.kwargs.get("thread_ts"), outbox_id=message.id,
                                    slot=message.slot, since=plan.in_doubt_since,
                                    file_name=plan.kwargs["filename"] if plan.method == UPLOAD_METHOD else None)
                if found is not None:
                    self._metrics.outbox("found")
                    log.info("outbox message %s: its earlier post was in Slack after all (%s)", message.id, found)
                    if not message.slot:
                        return self._sent(session, message, ts=found, channel=plan.kwargs["channel"],
                                          outcome="posted")
                    plan = _edit(plan, found)
            response = self._call(plan.method, plan.kwargs)
        except Exception as exc:
            failure = classify(plan.method, exc)
            if plan.method in POSTING_METHODS and not failure.maybe_sent:
                message.uncertain = in_doubt_before       # it never reached Slack: no new doubt
            return self._failures.handle(session, message, plan.method, plan.kwargs.get("channel", ""), failure)
        outcome = {"chat.update": "edited", "chat.postEphemeral": "answered",
                   UPLOAD_METHOD: "uploaded"}.get(plan.method, "posted")
        return self._sent(session, message, ts=response.get("ts") or plan.kwargs.get("ts"),
                          channel=plan.kwargs["channel"], outcome=outcome)

    def _sent(self, session: Session, message: OutboxMessage, *, ts: str | None, channel: str,
              outcome: str) -> Result:
        mark_sent(session, message, ts=ts, channel=channel)
        session.commit()
        self._metrics.outbox(outcome)
        return Result(Outcome.DONE)

    def _allowance(self, method: str, channel: str) -> Allowance:
        if method == "chat.update":
            return Allowance(UPDATE_KEY, self._update_interval, UPDATE_BURST)
        if method == "chat.postEphemeral":
            return Allowance(ANSWER_KEY, self._answer_interval, ANSWER_BURST)
        return Allowance(f"post:{channel}", self._post_interval)

    def _conversation(self, channel: str) -> str:
        """The conversation id for an outbox channel: ``@U…`` is the DM with that person."""
        if not channel.startswith(DM_PREFIX):
            return channel
        user = channel[len(DM_PREFIX):]
        if user not in self._dms:
            self._dms[user] = self._client.conversations_open(users=user)["channel"]["id"]
        return self._dms[user]

    def _plan(self, session: Session, message: OutboxMessage) -> _Plan:
        shared = file_of(session, message)
        if shared is not None:
            return _Plan(UPLOAD_METHOD, {"channel": message.channel, "thread_ts": self._thread_of(session, message),
                                         **upload_kwargs(shared, comment=message.text, upload_dir=self._upload_dir)},
                         may_have_been_posted(session, message))
        rendered = render_outbox(message.text, message.body, job_id=message.job_id).as_kwargs()
        if message.placement is Placement.ANSWER and not message.channel.startswith(DM_PREFIX):
            return _Plan("chat.postEphemeral", {"channel": message.channel, "user": message.recipient, **rendered})
        ts = sent_ts_for_slot(session, message.slot) if message.slot else None
        if ts:
            return _Plan("chat.update", {"channel": message.channel, "ts": ts, **rendered})
        kwargs = {"channel": message.channel, **rendered,
                  "metadata": posted.metadata(outbox_id=message.id, slot=message.slot)}
        if message.placement is Placement.REPLY:
            kwargs["thread_ts"] = self._thread_of(session, message)
        return _Plan("chat.postMessage", kwargs, may_have_been_posted(session, message))

    @staticmethod
    def _thread_of(session: Session, message: OutboxMessage) -> str:
        thread_ts = thread_ts_for(session, message)
        if thread_ts is None:
            raise _NotYet("the job's parent message has not been posted")
        return thread_ts

    def _call(self, method: str, kwargs: dict[str, Any]) -> Any:
        calls: dict[str, Callable[..., Any]] = {"chat.update": self._client.chat_update,
                                                 "chat.postEphemeral": self._client.chat_postEphemeral,
                                                 UPLOAD_METHOD: self._client.files_upload_v2}
        call = calls.get(method, self._client.chat_postMessage)
        try:
            return call(**kwargs)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in BLOCK_ERRORS:
                # Slack refused our blocks: the text alone still tells people what happened.
                log.warning("%s refused the blocks (%s); sending the text alone", method, error)
                return call(**{**kwargs, "blocks": []})
            if error in TOO_LONG_ERRORS:
                # Too long for Slack: the start of the text, once; a second refusal gives it up.
                log.warning("%s: %s; sending it shortened", method, error)
                self._metrics.outbox("shortened")
                text = cut(str(kwargs.get("text") or ""), SHORT_TEXT, note="… (shortened: too long for Slack)")
                return call(**{**kwargs, "blocks": [], "text": text})
            raise


def _edit(plan: _Plan, ts: str) -> _Plan:
    """The post found in Slack is edited to this message's words (the newest of its slot)."""
    kwargs = {k: v for k, v in plan.kwargs.items() if k not in ("thread_ts", "metadata")}
    return replace(plan, method="chat.update", kwargs={**kwargs, "ts": ts}, in_doubt_since=None)


class _NotYet(Exception):
    """The message cannot be sent yet (its thread does not exist)."""
