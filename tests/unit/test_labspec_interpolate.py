"""``${VAR}`` and ``${VAR:-default}`` in lab spec values."""
from __future__ import annotations

import pytest

from labspec.interpolate import is_reference, resolve

ENV = {"HOST": "vc.example.com", "EMPTY": "", "DS": "vsanDatastore"}


@pytest.mark.parametrize(("text", "value", "missing", "malformed"), [
    ("plain", "plain", (), ()),
    ("${HOST}", "vc.example.com", (), ()),
    ("https://${HOST}/sdk", "https://vc.example.com/sdk", (), ()),
    ("[${DS:-LocalDS_0}] iso/x.iso", "[vsanDatastore] iso/x.iso", (), ()),
    ("[${NOPE:-LocalDS_0}] iso/x.iso", "[LocalDS_0] iso/x.iso", (), ()),
    ("${EMPTY:-fallback}", "fallback", (), ()),        # like the shell: empty takes the default
    ("${EMPTY}", "", (), ()),                          # set but empty is not missing
    ("${NOPE:-}", "", (), ()),
    ("${NOPE}", "", ("NOPE",), ()),
    ("${A}-${B}", "-", ("A", "B"), ()),
    ("$${HOST}", "${HOST}", (), ()),                   # $$ escapes
    ("cost: $5", "cost: $5", (), ()),
    ("${1BAD}", "${1BAD}", (), ("${1BAD}",)),
    ("${HOST", "${HOST", (), ("${HOST",)),
    ("${A:-${B}}", "${A:-${B}}", (), ("${A:-${B}",)),
])
def test_resolve(text: str, value: str, missing: tuple[str, ...], malformed: tuple[str, ...]) -> None:
    resolved = resolve(text, ENV)
    assert (resolved.value, resolved.missing, resolved.malformed) == (value, missing, malformed)


@pytest.mark.parametrize(("text", "expected"), [
    ("${VCENTER_PASSWORD}", True),
    ("${VCENTER_PASSWORD:-embedded-vcsim}", True),
    ("hunter2", False),
    ("x${VCENTER_PASSWORD}", False),
    ("${A}${B}", False),
])
def test_is_reference(text: str, expected: bool) -> None:
    assert is_reference(text) is expected
