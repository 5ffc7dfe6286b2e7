"""A lab spec's YAML composed into a node tree that knows the line of every field.

The file is *composed*, not constructed: PyYAML's node tree keeps each node's source mark and
each scalar's original text, so ``cpus: 2`` and ``cpus: ${CPUS:-2}`` are read the same way
(``labspec.reader``). Composing is libyaml's (PyYAML's C parser keeps every node's line), and a
plain scalar's tag is only told apart as null or a merge key: every other value is read as text
and typed by the field, so asking PyYAML's regular expressions whether ``2`` looks like an int is
work thrown away.
"""
from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from labspec.problem_text import kind_of
from labspec.problems import ProblemLog

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})   # YAML 1.1's null, as PyYAML's resolver has it


class _Composer(yaml.CSafeLoader):
    """libyaml's parser; a plain scalar is null, a merge key or text (see the module docstring)."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return NULL_TAG if value in _NULLS else MERGE_TAG if value == "<<" else STR_TAG
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
    if node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG):
        log.add("", "the file is empty; a lab spec maps name, vcenter, vsphere_networks, fuel, "
                    "environment and nodes")
        return None
    if not isinstance(node, MappingNode):
        log.add("", f"a lab spec must be a mapping of fields, not {kind_of(node)}",
                line=node.start_mark.line + 1)
        return None
    return node


def _flow_hint(text: str, line: int | None) -> str:
    # ``{vlan: ${VLAN}}`` is the classic trap: inside [...] or {...} the ``{`` opens a mapping
    lines = text.splitlines()
    if line and line <= len(lines) and "${" in lines[line - 1]:
        return ' (inside [...] or {...}, quote a value that uses ${...}: "${VAR:-default}")'
    return ""
