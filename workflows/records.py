"""What each workflow remembers between steps and runs, typed (``jobs.record`` reads and writes them).

The JSON keys are the ones fuelbot has always written, so jobs in flight across an upgrade
resume where they were.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobs.record import Codec, JobRecord


@dataclass
class NodeVm:
    """A lab VM as the deploy created or found it: its MACs (NIC order) and the one on PXE."""

    macs: list[str]
    pxe_mac: str | None = None
    created: bool = False

    @classmethod
    def from_json(cls, raw: Any) -> "NodeVm":
        return cls(macs=[str(m) for m in raw.get("macs") or []], pxe_mac=raw.get("pxe_mac"),
                   created=bool(raw.get("created", False)))

    def to_json(self) -> dict[str, Any]:
        return {"macs": list(self.macs), "pxe_mac": self.pxe_mac, "created": self.created}


@dataclass
class MasterProgress:
    """Where the Fuel master's install and setup stand, so that a crash resumes them where they were."""

    new: bool = False                  # fuelbot created the master's VM: it installs from the ISO
    powered_at: float | None = None    # wall clock of the install's power-on (the ISO menu waits 30 s)
    typed: bool = False                # the boot parameters were typed at the ISO menu
    installed: bool = False            # the install was followed to its end and the ISO detached
    cobbler_due: bool = False          # a fresh install or a feature-group change: cobbler sync still to run

    @classmethod
    def from_json(cls, raw: Any) -> "MasterProgress":
        return cls(new=bool(raw.get("new")), powered_at=raw.get("powered_at"), typed=bool(raw.get("typed")),
                   installed=bool(raw.get("installed")), cobbler_due=bool(raw.get("cobbler_due")))

    def to_json(self) -> dict[str, Any]:
        return {"new": self.new, "powered_at": self.powered_at, "typed": self.typed, "installed": self.installed,
                "cobbler_due": self.cobbler_due}


MASTER = Codec(read=MasterProgress.from_json, write=lambda progress: progress.to_json())
VMS = Codec(read=lambda raw: {str(name): NodeVm.from_json(vm) for name, vm in dict(raw).items()},
            write=lambda vms: {name: vm.to_json() for name, vm in vms.items()})
NODE_IDS = Codec(read=lambda raw: {str(name): int(node) for name, node in dict(raw).items()},
                 write=dict)


@dataclass
class HealthRecord(JobRecord):
    """A health check: the OSTF runs it started (or rejoined), so a restart follows them."""

    health_runs: list[int] = field(default_factory=list)


@dataclass
class DeployRecord(HealthRecord):
    """A deploy: the master's install, VMs and their MACs, Fuel's node ids, the environment, Fuel's task ids,
    the outcome."""

    master: MasterProgress = field(default_factory=MasterProgress, metadata={"codec": MASTER})
    vms: dict[str, NodeVm] = field(default_factory=dict, metadata={"codec": VMS})
    nodes: dict[str, int] = field(default_factory=dict, metadata={"codec": NODE_IDS})
    strangers: list[str] = field(default_factory=list)
    discover_waited: bool = False
    cluster_id: int | None = None
    verify_task: int | None = None
    deploy_task: int | None = None
    deploy_started: float | None = None    # wall clock (a resumed job measures from the same start)
    notifications_seen: int | None = None  # Fuel's newest notification before Deploy Changes was pressed
    failed_stage: str | None = None        # what Fuel says failed ("provisioning"), for the parent message
    deployed: bool = False
    health: str | None = None               # the health summary line, for the parent message
    horizon_url: str | None = None          # where the cloud is, as the Fuel UI says it (parent message)
    fuel_ui_url: str | None = None
    snapshot_before: int | None = None      # the automatic snapshot set taken before a scale-out

    def vm_names_by_node(self) -> dict[int, str]:
        return {node: name for name, node in self.nodes.items()}


@dataclass
class MasterRecord(JobRecord):
    """``/fuel master --fix``: the setup's progress (cobbler sync still due after a feature-group change)."""

    master: MasterProgress = field(default_factory=MasterProgress, metadata={"codec": MASTER})


@dataclass
class ResetRecord(JobRecord):
    """A reset: Fuel's reset task, so a restart follows it instead of resetting twice."""

    reset_task: int | None = None
    snapshot_before: int | None = None      # the automatic snapshot set taken before the reset


@dataclass
class SnapshotRecord(JobRecord):
    """A snapshot set being taken: its row, so a restart goes on with the VMs not yet snapshotted."""

    snapshot_id: int | None = None


@dataclass
class RollbackRecord(HealthRecord):
    """A rollback: the VMs reverted so far (a restart reverts only the rest) and whether Fuel matched."""

    reverted: list[str] = field(default_factory=list)
    fuel_as_before: bool | None = None
    health: str | None = None               # the health summary line, for the parent message


@dataclass
class BackupRecord(JobRecord):
    """A master backup: the archive ``dockerctl backup`` wrote (a restart does not back up twice)."""

    path: str | None = None
    size_bytes: int | None = None


@dataclass
class DiagnosticRecord(JobRecord):
    """A diagnostic snapshot: Fuel's dump task (a restart follows it), then the file fuelbot downloaded."""

    snapshot_task: int | None = None
    snapshot_path: str | None = None       # on fuelbot's host; the tarball holds the lab's passwords
    snapshot_bytes: int | None = None
    snapshot_shared: bool = False          # queued for the job's thread (a re-run step does not share it twice)
