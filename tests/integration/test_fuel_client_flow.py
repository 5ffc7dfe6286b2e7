"""The article's workflow through FuelClient against the simulator, and the ways it goes wrong."""
from __future__ import annotations

from typing import Any

import pytest

from core.errors import FuelError
from integrations.fuel import FuelClient, deadline_in
from integrations.fuel.enums import (ClusterStatus, Mode, NetProvider, NodeErrorType, NodeStatus, TaskName,
                                     TaskStatus, TestRunStatus, TestStatus)
from integrations.fuel.models import Cluster, NetworkConfiguration, Task
from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import wait_for

ARTICLE_NETWORKS = {"public": ("10.0.0.0/24", "10.0.0.1"), "management": ("10.0.1.0/24", None),
                    "storage": ("10.0.2.0/24", None)}
NIC_NETWORKS = ["fuelweb_admin", "public", "management", "storage", "fixed"]  # eth0 … eth4, as in lab1


@pytest.fixture
def client(fuelsim: FuelSimulator) -> FuelClient:
    return FuelClient(url=fuelsim.url, user="admin", password="admin", retries=2, backoff=0.01, timeout=5)


def _environment(client: FuelClient, name: str = "lab1") -> Cluster:
    release = client.find_release("Juno on CentOS 6.5", "2014.2-6.0")
    return client.create_cluster(name=name, release_id=release.id, mode=Mode.MULTINODE)


def _vcenter_settings(editable: dict[str, Any]) -> None:
    editable["common"]["libvirt_type"]["value"] = "vcenter"
    editable["vcenter"]["host_ip"]["value"] = "10.0.0.10"
    editable["vcenter"]["vc_user"]["value"] = "fuelbot"
    editable["vcenter"]["vc_password"]["value"] = "vc-secret"
    editable["vcenter"]["cluster"]["value"] = "DC0_C0"
    editable["access"]["password"]["value"] = "openstack-secret"
    editable["syslog"]["syslog_server"]["value"] = "10.0.0.5"
    editable["provision"]["method"]["value"] = "image"


def _article_networks(config: dict[str, Any]) -> None:
    for network in config["networks"]:
        if network["name"] in ARTICLE_NETWORKS:
            cidr, gateway = ARTICLE_NETWORKS[network["name"]]
            base = cidr.rsplit(".", 1)[0]
            network.update(cidr=cidr, vlan_start=None, gateway=gateway or network["gateway"],
                           ip_ranges=[[f"{base}.2", f"{base}.127"]])
    config["networking_parameters"]["fixed_networks_cidr"] = "12.0.0.0/24"
    config["networking_parameters"]["floating_ranges"] = [["10.0.0.128", "10.0.0.254"]]


def _nodes(sim: FuelSimulator, client: FuelClient, cluster: Cluster, roles: list[list[str]]) -> list[int]:
    ids = []
    for node_roles in roles:
        node = sim.inject_node(memory_mb=2048)
        assert node is not None
        ids.append(node["id"])
    client.assign_roles(cluster.id, dict(zip(ids, roles)))
    for node_id in ids:
        macs = [nic.mac for nic in client.node(node_id).interfaces]
        client.assign_networks_by_mac(node_id, dict(zip(macs, ([n] for n in NIC_NETWORKS))))
    return ids


