"""A preflight result: what was checked, on which object, how it went, and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One preflight result: ``level`` is ok, warn or fail."""

    level: str
    check: str
    obj: str
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message
