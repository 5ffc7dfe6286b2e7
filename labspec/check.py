"""What ``python app.py check-lab FILE...`` needs: every problem of some files, and a summary.

The CLI prints each problem and exits 1, or prints ``<file>: ok (<describe(lab)>)`` per file,
then any warnings (``warnings_for``): what works but will bite later.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from labspec.catalog import collect
from labspec.loader import read_lab
from labspec.model import Lab
from labspec.problems import SpecProblem


def check_files(paths: Iterable[Path], environ: Mapping[str, str]) -> list[SpecProblem]:
    """Every problem of the spec files at ``paths``, also checked against each other."""
    _, problems = collect(read_lab(Path(path), environ) for path in paths)
    return problems


def describe(lab: Lab) -> str:
    """One line about a valid lab, e.g. ``1 node (controller), Juno on CentOS 6.5, multinode, …``.

    Holds no URL or secret, so it is safe anywhere.
    """
    roles = Counter(role for node in lab.nodes for role in node.roles)
    role_text = ", ".join(role if n == 1 else f"{n} × {role}" for role, n in roles.items())
    env = lab.environment
    master = f"Fuel master VM {lab.fuel.vm.name}" if lab.fuel.vm else "existing Fuel master"
    count = f"{len(lab.nodes)} node" + ("" if len(lab.nodes) == 1 else "s")
    return (f"{count} ({role_text}), {env.release} {env.release_version}, {env.mode}, "
            f"{env.compute}, {env.network_provider} {env.network_manager}, {master}")


_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def warnings_for(lab: Lab, file: str) -> list[str]:
    """What is valid but unwise in a lab: a ``channel`` given by name rather than by Slack id."""
    if lab.channel and not _CHANNEL_ID.fullmatch(lab.channel):
        return [f"{file}: channel: warning: {lab.channel!r} looks like a channel name; use the channel's id "
                "(C…: in Slack, the channel's details, at the bottom of About). Names change and Slack edits "
                "messages only by id, so fuelbot posts a lab's threads by id."]
    return []
