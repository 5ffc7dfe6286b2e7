"""Typed job records read what fuelbot wrote before they existed: jobs in flight survive the upgrade."""
from __future__ import annotations

import copy

from integrations.fuel.enums import Mode
from jobs.record import JobRecord
from tests.fakes.harness import Harness
from workflows import deploy_changes
from workflows.records import DeployRecord, HealthRecord, NodeVm, ResetRecord
from workflows.voices.deploy import DeployVoice

# A deploy's ``context`` as the previous fuelbot wrote it, mid-deploy (ctx.data["…"] keys, verbatim).
MID_DEPLOY = {
    "announced": True,
    "_step": "follow_deploy",
    "vms": {"lab1-controller-1": {"macs": ["00:50:56:33:ca:9d", "00:50:56:28:98:59"], "pxe_mac": "00:50:56:33:ca:9d",
                                  "created": True}},
    "nodes": {"lab1-controller-1": 7},
    "strangers": ["52:54:00:12:34:56"],
    "discover_waited": True,
    "cluster_id": 3,
    "deploy_task": 12,
    "deploy_started": 1760000000.25,
}


def test_a_deploy_written_by_the_previous_version_reads_as_typed_fields() -> None:
    record = DeployRecord.from_json(MID_DEPLOY)
    assert (record.announced, record.step, record.cluster_id, record.deploy_task) == (True, "follow_deploy", 3, 12)
    assert record.vms == {"lab1-controller-1": NodeVm(macs=["00:50:56:33:ca:9d", "00:50:56:28:98:59"],
                                                       pxe_mac="00:50:56:33:ca:9d", created=True)}
    assert (record.nodes, record.strangers, record.discover_waited) == ({"lab1-controller-1": 7},
                                                                        ["52:54:00:12:34:56"], True)
    assert (record.deploy_started, record.deployed, record.health, record.verify_task) == (1760000000.25, False,
                                                                                            None, None)
    written = record.to_json()
    assert {k: written[k] for k in MID_DEPLOY} == MID_DEPLOY            # the same keys, the same values
    assert DeployRecord.from_json(written) == record


def test_keys_it_does_not_know_are_kept_and_missing_ones_default() -> None:
    old_one_shot = {"announced": True, "_step": "plan", "headline": "🧭 Plan for *lab1*: no change",
                    "result": {"changes": []}, "parent_body": {}}
    record = JobRecord.from_json(old_one_shot)
    assert (record.step, record.result) == ("plan", {"changes": []})
    assert record.to_json() == old_one_shot
    assert DeployRecord.from_json(None) == DeployRecord() and DeployRecord.from_json({}).vms == {}
    assert DeployRecord.from_json({"deploy_task": None}).deploy_task is None     # "nothing to deploy" wrote None


def test_reading_never_shares_lists_with_the_row_it_came_from() -> None:
    raw = copy.deepcopy(MID_DEPLOY)
    DeployRecord.from_json(raw).strangers.append("52:54:00:00:00:01")
    assert raw == MID_DEPLOY


def test_health_and_reset_records_keep_their_task_ids() -> None:
    assert HealthRecord.from_json({"health_runs": [4, 5], "_step": "run_health"}).health_runs == [4, 5]
    assert ResetRecord.from_json({"reset_task": 9}).reset_task == 9


def test_a_deploy_in_flight_across_the_upgrade_follows_its_task_to_the_end() -> None:
    """The previous version's row, resumed at follow_deploy by the new runner: no second Deploy Changes."""
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    vm = h.vsphere.ensure_vm(h.lab.nodes[0].vm, lab="lab1")
    cluster = h.fuel.create_cluster(name="lab1", release_id=1, mode=Mode.MULTINODE)
    node = h.fuel.discover(vm.macs[0], macs=vm.macs)
    h.fuel.assign_roles(cluster.id, {node.id: ["controller"]})
    task = h.fuel.deploy_changes(cluster.id)
    row = {**MID_DEPLOY, "vms": {"lab1-controller-1": {"macs": list(vm.macs), "pxe_mac": vm.macs[0], "created": True}},
           "nodes": {"lab1-controller-1": node.id}, "cluster_id": cluster.id, "deploy_task": task.id}
    run = h.run(DeployRecord.from_json(row), DeployVoice())
    deploy_changes.step_deploy_changes(run)
    deploy_changes.step_follow_deploy(run)
    assert h.fuel.calls["deploy_changes"] == 1 and run.data.deployed
    assert h.saved[-1]["deployed"] is True and h.saved[-1]["strangers"] == ["52:54:00:12:34:56"]
