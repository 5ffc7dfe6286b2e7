"""What the outbox does when Slack did not take a message: wait, re-route, or give up and say why.

``Failures.handle`` acts on a ``bot.slack_errors.Failure``:

* rate limited: the allowance is held for ``Retry-After`` for every replica, the message goes back
  unharmed (no attempt spent);
* Slack unavailable: the message waits with capped backoff (``retries``, never ``attempts``) for as
  long as the outage lasts, keeping its place in its lane, in doubt when the call may have landed;
  a metric (``outcome="retrying"``) and a log line say so;
* a conversation Slack will never take it in: a job's thread there is dead-lettered at once and
  the requester told (``bot.dead_letters``); an answer to a person goes to their DM instead;
* an error no retry cures (the token revoked, a message too long even shortened, an edit of a
  deleted message): given up now, the requester told why;
* anything else: a few attempts, then given up the same way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from sqlalchemy.orm import Session

from bot import dead_letters
from bot.metrics import Metrics
from bot.slack_errors import Failure, Verdict
from core.mrkdwn import channel_ref
from core.redact import scrub
from jobs.announce import header_of
from jobs.outbox import (DM_PREFIX, OutboxState, Placement, dead_letter, dm_with, person_to_tell, postpone,
                         postpone_channel, release, retry_later, tell_once)
from jobs.queue import record_event
from jobs.rate_budget import Allowance, SharedBudget
from store.models import Job, OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


class Outcome(Enum):
    DONE = "done"              # sent, edited, superseded or given up
    CALLED = "called"          # a Slack call failed; the message backs off
    POSTPONED = "postponed"    # not sendable yet (no thread to reply in); the lane goes on
    WAITING = "waiting"        # put back untouched, and the rest of its lane with it (order)
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"   # Slack is down: the message and the rest of its lane wait
    THROTTLED = "throttled"    # the shared allowance says wait; still ours, tried again later


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    wait: float = 0.0
    instead: int | None = None     # the newer message of the slot that went (or waits) in this one's place


def default_backoff(attempt: int) -> float:
    """Seconds to wait before try ``attempt + 1``: 2, 4, 8 … capped at half a minute."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** attempt)


