"""Run one workflow step on the fakes, on a fake clock, and read what it said: no network; a step that
keeps records (the lab's VMs) gets an in-memory SQLite database with fuelbot's schema."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Sequence

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from core.buttons import Button
from jobs.record import JobRecord
from jobs.steps import StepContext
from jobs.uploads import SLACK_MAX_FILE_BYTES, FileToShare, FileTooLarge
from jobs.voice import JobHeader
from labspec.model import Lab
from store.models import Base
from tests.fakes.fuel import FakeFuel
from tests.fakes.master import FakeMaster
from tests.fakes.vsphere import FakeVSphere
from tests.fixtures.vcenter_simulator import lab_for
from workflows.deps import Timeouts, WorkflowDeps
from workflows.run import Run
from workflows.voices.base import KindVoice


def fake_lab(name: str = "lab1") -> Lab:
    """The article's lab (one controller) aimed at a fake vCenter."""
    return lab_for(SimpleNamespace(url="https://vcenter.fake/sdk", user="fuelbot", password="secret"), name=name)


class FakeClock:
    """Monotonic time that moves only when someone sleeps; ``on_sleep`` lets the world change meanwhile."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0
        self.on_sleep: list[Any] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        for hook in list(self.on_sleep):
            hook()


@dataclass
class Thread:
    """A ``Reporter`` that keeps every line: ("say" | "parent" | "progress:<phase>", text); ``kept``
    holds the indexes of the progress lines their phase's message keeps (``progress(keep=True)``)."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[Button, ...]] = field(default_factory=list)
    files: list[tuple[FileToShare, str]] = field(default_factory=list)
    kept: set[int] = field(default_factory=set)

    def say(self, text: str, *, buttons: Sequence[Button] = ()) -> None:
        self.lines.append(("say", text))

    def progress(self, text: str, *, force: bool = False, phase: str = "main", keep: bool = False) -> None:
        if keep:
            self.kept.add(len(self.lines))
        self.lines.append((f"progress:{phase}", text))

    def parent(self, text: str, *, buttons: Sequence[Button] = ()) -> None:
        self.lines.append(("parent", text))
        self.buttons.append(tuple(buttons))

    def upload(self, shared: FileToShare, *, comment: str, limit: int = SLACK_MAX_FILE_BYTES) -> bool:
        limit = min(limit, SLACK_MAX_FILE_BYTES)
        if shared.size() > limit:          # as jobs.uploads.enqueue_upload refuses it
            raise FileTooLarge(shared.filename, shared.size(), limit)
        self.files.append((shared, comment))
        return True

    def said(self) -> list[str]:
        """The lines the thread shows for good: replies, and the lines a phase's message keeps."""
        return [text for at, (kind, text) in enumerate(self.lines) if kind == "say" or at in self.kept]


@dataclass
class Harness:
    """A lab, the fakes behind it, a fake clock, and what the job said and saved."""

    lab: Lab = field(default_factory=fake_lab)
    vsphere: FakeVSphere = field(default_factory=FakeVSphere)
    fuel: FakeFuel = field(default_factory=FakeFuel)
    master: FakeMaster | None = None          # made for ``lab`` on first use (a lab may be replaced first)
    clock: FakeClock = field(default_factory=FakeClock)
    thread: Thread = field(default_factory=Thread)
    saved: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    progress: list[int] = field(default_factory=list)
    stop: str | None = None
    timeouts: Timeouts = Timeouts(fuel_reachable=600, master_install=3600, discovery=1800, verify=900, deploy=3600,
                                  health=600, poll=2.0)

    def fake_master(self) -> FakeMaster:
        """The lab's master host (6.0's defaults until a step changes them)."""
        if self.master is None:
            self.master = FakeMaster(self.lab.fuel, self.fuel, lab=self.lab.name)
        return self.master

    _database: sessionmaker[Session] | None = None

    def sessions(self) -> Session:
        """A session on the run's database, made (in memory, with the schema) on first use."""
        if self._database is None:
            engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
            Base.metadata.create_all(engine)
            self._database = sessionmaker(engine, expire_on_commit=False)
        return self._database()

    def deps(self) -> WorkflowDeps:
        return WorkflowDeps(session_factory=self.sessions, load_labs=lambda: ({self.lab.name: self.lab}, []),
                            vsphere_factory=lambda lab: self.vsphere, fuel_factory=lambda lab: self.fuel,
                            master_factory=lambda lab: self.fake_master(), timeouts=self.timeouts,
                            clock=self.clock, sleep=self.clock.sleep)

    def run(self, record: JobRecord, voice: KindVoice[Any], *, kind: str = "deploy",
            params: dict[str, Any] | None = None) -> Run[Any, Any]:
        ctx = StepContext(job=JobHeader(id=7, kind=kind, lab=self.lab.name, requester="U0ALICE1"),
                          params=dict(params or {}), data=record, attempt=1, resumed=False, report=self.thread,
                          _should_stop=lambda: self.stop, _save=self.saved.append, _set_progress=self.progress.append,
                          _note=lambda kind, message, data: self.notes.append((kind, message, data)))
        return Run(ctx, data=record, voice=voice, deps=self.deps())

