"""Each branch of the deploy's steps, on the in-memory fakes and a fake clock (milliseconds each).

The fakes keep to the contract in ``tests/integration/test_ports_contract.py``; the texts asserted
here are the ones ``/fuel deploy`` posts.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import FuelError, StepFailed
from integrations.fuel.enums import Mode, TaskName
from jobs.steps import JobCancelled
from labspec.model import NodeSpec
from tests.fakes.harness import Harness
from workflows import deploy_changes, deploy_fuel, deploy_vsphere
from workflows.records import DeployRecord, NodeVm
from workflows.voices.deploy import DeployVoice

VOICE = DeployVoice()


def _run(h: Harness, record: DeployRecord | None = None):
    return h.run(record or DeployRecord(), VOICE)


def _vms(h: Harness) -> dict[str, NodeVm]:
    """The lab's VMs as step_create_vms leaves them (port groups first)."""
    h.vsphere.fix_portgroups(h.lab)
    return {node.name: NodeVm(macs=list(info.macs), pxe_mac=info.macs[0], created=True)
            for node, info in zip(h.lab.nodes, [h.vsphere.ensure_vm(n.vm, lab=h.lab.name) for n in h.lab.nodes])}


def _finish(h: Harness, task_id: int) -> None:
    while not h.fuel.task(task_id).done:
        pass


def _environment(h: Harness, *, deployed: bool) -> DeployRecord:
    """lab1's environment with its controller discovered and assigned (and deployed, when asked)."""
    vms = _vms(h)
    release = h.fuel.find_release("Juno on CentOS 6.5", "2014.2-6.0")
    cluster = h.fuel.create_cluster(name="lab1", release_id=release.id, mode=Mode.MULTINODE)
    macs = vms["lab1-controller-1"].macs
    node = h.fuel.discover(macs[0], macs=macs)
    h.fuel.assign_roles(cluster.id, {node.id: ["controller"]})
    if deployed:
        _finish(h, h.fuel.deploy_changes(cluster.id).id)
    return DeployRecord(vms=vms, nodes={"lab1-controller-1": node.id}, cluster_id=cluster.id)


# -- settings and networks ------------------------------------------------------------------------
def test_settings_are_applied_once_then_match() -> None:
    h = Harness()
    run = _run(h, _environment(h, deployed=False))
    deploy_fuel.step_settings(run)
    deploy_fuel.step_settings(run)
    first, second = h.thread.said()
    assert first.startswith("⚙️ Settings applied (provisioning: image, syslog 10.0.0.5; ") and "field(s) changed" in first
    assert second == "⚙️ Settings already match the spec (provisioning: image, syslog 10.0.0.5)."
    assert h.fuel.calls["update_attributes"] == 1


def test_settings_are_locked_once_the_environment_is_deployed() -> None:
    h = Harness()
    run = _run(h, _environment(h, deployed=True))
    deploy_fuel.step_settings(run)
    (line,) = h.thread.said()
    assert line.startswith("⚠️ Settings differ from the spec (") and line.endswith(
        "but Fuel 6.0 locks them once an environment is deployed; left as they are.")
    assert h.fuel.calls["update_attributes"] == 0


def test_networks_refused_by_fuel_fail_the_step_naming_the_spec() -> None:
    h = Harness()
    # storage inside nova's default fixed range (10.0.0.0/16), which a spec without `fixed` leaves as it is
    h.lab = replace(h.lab, environment=replace(h.lab.environment, networks=tuple(
        replace(n, cidr="10.0.5.0/24") if n.name == "storage" else n
        for n in h.lab.environment.networks if n.name != "fixed")))
    record = _environment(h, deployed=False)
    with pytest.raises(StepFailed, match="Fuel refused the network configuration: Address space intersection"):
        deploy_fuel.step_networks(_run(h, record))


# -- deploy changes ----------------------------------------------------------------------------------
def test_a_running_deploy_is_adopted_never_started_twice() -> None:
    h = Harness()
    record = _environment(h, deployed=False)
    running = h.fuel.deploy_changes(record.cluster_id)      # pressed before a crash, never recorded
    run = _run(h, record)
    deploy_changes.step_deploy_changes(run)
    assert h.thread.said() == [f"🚀 Following the deploy already running in Fuel (task #{running.id})."]
    assert (run.data.deploy_task, h.fuel.calls["deploy_changes"]) == (running.id, 1)
    assert h.saved[-1]["deploy_task"] == running.id
    deploy_changes.step_deploy_changes(run)                    # recorded now: nothing is asked of Fuel
    assert h.fuel.calls["deploy_changes"] == 1 and len(h.thread.said()) == 1


