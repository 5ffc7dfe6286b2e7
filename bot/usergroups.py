"""Which of the policy's Slack user groups a person belongs to, without slowing an ack.

``usergroups.users.list`` is Tier 2, so membership is cached for one refresh interval (``ttl``,
five minutes). A stale cache is served at once while one background refresh runs; only a cold
cache waits, and only briefly (``wait``): a person gets an answer within Slack's three seconds
even when Slack is slow, at worst without their group roles, and a log line says why.

Grants expire with their source (fail closed): a group's members are trusted for one interval
after they were read and, while re-reading fails, for at most one interval more; then the
group grants nothing until it can be read again. Every failed read is an ERROR log line and
sets ``fuelbot_usergroup_lookup_failing{group}``, so a revoked token or a lost scope is seen
before people notice they lost their operator role.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0
RETRY_AFTER_FAILURE = 30.0


class GroupDirectory:
    """Cached membership of ``groups`` (user-group ids), refreshed in the background."""

    def __init__(self, *, client: WebClient, groups: Iterable[str], ttl: float = TTL_SECONDS,
                 wait: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 metrics: Metrics | None = None) -> None:
        self._client = client
        self._groups = tuple(sorted(set(groups)))
        self._ttl = ttl
        self._wait = wait
        self._clock = clock
        self._metrics = metrics
        self._lock = threading.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._read_at: dict[str, float] = {}      # when each group's members were last read
        self._expires_at: float | None = None
        self._refresh: threading.Thread | None = None
        self._loaded = threading.Event()

    def groups_for(self, user_id: str) -> frozenset[str]:
        """The groups (of those the policy names) that ``user_id`` belongs to, as far as can be trusted."""
        if not self._groups:
            return frozenset()
        with self._lock:
            fresh = self._expires_at is not None and self._clock() < self._expires_at
            if not fresh:
                self._start_refresh()
        if not self._loaded.is_set() and not self._loaded.wait(self._wait):
            log.warning("user groups not loaded within %.1fs; answering without group roles", self._wait)
        with self._lock:
            now = self._clock()
            return frozenset(g for g, users in self._members.items() if user_id in users and self._trusted(g, now))

    def _trusted(self, group: str, now: float) -> bool:
        """Read less than one interval ago, or due for a refresh less than one interval ago."""
        return now < self._read_at[group] + 2 * self._ttl

    def _start_refresh(self) -> None:
        if self._refresh is not None and self._refresh.is_alive():
            return
        self._refresh = threading.Thread(target=self._fetch, name="usergroups-refresh", daemon=True)
        self._refresh.start()

    def _fetch(self) -> None:
        members: dict[str, frozenset[str]] = {}
        failed: dict[str, str] = {}
        for group in self._groups:
            try:
                response = self._client.usergroups_users_list(usergroup=group)
                members[group] = frozenset(response.get("users") or [])
            except (SlackApiError, OSError) as exc:
                failed[group] = _reason(exc)
            if self._metrics is not None:
                self._metrics.usergroup_lookup(group, ok=group in members)
        with self._lock:
            now = self._clock()
            self._members.update(members)
            self._read_at.update({group: now for group in members})
            dropped = [g for g in failed if g in self._members and not self._trusted(g, now)]
            for group in dropped:           # the source is gone: so are its grants
                del self._members[group]
            kept = {g: self._read_at[g] for g in failed if g in self._members}
            self._expires_at = now + (RETRY_AFTER_FAILURE if failed else self._ttl)
        self._loaded.set()
        for group, reason in failed.items():
            if group in kept:
                log.error("usergroups.users.list failed for %s (%s); its members, read %.0fs ago, keep their roles "
                          "for %.0fs more at most; retrying in %.0fs", group, reason, now - kept[group],
                          kept[group] + 2 * self._ttl - now, RETRY_AFTER_FAILURE)
            else:
                log.error("usergroups.users.list failed for %s (%s); the group grants no role until it can be read%s; "
                          "retrying in %.0fs", group, reason, " (its members were dropped)" if group in dropped else "",
                          RETRY_AFTER_FAILURE)


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
