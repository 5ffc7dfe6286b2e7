"""SQLAlchemy 2.0 typed models: the database is fuelbot's source of truth.

One module per topic, every name importable from here (``from store.models import Job``), and
importing this package registers every table on ``Base.metadata`` (what Alembic compares):

- ``jobs``: jobs and their audit trail (job_events);
- ``outbox``: the Slack outbox (every message fuelbot sends, so nothing is lost across restarts
  or 429s), the files it shares (outbox_files) and the rate budgets every replica spends from;
- ``schedules``: schedules and their fires (exactly once per fire time across replicas);
- ``observations``: lab observations (for digests), the observation tick's lab states, health
  runs (for comparisons), announced nodes (discovery watch announces each MAC once);
- ``ownership``: the VMs fuelbot created (the only VMs destroy may delete) and the Fuel masters'
  SSH host keys (recorded on first contact, checked on every later one);
- ``sharing``: confirmations (a destructive button works once), leases and their queue
  (lab_leases, lease_waiters), requests awaiting a confirmation or a second person (approvals);
- ``snapshots``: whole-lab snapshot sets and each VM's snapshot in them (lab_snapshots,
  lab_snapshot_vms).
"""
from __future__ import annotations

from store.models.base import NAMING, Base
from store.models.jobs import Job, JobEvent
from store.models.observations import AnnouncedNode, HealthRun, LabObservation, LabState
from store.models.outbox import OutboxFile, OutboxMessage, RateBudget
from store.models.ownership import MasterHostKey, VMOwnership
from store.models.schedules import Schedule, ScheduleFire
from store.models.sharing import Approval, Confirmation, LabLease, LeaseWaiter
from store.models.snapshots import LabSnapshot, LabSnapshotVm

__all__ = ["NAMING", "AnnouncedNode", "Approval", "Base", "Confirmation", "HealthRun", "Job", "JobEvent",
           "LabLease", "LabObservation", "LabSnapshot", "LabSnapshotVm", "LabState", "LeaseWaiter", "MasterHostKey",
           "OutboxFile", "OutboxMessage", "RateBudget", "Schedule", "ScheduleFire", "VMOwnership"]
