"""How many Fuel API requests fuelbot spends following a deploy, measured on the simulator.

    .venv/bin/python -m bench.bench_fuel_polling [--speed 100] [--poll 2] [--nodes 2] [--deploy-minutes 40]

Starts a Fuel 6.0 simulator in-process, builds a controller + compute environment, presses
Deploy Changes and follows the deploy with the deploy job's own step
(``workflows.deploy_changes.step_follow_deploy``: the same reads, pacing and progress messages as
``/fuel deploy``, on the run's real clock), counting every request the step's client sends.

A real 6.0 deploy takes the better part of an hour (fuel-qa's ``deploy_cluster_wait`` allows 50
to 130 minutes); the simulator's default timings make one take a minute. So the simulator's
provisioning and deployment times are stretched to ``--deploy-minutes`` (same proportions) and
run at ``--speed`` simulated seconds per wall second; ``--poll`` is the run's poll interval in
*simulated* seconds (fuelbot's default, 2 s), so "requests per minute" is per minute of a deploy
as a real master would take it. Each deploy is followed twice on a fresh simulator: as shipped
("adaptive": slower while only the percentage moves, fast again after a milestone, the nodes read
at milestones and the slow cadence) and with the back-off off ("fixed": every poll at ``--poll``).
The simulator's own one-minute deploy is followed once more, as shipped. The last line printed
is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, Sequence, cast

from core.buttons import Button
from integrations.fuel import FuelClient
from jobs.steps import StepContext
from jobs.uploads import FileToShare
from jobs.voice import JobHeader
from sim.fuel import FuelSimulator, SimConfig
from sim.fuel.config import Timings
from tests.fixtures.vcenter_simulator import lab_for
from workflows.deploy_changes import step_follow_deploy
from workflows.deps import Timeouts, WorkflowDeps
from workflows.records import DeployRecord
from workflows.run import Run
from workflows.voices.deploy import DeployVoice

ROLES = (["controller"], ["compute"], ["cinder"], ["compute"], ["compute"])
TARGET_PER_MIN = 12.0
DEFAULT = Timings()


@dataclass
class Thread:
    """The job's thread as the step tells it: how many progress edits, and the last one."""

    edits: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)

    def say(self, text: str, *, buttons: Sequence[Button] = ()) -> None:
        self.said.append(text)

    def progress(self, text: str, *, force: bool = False, phase: str = "main", keep: bool = False) -> None:
        self.edits.append(text)

    def parent(self, text: str, *, buttons: Sequence[Button] = ()) -> None:
        pass

    def upload(self, shared: FileToShare, *, comment: str, limit: int = 1_000_000_000) -> bool:
        return False


def stretched(minutes: float | None) -> Timings:
    """The simulator's deploy timings scaled so a controller + compute deploy lasts ``minutes``."""
    if minutes is None:
        return DEFAULT
    factor = minutes * 60 / (DEFAULT.provision + DEFAULT.deploy_controller + DEFAULT.deploy_other)
    return replace(DEFAULT, provision=DEFAULT.provision * factor,
                   deploy_controller=DEFAULT.deploy_controller * factor, deploy_other=DEFAULT.deploy_other * factor)


def follow_one_deploy(*, speed: float, poll: float, slowest: float, nodes: int,
                      minutes: float | None) -> dict[str, Any]:
    """Deploy on a fresh simulator and follow it with the deploy step; its requests and story."""
    with FuelSimulator(SimConfig(speed=speed, timings=stretched(minutes))) as sim:
        client = FuelClient(url=sim.url, user="admin", password="admin")
        release = client.find_release("Juno on CentOS 6.5", "2014.2-6.0")
        cluster = client.create_cluster(name="bench", release_id=release.id, mode="multinode")
        ids = [node["id"] for node in (sim.inject_node() for _ in range(nodes)) if node]
        client.assign_roles(cluster.id, {node_id: ROLES[i % len(ROLES)] for i, node_id in enumerate(ids)})
        task = client.deploy_changes(cluster.id)
        thread = Thread()
        run = _run(client, thread, record=DeployRecord(cluster_id=cluster.id, deploy_task=task.id,
                                                       deploy_started=time.time(),
                                                       nodes={f"bench-node-{i}": n for i, n in enumerate(ids)}),
                   timeouts=Timeouts(deploy=4 * 3600 / speed, poll=poll / speed, slowest=slowest))
        before = sum(client.request_count.values())
        counts_before = dict(client.request_count)
        started = time.monotonic()
        step_follow_deploy(run)
        wall = time.monotonic() - started
        follow = sum(client.request_count.values()) - before
        by_route = {route: n - counts_before.get(route, 0) for route, n in sorted(client.request_count.items())
                    if n - counts_before.get(route, 0)}
        simulated_minutes = wall * speed / 60
        client.close()
    return {"ok": run.data.deployed, "deploy_wall_s": round(wall, 2), "deploy_sim_min": round(simulated_minutes, 1),
            "follow_requests": follow, "requests_per_min": round(follow / simulated_minutes, 1),
            "progress_edits": len(thread.edits), "last_progress": thread.edits[-1] if thread.edits else None,
            "by_route": by_route}


