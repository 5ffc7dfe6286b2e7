"""What the master's programs and the nodes write to their logs while a lab lives, as in Fuel 6.0.

Each function writes the lines of one moment: a node booting into bootstrap, Astute starting
provisioning or deployment, a node failing, a node finishing. The texts follow the 6.0 sources
that write them (fuel-astute 6.0 ``lib/astute/orchestrator.rb``, ``image_provision.rb``,
``puppetd.rb``, ``server/dispatcher.rb``; puppet's and anaconda's own words for node logs), so
that whoever reads ``/api/logs`` finds the cause where an operator of a real master would.

Astute's first line of a run dumps its whole RPC message, passwords included, as a real 6.0
astute.log does: readers of these logs must scrub them.
"""
from __future__ import annotations

from typing import Any

from sim.fuel import attributes, releases
from sim.fuel.records import Cluster, Node, Task
from sim.fuel.state import State

# The resource whose failure a role's puppet run reports (fuel-library 6.0 manifests).
_FAILING_RESOURCE = {
    "controller": "/Stage[main]/Nova::Api/Exec[nova-db-sync]/returns",
    "compute": "/Stage[main]/Nova::Compute/Service[nova-compute]/ensure",
    "cinder": "/Stage[main]/Cinder::Volume/Service[cinder-volume]/ensure",
    "ceph-osd": "/Stage[main]/Ceph::Osd/Exec[ceph-deploy osd prepare]/returns",
    "mongo": "/Stage[main]/Mongodb::Server/Service[mongodb]/ensure",
}


def provision_method(cluster: Cluster) -> str:
    """``image`` (experimental in 6.0) or ``cobbler`` (anaconda / debian-installer)."""
    return str(attributes.value(cluster.editable, "provision", "method", "cobbler"))


def _uids(nodes: list[Node]) -> str:
    return ", ".join(f'"{n.id}"' for n in nodes)


def _secrets_of(cluster: Cluster) -> dict[str, Any]:
    editable = cluster.editable
    return {"access": {"user": attributes.value(editable, "access", "user", "admin"),
                       "password": attributes.value(editable, "access", "password", "admin")},
            "vcenter": {"vc_user": attributes.value(editable, "vcenter", "vc_user", ""),
                        "vc_password": attributes.value(editable, "vcenter", "vc_password", "")},
            "nova": {"db_password": cluster.generated.get("nova", {}).get("db_password", "")}}


