"""Read a lab spec's YAML field by field, knowing the line of every field.

The file is *composed*, not constructed: PyYAML's node tree keeps each node's source mark and
each scalar's original text, so ``cpus: 2`` and ``cpus: ${CPUS:-2}`` are read the same way —
interpolate the text, then coerce it to the field's type. Reading never raises: a bad field
is logged as a problem and read as ``None`` so that reading goes on and every problem shows.

Composing is libyaml's (PyYAML's C parser keeps every node's line), and a plain scalar's tag is
only told apart as null or a merge key: every other value is read as text and typed by the field,
so asking PyYAML's regular expressions whether ``2`` looks like an int is work thrown away.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.redact import register_secret
from labspec.interpolate import Resolved, is_reference, resolve
from labspec.problems import ProblemLog
from labspec.variables import SpecEnvironment

T = TypeVar("T")
Check = Callable[[str], str | None]         # what is wrong with a value, or None
IntCheck = Callable[[int], str | None]
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})   # YAML 1.1's null, as PyYAML's resolver has it
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_SHOWN_MAX = 60


class _Composer(yaml.CSafeLoader):
    """libyaml's parser; a plain scalar is null, a merge key or text (see the module docstring)."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _NULL_TAG if value in _NULLS else _MERGE_TAG if value == "<<" else _STR_TAG
        return str(super().resolve(kind, value, implicit))


def compose(text: str, log: ProblemLog) -> MappingNode | None:
    """Parse ``text`` into a node tree; bad YAML or a document that is no mapping is a problem."""
    try:
        node = yaml.compose(text, Loader=_Composer)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        log.add("", f"not valid YAML: {err.problem or err.context}{_flow_hint(text, line)}", line=line)
        return None
    except yaml.YAMLError as err:
        log.add("", f"not valid YAML: {err}")
        return None
    except RecursionError:
        log.add("", "not valid YAML: nested too deeply")
        return None
    if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
        log.add("", "the file is empty; a lab spec maps name, vcenter, vsphere_networks, fuel, "
                    "environment and nodes")
        return None
    if not isinstance(node, MappingNode):
        log.add("", f"a lab spec must be a mapping of fields, not {_kind(node)}",
                line=node.start_mark.line + 1)
        return None
    return node


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
            self.log.add(path, f"expected a mapping of fields ({', '.join(fields)}), got {_kind(node)}")
            return None
        return Section(self, node, path=path, fields=fields)

    def sequence(self, node: Node, path: str) -> list[tuple[str, Node]] | None:
        """Read ``node`` as a list; each item comes with its own path (``path[i]``)."""
        if not isinstance(node, SequenceNode):
            self.log.add(path, f"expected a list, got {_kind(node)}")
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
            self.log.add(path, f"expected a single value, got {_kind(node)}")
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
            self.log.add(path, f"{_show(node.value, value)} {_hide(wrong, node.value, value)}")
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
            self.log.add(path, f"{_show(node.value, text)} is not a whole number")
            return None
        if check and (wrong := check(number)):
            self.log.add(path, _hide(wrong, node.value, text))
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
        self.log.add(path, f"{_show(node.value, text)} is not true or false")
        return None

    def choice(self, node: Node, path: str, allowed: tuple[str, ...], *, noun: str) -> str | None:
        """Read one of ``allowed``; a near miss gets a "did you mean" suggestion."""
        text = self.text(node, path)
        if text is None:
            return None
        if text in allowed:
            return text
        self.log.add(path, f"unknown {noun} {_show(node.value, text)}{suggest(text, allowed)}",
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
            if key.tag == _MERGE_TAG or not isinstance(key, ScalarNode):
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
        if any(key.tag == _MERGE_TAG for key, _ in node.value):
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
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
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


def _flow_hint(text: str, line: int | None) -> str:
    # ``{vlan: ${VLAN}}`` is the classic trap: inside [...] or {...} the ``{`` opens a mapping
    lines = text.splitlines()
    if line and line <= len(lines) and "${" in lines[line - 1]:
        return ' (inside [...] or {...}, quote a value that uses ${...}: "${VAR:-default}")'
    return ""


def suggest(word: str, choices: tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _show(raw: str, value: str) -> str:
    """A value for a problem line: as written, never as interpolated (a URL may carry a password)."""
    if "${" in raw:
        return f"{_clip(raw.strip())} (its value is not shown)"
    return _clip(value)


def _hide(message: str, raw: str, value: str) -> str:
    """A check's message with the interpolated ``value`` replaced by the reference it came from."""
    return message.replace(value, raw.strip()) if "${" in raw and value else message


def _clip(text: str) -> str:
    return repr(text if len(text) <= _SHOWN_MAX else text[:_SHOWN_MAX] + "…")


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {_show(node.value, node.value)}"
