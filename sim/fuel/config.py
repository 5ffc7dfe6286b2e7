"""How a Fuel simulator is configured: speed, credentials, timings and the vCenter to watch.

All durations are *simulated* seconds (divided by ``speed`` to get wall time) except
``token_ttl`` and ``tick_interval``, which are wall seconds because they concern the HTTP
clients, not the simulated lab. With ``master_vm`` set, the master follows that VM in vCenter:
it installs when the VM boots the ISO, boots from its disk otherwise, and is down while the VM
is off (see :mod:`sim.fuel.master`). The defaults give the timing shape of a real 6.0 master at
``speed=1``: a controller + compute deploy takes about a minute, a VM shows up as a node a
minute and a half after it powers on.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

DEFAULT_SPEED = 1.0


@dataclass(frozen=True)
class Timings:
    """Simulated durations (seconds at speed 1) of the things Astute does."""

    provision: float = 25.0          # one node, discover -> provisioned
    deploy_controller: float = 20.0  # controllers deploy first ...
    deploy_other: float = 12.0       # ... then everything else, in parallel
    node_deletion: float = 10.0
    verify: float = 12.0             # verify_networks, running -> ready/error
    stop: float = 5.0
    reset: float = 10.0
    cluster_deletion: float = 10.0
    dump: float = 15.0               # the logs package (shotgun over every node), running -> ready
    ostf_scale: float = 1.0          # multiplies every OSTF test duration


@dataclass(frozen=True)
class SimConfig:
    """Everything a :class:`~sim.fuel.simulator.FuelSimulator` can be told."""

    speed: float = DEFAULT_SPEED
    admin_user: str = "admin"
    admin_password: str = field(default="admin", repr=False)
    admin_tenant: str = "admin"
    auth_required: bool = True
    token_ttl: float = 3600.0                 # wall seconds a Keystone token lives
    # What a fresh 6.0 GA master lists in /etc/fuel/version.yaml (fuel-main iso/module.mk writes the
    # ISO's FEATURE_GROUPS there; Mirantis' ISO ships "mirantis" only; the article adds "experimental").
    feature_groups: tuple[str, ...] = ("mirantis",)
    root_password: str = field(default="r00tme", repr=False)   # fuel-main iso/ks.template: rootpw r00tme
    installed: bool = True                    # the master (or its VM's disk) holds an install at start
    install_time: float = 1800.0              # ISO boot menu left -> API answering (a real one: 20-40 min)
    boot_time: float = 240.0                  # power-on from disk -> API answering (CentOS + containers)
    restart_time: float = 10.0                # ``dockerctl restart <container>`` until it serves again
    master_vm: str | None = None              # the VM in the watched vCenter that *is* this master
    vcenter_url: str | None = None            # e.g. http://127.0.0.1:8989/sdk
    vcenter_user: str | None = None
    vcenter_password: str | None = field(default=None, repr=False)
    pxe_portgroup: str = "pxe"
    boot_delay: float = 90.0                  # power-on -> PXE -> bootstrap -> agent registers
    agent_interval: float = 60.0              # nailgun-agent cron period
    offline_after: float = 180.0              # Nailgun marks a silent node offline
    forget_after: float = 600.0               # a destroyed VM's unallocated node disappears
    timings: Timings = Timings()
    tick_interval: float = 0.05               # wall seconds between background advances
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0, got {self.speed!r}")

    def with_changes(self, **changes: Any) -> "SimConfig":
        """A copy with ``changes`` applied (``timings`` may be given as a dict of overrides)."""
        timings = changes.pop("timings", None)
        if isinstance(timings, Mapping):
            changes["timings"] = replace(self.timings, **timings)
        elif timings is not None:
            changes["timings"] = timings
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> "SimConfig":
        """Read ``FUELSIM_SPEED`` from ``environ`` (the caller passes ``os.environ``)."""
        values: dict[str, Any] = {}
        if environ.get("FUELSIM_SPEED"):
            values["speed"] = float(environ["FUELSIM_SPEED"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_changes(**values)
