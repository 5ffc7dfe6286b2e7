"""Time zones a schedule may name: the canonical IANA names (``Europe/Paris``, ``UTC``), nothing else.

``zoneinfo`` opens whatever file a name leads to: ``Europe`` is a directory (an IsADirectoryError,
which used to reach people as a crash reference), and ``US/Eastern`` or ``Asia/Calcutta`` are
links kept for backward compatibility. The names tzdata declares as a Zone in ``tzdata.zi`` (of
the pinned ``tzdata`` package, so every replica agrees) are the canonical ones; ``UTC`` is the
one link accepted, since everyone types it. A link is answered with the name it stands for, a
case slip is corrected, and a region alone asks for a city.
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources

from core.errors import CommandError

ACCEPTED_LINKS = frozenset({"UTC"})
_EXAMPLES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Africa/Nairobi")


@lru_cache(maxsize=1)
def _tzdata() -> tuple[frozenset[str], dict[str, str]]:
    """(canonical zone names, link name → target) from tzdata's compact source."""
    text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text(encoding="utf-8")
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "Z":
            zones.add(parts[1])
        elif len(parts) >= 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    zones.discard("Factory")       # tzdata's placeholder for "no zone set", never a place
    return frozenset(zones | ACCEPTED_LINKS), links


def canonical_zone(name: str) -> str:
    """``name`` as the canonical IANA zone it names; a CommandError saying what to type otherwise."""
    zones, links = _tzdata()
    if name in zones:
        return name
    by_lower = {zone.lower(): zone for zone in zones}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    link = links.get(name) or next((target for old, target in links.items() if old.lower() == name.lower()), None)
    if link is not None:
        raise CommandError(f"`{name}` is an old name of `{link}`; use `{link}`.")
    region = name.strip("/").lower()
    cities = sorted(zone for zone in zones if zone.lower().startswith(f"{region}/"))
    if cities:
        example = next((c for c in _EXAMPLES if c in cities), cities[0])
        raise CommandError(f"`{name}` is a region, not a time zone: name a city in it, e.g. `{example}`.")
    close = difflib.get_close_matches(name, sorted(zones), n=1, cutoff=0.8)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    raise CommandError(f"Unknown time zone `{name}`.{hint} Use an IANA name like `Europe/Paris` or `UTC`.")
