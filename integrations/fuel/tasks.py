"""Tasks and notifications: what Nailgun is doing and what it told the UI."""
from __future__ import annotations

from integrations.fuel.models import Notification, Task
from integrations.fuel.session import FuelSession

TASK = "/api/tasks/{task_id}"


class TasksAPI:
    """Nailgun's task and notification endpoints."""

    def __init__(self, session: FuelSession) -> None:
        self._s = session

    def tasks(self, cluster_id: int | None = None) -> list[Task]:
        """Every task, or the environment's (subtasks included: 6.0 lists them as plain rows)."""
        params = None if cluster_id is None else {"cluster_id": int(cluster_id)}
        return [Task.from_json(t) for t in self._s.call("GET", "/api/tasks", params=params) or ()]

    def task(self, task_id: int) -> Task:
        return Task.from_json(self._s.call("GET", TASK, task_id=task_id))

    def delete_task(self, task_id: int, force: bool = False) -> None:
        """Delete a finished task (``force`` also deletes a running one, as ``fuel task --force``)."""
        params = {"force": 1} if force else None
        self._s.call("DELETE", TASK, params=params, idempotent=False, task_id=task_id)

    def notifications(self) -> list[Notification]:
        return [Notification.from_json(n) for n in self._s.call("GET", "/api/notifications") or ()]
