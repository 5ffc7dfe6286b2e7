"""Models parse recorded Fuel 6.0 payloads (written from the 6.0 serializers) and tolerate extras."""
from __future__ import annotations

import copy
import dataclasses

import pytest

from integrations.fuel.enums import (ClusterStatus, Mode, NetProvider, NodeErrorType, NodeStatus,
                                     TaskName, TaskStatus, TestRunStatus, TestStatus)
from integrations.fuel.models import (Cluster, FuelVersion, Interface, NetworkConfiguration, Node,
                                      Notification, Release, Task, TestRun, TestSet)

VERSION_60 = {"release": "6.0", "api": "1.0", "production": "docker", "feature_groups": ["mirantis"],
              "build_number": "58", "build_id": "2014-12-17_17-32-20", "nailgun_sha": "5f91157d",
              "astute_sha": "16b252d9", "fuellib_sha": "fde8ba5e", "ostf_sha": "a9afb68d",
              "fuelmain_sha": "81d38d6f", "auth_required": True, "release_versions": {}}

RELEASE_60 = {
    "id": 1, "name": "Juno on CentOS 6.5", "version": "2014.2-6.0", "can_update_from_versions": [],
    "description": "This option will install the OpenStack Juno packages using a CentOS based "
                   "operating system.",
    "operating_system": "CentOS", "state": "available", "is_deployable": True,
    "modes_metadata": {"ha_compact": {"description": "…"}, "multinode": {"description": "…"}},
    "roles": ["controller", "compute", "cinder", "ceph-osd", "mongo", "zabbix-server"],
    "roles_metadata": {"controller": {"name": "Controller", "description": "…",
                                      "conflicts": ["compute"], "has_primary": True}},
    "wizard_metadata": {}, "attributes_metadata": {"editable": {}, "generated": {}},
    "orchestrator_data": {"repo_metadata": {}, "puppet_manifests_source": "rsync://…",
                          "puppet_modules_source": "rsync://…"},
}

CLUSTER_60 = {"id": 1, "name": "lab1", "mode": "multinode", "status": "new",
              "net_provider": "nova_network", "release_id": 1, "pending_release_id": None,
              "grouping": "roles", "is_customized": False, "fuel_version": "6.0",
              "changes": [{"name": "attributes", "node_id": None}, {"name": "networks", "node_id": None},
                          {"name": "disks", "node_id": 3}]}

NODE_60 = {
    "id": 3, "name": "Untitled (3a:01)", "mac": "00:50:56:AA:3A:01", "ip": "10.20.0.131", "fqdn": None,
    "manufacturer": "VMware", "platform_name": None, "os_platform": "centos",
    "status": "error", "online": True, "progress": 40, "error_type": "provision",
    "cluster": 1, "group_id": 1, "roles": [], "pending_roles": ["controller"],
    "pending_addition": True, "pending_deletion": False, "kernel_params": None,
    "network_data": [], "meta": {
        "interfaces": [{"name": "eth0", "mac": "00:50:56:aa:3a:01", "ip": "10.20.0.131",
                        "netmask": "255.255.255.0", "state": "up", "max_speed": 10000,
                        "current_speed": 10000},
                       {"name": "eth1", "mac": "00:50:56:aa:3a:02", "max_speed": None,
                        "current_speed": None}],
        "disks": [{"name": "sda", "disk": "sda", "model": "Virtual disk", "size": 17179869184}],
        "memory": {"total": 1073741824}, "cpu": {"total": 1, "real": 1, "spec": []},
        "system": {"manufacturer": "VMware, Inc.", "product": "VMware Virtual Platform"}},
}

DEPLOY_TASK_60 = {"id": 12, "uuid": "d2b2…", "name": "deploy", "status": "running", "progress": 37,
                  "message": None, "cluster": 1, "result": {}}
CHECK_NETWORKS_ERROR_60 = {
    "id": 7, "uuid": "8c1…", "name": "check_networks", "status": "error", "progress": 100,
    "cluster": 1, "message": "Address space intersection between networks:\npublic, management.",
    "result": [{"ids": [2, 3], "errors": ["cidr"]}]}

