"""Whatever a spec file holds, loading it ends in a ``Lab`` or in problems — never a traceback."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import SpecError
from labspec.loader import parse_lab
from labspec.model import Lab

FIXTURES = Path(__file__).parent / "fixtures_labs"
BASE_TEXT = (FIXTURES / "base.yaml").read_text()
BASE = yaml.safe_load(BASE_TEXT)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["${X}", "${X:-1}", "${", "10.0.0.0/33", "pxe",
                                                           "controller", "-1", "4095", "two", "~"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
environs = st.dictionaries(st.sampled_from(["X", "VCENTER_PASSWORD", "FUEL_PASSWORD"]), st.text(max_size=8))


def _load(text: str, environ: dict[str, str]) -> None:
    try:
        lab = parse_lab(text, source="fuzz.yaml", environ=environ)
    except SpecError as err:
        assert err.problems and all(str(p).startswith("fuzz.yaml") for p in err.problems)
    else:
        assert isinstance(lab, Lab)


@FUZZ
@given(st.text(), environs)
def test_any_text(text: str, environ: dict[str, str]) -> None:
    _load(text, environ)


@FUZZ
@given(values, environs)
def test_any_yaml_document(document: Any, environ: dict[str, str]) -> None:
    _load(yaml.safe_dump(document), environ)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found.extend(_paths(child, prefix + (key,)))
    return found


PATHS = [p for p in _paths(BASE) if p]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(st.just("<delete>"), values)), min_size=1, max_size=4),
       environs)
@example(edits=[(("vsphere_networks", "pxe"), "<delete>"), (("vsphere_networks", "distributed", 0), None)],
         environ={})   # found by a long run: an unnamed pxe met an unreadable port group
def test_a_valid_spec_with_random_fields_replaced(edits: list[tuple[tuple, Any]], environ: dict[str, str]) -> None:
    document = yaml.safe_load(BASE_TEXT)
    for path, value in edits:
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            if value == "<delete>":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue   # an earlier edit removed or reshaped this path
    _load(yaml.safe_dump(document), environ)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 70), st.text(max_size=30)), min_size=1, max_size=3))
def test_a_valid_spec_with_random_lines_replaced(edits: list[tuple[int, str]]) -> None:
    lines = BASE_TEXT.split("\n")
    for index, text in edits:
        lines[index % len(lines)] = text
    _load("\n".join(lines), {})
