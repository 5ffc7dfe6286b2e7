"""One run of a job, as its steps see it: the typed record, the lab pinned for the run, one client
per endpoint, the kind's voice, and the one way to wait.

``Run`` replaces a string-keyed bag of resources: what a step may use is a typed attribute or
method here, and everything the run opened is closed when it ends (``RunWorkflow.open``).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Generic, Hashable, Iterator, Mapping, Sequence, TypeVar

from core.errors import FuelbotError, FuelError, IntegrationError
from core.waiting import follow, pause
from integrations.fuel.models import Task
from integrations.fuel.waiting import describe_task, task_state
from integrations.vsphere.info import VMInfo
from jobs.record import JobRecord
from jobs.states import JobKind
from jobs.steps import Reporter, Step, StepContext
from jobs.voice import Ending, Message
from labspec.model import Lab
from workflows.deps import WorkflowDeps
from workflows.ports import FuelPort, MasterPort, VSpherePort
from workflows.voices.base import F, KindVoice, Line, master_unmanaged, no_lab, no_such_lab, spec_invalid

log = logging.getLogger(__name__)
D = TypeVar("D", bound=JobRecord)
T = TypeVar("T")
E = TypeVar("E", bound=IntegrationError)


class Clients:
    """The specs and clients of one run: a lab's spec is read once (an edit applies to the next run),
    one client per vCenter or Fuel endpoint, shared reads made once; all closed by ``close``."""

    def __init__(self, deps: WorkflowDeps) -> None:
        self._deps = deps
        self._labs: dict[str, Lab] = {}
        self._vsphere: dict[tuple[str, ...], VSpherePort] = {}
        self._fuel: dict[tuple[str, ...], FuelPort] = {}
        self._masters: dict[tuple[str, ...], MasterPort] = {}
        self._vms_by_mac: dict[tuple[str, ...], dict[str, VMInfo]] = {}
        self._lab_vms: dict[str, list[VMInfo]] = {}

    def lab(self, name: str) -> Lab:
        """The lab's spec, pinned for the run; a clear failure when it is gone or invalid."""
        if name in self._labs:
            return self._labs[name]
        labs, problems = self._deps.load_labs()
        if name in labs:
            self._labs[name] = labs[name]
            return labs[name]
        mine = [p for p in problems if str(p.file).endswith(f"{name}.yaml")]
        if mine:
            raise spec_invalid(name, mine)
        raise no_such_lab(name, labs)

    def vsphere(self, lab: Lab) -> VSpherePort:
        """The run's client of ``lab``'s vCenter (shared by labs on one vCenter and placement)."""
        key = (lab.vcenter.url, lab.vcenter.user, lab.vcenter.datacenter, lab.vcenter.cluster)
        if key not in self._vsphere:
            self._vsphere[key] = self._deps.vsphere_factory(lab)
        return self._vsphere[key]

    def fuel(self, lab: Lab) -> FuelPort:
        """The run's client of ``lab``'s Fuel master (shared by labs on one master)."""
        key = (lab.fuel.url, lab.fuel.user)
        if key not in self._fuel:
            self._fuel[key] = self._deps.fuel_factory(lab)
        return self._fuel[key]

    def master(self, lab: Lab) -> MasterPort:
        """The run's handle on ``lab``'s Fuel master host (SSH as root, Keystone as admin)."""
        if lab.fuel.setup is None:
            labs, _ = self._deps.load_labs()
            raise master_unmanaged(lab.name, next((name for name, other in sorted(labs.items())
                                                   if other.fuel.url == lab.fuel.url and other.fuel.setup), None))
        key = (lab.fuel.url, lab.fuel.user, str(lab.fuel.setup.ssh_port))
        if key not in self._masters:
            self._masters[key] = self._deps.master_factory(lab)
        return self._masters[key]

    def vms_by_mac(self, lab: Lab) -> dict[str, VMInfo]:
        """MAC (lowercase) → any VM of ``lab``'s datacenter (whoever's), read once per run; empty when unreachable."""
        key = (lab.vcenter.url, lab.vcenter.datacenter)
        if key not in self._vms_by_mac:
            try:
                self._vms_by_mac[key] = {m.lower(): vm for vm in self.vsphere(lab).vms() for m in vm.macs}
            except FuelbotError:
                self._vms_by_mac[key] = {}
        return self._vms_by_mac[key]

    def lab_vms(self, lab: Lab) -> list[VMInfo]:
        """The VMs in ``lab``'s folder, read once per run; empty when vCenter is unreachable."""
        if lab.name not in self._lab_vms:
            try:
                self._lab_vms[lab.name] = self.vsphere(lab).lab_vms(lab.name)
            except FuelbotError:
                self._lab_vms[lab.name] = []
        return self._lab_vms[lab.name]

    def close(self) -> None:
        """Close every client (log out, release sockets); closing never changes a job's outcome."""
        clients: list[VSpherePort | FuelPort | MasterPort] = [*self._vsphere.values(), *self._fuel.values(),
                                                               *self._masters.values()]
        for client in clients:
            try:
                client.close()
            except Exception:   # a failed logout must not turn a finished job into a failed one
                log.warning("closing %r failed", client, exc_info=True)
        self._vsphere.clear()
        self._fuel.clear()
        self._masters.clear()


