"""Slack's external file upload, as LocalSlack plays it (what ``WebClient.files_upload_v2`` does).

1. ``files.getUploadURLExternal(filename, length)`` returns an ``upload_url`` and a ``file_id``;
2. the file's bytes are POSTed to the upload URL (raw, or multipart form with a ``file`` part);
3. ``files.completeUploadExternal(files=[{"id", "title"?}], channel_id?, thread_ts?, initial_comment?)``
   shares it: a message with the file in the channel, or in the thread of ``thread_ts``.

Slack's checks (docs.slack.dev/reference/methods/files.getUploadURLExternal and
files.completeUploadExternal): ``length`` is a positive byte count (0 is ``missing_argument``),
files are at most 1 GB (``file_upload_size_restricted`` beyond); the upload must bring exactly the
announced bytes; completing needs a file that was uploaded (``file_not_found``) and "can only be
called once"; ``thread_ts`` must name a message in the one channel given (``web_api``).

A shared file remembers where it went (``channel``, ``thread_ts``, the share's ``ts``), so tests
read the files of a thread with their names, sizes and bytes (``LocalSlack.files_in``).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from sim.slack.channels import ChannelError

MAX_FILE_BYTES = 1024 ** 3


@dataclass
class StoredFile:
    """One file from its upload URL to the message that shares it."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None           # None until uploaded
    shared_in: list[str] = field(default_factory=list)
    completed: bool = False
    title: str = ""
    thread_ts: str | None = None           # the thread it was shared in (its root)
    ts: str | None = None                  # the message that shares it


class FileStore:
    """Uploads in progress and done; the owner serialises access."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}

    def reserve(self, filename: str, length: object) -> StoredFile:
        try:
            size = int(str(length))
        except ValueError:
            raise ChannelError("invalid_arguments") from None
        if size <= 0:
            raise ChannelError("missing_argument")
        if size > MAX_FILE_BYTES:
            raise ChannelError("file_upload_size_restricted")
        stored = StoredFile(file_id="F" + secrets.token_hex(5).upper(), filename=filename, length=size)
        self._files[stored.file_id] = stored
        return stored

    def receive(self, file_id: str, content: bytes) -> str | None:
        """Take the uploaded bytes; the reason they are refused, or None."""
        stored = self._files.get(file_id)
        if stored is None or stored.completed:
            return "upload URL unknown or already used"
        if len(content) != stored.length:
            return f"{len(content)} bytes uploaded, {stored.length} announced in files.getUploadURLExternal"
        stored.content = content
        return None

    def completable(self, file_ids: list[str]) -> list[StoredFile]:
        """The files, if every one was uploaded and none completed yet (else ``file_not_found``, none taken)."""
        found = [self._files.get(file_id) for file_id in file_ids]
        if any(f is None or f.content is None or f.completed for f in found):
            raise ChannelError("file_not_found")
        return [f for f in found if f is not None]

    def shared(self, channel_id: str, thread_ts: str | None = None) -> list[StoredFile]:
        """Copies of the files shared in a channel (or one thread of it), oldest first."""
        return [replace(f, shared_in=list(f.shared_in)) for f in self._files.values()
                if channel_id in f.shared_in and (thread_ts is None or f.thread_ts == thread_ts)]

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)


def uploaded_bytes(body: bytes, content_type: str) -> bytes:
    """The file's bytes from a raw body or a multipart form's file part."""
    if not content_type.startswith("multipart/form-data"):
        return body
    boundary = content_type.split("boundary=", 1)[-1].strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if b"filename=" in head:
            return data[:-2] if data.endswith(b"\r\n") else data
    return b""
