"""Fuel's status strings become enums at the client's edge; unknown ones become UNKNOWN."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.fuel.enums import (ClusterStatus, FuelEnum, Mode, NetProvider, NodeErrorType,
                                     NodeStatus, TaskName, TaskStatus, TestRunStatus, TestStatus)

FUEL_60_VALUES = {
    ClusterStatus: ["new", "deployment", "stopped", "operational", "error", "remove", "update",
                    "update_error"],
    NodeStatus: ["discover", "provisioning", "provisioned", "deploying", "ready", "error"],
    NodeErrorType: ["provision", "deploy", "deletion"],
    TaskStatus: ["running", "ready", "error"],
    TaskName: ["super", "deploy", "provision", "deployment", "node_deletion",
               "check_before_deployment", "check_networks", "stop_deployment", "reset_environment",
               "update", "cluster_deletion", "verify_networks", "check_dhcp",
               "multicast_verification", "verify_network_connectivity", "dump", "capacity_log"],
    TestStatus: ["wait_running", "running", "success", "failure", "error", "skipped", "stopped",
                 "disabled"],
    TestRunStatus: ["running", "finished"],
    NetProvider: ["nova_network", "neutron"],
    Mode: ["ha_compact", "multinode", "ha_full"],
}
ENUMS = list(FUEL_60_VALUES)


@pytest.mark.parametrize("enum, value", [(e, v) for e, values in FUEL_60_VALUES.items() for v in values])
def test_every_60_value_maps_to_its_own_member(enum: type[FuelEnum], value: str) -> None:
    member = enum(value)
    assert member.value == value and member is not enum.UNKNOWN


@pytest.mark.parametrize("enum, later", [
    (NodeStatus, "stopped"),            # 7.0 node status
    (TaskName, "spawn_vms"),            # 7.0 task
    (TaskName, "create_stats_user"),    # 7.0 task
    (TestRunStatus, "stopped"),
    (ClusterStatus, "cancelled"),
    (NetProvider, "ovn"),
])
def test_values_of_later_releases_map_to_unknown(enum: type[FuelEnum], later: str) -> None:
    assert enum(later) is enum.UNKNOWN


def test_later_values_we_know_have_names() -> None:
    assert NodeStatus("removing") is NodeStatus.REMOVING
    assert TaskStatus("pending") is TaskStatus.PENDING
    assert ClusterStatus("partially_deployed") is ClusterStatus.PARTIALLY_DEPLOYED
    assert NodeErrorType("discover") is NodeErrorType.DISCOVER


@pytest.mark.parametrize("enum", ENUMS)
def test_null_stays_none(enum: type[FuelEnum]) -> None:
    assert enum.parse(None) is None
    assert enum.parse("") is None


@given(st.sampled_from(ENUMS), st.text(max_size=30))
def test_parsing_never_raises(enum: type[FuelEnum], value: str) -> None:
    member = enum.parse(value)
    assert member is None or isinstance(member, enum)


def test_only_ready_and_error_are_final() -> None:
    assert {s for s in TaskStatus if s.final} == {TaskStatus.READY, TaskStatus.ERROR}


def test_members_compare_equal_to_fuel_strings() -> None:
    # StrEnum: members can be sent back to Fuel as they are (mode, net_provider in POSTs)
    assert Mode.MULTINODE == "multinode" and str(NetProvider.NOVA_NETWORK) == "nova_network"
