"""Bench: create, boot-order and power on a 100-VM lab on vcsim at 5 ms per SOAP call.

Two ways, each on a fresh strict vcsim (``-delay 5``, a 4 TiB datastore):

* serial, the way ``create_vms`` worked before issue #16: one VM at a time, the datacenter's
  inventory and MACs read again for each VM, a private property collector created per wait
  (``serial_create`` below reproduces it with today's building blocks);
* bounded: ``VSphereClient.provision`` with 12 tasks in flight waited through one collector,
  one inventory read for the lab, morefs passed along.

Prints SOAP calls per VM and wall time of each way, their ratio, then ONE JSON line.
Run: ``.venv/bin/python -m bench.bench_vsphere_create [--vms 100] [--delay-ms 5] [--in-flight 12]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from pyVmomi import vim

from integrations.vsphere import VSphereClient
from integrations.vsphere.collector import retrieve, wait_for, wait_for_task
from integrations.vsphere.inventory import VM_PATHS, resolve_placement
from integrations.vsphere.macs import assign_macs
from integrations.vsphere.networks import inventory_of, resolve
from integrations.vsphere.session import Session
from integrations.vsphere.vmspec import boot_options, config_spec, planned_boot_order
from labspec.model import Lab
from sim.vcenter.process import VcsimProcess
from tests.fixtures.vcenter_simulator import lab_for

TARGETS = {"vsphere_calls_per_vm_100": 8, "create_vms_100_speedup_5ms": 3.0}
Dev = vim.vm.device
DVPG = vim.dvs.DistributedVirtualPortgroup


def hundred_vm_lab(sim: VcsimProcess, vms: int) -> Lab:
    """lab1's shape with ``vms`` node VMs (1 vCPU, 1024 MB, 16 GB, lab1's five NICs)."""
    lab = lab_for(sim)
    base = dataclasses.replace(lab.nodes[0].vm, pxe_portgroup="pxe")
    nodes = tuple(dataclasses.replace(lab.nodes[0], vm=dataclasses.replace(base, name=f"lab100-node-{i:03d}"))
                  for i in range(1, vms + 1))
    return dataclasses.replace(lab, name="lab100", nodes=nodes)


def serial_create(session: Session, lab: Lab) -> None:
    """The way before: the retired ``VSphereClient.ensure_vms`` (inventory and MACs read once, then
    each VM created, read, its boot order set and read, one private collector per wait) and
    ``power_on`` per VM (the VM looked up in the datacenter's inventory, its power state read, two
    waits, a read back)."""
    placement = resolve_placement(session, lab.vcenter)
    inventory: dict[type, list[str]] = {vim.VirtualMachine: ["name", "config.annotation"], vim.DistributedVirtualSwitch: ["name", "uuid"],
                 vim.Network: ["name"], DVPG: ["name", "key", "config.distributedVirtualSwitch"]}
    rows = retrieve(session, inventory, root=placement.datacenter)
    networks = inventory_of(rows)
    taken = {str(d.macAddress) for r in retrieve(session, {vim.VirtualMachine: ["config.hardware.device"]},
                                            root=placement.datacenter)
             for d in r.get("config.hardware.device") or () if isinstance(d, Dev.VirtualEthernetCard)}
    created = []
    for node in lab.nodes:
        spec = node.vm
        config = config_spec(spec, lab=lab.name, datastore=placement.datastore_name,
                             networks=resolve(spec, networks, lab.networks, lab=lab.name),
                             macs=assign_macs(lab.name, spec.name, len(spec.nics), taken=taken))
        hosts = retrieve(session, {vim.HostSystem: ["name", "runtime.connectionState"]}, objects=placement.hosts)
        vm = wait_for_task(session, placement.vm_folder.CreateVM_Task(config=config, pool=placement.resource_pool,
                                                                      host=hosts[0].obj), timeout=60, what="create")
        retrieve(session, {vim.VirtualMachine: list(VM_PATHS)}, objects=[vm])
        devices = retrieve(session, {vim.VirtualMachine: ["config.hardware.device"]}, objects=[vm])[0].get(
            "config.hardware.device")
        order = planned_boot_order(devices, iso=False, boot_nic=spec.boot_nic())
        wait_for_task(session, vm.ReconfigVM_Task(vim.vm.ConfigSpec(bootOptions=boot_options(order))),
                      timeout=60, what="boot order")
        retrieve(session, {vim.VirtualMachine: list(VM_PATHS)}, objects=[vm])
        created.append(vm)
    for vm in created:
        retrieve(session, inventory, root=placement.datacenter)                          # power_on looks it up
        retrieve(session, {vim.VirtualMachine: ["runtime.powerState"]}, objects=[vm])
        wait_for_task(session, vm.PowerOnVM_Task(), timeout=60, what="power on")
        wait_for(session, vm, vim.VirtualMachine, ["runtime.powerState"],
                 lambda v: v.get("runtime.powerState") == "poweredOn", timeout=60, what="powered on")
        retrieve(session, {vim.VirtualMachine: list(VM_PATHS)}, objects=[vm])


def _vcsim(tmp: str, name: str, delay_ms: int) -> VcsimProcess:
    return VcsimProcess.start(delay_ms=delay_ms, extra_args=["-ds-gb", "4096"], log_path=Path(tmp) / f"{name}.log")


def measure(way: str, vms: int, delay_ms: int, in_flight: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, _vcsim(tmp, way, delay_ms) as sim:
        lab = hundred_vm_lab(sim, vms)
        with VSphereClient.connect(lab.vcenter) as client:
            client.fix_portgroups(lab)
            plans = {p.name: p for p in client.plan_vms([n.vm for n in lab.nodes])}
            before, started = client.calls, time.perf_counter()
            if way == "serial":
                serial_create(client._session, lab)
            else:
                report = client.provision(lab, plans, max_in_flight=in_flight)
                assert report.failures == (), report.failures
            seconds = time.perf_counter() - started
            calls = client.calls - before
            running = sum(1 for v in client.vms() if v.name.startswith("lab100-") and v.power_state == "poweredOn")
    assert running == vms, f"{way}: {running} of {vms} VMs running"
    return {"seconds": round(seconds, 2), "calls": calls, "calls_per_vm": round(calls / vms, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--delay-ms", type=int, default=5)
    parser.add_argument("--in-flight", type=int, default=12)
    args = parser.parse_args()
    serial = measure("serial", args.vms, args.delay_ms, 1)
    bounded = measure("bounded", args.vms, args.delay_ms, args.in_flight)
    speedup = round(serial["seconds"] / max(bounded["seconds"], 0.001), 1)
    print(f"{args.vms} VMs created, boot order set, powered on; {args.delay_ms} ms per SOAP call:")
    for name, figures in (("serial", serial), (f"bounded ({args.in_flight} in flight)", bounded)):
        print(f"  {name:<24} {figures['calls']:>6} calls  {figures['calls_per_vm']:>6} per VM  "
              f"{figures['seconds']:>7.2f} s")
    print(f"  bounded is {speedup}x faster")
    print(json.dumps({"bench": "vsphere_create", "vms": args.vms, "delay_ms": args.delay_ms,
                      "in_flight": args.in_flight, "serial": serial, "bounded": bounded,
                      "vsphere_calls_per_vm_100": bounded["calls_per_vm"], "create_vms_100_speedup_5ms": speedup,
                      "targets": TARGETS}))


if __name__ == "__main__":
    main()
