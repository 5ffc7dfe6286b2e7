"""Nailgun's remaining routes: version, releases, tasks, notifications, master settings."""
from __future__ import annotations

import copy
from typing import Any

from sim.fuel import releases
from sim.fuel.engine import Engine
from sim.fuel.errors import HttpError, bad_request
from sim.fuel.host import BUILD
from sim.fuel.records import is_id
from sim.fuel.router import Request, Response, Router, ok

_TOPICS = ("discover", "done", "error", "warning", "release")
def version_json(engine: Engine) -> dict[str, Any]:
    """``GET /api/version``: what the running nailgun read from ``/etc/fuel/version.yaml`` when it
    started (fuel-web 6.0 ``nailgun/settings.py`` loads it once), so an edit shows after a restart."""
    return {"release": "6.0", "api": "1.0", "production": "docker",
            "feature_groups": list(engine.host.nailgun_groups), **BUILD,
            "auth_required": engine.config.auth_required, "release_versions": {}}


def _notification_update(note: Any, item: Any) -> None:
    if not isinstance(item, dict):
        raise bad_request("Invalid json received")
    if "status" in item:
        if item["status"] not in ("read", "unread"):
            raise bad_request("Invalid notification status")
        note.status = item["status"]


def register(router: Router, engine: Engine) -> None:
    state = engine.state

    def version(req: Request) -> Response:
        return ok(version_json(engine))

    def list_releases(req: Request) -> Response:
        return ok([releases.release_json(i) for i in releases.release_ids()])

    def get_release(req: Request) -> Response:
        return ok(releases.release_json(req.id("release_id")))

    def release_networks(req: Request) -> Response:
        release_id = req.id("release_id")
        default = releases.networks_metadata(release_id)
        return ok(copy.deepcopy(state.release_networks.get(release_id, default)))

    def put_release_networks(req: Request) -> Response:
        release_id = req.id("release_id")
        releases.networks_metadata(release_id)  # 404 for an unknown release
        data = req.json()
        if not isinstance(data, dict):
            raise bad_request("Invalid json received")
        state.release_networks[release_id] = data
        return ok(copy.deepcopy(data))

    def list_tasks(req: Request) -> Response:
        cluster_id = req.arg("cluster_id")
        found = sorted(state.tasks.values(), key=lambda t: t.id)
        if cluster_id:
            found = [t for t in found if str(t.cluster) == cluster_id]
        return ok([t.to_json() for t in found])

    def get_task(req: Request) -> Response:
        return ok(state.task(req.id("task_id")).to_json())

    def delete_task(req: Request) -> Response:
        task = state.task(req.id("task_id"))
        force = (req.arg("force") or "").lower() in ("1", "true", "yes")
        if task.status == "running" and not force:
            raise bad_request("You cannot delete running task manually")
        state.delete_task(task)
        return Response(204, raw=b"")

    def list_notifications(req: Request) -> Response:
        return ok([n.to_json() for n in sorted(state.notifications.values(), key=lambda n: n.id)])

    def create_notification(req: Request) -> Response:
        data = req.json()
        if not isinstance(data, dict) or data.get("topic") not in _TOPICS or not isinstance(data.get("message"), str):
            raise bad_request("Notification needs a valid 'topic' and a 'message'")
        note = state.notify(data["topic"], data["message"], cluster=data.get("cluster"))
        return ok(note.to_json(), 201)

    def bulk_notifications(req: Request) -> Response:
        data = req.json()
        if not isinstance(data, list):
            raise bad_request("Invalid json list")
        found = []
        for item in data:
            if not isinstance(item, dict) or not is_id(item.get("id")):
                raise bad_request("Invalid json list")
            found.append((state.notification(item["id"]), item))
        for note, item in found:
            _notification_update(note, item)
        return ok([note.to_json() for note, _ in found])

    def get_notification(req: Request) -> Response:
        return ok(state.notification(req.id("notification_id")).to_json())

    def put_notification(req: Request) -> Response:
        note = state.notification(req.id("notification_id"))
        _notification_update(note, req.json())
        return ok(note.to_json())

    def delete_notification(req: Request) -> Response:
        del state.notifications[state.notification(req.id("notification_id")).id]
        return Response(204, raw=b"")

    def get_settings(req: Request) -> Response:
        return ok(copy.deepcopy(state.master_settings))

    def put_settings(req: Request) -> Response:
        data = req.json()
        if not isinstance(data, dict):
            raise bad_request("Invalid json received")
        state.master_settings = copy.deepcopy(data)
        return ok(copy.deepcopy(data))

    def removed(req: Request) -> Response:
        raise HttpError(410, "Removed in Fuel version 5.1")

    router.add("GET", "/api/version", version, public=True)
    router.add("GET", "/api/releases", list_releases)
    router.add("GET", "/api/releases/{release_id:int}", get_release)
    router.add("GET", "/api/releases/{release_id:int}/networks", release_networks)
    router.add("PUT", "/api/releases/{release_id:int}/networks", put_release_networks)
    router.add("GET", "/api/tasks", list_tasks)
    router.add("GET", "/api/tasks/{task_id:int}", get_task)
    router.add("DELETE", "/api/tasks/{task_id:int}", delete_task)
    router.add("GET", "/api/notifications", list_notifications)
    router.add("POST", "/api/notifications", create_notification)
    router.add("PUT", "/api/notifications", bulk_notifications)
    router.add("GET", "/api/notifications/{notification_id:int}", get_notification)
    router.add("PUT", "/api/notifications/{notification_id:int}", put_notification)
    router.add("DELETE", "/api/notifications/{notification_id:int}", delete_notification)
    router.add("GET", "/api/settings", get_settings)
    router.add("PUT", "/api/settings", put_settings)
    router.add("GET", "/api/plugins", lambda req: ok([]))
    for method in ("GET", "POST", "PUT", "DELETE"):
        router.add(method, "/api/redhat/{what}", removed)
