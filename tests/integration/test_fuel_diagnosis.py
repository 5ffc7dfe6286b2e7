"""The cause finder against the Fuel 6.0 simulator: what Fuel says went wrong, scrubbed and capped."""
from __future__ import annotations

import json

from core.redact import register_secret
from integrations.fuel import FuelClient, deadline_in
from integrations.fuel.diagnosis import FailureStage, diagnose
from integrations.fuel.enums import NetProvider, NodeErrorType, TaskStatus
from integrations.fuel.models import Cluster, Task
from sim.fuel import FuelSimulator
from tests.integration.test_fuel_client_flow import _environment, _nodes, client  # noqa: F401 (fixture)


def _image_provisioning(client: FuelClient, cluster: Cluster) -> None:
    def change(editable: dict) -> None:
        editable["provision"]["method"]["value"] = "image"
        editable["access"]["password"]["value"] = "0penstack-pw-77"
    client.apply_settings(cluster.id, change)


def _failed_deploy(client: FuelClient, cluster: Cluster) -> Task:
    task = client.wait_for_task(client.deploy_changes(cluster.id).id, deadline=deadline_in(30), poll=0.05)
    assert task.status is TaskStatus.ERROR
    return task


def test_a_provisioning_failure_names_the_node_and_the_lines_that_say_why(
        fuelsim: FuelSimulator, client: FuelClient) -> None:  # noqa: F811
    cluster = _environment(client)
    _image_provisioning(client, cluster)
    controller, compute = _nodes(fuelsim, client, cluster, [["controller"], ["compute"]])
    fuelsim.fail_node(compute, stage="provision", message="Failed to write image to /dev/sda: No space left")
    diagnosis = diagnose(client, _failed_deploy(client, cluster),
                         vm_names={controller: "lab1-controller-1", compute: "lab1-compute-1"})
    assert diagnosis.stage is FailureStage.PROVISIONING and diagnosis.task_name == "provision"
    assert diagnosis.message == "At least one of nodes have failed during provisioning"
    culprit = diagnosis.nodes[0]
    assert (culprit.id, culprit.vm_name, culprit.error_type) == (compute, "lab1-compute-1", NodeErrorType.PROVISION)
    assert culprit.label == f"node-{compute} lab1-compute-1 (Fuel: '{client.node(compute).name}')"
    assert diagnosis.cause == "provision: Failed to write image to /dev/sda: No space left"
    node_logs, astute = diagnosis.excerpts[0], diagnosis.excerpts[-1]
    assert (node_logs.node_id, node_logs.source) == (compute, "bootstrap/messages")
    assert [e.level for e in node_logs.lines] == ["ERR", "ERR"]
    assert astute.source == "astute" and any(
        f"Provision command returned non zero exit code on node: {compute}" in e.text for e in astute.lines)
    assert diagnosis.notifications == (), "6.0 sends no notification for a provisioning failure"
    assert "lab1-compute-1" in diagnosis.summary() and "No space left" in diagnosis.summary()
    assert diagnosis.gaps == ()


def test_a_deployment_failure_brings_the_notification_and_puppets_error_without_secrets(
        fuelsim: FuelSimulator, client: FuelClient) -> None:  # noqa: F811
    register_secret("S3cr3t-vc-passw0rd")
    cluster = _environment(client)
    _image_provisioning(client, cluster)
    controller, compute = _nodes(fuelsim, client, cluster, [["controller"], ["compute"]])
    fuelsim.fail_node(controller, stage="deploy",
                      message="keystone-manage db_sync: connection refused (password=S3cr3t-vc-passw0rd)")
    diagnosis = diagnose(client, _failed_deploy(client, cluster), lines=2)
    name = client.node(controller).name
    assert diagnosis.stage is FailureStage.DEPLOYMENT
    assert diagnosis.message == f"Deployment has failed. Check these nodes:\n'{name}'"
    assert diagnosis.nodes[0].id == controller and diagnosis.nodes[0].vm_name is None
    assert diagnosis.notifications[0].message == f"Failed to deploy node '{name}': Unknown error"
    puppet = diagnosis.excerpts[0]
    assert puppet.source == "install/puppet" and len(puppet.lines) <= 2
    assert "change from notrun to 0 failed: keystone-manage db_sync: connection refused" in diagnosis.cause
    everything = json.dumps(diagnosis.to_event_data()) + diagnosis.summary()
    assert "S3cr3t-vc-passw0rd" not in everything and "0penstack-pw-77" not in everything
    assert "Critical nodes with uids" in everything, "astute's word about the run is kept"


def test_a_verification_failure_names_the_nodes_fuel_lists(fuelsim: FuelSimulator,
                                                           client: FuelClient) -> None:  # noqa: F811
    cluster = _environment(client)
    ids = [node["id"] for node in (fuelsim.inject_node(promiscuous=False), fuelsim.inject_node(promiscuous=False))
           if node is not None]
    client.assign_roles(cluster.id, {ids[0]: ["controller"], ids[1]: ["compute"]})
    config = client.network_configuration(cluster.id, NetProvider.NOVA_NETWORK)
    task = client.wait_for_task(client.verify_networks(cluster.id, NetProvider.NOVA_NETWORK, config).id,
                                deadline=deadline_in(30), poll=0.05)
    diagnosis = diagnose(client, task, vm_names={ids[0]: "lab1-controller-1"})
    assert diagnosis.stage is FailureStage.VERIFICATION
    assert [n.id for n in diagnosis.nodes] == ids
    assert diagnosis.message.startswith("Verification failed: expected VLANs are absent")
    assert diagnosis.nodes[0].vm_name == "lab1-controller-1"


def test_pre_deployment_checks_and_an_unreadable_log_still_give_a_diagnosis(
        fuelsim: FuelSimulator, client: FuelClient) -> None:  # noqa: F811
    cluster = _environment(client)
    _nodes(fuelsim, client, cluster, [["compute"]])
    checks = client.deploy_changes(cluster.id)
    diagnosis = diagnose(client, checks)
    assert diagnosis.stage is FailureStage.PRE_CHECKS and "controller" in diagnosis.message
    assert diagnosis.nodes == () and diagnosis.excerpts == ()

    other = _environment(client, "lab2")
    _image_provisioning(client, other)
    (node,) = _nodes(fuelsim, client, other, [["controller"]])
    fuelsim.fail_node(node, stage="provision", message="Disk not found")
    failed = _failed_deploy(client, other)
    fuelsim.set_fault(route=r"^/api/logs", status=500)
    diagnosis = diagnose(client, failed)
    assert diagnosis.nodes[0].id == node and diagnosis.message
    assert diagnosis.gaps and all("500" in gap for gap in diagnosis.gaps)
