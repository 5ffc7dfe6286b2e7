"""What workflows need from the outside world, built once in ``wiring.py`` and handed to every run."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from sqlalchemy.orm import Session

from core.waiting import Clock, Sleep
from labspec.model import Lab
from labspec.problems import SpecProblem
from workflows.ports import FuelPort, MasterPort, VSpherePort


@dataclass(frozen=True)
class Timeouts:
    """Deadlines of the long waits (seconds of wall time)."""

    fuel_reachable: float = 600.0
    master_install: float = 3600.0      # ISO booted → every service up (a real 6.0 install: 20–40 min)
    discovery: float = 1800.0
    verify: float = 900.0
    deploy: float = 4 * 3600.0
    health: float = 3600.0
    snapshot: float = 3600.0        # Fuel building a diagnostic snapshot (shotgun over every node)
    poll: float = 2.0
    slowest: float = 10.0     # x poll: the slowest polling of a deploy while only its percentage moves

    @property
    def max_poll(self) -> float:
        """The slowest polling of a long wait (20 s at the default 2 s poll)."""
        return self.slowest * self.poll


@dataclass(frozen=True)
class WorkflowDeps:
    """Factories and settings every workflow run uses; ``clock``/``sleep`` drive its waits."""

    session_factory: Callable[[], Session]
    load_labs: Callable[[], tuple[Mapping[str, Lab], Sequence[SpecProblem]]]
    vsphere_factory: Callable[[Lab], VSpherePort]     # VSphereClient.connect in production
    fuel_factory: Callable[[Lab], FuelPort]           # FuelClient.from_master in production
    master_factory: Callable[[Lab], MasterPort]       # FuelMasterSetup.of in production (labs with master_vm)
    timeouts: Timeouts = Timeouts()
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    snapshot_dir: Path = Path("var/snapshots")      # where diagnostic snapshots are kept (FUELBOT_SNAPSHOT_DIR)
    snapshot_max_bytes: int = 1_000_000_000         # the largest one fuelbot downloads (FUELBOT_SNAPSHOT_MAX_MB)
    upload_max_bytes: int = 1_000_000_000           # the largest file shared in Slack (FUELBOT_UPLOAD_MAX_MB)
