"""The spec's shared-lab fields: ``shared``, ``lease.on_expiry`` and ``snapshots`` (defaults, values, mistakes)."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SpecError
from labspec.loader import parse_lab
from labspec.model import LeasePolicy, SnapshotPolicy

LAB1 = (Path(__file__).resolve().parents[2] / "labs" / "lab1.yaml").read_text()


def lab(extra: str = ""):
    return parse_lab(LAB1 + extra, source="labs/lab1.yaml", environ={})


def test_a_spec_without_them_is_not_shared_releases_on_expiry_and_takes_no_automatic_snapshots() -> None:
    spec = lab()
    assert (spec.shared, spec.lease, spec.snapshots) == (False, LeasePolicy("release"), SnapshotPolicy((), 3))


def test_the_fields_as_written() -> None:
    spec = lab("shared: true\nlease: {on_expiry: power_off}\nsnapshots:\n  before: [scale_out, reset]\n  keep: 5\n")
    assert (spec.shared, spec.lease.on_expiry, spec.snapshots) == (True, "power_off",
                                                                   SnapshotPolicy(("scale_out", "reset"), 5))


@pytest.mark.parametrize(("extra", "problem"), [
    ("shared: maybe\n", "shared: 'maybe' is not true or false"),
    ("lease: {on_expiry: poweroff}\n", "lease.on_expiry: unknown expiry policy 'poweroff' (did you mean 'power_off'?)"),
    ("lease: {on_expire: release}\n", "lease.on_expire: unknown field 'on_expire' (did you mean 'on_expiry'?)"),
    ("snapshots: {before: [deploy]}\n", "snapshots.before[0]: unknown operation 'deploy'"),
    ("snapshots: {keep: 0}\n", "snapshots.keep: 0 must be between 1 and 30"),
    ("snapshots: {before: reset}\n", "snapshots.before: expected a list"),
])
def test_mistakes_are_named_with_their_line_and_field(extra: str, problem: str) -> None:
    with pytest.raises(SpecError) as error:
        lab(extra)
    assert problem in str(error.value) and "labs/lab1.yaml:" in str(error.value)
