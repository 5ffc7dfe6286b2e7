"""Fuel's status and kind strings, turned into enums at the client's edge.

Nothing outside ``integrations.fuel`` compares Fuel strings; it compares these members.
Each enum lists the Fuel 6.0 values (and the few later ones worth naming); any other string a
later release sends maps to ``UNKNOWN`` instead of crashing the parser, and the raw value is
logged once so that someone can add it.
"""
from __future__ import annotations

import logging
from enum import StrEnum
from typing import TypeVar

log = logging.getLogger(__name__)
_reported: set[tuple[str, str]] = set()

E = TypeVar("E", bound="FuelEnum")


class FuelEnum(StrEnum):
    """Base for Fuel enums: unknown values become ``UNKNOWN`` (every subclass defines it)."""

    @classmethod
    def _missing_(cls, value: object) -> "FuelEnum":
        key = (cls.__name__, str(value))
        if key not in _reported:  # once per value: a poller would otherwise log it every tick
            _reported.add(key)
            log.warning("Fuel sent %s=%r, which this client does not know; treating it as unknown",
                        cls.__name__, value)
        return cls["UNKNOWN"]

    @classmethod
    def parse(cls: type[E], value: object) -> E | None:
        """Return the member for ``value``; ``None`` (Fuel's null) stays ``None``."""
        if value is None or value == "":
            return None
        return cls(str(value))


class ClusterStatus(FuelEnum):
    """An environment's status (Nailgun ``CLUSTER_STATUSES``)."""

    NEW = "new"
    DEPLOYMENT = "deployment"
    STOPPED = "stopped"
    OPERATIONAL = "operational"
    ERROR = "error"
    REMOVE = "remove"
    UPDATE = "update"
    UPDATE_ERROR = "update_error"
    PARTIALLY_DEPLOYED = "partially_deployed"  # 8.0+
    UNKNOWN = "unknown"


class NodeStatus(FuelEnum):
    """A node's status; normally discover → provisioning → provisioned → deploying → ready."""

    DISCOVER = "discover"
    PROVISIONING = "provisioning"
    PROVISIONED = "provisioned"
    DEPLOYING = "deploying"
    READY = "ready"
    ERROR = "error"
    REMOVING = "removing"  # 6.1+
    UNKNOWN = "unknown"


class NodeErrorType(FuelEnum):
    """Why a node is in ``error``."""

    PROVISION = "provision"
    DEPLOY = "deploy"
    DELETION = "deletion"
    DISCOVER = "discover"  # 8.0+
    UNKNOWN = "unknown"


class TaskStatus(FuelEnum):
    """A task's status; ``READY`` and ``ERROR`` are final."""

    RUNNING = "running"
    READY = "ready"
    ERROR = "error"
    PENDING = "pending"  # 8.0+
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        """Whether the task has finished, successfully or not."""
        return self in (TaskStatus.READY, TaskStatus.ERROR)


class TaskName(FuelEnum):
    """What a task does (Nailgun ``TASK_NAMES``)."""

    SUPER = "super"
    DEPLOY = "deploy"
    PROVISION = "provision"
    DEPLOYMENT = "deployment"
    NODE_DELETION = "node_deletion"
    CHECK_BEFORE_DEPLOYMENT = "check_before_deployment"
    CHECK_NETWORKS = "check_networks"
    STOP_DEPLOYMENT = "stop_deployment"
    RESET_ENVIRONMENT = "reset_environment"
    UPDATE = "update"
    CLUSTER_DELETION = "cluster_deletion"
    VERIFY_NETWORKS = "verify_networks"
    CHECK_DHCP = "check_dhcp"
    MULTICAST_VERIFICATION = "multicast_verification"
    VERIFY_NETWORK_CONNECTIVITY = "verify_network_connectivity"
    DUMP = "dump"
    CAPACITY_LOG = "capacity_log"
    UNKNOWN = "unknown"


class TestStatus(FuelEnum):
    """One OSTF test's status."""

    __test__ = False  # not a pytest test class, whatever its name says

    WAIT_RUNNING = "wait_running"
    RUNNING = "running"
    SUCCESS = "success"
    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"
    STOPPED = "stopped"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


class TestRunStatus(FuelEnum):
    """An OSTF test run's status."""

    __test__ = False

    RUNNING = "running"
    FINISHED = "finished"
    UNKNOWN = "unknown"


class NetProvider(FuelEnum):
    """The environment's network provider; also the last segment of the network config URL."""

    NOVA_NETWORK = "nova_network"
    NEUTRON = "neutron"
    UNKNOWN = "unknown"


class Mode(FuelEnum):
    """The environment's deployment mode."""

    HA_COMPACT = "ha_compact"
    MULTINODE = "multinode"
    HA_FULL = "ha_full"
    UNKNOWN = "unknown"
