"""The diagnostic job's share step: the tarball joins the thread once, or the thread says where it is."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.fakes.harness import Harness
from workflows.diagnostic import step_share
from workflows.records import DiagnosticRecord
from workflows.voices.diagnostic import DiagnosticVoice


def downloaded(tmp_path: Path) -> tuple[Harness, DiagnosticRecord, Path]:
    tarball = tmp_path / "lab1-job7-fuel-snapshot-2025-03-04_09-00-00.tgz"
    tarball.write_bytes(b"\x1f\x8b" + b"\0" * 2046)
    record = DiagnosticRecord(snapshot_task=12, snapshot_path=str(tarball), snapshot_bytes=2048,
                              result={"name": "fuel-snapshot-2025-03-04_09-00-00.tgz", "bytes": 2048,
                                      "url": "http://10.20.0.2:8000/dump/fuel-snapshot-2025-03-04_09-00-00.tgz"})
    return Harness(), record, tarball


def test_the_tarball_is_shared_once_even_when_the_step_runs_again(tmp_path) -> None:
    h, record, tarball = downloaded(tmp_path)
    run = h.run(record, DiagnosticVoice(), kind="diagnostic")
    step_share(run)
    step_share(run)                                  # a restart re-runs the step
    [(shared, comment)] = h.thread.files
    assert (shared.filename, shared.path, shared.content) == ("fuel-snapshot-2025-03-04_09-00-00.tgz", tarball, None)
    assert shared.title == "Diagnostic snapshot of lab1's Fuel master"
    assert comment.startswith("📦 `fuel-snapshot-2025-03-04_09-00-00.tgz` (2.0 kB)") and "passwords" in comment
    assert run.data.snapshot_shared and h.saved, "the record says it was shared"


def test_past_the_upload_limit_the_thread_says_where_the_snapshot_is(tmp_path) -> None:
    h, record, tarball = downloaded(tmp_path)
    run = h.run(record, DiagnosticVoice(), kind="diagnostic")
    run.deps = replace(run.deps, upload_max_bytes=1000)
    step_share(run)
    assert h.thread.files == []
    [said] = h.thread.said()
    assert said == ("📦 `fuel-snapshot-2025-03-04_09-00-00.tgz` is 2.0 kB, more than the 1.0 kB fuelbot shares in "
                    "Slack (FUELBOT_UPLOAD_MAX_MB, at most Slack's 1 GB), so it is not in this thread. Take it from "
                    f"fuelbot's host at `{tarball}`, or from the Fuel UI (Support → Download diagnostic snapshot) or "
                    "http://10.20.0.2:8000/dump/fuel-snapshot-2025-03-04_09-00-00.tgz on a machine that reaches "
                    "the master.")
    step_share(run)
    assert len(h.thread.said()) == 1, "said once"