NETWORK_CONFIGURATION_60 = {
    "networks": [
        {"id": 1, "group_id": None, "name": "fuelweb_admin", "cidr": "10.20.0.0/24",
         "gateway": None, "vlan_start": None, "ip_ranges": [["10.20.0.129", "10.20.0.254"]],
         "meta": {"notation": "ip_ranges", "map_priority": 0}},
        {"id": 2, "group_id": 1, "name": "public", "cidr": "172.16.0.0/24", "gateway": "172.16.0.1",
         "vlan_start": None, "ip_ranges": [["172.16.0.2", "172.16.0.127"]], "meta": {"map_priority": 1}},
        {"id": 3, "group_id": 1, "name": "management", "cidr": "192.168.0.0/24", "gateway": "",
         "vlan_start": 101, "ip_ranges": [["192.168.0.1", "192.168.0.254"]], "meta": {}},
        {"id": 5, "group_id": 1, "name": "fixed", "cidr": None, "gateway": "", "vlan_start": None,
         "ip_ranges": [], "meta": {}}],
    "networking_parameters": {"net_manager": "FlatDHCPManager", "fixed_networks_cidr": "10.0.0.0/16",
                              "fixed_networks_vlan_start": 103, "fixed_network_size": 256,
                              "fixed_networks_amount": 1,
                              "floating_ranges": [["172.16.0.128", "172.16.0.254"]],
                              "dns_nameservers": ["8.8.4.4", "8.8.8.8"]}}

INTERFACES_60 = [
    {"id": 11, "name": "eth0", "type": "ether", "mac": "00:50:56:AA:3A:01", "state": "up",
     "current_speed": 10000, "max_speed": 10000,
     "assigned_networks": [{"id": 1, "name": "fuelweb_admin"}, {"id": 3, "name": "management"}]},
    {"type": "bond", "name": "ovs-bond0", "mode": "active-backup", "mac": None, "state": None,
     "slaves": [{"name": "eth1"}, {"name": "eth2"}], "assigned_networks": [{"id": 2, "name": "public"}]},
]

NOTIFICATION_60 = {"id": 4, "cluster": None, "topic": "discover", "status": "unread", "node_id": 3,
                   "task_id": None, "time": "14:02:11", "date": "27-12-2014",
                   "message": "New node is discovered: 1 CPUs / 1.0 GB RAM / 16.0 GB HDD"}

TESTRUN_60 = {
    "id": 9, "testset": "sanity", "cluster_id": 1, "status": "finished",
    "started_at": "2014-12-27 19:40:01.1", "ended_at": "2014-12-27 19:41:10.4",
    "meta": None,
    "tests": [
        {"id": "fuel_health.tests.sanity.test_sanity_identity.SanityIdentityTest.test_list_services",
         "testset": "sanity", "name": "Request active services list", "description": "…",
         "duration": "20 s.", "message": "", "step": None, "status": "success", "taken": 1.2},
        {"id": "fuel_health.tests.sanity.test_sanity_compute.SanityComputeTest.test_list_instances",
         "testset": "sanity", "name": "Request instance list", "description": "…",
         "duration": "20 s.", "message": "Instance list is unavailable. ", "step": 1,
         "status": "failure", "taken": 20.0},
        {"id": "fuel_health.tests.sanity.test_sanity_compute.SanityComputeTest.test_list_images",
         "testset": "sanity", "name": "Request image list", "description": "", "duration": "20 s.",
         "message": None, "step": None, "status": "disabled", "taken": None}],
}


def test_version() -> None:
    version = FuelVersion.from_json(VERSION_60)
    assert (version.release, version.auth_required, version.feature_groups) == ("6.0", True, ("mirantis",))
    # 5.0 masters had no auth and no auth_required key
    assert FuelVersion.from_json({"release": "5.0"}).auth_required is False


def test_release() -> None:
    release = Release.from_json(RELEASE_60)
    assert (release.id, release.name, release.version) == (1, "Juno on CentOS 6.5", "2014.2-6.0")
    assert release.modes == ("ha_compact", "multinode") and "controller" in release.roles


def test_cluster() -> None:
    cluster = Cluster.from_json(CLUSTER_60)
    assert cluster.status is ClusterStatus.NEW and cluster.mode is Mode.MULTINODE
    assert cluster.net_provider is NetProvider.NOVA_NETWORK and cluster.release_id == 1
    assert [c.name for c in cluster.changes] == ["attributes", "networks", "disks"]
    assert cluster.changes[2].node_id == 3