class Run(Generic[D, F]):
    """What a step of one job sees and does."""

    def __init__(self, ctx: StepContext, *, data: D, voice: KindVoice[F], deps: WorkflowDeps) -> None:
        self.ctx = ctx
        self.data = data
        self.voice = voice
        self.deps = deps
        self.clients = Clients(deps)
        self.headline: str | None = None     # a one-shot job's outcome line, worded by its voice

    @property
    def job_id(self) -> int:
        return self.ctx.job_id

    @property
    def lab_name(self) -> str | None:
        return self.ctx.lab_name

    @property
    def params(self) -> Mapping[str, Any]:
        return self.ctx.params

    @property
    def report(self) -> Reporter:
        return self.ctx.report

    @property
    def lab(self) -> Lab:
        """The job's lab, pinned for the run."""
        if self.ctx.lab_name is None:
            raise no_lab(self.job_id)
        return self.clients.lab(self.ctx.lab_name)

    def vsphere(self, lab: Lab | None = None) -> VSpherePort:
        return self.clients.vsphere(lab or self.lab)

    def fuel(self, lab: Lab | None = None) -> FuelPort:
        return self.clients.fuel(lab or self.lab)

    def master(self, lab: Lab | None = None) -> MasterPort:
        """The Fuel master's host of a lab that declares ``fuel.master_vm`` (a clear failure otherwise)."""
        return self.clients.master(lab or self.lab)

    def tell(self, fact: F) -> None:
        """Put what a step found or did in the thread, in the kind's words."""
        self.post(self.voice.lines(fact))

    def post(self, lines: Sequence[Line]) -> None:
        """Post lines a voice wrote: replies, progress edits, or the parent."""
        for line in lines:
            if line.parent is not None:
                self.report.parent(line.parent.text, buttons=line.parent.buttons)
            elif line.phase is not None:
                self.report.progress(line.text, force=line.force, phase=line.phase, keep=line.keep)
            else:
                self.report.say(line.text)

    def post_parent(self, message: Message) -> None:
        self.report.parent(message.text, buttons=message.buttons)

    def checkpoint(self) -> None:
        self.ctx.checkpoint()

    def save(self) -> None:
        self.ctx.save()

    def set_progress(self, percent: int) -> None:
        self.ctx.set_progress(percent)

    def note(self, kind: str, message: str, data: dict[str, Any] | None = None) -> None:
        """An event in the job's audit trail, e.g. Fuel's diagnosis for the job page."""
        self.ctx.note(kind, message, data)

    def now(self) -> float:
        """The run's monotonic clock (the one its waits use)."""
        return self.deps.clock()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` on the run's clock; a cancel or a lost lease stops the job here."""
        pause(self.now() + seconds, clock=self.deps.clock, sleep=self.deps.sleep, should_stop=self.ctx.stop_requested)
        self.ctx.checkpoint()

    def follow(self, fetch: Callable[[], T], *, done: Callable[[T], bool], state: Callable[[T], Hashable],
               describe: Callable[[T | None], str], timeout: float, error: type[E], max_poll: float | None = None,
               pace: Callable[[T], Hashable] | None = None,
               on_progress: Callable[[T], None] | None = None, on_wait: Callable[[T | None], None] | None = None,
               on_error: Callable[[E], None] | None = None,
               give_up: Callable[[T | None, E | None], Exception] | None = None) -> T:
        """``core.waiting.follow`` on the run's clock, stopping at a cancel or a lost lease.

        A stop ends the wait at the next poll and is raised as the stop it is (``JobCancelled``
        or ``LeaseLost``), never as a failed wait.
        """
        try:
            value = follow(fetch, done=done, state=state, describe=describe, deadline=self.now() + timeout,
                           error=error, poll=self.deps.timeouts.poll, max_poll=max_poll, pace=pace,
                           on_progress=on_progress,
                           on_wait=on_wait, on_error=on_error, give_up=give_up,
                           should_stop=self.ctx.stop_requested, clock=self.deps.clock, sleep=self.deps.sleep)
        except IntegrationError:
            self.ctx.checkpoint()
            raise
        self.ctx.checkpoint()
        return value

    def follow_task(self, fuel: FuelPort, task_id: int, *, timeout: float,
                    on_progress: Callable[[Task], None] | None = None,
                    on_error: Callable[[FuelError], None] | None = None) -> Task:
        """Wait for a Fuel task to end (``ready`` or ``error``) and return it; the caller judges it."""
        return self.follow(lambda: fuel.task(task_id), done=lambda t: t.done, state=task_state,
                           describe=describe_task(task_id), timeout=timeout, error=FuelError,
                           on_progress=on_progress, on_error=on_error)

    def close(self) -> None:
        self.clients.close()


class RunWorkflow(Generic[D, F]):
    """A workflow whose steps take a ``Run``: declares its kind, record type and voice."""

    kind: ClassVar[JobKind]
    record: type[D]
    voice: KindVoice[F]

    def __init__(self, deps: WorkflowDeps) -> None:
        self.deps = deps

    def steps(self) -> Sequence[Step[Run[D, F]]]:
        raise NotImplementedError

    def load(self, raw: Mapping[str, Any] | None) -> D:
        return self.record.from_json(raw)

    @contextmanager
    def open(self, ctx: StepContext) -> Iterator[Run[D, F]]:
        run = Run(ctx, data=ctx.record(self.record), voice=self.voice, deps=self.deps)
        try:
            yield run
        finally:
            run.close()

    def on_cancel(self, run: Run[D, F]) -> None:
        run.report.say(self.voice.cancelled())

    def on_finish(self, run: Run[D, F], ending: Ending) -> None:
        raise NotImplementedError
