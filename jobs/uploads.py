"""Files a job shares in its thread, queued in the outbox like its messages (``jobs.outbox``).

An upload is an outbox message (``Placement.REPLY``, its ``text`` the file's initial comment)
with one ``outbox_files`` row: the file's name, title and size, and either its bytes (a log:
scrubbed of secrets here, once, as message texts are) or the path of a file the job wrote
under fuelbot's data dir (a diagnostic snapshot: too large for the database, and read when it
is sent). So a file waits for its thread, keeps its place among the thread's replies, is
retried, and is dead-lettered with a notice to the person who asked, exactly as a message is,
and a restart loses none of it. The body's ``file`` names the file for the edge and the job page.

Slack takes files up to 1 GB (docs.slack.dev/reference/methods/files.getUploadURLExternal:
``file_upload_size_restricted``; Slack Help "Upload files to Slack": "up to 1 GB"); a larger
one is refused here (``FileTooLarge``), before anything is queued, so the job can say where
the file is instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from core.redact import scrub
from jobs.outbox import Placement, enqueue
from store.models import OutboxFile, OutboxMessage

SLACK_MAX_FILE_BYTES = 1_000_000_000      # Slack's limit is 1 GB; powers of ten keep fuelbot on the safe side
NAME_CHARS = 255                          # a file name (and the title kept beside it), as outbox_files holds them


class FileTooLarge(ValueError):
    """The file is larger than Slack takes: it stays where it is."""

    def __init__(self, filename: str, size: int, limit: int) -> None:
        super().__init__(f"{filename} is {size} bytes; Slack takes files up to {limit} bytes")
        self.filename, self.size, self.limit = filename, size, limit


@dataclass(frozen=True)
class FileToShare:
    """What a job shares: ``content`` (text is scrubbed) or ``path`` (a file under the data dir), not both."""

    filename: str
    title: str
    content: bytes | str | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        if (self.content is None) == (self.path is None):
            raise ValueError("a file to share has its content or its path, one of the two")
        if not self.filename or "/" in self.filename or len(self.filename) > NAME_CHARS:
            raise ValueError(f"{self.filename!r} is no file name")

    def data(self) -> bytes | None:
        """The bytes to keep in the database: a text scrubbed of secrets, bytes as they are."""
        if isinstance(self.content, str):
            return scrub(self.content).encode("utf-8")
        return self.content

    def size(self) -> int:
        data = self.data()
        return len(data) if data is not None else (self.path.stat().st_size if self.path else 0)


def enqueue_upload(session: Session, *, channel: str, job_id: int, shared: FileToShare, comment: str,
                   limit: int = SLACK_MAX_FILE_BYTES) -> OutboxMessage:
    """Queue ``shared`` for the job's thread, after the messages queued before it.

    ``FileTooLarge`` past ``limit`` (never more than Slack takes): nothing is queued.
    """
    data, size = shared.data(), shared.size()
    limit = min(limit, SLACK_MAX_FILE_BYTES)
    if size > limit:
        raise FileTooLarge(shared.filename, size, limit)
    message = enqueue(session, channel=channel, text=comment, placement=Placement.REPLY, job_id=job_id,
                      body={"file": {"name": shared.filename, "title": shared.title, "bytes": size}})
    session.flush()
    session.add(OutboxFile(outbox_id=message.id, filename=shared.filename, title=scrub(shared.title)[:NAME_CHARS],
                           size=size, content=data,
                           path=str(shared.path.resolve()) if shared.path is not None else None))
    return message


def file_of(session: Session, message: OutboxMessage) -> OutboxFile | None:
    """The file ``message`` shares, None for a plain message."""
    if not (message.body or {}).get("file"):
        return None
    return session.get(OutboxFile, message.id)
