"""The Fuel master's VM on vcsim: typing the boot parameters, detaching the ISO, the check before power-on."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyVmomi import vim

from core.errors import VSphereError
from integrations.fuel.iso import boot_keys
from integrations.vsphere import VSphereClient
from labspec.model import Lab, MasterSetup
from sim.fuel.master_vm import typed_lines
from sim.vcenter.process import VcsimProcess
from tests.fixtures.vcenter_simulator import admin_session, lab_for, target_for


@pytest.fixture
def lab(vcsim: VcsimProcess) -> Lab:
    return lab_for(vcsim)


@pytest.fixture
def client(vsphere_target, lab: Lab) -> Iterator[VSphereClient]:
    with VSphereClient.connect(vsphere_target) as client:
        client.fix_portgroups(lab)
        yield client


def _master(client: VSphereClient, lab: Lab) -> str:
    assert lab.fuel.vm is not None
    client.ensure_vm(lab.fuel.vm, lab=lab.name)
    return lab.fuel.vm.name


def _typed(vcsim: VcsimProcess, name: str) -> list[str]:
    with admin_session(vcsim) as si:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        vm = next(v for v in view.view if v.name == name)
        return typed_lines({"config.extraConfig": vm.config.extraConfig})


def test_a_new_master_boots_its_iso_and_the_check_says_so(client: VSphereClient, lab: Lab) -> None:
    name = _master(client, lab)
    boot = client.master_boot(name)
    assert boot.iso and boot.iso.endswith("MirantisOpenStack-6.0.iso") and boot.iso_at_power_on
    assert boot.boots_iso_first and not boot.installed_once
    (problem,) = boot.problems()
    assert "would boot its ISO" in problem and "erase ALL data on disk?" in problem


def test_typing_the_boot_parameters_reaches_the_console(client: VSphereClient, lab: Lab, vcsim: VcsimProcess) -> None:
    name = _master(client, lab)
    assert client.console_typing_supported()                 # vcsim says API 6.5
    keys = boot_keys(MasterSetup(ip="10.20.0.3", hostname="fuel.lab.local"))
    with pytest.raises(VSphereError, match="not powered on"):
        client.type_at_console(name, keys)
    client.power_on(name)
    assert client.type_at_console(name, keys) == len(keys)
    assert _typed(vcsim, name) == ["\t ip=10.20.0.3 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0 "
                                   "hostname=fuel.lab.local showmenu=no\n"]


def test_detaching_the_iso_is_done_once_and_then_the_check_passes(client: VSphereClient, lab: Lab) -> None:
    name = _master(client, lab)
    client.power_on(name)
    assert client.detach_master_iso(name) is True
    boot = client.master_boot(name)
    assert (boot.iso_connected, boot.iso_at_power_on, boot.order) == (False, False, ("disk", "cdrom"))
    assert boot.installed_once and not boot.boots_iso_first and boot.problems() == []
    calls = client.calls
    assert client.detach_master_iso(name) is False            # looks first, changes nothing
    assert client.calls - calls <= 4


def test_a_boot_order_without_disk_is_a_problem(client: VSphereClient, lab: Lab, vcsim: VcsimProcess) -> None:
    name = _master(client, lab)
    with admin_session(vcsim) as si:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        vm = next(v for v in view.view if v.name == name)
        B = vim.vm.BootOptions
        vm.ReconfigVM_Task(vim.vm.ConfigSpec(bootOptions=B(bootOrder=[B.BootableCdromDevice()])))
    problems = client.master_boot(name).problems()
    assert any("has no disk" in p for p in problems) and any("would boot its ISO" in p for p in problems)


def test_a_vcenter_before_6_5_cannot_type(vcsim_binary: Path, tmp_path: Path) -> None:
    old = VcsimProcess.start(log_path=tmp_path / "vcsim.log", extra_args=["-api-version", "6.0"])
    try:
        with VSphereClient.connect(target_for(old)) as client:
            assert client.console_typing_supported() is False
    finally:
        old.stop()
