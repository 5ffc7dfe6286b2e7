"""Loading real specs: lab1 is the article's lab exactly; environment values are typed; secrets hide."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SpecError
from core.redact import scrub
from labspec.loader import load_lab
from labspec.model import (DistributedPortGroup, FuelMaster, Network, Nic, StandardPortGroup,
                           VMSpec)

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
FIXTURES = Path(__file__).parent / "fixtures_labs"


def test_lab1_with_an_empty_environment_is_the_articles_lab() -> None:
    lab = load_lab(LABS / "lab1.yaml", {})
    assert lab.name == "lab1"
    # vSphere: VLAN 3 promiscuous pxe, br100 on vSwitch0 with vmnic0
    assert lab.networks.pxe == "pxe"
    assert DistributedPortGroup(name="pxe", switch="DVS0", vlan=3, promiscuous=True) in lab.networks.distributed
    assert lab.networks.standard == (StandardPortGroup(name="br100", vswitch="vSwitch0", uplink="vmnic0"),)
    # Fuel master: RHEL 7 64-bit, 1 vCPU, 2048 MB, 50 GB, one NIC on pxe, booted from the ISO
    master = lab.fuel.vm
    assert (master.guest_id, master.cpus, master.memory_mb, master.disk_gb) == ("rhel7_64Guest", 1, 2048, 50)
    assert master.nics == (Nic(portgroup="pxe"),)
    assert master.iso == "[LocalDS_0] iso/MirantisOpenStack-6.0.iso"
    # environment: Juno on CentOS 6.5, multinode, vCenter, nova-network FlatDHCP, extras off
    env = lab.environment
    assert (env.release, env.release_version, env.mode, env.compute) == (
        "Juno on CentOS 6.5", "2014.2-6.0", "multinode", "vcenter")
    assert (env.network_provider, env.network_manager) == ("nova_network", "FlatDHCPManager")
    assert not {"murano", "sahara", "ceilometer"} & set(env.services)
    assert (env.volumes, env.images) == ("vmdk", "vcenter")
    # Settings tab: passwords, key, syslog, Glance datastore, Zabbix, image provisioning
    settings = env.settings
    assert settings.openstack_password and settings.zabbix_password
    assert settings.syslog_host == "10.0.0.5"
    assert settings.glance_vcenter_datastore == "LocalDS_0"
    assert settings.provisioning == "image"
    # Networks tab: four networks, no VLAN tagging
    assert env.networks == (
        Network(name="public", cidr="10.0.0.0/24", gateway="10.0.0.1"),
        Network(name="management", cidr="10.0.1.0/24"),
        Network(name="storage", cidr="10.0.2.0/24"),
        Network(name="fixed", cidr="12.0.0.0/24"),
    )
    # one controller: RHEL 6 64-bit, 1 vCPU, 1024 MB, 16 GB, five NICs
    [node] = lab.nodes
    assert node.roles == ("controller",)
    assert node.vm == VMSpec(name="lab1-controller-1", cpus=1, memory_mb=1024, disk_gb=16,
                             guest_id="rhel6_64Guest", nics=(
                                 Nic("pxe", ("fuelweb_admin",)), Nic("public", ("public",)),
                                 Nic("management", ("management",)), Nic("storage", ("storage",)),
                                 Nic("br100", ("fixed",))), nic_type="vmxnet3", pxe_portgroup="pxe")
    assert node.vm.boot_nic() == 0
    # the lab's VMs live in its own folder
    assert lab.vcenter.folder == "fuelbot/lab1"
    assert (lab.vcenter.resource_pool, lab.vcenter.thumbprint, lab.vcenter.allow_http) == (None, None, False)
    # defaults aim at the embedded simulators
    assert lab.vcenter.url == "http://127.0.0.1:8989/sdk"
    assert (lab.vcenter.datacenter, lab.vcenter.cluster, lab.vcenter.datastore) == ("DC0", "DC0_C0", "LocalDS_0")
    assert lab.fuel.url == "http://127.0.0.1:8000"
    assert lab.oncall is None and env.settings.public_key is None   # ":-" with nothing = unset


@pytest.mark.parametrize("path", sorted(LABS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_lab_loads_with_an_empty_environment(path: Path) -> None:
    lab = load_lab(path, {})
    assert lab.name == path.stem


def test_lab2_has_two_nodes_so_network_verification_runs() -> None:
    lab = load_lab(LABS / "lab2.yaml", {})
    assert [n.roles for n in lab.nodes] == [("controller",), ("cinder",)]
    assert all(n.name.startswith("lab2-") for n in lab.nodes)
    assert lab.environment.name == "lab2"


def test_environment_values_override_defaults_and_are_typed(tmp_path: Path) -> None:
    text = (FIXTURES / "base.yaml").read_text()
    text = text.replace("cpus: 1\n    memory_mb: 1024\n    disk_gb: 16",
                        "cpus: ${CTRL_CPUS:-1}\n    memory_mb: 1024\n    disk_gb: 16")
    text = text.replace("promiscuous: true", 'promiscuous: "${PXE_PROMISC:-false}"')
    text = text.replace('url: http://127.0.0.1:8989/sdk', 'url: "https://${VC_HOST:-vc}/sdk"')
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    lab = load_lab(path, {"CTRL_CPUS": "4", "PXE_PROMISC": "yes", "VC_HOST": "vc.example.com"})
    assert lab.nodes[0].vm.cpus == 4
    assert lab.networks.distributed[0].promiscuous is True
    assert lab.vcenter.url == "https://vc.example.com/sdk"
    with pytest.raises(SpecError) as caught:
        load_lab(path, {"CTRL_CPUS": "four", "PXE_PROMISC": "yes"})
    [problem] = caught.value.problems
    assert problem.path == "nodes[0].cpus"
    assert problem.message == "'${CTRL_CPUS:-1}' (its value is not shown) is not a whole number"


def test_references_inside_longer_strings_take_their_default() -> None:
    lab = load_lab(LABS / "lab1.yaml", {"VCENTER_DATASTORE": "vsanDatastore"})
    assert lab.fuel.vm.iso == "[vsanDatastore] iso/MirantisOpenStack-6.0.iso"
    assert lab.vcenter.datastore == "vsanDatastore"


def test_secrets_never_show_in_repr_and_are_registered_for_scrubbing() -> None:
    environ = {"VCENTER_PASSWORD": "vc-Secret-1", "FUEL_PASSWORD": "fuel-Secret-2",
               "OPENSTACK_PASSWORD": "os-Secret-3", "ZABBIX_PASSWORD": "zbx-Secret-4"}
    lab = load_lab(LABS / "lab1.yaml", environ)
    assert set(lab.secrets()) == set(environ.values())
    for secret in environ.values():
        assert secret not in repr(lab)
        assert scrub(f"said {secret}") == "said ••••"
    assert isinstance(lab.fuel, FuelMaster)


def test_a_secret_default_written_in_the_spec_is_not_scrubbed_everywhere() -> None:
    lab = load_lab(LABS / "lab1.yaml", {})
    assert lab.fuel.password == "admin"       # the article's default, public in the repository
    assert scrub("needs the admin role") == "needs the admin role"


def _with_cinder_head(tmp_path: Path, head: list[str]) -> Path:
    """base.yaml with the cinder node's lines 60–64 (name … disk_gb) replaced by ``head``."""
    lines = (FIXTURES / "base.yaml").read_text().split("\n")
    assert lines[59] == "  - name: base-cinder-1" and lines[63] == "    disk_gb: 32"
    path = tmp_path / "lab.yaml"
    path.write_text("\n".join(lines[:59] + head + lines[64:]))
    return path


