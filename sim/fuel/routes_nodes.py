"""Nailgun's node routes: listing, agent registration, updates, interfaces and disks."""
from __future__ import annotations

from sim.fuel import disks, interfaces, nodes
from sim.fuel.engine import Engine
from sim.fuel.errors import bad_request
from sim.fuel.machines import Machine
from sim.fuel.router import Request, Response, Router, ok


def register(router: Router, engine: Engine) -> None:
    state = engine.state

    def list_nodes(req: Request) -> Response:
        found = sorted(state.nodes.values(), key=lambda n: n.id)
        cluster_id = req.arg("cluster_id")
        if cluster_id == "":
            found = [n for n in found if n.cluster is None]
        elif cluster_id is not None:
            if not cluster_id.isdigit():
                raise bad_request("Invalid cluster_id")
            found = [n for n in found if n.cluster == int(cluster_id)]
        return ok([n.to_json() for n in found])

    def create(req: Request) -> Response:
        data = req.json()
        node = nodes.register(state, data)
        # A machine registered through the agent API: powered on, no vSphere VM behind it.
        payload = {k: v for k, v in data.items() if k not in ("mac", "status")}
        engine.machines.by_mac.setdefault(node.mac, Machine(mac=node.mac, payload=payload))
        return ok(node.to_json(), 201)

    def bulk_update(req: Request) -> Response:
        return ok([n.to_json() for n in nodes.bulk_update(state, req.json())])

    def agent(req: Request) -> Response:
        return ok(nodes.agent_update(state, req.json()))

    def get(req: Request) -> Response:
        return ok(state.node(req.id("node_id")).to_json())

    def update(req: Request) -> Response:
        node = state.node(req.id("node_id"))
        nodes.update(state, node, req.json())
        return ok(node.to_json())

    def delete(req: Request) -> Response:
        node = state.node(req.id("node_id"))
        del state.nodes[node.id]
        engine.machines.agent_rerun(node.mac, engine.now())
        return Response(204, raw=b"")

    def get_interfaces(req: Request) -> Response:
        return ok(interfaces.interfaces_json(state, state.node(req.id("node_id"))))

    def put_interfaces(req: Request) -> Response:
        node = state.node(req.id("node_id"))
        data = interfaces.validate(state, node.id, req.json())
        interfaces.apply(state, node, data)
        return ok(interfaces.interfaces_json(state, node))

    def bulk_interfaces(req: Request) -> Response:
        data = req.json()
        if not isinstance(data, list):
            raise bad_request("Data should be list of nodes")
        for item in data:
            if not isinstance(item, dict):
                raise bad_request("Each node should be dict")
            if "id" not in item:
                raise bad_request("Each node should have ID")
            interfaces.validate(state, item["id"], item.get("interfaces"))
        for item in data:
            interfaces.apply(state, state.nodes[item["id"]], item["interfaces"])
        return ok([{"id": item["id"], "interfaces": interfaces.interfaces_json(state, state.nodes[item["id"]])}
                   for item in data])

    def default_assignment(req: Request) -> Response:
        return ok(interfaces.default_interfaces_json(state, state.node(req.id("node_id"))))

    def bulk_default_assignment(req: Request) -> Response:
        cluster_id = req.arg("cluster_id")
        found = [n for n in sorted(state.nodes.values(), key=lambda n: n.id)
                 if cluster_id is None or str(n.cluster) == cluster_id]
        return ok([{"id": n.id, "interfaces": interfaces.default_interfaces_json(state, n)} for n in found])

    def get_disks(req: Request) -> Response:
        return ok(disks.layout(state.node(req.id("node_id"))))

    def default_disks(req: Request) -> Response:
        return ok(disks.default_layout(state.node(req.id("node_id"))))

    def put_disks(req: Request) -> Response:
        node = state.node(req.id("node_id"))
        return ok(disks.update(state, node, req.json()))

    def volumes(req: Request) -> Response:
        layout = disks.layout(state.node(req.id("node_id")))
        totals: dict[str, int] = {}
        for disk in layout:
            for volume in disk["volumes"]:
                totals[volume["name"]] = totals.get(volume["name"], 0) + volume["size"]
        return ok([{"name": name, "size": size} for name, size in totals.items() if size])

    def allocation(req: Request) -> Response:
        return ok({"total": len(state.nodes), "unallocated": sum(n.cluster is None for n in state.nodes.values())})

    base = "/api/nodes/{node_id:int}"
    router.add("GET", "/api/nodes", list_nodes)
    router.add("POST", "/api/nodes", create, public=True)
    router.add("PUT", "/api/nodes", bulk_update)
    router.add("PUT", "/api/nodes/agent", agent, public=True)
    router.add("GET", "/api/nodes/allocation/stats", allocation)
    router.add("PUT", "/api/nodes/interfaces", bulk_interfaces)
    router.add("GET", "/api/nodes/interfaces/default_assignment", bulk_default_assignment)
    router.add("GET", base, get)
    router.add("PUT", base, update)
    router.add("DELETE", base, delete)
    router.add("GET", f"{base}/interfaces", get_interfaces)
    router.add("PUT", f"{base}/interfaces", put_interfaces)
    router.add("GET", f"{base}/interfaces/default_assignment", default_assignment)
    router.add("GET", f"{base}/disks", get_disks)
    router.add("PUT", f"{base}/disks", put_disks)
    router.add("GET", f"{base}/disks/defaults", default_disks)
    router.add("GET", f"{base}/volumes", volumes)

