"""sim.slack.workspace: the Web API stand-in behaves like Slack for the calls fuelbot makes.

The contract checks (methods, scopes, arguments, Block Kit, membership, limits) are in
``test_sim_slack_contract.py``; here the basics every caller relies on.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sim.slack.workspace import LocalSlack, manifest_scopes

SCOPES = manifest_scopes() | {"channels:read"}     # conversations.info is LocalSlack's, not fuelbot's


@pytest.fixture
def slack():
    with LocalSlack(channels={"C1": "lab"}, usergroups={"S1": ["U1", "U2"]}, scopes=SCOPES) as local:
        yield local
        assert local.violations == []


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    # Bolt's per-request clients add team_id to every call; LocalSlack must not mind.
    return WebClient(token="xoxb-test", base_url=slack.base_url, team_id="T_LOCAL", retry_handlers=[])


def test_auth_test(client: WebClient) -> None:
    assert client.auth_test()["user_id"] == "U0FUELBOT"


def test_posts_get_unique_increasing_ts_and_replies_thread_under_the_parent(slack, client) -> None:
    parent = client.chat_postMessage(channel="C1", text="Deploy started")
    first = client.chat_postMessage(channel="C1", text="step 1", thread_ts=parent["ts"])
    second = client.chat_postMessage(channel="C1", text="step 2", thread_ts=first["ts"])   # reply to a reply
    stamps = [parent["ts"], first["ts"], second["ts"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    view = slack.channel("C1")
    assert [m.text for m in view.messages] == ["Deploy started"]
    assert [r.text for r in view.messages[0].replies] == ["step 1", "step 2"]
    assert all(r.thread_ts == parent["ts"] for r in view.messages[0].replies)


def test_update_keeps_history_and_needs_an_existing_message_in_that_channel(slack, client) -> None:
    ts = client.chat_postMessage(channel="C1", text="queued", blocks=[{"type": "divider"}])["ts"]
    client.chat_update(channel="C1", ts=ts, text="running")
    message = slack.channel("C1").message(ts)
    assert message.text == "running" and message.history == ("queued",) and message.edited
    assert message.blocks == ({"type": "divider"},)          # no blocks given: Slack keeps the old ones
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as elsewhere:
        client.chat_update(channel="C2", ts=ts, text="x")
    assert elsewhere.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as unknown:
        client.chat_postMessage(channel="C404", text="x")      # no channel is made up on the fly
    assert unknown.value.response["error"] == "channel_not_found"


def test_unknown_thread_is_refused(client) -> None:
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C1", text="x", thread_ts="123.000001")
    assert error.value.response["error"] == "thread_not_found"


def test_ephemeral_messages_are_per_user(slack, client) -> None:
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    view = slack.channel("C1")
    assert [e.text for e in view.ephemerals_for("U1")] == ["only you"]
    assert view.ephemerals_for("U2") == ()


def test_form_encoded_bodies_are_understood(slack, client) -> None:
    # usergroups.users.list arrives form-encoded from slack_sdk
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    call = slack.calls("usergroups.users.list")[0]
    assert call.params["usergroup"] == "S1" and call.params["team_id"] == "T_LOCAL"
    with pytest.raises(SlackApiError):
        client.usergroups_users_list(usergroup="S404")


def test_permalink_and_conversation_info(slack, client) -> None:
    ts = client.chat_postMessage(channel="C1", text="x")["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link.startswith(slack.root_url) and urllib.request.urlopen(link).status == 200
    assert client.conversations_info(channel="C1")["channel"]["name"] == "lab"


def test_injected_429_carries_retry_after_then_clears(slack, client) -> None:
    slack.rate_limit("chat.postMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="C1", text="x")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
    client.chat_postMessage(channel="C1", text="x")
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 429, 200]
    assert len(slack.channel("C1").messages) == 1


def test_injected_error(slack, client) -> None:
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x")


def test_missing_token_is_not_authed(slack) -> None:
    request = urllib.request.Request(slack.base_url + "auth.test", data=b"", method="POST")
    assert json.loads(urllib.request.urlopen(request).read())["error"] == "not_authed"


def test_response_url_ephemeral_in_channel_and_replace_original(slack, client) -> None:
    hook = slack.new_response_url(channel="C1", user="U1")
    assert WebhookClient(hook).send(text="just you").status_code == 200
    assert WebhookClient(hook).send(text="everyone", response_type="in_channel").status_code == 200
    view = slack.channel("C1")
    assert [e.text for e in view.ephemerals_for("U1")] == ["just you"]
    assert [m.text for m in view.messages] == ["everyone"]
    origin = client.chat_postMessage(channel="C1", text="Destroy lab1?")["ts"]
    clicked = slack.new_response_url(channel="C1", user="U1", origin=origin)
    WebhookClient(clicked).send(text="Destroy queued", replace_original=True)
    assert slack.channel("C1").message(origin).text == "Destroy queued"


def test_response_url_works_five_times(slack) -> None:
    hook = slack.new_response_url(channel="C1", user="U1")
    statuses = [WebhookClient(hook).send(text=str(i)).status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]


def test_show_command_response_like_slack(slack) -> None:
    slack.show_command_response(channel="C1", user="U1", command="/fuel help", response="plain answer")
    slack.show_command_response(channel="C1", user="U1", command="/fuel digest",
                                response={"text": "posted", "response_type": "in_channel"})
    view = slack.channel("C1")
    assert [e.source for e in view.ephemerals_for("U1")] == ["ack"]
    assert [(m.user, m.text) for m in view.messages] == [("U1", "/fuel digest"), ("U0FUELBOT", "posted")]


def test_wait_for_wakes_on_change(slack, client) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late"))
    timer.start()
    assert slack.wait_for(lambda: len(slack.channel("C1").messages) == 1, timeout=5)
    assert not slack.wait_for(lambda: len(slack.channel("C1").messages) == 2, timeout=0.2)
    version = slack.version
    assert slack.wait_for_change(version, timeout=0.05) == version


# -- outages, posts that land without an answer, and reading a conversation back ----------------
def test_an_outage_answers_every_call_until_restored_and_a_drop_closes_the_connection(slack, client) -> None:
    slack.outage(status=503)
    with pytest.raises(SlackApiError) as down:
        client.chat_postMessage(channel="C1", text="x")
    assert (down.value.response.status_code, down.value.response["error"]) == (503, "service_unavailable")
    slack.outage(drop=True)
    with pytest.raises(OSError):
        WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[]).auth_test()
    slack.restore()
    client.chat_postMessage(channel="C1", text="back")
    assert [m.text for m in slack.channel("C1").messages] == ["back"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [503, 200]


def test_a_fault_after_the_call_took_effect_and_a_late_answer(slack, client) -> None:
    slack.fail("chat.postMessage", error="internal_error", status=500, after=True)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="landed anyway")
    slack.slow("chat.postMessage", seconds=1.5)
    with pytest.raises(TimeoutError):
        WebClient(token="xoxb-test", base_url=slack.base_url, timeout=1, retry_handlers=[]).chat_postMessage(
            channel="C1", text="landed, answered late")
    assert [m.text for m in slack.channel("C1").messages] == ["landed anyway", "landed, answered late"]
    assert [c.took_effect for c in slack.calls("chat.postMessage")] == [True, True]


@pytest.fixture
def fast_slack():
    with LocalSlack(channels={"C1": "lab"}, scopes=SCOPES, rate_scale=100.0) as local:   # posts 10 ms apart
        yield local
        assert local.violations == []


def test_history_and_replies_read_back_messages_with_their_metadata(fast_slack) -> None:
    client = WebClient(token="xoxb-test", base_url=fast_slack.base_url, retry_handlers=[])
    meta = {"event_type": "fuelbot_outbox", "event_payload": {"slot": "job:1:parent"}}
    root = client.chat_postMessage(channel="C1", text="parent", metadata=meta)["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=root,
                            metadata={"event_type": "fuelbot_outbox", "event_payload": {"outbox_id": 2}})
    for i in range(3):
        time.sleep(0.02)
        client.chat_postMessage(channel="C1", text=f"news {i}")
    first = client.conversations_history(channel="C1", limit=2, include_all_metadata=True)
    assert [m["text"] for m in first["messages"]] == ["news 2", "news 1"] and first["has_more"]
    rest = client.conversations_history(channel="C1", limit=10, include_all_metadata=True,
                                        cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["news 0", "parent"] and not rest["has_more"]
    assert rest["messages"][-1]["metadata"] == meta
    assert "metadata" not in client.conversations_history(channel="C1")["messages"][-1]
    thread = client.conversations_replies(channel="C1", ts=root, include_all_metadata=True)["messages"]
    assert [(m["text"], m["metadata"]["event_payload"]) for m in thread] == [
        ("parent", {"slot": "job:1:parent"}), ("reply", {"outbox_id": 2})]
    assert client.conversations_history(channel="C1", oldest=root)["messages"][-1]["text"] == "news 0"


@pytest.mark.parametrize("metadata, error", [("not json", "invalid_metadata_format"),
                                             ({"event_type": "x y", "event_payload": {}}, "invalid_metadata_schema"),
                                             ({"event_type": "ok"}, "invalid_metadata_schema")])
def test_metadata_slack_would_refuse(slack, client, metadata, error) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="x", metadata=metadata)
    assert refused.value.response["error"] == error


def test_reading_a_conversation_needs_membership_and_its_history_scope(slack, client) -> None:
    from sim.slack.channels import Kind
    slack.add_channel("C0ELSE", "elsewhere", members=["U1"], bot=False)
    slack.add_channel("G0MPIM", "mpdm-u1-u2", kind=Kind.MPIM, members=["U1", "U2"])
    with pytest.raises(SlackApiError) as outside:
        client.conversations_history(channel="C0ELSE")
    assert outside.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as unscoped:
        client.conversations_history(channel="G0MPIM")       # fuelbot asks for no mpim:history
    assert unscoped.value.response["error"] == "missing_scope"
    assert [v.rule for v in slack.take_violations()] == ["missing_scope"]
