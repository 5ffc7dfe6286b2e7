"""The shared-lab part of the policy file: how long each role may hold a lab, when holders are
reminded, how long a request waits for its approval.

    leases:
      max: {operator: 3d, admin: 14d}   # the longest lease (from now) each role may hold
      remind: [1d, 1h]                  # before a lease ends, its holder is told (with an Extend button)
    approvals:
      expire_after: 1h                  # a destroy or rollback not approved by then must be asked again

A viewer may not reserve a lab. Every key is optional; these are the defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Mapping

from commands.roles import Role
from core.durations import EXAMPLES, NotADuration, parse_duration

DEFAULT_MAX = {Role.OPERATOR: timedelta(days=3), Role.ADMIN: timedelta(days=14)}
DEFAULT_REMINDERS = (timedelta(days=1), timedelta(hours=1))
DEFAULT_APPROVAL_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class LeaseRules:
    """Lease lengths per role, reminder offsets (longest first), and how long approvals wait."""

    max_length: Mapping[Role, timedelta] = field(default_factory=lambda: dict(DEFAULT_MAX))
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    approval_ttl: timedelta = DEFAULT_APPROVAL_TTL

    def longest(self, role: Role) -> timedelta | None:
        """The longest lease ``role`` may hold (an admin never less than an operator); None: none at all."""
        allowed = [length for granted, length in self.max_length.items() if granted <= role]
        return max(allowed) if allowed else None


def read_lease_rules(leases: object, approvals: object, problems: list[str]) -> LeaseRules:
    """The ``leases`` and ``approvals`` sections of a policy file; each problem is appended to ``problems``."""
    rules = LeaseRules()
    maximum, reminders, ttl = dict(rules.max_length), rules.reminders, rules.approval_ttl
    if leases is not None:
        if not isinstance(leases, dict):
            problems.append("leases must be a mapping with max and remind, e.g. leases: {max: {operator: 3d}}")
        else:
            _unknown(leases, {"max", "remind"}, "leases", problems)
            maximum.update(_max_lengths(leases.get("max"), problems))
            if "remind" in leases:
                reminders = _reminders(leases["remind"], problems)
    if approvals is not None:
        if not isinstance(approvals, dict):
            problems.append("approvals must be a mapping, e.g. approvals: {expire_after: 1h}")
        else:
            _unknown(approvals, {"expire_after"}, "approvals", problems)
            if "expire_after" in approvals:
                ttl = _length(approvals["expire_after"], "approvals.expire_after", problems) or ttl
    return LeaseRules(max_length=maximum, reminders=reminders, approval_ttl=ttl)


def _unknown(section: dict[object, object], known: set[str], name: str, problems: list[str]) -> None:
    extra = sorted(str(k) for k in section if k not in known)
    if extra:
        problems.append(f"{name}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(known))})")


def _max_lengths(raw: object, problems: list[str]) -> dict[Role, timedelta]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("leases.max must map roles to lengths, e.g. {operator: 3d, admin: 14d}")
        return {}
    lengths: dict[Role, timedelta] = {}
    for key, value in raw.items():
        try:
            role = Role.from_label(str(key))
        except KeyError:
            problems.append(f"leases.max: {key!r} is not a role (allowed: operator, admin)")
            continue
        if role is Role.VIEWER:
            problems.append("leases.max: viewers cannot reserve labs; give the length to operator or admin")
            continue
        length = _length(value, f"leases.max.{role.label}", problems)
        if length is not None:
            lengths[role] = length
    return lengths


def _reminders(raw: object, problems: list[str]) -> tuple[timedelta, ...]:
    if not isinstance(raw, list):
        problems.append("leases.remind must be a list of lengths before the end, e.g. [1d, 1h]")
        return DEFAULT_REMINDERS
    lengths = [_length(value, "leases.remind", problems) for value in raw]
    return tuple(sorted({length for length in lengths if length is not None}, reverse=True))


def _length(value: object, where: str, problems: list[str]) -> timedelta | None:
    try:
        return parse_duration(str(value))
    except NotADuration:
        problems.append(f"{where}: {value!r} is not a length of time (e.g. {EXAMPLES})")
        return None
