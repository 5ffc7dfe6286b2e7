"""Who may run what: three ordered roles, a policy file mapping Slack ids to roles, one check.

Roles: viewer < operator < admin. A person's role is the highest of every grant that applies
to them — their user id, any user group they belong to, the channel they typed in, the
policy's ``default`` — and ``FUELBOT_ADMINS`` are always admin. With no policy file everyone is
a viewer, so only the admins can change anything. Grants are keyed on Slack's immutable ids
(U…/W…, S…, C…/G…), never on names, which people can change to impersonate each other.

The policy file (see ``docs/policy.example.yaml``)::

    users:    {U0123ABCD: operator}
    groups:   {S0456EFGH: admin}
    channels: {C0789IJKL: operator}
    default:  viewer
    leases:   {max: {operator: 3d, admin: 14d}, remind: [1d, 1h]}    # commands.lease_policy
    approvals: {expire_after: 1h}
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from commands import help_replies
from commands.catalog import COMMANDS
from commands.command import Command
from commands.lease_policy import LeaseRules, read_lease_rules
from commands.roles import Role
from core.errors import ConfigError, PermissionDenied
from core.mrkdwn import subteam, who
from core.slack_ids import USER_ID

# Each command's least role, read from its class (help lists them; a test checks none is missing).
REQUIRED_ROLES: Mapping[type[Command], Role] = {command: command.role for command in COMMANDS}

_GROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_SECTIONS = {"users": (USER_ID, "a Slack user id (U… or W…)"),
             "groups": (_GROUP_ID, "a Slack user-group id (S…)"),
             "channels": (_CHANNEL_ID, "a Slack channel id (C… or G…)")}
_LAB_SECTIONS = ("leases", "approvals")       # shared labs: commands.lease_policy


def required_role(command: Command) -> Role:
    """The least role that may run ``command`` as given (flags included)."""
    flag_roles = [p.role for p in command.params if p.role is not None and getattr(command, p.field)]
    return max([command.role, *flag_roles])


def refused_activity(command: Command, needed: Role) -> str:
    """What a refusal names: the activity of the option that asks for ``needed``, else the command's."""
    return next((p.activity for p in command.params
                 if p.activity and p.role is needed and getattr(command, p.field)), command.activity)


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Role grants by user, user group and channel; ``source`` is the file they came from."""

    users: Mapping[str, Role] = field(default_factory=dict)
    groups: Mapping[str, Role] = field(default_factory=dict)
    channels: Mapping[str, Role] = field(default_factory=dict)
    default: Role = Role.VIEWER
    admins: frozenset[str] = frozenset()
    source: str | None = None
    leases: LeaseRules = field(default_factory=LeaseRules)

    @classmethod
    def load(cls, path: str | Path | None, admins: frozenset[str]) -> "Policy":
        """Read the policy file at ``path`` (None: everyone viewer, ``admins`` admin).

        Raises ConfigError naming the file and every problem found in it.
        """
        if path is None:
            return cls(admins=frozenset(admins))
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Policy file {path} does not exist (FUELBOT_POLICY); "
                              "see docs/policy.example.yaml.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Policy file {path} cannot be read: {exc}.") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "unparsable"
            raise ConfigError(f"Policy file {path} is not valid YAML{where}: {problem}.") from None
        return cls._from_mapping(raw, source=str(path), admins=frozenset(admins))

    @classmethod
    def _from_mapping(cls, raw: object, *, source: str, admins: frozenset[str]) -> "Policy":
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"Policy file {source}: expected a mapping with users, groups, channels "
                              "and default; see docs/policy.example.yaml.")
        problems: list[str] = []
        unknown = sorted(str(key) for key in raw if key not in {*_SECTIONS, *_LAB_SECTIONS, "default"})
        if unknown:
            problems.append(f"unknown key(s) {', '.join(unknown)} "
                            "(allowed: users, groups, channels, default, leases, approvals)")
        grants = {section: _grants(raw.get(section), section, problems) for section in _SECTIONS}
        default = _role(raw.get("default", "viewer"), "default", problems)
        leases = read_lease_rules(raw.get("leases"), raw.get("approvals"), problems)
        if problems:
            raise ConfigError(f"Policy file {source} is invalid: " + "; ".join(problems) + ".")
        return cls(users=grants["users"], groups=grants["groups"], channels=grants["channels"],
                   default=default or Role.VIEWER, admins=admins, source=source, leases=leases)

    @property
    def needs_groups(self) -> bool:
        """True when grants name user groups, so the edge must look up a person's groups."""
        return bool(self.groups)

    def role_for(self, user_id: str, channel_id: str | None = None,
                 groups: frozenset[str] | set[str] = frozenset()) -> Role:
        """The highest role any grant gives ``user_id`` typing in ``channel_id``."""
        if user_id in self.admins:
            return Role.ADMIN
        candidates = [self.default, self.users.get(user_id, Role.VIEWER)]
        candidates += [self.groups[g] for g in groups if g in self.groups]
        if channel_id and channel_id in self.channels:
            candidates.append(self.channels[channel_id])
        return max(candidates)

    def admin_mentions(self) -> list[str]:
        """Everyone who holds admin, as mentions: FUELBOT_ADMINS, admin users, admin groups."""
        users = sorted(self.admins | {u for u, r in self.users.items() if r is Role.ADMIN})
        groups = sorted(g for g, r in self.groups.items() if r is Role.ADMIN)
        return [who(u) for u in users] + [subteam(g) for g in groups]

    def channels_granting(self, role: Role) -> list[str]:
        """Channels where everyone holds at least ``role``."""
        return sorted(c for c, r in self.channels.items() if r >= role)

    def authorize(self, command: Command, *, user_id: str, channel_id: str | None = None,
                  groups: frozenset[str] = frozenset()) -> Role:
        """The person's role when it suffices for ``command``; PermissionDenied saying why otherwise."""
        have = self.role_for(user_id, channel_id, groups)
        needed = required_role(command)
        if have < needed:
            raise PermissionDenied(help_replies.denied(
                activity=refused_activity(command, needed), needed=needed.label, have=have.label,
                admins=self.admin_mentions(), channels=self.channels_granting(needed)))
        return have


def _grants(section: object, name: str, problems: list[str]) -> dict[str, Role]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        problems.append(f"{name} must map ids to roles, e.g. {name}: {{ID: operator}}")
        return {}
    pattern, what = _SECTIONS[name]
    grants = {}
    for key, value in section.items():
        key = str(key)
        if not pattern.fullmatch(key):
            problems.append(f"{name}: {key!r} is not {what}; names can change, ids cannot")
            continue
        role = _role(value, f"{name}.{key}", problems)
        if role is not None:
            grants[key] = role
    return grants


def _role(value: object, where: str, problems: list[str]) -> Role | None:
    try:
        return Role.from_label(str(value))
    except KeyError:
        problems.append(f"{where}: {value!r} is not a role (allowed: viewer, operator, admin)")
        return None