def test_yaml_merge_keys_share_defaults_and_own_keys_win(tmp_path: Path) -> None:
    path = _with_cinder_head(tmp_path, ["  - <<: {cpus: 2, memory_mb: 1024, disk_gb: 32}",
                                        "    name: base-cinder-1",
                                        "    roles: [cinder]",
                                        "    cpus: 1"])
    cinder = load_lab(path, {}).nodes[1].vm
    assert (cinder.cpus, cinder.memory_mb, cinder.disk_gb) == (1, 1024, 32)


def test_an_own_key_over_a_merged_one_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = _with_cinder_head(tmp_path, ["  - <<: {cpus: 2, memory_mb: 1024, disk_gb: 32}",
                                        "    name: base-cinder-1",
                                        "    roles: [cinder]",
                                        "    cpus: zero"])
    with pytest.raises(SpecError) as caught:
        load_lab(path, {})
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("nodes[1].cpus", 63)


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_lab(tmp_path / "nope.yaml", {})
    assert "cannot be read" in str(caught.value)


def test_the_vcenter_section_takes_folder_pool_pinning_and_explicit_http(tmp_path: Path) -> None:
    text = (FIXTURES / "base.yaml").read_text().replace(
        "url: http://127.0.0.1:8989/sdk", "url: http://vc.lab.example/sdk").replace(
        "datastore: LocalDS_0\n", "datastore: LocalDS_0\n  folder: labs/base\n  resource_pool: fuel/base\n"
        "  allow_http: true\n", 1)
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    target = load_lab(path, {}).vcenter
    assert (target.url, target.allow_http) == ("http://vc.lab.example/sdk", True)
    assert (target.folder, target.resource_pool) == ("labs/base", "fuel/base")
    pinned = text.replace("url: http://vc.lab.example/sdk", "url: https://vc.lab.example/sdk").replace(
        "  allow_http: true\n", "  thumbprint: " + ":".join(["AB"] * 32) + "\n")
    path.write_text(pinned)
    assert load_lab(path, {}).vcenter.thumbprint == ":".join(["AB"] * 32)


