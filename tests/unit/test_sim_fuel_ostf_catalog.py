"""Which OSTF test sets and tests a cluster gets, and why tests skip."""
from __future__ import annotations

from sim.fuel import attributes, ostf_catalog
from sim.fuel.records import Cluster, Node


def cluster(mode: str = "multinode", **settings: object) -> Cluster:
    made = Cluster(id=1, name="env", mode=mode, net_provider="nova_network", release_id=1,
                   editable=attributes.default_editable())
    for key, value in settings.items():
        group, name = key.split("__")
        made.editable[group][name]["value"] = value
    return made


def test_tags_and_testsets() -> None:
    assert ostf_catalog.deployment_tags(cluster()) >= {"multinode", "nova_network", "centos", "qemu", "heat",
                                                       "additional_components"}
    ids = [s["id"] for s in ostf_catalog.testsets_for(cluster("ha_compact"))]
    assert ids == ["sanity", "smoke", "ha", "platform_tests"]
    assert [s["id"] for s in ostf_catalog.testsets_for(cluster(additional_components__heat=False))] == ["sanity", "smoke"]


def test_component_tests_follow_settings() -> None:
    plain = {t.id for t in ostf_catalog.tests_for(cluster())}
    sahara = {t.id for t in ostf_catalog.tests_for(cluster(additional_components__sahara=True))}
    assert not any("sahara" in t for t in plain) and any("sahara" in t for t in sahara)


def test_vcenter_and_missing_roles_skip() -> None:
    vcenter = cluster(common__libvirt_type="vcenter")
    controller = Node(id=1, mac="aa", name="c", ip=None, meta={}, nics=[], roles=["controller"], status="ready")
    launch = ostf_catalog.BY_ID["fuel_health.tests.smoke.test_nova_create_instance_with_connectivity."
                                "TestNovaNetwork.test_004_create_servers"]
    assert ostf_catalog.skip_reason(launch, vcenter, [controller]) == ostf_catalog.VCENTER_IMAGE
    assert ostf_catalog.skip_reason(launch, cluster(), [controller]) is None
    volume = ostf_catalog.BY_ID["fuel_health.tests.smoke.test_create_volume.VolumesTest.test_volume_create"]
    assert ostf_catalog.skip_reason(volume, cluster(), [controller]) == ostf_catalog.NO_VOLUME_STORAGE
