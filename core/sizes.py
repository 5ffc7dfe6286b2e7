"""Sizes on disk as fuelbot says them: ``512 B``, ``3.4 MB``, ``2.1 GB`` (binary units, as vSphere's client)."""
from __future__ import annotations


def say_size(size_bytes: int) -> str:
    amount = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TB"
