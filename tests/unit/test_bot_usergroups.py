"""bot.usergroups: cached, refreshed in the background, never slow before an ack."""
from __future__ import annotations

import logging
import threading

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.metrics import Metrics
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


def _refreshed(directory: GroupDirectory, user: str) -> frozenset[str]:
    """Ask (which starts a refresh when one is due), let the refresh end, and ask again."""
    directory.groups_for(user)
    if directory._refresh is not None:
        directory._refresh.join(5)
    return directory.groups_for(user)


def test_a_grant_outlives_its_unreadable_group_by_one_refresh_interval_at_most(caplog) -> None:
    """Fail closed: a group read at t=0 (ttl 300) grants its role until t=600 however Slack fails."""
    now = [0.0]
    client = FakeClient({"SA": ["U1"]})
    metrics = Metrics()
    directory = GroupDirectory(client=client, groups=["SA"], ttl=300, clock=lambda: now[0], metrics=metrics)
    assert _refreshed(directory, "U1") == {"SA"}
    client.fail = True
    now[0] = 301                                            # due; the read fails: kept, with an error
    with caplog.at_level(logging.ERROR, logger="bot.usergroups"):
        assert _refreshed(directory, "U1") == {"SA"}
    assert "usergroups.users.list failed for SA (ratelimited); its members, read 301s ago, keep their roles " \
           "for 299s more at most" in caplog.text
    assert 'fuelbot_usergroup_lookup_failing{group="SA"} 1.0' in metrics.render().decode()
    now[0] = 599
    assert _refreshed(directory, "U1") == {"SA"}            # fails again: 1 s left
    now[0] = 600                                            # one interval after it could not be read: gone
    assert directory.groups_for("U1") == frozenset()
    now[0] = 630                                            # the next retry drops it for good
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="bot.usergroups"):
        assert _refreshed(directory, "U1") == frozenset()
    assert "the group grants no role until it can be read (its members were dropped)" in caplog.text
    client.fail = False
    now[0] = 700                                            # readable again: granted again, metric cleared
    assert _refreshed(directory, "U1") == {"SA"}
    rendered = metrics.render().decode()
    assert 'fuelbot_usergroup_lookup_failing{group="SA"} 0.0' in rendered
    assert 'fuelbot_usergroup_lookups_total{group="SA",outcome="failed"} 3.0' in rendered


def test_a_group_never_read_grants_nothing() -> None:
    client = FakeClient({"SA": ["U1"]})
    client.fail = True
    directory = GroupDirectory(client=client, groups=["SA"])
    assert _refreshed(directory, "U1") == frozenset()


def test_no_groups_no_calls() -> None:
    client = FakeClient({})
    assert GroupDirectory(client=client, groups=[]).groups_for("U1") == frozenset()
    assert client.calls == []
