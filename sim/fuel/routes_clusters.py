"""Nailgun's cluster routes: environments, settings, networks, verification and deployment actions."""
from __future__ import annotations

import copy
from typing import Any

from sim.fuel import attributes, networks, netcheck, nodes, releases
from sim.fuel.engine import Engine
from sim.fuel.errors import HttpError, bad_request
from sim.fuel.records import Cluster, is_id
from sim.fuel.router import Request, Response, Router, ok

FUEL_VERSION = "6.0"
_MODES = ("ha_compact", "multinode", "ha_full")
_LOCKED = {"attributes": "Environment attributes can't be changed after, or in deploy.",
           "networks": "Network configuration can't be changed after, or in deploy."}


def is_locked(engine: Engine, cluster: Cluster) -> bool:
    """Nailgun's ``is_locked``: unless new/stopped with no ready node, settings are frozen."""
    if cluster.status not in ("new", "stopped"):
        return True
    return any(n.status == "ready" for n in engine.state.cluster_nodes(cluster.id))


def _create(engine: Engine, data: Any) -> Cluster:
    state = engine.state
    if not isinstance(data, dict):
        raise bad_request("Invalid json received")
    release_id = data.get("release", data.get("release_id"))
    if release_id is None:
        raise bad_request("Release ID is required")
    if not releases.exists(release_id):
        raise bad_request("Invalid release ID")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 50:
        raise bad_request("Environment name is required and must be at most 50 characters")
    if any(c.name == name for c in state.clusters.values()):
        raise HttpError(409, "Environment with this name already exists")
    mode = data.get("mode", "ha_compact")
    provider = data.get("net_provider", "nova_network")
    if mode not in _MODES:
        raise bad_request(f"Invalid mode '{mode}'")
    if provider not in ("nova_network", "neutron"):
        raise bad_request(f"Invalid net_provider '{provider}'")
    segment = data.get("net_segment_type")
    if provider == "neutron" and segment not in (None, "vlan", "gre"):
        raise bad_request(f"Invalid net_segment_type '{segment}'")
    l23 = data.get("net_l23_provider", "ovs")
    if l23 not in ("ovs", "nsx"):
        raise bad_request(f"Invalid net_l23_provider '{l23}'")
    members = data.get("nodes") or []
    if not isinstance(members, list) or any(not is_id(i) or i not in state.nodes for i in members):
        raise bad_request("Invalid node ids")
    cluster = Cluster(id=state.next_id("cluster"), name=name, mode=mode, net_provider=provider,
                      release_id=release_id, net_segment_type=(segment or "vlan") if provider == "neutron" else None,
                      net_l23_provider=l23)
    os_name = releases.operating_system(release_id)
    cluster.editable = attributes.default_editable(os_name)
    cluster.generated = attributes.generate(os_name)
    networks.create_for_cluster(state, cluster)
    cluster.add_change("attributes")
    cluster.add_change("networks")
    state.clusters[cluster.id] = cluster
    for node_id in members:
        nodes.add_to_cluster(state, state.nodes[node_id], cluster.id)
    state.log("app", "INFO", f"Environment '{name}' created")
    return cluster


def _update(engine: Engine, cluster: Cluster, data: Any) -> None:
    state = engine.state
    if not isinstance(data, dict):
        raise bad_request("Invalid json received")
    if "release" in data or "release_id" in data:
        if not releases.exists(data.get("release", data.get("release_id"))):
            raise bad_request("Invalid release ID")
    if "net_provider" in data and data["net_provider"] != cluster.net_provider:
        raise bad_request("Changing 'net_provider' for environment is prohibited")
    if "name" in data:
        if not isinstance(data["name"], str) or not data["name"].strip():
            raise bad_request("Environment name must be a non-empty string")
        if any(c.name == data["name"] and c.id != cluster.id for c in state.clusters.values()):
            raise HttpError(409, "Environment with this name already exists")
    if "mode" in data and data["mode"] not in _MODES:
        raise bad_request(f"Invalid mode '{data['mode']}'")
    if "nodes" in data:
        wanted = data["nodes"]
        if not isinstance(wanted, list) or any(not is_id(i) or i not in state.nodes for i in wanted):
            raise bad_request("Invalid node ids")
        if any(state.nodes[i].cluster not in (None, cluster.id) for i in wanted):
            raise bad_request("Changing cluster on the fly is not allowed")
    for key in ("name", "mode", "pending_release_id"):
        if key in data:
            setattr(cluster, key, data[key])
    if "nodes" in data:
        for node in state.cluster_nodes(cluster.id):
            if node.id not in data["nodes"]:
                nodes.remove_from_cluster(state, node)
        for node_id in data["nodes"]:
            if state.nodes[node_id].cluster is None:
                nodes.add_to_cluster(state, state.nodes[node_id], cluster.id)


