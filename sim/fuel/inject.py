"""Nodes without VMs: machines a test conjures up (``POST /_sim/nodes``, ``FuelSimulator.inject_node``)."""
from __future__ import annotations

import itertools
import re
from typing import Any

from sim.fuel.engine import Engine
from sim.fuel.errors import bad_request
from sim.fuel.hardware import Hardware, NicInfo, agent_payload, mac_for
from sim.fuel.machines import L2Facts, Machine

_counter = itertools.count(1)
_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")


def inject(engine: Engine, *, mac: str | None = None, cpus: int = 2, memory_mb: int = 2048, disk_gb: int = 50,
           nics: int = 5, online: bool = True, boot: bool = False, promiscuous: bool = True,
           pxe_vlan: int | None = None, manufacturer: str = "VMware, Inc.") -> dict[str, Any] | None:
    """Add a powered-on machine; its node registers now (or after the boot delay when ``boot``).

    Returns the node JSON, or None when ``boot`` defers registration.
    """
    for name, value, low in (("cpus", cpus, 1), ("memory_mb", memory_mb, 1), ("disk_gb", disk_gb, 1),
                             ("nics", nics, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise bad_request(f"'{name}' must be an integer >= {low}")
    if pxe_vlan is not None and (not isinstance(pxe_vlan, int) or isinstance(pxe_vlan, bool)):
        raise bad_request("'pxe_vlan' must be an integer or null")
    with engine.lock:
        now = engine.advance()
        index = next(_counter)
        custom = mac is not None
        if custom:
            if not isinstance(mac, str) or not _MAC.fullmatch(mac.lower()):
                raise bad_request("'mac' must look like 00:50:56:00:00:01")
            mac = mac.lower()
        else:
            while engine.machines.by_mac.get(mac_for(index)) or engine.state.node_by_any_mac(mac_for(index)):
                index = next(_counter)
            mac = mac_for(index)
        if mac in engine.machines.by_mac or engine.state.node_by_any_mac(mac) is not None:
            raise bad_request(f"A machine with MAC {mac} already exists")
        last = int(mac[-2:], 16)
        nic_infos = tuple(NicInfo(f"eth{i}", mac if i == 0 else
                                  (f"{mac[:-2]}{(last + i) % 256:02x}" if custom else mac_for(index, i)), 10000)
                          for i in range(nics))
        hw = Hardware(cpus=cpus, memory_mb=memory_mb, disks=(("sda", disk_gb * 1000 ** 3),), nics=nic_infos,
                      manufacturer=manufacturer, uuid=f"sim-{index}")
        machine = Machine(mac=mac, payload=agent_payload(hw), l2=L2Facts(vlan=pxe_vlan, promiscuous=promiscuous))
        engine.machines.by_mac[mac] = machine
        engine.machines.power_on(mac, now, None if boot else 0.0)
        engine.advance()
        node = engine.state.node_by_mac(mac)
        if node is not None and not online:
            node.online = False
        return node.to_json() if node is not None else None
