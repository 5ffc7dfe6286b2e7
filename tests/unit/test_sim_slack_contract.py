"""LocalSlack holds callers to Slack's published contract, with Slack's error codes.

Methods and their required arguments and scopes (slack-api-specs), Block Kit (slack_sdk.models plus
the documented limits), control characters, conversations the bot may not use, ephemeral
messages, response_url limits, rate tiers and the external file upload. Each breach is also a
recorded ``Violation`` (what the fixtures assert empty), unescaped mrkdwn included.
"""
from __future__ import annotations

import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sim.slack.blockkit import block_problems, unescaped
from sim.slack.channels import Kind
from sim.slack.workspace import LocalSlack, manifest_scopes

SCOPES = manifest_scopes() | {"files:write", "im:write"}


@pytest.fixture
def slack():
    with LocalSlack(channels={"C1": "lab"}, scopes=SCOPES) as local:
        local.add_channel("C0SECRET", "secret", kind=Kind.PRIVATE, members=["U1"], bot=False)
        local.add_channel("C0CLUB", "club", kind=Kind.PRIVATE, members=["U1"])
        local.add_channel("C0PUBLIC", "elsewhere", members=["U1"], bot=False)
        local.add_channel("D0HUMANS", "U1", kind=Kind.IM, members=["U1", "U2"], bot=False)
        local.add_channel("G0GROUP", "mpdm-u1--u2--u3-1", kind=Kind.MPIM, members=["U1", "U2", "U3"], bot=False)
        yield local


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url, team_id="T_LOCAL", retry_handlers=[])


def refused(call) -> str:
    with pytest.raises(SlackApiError) as error:
        call()
    return error.value.response["error"]


def rules(slack: LocalSlack) -> list[str]:
    return [v.rule for v in slack.take_violations()]


# -- methods, tokens, scopes, arguments ---------------------------------------------------------
def test_a_method_outside_the_contract_is_unknown_and_a_violation(slack, client) -> None:
    assert refused(lambda: client.api_call("chat.meMessage", json={"channel": "C1", "text": "x"})) == "unknown_method"
    assert rules(slack) == ["unknown_method"]


def test_missing_required_arguments_are_refused(slack, client) -> None:
    assert refused(lambda: client.api_call("chat.postMessage", json={"channel": "C1"})) == "no_text"
    assert refused(lambda: client.api_call("chat.update", json={"channel": "C1", "text": "x"})) == "invalid_arguments"
    assert refused(lambda: client.api_call("chat.postMessage", json={"text": "x"})) == "channel_not_found"
    assert rules(slack) == ["missing_argument"] * 3


def test_a_scope_the_manifest_does_not_ask_for_is_missing(client) -> None:
    with LocalSlack(channels={"C1": "lab"}) as strict:          # the manifest's scopes only
        bot = WebClient(token="xoxb-test", base_url=strict.base_url, retry_handlers=[])
        assert refused(lambda: bot.conversations_info(channel="C1")) == "missing_scope"
        assert [v.rule for v in strict.take_violations()] == ["missing_scope"]


def test_the_app_token_and_the_bot_token_are_not_interchangeable(slack, client) -> None:
    assert refused(lambda: client.api_call("apps.connections.open")) == "not_allowed_token_type"
    app = WebClient(token="xapp-test", base_url=slack.base_url, retry_handlers=[])
    assert refused(lambda: app.chat_postMessage(channel="C1", text="x")) == "not_allowed_token_type"
    assert rules(slack) == ["token_type", "token_type"]


# -- Block Kit and text ---------------------------------------------------------------------------
BUTTON = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}, "value": "v"}


@pytest.mark.parametrize("blocks, why", [
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "cannot exceed 3000"),
    ([{"type": "sectionx", "text": {"type": "mrkdwn", "text": "x"}}], "unknown block type"),
    ([{"type": "section", "txt": {"type": "mrkdwn", "text": "x"}, "text": {"type": "mrkdwn", "text": "x"}}],
     "unknown field /txt"),
    ([{"type": "actions", "elements": [BUTTON, BUTTON]}], "action_ids repeat"),
    ([{"type": "divider", "block_id": "b"}, {"type": "divider", "block_id": "b"}], "block_ids repeat"),
    ([{"type": "divider"}] * 51, "at most 50"),
    ([{"type": "actions", "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "x" * 76}}]}],
     "cannot exceed 75"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}], "exceeds 2000"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "empty text object"),
    ([{"type": "context", "elements": []}], "at least one element"),
])
def test_blocks_slack_would_refuse(blocks: list, why: str) -> None:
    assert any(why in problem for problem in block_problems(blocks)), block_problems(blocks)


