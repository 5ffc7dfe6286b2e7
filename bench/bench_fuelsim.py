"""Benchmark: ``GET /api/nodes`` latency of a simulator holding 100 nodes in 20 clusters.

    .venv/bin/python -m bench.bench_fuelsim [--requests 500] [--nodes 100] [--clusters 20]

Prints the figures, then one JSON line (the last line) for machines to read. Target: p99 < 20 ms.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import requests


from sim.fuel import FuelSimulator, SimConfig

TARGET_P99_MS = 20.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=20)
    args = parser.parse_args()

    with FuelSimulator(SimConfig(speed=1.0)) as sim:
        http = requests.Session()
        token = http.post(f"{sim.url}/keystone/v2.0/tokens", json={"auth": {"passwordCredentials": {
            "username": "admin", "password": "admin"}, "tenantName": "admin"}}).json()["access"]["token"]["id"]
        http.headers["X-Auth-Token"] = token
        nodes = [sim.inject_node() for _ in range(args.nodes)]
        per_cluster = max(1, args.nodes // args.clusters)
        for index in range(args.clusters):
            cid = http.post(f"{sim.url}/api/clusters", json={"name": f"env-{index}", "release": 1,
                                                             "mode": "multinode"}).json()["id"]
            members = nodes[index * per_cluster:(index + 1) * per_cluster]
            roles = [["controller"]] + [["compute"]] * (len(members) - 1)
            http.post(f"{sim.url}/api/clusters/{cid}/assignment",
                      json=[{"id": n["id"], "roles": r} for n, r in zip(members, roles)]).raise_for_status()
        for _ in range(20):  # warm-up: connection, caches
            http.get(f"{sim.url}/api/nodes")
        samples, size = [], 0
        for _ in range(args.requests):
            started = time.perf_counter()
            reply = http.get(f"{sim.url}/api/nodes")
            samples.append((time.perf_counter() - started) * 1000.0)
            size = len(reply.content)
            assert reply.status_code == 200 and len(reply.json()) == args.nodes
        filtered = []
        for _ in range(max(1, args.requests // 5)):
            started = time.perf_counter()
            http.get(f"{sim.url}/api/nodes", params={"cluster_id": 1})
            filtered.append((time.perf_counter() - started) * 1000.0)

    result = {
        "bench": "fuelsim_get_nodes", "nodes": args.nodes, "clusters": args.clusters, "requests": len(samples),
        "response_bytes": size, "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 0.99), 3), "max_ms": round(max(samples), 3),
        "mean_ms": round(statistics.fmean(samples), 3),
        "filtered_p50_ms": round(statistics.median(filtered), 3), "target_p99_ms": TARGET_P99_MS,
    }
    result["ok"] = result["p99_ms"] < TARGET_P99_MS
    print(f"GET /api/nodes with {args.nodes} nodes in {args.clusters} clusters, {len(samples)} requests, "
          f"{size} bytes per reply")
    print(f"  p50 {result['p50_ms']} ms   p99 {result['p99_ms']} ms   max {result['max_ms']} ms   "
          f"mean {result['mean_ms']} ms   (target p99 < {TARGET_P99_MS} ms: {'met' if result['ok'] else 'MISSED'})")
    print(f"  GET /api/nodes?cluster_id=1 p50 {result['filtered_p50_ms']} ms")
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
