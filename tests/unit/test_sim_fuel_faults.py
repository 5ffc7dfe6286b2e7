"""Fault rules: matching, counts, rates (seeded), node and OSTF failures."""
from __future__ import annotations

import pytest

from sim.fuel.faults import Faults


def test_rules_match_by_method_and_route_and_wear_out() -> None:
    faults = Faults()
    faults.add_http(route=r"^/api/nodes$", method="get", status=503, count=2)
    assert faults.decide("PUT", "/api/nodes").status is None
    assert faults.decide("GET", "/api/clusters").status is None
    assert [faults.decide("GET", "/api/nodes").status for _ in range(3)] == [503, 503, None]


def test_rate_is_seeded_and_roughly_right() -> None:
    hits = []
    for _ in range(2):
        faults = Faults(seed=7)
        faults.add_http(status=500, rate=0.25)
        hits.append([faults.decide("GET", "/api/x").status for _ in range(400)])
    assert hits[0] == hits[1] and 60 <= hits[0].count(500) <= 140


def test_latency_and_drop_add_up() -> None:
    faults = Faults()
    faults.add_http(latency_ms=100)
    faults.add_http(latency_ms=50, drop=True)
    decision = faults.decide("GET", "/")
    assert decision.latency == pytest.approx(0.15) and decision.drop and decision.status is None


@pytest.mark.parametrize("kwargs", [{"status": 42}, {"rate": 2.0}, {"count": 0}, {}, {"route": "(", "status": 500}])
def test_invalid_rules_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Faults().add_http(**kwargs)


def test_node_and_ostf_failures() -> None:
    faults = Faults()
    faults.fail_node("AA:BB:CC:DD:EE:FF", "deploy", "boom")
    faults.fail_node(3, "provision", "disk")
    assert faults.node_failure(9, "aa:bb:cc:dd:ee:ff", "deploy") == "boom"
    assert faults.node_failure(9, "aa:bb:cc:dd:ee:ff", "provision") is None
    assert faults.node_failure(3, "00:00:00:00:00:00", "provision") == "disk"
    with pytest.raises(ValueError):
        faults.fail_node(1, "boot", "x")
    faults.fail_ostf("test_list_services", "nope", 2)
    assert faults.ostf_failure("fuel_health.tests.sanity.X.test_list_services") == ("nope", 2)
