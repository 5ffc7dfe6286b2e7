"""Host choice and network resolution as pure functions over inventory records."""
from __future__ import annotations

import pytest

from core.errors import VSphereError
from integrations.vsphere.info import HostInfo
from integrations.vsphere.networks import NetworkInventory, resolve
from integrations.vsphere.placement import DrsState, VMNeeds, choose, why_not
from labspec.model import DistributedPortGroup, Nic, StandardPortGroup, VMSpec, VSphereNetworks

NEEDS = VMNeeds(datastores=("LocalDS_0",), switches=("DVS0",), standard=("br100",))


def _host(name, **changes):
    fields = dict(name=name, moid=name, connection_state="connected", memory_mb=8192, memory_used_mb=0, vswitches=(),
                  portgroups=(), firewall=None, datastores=("LocalDS_0",), networks=("br100",), switches=("DVS0",))
    fields.update(changes)
    return HostInfo(**fields)


@pytest.mark.parametrize("changes, reason", [
    ({}, None),
    ({"connection_state": "disconnected"}, "disconnected"),
    ({"maintenance": True}, "in maintenance mode"),
    ({"power_state": "standBy"}, "standBy"),
    ({"datastores": ()}, "does not mount LocalDS_0"),
    ({"switches": ()}, "is not a member of switch DVS0"),
    ({"networks": ()}, "has no port group br100"),
])
def test_why_a_host_cannot_run_a_lab_vm(changes, reason):
    assert why_not(_host("h", **changes), NEEDS) == reason


def test_with_drs_vcenter_places_and_without_the_freest_fit_host_is_named():
    hosts = [_host("h0", memory_used_mb=4000), _host("h1", memory_used_mb=1000), _host("h2", maintenance=True)]
    refs = {h.moid: f"ref-{h.name}" for h in hosts}
    drs = choose(hosts, refs, NEEDS, DrsState(True, "fullyAutomated"), cluster="C", vm="vm")
    assert (drs.host, drs.eligible, drs.skipped) == (None, ("h0", "h1"), ("h2: in maintenance mode",))
    manual = choose(hosts, refs, NEEDS, DrsState(True, "manual"), cluster="C", vm="vm")
    assert manual.host == "ref-h1"
    off = choose(hosts, refs, NEEDS, DrsState(False, "fullyAutomated"), cluster="C", vm="vm")
    assert off.host == "ref-h1"


def test_no_fit_host_names_every_reason():
    with pytest.raises(VSphereError) as caught:
        choose([_host("h0", switches=()), _host("h1", connection_state="disconnected")], {}, NEEDS,
               DrsState(True, "fullyAutomated"), cluster="C", vm="lab1-controller-1")
    assert "h0: is not a member of switch DVS0; h1: disconnected" in str(caught.value)


INV = NetworkInventory(switches={"dvs-1": "DVS0", "dvs-2": "DVS1"}, switch_uuids={"dvs-1": "u1", "dvs-2": "u2"},
                       distributed=(("pxe", "pg-1", "dvs-1"), ("pxe", "pg-2", "dvs-2"), ("public", "pg-3", "dvs-1")),
                       standard=frozenset({"br100"}), opaque=frozenset({"nsx"}))
DECLARED = VSphereNetworks(pxe="pxe", distributed=(DistributedPortGroup("pxe", "DVS1"),
                                                   DistributedPortGroup("public", "DVS0")),
                           standard=(StandardPortGroup("br100"),))


def _spec(*portgroups):
    return VMSpec(name="vm", cpus=1, memory_mb=512, disk_gb=1, guest_id="g", nics=tuple(Nic(p) for p in portgroups))


def test_networks_resolve_by_their_declared_kind():
    targets = resolve(_spec("pxe", "public", "br100"), INV, DECLARED, lab="lab1")
    assert [(t.name, t.portgroup_key, t.switch_uuid) for t in targets] == [
        ("pxe", "pg-2", "u2"), ("public", "pg-3", "u1"), ("br100", None, None)]


@pytest.mark.parametrize("portgroups, declared, text", [
    (("pxe",), None, "more than one network is called 'pxe'"),
    (("nsx",), None, "NSX-T opaque network"),
    (("public",), VSphereNetworks(pxe="pxe", distributed=(DistributedPortGroup("public", "DVS1"),), standard=()),
     "does not exist on switch DVS1 (it exists on DVS0)"),
    (("nsx",), VSphereNetworks(pxe="pxe", distributed=(), standard=(StandardPortGroup("nsx"),)),
     "is an NSX-T opaque network, not a standard port group"),
    (("nowhere",), None, "standard port group 'nowhere' does not exist"),
])
def test_networks_that_cannot_work_are_refused_naming_the_nic(portgroups, declared, text):
    with pytest.raises(VSphereError) as caught:
        resolve(_spec(*portgroups), INV, declared, lab="lab1")
    assert text in str(caught.value) and "NIC 1 of VM vm" in str(caught.value)
