"""What Fuel says went wrong with a failed task, told once by the job that met it.

``explain`` gathers the diagnosis (``integrations.fuel.diagnosis``) with our VM names, records it
as the job's ``diagnosis`` event (the job page shows its detail and log excerpts in full) and
hands it back for the thread. ``notification_mark`` is read before pressing a button in Fuel, so
that the notifications of older failures are left out of the next diagnosis.
"""
from __future__ import annotations

from typing import Any, Mapping

from core.errors import FuelError
from integrations.fuel.diagnosis import Diagnosis, diagnose
from integrations.fuel.models import Task
from workflows.ports import FuelPort
from workflows.run import Run


def notification_mark(fuel: FuelPort) -> int | None:
    """The newest notification's id now (0 when there is none; None when Fuel cannot say)."""
    try:
        return max((n.id for n in fuel.notifications()), default=0)
    except FuelError:
        return None


def explain(run: Run[Any, Any], fuel: FuelPort, task: Task, *, vm_names: Mapping[int, str],
            since_notification: int | None = None) -> Diagnosis:
    """Fuel's diagnosis of the failed ``task``, recorded for the job page."""
    diagnosis = diagnose(fuel, task, vm_names=vm_names, since_notification=since_notification)
    culprits = ", ".join(f"node-{n.id}" for n in diagnosis.nodes) or "no node named"
    run.note("diagnosis", f"{diagnosis.stage.value} failed ({culprits}): {diagnosis.cause}"[:500],
             diagnosis.to_event_data())
    return diagnosis
