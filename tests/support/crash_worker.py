"""A real fuelbot worker that dies by SIGKILL right after a chosen deploy step did its work.

The step's side effects (VMs created, environment created, deploy started, …) have happened,
but the runner has not recorded the step as done: the worst moment to crash. The test then
lets an ordinary `python app.py worker` take the job over.

    python -m tests.support.crash_worker STEP
"""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import replace

from app import build_runtime
from core.settings import Settings
from workflows.deploy import DeployWorkflow


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


def main(step: str) -> None:
    runtime = build_runtime(Settings.from_env())
    workflows = runtime.worker._runner._workflows
    runtime.worker._runner._workflows = {**workflows, "deploy": CrashingDeploy(workflows["deploy"].deps, step)}
    runtime.ticker.start()
    time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1])