def test_following_the_deploy_edits_one_progress_line_and_ends_deployed() -> None:
    h = Harness()
    run = _run(h, _environment(h, deployed=False))
    deploy_changes.step_deploy_changes(run)
    deploy_changes.step_follow_deploy(run)
    # one message for the deploy: "started" kept, the progress line edited under it, "Deployed" kept last
    progress = [text for at, (kind, text) in enumerate(h.thread.lines) if kind == "progress:deploy"
                and at not in h.thread.kept]
    phase = [text for kind, text in h.thread.lines if kind == "progress:deploy"]
    assert progress[0].startswith("🚧 Deploying — ") and phase[-1].startswith("✅ Deployed — 100% · ")
    assert "node-" in progress[0] and "`lab1-controller-1`" in progress[0]
    assert run.data.deployed and h.progress[-1] == 100
    assert h.thread.said()[0].startswith("🚀 Deploy changes: Fuel task #") and "for 1 node(s)." in h.thread.said()[0]


def test_fuel_going_quiet_mid_deploy_is_said_once_and_the_deploy_still_followed() -> None:
    h = Harness()
    run = _run(h, _environment(h, deployed=False))
    deploy_changes.step_deploy_changes(run)
    # each poll reads the environment's tasks (the deploy and its subtasks in one answer)
    h.fuel.fail_next("tasks", FuelError("Cannot reach the Fuel master", retryable=True), times=3)
    deploy_changes.step_follow_deploy(run)
    quiet = [t for k, t in h.thread.lines if k == "progress:deploy" and t.startswith("⚠️ Fuel is not answering")]
    assert quiet == ["⚠️ Fuel is not answering (Cannot reach the Fuel master); still following the deploy, which "
                     "goes on on the master without us."]
    assert run.data.deployed


def test_an_operational_environment_with_nothing_pending_has_nothing_to_deploy() -> None:
    h = Harness()
    run = _run(h, _environment(h, deployed=True))
    deploy_changes.step_deploy_changes(run)
    assert h.thread.said() == ["✅ Nothing to deploy: `lab1` is operational and matches the spec."]
    assert run.data.deploy_task is None and h.fuel.calls["deploy_changes"] == 1


def test_cancel_stops_a_running_deploy_in_fuel() -> None:
    h = Harness()
    run = _run(h, _environment(h, deployed=False))
    deploy_changes.step_deploy_changes(run)
    stop = deploy_changes.stop_running_deploy(run)
    assert stop is not None and h.fuel.tasks_[stop].name is TaskName.STOP_DEPLOYMENT
    assert VOICE.stopped(stop) == (f"🛑 Cancel: asked Fuel to stop the deployment (Fuel stop_deployment task "
                                   f"#{stop}). Nodes go back to discover; nothing was deleted.")


# -- discovery -------------------------------------------------------------------------------------
def test_a_stranger_node_is_announced_once_and_left_alone() -> None:
    h = Harness()
    record = DeployRecord(vms=_vms(h))
    macs = record.vms["lab1-controller-1"].macs
    stranger = h.fuel.discover("52:54:00:12:34:56")
    ours = h.fuel.discover(macs[0], macs=macs)
    run = _run(h, record)
    deploy_fuel.step_discover(run)
    deploy_fuel.step_discover(run)                          # a rerun says nothing new
    assert h.thread.said() == [
        f"📡 Discovered by Fuel after 0s: node-{ours.id} ⇐ `lab1-controller-1` ({macs[0]})",
        f"👽 Unknown node on the PXE network: node-{stranger.id} (52:54:00:12:34:56) matches none of lab1's "
        "VMs; it is left alone."]
    assert run.data.nodes == {"lab1-controller-1": ours.id} and run.data.strangers == ["52:54:00:12:34:56"]
    assert h.clock.slept == 0


def test_discovery_waits_saying_what_it_waits_for_then_says_all_found() -> None:
    h = Harness()
    record = DeployRecord(vms=_vms(h))
    macs = record.vms["lab1-controller-1"].macs
    h.clock.on_sleep.append(lambda: h.clock.slept >= 6 and not h.fuel.nodes_ and h.fuel.discover(macs[0], macs=macs))
    deploy_fuel.step_discover(_run(h, record))
    waits = [t for k, t in h.thread.lines if k == "progress:discover"]
    assert waits[0] == "⏳ Waiting for Fuel to discover `lab1-controller-1` (0s)"
    assert waits[-1] == "📡 All 1 node(s) discovered (6s)"
    assert h.thread.said() == [f"📡 Discovered by Fuel after 6s: node-{h.fuel.nodes('unallocated')[0].id} ⇐ "
                               f"`lab1-controller-1` ({macs[0]})", "📡 All 1 node(s) discovered (6s)"]