def register(router: Router, engine: Engine) -> None:
    state = engine.state

    def cluster_of(req: Request) -> Cluster:
        return state.cluster(req.id("cluster_id"))

    def list_clusters(req: Request) -> Response:
        return ok([c.to_json(FUEL_VERSION) for c in sorted(state.clusters.values(), key=lambda c: c.id)])

    def create(req: Request) -> Response:
        return ok(_create(engine, req.json()).to_json(FUEL_VERSION), 201)

    def get(req: Request) -> Response:
        return ok(cluster_of(req).to_json(FUEL_VERSION))

    def update(req: Request) -> Response:
        cluster = cluster_of(req)
        _update(engine, cluster, req.json())
        return ok(cluster.to_json(FUEL_VERSION))

    def delete(req: Request) -> Response:
        engine.operations.delete(cluster_of(req), engine.now())
        return ok({}, 202)

    def get_attributes(req: Request) -> Response:
        return ok({"editable": copy.deepcopy(cluster_of(req).editable)})

    def put_attributes(req: Request, patch: bool = False) -> Response:
        cluster = cluster_of(req)
        data = attributes.validate_update(req.json())
        if is_locked(engine, cluster):
            raise HttpError(403, _LOCKED["attributes"])
        if "editable" in data:
            cluster.editable = attributes.deep_merge(cluster.editable, data["editable"]) if patch \
                else copy.deepcopy(data["editable"])
        cluster.add_change("attributes")
        return ok({"editable": copy.deepcopy(cluster.editable)})

    def default_attributes(req: Request) -> Response:
        return ok({"editable": attributes.default_editable(releases.operating_system(cluster_of(req).release_id))})

    def reset_attributes(req: Request) -> Response:
        cluster = cluster_of(req)
        if is_locked(engine, cluster):
            raise HttpError(403, _LOCKED["attributes"])
        cluster.editable = attributes.default_editable(releases.operating_system(cluster.release_id))
        cluster.add_change("attributes")
        return ok({"editable": copy.deepcopy(cluster.editable)})

    def generated(req: Request) -> Response:
        return ok(copy.deepcopy(cluster_of(req).generated))

    def get_networks(req: Request) -> Response:
        cluster = cluster_of(req)
        networks.check_provider(cluster, req.params["provider"])
        return ok(networks.configuration_json(cluster))

    def put_networks(req: Request) -> Response:
        cluster = cluster_of(req)
        networks.check_provider(cluster, req.params["provider"])
        data = networks.validate_update(cluster, req.json())
        if is_locked(engine, cluster):
            raise HttpError(403, _LOCKED["networks"])
        task = state.add_task("check_networks", cluster.id)
        try:
            groups, params = networks.candidate(cluster, data)
        except HttpError as exc:
            task.finish("error", str(exc.body))
            return ok(task.to_json(), 202)
        messages, result = netcheck.check_configuration(cluster.net_provider, groups, params)
        if messages:
            task.finish("error", "\n".join(messages), result)
        else:
            networks.save(cluster, groups, params)
            task.finish("ready")
        return ok(task.to_json(), 202)

    def verify(req: Request) -> Response:
        with engine.lock:
            engine.advance()
            cluster = cluster_of(req)
            networks.check_provider(cluster, req.params["provider"])
            data = networks.validate_update(cluster, req.json())
            members = [n.id for n in state.cluster_nodes(cluster.id)]
        facts = engine.l2_facts_for(members)   # may read vCenter: outside the lock
        with engine.lock:
            now = engine.advance()
            task = engine.verifier.start(state.cluster(cluster.id), data, facts, now)
            return ok(task.to_json(), 202)

    def changes(req: Request) -> Response:
        return ok(engine.operations.deploy_changes(cluster_of(req), engine.now()).to_json(), 202)

    def selected(action: str) -> Any:
        def handler(req: Request) -> Response:
            raw = req.arg("nodes") or ""
            try:
                ids = [int(i) for i in raw.split(",") if i.strip()]
            except ValueError:
                raise bad_request(f"Invalid node ids '{raw}'") from None
            return ok(engine.operations.selected(cluster_of(req), action, ids, engine.now()).to_json(), 202)
        return handler

    def stop(req: Request) -> Response:
        return ok(engine.operations.stop(cluster_of(req), engine.now()).to_json(), 202)

    def reset(req: Request) -> Response:
        return ok(engine.operations.reset(cluster_of(req), engine.now()).to_json(), 202)

    def assignment(req: Request) -> Response:
        nodes.assign(state, req.id("cluster_id"), req.json())
        return Response(200, raw=b"")

    def unassignment(req: Request) -> Response:
        nodes.unassign(state, req.id("cluster_id"), req.json())
        return Response(200, raw=b"")

    def nodegroups(req: Request) -> Response:
        return ok([{"id": c.id, "cluster": c.id, "name": "default"} for c in sorted(state.clusters.values(),
                                                                                 key=lambda c: c.id)])

    base = "/api/clusters/{cluster_id:int}"
    router.add("GET", "/api/clusters", list_clusters)
    router.add("POST", "/api/clusters", create)
    router.add("GET", base, get)
    router.add("PUT", base, update)
    router.add("DELETE", base, delete)
    router.add("GET", f"{base}/attributes", get_attributes)
    router.add("PUT", f"{base}/attributes", put_attributes)
    router.add("PATCH", f"{base}/attributes", lambda r: put_attributes(r, patch=True))
    router.add("GET", f"{base}/attributes/defaults", default_attributes)
    router.add("PUT", f"{base}/attributes/defaults", reset_attributes)
    router.add("GET", f"{base}/generated", generated)
    provider = "{provider:nova_network|neutron}"   # Nailgun has one route per provider
    router.add("GET", f"{base}/network_configuration/{provider}", get_networks)
    router.add("PUT", f"{base}/network_configuration/{provider}", put_networks)
    router.add("PUT", f"{base}/network_configuration/{provider}/verify", verify, locked=False)
    router.add("PUT", f"{base}/changes", changes)
    router.add("PUT", f"{base}/provision", selected("provision"))
    router.add("PUT", f"{base}/deploy", selected("deploy"))
    router.add("PUT", f"{base}/stop_deployment", stop)
    router.add("PUT", f"{base}/reset", reset)
    router.add("POST", f"{base}/assignment", assignment)
    router.add("POST", f"{base}/unassignment", unassignment)
    router.add("GET", "/api/nodegroups", nodegroups)
