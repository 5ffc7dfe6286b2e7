"""GNU ``find`` on the simulated master, the part fuelbot uses to list backups, and ``stat``:

    find PATH [-maxdepth 0] [-type f] [-name GLOB] [-printf FORMAT]
    stat -c FORMAT FILE…     ``%Y`` (seconds since the epoch) and ``%y`` (``2014-12-26 14:21:35.123456789
                             +0000``, nanoseconds as ext4 keeps them), coreutils 8.4's

``-printf`` knows ``%T@`` (modification time, seconds since the epoch, as GNU find 4.4 prints
it), ``%s`` (size in bytes), ``%p`` (path), ``%f`` (base name) and ``\\n``. A file's time is when
the simulator wrote it (``MasterHost.mtimes``), or the master's boot for the files an install
leaves. Errors are worded as CentOS 6's findutils 4.4.2 and coreutils 8.4 word them.
"""
from __future__ import annotations

import fnmatch
import posixpath
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.fuel.engine import Engine
    from sim.fuel.shell import Result


def run(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if not args or args[0].startswith("-"):
        return fail(1, "find: this simulated master needs a starting path first: find PATH [tests]")
    root, rest = args[0], args[1:]
    depth0, pattern, fmt = False, None, "%p\\n"
    words = iter(rest)
    for word in words:
        value = next(words, None)
        if word == "-maxdepth" and value == "0":
            depth0 = True
        elif word == "-type" and value == "f":
            pass
        elif word == "-name" and value is not None:
            pattern = value
        elif word == "-printf" and value is not None:
            fmt = value
        else:
            return fail(1, f"find: this simulated master knows -maxdepth 0, -type f, -name and -printf, not `{word}'")
    files = engine.host.files
    prefix = root.rstrip("/") + "/"
    if root in files:
        found = [root]
    elif any(p.startswith(prefix) for p in files):
        found = [] if depth0 else sorted(p for p in files if p.startswith(prefix))
    else:
        return fail(1, f"find: `{root}': No such file or directory")
    booted = engine.clock.wall_time(engine.host.booted_at).timestamp()
    out = []
    for path in found:
        if pattern is not None and not fnmatch.fnmatchcase(posixpath.basename(path), pattern):
            continue
        when = engine.host.mtimes.get(path, booted)
        out.append(fmt.replace("%T@", f"{when:.10f}").replace("%s", str(len(files[path])))
                   .replace("%p", path).replace("%f", posixpath.basename(path)).replace("\\n", "\n"))
    return Result(0, "".join(out))


def stat(engine: "Engine", args: list[str]) -> "Result":
    from sim.fuel.shell import Result, fail

    if len(args) < 3 or args[0] != "-c":
        return fail(1, "stat: this simulated master answers `stat -c FORMAT FILE...' only")
    fmt, paths = args[1], args[2:]
    booted = engine.clock.wall_time(engine.host.booted_at).timestamp()
    out, err = [], []
    for path in paths:
        if path not in engine.host.files:
            err.append(f"stat: cannot stat `{path}': No such file or directory\n")
            continue
        when = engine.host.mtimes.get(path, booted)
        local = datetime.fromtimestamp(when).astimezone()
        shown = local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond:06d}000 " + local.strftime("%z")
        out.append(fmt.replace("%Y", str(int(when))).replace("%y", shown).replace("%n", path) + "\n")
    return Result(1 if err else 0, "".join(out), "".join(err))
