"""The simulated master follows its VM in vcsim: installs from the ISO with the typed parameters,
reinstalls when powered on with the ISO still first, boots from its disk once the ISO is detached."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import paramiko
import pytest
import requests

from integrations.fuel.iso import boot_keys
from integrations.vsphere import VSphereClient
from labspec.model import Lab, MasterSetup
from sim.fuel import FuelSimulator
from sim.vcenter.process import VcsimProcess
from tests.fixtures.fuel_simulator import FuelHttp, wait_for
from tests.fixtures.vcenter_simulator import lab_for

SETUP = MasterSetup(ip="10.20.0.3", hostname="master.lab.local")


@pytest.fixture
def lab(vcsim: VcsimProcess) -> Lab:
    return lab_for(vcsim)


@pytest.fixture
def vsphere(vsphere_target, lab: Lab) -> Iterator[VSphereClient]:
    with VSphereClient.connect(vsphere_target) as client:
        client.fix_portgroups(lab)
        yield client


@pytest.fixture
def master(fuelsim_factory: Callable[..., FuelSimulator], vcsim: VcsimProcess) -> FuelSimulator:
    return fuelsim_factory(vcenter_url=vcsim.url, vcenter_user=vcsim.user, vcenter_password=vcsim.password,
                           master_vm="fuel-master", install_time=200.0, boot_time=100.0)


def api_up(sim: FuelSimulator) -> bool:
    try:
        return requests.get(f"{sim.url}/api/version", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def ssh(sim: FuelSimulator, command: str, password: str = "r00tme") -> str:
    with paramiko.SSHClient() as client:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect("127.0.0.1", port=sim.ssh_port, username="root", password=password, look_for_keys=False,
                       allow_agent=False, timeout=5)
        _, out, _ = client.exec_command(command)
        return out.read().decode()


def install(vsphere: VSphereClient, lab: Lab, master: FuelSimulator) -> str:
    assert lab.fuel.vm is not None
    name = lab.fuel.vm.name
    vsphere.ensure_vm(lab.fuel.vm, lab=lab.name)
    assert not api_up(master)                                  # no VM yet, no master
    vsphere.power_on(name)
    wait_for(lambda: master.state()["master"]["phase"] == "boot menu", timeout=10, what="the ISO's menu")
    vsphere.type_at_console(name, boot_keys(SETUP))
    wait_for(lambda: api_up(master), timeout=20, what="the installed master's API")
    return name


def test_the_iso_installs_with_the_typed_parameters(vsphere: VSphereClient, lab: Lab, master: FuelSimulator) -> None:
    install(vsphere, lab, master)
    assert ssh(master, "hostname") == "master.lab.local\n"
    assert "ipaddress: 10.20.0.3" in ssh(master, "cat /etc/fuel/astute.yaml")


def test_powering_on_with_the_iso_first_reinstalls_and_wipes(vsphere: VSphereClient, lab: Lab,
                                                             master: FuelSimulator) -> None:
    name = install(vsphere, lab, master)
    api = FuelHttp(master.url)
    api.login()
    assert api.post("/api/clusters", {"name": "env", "release": 1, "mode": "multinode"}).status_code == 201
    vsphere.power_off(name)
    wait_for(lambda: not api_up(master), timeout=10, what="the API to go away")
    vsphere.power_on(name)                                     # the ISO still connected and first
    wait_for(lambda: master.state()["master"]["phase"] == "erase prompt", timeout=10,
             what="the installer's erase prompt after the menu's 30 s")
    vsphere.type_at_console(name, "y\n")                       # someone answers the installer
    wait_for(lambda: api_up(master), timeout=20, what="the reinstalled master")
    fresh = FuelHttp(master.url)
    fresh.login()                                              # admin/admin again
    assert fresh.get("/api/clusters").json() == []
    assert ssh(master, "hostname") == "fuel.domain.tld\n"      # the menu's default entry this time


def test_a_detached_iso_boots_the_disk_and_keeps_the_master(vsphere: VSphereClient, lab: Lab,
                                                            master: FuelSimulator) -> None:
    name = install(vsphere, lab, master)
    api = FuelHttp(master.url)
    api.login()
    assert api.post("/api/clusters", {"name": "env", "release": 1, "mode": "multinode"}).status_code == 201
    assert vsphere.detach_master_iso(name)
    vsphere.power_off(name)
    wait_for(lambda: not api_up(master), timeout=10, what="the API to go away")
    vsphere.power_on(name)
    wait_for(lambda: master.state()["master"]["phase"] == "booting", timeout=10, what="a disk boot")
    wait_for(lambda: api_up(master), timeout=20, what="the master after its disk boot")
    api.login()
    assert [c["name"] for c in api.get("/api/clusters").json()] == ["env"]
