"""Pure parts of the workflows: the spec written onto Fuel's tabs, texts, the kind registry."""
import copy
from pathlib import Path

import pytest

from sim.fuel.attributes import default_editable
from jobs.states import JobKind
from labspec.loader import load_lab
from workflows import fuel_settings
from workflows.registry import WORKFLOWS, workflows
from workflows.voices.words import deploy_progress, duration, health_counts

LAB1 = load_lab(Path(__file__).resolve().parents[2] / "labs" / "lab1.yaml", {"VCENTER_URL": "https://10.1.1.5/sdk"})


def nova_config():
    return {"networks": [{"id": 1, "name": "fuelweb_admin", "cidr": "10.20.0.0/24", "gateway": "", "vlan_start": None,
                          "ip_ranges": [["10.20.0.129", "10.20.0.254"]]},
                         {"id": 2, "name": "public", "cidr": "172.16.0.0/24", "gateway": "172.16.0.1",
                          "vlan_start": None, "ip_ranges": [["172.16.0.2", "172.16.0.127"]]},
                         {"id": 3, "name": "management", "cidr": "192.168.0.0/24", "gateway": "", "vlan_start": 101,
                          "ip_ranges": [["192.168.0.2", "192.168.0.254"]]},
                         {"id": 4, "name": "storage", "cidr": "192.168.1.0/24", "gateway": "", "vlan_start": 102,
                          "ip_ranges": [["192.168.1.2", "192.168.1.254"]]},
                         {"id": 5, "name": "fixed", "cidr": None, "gateway": "", "vlan_start": None, "ip_ranges": []}],
            "networking_parameters": {"net_manager": "FlatDHCPManager", "fixed_networks_cidr": "10.0.0.0/16",
                                      "fixed_network_size": 256, "fixed_networks_amount": 1,
                                      "floating_ranges": [["172.16.0.128", "172.16.0.254"]],
                                      "dns_nameservers": ["8.8.4.4", "8.8.8.8"]}}


def test_every_job_kind_has_exactly_one_workflow():
    declared = [workflow.kind for workflow in WORKFLOWS]
    assert sorted(declared) == sorted(JobKind) and len(set(declared)) == len(declared)
    assert set(workflows(None)) == {kind.value for kind in JobKind}


def test_settings_follow_the_article_and_a_second_pass_changes_nothing():
    editable = default_editable()
    changed = fuel_settings.apply_settings(LAB1, editable)
    value = lambda group, key: editable[group][key]["value"]  # noqa: E731
    assert value("common", "libvirt_type") == "vcenter"
    assert (value("vcenter", "host_ip"), value("vcenter", "cluster")) == ("10.1.1.5", "DC0_C0")
    assert value("storage", "images_vcenter") is True and value("storage", "vc_datastore") == "LocalDS_0"
    assert value("storage", "volumes_vmdk") is True and value("storage", "volumes_lvm") is False
    assert value("syslog", "syslog_server") == "10.0.0.5" and value("provision", "method") == "image"
    assert not any(value("additional_components", s) for s in ("sahara", "murano", "ceilometer"))
    assert "common.libvirt_type" in changed
    assert fuel_settings.apply_settings(LAB1, copy.deepcopy(editable)) == []


def test_networks_follow_the_article_without_overlapping_public_and_floating_ranges():
    config = nova_config()
    changed = fuel_settings.apply_networks(LAB1, config)
    nets = {n["name"]: n for n in config["networks"]}
    assert (nets["public"]["cidr"], nets["public"]["gateway"]) == ("10.0.0.0/24", "10.0.0.1")
    assert (nets["management"]["cidr"], nets["management"]["vlan_start"]) == ("10.0.1.0/24", None)
    assert nets["storage"]["cidr"] == "10.0.2.0/24" and nets["fuelweb_admin"]["cidr"] == "10.20.0.0/24"
    params = config["networking_parameters"]
    assert (params["net_manager"], params["fixed_networks_cidr"], params["fixed_network_size"]) == \
        ("FlatDHCPManager", "12.0.0.0/24", 256)
    public_last = nets["public"]["ip_ranges"][0][1]
    floating_first = params["floating_ranges"][0][0]
    assert tuple(map(int, public_last.split("."))) < tuple(map(int, floating_first.split(".")))
    assert "public.cidr" in changed
    assert fuel_settings.apply_networks(LAB1, config) == []


@pytest.mark.parametrize("seconds,text", [(0, "0s"), (40, "40s"), (872, "14m 32s"), (7500, "2h 05m")])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_progress_and_health_lines():
    text = deploy_progress(percent=64, subtasks=[("provision", 100, "ready"), ("deployment", 40, "running")],
                           nodes=[("node-7", "controller", 64, "deploying")], elapsed=540)
    assert text.splitlines()[0].startswith("🚧 Deploying — 64%") and "~5m 03s left" in text
    assert "provision ✓ · deployment 40%" in text and "node-7 controller 64% (deploying)" in text
    summary = {"sets": {"sanity": {"passed": 12, "failed": 0, "skipped": 0},
                        "smoke": {"passed": 9, "failed": 1, "skipped": 2}}}
    assert health_counts(summary) == "sanity 12/12 ✓ · smoke 9/10 ✗ (2 skipped)"