def test_discovery_gives_up_at_its_deadline_with_what_to_check() -> None:
    h = Harness()
    with pytest.raises(StepFailed) as failed:
        deploy_fuel.step_discover(_run(h, DeployRecord(vms=_vms(h))))
    assert str(failed.value) == ("Fuel did not discover lab1-controller-1 within 30m 00s. Check in the VM console "
                                 "that it PXE-boots from `pxe` and that nothing else answers DHCP there.")
    assert h.clock.slept == pytest.approx(1800)


def test_a_cancel_while_waiting_for_discovery_stops_at_the_next_poll() -> None:
    h = Harness()
    h.clock.on_sleep.append(lambda: setattr(h, "stop", "cancel"))
    with pytest.raises(JobCancelled):
        deploy_fuel.step_discover(_run(h, DeployRecord(vms=_vms(h))))
    assert h.clock.slept <= 2.0


# -- verification ------------------------------------------------------------------------------------
def test_verification_is_skipped_with_one_node() -> None:
    h = Harness()
    deploy_fuel.step_verify(_run(h, _environment(h, deployed=False)))
    assert h.thread.said() == ["🔬 Network verification skipped: Fuel 6.0 verifies networks only with two nodes or "
                               "more (1 in `lab1`)."]
    assert h.fuel.calls["verify_networks"] == 0


def test_verification_is_skipped_when_no_node_is_new() -> None:
    h = Harness()
    deploy_fuel.step_verify(_run(h, _environment(h, deployed=True)))
    assert h.thread.said() == ["🔬 Network verification skipped: no new node to verify."]


def _two_nodes(h: Harness) -> DeployRecord:
    cinder = replace(h.lab.nodes[0], vm=replace(h.lab.nodes[0].vm, name="lab1-cinder-1"), roles=("cinder",))
    h.lab = replace(h.lab, nodes=(h.lab.nodes[0], NodeSpec(vm=cinder.vm, roles=cinder.roles)))
    record = _environment(h, deployed=False)
    macs = record.vms["lab1-cinder-1"].macs
    node = h.fuel.discover(macs[0], macs=macs)
    h.fuel.assign_roles(record.cluster_id, {node.id: ["cinder"]})
    record.nodes["lab1-cinder-1"] = node.id
    return record


def test_verification_passes_with_two_nodes() -> None:
    h = Harness()
    run = _run(h, _two_nodes(h))
    deploy_fuel.step_verify(run)
    assert h.thread.said() == ["🔬 Network verification passed (public 10.0.0.0/24, management 10.0.1.0/24, "
                               "storage 10.0.2.0/24, fixed 12.0.0.0/24)."]
    assert run.data.verify_task is None


def test_verification_failing_names_the_likely_cause_and_the_fix() -> None:
    h = Harness()
    h.fuel.verify_error = "Verification failed: VLAN 3 is not received on eth0"
    run = _run(h, _two_nodes(h))
    with pytest.raises(StepFailed) as failed:
        deploy_fuel.step_verify(run)
    assert str(failed.value).startswith("Network verification failed: Verification failed: VLAN 3 is not received")
    assert "port group `pxe` does not allow promiscuous mode" in str(failed.value)
    assert "`/fuel preflight lab1 --fix`" in (failed.value.hint or "") and failed.value.step == "verify_networks"


def _after_a_reset(h: Harness) -> DeployRecord:
    record = _two_nodes(h)
    _finish(h, h.fuel.deploy_changes(record.cluster_id).id)
    reset = h.fuel.reset(record.cluster_id)
    while not h.fuel.task(reset.id).done:          # the reset ends; the nodes are rebooting, offline
        pass
    assert not any(n.online for n in h.fuel.nodes_.values())
    return record


def test_after_a_reset_verification_waits_for_the_nodes_to_come_back_online() -> None:
    h = Harness()
    run = _run(h, _after_a_reset(h))
    deploy_fuel.step_verify(run)
    lines = [(kind, text) for kind, text in h.thread.lines]
    kind, waiting = lines[0]
    assert kind == "progress:online" and waiting.startswith("⏳ Waiting for node-")
    assert "to come back online before verifying networks" in waiting and "`lab1-cinder-1`" in waiting
    assert lines[-2][0] == "progress:online" and lines[-2][1].startswith("🔌 All 2 node(s) online")
    # kept in the environment's message, with its settings, networks, roles and interfaces
    assert lines[-1] == ("progress:environment", h.thread.said()[-1])
    assert lines[-1][1].startswith("🔬 Network verification passed")
    assert h.fuel.calls["verify_networks"] == 1


