"""The simulated master's sed: GNU sed's answers for the edits made to version.yaml."""
from __future__ import annotations

import pytest

from sim.fuel import sed
from sim.fuel.host import version_yaml

VERSION = version_yaml(("mirantis",))


def edit(text: str, *scripts: str) -> str:
    return sed.run([c for n, s in enumerate(scripts, start=1) for c in sed.parse(s, n)], text)


@pytest.mark.parametrize(("scripts", "groups"), [
    (("/^    - mirantis$/a\\    - experimental",), ["mirantis", "experimental"]),
    (("/^  feature_groups:/a\\    - experimental",), ["experimental", "mirantis"]),
    (("/^    - /d", "/^  feature_groups:/a\\    - mirantis", "/^  feature_groups:/a\\    - experimental"),
     ["mirantis", "experimental"]),
    (("s/- mirantis/- experimental/",), ["experimental"]),
    (("/^    - mirantis$/d",), None),
])
def test_feature_group_edits(scripts: tuple[str, ...], groups: list[str] | None) -> None:
    import yaml
    data = yaml.safe_load(edit(VERSION, *scripts))
    assert data["VERSION"]["feature_groups"] == groups
    assert data["VERSION"]["release"] == "6.0"


def test_a_without_backslash_strips_leading_blanks_and_append_survives_d() -> None:
    assert edit("a\nb\n", "1a   x") == "a\nx\nb\n"
    assert edit("a\nb\n", "1a\\x", "1d") == "x\nb\n"       # the append queue is flushed even when d ends the cycle


def test_basic_regex_groups_and_literals() -> None:
    assert edit("x+y (1)\n", "s/\\(x\\)+y/\\1z/") == "xz (1)\n"
    assert edit("aaa\n", "s/a/b/g") == "bbb\n"


@pytest.mark.parametrize(("script", "message"), [
    ("x", "sed: -e expression #1, char 1: unknown command: `x'"),
    ("/abc", "sed: -e expression #1, char 4: unterminated address regex"),
    ("s/a/b", "sed: -e expression #1, char 5: unterminated `s' command"),
])
def test_errors_read_as_gnu_sed(script: str, message: str) -> None:
    with pytest.raises(sed.SedError) as caught:
        sed.parse(script, 1)
    assert str(caught.value) == message
