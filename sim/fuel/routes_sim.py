"""The simulator's own control API under ``/_sim`` (no auth, never faulted)."""
from __future__ import annotations

from typing import Any, Callable

from sim.fuel import inject
from sim.fuel.engine import Engine
from sim.fuel.errors import bad_request
from sim.fuel.router import Request, Response, Router, ok

_INJECT_KEYS = ("mac", "cpus", "memory_mb", "disk_gb", "nics", "online", "boot", "promiscuous", "pxe_vlan",
                "manufacturer")


def _object(req: Request) -> dict[str, Any]:
    data = req.json_or({})
    if not isinstance(data, dict):
        raise bad_request("A JSON object is expected")
    return data


def _number(data: dict[str, Any], key: str, default: float | None = None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"'{key}' must be a number")
    return float(value)


def register(router: Router, engine: Engine, on_outage: Callable[[float], None]) -> None:
    def state(req: Request) -> Response:
        return ok(engine.snapshot())

    def reset(req: Request) -> Response:
        engine.reset()
        return ok({"reset": True})

    def speed(req: Request) -> Response:
        value = _number(_object(req), "speed")
        if value <= 0:
            raise bad_request("'speed' must be > 0")
        engine.set_speed(value)
        return ok({"speed": value})

    def add_node(req: Request) -> Response:
        data = _object(req)
        unknown = sorted(set(data) - set(_INJECT_KEYS))
        if unknown:
            raise bad_request(f"Unknown fields: {', '.join(unknown)}")
        for flag in ("online", "boot", "promiscuous"):
            if flag in data and not isinstance(data[flag], bool):
                raise bad_request(f"'{flag}' must be a boolean")
        node = inject.inject(engine, **data)
        return ok(node, 201) if node is not None else ok({"booting": True}, 202)

    def power(req: Request) -> Response:
        data = _object(req)
        if not isinstance(data.get("on"), bool):
            raise bad_request("'on' must be a boolean")
        with engine.lock:
            now = engine.advance()
            node = engine.state.node(req.id("node_id"))
            if node.mac not in engine.machines.by_mac:
                raise bad_request(f"Node {node.id} has no machine behind it")
            if data["on"]:
                engine.machines.power_on(node.mac, now)
            else:
                engine.machines.power_off(node.mac, now)
            return ok({"id": node.id, "powered": data["on"]})

    def list_faults(req: Request) -> Response:
        with engine.lock:
            return ok(engine.faults.to_json())

    def add_fault(req: Request) -> Response:
        data = _object(req)
        try:
            with engine.lock:
                fault = engine.faults.add_http(
                    route=data.get("route"), method=data.get("method"), status=data.get("status"),
                    rate=_number(data, "rate", 1.0), count=data.get("count"),
                    latency_ms=_number(data, "latency_ms", 0.0), drop=bool(data.get("drop", False)))
        except (ValueError, TypeError) as exc:
            raise bad_request(str(exc)) from None
        return ok(fault.to_json(), 201)

    def clear_faults(req: Request) -> Response:
        with engine.lock:
            engine.faults.clear()
        return Response(204, raw=b"")

    def node_fault(req: Request) -> Response:
        data = _object(req)
        if not isinstance(data.get("node"), (int, str)) or isinstance(data.get("node"), bool):
            raise bad_request("'node' (an id or a MAC) is required")
        stage = data.get("stage", "provision")
        message = data.get("message") or f"Simulated {stage} failure"
        try:
            with engine.lock:
                engine.faults.fail_node(data["node"], stage, str(message))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return ok({"node": data["node"], "stage": stage, "message": message}, 201)

    def ostf_fault(req: Request) -> Response:
        data = _object(req)
        if not isinstance(data.get("test"), str) or not isinstance(data.get("message"), str):
            raise bad_request("'test' and 'message' are required strings")
        step = data.get("step", 1)
        if not isinstance(step, int) or isinstance(step, bool) or step < 1:
            raise bad_request("'step' must be a positive integer")
        with engine.lock:
            engine.faults.fail_ostf(data["test"], data["message"], step)
        return ok({"test": data["test"], "message": data["message"], "step": step}, 201)

    def dump_fault(req: Request) -> Response:
        data = _object(req)
        if not isinstance(data.get("message"), str) or not data["message"]:
            raise bad_request("'message' (what the dump task will fail with) is required")
        with engine.lock:
            engine.faults.dump = data["message"]
        return ok({"message": data["message"]}, 201)

    def ntp_fault(req: Request) -> Response:
        server = _object(req).get("server")
        if not isinstance(server, str) or not server:
            raise bad_request("'server' (the NTP server name or address that will not answer) is required")
        with engine.lock:
            engine.faults.ntp_unreachable.add(server)
        return ok({"server": server, "reachable": False}, 201)

    def expire_tokens(req: Request) -> Response:
        with engine.lock:
            engine.tokens.expire_all()
        return ok({"expired": True})

    def outage(req: Request) -> Response:
        seconds = _number(_object(req), "seconds")
        if not 0 < seconds <= 3600:
            raise bad_request("'seconds' must be within (0, 3600]")
        on_outage(seconds)
        return ok({"outage_seconds": seconds}, 202)

    for method, path, handler in (
            ("GET", "/_sim/state", state), ("POST", "/_sim/reset", reset), ("POST", "/_sim/speed", speed),
            ("POST", "/_sim/nodes", add_node), ("POST", "/_sim/nodes/{node_id:int}/power", power),
            ("GET", "/_sim/faults", list_faults), ("POST", "/_sim/faults", add_fault),
            ("DELETE", "/_sim/faults", clear_faults), ("POST", "/_sim/faults/node", node_fault),
            ("POST", "/_sim/faults/ostf", ostf_fault), ("POST", "/_sim/faults/dump", dump_fault),
            ("POST", "/_sim/faults/ntp", ntp_fault),
            ("POST", "/_sim/tokens/expire", expire_tokens),
            ("POST", "/_sim/outage", outage)):
        router.add(method, path, handler, public=True, locked=False)
