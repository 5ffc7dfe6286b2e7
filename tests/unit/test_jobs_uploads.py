"""jobs.uploads: a file for a job's thread is an outbox reply with its file beside it, scrubbed, within Slack's limit."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from jobs.outbox import OutboxState, Placement, enqueue
from jobs.uploads import SLACK_MAX_FILE_BYTES, FileToShare, FileTooLarge, enqueue_upload, file_of
from store.models import Base, OutboxFile, OutboxMessage


@pytest.fixture
def sessions() -> sessionmaker[Session]:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)


def test_an_upload_is_a_pending_reply_of_the_job_with_its_scrubbed_bytes_beside_it(sessions) -> None:
    log = "2025-03-04 09:00:00 ERR keystone: password=s3cr3t-v4lue refused\n"
    with sessions() as session, session.begin():
        enqueue(session, channel="C0LAB", text="the tail", placement=Placement.REPLY, job_id=None)
        message = enqueue_upload(session, channel="C0LAB", job_id=None, comment="📎 token=xoxb-123-abc whole",
                                 shared=FileToShare("lab1-master-astute.log", "Astute log", content=log))
        message_id = message.id
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.text, m.placement, m.state) for m in rows][0] == ("the tail", Placement.REPLY, OutboxState.PENDING)
        upload = session.get(OutboxMessage, message_id)
        assert upload is not None and upload.id > rows[0].id, "a file keeps its place after the replies before it"
        assert (upload.placement, upload.state, upload.channel) == (Placement.REPLY, OutboxState.PENDING, "C0LAB")
        assert "xoxb-123-abc" not in upload.text
        stored = file_of(session, upload)
        assert stored is not None and (stored.filename, stored.title, stored.path) == \
            ("lab1-master-astute.log", "Astute log", None)
        assert stored.content == b"2025-03-04 09:00:00 ERR keystone: password=\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2" \
                                 b"\x80\xa2 refused\n" and stored.size == len(stored.content)
        assert upload.body["file"] == {"name": "lab1-master-astute.log", "title": "Astute log", "bytes": stored.size}
        assert file_of(session, rows[0]) is None, "a plain reply carries no file"


def test_a_file_under_the_data_dir_is_recorded_by_its_path_and_size(sessions, tmp_path: Path) -> None:
    tarball = tmp_path / "lab1-job3-fuel-snapshot.tgz"
    tarball.write_bytes(b"\x1f\x8b" + b"\0" * 998)
    with sessions() as session, session.begin():
        message = enqueue_upload(session, channel="C0LAB", job_id=None, comment="📦",
                                 shared=FileToShare(tarball.name, "Diagnostic snapshot", path=tarball))
        session.flush()
        stored = session.get(OutboxFile, message.id)
        assert stored is not None and (stored.path, stored.size, stored.content) == (str(tarball), 1000, None)


def test_past_the_limit_nothing_is_queued(sessions, tmp_path: Path) -> None:
    big = tmp_path / "big.tgz"
    big.write_bytes(b"x" * 2048)
    huge = tmp_path / "huge.tgz"
    with huge.open("wb") as sparse:               # past Slack's 1 GB without writing it
        sparse.truncate(SLACK_MAX_FILE_BYTES + 1)
    with sessions() as session, session.begin():
        with pytest.raises(FileTooLarge) as too_large:
            enqueue_upload(session, channel="C0LAB", job_id=None, comment="",
                           shared=FileToShare(big.name, "big", path=big), limit=1024)
        assert (too_large.value.size, too_large.value.limit) == (2048, 1024)
        with pytest.raises(FileTooLarge) as past_slack:
            enqueue_upload(session, channel="C0LAB", job_id=None, comment="",
                           shared=FileToShare(huge.name, "huge", path=huge), limit=10 * SLACK_MAX_FILE_BYTES)
        assert past_slack.value.limit == SLACK_MAX_FILE_BYTES, "no setting lifts Slack's own limit"
        session.flush()
        assert session.scalars(select(OutboxMessage)).all() == []


@pytest.mark.parametrize("shared", [
    lambda: FileToShare("a.log", "a"),                                       # neither bytes nor a file
    lambda: FileToShare("a.log", "a", content="x", path=Path("/tmp/a")),     # both
    lambda: FileToShare("../a.log", "a", content="x"),                       # a path, not a name
])
def test_a_file_to_share_has_a_name_and_one_source(shared) -> None:
    with pytest.raises(ValueError):
        shared()