def test_node_with_meta_interfaces_and_error() -> None:
    node = Node.from_json(NODE_60)
    assert node.status is NodeStatus.ERROR and node.error_type is NodeErrorType.PROVISION
    assert node.mac == "00:50:56:aa:3a:01"  # lower-cased, as Nailgun stores it
    assert [i.name for i in node.interfaces] == ["eth0", "eth1"]
    assert node.interfaces[0].current_speed == 10000 and node.interfaces[1].ip is None
    assert node.pending_roles == ("controller",) and node.all_roles == ("controller",)
    assert node.cluster == 1 and node.progress == 40 and node.online


def test_task_running_and_check_networks_error() -> None:
    task = Task.from_json(DEPLOY_TASK_60)
    assert (task.name, task.status, task.progress, task.done) == (TaskName.DEPLOY, TaskStatus.RUNNING,
                                                                   37, False)
    failed = Task.from_json(CHECK_NETWORKS_ERROR_60)
    assert failed.done and failed.status is TaskStatus.ERROR
    assert failed.result == [{"ids": [2, 3], "errors": ["cidr"]}]
    assert "intersection" in (failed.message or "")


def test_network_configuration_keeps_raw_for_put() -> None:
    config = NetworkConfiguration.from_json(NETWORK_CONFIGURATION_60)
    assert config.network("management").vlan_start == 101
    assert config.network("public").ip_ranges == (("172.16.0.2", "172.16.0.127"),)
    assert config.network("management").gateway is None  # "" means none
    assert config.parameters["net_manager"] == "FlatDHCPManager"
    assert config.raw is NETWORK_CONFIGURATION_60


def test_interfaces_round_trip_to_put_shape() -> None:
    nic, bond = (Interface.from_json(i) for i in INTERFACES_60)
    assert nic.mac == "00:50:56:aa:3a:01" and nic.network_names == ("fuelweb_admin", "management")
    assert bond.slaves == ("eth1", "eth2") and bond.mode == "active-backup"
    assert nic.to_json()["assigned_networks"] == [{"id": 1, "name": "fuelweb_admin"},
                                                  {"id": 3, "name": "management"}]
    assert nic.to_json()["id"] == 11
    assert bond.to_json()["slaves"] == [{"name": "eth1"}, {"name": "eth2"}] and "id" not in bond.to_json()


def test_notification() -> None:
    note = Notification.from_json(NOTIFICATION_60)
    assert (note.topic, note.node_id, note.status) == ("discover", 3, "unread")


def test_testrun_and_failed_tests() -> None:
    run = TestRun.from_json(TESTRUN_60)
    assert run.finished and run.status is TestRunStatus.FINISHED and run.cluster_id == 1
    assert [t.status for t in run.tests] == [TestStatus.SUCCESS, TestStatus.FAILURE, TestStatus.DISABLED]
    (failed,) = run.failed()
    assert failed.step == 1 and failed.message.startswith("Instance list")
    assert run.tests[0].message is None and run.tests[0].taken == 1.2
    assert TestSet.from_json({"id": "smoke", "name": "Functional tests. Duration 3 min - 14 min"}).id == "smoke"


@pytest.mark.parametrize("model, payload", [
    (Release, RELEASE_60), (Cluster, CLUSTER_60), (Node, NODE_60), (Task, DEPLOY_TASK_60),
    (Notification, NOTIFICATION_60), (TestRun, TESTRUN_60), (Interface, INTERFACES_60[0]),
])
def test_extra_fields_of_later_releases_are_ignored(model: type, payload: dict) -> None:
    later = copy.deepcopy(payload)
    later.update({"vmware_attributes": {}, "network_template": None, "hostname": "node-3",
                  "deployment_tasks": [], "new_in_9_0": {"x": 1}})
    assert model.from_json(later) == model.from_json(payload)


def test_unknown_status_of_a_later_release_does_not_crash() -> None:
    later = dict(NODE_60, status="stopped", error_type="discover")
    node = Node.from_json(later)
    assert node.status is NodeStatus.UNKNOWN and node.error_type is NodeErrorType.DISCOVER


def test_models_are_frozen() -> None:
    task = Task.from_json(DEPLOY_TASK_60)
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.status = TaskStatus.READY  # type: ignore[misc]
