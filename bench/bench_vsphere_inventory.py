"""Bench: reading 200 VMs from vcsim in bulk (PropertyCollector) vs attribute by attribute.

Prints round trips and median wall time for each way, their ratio, then ONE JSON line.
Run: ``.venv/bin/python -m bench.bench_vsphere_inventory [--vms 200] [--runs 3] [--wan-delay-ms 5]``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable


from pyVmomi import vim

from sim.vcenter.process import VcsimProcess
from integrations.vsphere import VSphereClient
from integrations.vsphere.collector import retrieve
from integrations.vsphere.session import Session
from labspec.model import VCenterTarget

PATHS = ["name", "runtime.powerState", "config.hardware.memoryMB", "config.hardware.numCPU",
         "summary.config.guestId", "guest.toolsStatus"]


def _naive(vm: Any) -> tuple:
    # Each attribute access is one Fetch round trip (config is fetched whole, twice).
    return (vm.name, vm.runtime.powerState, vm.config.hardware.memoryMB, vm.config.hardware.numCPU,
            vm.summary.config.guestId, vm.guest.toolsStatus)


def _measure(counter: Session | VSphereClient, read: Callable[[], Any], runs: int) -> dict[str, float]:
    times, trips = [], []
    for _ in range(runs):
        before, start = counter.calls, time.perf_counter()
        result = read()
        times.append((time.perf_counter() - start) * 1000)
        trips.append(counter.calls - before)
    assert result, "the read returned nothing"
    return {"round_trips": int(statistics.median(trips)), "median_ms": round(statistics.median(times), 1)}


def _scenario(vms: int, runs: int, delay_ms: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, VcsimProcess.start(
            delay_ms=delay_ms, extra_args=["-vm", str(vms)], log_path=Path(tmp) / "vcsim.log") as sim:
        target = VCenterTarget(url=sim.url, user=sim.user, password=sim.password, datacenter="DC0",
                               cluster="DC0_C0", datastore="LocalDS_0")
        session = Session(target)
        session.login()
        try:
            refs = [r.obj for r in retrieve(session, {vim.VirtualMachine: ["name"]})]
            assert len(refs) == vms, f"expected {vms} VMs, vcsim has {len(refs)}"
            bulk = _measure(session, lambda: retrieve(session, {vim.VirtualMachine: PATHS}), runs)
            naive = _measure(session, lambda: [_naive(vm) for vm in refs], runs)
        finally:
            session.close()
        with VSphereClient.connect(target) as client:
            client.datastores()  # resolve datacenter/cluster/datastore once, as a long-lived client has
            full = _measure(client, client.vms, runs)
    return {"delay_ms": delay_ms, "bulk": bulk, "naive": naive, "client_vms": full,
            "ratio": round(naive["median_ms"] / max(bulk["median_ms"], 0.1), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wan-delay-ms", type=int, default=5, help="per-call delay of a 2nd scenario (0: skip)")
    args = parser.parse_args()
    scenarios = [_scenario(args.vms, args.runs, 0)]
    if args.wan_delay_ms:
        scenarios.append(_scenario(args.vms, 1, args.wan_delay_ms))
    for s in scenarios:
        label = "loopback" if not s["delay_ms"] else f"+{s['delay_ms']} ms per call"
        print(f"{args.vms} VMs x {len(PATHS)} properties, {label}:")
        for name in ("bulk", "naive", "client_vms"):  # client_vms: VSphereClient.vms(), NICs and boot order too
            print(f"  {name:<10} {s[name]['round_trips']:>6} round trips  {s[name]['median_ms']:>9.1f} ms")
        print(f"  naive / bulk = {s['ratio']}x")
    print(json.dumps({"bench": "vsphere_inventory", "vms": args.vms, "properties": len(PATHS), "runs": args.runs,
                      "scenarios": scenarios}))


if __name__ == "__main__":
    main()