def _ruby(value: Any) -> str:
    """Ruby's ``Hash#inspect``, which is how astute.log shows a message."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_ruby(k)}=>{_ruby(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_ruby(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value).lower()


def node_registered(state: State, node: Node) -> None:
    """The bootstrap image's first words, under the node's IP (its directory while discovered)."""
    state.node_log(node, "bootstrap/messages", "INFO", f"kernel: Linux version 2.6.32-504.1.3.el6.x86_64 "
                   f"(mockbuild@bootstrap) booted from PXE on {node.mac}")
    state.node_log(node, "bootstrap/agent", "INFO", f"nailgun-agent: Node {node.mac} registered in Nailgun as "
                   f"id {node.id}")


def provision_started(state: State, cluster: Cluster, task: Task, nodes: list[Node], at: float) -> None:
    method = provision_method(cluster)
    state.log("astute", "INFO", f"'provision' method called with data: {_ruby({'respond_to': 'provision_resp', 'args': {'task_uuid': task.uuid, 'provisioning_info': {'engine': {'provision_method': method}, 'nodes': [{'uid': str(n.id), 'slave_name': f'node-{n.id}', 'ks_meta': {'mco_password': 'marionette'}} for n in nodes]}}})}", at=at)
    for node in nodes:
        if method == "image":
            state.node_log(node, "bootstrap/messages", "INFO", "provision: Starting image based provisioning "
                           "(fuel-agent) of /dev/sda", at=at)
        elif releases.operating_system(cluster.release_id) == "Ubuntu":
            state.node_log(node, "install/syslog", "INFO", "debian-installer: Ubuntu 12.04.4 installation "
                           "started", at=at)
        else:
            state.node_log(node, "install/anaconda", "INFO", "anaconda 13.21.215 for CentOS 6.5 started", at=at)
            state.node_log(node, "install/storage", "INFO", "storage: scanning disks: sda", at=at)


def provision_node_done(state: State, cluster: Cluster, node: Node, at: float) -> None:
    if provision_method(cluster) == "image":
        state.node_log(node, "bootstrap/messages", "INFO", "provision: Image /dev/sda written, rebooting", at=at)
    else:
        source = "install/syslog" if releases.operating_system(cluster.release_id) == "Ubuntu" else "install/anaconda"
        state.node_log(node, source, "INFO", "Installation complete, rebooting into the target system", at=at)


def provision_failed(state: State, cluster: Cluster, task: Task, culprit: Node, reason: str, at: float) -> str:
    """Write the failure; return the message 6.0 puts on the provision task."""
    if provision_method(cluster) == "image":
        # fuel-agent's own log stays on the node in 6.0 (6.1 added the install/fuel-agent source);
        # what reaches the master is the bootstrap's syslog and astute's account.
        state.node_log(culprit, "bootstrap/messages", "ERR", f"provision: {reason}", at=at)
        state.node_log(culprit, "bootstrap/messages", "ERR", "provision: Provisioning failed, exit code 1", at=at)
        message = "At least one of nodes have failed during provisioning"
        state.log("astute", "ERROR", f"{task.uuid}: Provision command returned non zero exit code on node: "
                  f"{culprit.id}", at=at)
        state.log("astute", "ERROR", f"{task.uuid}: {message}", at=at)
        state.log("astute", "ERROR", f"Error occured while provisioning: #<Astute::FailedImageProvisionError: "
                  f"{message}>", at=at)
        return message
    source = "install/syslog" if releases.operating_system(cluster.release_id) == "Ubuntu" else "install/anaconda"
    state.node_log(culprit, source, "ERR", reason, at=at)
    state.node_log(culprit, source, "CRIT", "An unhandled error occurred: installation stopped", at=at)
    message = "Timeout of provisioning is exceeded"
    state.log("astute", "ERROR", f"{message}. Nodes not booted: [\"{culprit.id}\"]", at=at)
    return message


def deployment_started(state: State, cluster: Cluster, task: Task, nodes: list[Node], at: float) -> None:
    info = [{"uid": str(n.id), "role": role, "fqdn": n.fqdn, **_secrets_of(cluster)}
            for n in nodes for role in (n.roles or ["base"])]
    state.log("astute", "INFO", f"'deploy' method called with data: "
              f"{_ruby({'respond_to': 'deploy_resp', 'args': {'task_uuid': task.uuid, 'deployment_info': info}})}",
              at=at)
    state.log("astute", "DEBUG", "Waiting for puppet to finish deployment on all nodes (timeout = 3600 sec)...",
              at=at)
    for node in nodes:
        state.node_log(node, "install/mco", "INFO", "puppetd: runonce started", at=at)
        state.node_log(node, "install/puppet", "NOTICE", f"(/Stage[main]/Osnailyfacter::Cluster_simple/Notify"
                       f"[{','.join(node.roles)} deployment]) Starting deployment of node-{node.id}", at=at)


def deployment_node_done(state: State, node: Node, started: float, at: float) -> None:
    state.node_log(node, "install/puppet", "NOTICE", f"Finished catalog run in {at - started:.2f} seconds", at=at)


def deployment_failed(state: State, task: Task, culprit: Node, reason: str, at: float) -> None:
    resource = next((_FAILING_RESOURCE[r] for r in culprit.roles if r in _FAILING_RESOURCE),
                    "/Stage[main]/Osnailyfacter::Cluster_simple/Exec[post-deployment]/returns")
    if reason != "Node is offline":
        state.node_log(culprit, "install/puppet", "ERR", f"({resource}) change from notrun to 0 failed: {reason}",
                       at=at)
        state.node_log(culprit, "install/puppet", "WARNING", "(/Stage[main]/Openstack::Firewall/Exec[iptables-save])"
                       " Skipping because of failed dependencies", at=at)
        state.node_log(culprit, "install/puppet", "NOTICE", "Finished catalog run with failures", at=at)
    state.log("astute", "DEBUG", f"Node \"{culprit.id}\" has failed to deploy. There is no more retries for "
              "puppet run.", at=at)
    state.log("astute", "DEBUG", f"Data received by DeploymentProxyReporter to report it up: "
              f"{_ruby({'nodes': [{'uid': str(culprit.id), 'status': 'error', 'error_type': 'deploy'}]})}", at=at)
    if "controller" in culprit.roles:   # deployment_engine.rb fail_critical_node?
        state.log("astute", "WARNING", f"{task.uuid}: Critical nodes with uids: {culprit.id} fail to deploy. "
                  "Stop deployment", at=at)


def astute_yaml(cluster: Cluster, node: Node) -> str:
    """The node's ``/etc/astute.yaml`` (its deployment facts), secrets and all, as Astute uploads it."""
    facts = {"uid": str(node.id), "fqdn": node.fqdn, "role": ",".join(node.roles), **_secrets_of(cluster)}
    lines = []
    for key, value in facts.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {v}" for k, v in value.items())
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"
