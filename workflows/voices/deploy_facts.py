"""What a deploy's steps say happened, as typed facts; ``workflows/voices/deploy.py`` words them."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.fuel.diagnosis import Diagnosis
from integrations.vsphere.info import Change
from integrations.vsphere.preflight import Finding
from labspec.model import DistributedPortGroup, Environment, StandardPortGroup, VMSpec
from workflows.voices.health import HealthFinished, HealthOutcome, HealthRunning
from workflows.voices.master_facts import (BootByHand, BootMenuMissed, BootTyped, IsoDetached, MasterSetupProgress,
                                           MasterStarting, MasterUp)


# -- vSphere side --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreflightChecked:
    findings: tuple[Finding, ...]
    will_create: frozenset[str]


@dataclass(frozen=True)
class VSphereReady:
    pxe: DistributedPortGroup | None
    standard: tuple[StandardPortGroup, ...]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class MasterVmCreated:
    spec: VMSpec


@dataclass(frozen=True)
class MasterReachable:
    release: str
    url: str
    user: str


@dataclass(frozen=True)
class CreatedVm:
    spec: VMSpec
    pxe_mac: str | None


@dataclass(frozen=True)
class VmsCreated:
    lab: str
    pxe: str
    created: tuple[CreatedVm, ...]
    total: int
    folder: str = ""


@dataclass(frozen=True)
class HostsSkipped:
    hosts: tuple[str, ...]           # "DC0_C0_H1: disconnected"


# -- Fuel side -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoundNode:
    node_id: int
    vm: str
    mac: str


@dataclass(frozen=True)
class NodesDiscovered:
    nodes: tuple[FoundNode, ...]
    after: float


@dataclass(frozen=True)
class StrangerNode:
    node_id: int
    mac: str
    lab: str


@dataclass(frozen=True)
class DiscoveryWaiting:
    missing: tuple[str, ...]
    waited: float


@dataclass(frozen=True)
class AllDiscovered:
    count: int
    after: float


@dataclass(frozen=True)
class EnvironmentCreated:
    environment: Environment
    cluster_id: int
    vcenter_host: str


@dataclass(frozen=True)
class EnvironmentExists:
    name: str
    cluster_id: int
    status: str


@dataclass(frozen=True)
class SettingsMatch:
    provisioning: str
    syslog_host: str | None


@dataclass(frozen=True)
class SettingsLocked:
    changed: tuple[str, ...]


@dataclass(frozen=True)
class SettingsApplied:
    provisioning: str
    syslog_host: str | None
    changed: int


@dataclass(frozen=True)
class NetworksMatch:
    networks: tuple[tuple[str, str], ...]     # (name, cidr)


@dataclass(frozen=True)
class NetworksLocked:
    pass


@dataclass(frozen=True)
class NetworksConfigured:
    networks: tuple[tuple[str, str], ...]
    manager: str


@dataclass(frozen=True)
class RolesAssigned:
    assignments: tuple[tuple[int, str, tuple[str, ...]], ...]   # (node id, VM, roles)


@dataclass(frozen=True)
class MappedInterface:
    name: str
    mac: str | None
    networks: tuple[str, ...]


@dataclass(frozen=True)
class InterfacesMapped:
    nodes: tuple[tuple[int, tuple[MappedInterface, ...]], ...]


@dataclass(frozen=True)
class VerificationSkipped:
    nodes: int | None                  # None: no new node; else how many the environment has (< 2)
    environment: str = ""


@dataclass(frozen=True)
class NodesOffline:
    """Nodes of the environment that Fuel lists offline (rebooting after a reset) before verification."""

    nodes: tuple[str, ...]             # "node-7 `lab1-controller-1`"
    waited: float


@dataclass(frozen=True)
class NodesOnline:
    count: int
    after: float


@dataclass(frozen=True)
class VerificationPassed:
    networks: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DeployAdopted:
    task_id: int


@dataclass(frozen=True)
class NothingToDeploy:
    environment: str


@dataclass(frozen=True)
class DeployStarted:
    task_id: int
    nodes: int


@dataclass(frozen=True)
class DeployProgress:
    percent: int
    subtasks: tuple[tuple[str, int, str], ...]          # (name, progress, status)
    nodes: tuple[tuple[str, str, int, str], ...]        # (label, roles, progress, status)
    elapsed: float


@dataclass(frozen=True)
class FuelSilent:
    error: str


@dataclass(frozen=True)
class DeployFailed:
    """Fuel's deploy task ended in error; ``diagnosis`` is what Fuel says about it."""

    diagnosis: Diagnosis
    job_id: int


@dataclass(frozen=True)
class Deployed:
    elapsed: float


@dataclass(frozen=True)
class HealthSkipped:
    pass


@dataclass(frozen=True)
class DeployHealthChecked:
    outcome: HealthOutcome
    job_id: int


DeployFact = (PreflightChecked | VSphereReady | MasterVmCreated | MasterReachable | VmsCreated | HostsSkipped
              | NodesDiscovered | StrangerNode | DiscoveryWaiting | AllDiscovered | EnvironmentCreated | EnvironmentExists
              | SettingsMatch | SettingsLocked | SettingsApplied | NetworksMatch | NetworksLocked
              | NetworksConfigured | RolesAssigned | InterfacesMapped | VerificationSkipped | NodesOffline
              | NodesOnline | VerificationPassed
              | DeployAdopted | NothingToDeploy | DeployStarted | DeployProgress | FuelSilent | DeployFailed
              | Deployed | HealthSkipped | DeployHealthChecked | HealthRunning | HealthFinished
              | BootTyped | BootByHand | BootMenuMissed | MasterStarting | MasterUp | IsoDetached | MasterSetupProgress)
