"""bot.usergroups: cached, refreshed in the background, never slow before an ack."""
from __future__ import annotations

import threading

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.usergroups import GroupDirectory


class FakeClient:
    """Answers usergroups.users.list from a dict; ``gate`` can hold calls to simulate a slow Slack."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.groups = groups
        self.calls: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False

    def usergroups_users_list(self, *, usergroup: str):
        self.calls.append(usergroup)
        self.gate.wait(5)
        if self.fail:
            response = SlackResponse(client=None, http_verb="POST", api_url="", req_args={},
                                     data={"ok": False, "error": "ratelimited"}, headers={}, status_code=429)
            raise SlackApiError("ratelimited", response)
        return {"ok": True, "users": self.groups.get(usergroup, [])}


def test_cold_lookup_waits_briefly_then_caches() -> None:
    client = FakeClient({"SA": ["U1"], "SB": ["U1", "U2"]})
    directory = GroupDirectory(client=client, groups=["SA", "SB"])
    assert directory.groups_for("U1") == {"SA", "SB"}
    assert directory.groups_for("U2") == {"SB"}
    assert client.calls == ["SA", "SB"]


def test_slow_slack_does_not_hold_the_ack() -> None:
    client = FakeClient({"SA": ["U1"]})
    client.gate.clear()
    directory = GroupDirectory(client=client, groups=["SA"], wait=0.1)
    assert directory.groups_for("U1") == frozenset()      # answered without group roles, in time
    client.gate.set()
    directory._refresh.join(5)
    assert directory.groups_for("U1") == {"SA"}


def test_stale_cache_is_served_while_one_refresh_runs() -> None:
    now = [0.0]
    client = FakeClient({"SA": ["U1"]})
    directory = GroupDirectory(client=client, groups=["SA"], ttl=300, clock=lambda: now[0])
    assert directory.groups_for("U1") == {"SA"}
    now[0] = 301
    client.groups["SA"] = []
    client.gate.clear()
    assert directory.groups_for("U1") == {"SA"}            # stale, instantly
    assert directory.groups_for("U1") == {"SA"}
    client.gate.set()
    directory._refresh.join(5)
    assert client.calls == ["SA", "SA"]                     # one refresh, not one per request
    assert directory.groups_for("U1") == frozenset()


def test_a_failed_refresh_keeps_the_last_members() -> None:
    now = [0.0]
    client = FakeClient({"SA": ["U1"]})
    directory = GroupDirectory(client=client, groups=["SA"], clock=lambda: now[0])
    directory.groups_for("U1")
    now[0] = 1000
    client.fail = True
    directory.groups_for("U1")
    directory._refresh.join(5)
    assert directory.groups_for("U1") == {"SA"}


def test_no_groups_no_calls() -> None:
    client = FakeClient({})
    assert GroupDirectory(client=client, groups=[]).groups_for("U1") == frozenset()
    assert client.calls == []
