"""root's shell on the simulated master: the commands the article, fuelbot and an admin type.

    cat FILE…                       hostname            echo WORDS…       true / false
    sed [-n] [-i] [-e SCRIPT]… FILE (see :mod:`sim.fuel.sed`)
    chpasswd                        reads ``user:password`` lines on stdin (root only here)
    ls [-l] PATH…                   files and the backup folders dockerctl made
    rm [-f] PATH…                   files (not folders: ``rm -r`` is refused here)
    fuel --version                  python-fuelclient 6.0.0, printed on stderr (Python 2's argparse)
    dockerctl list|check|restart|start|stop|shell|backup …   (see :mod:`sim.fuel.dockerctl`)
    find PATH [-maxdepth 0] [-type f] [-name GLOB] [-printf FMT]   (see :mod:`sim.fuel.find`)
    uptime · df [-h] [-P] · docker ps                         (see :mod:`sim.fuel.sysinfo`)
    stat -c FORMAT FILE…            ``%y`` and ``%Y``, the files' modification times (see :mod:`sim.fuel.find`)
    service ntpd start|stop|restart|status · ntpdate … · ntpq -p[n]   (see :mod:`sim.fuel.ntp`)

Lines may chain commands with ``;``, ``&&`` and ``||``. Anything else answers as bash does:
``bash: X: command not found`` and status 127. Callers hold the engine's lock.
"""
from __future__ import annotations

import shlex
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.fuel import dockerctl, find, ntp, sed, sysinfo

if TYPE_CHECKING:
    from sim.fuel.engine import Engine


@dataclass(frozen=True)
class Result:
    """What a command line leaves: exit status, stdout and stderr."""

    status: int
    stdout: str = ""
    stderr: str = ""

    def then(self, other: "Result") -> "Result":
        return Result(other.status, self.stdout + other.stdout, self.stderr + other.stderr)


def fail(status: int, stderr: str) -> Result:
    return Result(status, "", stderr if stderr.endswith("\n") else stderr + "\n")


