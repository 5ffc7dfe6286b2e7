"""An outbox file, shared in its job's thread with Slack's external upload.

``WebClient.files_upload_v2`` (slack_sdk) performs Slack's current flow: ``files.getUploadURLExternal``
(filename, length) → a POST of the bytes to the ``upload_url`` it returns → ``files.completeUploadExternal``
(the file id and title, ``channel_id``, ``thread_ts``, ``initial_comment``), which shares it as a
reply in the thread. Slack retired ``files.upload`` (docs.slack.dev/changelog/2024-04-a-better-way-
to-upload-files-is-here-to-stay); this is its replacement, and needs the ``files:write`` scope.

A file kept as a path is read when it is sent, and only from under fuelbot's data dir
(``upload_dir``): an outbox row never names an arbitrary file of the host. A file that is gone,
moved or changed since it was queued is given up with a notice (``FileGone``), not retried.
An upload whose answer never came (a timeout, a 5xx, a crash mid-call) is in doubt, as a post
is: before it is tried again, the job's thread is read back for a share of that file
(``bot.posted``), so a completed upload is not shared twice.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from core.mrkdwn import to_slack
from core.redact import scrub
from store.models import OutboxFile

UPLOAD_METHOD = "files.upload_v2"     # slack_sdk's three calls, planned and metered as one


class FileGone(Exception):
    """The file to share is no longer what was queued (deleted, changed, or outside the data dir).

    ``code`` is what the outbox records and ``bot.dead_letters`` explains; the text has the path.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def upload_kwargs(stored: OutboxFile, *, comment: str, upload_dir: Path | None) -> dict[str, Any]:
    """``files_upload_v2``'s arguments for ``stored`` (channel and thread_ts are the caller's)."""
    kwargs: dict[str, Any] = {"filename": stored.filename, "title": stored.title}
    if comment:
        kwargs["initial_comment"] = to_slack(scrub(comment))
    if stored.content is not None:
        return {**kwargs, "content": bytes(stored.content)}
    path = Path(stored.path or "")
    root = upload_dir.resolve() if upload_dir is not None else None
    if root is None or not path.resolve().is_relative_to(root):
        raise FileGone("file_outside_data_dir", f"{path} is not under fuelbot's data dir ({root or 'none set'})")
    if not path.is_file():
        raise FileGone("file_gone", f"{path} is gone from fuelbot's host")
    size = path.stat().st_size
    if size != stored.size:
        raise FileGone("file_changed", f"{path} is {size} bytes, {stored.size} when queued")
    return {**kwargs, "file": str(path)}
