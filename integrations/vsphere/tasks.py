"""A bounded window of vCenter tasks in flight, all watched through one PropertyCollector.

Submitting a ``*_Task`` call returns at once; vCenter runs the task. The window keeps at most
``size`` tasks running (8–16 is kind to a shared vCenter), puts them in one ListView watched by
a private collector, and waits with ``WaitForUpdatesEx``. Right after new tasks join, it first
reads the full current state (version ""), so tasks that finished while being submitted are seen
without a wait; then it waits on the continuing version, which returns as soon as anything
changes. VMs being powered on join the view too: a question pending on one (a VM that was moved
or copied, a locked CD-ROM image) blocks its power-on, and is raised instead of waited out.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from http.client import HTTPException
from types import TracebackType
from typing import Any

from pyVmomi import vim, vmodl

from core.errors import VSphereError
from integrations.vsphere.session import Session

PC = vmodl.query.PropertyCollector
TASK_PATHS = ["info.state", "info.error", "info.result"]
_MAX_WAIT_SLICE = 10
QUESTION_FIX = ("answer the question in the vSphere client (the VM's Summary tab) or remove its cause, "
                "then run the step again")


@dataclass(frozen=True)
class TaskOutcome:
    """How one task ended: ``result`` on success, ``error`` (the task's fault) otherwise."""

    key: Hashable
    ok: bool
    result: Any = None
    error: BaseException | None = None


@dataclass(frozen=True)
class _Flight:
    key: Hashable
    task: Any
    vm: Any
    vm_name: str
    what: str


class TaskWindow:
    """Use as a context manager; ``submit`` while ``room``, then ``wait`` for some to finish."""

    def __init__(self, session: Session, *, size: int = 12, timeout: float = 900.0,
                 checkpoint: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if size < 1:
            raise ValueError(f"a task window holds at least one task, not {size}")
        self._session = session
        self.size = size
        self._timeout = timeout
        self._checkpoint = checkpoint
        self._clock = clock
        self._deadline = clock() + timeout
        self._flights: dict[str, _Flight] = {}
        self._props: dict[str, dict[str, Any]] = {}
        self._add: list[Any] = []
        self._remove: list[Any] = []
        self._version = ""
        self._collector: Any = None
        self._view: Any = None

    def __enter__(self) -> "TaskWindow":
        content = self._session.content
        self._collector = content.propertyCollector.CreatePropertyCollector()
        self._view = content.viewManager.CreateListView([])
        self._collector.CreateFilter(PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=self._view, skip=True,
                                     selectSet=[PC.TraversalSpec(type=vim.view.ListView, path="view")])],
            propSet=[PC.PropertySpec(type=vim.Task, pathSet=TASK_PATHS),
                     PC.PropertySpec(type=vim.VirtualMachine, pathSet=["runtime.question"])]),
            partialUpdates=False)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for obj in (self._collector, self._view):
            try:
                if obj is not None:
                    obj.Destroy()
            except (vmodl.MethodFault, OSError, HTTPException):
                pass  # session-private objects: they go with the session anyway

    @property
    def room(self) -> int:
        """How many more tasks may start now."""
        return self.size - len(self._flights)

    def __len__(self) -> int:
        return len(self._flights)

    def submit(self, key: Hashable, start: Callable[[], Any], *, what: str, vm: Any = None, vm_name: str = "") -> None:
        """Start a task (``start`` makes the ``*_Task`` call); ``vm`` is watched for questions."""
        if self.room <= 0:
            raise RuntimeError("the task window is full: wait() first")
        task = start()
        self._flights[task._moId] = _Flight(key=key, task=task, vm=vm, vm_name=vm_name, what=what)
        self._add.append(task)
        if vm is not None:
            self._add.append(vm)

    def wait(self) -> list[TaskOutcome]:
        """Block until at least one task in flight has finished; return those that have."""
        if not self._flights:
            return []
        fresh = bool(self._add)
        if self._add or self._remove:
            self._view.ModifyListView(add=self._add, remove=self._remove)
            self._add, self._remove = [], []
        while True:
            if self._checkpoint is not None:
                self._checkpoint()
            remaining = self._deadline - self._clock()
            if remaining <= 0:
                stuck = ", ".join(sorted(f.what for f in self._flights.values()))
                raise VSphereError(f"gave up after {self._timeout:.0f} s waiting for {stuck}", obj=stuck,
                                   fix="look for stuck tasks in the vSphere client, then retry", retryable=True)
            if fresh:
                update = self._collector.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
                fresh = False
            else:
                update = self._collector.WaitForUpdatesEx(
                    self._version, PC.WaitOptions(maxWaitSeconds=max(1, min(int(remaining), _MAX_WAIT_SLICE))))
            if update is not None:
                self._version = update.version
                self._apply(update)
            self._raise_questions()
            done = self._finished()
            if done:
                return done

    def _apply(self, update: Any) -> None:
        for filter_update in update.filterSet or ():
            for object_update in filter_update.objectSet or ():
                props = self._props.setdefault(object_update.obj._moId, {})
                if object_update.kind == "leave":
                    continue
                for change in object_update.changeSet or ():
                    props[change.name] = None if change.op in ("remove", "indirectRemove") else change.val

    def _raise_questions(self) -> None:
        for flight in self._flights.values():
            if flight.vm is None:
                continue
            question = self._props.get(flight.vm._moId, {}).get("runtime.question")
            if question is not None:
                text = " ".join(str(getattr(question, "text", "") or "").split()) or "(no text)"
                raise VSphereError(f"VM {flight.vm_name} is waiting for an answer in vCenter and will not "
                                   f"power on until it gets one: \"{text}\"", obj=flight.vm_name, fix=QUESTION_FIX)

    def _finished(self) -> list[TaskOutcome]:
        done = []
        for moid, flight in list(self._flights.items()):
            props = self._props.get(moid, {})
            state = props.get("info.state")
            if state not in ("success", "error"):
                continue
            del self._flights[moid]
            self._props.pop(moid, None)
            self._remove.append(flight.task)
            if flight.vm is not None:
                self._remove.append(flight.vm)
                self._props.pop(flight.vm._moId, None)
            error = props.get("info.error")
            if state == "success":
                done.append(TaskOutcome(key=flight.key, ok=True, result=props.get("info.result")))
            else:
                fault = error if isinstance(error, BaseException) else VSphereError(f"{flight.what} failed")
                done.append(TaskOutcome(key=flight.key, ok=False, error=fault))
        return done