def test_two_labs_in_one_datacenter_cannot_share_a_folder(tmp_path: Path) -> None:
    from labspec.check import check_files
    base = (FIXTURES / "base.yaml").read_text()
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(base.replace("name: base\n", "name: a\n", 1).replace("datastore: LocalDS_0\n",
                                                                        "datastore: LocalDS_0\n  folder: shared\n", 1))
    other = base.replace("name: base\n", "name: b\n", 1).replace("name: base-", "name: b-").replace(
        "  name: base\n", "  name: b\n").replace("datastore: LocalDS_0\n", "datastore: LocalDS_0\n  folder: shared\n", 1)
    second.write_text(other)
    found = check_files([first, second], {})
    assert [(p.path, p.message) for p in found if p.path == "vcenter.folder"] == [
        ("vcenter.folder", f"folder 'shared' is already lab a's ({first}); each lab needs its own VM folder")]


def test_a_node_shared_through_an_anchor_is_read_once() -> None:
    lab = load_lab(LABS / "lab2.yaml", {})          # nics: &five_nics ... nics: *five_nics
    controller, cinder = lab.nodes
    assert cinder.vm.nics is controller.vm.nics
    assert [n.portgroup for n in cinder.vm.nics] == ["pxe", "public", "management", "storage", "br100"]


def test_a_problem_in_a_shared_node_shows_at_each_path_that_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "lab2.yaml"
    path.write_text((LABS / "lab2.yaml").read_text().replace("fuel_networks: [fixed]", "fuel_networks: [fixd]"))
    with pytest.raises(SpecError) as caught:
        load_lab(path, {})
    wrong = [(p.path, p.line) for p in caught.value.problems if "unknown Fuel network 'fixd'" in p.message]
    assert wrong == [("nodes[0].nics[4].fuel_networks[0]", 76), ("nodes[1].nics[4].fuel_networks[0]", 76)]
