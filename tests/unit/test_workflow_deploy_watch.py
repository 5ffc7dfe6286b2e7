"""Looking at a running deploy: one listing a poll; the nodes again at a milestone or at the slow cadence."""
from __future__ import annotations

import pytest

from core.errors import FuelError
from integrations.fuel.enums import Mode, TaskName, TaskStatus
from integrations.fuel.models import Task
from tests.fakes.fuel import FakeFuel
from workflows.deploy_watch import DeployWatch


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _deploying(fuel: FakeFuel) -> tuple[int, Task, Task]:
    """An environment deploying one controller; the deploy task and a running provision subtask."""
    release = fuel.find_release("Juno on CentOS 6.5", "2014.2-6.0")
    cluster = fuel.create_cluster(name="lab1", release_id=release.id, mode=Mode.MULTINODE)
    node = fuel.discover("52:54:00:00:00:01", macs=("52:54:00:00:00:01",))
    fuel.assign_roles(cluster.id, {node.id: ["controller"]})
    deploy = fuel.deploy_changes(cluster.id)
    provision = Task(id=deploy.id + 100, name=TaskName.PROVISION, status=TaskStatus.RUNNING, cluster=cluster.id)
    fuel.tasks_[provision.id] = provision
    return cluster.id, deploy, provision


def test_the_nodes_are_read_first_then_only_after_a_slow_poll_or_at_a_milestone() -> None:
    fuel, clock = FakeFuel(step=5), Clock()
    cluster_id, deploy, provision = _deploying(fuel)
    watch = DeployWatch(fuel, cluster_id=cluster_id, task_id=deploy.id, clock=clock, nodes_every=20)
    reads = fuel.calls["nodes"]
    first = watch.look()
    assert fuel.calls["nodes"] == reads + 1 and [t.name for t in first.subtasks] == [TaskName.PROVISION]
    clock.now = 5
    moved = watch.look()                               # the percentage moved, 5 s after the last read
    assert moved.task.progress > first.task.progress and fuel.calls["nodes"] == reads + 1
    assert moved.nodes == first.nodes                  # the nodes as last read
    clock.now = 21
    watch.look()                                       # moved, and a slow poll after the last read
    assert fuel.calls["nodes"] == reads + 2
    clock.now = 22
    fuel.tasks_[provision.id] = Task(id=provision.id, name=TaskName.PROVISION, status=TaskStatus.READY,
                                     progress=100, cluster=cluster_id)
    ended = watch.look()                               # a milestone: read at once
    assert fuel.calls["nodes"] == reads + 3
    assert ended.milestones() != moved.milestones() and fuel.calls["task"] == 0


def test_a_deploy_gone_from_the_listing_is_asked_for_by_id_and_fuel_says_what_became_of_it() -> None:
    fuel, clock = FakeFuel(), Clock()
    cluster_id, deploy, _ = _deploying(fuel)
    watch = DeployWatch(fuel, cluster_id=cluster_id, task_id=deploy.id, clock=clock, nodes_every=20)
    fuel.jobs.clear()
    del fuel.tasks_[deploy.id]                         # as 6.0's stop_deployment deletes the deploy's tasks
    with pytest.raises(FuelError, match=f"404 to GET /api/tasks/{deploy.id}"):
        watch.look()
    assert fuel.calls["task"] == 1
