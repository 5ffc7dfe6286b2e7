"""``python app.py check-lab``: a lab's channel must be a Slack channel id; a name gets a warning."""
from __future__ import annotations

import shutil
from pathlib import Path

import app

LABS = Path(__file__).resolve().parents[2] / "labs"


def check(tmp_path: Path, channel_line: str, capsys) -> tuple[int, str]:
    text = (LABS / "lab1.yaml").read_text()
    spec = tmp_path / "lab1.yaml"
    spec.write_text("\n".join(channel_line if line.startswith("channel:") else line for line in text.splitlines()))
    code = app.main(["check-lab", str(spec)])
    return code, capsys.readouterr().out


def test_a_channel_name_is_valid_but_warned_about(tmp_path: Path, capsys) -> None:
    code, out = check(tmp_path, "channel: lab", capsys)
    assert code == 0 and ": ok (" in out
    assert "channel: warning: 'lab' looks like a channel name; use the channel's id" in out


def test_a_channel_id_is_not(tmp_path: Path, capsys) -> None:
    code, out = check(tmp_path, "channel: C0123ABCD", capsys)
    assert code == 0 and ": ok (" in out and "warning" not in out


def test_the_shipped_labs_use_ids(capsys) -> None:
    assert app.main(["check-lab", str(LABS / "lab1.yaml"), str(LABS / "lab2.yaml")]) == 0
    assert "warning" not in capsys.readouterr().out
