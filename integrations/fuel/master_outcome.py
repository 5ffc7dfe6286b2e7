"""What one post-install action on the Fuel master did (``master_setup``, ``master_ntp``)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What an action did; ``summary`` and ``warning`` (what went wrong without failing it) are safe to post."""

    changed: bool
    summary: str
    warning: str | None = None
