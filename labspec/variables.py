"""The environment a lab spec may read: the variables an admin allows, never fuelbot's own.

A spec is data that whoever may write to the labs directory can change, while the process
environment also holds fuelbot's own secrets (Slack's tokens and signing secret, the database
URL). A ``${VAR}`` reference is a read of that environment, so it is checked like one: the name
must match the allow-list (``FUELBOT_SPEC_VARIABLES``: names and ``*`` patterns) and must not be
one of fuelbot's own (``core.settings.OWN_VARIABLES``), whatever the list says. Without this, a
spec with ``fuel.url`` pointing anywhere and ``fuel.password: ${SLACK_SIGNING_SECRET}`` has the
discovery watch send the signing secret there within a minute.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase

from core.settings import OWN_VARIABLES

ANY = ("*",)


class SpecEnvironment(Mapping[str, str]):
    """``environ`` as a lab spec sees it: a refused name reads as unset, and ``refusal`` says why."""

    def __init__(self, environ: Mapping[str, str], *, allowed: Sequence[str] = ANY) -> None:
        self._environ = environ
        self.allowed = tuple(allowed)

    @classmethod
    def of(cls, environ: Mapping[str, str]) -> "SpecEnvironment":
        """``environ`` itself when it is a ``SpecEnvironment``; else a view that refuses only fuelbot's own."""
        return environ if isinstance(environ, SpecEnvironment) else cls(environ)

    def refusal(self, name: str) -> str | None:
        """Why a spec may not read ``name``, or None when it may."""
        if any(fnmatchcase(name, pattern) for pattern in OWN_VARIABLES):
            return f"${{{name}}} is fuelbot's own setting, which a lab spec may never read"
        if not any(fnmatchcase(name, pattern) for pattern in self.allowed):
            return (f"${{{name}}} is not a variable lab specs may read (FUELBOT_SPEC_VARIABLES allows "
                    f"{', '.join(self.allowed) or 'none'}; an admin can add it there)")
        return None

    def __getitem__(self, name: str) -> str:
        if self.refusal(name) is not None:
            raise KeyError(name)
        return self._environ[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._environ if self.refusal(name) is None)

    def __len__(self) -> int:
        return sum(1 for _ in self)
