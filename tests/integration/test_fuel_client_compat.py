"""The contracts of ``tests/unit/test_fuel_compat.py`` (run there against 6.1+/8.0 answers) on 6.0."""
from __future__ import annotations

import pytest

from integrations.fuel import FuelClient
from integrations.fuel.models import Cluster
from sim.fuel import FuelSimulator
from tests.unit.test_fuel_compat import (check_assignment_answer_is_accepted,
                                         check_network_save_reports_a_ready_check,
                                         check_server_message_is_carried)


@pytest.fixture
def client(fuelsim: FuelSimulator) -> FuelClient:
    return FuelClient(url=fuelsim.url, user="admin", password="admin", retries=1, backoff=0.01)


def _cluster(client: FuelClient) -> Cluster:
    release = client.find_release("Juno on CentOS 6.5")
    return client.create_cluster(name="compat", release_id=release.id, mode="multinode")


def test_plain_string_error_bodies_of_60(fuelsim: FuelSimulator, client: FuelClient) -> None:
    check_server_message_is_carried(client, 999)


def test_empty_answer_to_assignment_of_60(fuelsim: FuelSimulator, client: FuelClient) -> None:
    cluster = _cluster(client)
    node = fuelsim.inject_node()
    assert node is not None
    check_assignment_answer_is_accepted(client, cluster.id, node["id"])


def test_202_task_answer_to_network_save_of_60(client: FuelClient) -> None:
    check_network_save_reports_a_ready_check(client, _cluster(client).id)
