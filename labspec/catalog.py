"""The labs fuelbot knows: every ``*.yaml`` in the labs directory, each loaded on its own.

A broken file costs only itself: its problems are returned and the other labs still load.
Labs are also checked against each other, because they may share one vCenter and one Fuel
master: a lab name, a VM name or a VM folder in the same datacenter, or an environment name on
the same Fuel master may be used once.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from labspec.loader import read_lab
from labspec.model import Lab
from labspec.problems import ProblemLog, SpecProblem

Fingerprint = tuple[tuple[str, int, int], ...]     # (file name, size, mtime in ns) of every spec


def load_labs(directory: Path, environ: Mapping[str, str]) -> tuple[dict[str, Lab], list[SpecProblem]]:
    """Every valid lab in ``directory`` by name, and the problems of the files that are not."""
    if not directory.is_dir():
        return {}, [SpecProblem(file=str(directory), line=None, path="",
                                message="is not a directory of lab specs")]
    # Files are named as they sit in the directory ("lab1.yaml"): the name travels into Slack, the
    # server's directory layout must not.
    return collect(read_lab(path, environ, shown_as=path.name) for path in sorted(directory.glob("*.yaml")))


class CachedLabs:
    """``load_labs`` that re-reads the directory only when a spec file changed (name, size, mtime).

    Every command and job step asks for the labs; parsing fifty 100-node specs takes seconds,
    which a Slack reply cannot afford.
    """

    def __init__(self, directory: Path, environ: Mapping[str, str]) -> None:
        self._directory = directory
        self._environ = environ
        self._lock = threading.Lock()
        self._seen: Fingerprint | None = None
        self._result: tuple[dict[str, Lab], list[SpecProblem]] = ({}, [])

    def _fingerprint(self) -> Fingerprint:
        if not self._directory.is_dir():
            return ()
        stats = []
        for path in sorted(self._directory.glob("*.yaml")):
            try:
                stat = path.stat()
            except OSError:
                continue
            stats.append((path.name, stat.st_size, stat.st_mtime_ns))
        return tuple(stats)

    def __call__(self) -> tuple[dict[str, Lab], list[SpecProblem]]:
        fingerprint = self._fingerprint()
        with self._lock:
            if fingerprint != self._seen or not fingerprint:
                self._result = load_labs(self._directory, self._environ)
                self._seen = fingerprint
            labs, problems = self._result
            return dict(labs), list(problems)


def collect(read: Iterable[tuple[Lab | None, ProblemLog]]) -> tuple[dict[str, Lab], list[SpecProblem]]:
    """Keep the labs without problems that do not clash with one kept before them."""
    labs: dict[str, Lab] = {}
    problems: list[SpecProblem] = []
    for lab, log in read:
        if lab is not None:
            _check_clashes(lab, log, labs.values())
        if lab is None or log.problems:
            problems.extend(log.sorted())
        else:
            labs[lab.name] = lab
    return labs, problems


def _check_clashes(lab: Lab, log: ProblemLog, others: Iterable[Lab]) -> None:
    for other in others:
        if other.name == lab.name:
            log.add("name", f"lab name '{lab.name}' is already used by {other.source}")
        if _same_datacenter(lab, other):
            if lab.vcenter.folder and lab.vcenter.folder == other.vcenter.folder:
                log.add("vcenter.folder", f"folder '{lab.vcenter.folder}' is already lab {other.name}'s "
                                          f"({other.source}); each lab needs its own VM folder")
            taken = set(_vm_names(other))
            for path, name in _vm_paths(lab):
                if name in taken:
                    log.add(path, f"VM name '{name}' is already used by lab {other.name} "
                                  f"({other.source}) in the same datacenter")
        if lab.fuel.url == other.fuel.url and lab.environment.name == other.environment.name:
            log.add("environment.name", f"environment '{lab.environment.name}' already exists on "
                                        f"the same Fuel master, in lab {other.name} ({other.source})")


def _same_datacenter(lab: Lab, other: Lab) -> bool:
    return (lab.vcenter.url, lab.vcenter.datacenter) == (other.vcenter.url, other.vcenter.datacenter)


def _vm_paths(lab: Lab) -> list[tuple[str, str]]:
    paths = [(f"nodes[{i}].name", node.name) for i, node in enumerate(lab.nodes)]
    if lab.fuel.vm is not None:
        paths.append(("fuel.master_vm.name", lab.fuel.vm.name))
    return paths


def _vm_names(lab: Lab) -> list[str]:
    return [name for _, name in _vm_paths(lab)]