def test_the_articles_workflow_end_to_end(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _environment(client)
    assert (cluster.status, cluster.mode, cluster.net_provider) == (ClusterStatus.NEW, Mode.MULTINODE,
                                                                   NetProvider.NOVA_NETWORK)
    assert client.find_cluster("lab1") == cluster and client.find_cluster("nope") is None

    settings = client.apply_settings(cluster.id, _vcenter_settings)
    assert client.attributes(cluster.id) == settings
    before = dict(client.request_count)
    client.apply_settings(cluster.id, _vcenter_settings)  # nothing changes: no PUT
    assert client.request_count["PUT /api/clusters/{cluster_id}/attributes"] == \
        before["PUT /api/clusters/{cluster_id}/attributes"]

    config = client.network_configuration(cluster.id, cluster.net_provider)
    _article_networks(config)
    saved = client.update_network_configuration(cluster.id, cluster.net_provider, config)
    assert (saved.name, saved.status) == (TaskName.CHECK_NETWORKS, TaskStatus.READY), saved.message
    public = NetworkConfiguration.from_json(client.network_configuration(cluster.id, "nova_network"))
    assert public.network("public").cidr == "10.0.0.0/24"

    controller, compute = _nodes(fuelsim, client, cluster, [["controller"], ["compute"]])
    assert [n.id for n in client.nodes(cluster.id)] == [controller, compute]
    assert client.nodes("unallocated") == []
    layout = client.interfaces(controller)
    assert [i.network_names for i in layout] == [(n,) for n in NIC_NETWORKS]
    again = client.assign_networks_by_mac(controller, {layout[1].mac or "": ["public"]})
    assert again == layout  # already so: nothing sent
    assert client.request_count["PUT /api/nodes/{node_id}/interfaces"] == 2

    verify = client.verify_networks(cluster.id, "nova_network",
                                    client.network_configuration(cluster.id, "nova_network"))
    verified = client.wait_for_task(verify.id, deadline=deadline_in(20), poll=0.05)
    assert (verified.name, verified.status) == (TaskName.VERIFY_NETWORKS, TaskStatus.READY), verified.message

    progress: list[int] = []
    deploy = client.deploy_changes(cluster.id)
    final = client.wait_for_task(deploy.id, deadline=deadline_in(30), poll=0.05,
                                 on_progress=lambda t: progress.append(t.progress))
    assert final.status is TaskStatus.READY and "Horizon" in (final.message or "")
    assert progress == sorted(progress) and progress[-1] == 100
    assert client.cluster(cluster.id).status is ClusterStatus.OPERATIONAL
    assert {n.status for n in client.nodes(cluster.id)} == {NodeStatus.READY}
    assert any(n.topic == "done" for n in client.notifications())

    testsets = [t.id for t in client.ostf_testsets(cluster.id)]
    assert testsets[:2] == ["sanity", "smoke"]
    runs = client.start_testruns(cluster.id, ["sanity"])
    finished = client.wait_for_testruns(cluster.id, [r.id for r in runs], deadline=deadline_in(30),
                                        poll=0.05)
    assert [r.status for r in finished] == [TestRunStatus.FINISHED]
    assert {t.status for t in finished[0].tests} == {TestStatus.SUCCESS}
    assert client.testrun(runs[0].id).finished


def test_a_node_failing_provisioning_ends_the_deploy_in_error(fuelsim: FuelSimulator,
                                                              client: FuelClient) -> None:
    cluster = _environment(client)
    controller, compute = _nodes(fuelsim, client, cluster, [["controller"], ["compute"]])
    fuelsim.fail_node(compute, stage="provision", message="Cobbler could not PXE-boot the node")
    name = client.node(compute).name
    deploy = client.deploy_changes(cluster.id)
    final = client.wait_for_task(deploy.id, deadline=deadline_in(30), poll=0.05)
    assert final.status is TaskStatus.ERROR and final.done
    assert final.message == "Timeout of provisioning is exceeded"   # 6.0 cobbler: Astute's words, no node name
    assert name.startswith("Untitled (")
    failed = client.node(compute)
    assert (failed.status, failed.error_type) == (NodeStatus.ERROR, NodeErrorType.PROVISION)
    assert client.cluster(cluster.id).status is ClusterStatus.ERROR
    subtasks = {t.name: t for t in client.tasks(cluster.id)}
    assert subtasks[TaskName.PROVISION].status is TaskStatus.ERROR


def test_pre_deployment_checks_fail_inside_the_task(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _environment(client)
    _nodes(fuelsim, client, cluster, [["compute"]])
    task = client.deploy_changes(cluster.id)
    assert task.status is TaskStatus.ERROR and "controller" in (task.message or "")
    assert client.cluster(cluster.id).status is ClusterStatus.NEW


def test_renaming_and_taking_nodes_back_out(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _environment(client)
    (node_id,) = _nodes(fuelsim, client, cluster, [["controller"]])
    (renamed,) = client.update_nodes([{"id": node_id, "name": "lab1-controller-1"}])
    assert renamed.name == "lab1-controller-1" and client.node(node_id).name == "lab1-controller-1"
    assert client.update_cluster(cluster.id, name="lab1-renamed").name == "lab1-renamed"
    client.unassign(cluster.id, [node_id])
    assert client.nodes(cluster.id) == [] and [n.id for n in client.nodes("unallocated")] == [node_id]
    assert [n.id for n in client.nodes()] == [node_id]


def test_nothing_to_deploy_is_a_400_with_nailguns_words(client: FuelClient) -> None:
    cluster = _environment(client)
    with pytest.raises(FuelError) as caught:
        client.deploy_changes(cluster.id)
    assert (caught.value.status, caught.value.server_message) == (400, "No changes to deploy")


def test_verification_needs_two_nodes(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _environment(client)
    _nodes(fuelsim, client, cluster, [["controller"]])
    task = client.verify_networks(cluster.id, "nova_network",
                                  client.network_configuration(cluster.id, "nova_network"))
    final = client.wait_for_task(task.id, deadline=deadline_in(10), poll=0.05)
    assert final.status is TaskStatus.ERROR and "At least two nodes" in (final.message or "")


def test_a_bad_network_configuration_comes_back_as_an_error_task(client: FuelClient) -> None:
    cluster = _environment(client)
    config = client.network_configuration(cluster.id, "nova_network")
    for network in config["networks"]:
        if network["name"] == "storage":
            network.update(cidr="192.168.0.0/24", vlan_start=101)  # same as management
    task = client.update_network_configuration(cluster.id, "nova_network", config)
    assert task.status is TaskStatus.ERROR and task.message


def test_settings_of_a_deployed_environment_are_locked(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _deployed(fuelsim, client)
    with pytest.raises(FuelError) as caught:
        client.apply_settings(cluster.id, lambda e: e["syslog"]["syslog_server"].update(value="10.9.9.9"))
    assert caught.value.status == 403 and "can't be changed" in str(caught.value)


def test_stop_then_reset(fuelsim: FuelSimulator, client: FuelClient) -> None:
    fuelsim.set_speed(10)
    cluster = _environment(client)
    _nodes(fuelsim, client, cluster, [["controller"]])
    deploy = client.deploy_changes(cluster.id)
    stop = client.stop_deployment(cluster.id)
    assert stop.name is TaskName.STOP_DEPLOYMENT and deploy.status is TaskStatus.RUNNING
    fuelsim.set_speed(100)
    assert client.wait_for_task(stop.id, deadline=deadline_in(10), poll=0.05).status is TaskStatus.READY
    assert client.cluster(cluster.id).status is ClusterStatus.STOPPED
    reset = client.reset(cluster.id)
    assert client.wait_for_task(reset.id, deadline=deadline_in(10), poll=0.05).status is TaskStatus.READY
    assert client.cluster(cluster.id).status is ClusterStatus.NEW


def test_a_failing_health_check_and_a_rerun(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _deployed(fuelsim, client)
    fuelsim.fail_ostf_test("test_list_instances", message="Instance list is unavailable.", step=1)
    (run,) = client.start_testruns(cluster.id, ["sanity"])
    (done,) = client.wait_for_testruns(cluster.id, deadline=deadline_in(20), poll=0.05)
    (failed,) = done.failed()
    assert failed.id.endswith("test_list_instances") and failed.step == 1
    assert "unavailable" in (failed.message or "")

    fuelsim.clear_faults()
    rerun = client.restart_testrun(run.id, tests=[failed.id])
    (again,) = client.wait_for_testruns(cluster.id, [rerun.id], deadline=deadline_in(20), poll=0.05)
    assert {t.status for t in again.tests if t.id == failed.id} == {TestStatus.SUCCESS}


def test_chosen_tests_and_stopping_a_run(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _deployed(fuelsim, client)
    smoke = [t.id for t in client.ostf_tests(cluster.id) if t.testset == "smoke"][:2]
    (run,) = client.start_testruns(cluster.id, ["smoke"], smoke)
    enabled = [t.id for t in run.tests if t.status is not TestStatus.DISABLED]
    assert sorted(enabled) == sorted(smoke)
    client.stop_testrun(run.id)
    (stopped,) = client.wait_for_testruns(cluster.id, [run.id], deadline=deadline_in(10), poll=0.05)
    assert stopped.finished
    with pytest.raises(FuelError, match="OSTF has no test nope"):
        client.start_testruns(cluster.id, ["smoke"], ["nope"])


def test_delete_environment_and_tasks(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _environment(client)
    check = client.update_network_configuration(
        cluster.id, "nova_network", client.network_configuration(cluster.id, "nova_network"))
    client.delete_task(check.id)
    with pytest.raises(FuelError, match="Task not found"):
        client.task(check.id)
    client.delete_cluster(cluster.id)
    assert client.cluster(cluster.id).status is ClusterStatus.REMOVE
    assert [t.name for t in client.tasks(cluster.id)] == [TaskName.CLUSTER_DELETION]
    # the cluster_deletion task goes with the cluster row, so "done" means "cluster gone"
    wait_for(lambda: client.find_cluster("lab1") is None, 10, "the environment to disappear")


def _deployed(sim: FuelSimulator, client: FuelClient) -> Cluster:
    cluster = _environment(client)
    _nodes(sim, client, cluster, [["controller"], ["compute"]])
    final: Task = client.wait_for_task(client.deploy_changes(cluster.id).id, deadline=deadline_in(30),
                                       poll=0.05)
    assert final.status is TaskStatus.READY, final.message
    return cluster
