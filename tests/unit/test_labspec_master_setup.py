"""The Fuel master's setup in ``fuel.master_vm``: Fuel 6.0's defaults, and each problem with its line."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SpecError
from labspec.loader import load_lab
from labspec.model import MasterSetup

FIXTURES = Path(__file__).parent / "fixtures_labs"
MASTER_NICS = "    nics: [pxe]\n"          # line 28 of base.yaml; setup fields go right after it (line 29 on)


def spec(tmp_path: Path, *setup_lines: str, replace: tuple[str, str] | None = None) -> Path:
    text = (FIXTURES / "base.yaml").read_text()
    assert MASTER_NICS in text
    text = text.replace(MASTER_NICS, MASTER_NICS + "".join(f"    {line}\n" for line in setup_lines))
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    try:
        load_lab(path, environ or {})
    except SpecError as err:
        return [str(p) for p in err.problems]
    return []


def test_defaults_are_fuel_6_0s_own_and_experimental_follows_the_lab(tmp_path: Path) -> None:
    lab = load_lab(spec(tmp_path), {})
    setup = lab.fuel.setup
    assert setup is not None
    assert (setup.ip, setup.netmask, setup.gateway, setup.dns, setup.hostname, setup.ssh_port) == (
        "10.20.0.2", "255.255.255.0", "10.20.0.1", ("10.20.0.1",), "fuel.domain.tld", 22)
    assert setup.ntp == ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org")
    assert setup.root_password == "r00tme"
    provisioning = lab.environment.settings.provisioning
    assert setup.feature_groups == (("mirantis", "experimental") if provisioning == "image" else ("mirantis",))
    cobbler = load_lab(spec(tmp_path, replace=(f"provisioning: {provisioning}", "provisioning: cobbler")), {})
    assert cobbler.fuel.setup is not None and cobbler.fuel.setup.feature_groups == ("mirantis",)


def test_every_field_given(tmp_path: Path) -> None:
    path = spec(tmp_path, "ip: 192.168.50.10", "netmask: 255.255.255.0", "gateway: 192.168.50.1",
                "dns: [192.168.50.1, 8.8.8.8]", "ntp: [ntp.example.com]", "hostname: fuel.lab.example.com",
                "root_password: ${ROOT_PW}", "feature_groups: [mirantis, experimental]", "ssh_port: 2222")
    lab = load_lab(path, {"ROOT_PW": "s3cret-root"})
    assert lab.fuel.setup == MasterSetup(ip="192.168.50.10", netmask="255.255.255.0", gateway="192.168.50.1",
                                         dns=("192.168.50.1", "8.8.8.8"), ntp=("ntp.example.com",),
                                         hostname="fuel.lab.example.com", root_password="s3cret-root",
                                         feature_groups=("mirantis", "experimental"), ssh_port=2222)
    assert "s3cret-root" in lab.secrets() and "s3cret-root" not in repr(lab)


@pytest.mark.parametrize(("lines", "expected"), [
    (["gateway: 10.20.1.1"], "lab.yaml:29: fuel.master_vm.gateway: 10.20.1.1 is outside the admin network "
                             "10.20.0.0/24 (ip 10.20.0.2, netmask 255.255.255.0)"),
    (["ip: 10.20.0.0"], "lab.yaml:29: fuel.master_vm.ip: 10.20.0.0 is not a host address in 10.20.0.0/24"),
    (["ip: 10.20.0.300"], "lab.yaml:29: fuel.master_vm.ip: '10.20.0.300' is not a valid IPv4 address"),
    (["netmask: 255.0.255.0"], "lab.yaml:29: fuel.master_vm.netmask: '255.0.255.0' is not a netmask"),
    (["gateway: 10.20.0.2"], "lab.yaml:29: fuel.master_vm.gateway: 10.20.0.2 is the master's own address"),
    (["ip: 10.0.0.2", "gateway: 10.0.0.1"], "lab.yaml:29: fuel.master_vm.ip: the admin network 10.0.0.0/24 "
                                            "overlaps the public network 10.0.0.0/24"),
    (["dns: [8.8.8]"], "lab.yaml:29: fuel.master_vm.dns[0]: '8.8.8' is not a valid IPv4 address"),
    (["ntp: ['pool ntp org']"], "lab.yaml:29: fuel.master_vm.ntp[0]: 'pool ntp org' is not an NTP server name"),
    (["ntp: [a.example.com, b.example.com, c.example.com, d.example.com]"],
     "lab.yaml:29: fuel.master_vm.ntp: lists 4 NTP servers; fuelmenu keeps one to three (NTP1-NTP3"),
    (["ntp: []"], "lab.yaml:29: fuel.master_vm.ntp: lists 0 NTP servers; fuelmenu keeps one to three"),
    (["hostname: fuel"], "lab.yaml:29: fuel.master_vm.hostname: 'fuel' is not a fully qualified host name"),
    (["root_password: r00tme"], "lab.yaml:29: fuel.master_vm.root_password: secret must come from the "
                                "environment, e.g. ${FUEL_ROOT_PASSWORD}"),
    (["feature_groups: [mirantis, experimantal]"], "lab.yaml:29: fuel.master_vm.feature_groups[1]: unknown "
                                                   "feature group 'experimantal' (did you mean 'experimental'?)"),
    (["ssh_port: 70000"], "lab.yaml:29: fuel.master_vm.ssh_port: 70000 is not a TCP port"),
    (["admin_ip: 10.20.0.2"], "lab.yaml:29: fuel.master_vm.admin_ip: unknown field 'admin_ip'"),
])
def test_each_problem_names_file_line_and_field(tmp_path: Path, lines: list[str], expected: str) -> None:
    found = problems(spec(tmp_path, *lines))
    assert any(p.replace(str(tmp_path) + "/", "").startswith(expected) for p in found), found


def test_image_provisioning_without_experimental_is_refused(tmp_path: Path) -> None:
    path = spec(tmp_path, "feature_groups: [mirantis]")     # base.yaml provisions with images
    found = [p.replace(str(tmp_path) + "/", "") for p in problems(path)]
    assert found == ["lab.yaml:29: fuel.master_vm.feature_groups: lacks experimental, which the lab needs "
                     "(environment.settings.provisioning is image) (allowed: mirantis, experimental)"]


def test_the_article_lab_sets_its_master_up(tmp_path: Path) -> None:
    lab = load_lab(Path(__file__).resolve().parents[2] / "labs" / "lab1.yaml", {})
    assert lab.fuel.setup is not None
    assert lab.fuel.setup.feature_groups == ("mirantis", "experimental")   # image provisioning
    assert lab.fuel.setup.root_password == "r00tme"                        # the embedded lab's default
