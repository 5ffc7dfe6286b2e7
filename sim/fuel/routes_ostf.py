"""OSTF's pecan API (``/v1/...``) as nginx exposes it under ``/ostf``."""
from __future__ import annotations

from typing import Any

from sim.fuel import ostf_catalog
from sim.fuel.engine import Engine
from sim.fuel.errors import HttpError
from sim.fuel.ostf_catalog import TestSpec
from sim.fuel.router import Request, Response, Router, ok


def _test_json(spec: TestSpec) -> dict[str, Any]:
    return {"id": spec.id, "testset": spec.testset, "name": spec.name, "description": spec.description,
            "duration": spec.duration, "message": None, "step": None, "status": None, "taken": None}


def _items(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("objects"), list):
        return list(data["objects"])
    if isinstance(data, list):
        return data
    raise HttpError(400, "A list of test runs (or {\"objects\": [...]}) is expected")


def register(router: Router, engine: Engine) -> None:
    state = engine.state

    def cluster(req: Request) -> Any:
        # Real OSTF asks Nailgun for the cluster and fails with a 500 when it is unknown.
        found = state.clusters.get(req.id("cluster_id"))
        if found is None:
            raise HttpError(404, "Cluster not found")
        return found

    def testsets(req: Request) -> Response:
        return ok(ostf_catalog.testsets_for(cluster(req)))

    def tests(req: Request) -> Response:
        return ok([_test_json(t) for t in ostf_catalog.tests_for(cluster(req))])

    def list_runs(req: Request) -> Response:
        return ok([engine.ostf.run_json(r) for r in sorted(engine.ostf.runs.values(), key=lambda r: r.id)])

    def get_run(req: Request) -> Response:
        run = engine.ostf.runs.get(req.id("run_id"))
        return ok(engine.ostf.run_json(run) if run else {})

    def last_runs(req: Request) -> Response:
        return ok([engine.ostf.run_json(r) for r in engine.ostf.last_runs(req.id("cluster_id"))])

    def start(req: Request) -> Response:
        now = engine.now()
        items = _items(req.json())
        for item in items:  # refuse the whole request before starting anything
            if not isinstance(item, dict) or item.get("testset") not in ostf_catalog.TESTSET_IDS:
                name = item.get("testset") if isinstance(item, dict) else item
                raise HttpError(400, f"Test set {name!r} not found")
        runs = [engine.ostf.start(item, now) for item in items]
        return ok([engine.ostf.run_json(r) if r else {} for r in runs])

    def update(req: Request) -> Response:
        now = engine.now()
        runs = [engine.ostf.update(item, now) for item in _items(req.json())]
        return ok([engine.ostf.run_json(r) if r else {} for r in runs])

    router.add("GET", "/ostf/testsets/{cluster_id:int}", testsets)
    router.add("GET", "/ostf/tests/{cluster_id:int}", tests)
    router.add("GET", "/ostf/testruns", list_runs)
    router.add("GET", "/ostf/testruns/{run_id:int}", get_run)
    router.add("GET", "/ostf/testruns/last/{cluster_id:int}", last_runs)
    router.add("POST", "/ostf/testruns", start)
    router.add("PUT", "/ostf/testruns", update)