def test_nodes_that_stay_offline_fail_verification_without_blaming_promiscuous_mode() -> None:
    h = Harness()
    record = _after_a_reset(h)
    h.fuel.reboot_polls = 10**9
    for node_id in h.fuel.rebooting:
        h.fuel.rebooting[node_id] = 10**9
    with pytest.raises(StepFailed) as failed:
        deploy_fuel.step_verify(_run(h, record))
    assert "stayed offline" in str(failed.value) and "promiscuous" not in str(failed.value)
    assert h.fuel.calls["verify_networks"] == 0


def test_nodes_that_do_not_answer_verification_are_not_blamed_on_promiscuous_mode() -> None:
    h = Harness()
    h.fuel.verify_error = "Node(s) node-7 didn't return data."
    with pytest.raises(StepFailed) as failed:
        deploy_fuel.step_verify(_run(h, _two_nodes(h)))
    assert "promiscuous" not in str(failed.value) and "did not answer (offline or still booting)" in str(failed.value)
    assert "`/fuel nodes lab1`" in (failed.value.hint or "")


# -- vSphere side ----------------------------------------------------------------------------------
def test_preflight_does_not_block_on_port_groups_the_next_step_creates() -> None:
    h = Harness()
    deploy_vsphere.step_preflight(_run(h))
    (line,) = h.thread.said()
    assert line.splitlines()[0] == ("🔎 Preflight: 5 ok · 5 warning(s) · 0 failing · 5 port group(s) to create")
    assert "➕ port group `pxe` is missing; the next step creates it" in line
    assert ("⚠️ the Fuel master runs with feature groups mirantis; the lab needs experimental (environment.settings."
            "provisioning is image) Fix: the deploy sets them") in line


def test_preflight_stops_on_a_vm_fuelbot_did_not_create() -> None:
    h = Harness()
    h.vsphere.add_vm("lab1-controller-1", annotation="owned by the storage team")
    with pytest.raises(StepFailed, match=r"preflight found 1 problem\(s\): a VM named `lab1-controller-1`"):
        deploy_vsphere.step_preflight(_run(h))


def test_vms_are_created_then_found_on_a_rerun() -> None:
    h = Harness()
    h.vsphere.fix_portgroups(h.lab)
    run = _run(h)
    deploy_vsphere.step_create_vms(run)
    deploy_vsphere.step_create_vms(run)
    created, again = h.thread.said()
    vm = run.data.vms["lab1-controller-1"]
    assert created == ("🖥️ VMs created and powered on in `fuelbot/lab1` (network boot first):\n   • `lab1-controller-1` 1 vCPU · "
                       f"1024 MB · 16 GB · 5 NICs (pxe {vm.pxe_mac})")
    assert again == "🖥️ All 1 VM(s) of lab1 already exist and are powered on."
    assert vm.created is False and h.saved[-1]["vms"]["lab1-controller-1"]["macs"] == vm.macs


def test_following_a_deploy_reads_one_listing_a_poll_and_the_nodes_only_at_the_slow_cadence() -> None:
    h = Harness()
    h.fuel.step = 2                                    # fifty reads of a creeping percentage
    run = _run(h, _environment(h, deployed=False))
    deploy_changes.step_deploy_changes(run)
    before, started = dict(h.fuel.calls), h.clock.now
    deploy_changes.step_follow_deploy(run)
    calls = {name: h.fuel.calls[name] - before.get(name, 0) for name in ("tasks", "nodes", "task")}
    slowest = h.timeouts.max_poll
    assert calls["task"] == 0                          # the deploy and its subtasks come in the listing
    assert calls["nodes"] <= 1 + (h.clock.now - started) / slowest
    assert (h.clock.now - started) / calls["tasks"] > 3 * h.timeouts.poll    # the polls slowed down
    moves = [text for at, (kind, text) in enumerate(h.thread.lines) if kind == "progress:deploy"
             and at not in h.thread.kept]
    phase = [text for kind, text in h.thread.lines if kind == "progress:deploy"]
    assert len(moves) == calls["tasks"] and phase[-1].startswith("✅ Deployed — 100% · ")   # each move told
    assert run.data.deployed
