"""The simulated master keeps its disk per snapshot of its VM in vcsim and gets it back on a revert,
as a real master's disk does."""
from __future__ import annotations

from integrations.vsphere import VSphereClient
from labspec.model import Lab
from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import FuelHttp, wait_for
# the master VM on vcsim, its lab and vSphere client: the same fixtures as the master-VM tests
from tests.integration.test_sim_fuel_master_vm import install, lab, master, vsphere  # noqa: F401


def clusters(api: FuelHttp) -> list[str]:
    return sorted(c["name"] for c in api.get("/api/clusters").json())


def create(api: FuelHttp, name: str) -> None:
    assert api.post("/api/clusters", {"name": name, "release": 1, "mode": "multinode"}).status_code == 201


def test_a_revert_brings_back_the_masters_state_as_it_was_when_the_snapshot_was_taken(
        vsphere: VSphereClient, lab: Lab, master: FuelSimulator) -> None:
    name = install(vsphere, lab, master)
    api = FuelHttp(master.url)
    api.login()
    create(api, "kept")
    taken = vsphere.create_snapshot(name, name="before", description="", memory=True)
    wait_for(lambda: master.engine.disk.held() == [taken.moref], timeout=10, what="the master's disk kept")
    create(api, "lost")
    assert clusters(api) == ["kept", "lost"]
    vsphere.revert_snapshot(name, taken.moref, power_state="poweredOn")     # a revert to the current snapshot
    wait_for(lambda: clusters(api) == ["kept"], timeout=10, what="the clusters as they were")
    create(api, "again")                                                      # life goes on from there
    assert clusters(api) == ["again", "kept"]
    vsphere.revert_snapshot(name, taken.moref, power_state="poweredOn")     # and the same set twice
    wait_for(lambda: clusters(api) == ["kept"], timeout=10, what="the clusters as they were, again")


def test_each_snapshot_keeps_its_own_state_and_a_removed_one_is_forgotten(
        vsphere: VSphereClient, lab: Lab, master: FuelSimulator) -> None:
    name = install(vsphere, lab, master)
    api = FuelHttp(master.url)
    api.login()
    first = vsphere.create_snapshot(name, name="empty", description="", memory=True)
    create(api, "one")
    second = vsphere.create_snapshot(name, name="one", description="", memory=True)
    wait_for(lambda: master.engine.disk.held() == sorted([first.moref, second.moref]), timeout=10,
             what="both snapshots' disks kept")
    vsphere.revert_snapshot(name, first.moref, power_state="poweredOn")
    wait_for(lambda: clusters(api) == [], timeout=10, what="the master as it was at the first snapshot")
    vsphere.revert_snapshot(name, second.moref, power_state="poweredOn")
    wait_for(lambda: clusters(api) == ["one"], timeout=10, what="the master as it was at the second snapshot")
    assert vsphere.remove_snapshot(name, second.moref) is True
    wait_for(lambda: master.engine.disk.held() == [first.moref], timeout=10, what="the removed snapshot forgotten")


def test_snapshots_of_other_vms_leave_the_master_alone(vsphere: VSphereClient, lab: Lab,
                                                      master: FuelSimulator) -> None:
    install(vsphere, lab, master)
    api = FuelHttp(master.url)
    api.login()
    node = lab.nodes[0].vm
    vsphere.ensure_vm(node, lab=lab.name)
    taken = vsphere.create_snapshot(node.name, name="node", description="", memory=False)
    create(api, "stays")
    vsphere.revert_snapshot(node.name, taken.moref, power_state="poweredOff")
    marker = vsphere.create_snapshot(lab.fuel.vm.name if lab.fuel.vm else "", name="marker", description="",
                                     memory=True)
    wait_for(lambda: master.engine.disk.held() == [marker.moref], timeout=10, what="the master's own snapshot")
    assert clusters(api) == ["stays"]                                    # the node's revert changed nothing
