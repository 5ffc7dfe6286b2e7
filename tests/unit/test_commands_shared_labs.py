"""The shared-lab commands parsed (text and clicks), lengths of time, and the policy file's lease rules."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from commands.authz import Policy
from commands.catalog_shared import (ApproveRequest, ExtendLease, ListSnapshots, ReleaseLab, ReserveLab, RollbackLab,
                                     SnapshotLab)
from commands.clicks import parse_click
from commands.lease_policy import DEFAULT_REMINDERS
from commands.parser import parse
from commands.roles import Role
from core.durations import Duration, NotADuration, parse_duration, say_duration
from core.errors import CommandError, ConfigError

H = timedelta(hours=1)
PARSES = [
    ("reserve lab1 4h", ReserveLab("lab1", Duration(hours=4))),
    ("reserve lab1 1d12h --reason upgrade rehearsal", ReserveLab("lab1", Duration(hours=36), "upgrade rehearsal")),
    ("reserve lab1 90m --reason “perf run”", ReserveLab("lab1", Duration(minutes=90), "perf run")),
    ("reserve lab1 2h --reason ticket OPS-12 --override",
     ReserveLab("lab1", Duration(hours=2), "ticket OPS-12", override=True)),
    ("reserve lab1 2h --reason <!channel> `sudo`", ReserveLab("lab1", Duration(hours=2), "!channel sudo")),
    ("release lab1", ReleaseLab("lab1")),
    ("extend lab1 1w", ExtendLease("lab1", Duration(days=7))),
    ("snapshot lab1", SnapshotLab("lab1")),
    ("snapshot lab1 before-upgrade", SnapshotLab("lab1", "before-upgrade")),
    ("snapshots lab1", ListSnapshots("lab1")),
    ("rollback lab1 before-upgrade", RollbackLab("lab1", "before-upgrade")),
    ("approve #4", ApproveRequest(4)),
]


@pytest.mark.parametrize(("text", "expected"), PARSES, ids=[t for t, _ in PARSES])
def test_text_parses_to_a_shared_lab_command(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", [t for t, _ in PARSES])
def test_the_canonical_text_parses_back_to_the_same_command(text: str) -> None:
    command = parse(text)
    assert parse(command.canonical) == command


MISTAKES = [
    ("reserve lab1 2x", "`2x` is not a length of time: use minutes, hours, days or weeks, e.g. `90m`, `2h`"),
    ("reserve lab1 tomorrow", "`tomorrow` is not a length of time"),
    ("reserve lab1 400d", "`400d` is longer than a year"),
    ("reserve lab1", "Missing `<duration>`. Usage: `/fuel reserve <lab> <duration> [--reason …] [--override]`"),
    ("reserve lab1 2h --reason", "`--reason` needs a value"),
    ("reserve lab1 --reason upgrade 2h", "Missing `<duration>`"),          # the reason's words come last
    ("reserve lab1 2h --reason <>", "`--reason` needs a few words saying why"),
    ("extend lab1", "Missing `<duration>`"),
    ("snapshot lab1 ../../etc", "`../../etc` is not a snapshot name"),
    ("snapshot lab1 a" * 1 + "x" * 41, "is not a snapshot name"),
    ("rollback lab1", "Missing `<snapshot>`"),
    ("approve x", "`x` is not a request number"),
]


@pytest.mark.parametrize(("text", "fragment"), MISTAKES, ids=[t[:40] for t, _ in MISTAKES])
def test_mistake_is_explained(text: str, fragment: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse(text)
    assert fragment in str(caught.value)


def test_clicks_extend_a_lease_or_approve_a_request() -> None:
    assert parse_click("extend_lease", "lab1") == ExtendLease("lab1")           # by as long as first asked
    assert parse_click("approve_request", "7") == ApproveRequest(7)
    with pytest.raises(CommandError, match="is not a request number"):
        parse_click("approve_request", "7; drop table")


@pytest.mark.parametrize(("text", "length"), [
    ("90m", timedelta(minutes=90)), ("2h", 2 * H), ("1d12h", 36 * H), ("1w", 168 * H), ("2 days", 48 * H),
    ("1h 30m", timedelta(minutes=90)), ("3 Hours", 3 * H), ("45 min", timedelta(minutes=45)),
])
def test_lengths_of_time_as_people_type_them(text: str, length: timedelta) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["", "h", "2x", "0h", "1h1h", "-1h", "2.5h", "h2", "1d 2", "forever"])
def test_what_is_not_a_length_of_time(text: str) -> None:
    with pytest.raises(NotADuration):
        parse_duration(text)


def test_lengths_are_said_in_their_two_largest_units_and_typed_back_whole() -> None:
    assert [say_duration(t) for t in (timedelta(days=1, hours=2, minutes=3), timedelta(minutes=59),
                                      timedelta(seconds=30))] == ["1d 2h", "59m", "less than a minute"]
    assert str(parse_duration("1d2h3m")) == "1d2h3m"


def test_lease_rules_default_and_from_the_policy_file(tmp_path: Path) -> None:
    assert Policy().leases.longest(Role.OPERATOR) == timedelta(days=3)
    assert Policy().leases.longest(Role.VIEWER) is None
    assert Policy().leases.reminders == DEFAULT_REMINDERS
    path = tmp_path / "policy.yaml"
    path.write_text("leases: {max: {operator: 8h, admin: 1h}, remind: [30m, 2h, 30m]}\n"
                    "approvals: {expire_after: 15m}\n")
    rules = Policy.load(path, frozenset()).leases
    assert (rules.longest(Role.OPERATOR), rules.longest(Role.ADMIN)) == (8 * H, 8 * H)   # an admin never less
    assert rules.reminders == (2 * H, timedelta(minutes=30))
    assert rules.approval_ttl == timedelta(minutes=15)


@pytest.mark.parametrize(("content", "fragment"), [
    ("leases: {max: {operator: soon}}", "leases.max.operator: 'soon' is not a length of time"),
    ("leases: {max: {viewer: 1h}}", "viewers cannot reserve labs"),
    ("leases: {max: {root: 1h}}", "leases.max: 'root' is not a role"),
    ("leases: {remind: 1h}", "leases.remind must be a list"),
    ("leases: {longest: 1h}", "leases: unknown key(s) longest (allowed: max, remind)"),
    ("approvals: {expire_after: never}", "approvals.expire_after: 'never' is not a length of time"),
    ("approvals: 1h", "approvals must be a mapping"),
])
def test_invalid_lease_rules_name_the_file_and_the_problem(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as error:
        Policy.load(path, frozenset())
    assert str(path) in str(error.value) and fragment in str(error.value)
