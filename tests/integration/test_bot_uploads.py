"""Files through the outbox to LocalSlack: in the job's thread in their place, through outages and restarts,
and given up with a notice when no retry can share them."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.metrics import Metrics
from jobs.outbox import OutboxState
from jobs.reporter import OutboxReporter
from jobs.uploads import FileToShare
from sim.slack.workspace import LocalSlack, manifest_scopes
from store.models import Job, OutboxMessage
from tests.fixtures.slack import assert_no_violations
from tests.integration.test_bot_delivery import CHANNEL, RATE_SCALE, delivery_for, drain, new_job


@pytest.fixture
def slack():
    with LocalSlack(channels={CHANNEL: "lab"}, rate_scale=RATE_SCALE) as local:
        yield local
        assert_no_violations(local)


@pytest.fixture
def metrics(sessions) -> Metrics:
    return Metrics(session_factory=sessions)


def files_message(sessions) -> OutboxMessage:
    with sessions() as session:
        [upload] = [m for m in session.scalars(select(OutboxMessage)) if (m.body or {}).get("file")]
        return upload


def test_a_file_is_shared_in_the_job_thread_in_its_place_with_its_name_size_and_bytes(sessions, slack, metrics,
                                                                                      tmp_path) -> None:
    job_id = new_job(sessions)
    reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
    log = "".join(f"2025-03-04 09:{m:02d}:00 ERR puppet: password=hunter2-secret failed\n" for m in range(60))
    reporter.say("Newest first: …")
    assert reporter.upload(FileToShare("lab1-node-7-install-puppet.log", "puppet log of node-7", content=log),
                           comment="📎 puppet log whole, oldest first")
    reporter.say("after the file")
    drain(delivery_for(sessions, slack, metrics, upload_dir=tmp_path), sessions)

    thread_ts = _thread_of(sessions, job_id)
    replies = slack.channel(CHANNEL).message(thread_ts).replies
    assert [(r.text, r.files) for r in replies] == [
        ("Newest first: …", ()), ("📎 puppet log whole, oldest first", ("lab1-node-7-install-puppet.log",)),
        ("after the file", ())]
    [shared] = slack.files_in(CHANNEL, thread_ts)
    expected = log.replace("hunter2-secret", "••••").encode()
    assert (shared.filename, shared.title, shared.length, shared.content) == \
        ("lab1-node-7-install-puppet.log", "puppet log of node-7", len(expected), expected)
    [reserve] = slack.calls("files.getUploadURLExternal")
    assert reserve.params["length"] == str(len(expected)), "Slack's current flow, form-encoded"
    assert slack.calls("files.completeUploadExternal")[0].params["thread_ts"] == thread_ts
    assert files_message(sessions).state == OutboxState.SENT


def test_a_snapshot_under_the_data_dir_is_read_when_it_is_sent(sessions, slack, metrics, tmp_path) -> None:
    data = tmp_path / "snapshots"
    data.mkdir()
    tarball = data / "lab1-job1-fuel-snapshot.tgz"
    tarball.write_bytes(bytes(range(256)) * 40)
    job_id = new_job(sessions)
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).upload(
        FileToShare(tarball.name, "Diagnostic snapshot", path=tarball), comment="📦 the snapshot")
    with sessions() as session:
        assert session.scalars(select(OutboxMessage)).all()[-1].body["file"]["bytes"] == 10240
    drain(delivery_for(sessions, slack, metrics, upload_dir=data), sessions)
    [shared] = slack.files_in(CHANNEL, _thread_of(sessions, job_id))
    assert shared.content == tarball.read_bytes()


def test_a_queued_file_waits_out_an_outage_and_a_restart_and_is_shared_once(sessions, slack, metrics,
                                                                            tmp_path) -> None:
    job_id = new_job(sessions)
    before = delivery_for(sessions, slack, metrics, upload_dir=tmp_path, backoff=lambda attempt: 0.0)
    drain(before, sessions)                                                  # the thread exists
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).upload(
        FileToShare("a.log", "a", content="line\n" * 500), comment="📎")
    slack.outage()
    for _ in range(5):
        before.tick()
    upload = files_message(sessions)
    assert upload.state == OutboxState.PENDING and upload.attempts == 0 and upload.retries >= 1, \
        "an outage is waited out: retries, never attempts"
    slack.restore()
    after = delivery_for(sessions, slack, metrics, upload_dir=tmp_path)     # another process, after a restart
    drain(after, sessions)
    [shared] = slack.files_in(CHANNEL)
    assert shared.content == b"line\n" * 500 and files_message(sessions).state == OutboxState.SENT


def test_an_upload_whose_answer_was_lost_is_found_in_the_thread_and_not_shared_twice(sessions, slack, metrics,
                                                                                     tmp_path) -> None:
    job_id = new_job(sessions)
    delivery = delivery_for(sessions, slack, metrics, upload_dir=tmp_path, backoff=lambda attempt: 0.0)
    drain(delivery, sessions)
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).upload(
        FileToShare("a.log", "a", content="line\n" * 50), comment="📎")
    # Slack completes the upload, then answers internal_error ("some aspect of the operation succeeded").
    slack.fail("files.completeUploadExternal", error="internal_error", after=True)
    drain(delivery, sessions)
    assert len(slack.files_in(CHANNEL, _thread_of(sessions, job_id))) == 1
    assert [c.took_effect for c in slack.calls("files.completeUploadExternal")] == [True]
    assert len(slack.calls("files.getUploadURLExternal")) == 1, "found in the thread: not uploaded again"
    assert slack.calls("conversations.replies"), "looked for before trying again"
    assert files_message(sessions).state == OutboxState.SENT


@pytest.mark.parametrize("case, code, said", [
    ("deleted", "file_gone", "its file was deleted from fuelbot's host"),
    ("outside", "file_outside_data_dir", "not under fuelbot's data dir"),
    ("changed", "file_changed", "its file changed on fuelbot's host"),
])
def test_a_file_no_retry_can_share_is_given_up_and_the_requester_told(sessions, slack, metrics, tmp_path,
                                                                       case, code, said) -> None:
    data = tmp_path / "snapshots"
    data.mkdir()
    tarball = (tmp_path if case == "outside" else data) / "snap.tgz"
    tarball.write_bytes(b"x" * 100)
    job_id = new_job(sessions)
    OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL).upload(
        FileToShare(tarball.name, "snap", path=tarball), comment="📦")
    if case == "deleted":
        tarball.unlink()
    elif case == "changed":
        tarball.write_bytes(b"x" * 50)
    drain(delivery_for(sessions, slack, metrics, upload_dir=data), sessions)
    upload = files_message(sessions)
    assert (upload.state, upload.error) == (OutboxState.DEAD, code)
    assert slack.calls("files.getUploadURLExternal") == [] and slack.files_in(CHANNEL) == []
    [notice] = slack.channel(slack.open_im("UALICE01")).messages
    assert f"job *#{job_id}*" in notice.text and said in notice.text
    with sessions() as session:
        assert "dead-letter" in [e.kind for e in session.get(Job, job_id).events]


def test_without_files_write_the_file_is_given_up_and_the_requester_told_what_to_fix(sessions, metrics,
                                                                                    tmp_path) -> None:
    with LocalSlack(channels={CHANNEL: "lab"}, rate_scale=RATE_SCALE,
                    scopes=manifest_scopes() - {"files:write"}) as slack:
        job_id = new_job(sessions)
        reporter = OutboxReporter(session_factory=sessions, job_id=job_id, channel=CHANNEL)
        reporter.upload(FileToShare("a.log", "a", content="x"), comment="📎")
        reporter.say("the job goes on")
        drain(delivery_for(sessions, slack, metrics, upload_dir=tmp_path), sessions)
        assert [v.rule for v in slack.take_violations()] == ["missing_scope"]
        assert (files_message(sessions).state, files_message(sessions).error) == (OutboxState.DEAD, "missing_scope")
        replies = slack.channel(CHANNEL).message(_thread_of(sessions, job_id)).replies
        assert [r.text for r in replies] == ["the job goes on"], "a file given up holds no later reply back"
        [notice] = slack.channel(slack.open_im("UALICE01")).messages
        assert "`files:write`" in notice.text and "slack-manifest.yml" in notice.text


def _thread_of(sessions, job_id: int) -> str:
    with sessions() as session:
        ts = session.get(Job, job_id).thread_ts
    assert ts, f"job #{job_id} has no thread"
    return ts
