"""LocalSlack's external file upload refuses what Slack refuses, with Slack's codes, and spends no file doing so.

files.getUploadURLExternal takes form-encoded ``filename`` and ``length`` and the ``files:write``
scope; the upload URL takes exactly the announced bytes; files.completeUploadExternal shares an
uploaded file once, in a conversation id the bot may post in, in a thread of that conversation.
"""
from __future__ import annotations

import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sim.slack.channels import Kind
from sim.slack.workspace import LocalSlack, manifest_scopes


@pytest.fixture
def slack():
    with LocalSlack(channels={"C1": "lab", "C2": "other"}) as local:
        local.add_channel("C0SECRET", "secret", kind=Kind.PRIVATE, members=["U1"], bot=False)
        yield local


@pytest.fixture
def client(slack: LocalSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])


def refused(call) -> str:
    with pytest.raises(SlackApiError) as error:
        call()
    return error.value.response["error"]


def rules(slack: LocalSlack) -> list[str]:
    return [v.rule for v in slack.take_violations()]


def uploaded(client: WebClient, content: bytes = b"0123456789", name: str = "a.log") -> str:
    """A file reserved and POSTed, not yet completed: its id."""
    reserved = client.files_getUploadURLExternal(filename=name, length=len(content))
    request = urllib.request.Request(reserved["upload_url"], data=content, method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
    return reserved["file_id"]


def test_the_manifest_asks_for_files_write_and_local_slack_grants_what_it_asks() -> None:
    assert "files:write" in manifest_scopes()
    assert LocalSlack().scopes == manifest_scopes()


def test_without_files_write_both_calls_are_missing_scope(slack) -> None:
    with LocalSlack(channels={"C1": "lab"}, scopes=manifest_scopes() - {"files:write"}) as bare:
        client = WebClient(token="xoxb-test", base_url=bare.base_url, retry_handlers=[])
        assert refused(lambda: client.files_getUploadURLExternal(filename="a.log", length=3)) == "missing_scope"
        assert refused(lambda: client.files_completeUploadExternal(files=[{"id": "F1"}], channel_id="C1")) \
            == "missing_scope"
        assert rules(bare) == ["missing_scope", "missing_scope"]


def test_a_call_without_a_token_is_not_authed(slack) -> None:
    anonymous = WebClient(token=None, base_url=slack.base_url, retry_handlers=[])
    assert refused(lambda: anonymous.files_getUploadURLExternal(filename="a.log", length=3)) == "not_authed"


def test_filename_and_length_are_required_form_arguments(slack, client) -> None:
    assert refused(lambda: client.api_call("files.getUploadURLExternal", params={"length": 3})) == "invalid_arguments"
    assert refused(lambda: client.api_call("files.getUploadURLExternal", params={"filename": "a.log"})) \
        == "invalid_arguments"
    assert rules(slack) == ["missing_argument", "missing_argument"]
    # Slack reads this method's arguments from a form only: a JSON body leaves both missing.
    assert refused(lambda: client.api_call("files.getUploadURLExternal", json={"filename": "a.log", "length": 3})) \
        == "invalid_arguments"
    assert rules(slack) == ["json_body", "missing_argument"]
    assert refused(lambda: client.files_getUploadURLExternal(filename="a.log", length="ten")) == "invalid_arguments"


def test_an_upload_never_posted_cannot_be_completed(slack, client) -> None:
    reserved = client.files_getUploadURLExternal(filename="a.log", length=3)
    assert refused(lambda: client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}],
                                                               channel_id="C1")) == "file_not_found"
    assert slack.files_in("C1") == []


def test_a_file_is_completed_once(slack, client) -> None:
    file_id = uploaded(client)
    client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
    assert refused(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")) \
        == "file_not_found"
    assert len(slack.files_in("C1")) == 1 and len(slack.channel("C1").messages) == 1


def test_a_conversation_the_bot_cannot_use_is_channel_not_found_and_spends_no_file(slack, client) -> None:
    file_id = uploaded(client)
    for channel in ("C0NOPE", "C0SECRET"):
        assert refused(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=channel)) \
            == "channel_not_found"
    assert refused(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="lab")) \
        == "invalid_arguments", "channel_id is an id, not a name"
    assert rules(slack) == ["channel_not_an_id"]
    client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
    assert [f.file_id for f in slack.files_in("C1")] == [file_id]


def test_thread_ts_must_be_a_message_of_that_channel(slack, client) -> None:
    elsewhere = client.chat_postMessage(channel="C2", text="a thread in another channel")["ts"]
    file_id = uploaded(client)
    assert refused(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1",
                                                               thread_ts=elsewhere)) == "thread_not_found"
    assert refused(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], thread_ts=elsewhere)) \
        == "invalid_arguments", "a thread needs its one channel"
    assert rules(slack) == ["thread_without_channel"]
    client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C2", thread_ts=elsewhere)
    [shared] = slack.files_in("C2", elsewhere)
    assert shared.file_id == file_id and slack.channel("C2").message(elsewhere).replies[0].files == ("a.log",)


def test_a_reply_ts_is_filed_under_its_root_and_is_a_violation(slack, client) -> None:
    root = client.chat_postMessage(channel="C1", text="root")["ts"]
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=root)["ts"]
    client.files_completeUploadExternal(files=[{"id": uploaded(client)}], channel_id="C1", thread_ts=reply)
    assert rules(slack) == ["reply_ts"]
    assert len(slack.files_in("C1", root)) == 1


def test_the_bytes_must_match_the_announced_length(slack, client) -> None:
    reserved = client.files_getUploadURLExternal(filename="a.log", length=10)
    request = urllib.request.Request(reserved["upload_url"], data=b"0123", method="POST")
    with pytest.raises(urllib.error.HTTPError) as mismatch:
        urllib.request.urlopen(request)
    assert mismatch.value.code == 400 and rules(slack) == ["upload_mismatch"]


def test_a_shared_file_is_read_back_with_its_name_title_size_and_bytes(slack, client) -> None:
    parent = client.chat_postMessage(channel="C1", text="job #3")["ts"]
    content = bytes(range(256)) * 4
    done = client.files_upload_v2(channel="C1", thread_ts=parent, filename="snap.tgz", content=content,
                                  title="Diagnostic snapshot", initial_comment="📦 the snapshot")
    [shared] = slack.files_in("C1", parent)
    assert (shared.file_id, shared.filename, shared.title, shared.length, shared.content) == \
        (done["file"]["id"], "snap.tgz", "Diagnostic snapshot", 1024, content)
    [reply] = slack.channel("C1").message(parent).replies
    assert reply.ts == shared.ts and reply.text == "📦 the snapshot"
