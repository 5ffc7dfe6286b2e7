"""Fuel 6.0's rules about roles: which share a node, how many, and what each one needs.

Nailgun refuses these at assignment or deploy time; here they fail before any VM exists.
Works on a draft ``Lab`` (see ``labspec.loader``): None means "unreadable, already reported".
"""
from __future__ import annotations

from labspec.fuel60 import ROLE_CONFLICTS
from labspec.model import ROLES, Environment, Lab, NodeSpec
from labspec.problems import ProblemLog


def check(lab: Lab, log: ProblemLog) -> None:
    """Log every role problem of ``lab``."""
    env = lab.environment
    for index, node in enumerate(lab.nodes or ()):
        if node.roles:
            _check_node(log, f"nodes[{index}].roles", node, env)
    if lab.nodes is not None and all(node.roles is not None for node in lab.nodes):
        _check_counts(log, lab.nodes, env)


def _check_node(log: ProblemLog, path: str, node: NodeSpec, env: Environment | None) -> None:
    name = node.vm.name if node.vm and node.vm.name else "this node"
    seen: list[str] = []
    for role in node.roles:
        if role in seen:
            log.add(path, f"role {role} is listed twice on {name}")
            continue
        for other in seen:
            if other in ROLE_CONFLICTS[role]:
                log.add(path, _conflict(name, other, role))
        seen.append(role)
    if env is None:
        return
    if "compute" in seen and env.compute == "vcenter":
        log.add(path, f"{name}: the compute role cannot be used with compute: vcenter (Fuel 6.0 "
                      "runs nova-compute for vCenter on the controllers)")
    if "cinder" in seen and env.volumes == "ceph":
        log.add(path, f"{name}: Ceph RBD cannot be used with Cinder nodes (storage.volumes is ceph)")
    if "ceph-osd" in seen and env.volumes is not None and env.images is not None \
            and "ceph" not in (env.volumes, env.images):
        log.add(path, f"{name}: ceph-osd needs storage.volumes or storage.images set to ceph")
    if "mongo" in seen and env.services is not None and "ceilometer" not in env.services:
        log.add(path, f"{name}: the mongo role needs the ceilometer service")


def _conflict(name: str, first: str, second: str) -> str:
    if "zabbix-server" in (first, second):
        return f"{name}: zabbix-server cannot share a node with any other role in Fuel 6.0"
    return f"{name}: roles {first} and {second} cannot share a node in Fuel 6.0"


def _check_counts(log: ProblemLog, nodes: tuple[NodeSpec, ...], env: Environment | None) -> None:
    count = {role: sum(role in node.roles for node in nodes) for role in ROLES}
    if count["controller"] == 0:
        log.add("nodes", "the environment has no controller; Fuel 6.0 needs at least one",
                allowed=ROLES)
    if env is None:
        return
    if env.mode == "multinode" and count["controller"] > 1:
        log.add("nodes", f"{count['controller']} controllers: a multinode environment can not have "
                         "more than one controller node (use mode: ha_compact)")
    if env.mode == "multinode" and count["mongo"] > 1:
        log.add("nodes", "at most 1 MongoDB node can be added for a non-HA deployment")
    if env.services is not None and "ceilometer" in env.services and count["mongo"] == 0:
        log.add("environment.services", "ceilometer needs a node with the mongo role")
    settings, path = env.settings, "environment.settings.zabbix_password"
    if count["zabbix-server"] and settings is not None and not settings.zabbix_password \
            and not log.has_problem(path):
        log.add(path, "a zabbix-server node needs settings.zabbix_password, e.g. ${ZABBIX_PASSWORD}")
