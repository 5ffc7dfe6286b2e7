"""fuelbot's Prometheus metrics: commands, ack latency, Slack calls and 429s, jobs and the outbox.

Counters and the histogram live in this instance's own registry (no global state, so tests and
the bench can build several apps in one process). Jobs by state, the outbox backlog and whether
the database answers are read from the database at scrape time, so they are never stale.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterator

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jobs.outbox import pending_count
from jobs.states import JobState
from store.models import Job

log = logging.getLogger(__name__)
# ``*_created`` series double the exposition and no fuelbot dashboard reads them (process-wide switch).
disable_created_metrics()

CONTENT_TYPE = CONTENT_TYPE_LATEST
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)


class Metrics:
    """Everything fuelbot counts; ``render()`` is the ``/metrics`` body."""

    def __init__(self, *, session_factory: Callable[[], Session] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._commands = Counter("fuelbot_commands", "Slash commands answered, by command and outcome",
                                 ["command", "outcome"], registry=self.registry)
        self._actions = Counter("fuelbot_actions", "Button clicks answered, by action and outcome",
                                ["action", "outcome"], registry=self.registry)
        self._ack = Histogram("fuelbot_ack_seconds", "Time from request to ack, by kind (command, action)",
                              ["kind"], buckets=ACK_BUCKETS, registry=self.registry)
        self._slack_calls = Counter("fuelbot_slack_api_calls", "Slack Web API calls made, by method",
                                    ["method"], registry=self.registry)
        self._rate_limited = Counter("fuelbot_slack_rate_limited", "Slack Web API calls answered 429, by method",
                                     ["method"], registry=self.registry)
        self._outbox = Counter("fuelbot_outbox_deliveries",
                               "Outbox messages handled, by outcome (posted, edited, superseded, postponed, "
                               "rate_limited, dead)", ["outcome"], registry=self.registry)
        self._rejected = Counter("fuelbot_http_rejected", "Requests to /slack/events refused before Bolt saw them, "
                                 "by status (401 unsigned or forged, 400 not a Slack payload)", ["status"],
                                 registry=self.registry)
        self._group_lookups = Counter("fuelbot_usergroup_lookups",
                                      "usergroups.users.list reads of the policy's groups, by group and outcome "
                                      "(ok, failed)", ["group", "outcome"], registry=self.registry)
        self._group_failing = Gauge("fuelbot_usergroup_lookup_failing",
                                    "1 while a policy group's members cannot be read (its grants expire)", ["group"],
                                    registry=self.registry)
        if session_factory is not None:
            self.registry.register(_DatabaseCollector(session_factory))

    def __deepcopy__(self, memo: dict) -> "Metrics":
        # Bolt deep-copies request context for lazy listeners; metrics must stay one shared instance.
        return self

    def command(self, name: str, outcome: str) -> None:
        """``name``: a catalog command name or ``unknown`` (bounded labels); ``outcome``: ok, refused, error."""
        self._commands.labels(command=name, outcome=outcome).inc()

    def action(self, name: str, outcome: str) -> None:
        self._actions.labels(action=name, outcome=outcome).inc()

    def ack_latency(self, kind: str, seconds: float) -> None:
        self._ack.labels(kind=kind).observe(seconds)

    def slack_call(self, method: str, *, status: int | None = None) -> None:
        self._slack_calls.labels(method=method).inc()
        if status == 429:
            self._rate_limited.labels(method=method).inc()

    def http_rejected(self, status: int) -> None:
        """A request to /slack/events refused before Bolt: 401 (not signed) or 400 (not a payload)."""
        self._rejected.labels(status=str(status)).inc()

    def usergroup_lookup(self, group: str, *, ok: bool) -> None:
        """``group``: a user-group id from the policy file (bounded labels)."""
        self._group_lookups.labels(group=group, outcome="ok" if ok else "failed").inc()
        self._group_failing.labels(group=group).set(0 if ok else 1)

    def outbox(self, outcome: str) -> None:
        self._outbox.labels(outcome=outcome).inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class _DatabaseCollector:
    """Gauges read at scrape: jobs by state, outbox backlog, database up."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory

    def describe(self) -> list:
        return []   # gauges are produced at collect time; nothing to pre-declare

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("fuelbot_database_up", "1 when the database answered the last scrape")
        try:
            with self._session_factory() as session:
                counts: dict[JobState, int] = {state: count for state, count in session.execute(
                    select(Job.state, func.count()).group_by(Job.state))}
                pending = pending_count(session)
        except Exception as exc:   # a scrape must not fail because the database is down
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("fuelbot_jobs", "Jobs in the database, by state", labels=["state"])
        for state in JobState:
            jobs.add_metric([state.value], counts.get(state, 0))
        yield jobs
        backlog = GaugeMetricFamily("fuelbot_outbox_pending", "Slack outbox messages not yet delivered")
        backlog.add_metric([], pending)
        yield backlog
