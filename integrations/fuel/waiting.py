"""Following a Fuel task or test runs: ``core.waiting.follow`` speaking ``FuelError``, and how to
describe and compare what is followed.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Hashable

from core import waiting
from core.errors import FuelError
from integrations.fuel.models import Task, TestRun

follow = partial(waiting.follow, error=FuelError, peer="Fuel")
"""``core.waiting.follow`` whose own errors (deadline, stopped before an answer) are ``FuelError``."""


def describe_task(task_id: int) -> Callable[[Task | None], str]:
    def describe(task: Task | None) -> str:
        if task is None:
            return f"task {task_id} (Fuel never answered)"
        where = f" of environment {task.cluster}" if task.cluster is not None else ""
        return f"task {task.name.value} #{task.id}{where} still {task.status.value} at {task.progress}%"
    return describe


def describe_runs(cluster_id: int) -> Callable[[list[TestRun] | None], str]:
    def describe(runs: list[TestRun] | None) -> str:
        if runs is None:
            return f"health checks of environment {cluster_id} (OSTF never answered)"
        pending = [r for r in runs if not r.finished]
        done_tests = sum(1 for r in runs for t in r.tests if t.status is not None and t.status.value
                         not in ("wait_running", "running"))
        total = sum(len(r.tests) for r in runs)
        return (f"health checks of environment {cluster_id} still running "
                f"({', '.join(r.testset for r in pending) or 'none'}; {done_tests}/{total} tests done)")
    return describe


def task_state(task: Task) -> Hashable:
    return (task.status, task.progress)


def runs_state(runs: list[TestRun]) -> Hashable:
    return tuple((r.id, r.status, tuple(t.status for t in r.tests)) for r in runs)
