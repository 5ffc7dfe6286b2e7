"""fuelbot's buttons, neutral of Slack: the one list of action ids and the button value object.

The renderer (``bot/render.py``) turns a :class:`Button` into Block Kit, the Bolt app listens for
exactly the ids of :class:`ButtonAction`, and each command of ``commands.catalog`` names the
button whose click stands for it (``Command.button``); a test checks every id has exactly one.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ButtonAction(StrEnum):
    """Every action id a fuelbot button carries."""

    CANCEL_JOB = "cancel_job"
    RERUN_HEALTH = "rerun_health"
    CONFIRM_DESTROY = "confirm_destroy"
    EXTEND_LEASE = "extend_lease"          # value: the lab
    APPROVE_REQUEST = "approve_request"    # value: the approval's id (store.models.Approval)
    FIX_MASTER = "fix_master"


@dataclass(frozen=True)
class Button:
    """A neutral button the edge renders (Block Kit in Slack, ``[n]`` in the console)."""

    action_id: ButtonAction
    label: str
    value: str
    style: str | None = None             # primary | danger
    confirm: str | None = None           # confirmation question, for destructive actions

    def as_body(self) -> dict[str, Any]:
        """The JSON form kept in an outbox message's body (``actions``)."""
        return {"id": self.action_id.value, "label": self.label, "value": self.value, "style": self.style,
                "confirm": self.confirm}
