"""What is wrong with a lab spec, and where: one ``SpecProblem`` per finding.

A ``ProblemLog`` collects every problem of one file while it is read and checked, so a user
sees all of them at once; it also remembers the line of every field read, which lets later
cross-field rules point at a line without touching YAML again.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class SpecProblem:
    """One finding: ``file:line: path: message (allowed: …)``; never contains a secret value."""

    file: str
    line: int | None
    path: str                      # dotted field path, e.g. nodes[0].nics[1].portgroup
    message: str
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        head = f"{where}: {self.path}: " if self.path else f"{where}: "
        tail = f" (allowed: {', '.join(self.allowed)})" if self.allowed else ""
        return f"{head}{self.message}{tail}"


class ProblemLog:
    """The problems of one file, in the order found, and the line of every field seen."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SpecProblem] = []
        self._lines: dict[str, int] = {}

    def locate(self, path: str, line: int) -> None:
        """Remember that the field at ``path`` sits on (1-based) ``line``."""
        self._lines.setdefault(path, line)

    def locate_fields(self, parent: str, lines: dict[str, int]) -> None:
        """Remember the line of each field of the mapping at ``parent`` (``lines``: name -> line)."""
        prefix = f"{parent}." if parent else ""
        for name, line in lines.items():
            self._lines.setdefault(prefix + name, line)

    def line_of(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest located ancestor (a missing field's parent)."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = _parent(path)
        return self._lines.get("")

    def add(self, path: str, message: str, *, line: int | None = None,
            allowed: tuple[str, ...] = ()) -> None:
        """Record a problem at ``path``; its line is looked up unless given."""
        self.problems.append(SpecProblem(file=self.file, line=line or self.line_of(path), path=path,
                                         message=message, allowed=tuple(allowed)))

    def copy(self) -> "ProblemLog":
        """A log with the same problems and lines, whose own additions leave this one as it is."""
        twin = ProblemLog(self.file)
        twin.problems = list(self.problems)
        twin._lines = self._lines
        return twin

    def has_problem(self, path: str) -> bool:
        """Whether a problem was already logged at ``path`` (rules use it to avoid echoes)."""
        return any(p.path == path for p in self.problems)

    def sorted(self) -> list[SpecProblem]:
        """Problems in file order; cross-field findings land beside the field they name."""
        return sorted(self.problems, key=lambda p: p.line or 0)


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""
