"""One mapping of a lab spec: its fields by name (merges and duplicates resolved), each read with its path."""
from __future__ import annotations

from typing import TYPE_CHECKING

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from labspec.composer import MERGE_TAG, NULL_TAG
from labspec.problem_text import suggest

if TYPE_CHECKING:
    from labspec.reader import Check, IntCheck, Reader


class Section:
    """One mapping of the spec: its fields by name, each read at most once with its path."""

    def __init__(self, reader: Reader, node: MappingNode, *, path: str, fields: tuple[str, ...]) -> None:
        self.reader = reader
        self.path = path
        self._entries: dict[str, Node] = {}
        log = reader.log
        log.locate(path, node.start_mark.line + 1)
        lines: dict[str, int] = {}
        twice: list[tuple[str, int]] = []
        for key, value in node.value:   # the common case in one pass: own keys only, all plain text
            if key.tag == MERGE_TAG or not isinstance(key, ScalarNode):
                self._entries.clear()
                lines, twice = self._merge(node, fields), []
                break
            name, line = key.value, key.start_mark.line + 1
            if name in lines and name != "<<":
                twice.append((name, line))
            lines[name] = line
            if name in fields:
                self._entries[name] = value
        for name, line in twice:
            log.add(self.at(name), f"field '{name}' is given twice", line=line)
        log.locate_fields(path, lines)
        if len(lines) > len(self._entries):
            for name in lines:
                if name not in fields:
                    log.add(self.at(name), f"unknown field '{name}'{suggest(name, fields)}", allowed=fields)

    def _merge(self, node: MappingNode, fields: tuple[str, ...]) -> dict[str, int]:
        """Read a mapping with ``<<: *defaults`` merges or odd keys; the line of each field."""
        log = self.reader.log
        seen: set[str] = set()
        for key, _ in node.value:  # duplicates among the mapping's own keys, before merging
            if isinstance(key, ScalarNode) and key.value != "<<":
                if key.value in seen:
                    log.add(self.at(key.value), f"field '{key.value}' is given twice",
                            line=key.start_mark.line + 1)
                seen.add(key.value)
        if any(key.tag == MERGE_TAG for key, _ in node.value):
            try:
                yaml.SafeLoader("").flatten_mapping(node)  # resolves ``<<: *defaults`` merges
            except (yaml.YAMLError, RecursionError) as err:
                log.add(self.path, f"cannot merge: {getattr(err, 'problem', None) or 'recursive merge'}")
        lines: dict[str, int] = {}
        for key, value in node.value:  # merged keys come first, so own keys win below
            if not isinstance(key, ScalarNode):
                log.add(self.path, "field names must be plain text", line=key.start_mark.line + 1)
                continue
            lines[key.value] = key.start_mark.line + 1
            if key.value in fields:
                self._entries[key.value] = value
        return lines

    def at(self, key: str) -> str:
        """The path of field ``key``."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.node(key) is not None

    def node(self, key: str) -> Node | None:
        """The value node of ``key``; an explicit ``null`` counts as absent."""
        node = self._entries.get(key)
        if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
            return None
        return node

    def _absent(self, key: str, required: bool) -> None:
        if required:
            self.reader.log.add(self.at(key), f"missing required field '{key}'")

    def text(self, key: str, *, required: bool = True, check: Check | None = None) -> str | None:
        node = self.node(key)
        if node is None:
            self._absent(key, required)
            return None
        return self.reader.text(node, self.at(key), required=required, check=check)

    def integer(self, key: str, *, default: int | None = None,
                check: IntCheck | None = None) -> int | None:
        node = self.node(key)
        if node is None:
            self._absent(key, default is None)
            return default
        return self.reader.integer(node, self.at(key), check=check)

    def boolean(self, key: str, *, default: bool) -> bool | None:
        node = self.node(key)
        return default if node is None else self.reader.boolean(node, self.at(key))

    def choice(self, key: str, allowed: tuple[str, ...], *, noun: str,
               default: str | None = None) -> str | None:
        node = self.node(key)
        if node is None:
            self._absent(key, default is None)
            return default
        return self.reader.choice(node, self.at(key), allowed, noun=noun)

    def secret(self, key: str, *, variable: str, required: bool = True) -> str | None:
        node = self.node(key)
        if node is None:
            self._absent(key, required)
            return None
        return self.reader.secret(node, self.at(key), variable=variable)

    def section(self, key: str, fields: tuple[str, ...], *, required: bool = True) -> Section | None:
        node = self.node(key)
        if node is None:
            self._absent(key, required)
            return None
        return self.reader.section(node, self.at(key), fields)

    def sequence(self, key: str, *, required: bool = True) -> list[tuple[str, Node]] | None:
        node = self.node(key)
        if node is None:
            self._absent(key, required)
            return None if required else []
        return self.reader.sequence(node, self.at(key))

    def texts(self, key: str, *, required: bool = False, check: Check | None = None,
              allowed: tuple[str, ...] = (), noun: str = "value") -> tuple[str, ...] | None:
        """A list of values; each one that fails is logged and left out."""
        items = self.sequence(key, required=required)
        if items is None:
            return None
        read = (self.reader.choice(n, p, allowed, noun=noun) if allowed
                else self.reader.text(n, p, check=check) for p, n in items)
        return tuple(v for v in read if v is not None)