class Failures:
    """The outbox's answers to failed calls; one per ``OutboxDelivery``."""

    def __init__(self, *, metrics: Metrics, budget: SharedBudget, allowance: Callable[[str, str], Allowance],
                 max_attempts: int, backoff: Callable[[int], float] | None) -> None:
        self._metrics = metrics
        self._budget = budget
        self._allowance = allowance
        self._max_attempts = max_attempts
        self._backoff = backoff or default_backoff

    def handle(self, session: Session, message: OutboxMessage, method: str, channel: str,
               failure: Failure) -> Result:
        match failure.verdict:
            case Verdict.RATE_LIMITED:
                return self._rate_limited(session, message, method, channel, failure.retry_after)
            case Verdict.UNAVAILABLE:
                return self._unavailable(session, message, failure)
            case Verdict.CHANNEL if message.placement is Placement.ANSWER and not message.channel.startswith(
                    DM_PREFIX):
                return self._answer_in_dm(session, message, failure.error)
            case Verdict.CHANNEL:
                return self.dead_letter(session, message, failure.error, notify=True)
            case Verdict.TOO_LONG | Verdict.PERMANENT:
                return self.give_up(session, message, failure.error)
            case _:
                return self.unknown(session, message, failure.error)

    def _rate_limited(self, session: Session, message: OutboxMessage, method: str, channel: str,
                      retry_after: float) -> Result:
        self._budget.hold(self._allowance(method, channel).key, retry_after)
        postpone_channel(session, message.channel, seconds=retry_after,
                         answers=message.placement is Placement.ANSWER)
        release(message, not_before_seconds=retry_after)
        session.commit()
        self._metrics.outbox("rate_limited")
        log.info("Slack rate-limited %s in %s; holding it for %.0fs", method, message.channel, retry_after)
        return Result(Outcome.RATE_LIMITED)

    def _unavailable(self, session: Session, message: OutboxMessage, failure: Failure) -> Result:
        delay = self._backoff(message.retries + 1)
        retry_later(message, seconds=delay, error=failure.error)
        session.commit()
        self._metrics.outbox("retrying")
        level = logging.WARNING if message.retries == 1 or message.retries % 20 == 0 else logging.INFO
        log.log(level, "Slack unavailable for outbox message %s (%s; try %d%s); retrying in %.1fs, for as long "
                "as it takes", message.id, failure.error, message.retries,
                ", it may have been posted: looking for it first" if message.uncertain else "", delay)
        return Result(Outcome.UNAVAILABLE)

    def _answer_in_dm(self, session: Session, message: OutboxMessage, error: str) -> Result:
        """fuelbot cannot show the person anything where they asked: the answer goes to their DM."""
        where = channel_ref(message.channel)
        message.body = {**(message.body or {}), "context": f"You asked in {where}, where fuelbot cannot answer "
                        "you; here is the answer."}
        message.channel = dm_with(message.recipient or "")
        release(message)
        session.commit()
        log.info("answer %s: %s in %s; sending it to the person's DM", message.id, error, where)
        return Result(Outcome.POSTPONED)

    def dead_letter(self, session: Session, message: OutboxMessage, error: str, *, notify: bool,
                    attempted: bool = True) -> Result:
        """Slack will never take this message there: give up on it (and its job's thread there) now."""
        given_up = dead_letter(session, message, error=f"{message.channel}: {error}", attempted=attempted)
        person = self._tell(session, message, error, thread=True) if notify else None
        job = session.get(Job, message.job_id) if message.job_id is not None else None
        if job is not None and notify:
            record_event(session, job, actor="slack", kind="dead-letter",
                         message=f"messages to {message.channel} given up: {error}")
        session.commit()
        for _ in range(given_up):
            self._metrics.outbox("dead")
        log.warning("outbox message %s to %s dead-lettered (%s); %s", message.id, message.channel, error,
                    f"told {person}" if person else "nobody to tell")
        return Result(Outcome.DONE)

    def give_up(self, session: Session, message: OutboxMessage, error: str) -> Result:
        """An error no retry cures: this message is dead, and whoever it was for is told why."""
        message.state = OutboxState.DEAD
        message.error = scrub(error)
        message.attempts += 1
        person = self._tell(session, message, error, thread=False)
        job = session.get(Job, message.job_id) if message.job_id is not None else None
        if job is not None:
            record_event(session, job, actor="slack", kind="dead-letter",
                         message=f"a message to {message.channel} given up: {error}")
        session.commit()
        self._metrics.outbox("dead")
        log.error("outbox message %s to %s given up (%s); %s", message.id, message.channel, error,
                  f"told {person}" if person else "nobody to tell")
        return Result(Outcome.DONE)

    def unknown(self, session: Session, message: OutboxMessage, error: str, *, called: bool = True) -> Result:
        """An error fuelbot does not know: a few attempts, each counted, then given up and told."""
        error = scrub(error)
        if message.attempts + 1 >= self._max_attempts:
            return self.give_up(session, message, error)
        delay = self._backoff(message.attempts + 1)
        postpone(session, message, seconds=delay, error=error, max_attempts=self._max_attempts)
        session.commit()
        self._metrics.outbox("postponed")
        log.warning("outbox message %s: %s; retrying in %.0fs", message.id, error, delay)
        return Result(Outcome.CALLED if called else Outcome.POSTPONED)

    def _tell(self, session: Session, message: OutboxMessage, error: str, *, thread: bool) -> str | None:
        person = message.recipient if message.placement is Placement.ANSWER else person_to_tell(session, message)
        if person is None or message.channel == dm_with(person):
            return None            # the DM itself failed: nothing left to tell them through
        job = session.get(Job, message.job_id) if message.job_id is not None else None
        about = f"{message.job_id or message.id}:{message.channel}" + ("" if thread else f":{error}")
        told = tell_once(session, person=person, about=about,
                         text=dead_letters.notice(error=error, channel=message.channel, job_id=message.job_id,
                                                  title=header_of(job).title if job is not None else None,
                                                  thread=thread))
        return person if told else None