class Shell:
    """Runs command lines as root on one master."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine

    def run(self, line: str, stdin: bytes = b"") -> Result:
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError:
            return fail(1, "bash: -c: line 0: unexpected EOF while looking for matching quote")
        result, words, joiner = Result(0), [], ";"
        for token in tokens + [";"]:
            if token not in (";", "&&", "||"):
                if token in ("|", "&", ";;", "|&"):
                    return fail(2, f"bash: this simulated master does not run `{token}' in command lines")
                words.append(token)
                continue
            if words:
                run_it = joiner == ";" or (joiner == "&&") == (result.status == 0)
                result = result.then(self.command(words, stdin)) if run_it else result
            words, joiner = [], token
        return result

    def command(self, words: list[str], stdin: bytes = b"") -> Result:
        name, args = words[0], words[1:]
        host = self.engine.host
        if name == "cat":
            return self._cat(args)
        if name == "sed":
            return self._sed(args)
        if name == "hostname":
            return Result(0, host.params.hostname + "\n")
        if name == "echo":
            return Result(0, " ".join(args) + "\n")
        if name in ("true", "false"):
            return Result(0 if name == "true" else 1)
        if name == "chpasswd":
            return self._chpasswd(stdin)
        if name == "ls":
            return self._ls(args)
        if name == "rm":
            return self._rm(args)
        if name == "fuel":
            if args in (["--version"], ["-v"]):
                return Result(0, "", "6.0.0\n")   # fuel-web 6.0 fuelclient/setup.py; argparse 2.x prints on stderr
            return fail(1, "fuel: this simulated master answers `fuel --version' only; use the API")
        if name == "dockerctl":
            return dockerctl.run(self.engine, args)
        if name == "find":
            return find.run(self.engine, args)
        if name == "stat":
            return find.stat(self.engine, args)
        if name == "service":
            return ntp.service(self.engine, args)
        if name == "ntpdate":
            return ntp.ntpdate(self.engine, args)
        if name == "ntpq":
            return ntp.ntpq(self.engine, args)
        if name == "uptime":
            return sysinfo.uptime(self.engine)
        if name == "df":
            return sysinfo.df(self.engine, args)
        if name == "docker":
            return sysinfo.docker(self.engine, args)
        if name == "cobbler":
            return fail(127, "-bash: cobbler: command not found")  # it lives in the cobbler container
        return fail(127, f"bash: {name}: command not found")

    def _cat(self, paths: list[str]) -> Result:
        out, err, status = [], [], 0
        for path in paths:
            data = self.engine.host.files.get(path)
            if data is None:
                status = 1
                err.append(f"cat: {path}: {'Is a directory' if self._is_dir(path) else 'No such file or directory'}\n")
            else:
                out.append(data.decode("utf-8", "replace"))
        return Result(status, "".join(out), "".join(err))

    def _sed(self, args: list[str]) -> Result:
        in_place, quiet, scripts, files = False, False, [], []
        words = iter(args)
        for word in words:
            if word == "-i":
                in_place = True
            elif word == "-n":
                quiet = True
            elif word == "-e":
                script = next(words, None)
                if script is None:
                    return fail(1, "sed: option requires an argument -- 'e'")
                scripts.append(script)
            elif word.startswith("-") and word != "-":
                return fail(1, f"sed: invalid option -- '{word.lstrip('-')[:1]}'")
            else:
                files.append(word)
        if not scripts:
            if not files:
                return fail(1, "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...")
            scripts.append(files.pop(0))
        try:
            commands = [c for n, s in enumerate(scripts, start=1) for c in sed.parse(s, n)]
        except sed.SedError as exc:
            return fail(1, str(exc))
        if in_place and not files:
            return fail(4, "sed: no input files")
        out = []
        for path in files:
            data = self.engine.host.files.get(path)
            if data is None:
                return fail(2, f"sed: can't read {path}: No such file or directory")
            edited = sed.run(commands, data.decode("utf-8", "replace"), quiet=quiet)
            if in_place:
                self.engine.host.files[path] = edited.encode()
                self.engine.host.mtimes[path] = self.engine.clock.wall_time(self.engine.now()).timestamp()
            else:
                out.append(edited)
        return Result(0, "".join(out))

    def _chpasswd(self, stdin: bytes) -> Result:
        for number, line in enumerate(stdin.decode("utf-8", "replace").splitlines(), start=1):
            user, sep, password = line.partition(":")
            if not sep:
                return fail(1, f"chpasswd: line {number}: missing new password")
            if user != "root":
                return fail(1, f"chpasswd: line {number}: user '{user}' does not exist")
            self.engine.host.root_password = password
            self.engine.host.root_password_changes += 1
        return Result(0)

    def _rm(self, args: list[str]) -> Result:
        force = "-f" in args
        options = [a for a in args if a.startswith("-") and a != "-f"]
        if options:
            return fail(1, f"rm: this simulated master removes files only (not `{options[0]}')")
        paths = [a for a in args if not a.startswith("-")]
        if not paths:
            return fail(1, "rm: missing operand\nTry `rm --help' for more information.")
        err, status = [], 0
        for path in paths:
            if self.engine.host.files.pop(path, None) is not None:
                self.engine.host.mtimes.pop(path, None)
                continue
            if self._is_dir(path):
                status = 1
                err.append(f"rm: cannot remove `{path}': Is a directory\n")
            elif not force:
                status = 1
                err.append(f"rm: cannot remove `{path}': No such file or directory\n")
        return Result(status, "", "".join(err))

    def _is_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.engine.host.files)

    def _ls(self, args: list[str]) -> Result:
        long = "-l" in args
        paths = [a for a in args if not a.startswith("-")] or ["."]
        out, err, status = [], [], 0
        for path in paths:
            host_files = self.engine.host.files
            if path in host_files:
                entries = [(path, len(host_files[path]))]
            elif self._is_dir(path):
                prefix = path.rstrip("/") + "/"
                names = sorted({p[len(prefix):].split("/")[0] for p in host_files if p.startswith(prefix)})
                entries = [(n, len(host_files[prefix + n]) if prefix + n in host_files else -1) for n in names]
            else:
                status = 2
                err.append(f"ls: cannot access {path}: No such file or directory\n")
                continue
            stamp = self.engine.clock.wall_time(self.engine.now()).strftime("%b %d %H:%M")
            for name, size in entries:       # size -1: a folder
                mode = stat.filemode(stat.S_IFDIR | 0o755 if size < 0 else stat.S_IFREG | 0o644)
                out.append(f"{mode} 1 root root {max(size, 4096) if size < 0 else size:>9} {stamp} {name}\n"
                           if long else f"{name}\n")
        return Result(status, "".join(out), "".join(err))