def test_invalid_blocks_are_refused_and_valid_ones_taken(slack, client) -> None:
    assert refused(lambda: client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "sectionx"}])) \
        == "invalid_blocks"
    assert rules(slack) == ["invalid_blocks"]
    good = [{"type": "section", "text": {"type": "mrkdwn", "text": "*ok*"}},
            {"type": "actions", "elements": [{**BUTTON, "style": "danger"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "job #1"}]}]
    client.chat_postMessage(channel="C1", text="ok", blocks=good)
    assert slack.channel("C1").messages[0].blocks == tuple(good)


def test_control_characters_and_unescaped_mrkdwn_are_violations(slack, client) -> None:
    client.chat_postMessage(channel="C1", text="bell \x07 here")
    assert rules(slack) == ["message"]
    client.chat_postMessage(channel="C1", text="use `/fuel deploy <lab>` & see <@U123> <#C1|lab> "
                                               "<https://x.example|docs> &lt;ok&gt;\n> quoted")
    taken = slack.take_violations()
    assert [v.rule for v in taken] == ["unescaped"] * 3
    assert [v.detail.split(" in ")[0] for v in taken] == ["'&'", "'<'", "'>'"]


@pytest.mark.parametrize("text", ["<@U0ALICE> asked", "<!subteam^S0OPS|@ops> look", "<!here>", "&amp; &lt; &gt;",
                                  "<https://fuel.example/#/cluster/3|environment 3>", "> a block quote",
                                  "<#C0LAB>", "<mailto:ops@example.com|mail>"])
def test_slack_sequences_are_not_unescaped(text: str) -> None:
    assert unescaped(text) == []


@pytest.mark.parametrize("text", ["/fuel deploy <lab>", "a < b", "R&D", "<!channel is not a thing", "x > y"])
def test_stray_control_characters_are_unescaped(text: str) -> None:
    assert unescaped(text)


# -- conversations ----------------------------------------------------------------------------
def test_where_the_bot_may_post(slack, client) -> None:
    assert refused(lambda: client.chat_postMessage(channel="C0SECRET", text="x")) == "channel_not_found"
    assert refused(lambda: client.chat_postMessage(channel="D0HUMANS", text="x")) == "channel_not_found"
    assert refused(lambda: client.chat_postMessage(channel="G0GROUP", text="x")) == "channel_not_found"
    client.chat_postMessage(channel="C0CLUB", text="private, with the bot")
    client.chat_postMessage(channel="C0PUBLIC", text="public, chat:write.public")
    client.chat_postMessage(channel="#lab", text="by name")
    assert [m.text for m in slack.channel("C1").messages] == ["by name"]
    slack.archive("C0CLUB")
    assert refused(lambda: client.chat_postMessage(channel="C0CLUB", text="x")) == "is_archived"
    assert slack.violations == []


def test_a_public_channel_without_the_bot_needs_chat_write_public(slack) -> None:
    with LocalSlack(channels={"C1": "lab"}, scopes={"chat:write"}) as narrow:
        narrow.add_channel("C0PUBLIC", "elsewhere", members=["U1"], bot=False)
        bot = WebClient(token="xoxb-test", base_url=narrow.base_url, retry_handlers=[])
        assert refused(lambda: bot.chat_postMessage(channel="C0PUBLIC", text="x")) == "not_in_channel"


def test_chat_update_takes_a_channel_id_not_a_name(slack, client) -> None:
    ts = client.chat_postMessage(channel="#lab", text="x")["ts"]
    assert refused(lambda: client.chat_update(channel="lab", ts=ts, text="y")) == "channel_not_found"
    assert rules(slack) == ["channel_not_an_id"]


def test_an_ephemeral_message_is_replaced_through_its_response_url_never_chat_update(slack, client) -> None:
    ephemeral_ts = client.chat_postEphemeral(channel="C1", user="U1", text="Destroy lab1?")["message_ts"]
    assert refused(lambda: client.chat_update(channel="C1", ts=ephemeral_ts, text="done")) == "message_not_found"
    assert rules(slack) == ["ephemeral_update"]
    hook = slack.new_response_url(channel="C1", user="U1", origin=ephemeral_ts)
    assert WebhookClient(hook).send(text="Destroy queued", replace_original=True).status_code == 200
    assert [e.text for e in slack.channel("C1").ephemerals_for("U1")] == ["Destroy queued"]


