"""No ack parses a lab spec: the catalog is read at start and refreshed in the background.

Every YAML parse in the process is recorded (``yaml.compose``, which lab specs go through, and
``yaml.load``, which ``safe_load`` does), with whether it ran inside the background refresh. Signed
commands that name labs go through the real Bolt app over HTTP while the refresh ticks on the
real APScheduler ticker; a spec added meanwhile reaches the commands through that tick alone.
"""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

from commands.api import LabCatalog
from jobs.ticker import Tick, Ticker
from labspec.catalog import CachedLabs
from tests.fixtures.slack import CAROL, LABS_DIR, running_bot


class ParseLog:
    """Each YAML parse: True when the background refresh made it, False when anything else did."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parses: list[bool] = []
        self._refreshing = threading.local()
        for name in ("compose", "load"):
            monkeypatch.setattr(yaml, name, self._recorded(getattr(yaml, name)))

    def _recorded(self, parse):
        def recorded(*args, **kwargs):
            self.parses.append(bool(getattr(self._refreshing, "on", False)))
            return parse(*args, **kwargs)
        return recorded

    def refreshing(self, refresh):
        def background() -> None:
            self._refreshing.on = True
            try:
                refresh()
            finally:
                self._refreshing.on = False
        return background


def test_commands_naming_labs_parse_no_yaml_while_the_catalog_refreshes_in_the_background(
        tmp_path: Path, sessions, local_slack, monkeypatch) -> None:
    labs_dir = tmp_path / "labs"
    labs_dir.mkdir()
    for name in ("lab1.yaml", "lab2.yaml"):
        shutil.copy(LABS_DIR / name, labs_dir / name)
    parses = ParseLog(monkeypatch)
    catalog = CachedLabs(labs_dir, {})
    parses.refreshing(catalog.refresh)()                  # read at start, as build_runtime does
    ticker = Ticker([Tick("lab-specs", parses.refreshing(catalog.refresh), 0.05)])
    ticker.start()
    with running_bot(sessions, local_slack, labs=LabCatalog(load=catalog.current)) as bot:
        try:
            answers = [bot.signed_command(text).json()["text"]
                       for text in ("labs", "status lab1", "plan lab2", "deploy lab1", "nodes lab2")]
            (labs_dir / "lab3.yaml").write_text(
                (LABS_DIR / "lab2.yaml").read_text().replace("lab2", "lab3").replace("DC0_C0", "DC0_C1"))
            deadline = time.monotonic() + 10
            while "lab3" not in catalog.current()[0] and time.monotonic() < deadline:
                time.sleep(0.02)
            answers += [bot.signed_command(text, CAROL).json()["text"] for text in ("status lab3", "labs")]
        finally:
            ticker.shutdown()
        # With the tick stopped, a changed file waits for the next refresh: the ack reads no file.
        spec = labs_dir / "lab2.yaml"
        spec.write_text(spec.read_text().replace("cpus: 1", "cpus: zero", 1))
        before = len(parses.parses)
        still = bot.signed_command("labs", CAROL).json()["text"]
        assert len(parses.parses) == before and "*lab2*" in still
        parses.refreshing(catalog.refresh)()
        assert len(parses.parses) == before + 1
        assert "*lab2*" not in bot.signed_command("labs", CAROL).json()["text"]
    assert "*lab1*" in answers[0] and "*lab2*" in answers[0] and "lab3" not in answers[0]
    assert all(f"job *#{n}*" in a for n, a in enumerate(answers[1:5], start=1)), answers   # queued, or asked
    assert "*lab3* (job *#5*)" in answers[5] and "*lab3*" in answers[6], answers
    assert parses.parses and all(parses.parses), "a YAML parse ran outside the background refresh"
    assert parses.parses.count(True) >= 3                 # lab1 and lab2 at start, lab3 from the tick
