"""The machines behind nodes: PXE boot into bootstrap, the agent's reports, power and removal.

A machine is keyed by its PXE MAC. Power-on schedules an agent report ``boot_delay`` later
(which registers a new node or brings a known one back online); power-off makes the node go
offline ``offline_after`` later (Nailgun's timeout); a destroyed VM's unallocated node is
forgotten after ``forget_after``. Reboots (reset, stop, node removal) go through the same
schedule, so a removed node comes back as a new discover node like on a real master.
Events carry the machine's generation, so a power change cancels what was scheduled before.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

from sim.fuel import nodes
from sim.fuel.config import SimConfig
from sim.fuel.state import State


@dataclass(frozen=True)
class L2Facts:
    """What the wire looks like for a machine's PXE NIC (read from vSphere, or given at injection)."""

    portgroup: str | None = None
    vlan: int | None = None
    promiscuous: bool = True


@dataclass
class Machine:
    """A box that can PXE-boot the Fuel bootstrap image."""

    mac: str
    payload: dict[str, Any]               # what its agent POSTs (meta, manufacturer, ...)
    powered: bool = True
    vm: str | None = None                 # managed object id when it is a vSphere VM
    portgroup_key: str | None = None      # key of the DVPG its PXE NIC sits on
    l2: L2Facts | None = None             # fixed L2 facts (injected machines)
    generation: int = 0


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    kind: str = field(compare=False)
    mac: str = field(compare=False)
    generation: int = field(compare=False)


class Machines:
    """All machines and their pending boot/offline/forget events; callers hold the state lock."""

    def __init__(self, state: State, config: SimConfig) -> None:
        self.state = state
        self.config = config
        self.by_mac: dict[str, Machine] = {}
        self._events: list[_Event] = []
        self._seq = itertools.count()
        self._admin_ips: dict[str, str] = {}
        self._next_ip = itertools.count(129)

    def clear(self) -> None:
        self.by_mac.clear()
        self._events.clear()
        self._admin_ips.clear()
        self._next_ip = itertools.count(129)

    def admin_ip(self, mac: str) -> str:
        """The address the master's DHCP hands this MAC (10.20.0.129 upwards, kept per MAC)."""
        if mac not in self._admin_ips:
            n = next(self._next_ip)
            self._admin_ips[mac] = f"10.20.{n // 256}.{n % 256}" if n > 254 else f"10.20.0.{n}"
        return self._admin_ips[mac]

    def _schedule(self, machine: Machine, kind: str, at: float) -> None:
        heapq.heappush(self._events, _Event(at, next(self._seq), kind, machine.mac, machine.generation))

    # ----- what happens to machines -----------------------------------------------------------------
    def upsert(self, machine: Machine, now: float) -> None:
        """A machine appeared or changed (hardware, NIC, power state)."""
        known = self.by_mac.get(machine.mac)
        if known is None:
            self.by_mac[machine.mac] = machine
            if machine.powered:
                self.power_on(machine.mac, now)
            return
        was_on = known.powered
        known.payload, known.vm, known.portgroup_key = machine.payload, machine.vm, machine.portgroup_key
        known.l2 = machine.l2 or known.l2
        if machine.powered and not was_on:
            self.power_on(known.mac, now)
        elif not machine.powered and was_on:
            self.power_off(known.mac, now)

    def power_on(self, mac: str, now: float, delay: float | None = None) -> None:
        machine = self.by_mac[mac]
        machine.powered = True
        machine.generation += 1
        self._schedule(machine, "report", now + (self.config.boot_delay if delay is None else delay))

    def power_off(self, mac: str, now: float) -> None:
        machine = self.by_mac[mac]
        machine.powered = False
        machine.generation += 1
        self._schedule(machine, "offline", now + self.config.offline_after)

    def destroy(self, mac: str, now: float) -> None:
        """The VM was deleted: offline soon, forgotten later unless its node is in a cluster."""
        if mac not in self.by_mac:
            return
        self.power_off(mac, now)
        self._schedule(self.by_mac[mac], "forget", now + self.config.forget_after)

    def reboot(self, mac: str, now: float, delay: float | None = None) -> None:
        """Reboot into bootstrap: offline now, the agent reports again after the boot delay."""
        node = self.state.node_by_mac(mac)
        if node is not None:
            node.online = False
        machine = self.by_mac.get(mac)
        if machine is not None and machine.powered:
            self.power_on(mac, now, delay)

    def agent_rerun(self, mac: str, now: float) -> None:
        """The node row was deleted: the agent re-registers it at its next cron run."""
        if mac in self.by_mac and self.by_mac[mac].powered:
            self.power_on(mac, now, self.config.agent_interval)

    # ----- time -----------------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        while self._events and self._events[0].at <= now:
            event = heapq.heappop(self._events)
            machine = self.by_mac.get(event.mac)
            if machine is None:
                continue
            if event.kind == "forget":
                self._forget(machine)
            elif event.generation == machine.generation:
                self._report(machine) if event.kind == "report" else self._offline(machine)

    def _report(self, machine: Machine) -> None:
        node = self.state.node_by_mac(machine.mac)
        if node is None:
            payload = dict(machine.payload, mac=machine.mac, status="discover", ip=self.admin_ip(machine.mac))
            nodes.register(self.state, payload)
        else:
            nodes.back_online(self.state, node)

    def _offline(self, machine: Machine) -> None:
        node = self.state.node_by_mac(machine.mac)
        if node is not None and node.online:
            node.online = False
            self.state.log("app", "WARNING", f"Node '{node.name}' is offline")

    def _forget(self, machine: Machine) -> None:
        if machine.powered:
            return
        node = self.state.node_by_mac(machine.mac)
        if node is not None and node.cluster is not None:
            return
        if node is not None:
            del self.state.nodes[node.id]
        del self.by_mac[machine.mac]