def test_ephemeral_messages_go_to_members_only(slack, client) -> None:
    assert refused(lambda: client.chat_postEphemeral(channel="C0CLUB", user="U9", text="x")) == "user_not_in_channel"


def test_conversations_open_gives_the_dm_with_the_bot(slack, client) -> None:
    dm = client.conversations_open(users="U01")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users="U01")["channel"]["id"] == dm
    client.chat_postMessage(channel=dm, text="only we see this")
    assert [m.text for m in slack.channel(dm).messages] == ["only we see this"]


def test_response_urls_work_where_the_bot_cannot_post(slack) -> None:
    hook = slack.new_response_url(channel="C0SECRET", user="U1")
    assert WebhookClient(hook).send(text="only you").status_code == 200
    assert [e.text for e in slack.channel("C0SECRET").ephemerals_for("U1")] == ["only you"]


def test_a_response_url_expires_after_thirty_minutes() -> None:
    now = [1000.0]
    with LocalSlack(channels={"C1": "lab"}, clock=lambda: now[0]) as slack:
        hook = slack.new_response_url(channel="C1", user="U1")
        assert WebhookClient(hook).send(text="in time").status_code == 200
        now[0] += 30 * 60 + 1
        response = WebhookClient(hook).send(text="too late")
        assert (response.status_code, response.body) == (404, "expired_url")


# -- rate limits ------------------------------------------------------------------------------------
def test_posts_burst_then_429_per_channel_with_retry_after(slack, client) -> None:
    statuses = []
    for _ in range(5):
        try:
            client.chat_postMessage(channel="C1", text="x")
            statuses.append(200)
        except SlackApiError as limited:
            statuses.append(limited.response.status_code)
            assert limited.response.headers["Retry-After"] == "1"
    assert statuses == [200, 200, 200, 429, 429]
    client.chat_postMessage(channel="C0CLUB", text="another channel has its own allowance")
    assert [c.throttled for c in slack.calls("chat.postMessage")] == [False] * 3 + [True] * 2 + [False]


def test_chat_update_is_tier_3_per_workspace(slack, client) -> None:
    ts = client.chat_postMessage(channel="C1", text="x")["ts"]
    for n in range(50):
        client.chat_update(channel="C1", ts=ts, text=str(n))
    assert refused(lambda: client.chat_update(channel="C1", ts=ts, text="51st")) == "ratelimited"


# -- files ----------------------------------------------------------------------------------------------
def test_a_file_is_uploaded_into_a_thread(slack, client) -> None:
    parent = client.chat_postMessage(channel="C1", text="Diagnostics of job #3")["ts"]
    done = client.files_upload_v2(channel="C1", thread_ts=parent, filename="job-3.log", content="line\n" * 1000,
                                  initial_comment="the whole log")
    assert done["file"]["title"] == "job-3.log"
    [reply] = slack.channel("C1").message(parent).replies
    assert reply.text == "the whole log" and reply.files == ("job-3.log",)
    stored = slack.files.get(done["file"]["id"])
    assert stored is not None and stored.content == b"line\n" * 1000 and stored.shared_in == ["C1"]


def test_uploads_are_held_to_what_they_announced(slack, client) -> None:
    assert refused(lambda: client.files_getUploadURLExternal(filename="empty.txt", length=0)) == "missing_argument"
    assert refused(lambda: client.files_getUploadURLExternal(filename="huge.tgz", length=2 * 1024 ** 3)) \
        == "file_upload_size_restricted"
    reserved = client.files_getUploadURLExternal(filename="short.txt", length=10)
    request = urllib.request.Request(reserved["upload_url"], data=b"123", method="POST")
    with pytest.raises(urllib.error.HTTPError) as mismatch:
        urllib.request.urlopen(request)
    assert mismatch.value.code == 400 and rules(slack) == ["upload_mismatch"]
    assert refused(lambda: client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}],
                                                               channel_id="C1")) == "file_not_found"
    assert refused(lambda: client.files_upload_v2(channel="C0SECRET", filename="x.txt", content="x")) \
        == "channel_not_found"