def _run(client: FuelClient, thread: Thread, *, record: DeployRecord, timeouts: Timeouts) -> Run[Any, Any]:
    """A deploy job's run of one step, as the runner builds it, on the real clock; no database."""
    lab = lab_for(cast(Any, SimpleNamespace(url="https://vcenter.bench/sdk", user="bench", password="bench")))
    deps = WorkflowDeps(session_factory=_no_database, load_labs=lambda: ({lab.name: lab}, []),
                        vsphere_factory=_no_vsphere, fuel_factory=lambda _: client, master_factory=_no_master,
                        timeouts=timeouts)
    ctx = StepContext(job=JobHeader(id=1, kind="deploy", lab=lab.name, requester="UBENCH01"), params={}, data=record,
                      attempt=1, resumed=False, report=thread, _should_stop=lambda: None, _save=lambda _: None,
                      _set_progress=lambda _: None, _note=lambda kind, message, data: None)
    return Run(ctx, data=record, voice=DeployVoice(), deps=deps)


def _no_database() -> Any:
    raise AssertionError("following a deploy touched the database")


def _no_vsphere(_: Any) -> Any:
    raise AssertionError("following a deploy touched vSphere")


def _no_master(_: Any) -> Any:
    raise AssertionError("following a deploy touched the Fuel master's host")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", type=float, default=100.0, help="simulated seconds per wall second")
    parser.add_argument("--poll", type=float, default=2.0, help="the run's poll interval, simulated seconds")
    parser.add_argument("--nodes", type=int, default=2, help="nodes in the environment")
    parser.add_argument("--deploy-minutes", type=float, default=40.0, help="simulated length of the deploy")
    args = parser.parse_args(argv)
    started = time.monotonic()
    runs = {"adaptive": dict(slowest=Timeouts().slowest, minutes=args.deploy_minutes, speed=args.speed),
            "fixed": dict(slowest=1.0, minutes=args.deploy_minutes, speed=args.speed),
            "adaptive_1min": dict(slowest=Timeouts().slowest, minutes=None, speed=10.0)}
    results = {}
    for name, how in runs.items():
        result = follow_one_deploy(poll=args.poll, nodes=args.nodes, **how)
        results[name] = result
        print(f"{name:>13}: deploy of {result['deploy_sim_min']} simulated min ({result['deploy_wall_s']} s wall) "
              f"{'ok' if result['ok'] else 'NOT DEPLOYED'}; {result['follow_requests']} requests to follow it = "
              f"{result['requests_per_min']} per minute; {result['progress_edits']} progress messages", flush=True)
    print("requests by route (adaptive):")
    for route, count in results["adaptive"]["by_route"].items():
        print(f"  {count:5d}  {route}")
    print(f"last progress message (adaptive):\n  " + (results["adaptive"]["last_progress"] or "").replace("\n", "\n  "))
    summary = {"bench": "fuel_polling", "speed": args.speed, "poll_s": args.poll, "nodes": args.nodes,
               "deploy_minutes": args.deploy_minutes, "ok": all(r["ok"] for r in results.values()),
               "seconds": round(time.monotonic() - started, 1),
               **{f"{name}_{key}": r[key] for name, r in results.items()
                  for key in ("deploy_sim_min", "follow_requests", "requests_per_min", "progress_edits")},
               "fuel_requests_per_min_following": results["adaptive"]["requests_per_min"],
               "targets": {"fuel_requests_per_min_following": TARGET_PER_MIN}}
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
