"""Which workflow runs which job kind."""
from __future__ import annotations

from jobs.states import JobKind
from jobs.steps import Workflow
from workflows.deploy import DeployWorkflow
from workflows.digest import DigestWorkflow
from workflows.health import HealthWorkflow
from workflows.inspect import NodesWorkflow, PlanWorkflow, PreflightWorkflow, StatusWorkflow
from workflows.teardown import DestroyWorkflow, ResetWorkflow


def workflows() -> dict[str, Workflow]:
    """Every job kind mapped to its workflow (a test checks none is missing)."""
    return {
        JobKind.DEPLOY.value: DeployWorkflow(),
        JobKind.PREFLIGHT.value: PreflightWorkflow(),
        JobKind.PLAN.value: PlanWorkflow(),
        JobKind.HEALTH.value: HealthWorkflow(),
        JobKind.STATUS.value: StatusWorkflow(),
        JobKind.NODES.value: NodesWorkflow(),
        JobKind.DIGEST.value: DigestWorkflow(),
        JobKind.DESTROY.value: DestroyWorkflow(),
        JobKind.RESET.value: ResetWorkflow(),
    }
