"""The narrow interface between the Slack edge (``bot/``) and the command layer.

``bot/`` turns a Slack payload into an ``Invocation`` (or ``ActionInvocation`` for a button),
calls ``commands.handlers.handle`` / ``handle_action`` and renders the ``Reply``. Nothing in
``commands/`` knows about Slack payloads, Block Kit or HTTP.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from sqlalchemy.orm import Session

from commands.authz import Policy
from core.buttons import Button as Button   # part of this interface
from core.job_links import JobLinks
from jobs.fairness import FairShare
from labspec.model import Lab
from labspec.problems import SpecProblem


@dataclass(frozen=True)
class Invocation:
    """A person typed ``/fuel <text>`` in a channel."""

    user_id: str
    channel_id: str
    text: str
    delivery_id: str | None = None       # Slack's trigger_id: the same delivery never makes two jobs
    user_groups: frozenset[str] = frozenset()
    direct: bool = False                 # typed in a DM or group DM, where fuelbot cannot post


@dataclass(frozen=True)
class ActionInvocation:
    """A person clicked a button fuelbot posted (``action_id`` and its ``value``)."""

    user_id: str
    channel_id: str
    action_id: str
    value: str
    delivery_id: str | None = None
    user_groups: frozenset[str] = frozenset()
    direct: bool = False                 # clicked in a DM or group DM


@dataclass(frozen=True)
class Reply:
    """What to answer the person right away (within Slack's 3 seconds)."""

    text: str
    ephemeral: bool = True
    buttons: tuple[Button, ...] = ()
    ok: bool = True                      # False for refusals and mistakes (metrics, tests)


@dataclass(frozen=True)
class LabCatalog:
    """The labs fuelbot knows, from ``FUELBOT_LABS_DIR``: in a served process, the snapshot the lab-specs
    tick keeps (``labspec.catalog.CachedLabs.current``), so a handler never reads or parses a file."""

    load: Callable[[], tuple[Mapping[str, Lab], list[SpecProblem]]]   # -> (labs by name, spec problems)


@dataclass(frozen=True)
class CommandServices:
    """What command handlers may use: the database, the labs, the access policy, the fair shares, job page links."""

    session_factory: Callable[[], Session]
    labs: LabCatalog
    policy: Policy
    admins: frozenset[str] = field(default_factory=frozenset)
    fair_share: FairShare = FairShare()
    links: JobLinks | None = None        # None: job pages are off (no FUELBOT_JOB_LINK_KEY)
