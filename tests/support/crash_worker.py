"""A real fuelbot worker that dies by SIGKILL right after a chosen deploy step did its work.

The step's side effects (VMs created, environment created, deploy started, …) have happened,
but the runner has not recorded the step as done: the worst moment to crash. The test then
lets an ordinary `python app.py worker` take the job over.

    python -m tests.support.crash_worker STEP
    python -m tests.support.crash_worker master:METHOD    # inside the master's setup, right after
                                                          # that MasterPort method changed the master
    python -m tests.support.crash_worker create_vms:created   # see below

``create_vms:created`` dies inside create_vms as soon as vCenter has made the first VM, before
fuelbot records its moref: only the plan (its instance UUID) is in the database.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import replace

from typing import Any

from wiring import build_runtime
from core.settings import Settings
from workflows.deploy import DeployWorkflow
from workflows.deps import WorkflowDeps
from workflows.ports import MasterPort

MID_CREATION = "create_vms:created"


class CrashingDeploy(DeployWorkflow):
    def __init__(self, deps, step: str) -> None:
        super().__init__(deps)
        self.crash_step = step

    def steps(self):
        def crash_after(run):
            def wrapped(step_run):
                run(step_run)
                os.kill(os.getpid(), signal.SIGKILL)
            return wrapped
        return [replace(s, run=crash_after(s.run)) if s.name == self.crash_step else s
                for s in super().steps()]


class CrashingMaster:
    """The real master port, but the process dies right after ``method`` returns (its change made)."""

    def __init__(self, inner: MasterPort, method: str) -> None:
        self.inner, self.method = inner, method

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name != self.method:
            return attribute

        def then_die(*args: Any, **kwargs: Any) -> Any:
            attribute(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        return then_die


def dying_when_a_vm_is_made(deps: WorkflowDeps) -> WorkflowDeps:
    """The deps with vSphere clients whose provision kills the process as the first VM exists."""
    def factory(lab):
        client = deps.vsphere_factory(lab)
        provision = client.provision

        def provision_and_die(lab, plans, *, on_created=None, **kw):
            return provision(lab, plans, on_created=lambda owned: os.kill(os.getpid(), signal.SIGKILL), **kw)

        client.provision = provision_and_die
        return client
    return replace(deps, vsphere_factory=factory)


def main(step: str) -> None:
    runtime = build_runtime(Settings.from_env())
    workflows = runtime.worker._runner._workflows
    deps = workflows["deploy"].deps
    if step.startswith("master:"):
        real = deps.master_factory
        deps = replace(deps, master_factory=lambda lab: CrashingMaster(real(lab), step.split(":", 1)[1]))
        deploy = DeployWorkflow(deps)
    elif step == MID_CREATION:
        deploy = DeployWorkflow(dying_when_a_vm_is_made(deps))
    else:
        deploy = CrashingDeploy(deps, step)
    runtime.worker._runner._workflows = {**workflows, "deploy": deploy}
    runtime.ticker.start()
    time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1])
