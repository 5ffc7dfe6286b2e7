"""Which of the policy's Slack user groups a person belongs to, without slowing an ack.

``usergroups.users.list`` is Tier 2, so membership is cached for five minutes. A stale cache is
served at once while one background refresh runs; only a cold cache waits, and only briefly
(``wait``): a person gets an answer within Slack's three seconds even when Slack is slow, at
worst without their group roles, and a log line says why.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0
RETRY_AFTER_FAILURE = 30.0


class GroupDirectory:
    """Cached membership of ``groups`` (user-group ids), refreshed in the background."""

    def __init__(self, *, client: WebClient, groups: Iterable[str], ttl: float = TTL_SECONDS,
                 wait: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._groups = tuple(sorted(set(groups)))
        self._ttl = ttl
        self._wait = wait
        self._clock = clock
        self._lock = threading.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._expires_at: float | None = None
        self._refresh: threading.Thread | None = None
        self._loaded = threading.Event()

    def groups_for(self, user_id: str) -> frozenset[str]:
        """The groups (of those the policy names) that ``user_id`` belongs to."""
        if not self._groups:
            return frozenset()
        with self._lock:
            fresh = self._expires_at is not None and self._clock() < self._expires_at
            if not fresh:
                self._start_refresh()
        if not self._loaded.is_set() and not self._loaded.wait(self._wait):
            log.warning("user groups not loaded within %.1fs; answering without group roles", self._wait)
        with self._lock:
            return frozenset(g for g, users in self._members.items() if user_id in users)

    def _start_refresh(self) -> None:
        if self._refresh is not None and self._refresh.is_alive():
            return
        self._refresh = threading.Thread(target=self._fetch, name="usergroups-refresh", daemon=True)
        self._refresh.start()

    def _fetch(self) -> None:
        members: dict[str, frozenset[str]] = {}
        failed = []
        for group in self._groups:
            try:
                response = self._client.usergroups_users_list(usergroup=group)
                members[group] = frozenset(response.get("users") or [])
            except (SlackApiError, OSError) as exc:
                failed.append(f"{group}: {_reason(exc)}")
        with self._lock:
            self._members.update(members)    # a failed group keeps its last known members
            self._expires_at = self._clock() + (RETRY_AFTER_FAILURE if failed else self._ttl)
        self._loaded.set()
        if failed:
            log.warning("usergroups.users.list failed (%s); retrying in %.0fs", "; ".join(failed),
                        RETRY_AFTER_FAILURE)


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
