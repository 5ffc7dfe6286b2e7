"""The three ordered roles a person can hold: viewer < operator < admin.

Each command names the least role it needs (``Command.role`` in ``commands.catalog``);
``commands.authz`` decides which role a person holds.
"""
from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    """What a person may do; a higher role may do everything a lower one may."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> "Role":
        """The role named ``label`` (viewer, operator, admin); KeyError otherwise."""
        return cls[label.strip().upper()]
