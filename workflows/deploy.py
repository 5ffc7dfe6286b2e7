"""``/fuel deploy <lab>``: the article, step by step, as a durable job."""
from __future__ import annotations

from core.errors import FuelbotError
from integrations.fuel.enums import ClusterStatus
from jobs.states import JobKind
from jobs.steps import Step
from jobs.voice import Ending
from workflows import deploy_changes, deploy_fuel as fuel_steps
from workflows import deploy_master as master_steps
from workflows import deploy_vsphere as vsphere_steps
from workflows.deploy_vsphere import DeployRun
from workflows.health import DEFAULT_TESTSETS, run_tests
from workflows.records import DeployRecord
from workflows.snapshot_sets import snapshot_before
from workflows.run import RunWorkflow
from workflows.voices.deploy import DeployOutcome, DeployVoice
from workflows.voices.deploy_facts import DeployFact, DeployHealthChecked, HealthSkipped

MINUTE, HOUR = 60.0, 3600.0


def step_snapshot_before(run: DeployRun) -> None:
    """A scale-out of a deployed environment: the whole-lab snapshot set the spec asks for first."""
    lab = run.lab
    if run.data.snapshot_before is not None or "scale_out" not in lab.snapshots.before:
        return
    cluster = run.fuel().find_cluster(lab.environment.name)
    have = {vm.name for vm in run.vsphere().vms()}
    if cluster is None or cluster.status is not ClusterStatus.OPERATIONAL or all(n.name in have for n in lab.nodes):
        return          # a first deploy, or a redeploy with no new node: nothing to scale out
    run.data.snapshot_before = snapshot_before(run, lab, "scale_out")
    run.save()


def step_health(run: DeployRun) -> None:
    """OSTF sanity and smoke on the freshly deployed environment."""
    if run.params.get("skip_health"):
        run.tell(HealthSkipped())
        return
    outcome = run_tests(run, run.lab, list(DEFAULT_TESTSETS))
    run.data.health = outcome.counts
    run.tell(DeployHealthChecked(outcome=outcome, job_id=run.job_id))


class DeployWorkflow(RunWorkflow[DeployRecord, DeployFact]):
    """Preflight → vSphere → Fuel master (VM, install, setup) → VMs → discovery → environment → settings → networks →
    roles → interfaces → verification → deploy changes → follow → health check."""

    kind = JobKind.DEPLOY
    record = DeployRecord
    voice = DeployVoice()

    def steps(self) -> list[Step[DeployRun]]:
        return [
            Step("preflight", "Preflight", vsphere_steps.step_preflight, deadline_seconds=5 * MINUTE),
            Step("portgroups", "vSphere port groups", vsphere_steps.step_portgroups, deadline_seconds=5 * MINUTE),
            Step("fuel_master", "Fuel master", master_steps.step_fuel_master, deadline_seconds=15 * MINUTE),
            Step("master_install", "Fuel master install", master_steps.step_master_install,
                 deadline_seconds=self.deps.timeouts.master_install + 15 * MINUTE),
            Step("master_setup", "Fuel master setup", master_steps.step_master_setup, deadline_seconds=30 * MINUTE),
            Step("snapshot_before", "Snapshot before scale-out", step_snapshot_before, deadline_seconds=HOUR),
            Step("create_vms", "Create VMs", vsphere_steps.step_create_vms, deadline_seconds=15 * MINUTE),
            Step("discover", "Node discovery", fuel_steps.step_discover, deadline_seconds=40 * MINUTE),
            Step("environment", "Create environment", fuel_steps.step_environment, deadline_seconds=5 * MINUTE),
            Step("settings", "Settings", fuel_steps.step_settings, deadline_seconds=5 * MINUTE),
            Step("networks", "Network settings", fuel_steps.step_networks, deadline_seconds=5 * MINUTE),
            Step("roles", "Assign roles", fuel_steps.step_roles, deadline_seconds=5 * MINUTE),
            Step("interfaces", "Configure interfaces", fuel_steps.step_interfaces, deadline_seconds=5 * MINUTE),
            Step("verify_networks", "Verify networks", fuel_steps.step_verify, deadline_seconds=20 * MINUTE),
            Step("deploy_changes", "Deploy changes", deploy_changes.step_deploy_changes, deadline_seconds=5 * MINUTE,
                 retries=0),
            Step("follow_deploy", "Deployment", deploy_changes.step_follow_deploy, deadline_seconds=5 * HOUR,
                 retries=30, backoff_seconds=5.0),
            Step("health", "Health check", step_health, deadline_seconds=HOUR),
        ]

    def on_finish(self, run: DeployRun, ending: Ending) -> None:
        try:
            environment = run.lab.environment
        except FuelbotError:  # the spec may be what failed; the message still goes out
            environment = None
        outcome = DeployOutcome(environment=environment, health=run.data.health,
                                deployed=run.data.deployed, failed_at=run.data.failed_stage,
                                horizon_url=run.data.horizon_url, fuel_ui_url=run.data.fuel_ui_url)
        run.post(self.voice.ended(run.ctx.job, ending, outcome))

    def on_cancel(self, run: DeployRun) -> None:
        run.report.say(self.voice.stopped(deploy_changes.stop_running_deploy(run)))
