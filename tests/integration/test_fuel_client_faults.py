"""A sick master (simulator faults): what is retried, what is not, and what the caller is told."""
from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from core.errors import FuelError
from integrations.fuel import FuelClient, deadline_in
from integrations.fuel.enums import TaskName, TaskStatus
from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import wait_for

CHANGES = "PUT /api/clusters/{cluster_id}/changes"
CLUSTERS = "GET /api/clusters"


def _client(sim: FuelSimulator, **kw: Any) -> FuelClient:
    kw = {"retries": 3, "backoff": 0.01, "timeout": 5, **kw}
    return FuelClient(url=sim.url, user="admin", password="admin", **kw)


def _ready_to_deploy(sim: FuelSimulator, client: FuelClient) -> int:
    release = client.find_release("Juno on CentOS 6.5", "2014.2-6.0")
    cluster = client.create_cluster(name="faults", release_id=release.id, mode="multinode")
    node = sim.inject_node()
    assert node is not None
    client.assign_roles(cluster.id, {node["id"]: ["controller"]})
    return cluster.id


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return True
    return False


def _deploys(client: FuelClient, cluster_id: int) -> list[Any]:
    return [t for t in client.tasks(cluster_id) if t.name is TaskName.DEPLOY]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_get_is_retried_through_transient_errors(fuelsim: FuelSimulator, status: int) -> None:
    client = _client(fuelsim)
    client.version()
    fuelsim.set_fault(route="^/api/clusters$", method="GET", status=status, count=2)
    assert client.clusters() == []
    assert client.request_count[CLUSTERS] == 3


def test_a_get_that_keeps_failing_gives_up_retryable(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, retries=2)
    client.version()
    fuelsim.set_fault(route="^/api/clusters$", method="GET", status=503)
    with pytest.raises(FuelError) as caught:
        client.clusters()
    err = caught.value
    assert (err.status, err.retryable, err.server_message) == (503, True, "Service Unavailable")
    assert client.request_count[CLUSTERS] == 3 and "trying again later can help" in str(err)


def test_a_share_of_failing_calls_is_absorbed(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, retries=5)
    client.version()
    fuelsim.set_fault(route="^/api/(clusters|releases|nodes)$", status=503, rate=0.3)
    for _ in range(20):
        client.clusters(), client.releases(), client.nodes()
    sent = sum(client.request_count[k] for k in (CLUSTERS, "GET /api/releases", "GET /api/nodes"))
    assert sent > 60  # some calls needed a retry, and every one of them succeeded


@pytest.mark.parametrize("status", [500, 503])
def test_deploy_changes_is_never_resent_after_an_error(fuelsim: FuelSimulator, status: int) -> None:
    client = _client(fuelsim)
    cluster_id = _ready_to_deploy(fuelsim, client)
    fuelsim.set_fault(route="/changes$", method="PUT", status=status, count=1)
    with pytest.raises(FuelError) as caught:
        client.deploy_changes(cluster_id)
    err = caught.value
    assert (err.status, err.retryable, err.method) == (status, False, "PUT")
    assert "outcome is unknown" in str(err) and "tasks" in str(err)
    assert client.request_count[CHANGES] == 1


def test_a_lost_answer_to_deploy_changes_is_not_resent(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim)
    cluster_id = _ready_to_deploy(fuelsim, client)
    fuelsim.set_fault(route="/changes$", method="PUT", drop=True, count=1)
    with pytest.raises(FuelError) as caught:
        client.deploy_changes(cluster_id)
    assert not caught.value.retryable and "outcome is unknown" in str(caught.value)
    assert client.request_count[CHANGES] == 1


def test_a_timed_out_deploy_may_have_started_which_is_why_it_is_not_resent(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, timeout=0.3)
    cluster_id = _ready_to_deploy(fuelsim, client)
    fuelsim.set_fault(route="/changes$", method="PUT", latency_ms=800, count=1)
    with pytest.raises(FuelError, match=r"no answer within 0.3 s.*outcome is unknown") as caught:
        client.deploy_changes(cluster_id)
    assert not caught.value.retryable and client.request_count[CHANGES] == 1
    time.sleep(0.7)
    assert len(_deploys(client, cluster_id)) == 1  # the master did act on it: one deploy, not two


def test_a_deploy_that_never_left_is_sent_again(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, backoff=0.3)
    cluster_id = _ready_to_deploy(fuelsim, client)
    fuelsim.outage(0.5)
    wait_for(lambda: _refused(fuelsim.port), 5, "the simulator to refuse connections")
    task = client.deploy_changes(cluster_id)
    assert task.name is TaskName.DEPLOY and client.request_count[CHANGES] >= 2
    assert len(_deploys(client, cluster_id)) == 1


@pytest.mark.parametrize("drops", [1, 2])
def test_dropped_connections_on_reads_are_retried(fuelsim: FuelSimulator, drops: int) -> None:
    client = _client(fuelsim)
    client.version()
    fuelsim.set_fault(route="^/api/releases$", drop=True, count=drops)
    assert len(client.releases()) == 2
    assert client.request_count["GET /api/releases"] == drops + 1


def test_latency_within_the_timeout_is_just_slow(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, timeout=2)
    client.version()
    fuelsim.set_fault(route="^/api/releases$", latency_ms=400)
    started = time.monotonic()
    assert len(client.releases()) == 2
    assert 0.4 <= time.monotonic() - started < 2 and client.request_count["GET /api/releases"] == 1


def test_a_read_slower_than_the_timeout_is_retried(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim, timeout=0.3)
    client.version()
    fuelsim.set_fault(route="^/api/releases$", latency_ms=600, count=1)
    assert len(client.releases()) == 2
    assert client.request_count["GET /api/releases"] == 2


def test_idempotent_puts_are_retried(fuelsim: FuelSimulator) -> None:
    client = _client(fuelsim)
    release = client.find_release("Juno on CentOS 6.5")
    cluster = client.create_cluster(name="puts", release_id=release.id, mode="multinode")
    fuelsim.set_fault(route="/attributes$", method="PUT", status=502, count=1)
    edited = client.apply_settings(cluster.id, lambda e: e["syslog"]["syslog_server"].update(value="10.0.0.5"))
    assert edited["syslog"]["syslog_server"]["value"] == "10.0.0.5"
    assert client.request_count["PUT /api/clusters/{cluster_id}/attributes"] == 2


def test_following_a_deploy_rides_out_an_outage(fuelsim: FuelSimulator) -> None:
    fuelsim.set_speed(20)  # a deploy lasts a few seconds: long enough to lose the master meanwhile
    client = _client(fuelsim, backoff=0.2, timeout=1)
    cluster_id = _ready_to_deploy(fuelsim, client)
    task = client.deploy_changes(cluster_id)
    fuelsim.outage(1.5)
    final = client.wait_for_task(task.id, deadline=deadline_in(60), poll=0.1)
    assert final.status is TaskStatus.READY


def test_the_deadline_names_the_tasks_progress(fuelsim: FuelSimulator) -> None:
    fuelsim.set_speed(5)
    client = _client(fuelsim)
    cluster_id = _ready_to_deploy(fuelsim, client)
    task = client.deploy_changes(cluster_id)
    with pytest.raises(FuelError, match=rf"deploy #{task.id} of environment {cluster_id} still running "
                                        r"at \d+%") as caught:
        client.wait_for_task(task.id, deadline=deadline_in(0.5), poll=0.1)
    assert caught.value.retryable
