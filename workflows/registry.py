"""Which workflow runs which job kind: each workflow declares its ``JobKind``; this lists them once."""
from __future__ import annotations

from typing import Any

from jobs.steps import Workflow
from workflows.adopt import AdoptWorkflow
from workflows.backup_master import BackupMasterWorkflow, BackupsWorkflow
from workflows.deploy import DeployWorkflow
from workflows.deps import WorkflowDeps
from workflows.diagnostic import DiagnosticWorkflow
from workflows.digest import DigestWorkflow
from workflows.health import HealthWorkflow
from workflows.inspect import NodesWorkflow, PlanWorkflow, PreflightWorkflow, StatusWorkflow
from workflows.logs import LogsWorkflow
from workflows.power import PowerOffWorkflow
from workflows.rollback import RollbackWorkflow
from workflows.master import MasterWorkflow
from workflows.run import RunWorkflow
from workflows.snapshots import SnapshotWorkflow
from workflows.teardown import DestroyWorkflow, ResetWorkflow

WORKFLOWS: tuple[type[RunWorkflow[Any, Any]], ...] = (
    DeployWorkflow, PreflightWorkflow, PlanWorkflow, HealthWorkflow, StatusWorkflow, NodesWorkflow,
    DigestWorkflow, DestroyWorkflow, ResetWorkflow, LogsWorkflow, DiagnosticWorkflow, SnapshotWorkflow,
    RollbackWorkflow, PowerOffWorkflow, MasterWorkflow, AdoptWorkflow, BackupMasterWorkflow, BackupsWorkflow)


def workflows(deps: WorkflowDeps) -> dict[str, Workflow[Any]]:
    """Every job kind's value mapped to its workflow (a test checks each kind has exactly one)."""
    registry: dict[str, Workflow[Any]] = {}
    for workflow in WORKFLOWS:
        if workflow.kind.value in registry:
            raise ValueError(f"two workflows declare job kind {workflow.kind.value!r}")
        registry[workflow.kind.value] = workflow(deps)
    return registry
