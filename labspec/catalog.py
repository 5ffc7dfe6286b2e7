"""The labs fuelbot knows: every ``*.yaml`` in the labs directory, each loaded on its own.

A broken file costs only itself: its problems are returned and the other labs still load.
Labs are also checked against each other, because they may share one vCenter and one Fuel
master: a lab name, a VM name or a VM folder in the same datacenter, or an environment name on
the same Fuel master may be used once.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from labspec.loader import read_lab
from labspec.model import Lab
from labspec.problems import ProblemLog, SpecProblem

Labs = tuple[dict[str, Lab], list[SpecProblem]]
Stamp = tuple[int, int]                          # (size, mtime in ns) of one spec file


def load_labs(directory: Path, environ: Mapping[str, str]) -> Labs:
    """Every valid lab in ``directory`` by name, and the problems of the files that are not."""
    if not directory.is_dir():
        return _not_a_directory(directory)
    # Files are named as they sit in the directory ("lab1.yaml"): the name travels into Slack, the
    # server's directory layout must not.
    return collect(read_lab(path, environ, shown_as=path.name) for path in sorted(directory.glob("*.yaml")))


class CachedLabs:
    """The labs directory read ahead of time: ``current()`` never touches a file, ``refresh()`` does.

    Every command and job step asks for the labs; parsing fifty 100-node specs takes a good part
    of a second, which a Slack ack cannot afford. The process loads them when it starts
    (``refresh``) and re-checks the files on a tick (name, size and mtime of each: a few dozen
    ``stat`` calls), re-reading only a file that changed. Acks read ``current()``, the last
    complete snapshot, so an edit reaches commands within one tick; jobs call the catalog itself,
    which refreshes first, so a job always runs on the spec as it is on disk.
    """

    def __init__(self, directory: Path, environ: Mapping[str, str]) -> None:
        self._directory = directory
        self._environ = environ
        self._lock = threading.Lock()
        self._reads: dict[str, tuple[Stamp, Lab | None, ProblemLog]] = {}
        self._snapshot: Labs | None = None

    def refresh(self) -> bool:
        """Re-read the spec files that changed since the last look; True when the labs changed."""
        with self._lock:
            stamps = self._stamps()
            if stamps is None:
                changed = self._snapshot is None or bool(self._reads)
                self._reads.clear()
                if changed:
                    self._snapshot = _not_a_directory(self._directory)
                return changed
            unchanged = {name: read for name, read in self._reads.items() if stamps.get(name) == read[0]}
            if self._snapshot is not None and len(unchanged) == len(self._reads) == len(stamps):
                return False
            with _collector_paused():
                for name, stamp in stamps.items():
                    if name not in unchanged:
                        lab, log = read_lab(self._directory / name, self._environ, shown_as=name)
                        unchanged[name] = (stamp, lab, log)
                self._reads = dict(sorted(unchanged.items()))
                self._snapshot = collect((lab, log.copy()) for _, lab, log in self._reads.values())
            return True

    def current(self) -> Labs:
        """The labs as last read, without looking at the files (read them first if nothing was)."""
        snapshot = self._snapshot
        if snapshot is None:
            self.refresh()
            snapshot = self._snapshot
            assert snapshot is not None
        labs, problems = snapshot
        return dict(labs), list(problems)

    def __call__(self) -> Labs:
        """The labs as they are on disk now (``refresh``, then ``current``): for jobs, not acks."""
        self.refresh()
        return self.current()

    def _stamps(self) -> dict[str, Stamp] | None:
        if not self._directory.is_dir():
            return None
        stamps: dict[str, Stamp] = {}
        for path in self._directory.glob("*.yaml"):
            try:
                stat = path.stat()
            except OSError:      # removed between the listing and the stat: gone
                continue
            stamps[path.name] = (stat.st_size, stat.st_mtime_ns)
        return stamps


def collect(read: Iterable[tuple[Lab | None, ProblemLog]]) -> Labs:
    """Keep the labs without problems that do not clash with one kept before them."""
    labs: dict[str, Lab] = {}
    problems: list[SpecProblem] = []
    taken = _Taken()
    for lab, log in read:
        if lab is not None:
            taken.check(lab, log)
        if lab is None or log.problems:
            problems.extend(log.sorted())
        else:
            labs[lab.name] = lab
            taken.add(lab)
    return labs, problems


class _Taken:
    """What the labs kept so far hold: names; folders and VM names per datacenter; environments per master.

    Kept labs never clash with each other, so each name points at the one lab holding it.
    """

    def __init__(self) -> None:
        self._names: dict[str, Lab] = {}
        self._folders: dict[tuple[str, str, str], Lab] = {}
        self._vms: dict[tuple[str, str, str], Lab] = {}
        self._environments: dict[tuple[str, str], Lab] = {}

    def check(self, lab: Lab, log: ProblemLog) -> None:
        datacenter = _datacenter(lab)
        if (other := self._names.get(lab.name)) is not None:
            log.add("name", f"lab name '{lab.name}' is already used by {other.source}")
        if lab.vcenter.folder and (other := self._folders.get((*datacenter, lab.vcenter.folder))) is not None:
            log.add("vcenter.folder", f"folder '{lab.vcenter.folder}' is already lab {other.name}'s "
                                      f"({other.source}); each lab needs its own VM folder")
        for path, name in _vm_paths(lab):
            if (other := self._vms.get((*datacenter, name))) is not None:
                log.add(path, f"VM name '{name}' is already used by lab {other.name} "
                              f"({other.source}) in the same datacenter")
        if (other := self._environments.get((lab.fuel.url, lab.environment.name))) is not None:
            log.add("environment.name", f"environment '{lab.environment.name}' already exists on "
                                        f"the same Fuel master, in lab {other.name} ({other.source})")

    def add(self, lab: Lab) -> None:
        datacenter = _datacenter(lab)
        self._names[lab.name] = lab
        if lab.vcenter.folder:
            self._folders[(*datacenter, lab.vcenter.folder)] = lab
        for _, name in _vm_paths(lab):
            self._vms[(*datacenter, name)] = lab
        self._environments[(lab.fuel.url, lab.environment.name)] = lab


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading specs without CPython's cyclic collector, which would find nothing to free.

    Reading makes a hundred thousand objects and keeps them (node trees, then ``Lab`` values), none
    in a reference cycle; each of them counts towards the next collection, and collections
    triggered this way walk the whole heap again and again: in a process with the bot's modules
    loaded that was 60% of a cold load. Reference counting still frees everything as usual.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _datacenter(lab: Lab) -> tuple[str, str]:
    return lab.vcenter.url, lab.vcenter.datacenter


def _vm_paths(lab: Lab) -> list[tuple[str, str]]:
    paths = [(f"nodes[{i}].name", node.name) for i, node in enumerate(lab.nodes)]
    if lab.fuel.vm is not None:
        paths.append(("fuel.master_vm.name", lab.fuel.vm.name))
    return paths


def _not_a_directory(directory: Path) -> Labs:
    return {}, [SpecProblem(file=str(directory), line=None, path="", message="is not a directory of lab specs")]
