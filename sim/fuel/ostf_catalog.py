"""The fuel-ostf 6.0 health checks: test sets, tests, and which cluster they apply to.

Ids and titles are fuel-ostf 6.0's (``fuel_health/tests/{sanity,smoke,ha,platform_tests}``).
Each test lists the deployment tags it needs (all of them) and what makes it skip. Durations
are simulated seconds, in the range each test's docstring announces.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.fuel import attributes, releases
from sim.fuel.records import Cluster, Node

TESTSETS: tuple[tuple[str, str, frozenset[str]], ...] = (  # (id, name, tags it needs), in test_runs_ordering_priority order
    ("sanity", "Sanity tests. Duration 30 sec - 2 min", frozenset()),
    ("smoke", "Functional tests. Duration 3 min - 14 min", frozenset()),
    ("ha", "HA tests. Duration 30 sec - 8 min", frozenset({"ha"})),
    ("platform_tests", "Platform services functional tests. Duration 3 min - 60 min",
     frozenset({"additional_components"})),
)
NO_COMPUTE = "There are no compute nodes"
NO_VOLUME_STORAGE = "There are no cinder nodes or ceph storage for volume"
VCENTER_IMAGE = ("vCenter: the TestVM image is not a VMDK image, instances cannot be launched with it "
                 "on vCenter (run with a VMDK TestVM image)")


@dataclass(frozen=True)
class TestSpec:
    """One OSTF test."""

    id: str
    testset: str
    name: str
    seconds: float
    tags: frozenset[str] = frozenset()
    needs: str | None = None         # compute | volume_storage | kvm_image
    description: str = ""

    @property
    def duration(self) -> str:
        return f"{int(self.seconds)} s."


def _t(testset: str, path: str, name: str, seconds: float, *tags: str, needs: str | None = None) -> TestSpec:
    return TestSpec(id=f"fuel_health.tests.{testset}.{path}", testset=testset, name=name, seconds=seconds,
                    tags=frozenset(tags), needs=needs, description=f"{name}\nTarget component: OpenStack")


_NOVA = "test_nova_create_instance_with_connectivity.TestNovaNetwork"
TESTS: tuple[TestSpec, ...] = (
    _t("sanity", "test_sanity_identity.SanityIdentityTest.test_list_services", "Request active services list", 3),
    _t("sanity", "test_sanity_identity.SanityIdentityTest.test_list_users", "Request user list", 3),
    _t("sanity", "test_sanity_compute.SanityComputeTest.test_list_flavors", "Request flavor list", 3),
    _t("sanity", "test_sanity_compute.SanityComputeTest.test_list_images", "Request image list", 3),
    _t("sanity", "test_sanity_compute.SanityComputeTest.test_list_instances", "Request instance list", 3),
    _t("sanity", "test_sanity_compute.SanityComputeTest.test_list_rate_limits", "Request absolute limits list", 3),
    _t("sanity", "test_sanity_compute.SanityComputeTest.test_list_snapshots", "Request snapshot list", 3),
    _t("sanity", "test_sanity_compute.SanityComputeTest.test_list_volumes", "Request volume list", 3),
    _t("sanity", "test_sanity_heat.SanityHeatTest.test_list_stacks", "Request stack list", 3),
    _t("sanity", "test_sanity_networking.NetworksTest.test_list_networks_nova_network", "Request list of networks",
       3, "nova_network"),
    _t("sanity", "test_sanity_networking.NetworksTest.test_list_networks_neutron", "Request list of networks",
       3, "neutron"),
    _t("sanity", "test_sanity_infrastructure.SanityInfrastructureTest.test_001_services_state",
       "Check that required services are running", 10),
    _t("sanity", "test_sanity_infrastructure.SanityInfrastructureTest.test_002_internet_connectivity_from_compute",
       "Check internet connectivity from a compute", 10, needs="compute"),
    _t("sanity", "test_sanity_infrastructure.SanityInfrastructureTest.test_003_dns_resolution",
       "Check DNS resolution on compute node", 10, needs="compute"),
    _t("sanity", "test_sanity_sahara.SanitySaharaTests.test_sanity_sahara", "Sahara tests to create/list/delete "
       "node group and cluster templates", 40, "sahara"),
    _t("sanity", "test_sanity_murano.MuranoSanityTests.test_create_and_delete_service",
       "Create and delete Murano environment", 20, "murano"),
    _t("sanity", "test_sanity_ceilometer.CeilometerApiTests.test_list_meters", "Ceilometer test to list meters, "
       "alarms and resources", 20, "ceilometer"),
    _t("smoke", "test_create_flavor.FlavorsAdminTest.test_create_flavor", "Create instance flavor", 30),
    _t("smoke", "test_create_volume.VolumesTest.test_volume_create", "Create volume and attach it to instance",
       350, needs="volume_storage"),
    _t("smoke", "test_create_volume.VolumesTest.test_create_boot_volume", "Create volume and boot instance from it",
       350, needs="volume_storage"),
    _t("smoke", f"{_NOVA}.test_001_create_keypairs", "Create keypair", 25),
    _t("smoke", f"{_NOVA}.test_002_create_security_groups", "Create security group", 25),
    _t("smoke", f"{_NOVA}.test_003_check_networks", "Check network parameters", 50),
    _t("smoke", f"{_NOVA}.test_004_create_servers", "Launch instance", 200, needs="kvm_image"),
    _t("smoke", f"{_NOVA}.test_005_check_public_network_connectivity",
       "Check that VM is accessible via floating IP address", 300, needs="kvm_image"),
    _t("smoke", f"{_NOVA}.test_006_check_internet_connectivity_instance_without_floatingIP",
       "Check network connectivity from instance without floating IP", 300, "nova_network", needs="kvm_image"),
    _t("smoke", f"{_NOVA}.test_008_check_public_instance_connectivity_from_instance",
       "Check network connectivity from instance via floating IP", 300, needs="kvm_image"),
    _t("smoke", "test_nova_image_actions.TestImageAction.test_snapshot",
       "Launch instance, create snapshot, launch instance from snapshot", 300, needs="kvm_image"),
    _t("smoke", "test_user_create.TestUserTenantRole.test_create_user",
       "Create user and authenticate with it to Horizon", 80),
    _t("ha", "test_mysql_replication.TestMysqlReplication.test_mysql_replication",
       "Check data replication over mysql", 10, "ha"),
    _t("ha", "test_mysql_status.TestMysqlStatus.test_os_databases",
       "Check amount of tables in databases is the same on each node", 10, "ha"),
    _t("ha", "test_mysql_status.TestMysqlStatus.test_state_of_galera_cluster", "Check galera environment state",
       10, "ha"),
    _t("ha", "test_haproxy.HAProxyCheck.test_001_check_state_of_backends",
       "Check state of haproxy backends on controllers", 10, "ha"),
    _t("ha", "test_rabbit.RabbitSmokeTest.test_001_rabbitmqctl_status", "Check RabbitMQ is available", 10, "ha"),
    _t("ha", "test_pacemaker_status.TestPacemakerStatus.test_check_pacemaker_resources",
       "Check pacemaker status", 10, "ha"),
    _t("platform_tests", "test_heat.HeatSmokeTests.test_actions",
       "Typical stack actions: create, delete, show details, etc.", 600, "heat"),
    _t("platform_tests", "test_heat.HeatSmokeTests.test_update",
       "Update stack actions: inplace, replace and update whole template.", 300, "heat"),
    _t("platform_tests", "test_heat.HeatSmokeTests.test_rollback", "Check stack rollback", 300, "heat"),
    _t("platform_tests", "test_heat.HeatSmokeTests.test_autoscaling", "Check stack autoscaling", 800, "heat",
       "ceilometer"),
    _t("platform_tests", "test_sahara.PlatformSaharaTests.test_platform_sahara",
       "Sahara test for launching a simple Vanilla2 cluster", 3600, "sahara"),
    _t("platform_tests", "test_murano_linux.MuranoDeployLinuxServicesTests.test_deploy_apache_service",
       "Check that user can deploy application in Murano environment", 1200, "murano"),
    _t("platform_tests", "test_ceilometer.CeilometerApiPlatformTests.test_check_alarm_state",
       "Ceilometer test to check alarm status and get Nova notifications.", 300, "ceilometer"),
)
BY_ID = {t.id: t for t in TESTS}
TESTSET_IDS = tuple(s[0] for s in TESTSETS)


def deployment_tags(cluster: Cluster) -> set[str]:
    """What OSTF's Nailgun hooks derive from the cluster, its release and its settings."""
    editable = cluster.editable
    tags = {"ha" if cluster.mode == "ha_compact" else "multinode", cluster.net_provider,
            releases.operating_system(cluster.release_id).lower(), releases.VERSION,
            str(attributes.value(editable, "common", "libvirt_type", "qemu"))}
    components = {c for c in ("murano", "sahara", "heat", "ceilometer")
                  if attributes.value(editable, "additional_components", c, False) is True}
    if components:
        tags |= components | {"additional_components"}
    return tags


def testsets_for(cluster: Cluster) -> list[dict[str, Any]]:
    tags = deployment_tags(cluster)
    return [{"id": sid, "name": name} for sid, name, need in TESTSETS if need <= tags]


def tests_for(cluster: Cluster, testset: str | None = None) -> list[TestSpec]:
    sets = {s["id"] for s in testsets_for(cluster)}
    tags = deployment_tags(cluster)
    return sorted((t for t in TESTS if t.testset in sets and t.tags <= tags
                   and (testset is None or t.testset == testset)), key=lambda t: t.id)


def skip_reason(spec: TestSpec, cluster: Cluster, nodes: list[Node]) -> str | None:
    """Why a test skips itself on this cluster (the vCenter caveats among others)."""
    roles = {r for n in nodes for r in n.roles}
    editable = cluster.editable
    if spec.needs == "compute" and "compute" not in roles:
        return NO_COMPUTE
    if spec.needs == "volume_storage" and not ({"cinder", "ceph-osd"} & roles):
        return NO_VOLUME_STORAGE
    if spec.needs == "kvm_image" and attributes.value(editable, "common", "libvirt_type") == "vcenter":
        return VCENTER_IMAGE
    return None
