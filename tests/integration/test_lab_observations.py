"""The lab observations tick on the real Fuel simulator: one clusters and one nodes read per master."""
from __future__ import annotations

import re
import time

import requests
from sqlalchemy import select

from store import vm_records
from store.models import LabState
from store.types import utcnow
from store.lab_states import freshness

from tests.fixtures.stack import VIEWER

TOKENS = "POST /keystone/v2.0/tokens"


def _sent(stack, before: dict[str, int]) -> dict[str, int]:
    after = stack.fuel.state()["request_counts"]
    return {route: n - before.get(route, 0) for route, n in after.items()
            if n != before.get(route, 0) and route != "GET /_sim/state"}


def _rows(stack) -> dict[str, LabState]:
    with stack.runtime.sessions() as session:
        return {row.lab: row for row in session.scalars(select(LabState))}


def test_one_tick_reads_the_master_its_labs_share_once_and_keeps_each_labs_reading(stack):
    owned, stranger = "00:50:56:2a:cc:01", "00:50:56:3f:cc:02"
    with stack.runtime.sessions() as session, session.begin():   # lab2's VM, as its create_vms recorded it
        vm_records.record_created(session, lab="lab2", vcenter_uuid="vc", name="lab2-controller-1",
                                  instance_uuid="4a0e2c47-6a52-4c1c-9d1b-2f6a0c3e5d12", moid="vm-91",
                                  macs=[owned], folder="fuelbot/lab2")
    stack.fuel.inject_node(mac=owned)
    stack.fuel.inject_node(mac=stranger)
    before = dict(stack.fuel.state()["request_counts"])
    tick = stack.observe()
    # lab1 and lab2 share the embedded master: one clusters read and one nodes read for both (and,
    # the first time, the client's login: its version check and Keystone token)
    assert _sent(stack, before) == {"GET /api/version": 1, TOKENS: 1, "GET /api/clusters": 1, "GET /api/nodes": 1}
    assert (tick.masters, tick.labs, tick.fuel_requests, tick.down) == (1, 2, 4, ())
    rows = _rows(stack)
    assert set(rows) == {"lab1", "lab2"}
    assert rows["lab2"].data["unassigned"] == [f"{owned} (VM `lab2-controller-1`)"]
    assert rows["lab1"].data["unassigned"] == []
    assert rows["lab1"].data["status"] == "not deployed"
    assert rows["lab1"].data["strangers"] == [f"{stranger} (no lab's VM)"]
    assert freshness(rows["lab1"], utcnow()).current

    before = dict(stack.fuel.state()["request_counts"])
    stack.observe()       # the client is kept: no second login
    assert _sent(stack, before) == {"GET /api/clusters": 1, "GET /api/nodes": 1}


def test_a_silent_master_keeps_the_last_reading_and_never_passes_it_off_as_current(stack):
    stack.observe()
    read_at = _rows(stack)["lab1"].observed_at
    stack.fuel.outage(10)
    deadline = time.monotonic() + 10
    while _answers(stack) and time.monotonic() < deadline:
        time.sleep(0.05)
    tick = stack.observe()
    assert tick.down == (stack.fuel.url,)
    row = _rows(stack)["lab1"]
    assert row.observed_at == read_at and row.data["status"] == "not deployed"     # kept, as it was
    fresh = freshness(row, utcnow())
    assert not fresh.current and fresh.error and "password" not in fresh.error
    while not _answers(stack):
        assert time.monotonic() < deadline + 20, "the simulator came back"
        time.sleep(0.05)
    stack.observe()
    assert freshness(_rows(stack)["lab1"], utcnow()).current


def _answers(stack) -> bool:
    try:
        return requests.get(f"{stack.fuel.url}/api/version", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _status(stack, text: str) -> str:
    stack.command(text, user=VIEWER)
    job = stack.wait_job(stack.last_job("status").id, timeout=30)
    deadline = time.monotonic() + 10
    while True:     # the answer is queued as the run ends, a moment after the job's state
        try:
            return stack.answer(job.id, user=VIEWER)[0].split(" — job #")[0]     # the headline, not its byline
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_status_and_labs_say_what_was_last_observed_and_how_fresh_and_live_asks_fuel(stack):
    assert _status(stack, "status lab1") == "📟 *lab1*: ⚠️ not observed yet (`--live` asks Fuel now)"
    line = next(l for l in stack.command("labs", user=VIEWER).json()["text"].splitlines() if l.startswith("*lab1*"))
    assert " · Fuel: not observed yet · last: " in line, line
    stack.observe()
    before = dict(stack.fuel.state()["request_counts"])
    said = _status(stack, "status lab1")
    assert re.fullmatch(r"📟 \*lab1\*: not deployed \(no Fuel environment `lab1`\) · as of \d+s ago", said), said
    assert _sent(stack, before) == {}, "read from the database, Fuel is not asked"
    line = next(l for l in stack.command("labs", user=VIEWER).json()["text"].splitlines() if l.startswith("*lab1*"))
    assert re.search(r" · Fuel: not deployed as of \d+s ago · last: ", line), line
    live = _status(stack, "status lab1 --live")
    assert live == "📟 *lab1*: not deployed (no Fuel environment `lab1`)"
    assert _sent(stack, before).get("GET /api/clusters") == 1
