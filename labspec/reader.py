"""Read a lab spec's YAML field by field, knowing the line of every field.

Each scalar's original text is interpolated (``cpus: ${CPUS:-2}``), then coerced to the field's
type. Reading never raises: a bad field is logged as a problem and read as ``None`` so that
reading goes on and every problem shows. The tree comes from ``labspec.composer``; a mapping's
fields are read through a ``labspec.section.Section``.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar, cast

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.redact import register_secret
from labspec.interpolate import Resolved, is_reference, resolve
from labspec.problem_text import hide, kind_of, show, suggest
from labspec.problems import ProblemLog
from labspec.section import Section
from labspec.variables import SpecEnvironment

T = TypeVar("T")
Check = Callable[[str], str | None]         # what is wrong with a value, or None
IntCheck = Callable[[int], str | None]
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class Reader:
    """Turns nodes into typed values, logging a problem (and returning None) for each misfit."""

    def __init__(self, log: ProblemLog, environ: Mapping[str, str]) -> None:
        self.log = log
        self._environ = SpecEnvironment.of(environ)
        self._shared: dict[tuple[int, Hashable], tuple[Node, object]] = {}

    def once(self, node: Node, how: Hashable, read: Callable[[], T]) -> T:
        """``read()`` of ``node`` read as ``how``; a node the YAML shares (an anchor and its aliases,
        ``nics: *nics`` on a hundred nodes) is read once and its value reused, unless that read
        found a problem: then each use is read again, so each shows the problem at its own path."""
        key = (id(node), how)
        if key in self._shared:
            return cast(T, self._shared[key][1])
        before = len(self.log.problems)
        value = read()
        if len(self.log.problems) == before:
            self._shared[key] = (node, value)     # the node is kept: its id stays its own
        return value

    def section(self, node: Node, path: str, fields: tuple[str, ...]) -> Section | None:
        """Read ``node`` as a mapping that may hold only ``fields``."""
        if not isinstance(node, MappingNode):
            self.log.add(path, f"expected a mapping of fields ({', '.join(fields)}), got {kind_of(node)}")
            return None
        return Section(self, node, path=path, fields=fields)

    def sequence(self, node: Node, path: str) -> list[tuple[str, Node]] | None:
        """Read ``node`` as a list; each item comes with its own path (``path[i]``)."""
        if not isinstance(node, SequenceNode):
            self.log.add(path, f"expected a list, got {kind_of(node)}")
            return None
        items = []
        for index, item in enumerate(node.value):
            item_path = f"{path}[{index}]"
            self.log.locate(item_path, item.start_mark.line + 1)
            items.append((item_path, item))
        return items

    def text(self, node: Node, path: str, *, required: bool = True,
             check: Check | None = None) -> str | None:
        """Read a scalar, interpolated; empty means absent, which is a problem if ``required``."""
        if not isinstance(node, ScalarNode):
            self.log.add(path, f"expected a single value, got {kind_of(node)}")
            return None
        raw = node.value
        resolved = resolve(raw, self._environ) if "$" in raw else None
        if resolved is not None and not self._resolved_ok(resolved, path):
            return None
        value = (raw if resolved is None else resolved.value).strip()  # edges are never meant
        if value == "":
            if required:
                names = resolved.names if resolved is not None else ()
                hint = f" ({', '.join(names)} is empty)" if names else ""
                self.log.add(path, f"must not be empty{hint}")
            return None
        if check and (wrong := check(value)):
            self.log.add(path, f"{show(node.value, value)} {hide(wrong, node.value, value)}")
            return None
        return value

    def integer(self, node: Node, path: str, *, check: IntCheck | None = None) -> int | None:
        """Read a whole number (also from an interpolated string)."""
        text = self.text(node, path)
        if text is None:
            return None
        try:
            number = int(text, 10)
        except ValueError:
            self.log.add(path, f"{show(node.value, text)} is not a whole number")
            return None
        if check and (wrong := check(number)):
            self.log.add(path, hide(wrong, node.value, text))
            return None
        return number

    def boolean(self, node: Node, path: str) -> bool | None:
        """Read true/false (yes/no, on/off, 1/0 are accepted, as YAML 1.1 does)."""
        text = self.text(node, path)
        if text is None:
            return None
        word = text.lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        self.log.add(path, f"{show(node.value, text)} is not true or false")
        return None

    def choice(self, node: Node, path: str, allowed: tuple[str, ...], *, noun: str) -> str | None:
        """Read one of ``allowed``; a near miss gets a "did you mean" suggestion."""
        text = self.text(node, path)
        if text is None:
            return None
        if text in allowed:
            return text
        self.log.add(path, f"unknown {noun} {show(node.value, text)}{suggest(text, allowed)}",
                     allowed=allowed)
        return None

    def secret(self, node: Node, path: str, *, variable: str) -> str | None:
        """Read a secret: it must be one ``${VAR}`` reference, and its value is never shown."""
        if not isinstance(node, ScalarNode) or not is_reference(node.value):
            self.log.add(path, f"secret must come from the environment, e.g. ${{{variable}}}")
            return None
        resolved = resolve(node.value.strip(), self._environ)
        if not self._resolved_ok(resolved, path):
            return None
        if not resolved.value:
            self.log.add(path, f"secret is empty (set {', '.join(resolved.names)})")
            return None
        # A default written in the spec is public (it sits in the repository; lab1's is the
        # article's admin/admin); registering "admin" would mask the word in every reply.
        if self._environ.get(resolved.names[0]):
            register_secret(resolved.value)
        return resolved.value

    def _resolved_ok(self, resolved: Resolved, path: str) -> bool:
        if not resolved.names and not resolved.malformed:
            return True     # no reference at all: nothing to refuse or miss
        refused = {name: why for name in resolved.names if (why := self._environ.refusal(name))}
        for why in refused.values():
            self.log.add(path, why)
        for name in (n for n in resolved.missing if n not in refused):
            self.log.add(path, f"environment variable {name} is not set and the reference has no "
                               f"default (write ${{{name}:-default}} to give one)")
        for token in resolved.malformed:
            self.log.add(path, f"{token!r} is not a valid reference (expected ${{VAR}} or "
                               f"${{VAR:-default}}; write $$ for a literal $)")
        return resolved.ok and not refused
