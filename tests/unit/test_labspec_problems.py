"""Each kind of lab spec problem: one edit of a valid spec (or one broken file) → one finding.

Cases edit one line of ``fixtures_labs/base.yaml`` (a valid two-node lab) so each reads as
"change this, get that, on this line".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import SpecError
from labspec.loader import load_lab
from labspec.model import ROLES
from labspec.problems import SpecProblem

FIXTURES = Path(__file__).parent / "fixtures_labs"


@dataclass(frozen=True, kw_only=True)
class Edit:
    """Replace ``old`` by ``new`` on (1-based) ``line`` of base.yaml."""

    line: int
    old: str
    new: str


def edit(line: int, old: str, new: str) -> Edit:
    return Edit(line=line, old=old, new=new)


def _write(tmp_path: Path, source: Edit | str) -> Path:
    if isinstance(source, str):
        return FIXTURES / source
    lines = (FIXTURES / "base.yaml").read_text().split("\n")
    assert source.old in lines[source.line - 1], f"base.yaml:{source.line} has no {source.old!r}"
    lines[source.line - 1] = lines[source.line - 1].replace(source.old, source.new)
    path = tmp_path / "lab.yaml"
    path.write_text("\n".join(lines))
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[SpecProblem]:
    try:
        load_lab(path, environ or {})
    except SpecError as err:
        return err.problems
    return []


CASES = [
    # kind, source, path, message fragment, line
    ("bad CIDR", edit(44, "10.0.0.0/24", "10.0.0.0/33"), "environment.networks.public.cidr",
     "'10.0.0.0/33' is not a valid CIDR (expected e.g. 10.0.0.0/24)", 44),
    ("CIDR with host bits", edit(45, "10.0.1.0/24", "10.0.1.1/24"), "environment.networks.management.cidr",
     "has host bits set (expected 10.0.1.0/24)", 45),
    ("overlapping networks", edit(45, "10.0.1.0/24", "10.0.0.0/16"), "environment.networks.management.cidr",
     "management 10.0.0.0/16 overlaps public 10.0.0.0/24", 45),
    ("gateway outside CIDR", edit(44, "gateway: 10.0.0.1", "gateway: 10.0.9.1"),
     "environment.networks.public.gateway", "gateway 10.0.9.1 is outside public's CIDR 10.0.0.0/24", 44),
    ("public without gateway", edit(44, ", gateway: 10.0.0.1", ""), "environment.networks.public.gateway",
     "missing required field 'gateway'", 44),
    ("reversed ip_range", edit(44, "10.0.0.1}", "10.0.0.1, ip_range: [10.0.0.200, 10.0.0.100]}"),
     "environment.networks.public.ip_range", "range starts at 10.0.0.200, after its end 10.0.0.100", 44),
    ("Fuel VLAN without vlan_tagging", edit(45, "10.0.1.0/24}", "10.0.1.0/24, vlan: 101}"),
     "environment.networks.management.vlan", "VLAN 101 given but environment.networks.vlan_tagging is false", 45),
    ("unknown role", edit(61, "[cinder]", "[cindr]"), "nodes[1].roles[0]",
     "unknown role 'cindr' (did you mean 'cinder'?)", 61),
    ("controller with compute", edit(50, "[controller]", "[controller, compute]"), "nodes[0].roles",
     "roles controller and compute cannot share a node in Fuel 6.0", 50),
    ("mongo with compute", edit(61, "[cinder]", "[mongo, compute]"), "nodes[1].roles",
     "roles mongo and compute cannot share a node", 61),
    ("mongo with ceph-osd", edit(61, "[cinder]", "[ceph-osd, mongo]"), "nodes[1].roles",
     "roles ceph-osd and mongo cannot share a node", 61),
    ("zabbix-server with another role", edit(61, "[cinder]", "[cinder, zabbix-server]"), "nodes[1].roles",
     "zabbix-server cannot share a node with any other role", 61),
    ("role listed twice", edit(61, "[cinder]", "[cinder, cinder]"), "nodes[1].roles",
     "role cinder is listed twice on base-cinder-1", 61),
    ("compute role with vCenter", edit(61, "[cinder]", "[compute]"), "nodes[1].roles",
     "the compute role cannot be used with compute: vcenter", 61),
    ("cinder node with Ceph volumes", edit(37, "volumes: lvm", "volumes: ceph"), "nodes[1].roles",
     "Ceph RBD cannot be used with Cinder nodes", 61),
    ("no controller", edit(50, "[controller]", "[cinder]"), "nodes",
     "the environment has no controller", 48),
    ("two controllers in multinode", edit(61, "[cinder]", "[controller]"), "nodes",
     "a multinode environment can not have more than one controller node", 48),
    ("ceilometer without mongo", edit(38, "[]", "[ceilometer]"), "environment.services",
     "ceilometer needs a node with the mongo role", 38),
    ("murano with nova-network", edit(38, "[]", "[murano]"), "environment.services",
     "murano needs neutron", 38),
    ("unknown release", edit(31, "Juno on CentOS 6.5", "Icehouse on CentOS 6.5"), "environment.release",
     "unknown release 'Icehouse on CentOS 6.5'", 31),
    ("release/version mismatch", edit(32, "2014.2-6.0", "2014.1.1-5.1"), "environment.release_version",
     "'2014.1.1-5.1' does not match release 'Juno on CentOS 6.5', which Fuel 6.0 ships as 2014.2-6.0", 32),
    ("Fuel master below 2048 MB", edit(26, "2048", "1536"), "fuel.master_vm.memory_mb",
     "1536 MB is below the article's minimum of 2048 MB for the Fuel master", 26),
    ("Fuel master below 50 GB", edit(27, "50", "40"), "fuel.master_vm.disk_gb",
     "40 GB is below the article's minimum of 50 GB", 27),
    ("Fuel master NIC 1 not on pxe", edit(28, "[pxe]", "[public]"), "fuel.master_vm.nics[0]",
     "the Fuel master's first NIC must be on the pxe port group 'pxe'", 28),
    ("duplicate node name", edit(60, "base-cinder-1", "base-controller-1"), "nodes[1].name",
     "VM name 'base-controller-1' is already used by nodes[0]", 60),
    ("node named like the Fuel master", edit(60, "base-cinder-1", "base-fuel-master"), "nodes[1].name",
     "VM name 'base-fuel-master' is already used by the Fuel master VM", 60),
    ("duplicate port group", edit(15, "name: management", "name: public"), "vsphere_networks.distributed[2].name",
     "port group 'public' is already declared at vsphere_networks.distributed[1]", 15),
    ("NIC on an undeclared port group", edit(67, "portgroup: public", "portgroup: publik"),
     "nodes[1].nics[1].portgroup", "port group 'publik' is not declared in vsphere_networks (did you mean 'public'?)", 67),
    ("pxe names an undeclared port group", edit(11, "pxe: pxe", "pxe: pxee"), "vsphere_networks.pxe",
     "pxe names port group 'pxee', which is not declared (did you mean 'pxe'?)", 11),
    ("pxe port group not promiscuous", edit(13, "promiscuous: true", "promiscuous: false"),
     "vsphere_networks.distributed[0].promiscuous", "must allow promiscuous mode", 13),
    ("no br100 for nova-network on vCenter", edit(18, "name: br100", "name: br101"), "vsphere_networks.standard",
     "needs a standard vSwitch port group named br100", 17),
    ("br100 without vmnic0", edit(18, "uplink: vmnic0", "uplink: vmnic1"), "vsphere_networks.standard[0].uplink",
     "br100 must have vmnic0 as uplink", 18),
    ("fixed network off br100", edit(59, "portgroup: br100", "portgroup: storage"), "nodes[0].nics[4].portgroup",
     "the fixed network must be on port group br100", 59),
    ("unknown Fuel network", edit(58, "[storage]", "[storrage]"), "nodes[0].nics[3].fuel_networks[0]",
     "unknown Fuel network 'storrage' (did you mean 'storage'?)", 58),
    ("Fuel network on two NICs", edit(59, "[fixed]", "[storage]"), "nodes[0].nics[4].fuel_networks",
     "storage is already mapped on NIC 4 (storage)", 59),
    ("admin network not on the pxe NIC", edit(55, "portgroup: pxe", "portgroup: public"),
     "nodes[0].nics[0].fuel_networks", "fuelweb_admin must be on the NIC attached to the pxe port group 'pxe', "
     "not on 'public'", 55),
    ("admin network on no NIC", edit(66, "[fuelweb_admin]", "[]"), "nodes[1].nics",
     "no NIC carries fuelweb_admin", 65),
    ("two untagged networks on one NIC", edit(57, "[management]", "[management, storage]"),
     "nodes[0].nics[2].fuel_networks", "untagged networks management and storage share one NIC", 57),
    ("missing secret variable", edit(6, "${VCENTER_PASSWORD:-vcsim}", "${VCENTER_PASSWORD}"), "vcenter.password",
     "environment variable VCENTER_PASSWORD is not set and the reference has no default", 6),
    ("literal secret", edit(22, "${FUEL_PASSWORD:-admin}", "admin"), "fuel.password",
     "secret must come from the environment, e.g. ${FUEL_PASSWORD}", 22),
    ("secret inside a longer string", edit(40, "${OPENSTACK_PASSWORD:-admin}", "pre-${OPENSTACK_PASSWORD}"),
     "environment.settings.openstack_password", "secret must come from the environment, e.g. ${OPENSTACK_PASSWORD}", 40),
    ("missing plain variable", edit(7, "DC0", "${DATACENTER}"), "vcenter.datacenter",
     "environment variable DATACENTER is not set", 7),
    ("variable empty by default", edit(7, "DC0", "${DATACENTER:-}"), "vcenter.datacenter",
     "must not be empty (DATACENTER is empty)", 7),
    ("malformed reference", edit(7, "DC0", "${DC0"), "vcenter.datacenter",
     "'${DC0' is not a valid reference", 7),
    ("unknown field (typo)", edit(51, "cpus: 1", "cpu: 1"), "nodes[0].cpu",
     "unknown field 'cpu' (did you mean 'cpus'?)", 51),
    ("unknown top-level field", edit(2, "name: base", "nmae: base"), "nmae",
     "unknown field 'nmae' (did you mean 'name'?)", 2),
    ("field given twice", edit(51, "cpus: 1", "cpus: 1\n    cpus: 2"), "nodes[0].cpus",
     "field 'cpus' is given twice", 52),
    ("wrong type: text for a number", edit(51, "cpus: 1", "cpus: two"), "nodes[0].cpus",
     "'two' is not a whole number", 51),
    ("wrong type: text for a boolean", edit(13, "promiscuous: true", "promiscuous: maybe"),
     "vsphere_networks.distributed[0].promiscuous", "'maybe' is not true or false", 13),
    ("wrong type: value for a list", edit(50, "[controller]", "controller"), "nodes[0].roles",
     "expected a list, got the value 'controller'", 50),
    ("wrong type: list for a value", edit(30, "name: base", "name: [base]"), "environment.name",
     "expected a single value, got a list", 30),
    ("missing required field", edit(9, "datastore: LocalDS_0", "# no datastore"), "vcenter.datastore",
     "missing required field 'datastore'", 3),
    ("node without roles", edit(61, "[cinder]", "[]"), "nodes[1].roles", "a node needs at least one role", 61),
    ("invalid mode", edit(33, "multinode", "simple"), "environment.mode", "unknown mode 'simple'", 33),
    ("invalid compute", edit(34, "vcenter", "xen"), "environment.compute", "unknown compute (hypervisor) 'xen'", 34),
    ("invalid network provider", edit(35, "nova_network", "neutron"), "environment.network_provider",
     "unknown network provider 'neutron'", 35),
    ("invalid network manager", edit(36, "FlatDHCPManager", "FlatManager"), "environment.network_manager",
     "unknown network manager 'FlatManager' (did you mean 'FlatDHCPManager'?)", 36),
    ("invalid provisioning", edit(42, "provisioning: image", "provisioning: fast"),
     "environment.settings.provisioning", "unknown provisioning method 'fast'", 42),
    ("Glance on vCenter without a datastore", edit(41, "LocalDS_0", "''"),
     "environment.settings.glance_vcenter_datastore", "images: vcenter needs the datastore", 41),
    ("VLAN above 4094", edit(13, "vlan: 3", "vlan: 4095"), "vsphere_networks.distributed[0].vlan",
     "VLAN 4095 is outside 0–4094", 13),
    ("VLAN below 0", edit(18, "uplink: vmnic0}", "uplink: vmnic0, vlan: -1}"), "vsphere_networks.standard[0].vlan",
     "VLAN -1 is outside 0–4094", 18),
    ("lab name not a slug", edit(2, "name: base", "name: Base Lab"), "name", "'Base Lab' is not a lab name", 2),
    ("URL without scheme", edit(4, "http://127.0.0.1:8989/sdk", "vc.example.com"), "vcenter.url",
     "'vc.example.com' is not an http(s) URL", 4),
    ("plain http to a remote vCenter", edit(4, "http://127.0.0.1:8989/sdk", "http://vc.example.com/sdk"),
     "vcenter.url", "plain http:// sends the vCenter password unencrypted", 4),
    ("thumbprint that is no fingerprint", edit(9, "datastore: LocalDS_0", "datastore: LocalDS_0\n  thumbprint: 12:34"),
     "vcenter.thumbprint", "'12:34' is not a certificate fingerprint", 10),
    ("thumbprint on plain http", edit(9, "datastore: LocalDS_0", "datastore: LocalDS_0\n  thumbprint: " + "ab" * 32),
     "vcenter.thumbprint", "a thumbprint pins a TLS certificate, but vcenter.url is http://", 10),
    ("folder with a space", edit(9, "datastore: LocalDS_0", "datastore: LocalDS_0\n  folder: fuel bot/base"),
     "vcenter.folder", "part 'fuel bot' contains ' '", 10),
    ("absolute folder", edit(9, "datastore: LocalDS_0", "datastore: LocalDS_0\n  folder: /vm/base"),
     "vcenter.folder", "must not start or end with '/'", 10),
    ("VM name with a slash", edit(49, "name: base-controller-1", "name: base/controller-1"), "nodes[0].name",
     "contains '/': use letters, digits, '.', '_' and '-' only", 49),
    ("VM name of 80 characters", edit(49, "base-controller-1", "c" * 80), "nodes[0].name",
     "is 80 characters long; vCenter names must be under 80", 49),
    ("unknown NIC type", edit(53, "disk_gb: 16", "disk_gb: 16\n    nic_type: e1001"), "nodes[0].nic_type",
     "unknown NIC type 'e1001' (did you mean 'e1000'?)", 54),
    ("node without a NIC on pxe", edit(55, "{portgroup: pxe, fuel_networks: [fuelweb_admin]}", "{portgroup: public}"),
     "nodes[0].nics", "no NIC is on the pxe port group 'pxe': the node could not PXE-boot", 54),
    ("two NICs on pxe", edit(56, "{portgroup: public, fuel_networks: [public]}", "{portgroup: pxe, fuel_networks: [public]}"),
     "nodes[0].nics[1].portgroup", "NICs 1 and 2 are both on the pxe port group 'pxe'", 56),
    ("YAML syntax error", "bad_syntax.yaml", "", "not valid YAML", 4),
    ("unquoted reference in a flow mapping", edit(13, "vlan: 3", "vlan: ${PXE_VLAN:-3}"), "",
     'quote a value that uses ${...}: "${VAR:-default}"', 13),
    ("document is a list", "not_a_mapping.yaml", "", "a lab spec must be a mapping of fields, not a list", 2),
    ("empty file", "empty.yaml", "", "the file is empty", None),
    ("two documents", "two_documents.yaml", "", "not valid YAML", 2),
]


@pytest.mark.parametrize(("source", "path", "fragment", "line"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_problem_is_reported_with_path_message_and_line(
        tmp_path: Path, source: Edit | str, path: str, fragment: str, line: int | None) -> None:
    found = problems(_write(tmp_path, source))
    listing = "\n".join(str(p) for p in found)
    assert any(p.path == path and fragment in p.message and p.line == line for p in found), listing


def test_the_base_spec_is_valid() -> None:
    assert problems(FIXTURES / "base.yaml") == []


def test_problem_reads_file_line_path_message(tmp_path: Path) -> None:
    [problem] = problems(_write(tmp_path, edit(44, "10.0.0.0/24", "10.0.0.0/33")))
    assert str(problem) == (f"{tmp_path / 'lab.yaml'}:44: environment.networks.public.cidr: "
                            "'10.0.0.0/33' is not a valid CIDR (expected e.g. 10.0.0.0/24)")


def test_unknown_role_lists_the_allowed_roles(tmp_path: Path) -> None:
    [problem] = [p for p in problems(_write(tmp_path, edit(61, "[cinder]", "[cindr]"))) if "cindr" in p.message]
    assert problem.allowed == ROLES
    assert str(problem).endswith("(allowed: controller, compute, cinder, ceph-osd, mongo, zabbix-server)")


def test_every_problem_is_reported_at_once() -> None:
    found = problems(FIXTURES / "many_problems.yaml")
    paths = {p.path for p in found}
    assert {"name", "vcenter.url", "vcenter.password", "vcenter.datastore", "vcenter.datastor",
            "vsphere_networks.distributed[0].vlan", "fuel.password", "fuel.master_vm.cpus",
            "fuel.master_vm.memory_mb", "environment.release", "environment.mode",
            "environment.networks.public.cidr", "environment.networks.storage.cidr",
            "nodes[0].name", "nodes[0].roles[1]", "nodes[0].nics[1].portgroup"} <= paths
    assert [p.line for p in found] == sorted(p.line or 0 for p in found)


def test_a_literal_secret_is_never_echoed() -> None:
    with pytest.raises(SpecError) as caught:
        load_lab(FIXTURES / "many_problems.yaml", {})
    assert "hunter2-literal" not in str(caught.value)
    assert all("hunter2-literal" not in repr(p) for p in caught.value.problems)

