"""Destroy (the Fuel environment and the lab's node VMs, nothing else) and reset (Fuel's reset)."""
from __future__ import annotations

from core.errors import FuelError
from integrations.fuel.enums import TaskName, TaskStatus
from integrations.fuel.models import Cluster
from jobs.record import JobRecord
from jobs.states import JobKind
from jobs.steps import Step
from jobs.voice import Ending
from workflows.oneshot import OneShotWorkflow
from workflows.records import ResetRecord
from workflows.run import Run, RunWorkflow
from workflows.snapshot_sets import snapshot_before
from workflows.vm_ledger import VmLedger, strays
from workflows.voices.teardown import (DestroyFact, DestroyVoice, EnvironmentDeleted, EnvironmentReset,
                                       NoEnvironment, ResetVoice, VmsDeleted, deletion_timed_out, nothing_to_reset,
                                       reset_failed)

DestroyRun = Run[JobRecord, DestroyFact]


def step_delete_environment(run: DestroyRun) -> None:
    lab = run.lab
    api = run.fuel()
    cluster = api.find_cluster(lab.environment.name)
    if cluster is None:
        run.tell(NoEnvironment(name=lab.environment.name))
        return
    api.delete_cluster(cluster.id)

    def gave_up(_: Cluster | None, __: FuelError | None) -> Exception:
        return deletion_timed_out(cluster.name)

    run.follow(lambda: api.find_cluster(lab.environment.name), done=lambda found: found is None,
               state=lambda found: found.status if found else None,
               describe=lambda _: f"Fuel to delete environment `{cluster.name}`", timeout=run.deps.timeouts.deploy,
               error=FuelError, max_poll=run.deps.timeouts.poll, give_up=gave_up)
    run.tell(EnvironmentDeleted(name=cluster.name, cluster_id=cluster.id))


def step_destroy_vms(run: DestroyRun) -> None:
    """Delete the VMs fuelbot recorded for the lab, each only while it matches its record; forget them."""
    lab = run.lab
    client = run.vsphere()
    ledger = VmLedger.of(run.deps.session_factory, lab, client)
    records = ledger.owned()
    moved = [(r.name, f"it was recorded in folder `{r.folder}`, and the lab's folder is now `{ledger.folder}`")
             for r in records if r.folder != ledger.folder]     # a spec's vcenter.folder edited since the deploy
    here = [r for r in records if r.folder == ledger.folder]
    outcomes = client.destroy_owned(lab.name, here) if here else []
    ledger.forget(o.name for o in outcomes if o.action in ("deleted", "gone"))
    left = strays(lab, client.vms(), ledger.owned())
    run.tell(VmsDeleted(lab=lab.name, folder=ledger.folder,
                        deleted=tuple(o.name for o in outcomes if o.action == "deleted"),
                        gone=tuple(o.name for o in outcomes if o.action == "gone"),
                        refused=tuple(moved) + tuple((o.name, o.reason) for o in outcomes if o.action == "refused"),
                        strays=tuple(vm.name for vm in left)))


class DestroyWorkflow(RunWorkflow[JobRecord, DestroyFact]):
    """Delete the lab's Fuel environment and node VMs."""

    kind = JobKind.DESTROY
    record = JobRecord
    voice = DestroyVoice()

    def steps(self) -> list[Step[DestroyRun]]:
        return [Step("delete_environment", "Delete the Fuel environment", step_delete_environment,
                     deadline_seconds=3600),
                Step("destroy_vms", "Delete the VMs", step_destroy_vms, deadline_seconds=900)]

    def on_finish(self, run: DestroyRun, ending: Ending) -> None:
        run.post(self.voice.ended(run.ctx.job, ending))


class ResetWorkflow(OneShotWorkflow[ResetRecord, EnvironmentReset]):
    """Fuel's reset of the environment: nodes back to discover, settings kept (a snapshot set first, if the
    spec's ``snapshots.before`` says so)."""

    kind, title, deadline_seconds = JobKind.RESET, "Reset", 3600.0
    record = ResetRecord
    voice = ResetVoice()

    def steps(self) -> list[Step[Run[ResetRecord, EnvironmentReset]]]:
        return [Step("snapshot_before", "Snapshot before reset", self.snapshot_first, deadline_seconds=3600.0),
                *super().steps()]

    @staticmethod
    def snapshot_first(run: Run[ResetRecord, EnvironmentReset]) -> None:
        lab = run.lab
        if run.data.snapshot_before is None and "reset" in lab.snapshots.before \
                and run.fuel().find_cluster(lab.environment.name) is not None:
            run.data.snapshot_before = snapshot_before(run, lab, "reset")
            run.save()

    def run(self, run: Run[ResetRecord, EnvironmentReset]) -> None:
        lab = run.lab
        api = run.fuel()
        cluster = api.find_cluster(lab.environment.name)
        if cluster is None:
            raise nothing_to_reset(lab.name, lab.environment.name)
        task_id = run.data.reset_task
        if task_id is None:
            # After a crash between Fuel's answer and our save, the reset is already running.
            running = [t for t in api.tasks(cluster.id)
                       if t.name is TaskName.RESET_ENVIRONMENT and t.status is TaskStatus.RUNNING]
            task_id = running[0].id if running else api.reset(cluster.id).id
            run.data.reset_task = task_id
            run.save()
        task = run.follow_task(api, task_id, timeout=run.deps.timeouts.deploy)
        if task.status is TaskStatus.ERROR:
            raise reset_failed(cluster.name, task.message)
        run.headline = self.voice.headline(EnvironmentReset(lab=lab.name, environment=cluster.name))
