"""The simulated master behind the HTTP layer: state, clock and the parts that move it in time.

``advance()`` plays every moving part (machines, deployments, stop/reset/deletion jobs,
verifications, OSTF runs) forward to the current simulated time. The HTTP layer calls it
before each request and a background ticker calls it periodically; both hold ``state.lock``.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Protocol

from sim.fuel.auth import TokenStore
from sim.fuel.clock import SimClock
from sim.fuel.config import SimConfig
from sim.fuel.deploy import Deployer
from sim.fuel.dumps import Dumps
from sim.fuel.faults import Faults
from sim.fuel.host import MasterHost
from sim.fuel.machines import L2Facts, Machine, Machines
from sim.fuel.master import BootParams, MasterMachine
from sim.fuel.master_disk import MasterDisk
from sim.fuel.operations import Operations
from sim.fuel.ostf import Ostf
from sim.fuel.state import State
from sim.fuel.verify import Verifier

log = logging.getLogger(__name__)


class L2Source(Protocol):
    """Reads the wire facts of VM-backed machines at verification time (the vSphere watcher)."""

    def l2_facts(self, portgroup_keys: set[str]) -> dict[str, L2Facts]: ...


class Engine:
    """Every moving part of one simulated Fuel master."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = SimClock(config.speed)
        self.state = State()
        self.state.wall_time = self.clock.wall_time
        self.faults = Faults(seed=config.seed)
        self.tokens = TokenStore(user=config.admin_user, password=config.admin_password,
                                 tenant=config.admin_tenant, ttl=config.token_ttl)
        self.machines = Machines(self.state, config)
        self.deployer = Deployer(self.state, config, self.faults, self.machines)
        self.operations = Operations(self.state, config, self.machines, self.deployer)
        self.verifier = Verifier(self.state, config)
        self.ostf = Ostf(self.state, config, self.clock, self.faults)
        self.dumps = Dumps(self.state, config, self.faults)
        self.host = MasterHost(config)
        self.master = MasterMachine(config, on_installed=self._installed)
        self.disk = MasterDisk(self)
        self.l2_source: L2Source | None = None
        # Called before each request to the master, without the lock: vCenter's news of its VM
        # (a snapshot taken, a revert) must count before the request is answered.
        self.catch_up: Callable[[], None] = lambda: None
        self.on_reset: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._failing: set[str] = set()

    @property
    def lock(self) -> threading.RLock:
        return self.state.lock

    def now(self) -> float:
        return self.clock.now()

    def advance(self) -> float:
        """Play everything forward to now (caller holds the lock); returns the simulated time."""
        now = self.clock.now()
        self.master.advance(now)
        # machines twice: reboots scheduled by deployments and jobs may already be due
        for part in (self.machines, self.deployer, self.operations, self.machines, self.verifier, self.ostf,
                     self.dumps):
            try:
                part.advance(now)
            except Exception:  # a simulator bug in one part must not turn every request into a 500
                name = type(part).__name__
                if name not in self._failing:
                    self._failing.add(name)
                    log.exception("fuelsim: advancing %s failed (logged once)", name)
        return now

    def set_speed(self, speed: float) -> None:
        with self.lock:
            self.advance()
            self.clock.set_speed(speed)

    def reset(self) -> None:
        """Back to a freshly installed master (``POST /_sim/reset``)."""
        with self.lock:
            self._forget_lab()
            self.faults.clear()
            self.tokens.reset_password(self.config.admin_password)
            self.host.reinstall(self.host.params, now=self.clock.now())
        for callback in self.on_reset:
            callback()

    def _forget_lab(self) -> None:
        self.state.clear()
        self.machines.clear()
        self.operations.clear()
        self.verifier.clear()
        self.ostf.clear()
        self.dumps.clear()

    def _installed(self, params: BootParams) -> None:
        """A fresh install's first boot (the lock is held): nothing of the old master survives."""
        self._forget_lab()
        self.tokens.reset_password(self.config.admin_password)
        self.host.reinstall(params, now=self.clock.now())
        for callback in self.on_reset:
            callback()

    # ----- the master's VM -----------------------------------------------------------------------------
    def master_vm_seen(self, *, moid: str, powered: bool, boot_devices: tuple[str, ...], initial: bool,
                       typed: str = "") -> None:
        """What vCenter shows of the master's own VM (power, boot devices, keys typed at its console)."""
        with self.lock:
            now = self.advance()
            self.master.vm_seen(now, moid=moid, powered=powered, boot_devices=boot_devices, initial=initial)
            if typed:
                self.master.typed(now, typed)
            self.master.advance(now)

    def master_vm_gone(self) -> None:
        with self.lock:
            self.master.vm_gone(self.advance())

    def master_snapshot_taken(self, snapshot: str) -> None:
        """vCenter took snapshot ``snapshot`` (a moref) of the master's VM: its disk is kept as it is now."""
        with self.lock:
            self.advance()
            self.disk.taken(snapshot)

    def master_reverted(self, snapshot: str) -> None:
        """vCenter reverted the master's VM to ``snapshot``: Nailgun, OSTF and the files are as they were then."""
        with self.lock:
            self.advance()
            if self.disk.reverted(snapshot):
                log.info("fuelsim: master reverted to snapshot %s", snapshot)
            else:
                log.warning("fuelsim: master reverted to snapshot %s, taken before the simulator watched", snapshot)

    def master_snapshots_removed(self, snapshots: set[str]) -> None:
        with self.lock:
            self.disk.removed(snapshots)

    # ----- machines ------------------------------------------------------------------------------------
    def machine_seen(self, machine: Machine) -> None:
        with self.lock:
            self.machines.upsert(machine, self.advance())

    def machine_gone(self, mac: str) -> None:
        with self.lock:
            self.machines.destroy(mac, self.advance())

    def l2_facts_for(self, node_ids: list[int]) -> dict[int, L2Facts]:
        """Wire facts per node; vSphere is read without the lock (it may be slow or down)."""
        with self.lock:
            wanted = {}
            for node_id in node_ids:
                node = self.state.nodes.get(node_id)
                machine = self.machines.by_mac.get(node.mac) if node else None
                if machine is not None:
                    wanted[node_id] = machine
        facts = {i: m.l2 for i, m in wanted.items() if m.l2 is not None}
        keys = {m.portgroup_key for i, m in wanted.items() if i not in facts and m.portgroup_key}
        if keys and self.l2_source is not None:
            try:
                by_key = self.l2_source.l2_facts(keys)
            except Exception:  # vCenter unreachable: verify as if the wire were fine
                log.warning("could not read port groups from vCenter", exc_info=True)
                by_key = {}
            for node_id, machine in wanted.items():
                if node_id not in facts and machine.portgroup_key in by_key:
                    facts[node_id] = by_key[machine.portgroup_key]
        return facts

    # ----- background ticker ---------------------------------------------------------------------------
    def start_ticker(self) -> None:
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick, name="fuelsim-ticker", daemon=True)
        self._ticker.start()

    def stop_ticker(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None

    def _tick(self) -> None:
        while not self._stop.wait(self.config.tick_interval):
            with self.lock:
                self.advance()

    def snapshot(self) -> dict[str, Any]:
        """``GET /_sim/state``: everything a test may want to assert on."""
        with self.lock:
            now = self.advance()
            version = "6.0"
            return {
                "sim_time": round(now, 3), "speed": self.clock.speed,
                "clusters": [c.to_json(version) | {"editable": c.editable} for c in self.state.clusters.values()],
                "nodes": [n.to_json() for n in self.state.nodes.values()],
                "tasks": [t.to_json() | {"parent": t.parent} for t in self.state.tasks.values()],
                "notifications": [n.to_json() for n in self.state.notifications.values()],
                "deploy_tasks_per_cluster": {str(k): v for k, v in self.state.deploy_counts.items()},
                "request_counts": dict(self.state.request_counts),
                "machines": [{"mac": m.mac, "powered": m.powered, "vm": m.vm, "portgroup_key": m.portgroup_key}
                             for m in self.machines.by_mac.values()],
                "testruns": [self.ostf.run_json(r) for r in self.ostf.runs.values()],
                "faults": self.faults.to_json(),
                "master": self.master.describe() | {"cobbler_syncs": self.host.cobbler_syncs,
                                                    "root_password_changes": self.host.root_password_changes},
            }
