"""FuelClient's logs, notifications and diagnostic snapshot against the Fuel 6.0 simulator."""
from __future__ import annotations

import io
import tarfile

import pytest

from core.errors import FuelError, SnapshotTooLarge
from integrations.fuel import FuelClient, deadline_in
from integrations.fuel.enums import TaskName, TaskStatus
from sim.fuel import FuelSimulator
from tests.integration.test_fuel_client_flow import _environment, _nodes, client  # noqa: F401 (fixture)


def test_sources_levels_and_pages(fuelsim: FuelSimulator, client: FuelClient) -> None:  # noqa: F811
    sources = {s.id: s for s in client.log_sources()}
    puppet, app = sources["install/puppet"], sources["app"]
    assert puppet.remote and puppet.name == "puppet" and not app.remote
    assert (puppet.level_named("error"), app.level_named("error")) == ("ERR", "ERROR")
    assert (puppet.level_named("Warn"), puppet.level_named("crit"), puppet.level_named("fatal")) == \
        ("WARNING", "CRIT", None)
    node = fuelsim.inject_node()
    assert node is not None
    assert [s.id for s in client.node_log_sources(node["id"])] == ["bootstrap/messages", "bootstrap/agent"]
    for _ in range(3):
        fuelsim.inject_node()
    first = client.logs("app", max_entries=2)
    assert len(first.entries) == 2 and first.has_more and first.entries[0].level == "INFO"
    older = client.logs("app", max_entries=2, from_byte=first.from_byte, fetch_older=True)
    assert older.entries and older.from_byte < first.from_byte
    assert client.logs("app", to_byte=first.to_byte).entries == ()


def test_refusals_carry_nailguns_words(fuelsim: FuelSimulator, client: FuelClient) -> None:  # noqa: F811
    node = fuelsim.inject_node()
    assert node is not None
    for call, status, said in (
            (lambda: client.logs("nope"), 404, "Log source not found"),
            (lambda: client.logs("astute", level="ERROR"), 400, "Invalid level"),
            (lambda: client.logs("install/puppet"), 400, "'node' must be specified"),
            (lambda: client.logs("install/puppet", node=node["id"]), 404, "Log file not found"),
            (lambda: client.node_log_sources(999), 404, "Node not found")):
        with pytest.raises(FuelError) as caught:
            call()
        assert (caught.value.status, caught.value.server_message) == (status, said)
        assert said in str(caught.value)


def test_a_snapshot_is_followed_and_streamed_within_a_size_limit(fuelsim: FuelSimulator,
                                                                client: FuelClient) -> None:  # noqa: F811
    cluster = _environment(client)
    _nodes(fuelsim, client, cluster, [["controller"]])
    client.wait_for_task(client.deploy_changes(cluster.id).id, deadline=deadline_in(30), poll=0.05)
    task = client.start_snapshot()
    assert (task.name, task.status, task.cluster) == (TaskName.DUMP, TaskStatus.RUNNING, None)
    with pytest.raises(FuelError, match="nothing to download"):
        client.download_snapshot(task, io.BytesIO(), max_bytes=10**8)
    with pytest.raises(FuelError, match="Dump already running"):
        client.start_snapshot()
    done = client.wait_for_task(task.id, deadline=deadline_in(30), poll=0.05)
    assert done.status is TaskStatus.READY and (done.message or "").endswith(".tgz")
    into = io.BytesIO()
    size = client.download_snapshot(done, into, max_bytes=10**8)
    assert size == len(into.getvalue()) > 0
    with tarfile.open(fileobj=io.BytesIO(into.getvalue()), mode="r:gz") as archive:
        assert any(name.endswith("/var/log/docker-logs/astute/astute.log") for name in archive.getnames())
    with pytest.raises(SnapshotTooLarge) as caught:
        client.download_snapshot(done, io.BytesIO(), max_bytes=size - 1)
    assert caught.value.size == size and caught.value.limit == size - 1 and "over the limit" in str(caught.value)
    ready = [n for n in client.notifications() if n.topic == "done" and n.message.startswith("Snapshot is ready")]
    assert len(ready) == 1
    fuelsim.fail_dump("Dump is timed out")
    failed = client.wait_for_task(client.start_snapshot().id, deadline=deadline_in(30), poll=0.05)
    with pytest.raises(FuelError, match="Dump is timed out"):
        client.download_snapshot(failed, io.BytesIO(), max_bytes=10**8)


def test_a_missing_archive_is_a_clear_404(fuelsim: FuelSimulator, client: FuelClient) -> None:  # noqa: F811
    done = client.wait_for_task(client.start_snapshot().id, deadline=deadline_in(30), poll=0.05)
    fuelsim.reset()   # the master's dump directory is gone
    with pytest.raises(FuelError) as caught:
        client.download_snapshot(done, io.BytesIO(), max_bytes=10**8)
    assert caught.value.status == 404 and "answered 404 to GET /dump/" in str(caught.value)
