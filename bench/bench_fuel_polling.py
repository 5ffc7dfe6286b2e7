"""How many Fuel API requests fuelbot spends following a deploy, measured on the simulator.

    .venv/bin/python -m bench.bench_fuel_polling [--speed 10] [--poll 2] [--nodes 2]

Starts a Fuel 6.0 simulator in-process at ``--speed`` simulated seconds per wall second,
builds a controller + compute environment, deploys it and follows the deploy task with
``FuelClient.wait_for_task`` twice (fresh simulator each time): with the client's adaptive
polling (default) and with fixed-interval polling. ``--poll`` is in *simulated* seconds, so
"requests per minute" is per minute of deploy as a real master would take it. The last line
printed is one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


from integrations.fuel import FuelClient, deadline_in
from integrations.fuel.enums import TaskStatus
from sim.fuel import FuelSimulator, SimConfig

TASK_ROUTE = "GET /api/tasks/{task_id}"
ROLES = (["controller"], ["compute"], ["cinder"], ["compute"], ["compute"])


def follow_one_deploy(*, speed: float, poll: float, max_poll: float | None, nodes: int) -> dict[str, Any]:
    """Deploy on a fresh simulator and follow it; the request counts of the follow and in total."""
    with FuelSimulator(SimConfig(speed=speed)) as sim:
        client = FuelClient(url=sim.url, user="admin", password="admin")
        release = client.find_release("Juno on CentOS 6.5", "2014.2-6.0")
        cluster = client.create_cluster(name="bench", release_id=release.id, mode="multinode")
        ids = [node["id"] for node in (sim.inject_node() for _ in range(nodes)) if node]
        client.assign_roles(cluster.id, {node_id: ROLES[i % len(ROLES)] for i, node_id in enumerate(ids)})
        task = client.deploy_changes(cluster.id)
        before = sum(client.request_count.values())
        started = time.monotonic()
        changes = []
        final = client.wait_for_task(task.id, deadline=deadline_in(3600 / speed + 60), poll=poll / speed,
                                     max_poll=None if max_poll is None else max_poll / speed,
                                     on_progress=lambda t: changes.append(t.progress))
        wall = time.monotonic() - started
        follow = sum(client.request_count.values()) - before
        simulated_minutes = wall * speed / 60
        return {"status": final.status.value, "ok": final.status is TaskStatus.READY,
                "deploy_wall_s": round(wall, 3), "deploy_sim_s": round(wall * speed, 1),
                "follow_requests": follow, "task_polls": client.request_count[TASK_ROUTE],
                "requests_per_min": round(follow / simulated_minutes, 1) if simulated_minutes else None,
                "progress_changes_seen": len(changes),
                "total_requests": sum(client.request_count.values()),
                "by_route": dict(sorted(client.request_count.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per wall second")
    parser.add_argument("--poll", type=float, default=2.0, help="polling interval, simulated seconds")
    parser.add_argument("--max-poll", type=float, default=None,
                        help="adaptive polling ceiling, simulated seconds (default 5 x poll)")
    parser.add_argument("--nodes", type=int, default=2, help="nodes in the environment")
    args = parser.parse_args(argv)

    results = {}
    for strategy, max_poll in (("adaptive", args.max_poll), ("fixed", args.poll)):
        result = follow_one_deploy(speed=args.speed, poll=args.poll, max_poll=max_poll, nodes=args.nodes)
        results[strategy] = result
        print(f"{strategy:>8}: deploy {result['status']} after {result['deploy_sim_s']} simulated s "
              f"({result['deploy_wall_s']} s wall); {result['follow_requests']} requests to follow it = "
              f"{result['requests_per_min']} per minute; {result['total_requests']} requests in total")
    adaptive = results["adaptive"]
    print("requests by route (adaptive run):")
    for route, count in adaptive["by_route"].items():
        print(f"  {count:5d}  {route}")
    summary = {"bench": "fuel_polling", "speed": args.speed, "poll_s": args.poll, "nodes": args.nodes,
               "ok": all(r["ok"] for r in results.values()),
               **{f"{name}_{key}": r[key] for name, r in results.items()
                  for key in ("deploy_sim_s", "follow_requests", "requests_per_min", "total_requests")}}
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
