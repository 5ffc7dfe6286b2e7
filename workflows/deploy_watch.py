"""Looking at a deploy running in Fuel: one request per poll, the nodes only when they can have moved.

A 6.0 deploy runs for the better part of an hour (fuel-qa's ``deploy_cluster_wait`` allows 50 to
130 minutes and polls every 30 s); its percentage creeps up all along. Each poll reads the
environment's tasks (``GET /api/tasks?cluster_id=``: the deploy super-task and its subtasks in
one answer, as the Fuel UI polls them). The nodes are read again only when something moved and
the last read is ``nodes_every`` old, or at once when a milestone passed (a task's status, a
subtask appearing) — a node finishing shows there first. Polling backs off while only the
percentage moves (``pace``) and comes back fast after a milestone, a node's included.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable

from integrations.fuel.enums import TaskName
from integrations.fuel.models import Node, Task
from workflows.ports import FuelPort

DEPLOY_SUBTASKS = (TaskName.PROVISION, TaskName.DEPLOYMENT, TaskName.NODE_DELETION)


@dataclass(frozen=True)
class DeployLook:
    """One poll of a running deploy: the super-task, its subtasks, and the nodes as last read."""

    task: Task
    subtasks: tuple[Task, ...]
    nodes: tuple[Node, ...]

    def state(self) -> Hashable:
        """Everything the progress message shows: a change is worth telling."""
        return (self.task.status, self.task.progress,
                tuple((t.name, t.status, t.progress) for t in self.subtasks),
                tuple((n.id, n.status, n.progress) for n in self.nodes))

    def milestones(self) -> Hashable:
        """What snaps polling back to fast: statuses, never a percentage."""
        return (self.task.status, tuple((t.name, t.status) for t in self.subtasks),
                tuple((n.id, n.status) for n in self.nodes))


class DeployWatch:
    """Polls one deploy task of one environment; ``look`` is ``follow``'s fetch."""

    def __init__(self, fuel: FuelPort, *, cluster_id: int, task_id: int, clock: Callable[[], float],
                 nodes_every: float) -> None:
        self._fuel = fuel
        self._cluster_id = cluster_id
        self._task_id = task_id
        self._clock = clock
        self._nodes_every = nodes_every
        self._last: DeployLook | None = None
        self._nodes_read_at = 0.0

    def look(self) -> DeployLook:
        tasks = self._fuel.tasks(self._cluster_id)
        task = next((t for t in tasks if t.id == self._task_id), None)
        if task is None:    # not listed (stopped, replaced): asked by id, Fuel says what became of it
            task = self._fuel.task(self._task_id)
        subtasks = tuple(t for t in tasks if t.name in DEPLOY_SUBTASKS)
        last = self._last
        if last is None or self._nodes_due(last, task, subtasks):
            nodes = tuple(self._fuel.nodes(self._cluster_id))
            self._nodes_read_at = self._clock()
        else:
            nodes = last.nodes
        self._last = DeployLook(task=task, subtasks=subtasks, nodes=nodes)
        return self._last

    def _nodes_due(self, last: DeployLook, task: Task, subtasks: tuple[Task, ...]) -> bool:
        if task.done:
            return False        # the step reads what it needs of a finished deploy itself
        if (task.status, [(t.name, t.status) for t in subtasks]) != \
                (last.task.status, [(t.name, t.status) for t in last.subtasks]):
            return True
        moved = (task.progress, [t.progress for t in subtasks]) != \
            (last.task.progress, [t.progress for t in last.subtasks])
        return moved and self._clock() - self._nodes_read_at >= self._nodes_every
