"""The part of GNU sed an admin (and fuelbot) uses to edit ``/etc/fuel/version.yaml`` on the master.

Supported, with GNU sed 4.2's meaning (CentOS 6): ``-i`` (in place), ``-e SCRIPT`` (several),
``-n``, one script without ``-e``; addresses ``/regex/`` and a line number, each optional;
commands ``d``, ``p``, ``a\\TEXT`` / ``a TEXT`` (appended after the line, in command order;
the ``a\\`` form keeps TEXT's leading blanks), ``i\\TEXT``, ``s/re/repl/[g]``. Regexes are
POSIX basic ones: ``\\(``/``\\)`` group and ``+``/``?``/``|``/``{`` are literal. Anything else
fails the way sed does: ``sed: -e expression #1, char N: unknown command: `x'`` and status 1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


class SedError(Exception):
    """A script or option sed refuses; the text is sed's own message."""


@dataclass(frozen=True)
class _Command:
    address: re.Pattern[str] | int | None
    name: str                   # d p a i s
    text: str = ""
    pattern: re.Pattern[str] | None = None
    replacement: str = ""
    global_: bool = False


def bre_to_python(bre: str) -> str:
    """Translate a POSIX basic regular expression into Python's syntax."""
    out, i = [], 0
    while i < len(bre):
        ch = bre[i]
        if ch == "\\" and i + 1 < len(bre):
            nxt = bre[i + 1]
            out.append({"(": "(", ")": ")", "{": "{", "}": "}", "|": "|", "+": "+", "?": "?"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(re.escape(ch) if ch in "+?(){}|" else ch)
        i += 1
    return "".join(out)


def _regex(source: str, expr: int, char: int) -> re.Pattern[str]:
    try:
        return re.compile(bre_to_python(source))
    except re.error:
        raise SedError(f"sed: -e expression #{expr}, char {char}: Invalid regular expression") from None


def _delimited(script: str, start: int, delim: str, expr: int) -> tuple[str, int]:
    """The text up to the next unescaped ``delim`` after ``start``, and the index after it."""
    out, i = [], start
    while i < len(script):
        ch = script[i]
        if ch == "\\" and i + 1 < len(script):
            out.append(script[i:i + 2] if script[i + 1] != delim else delim)
            i += 2
            continue
        if ch == delim:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise SedError(f"sed: -e expression #{expr}, char {len(script)}: unterminated address regex"
                   if delim == "/" and start == 1 else
                   f"sed: -e expression #{expr}, char {len(script)}: unterminated `s' command")


def parse(script: str, expr: int) -> list[_Command]:
    """One ``-e`` expression (commands separated by ``;`` or newlines, ``a``/``i`` run to the end)."""
    commands: list[_Command] = []
    i = 0
    while i < len(script):
        while i < len(script) and script[i] in " \t\n;":
            i += 1
        if i >= len(script):
            break
        address: re.Pattern[str] | int | None = None
        if script[i] == "/":
            source, i = _delimited(script, i + 1, "/", expr)
            address = _regex(source, expr, i)
        elif script[i].isdigit():
            digits = re.match(r"\d+", script[i:])
            assert digits is not None
            address, i = int(digits.group()), i + len(digits.group())
        if i >= len(script):
            raise SedError(f"sed: -e expression #{expr}, char {i}: missing command")
        name = script[i]
        i += 1
        if name in "ai":
            rest = script[i:]
            text = rest[1:] if rest.startswith("\\") else rest.lstrip()
            commands.append(_Command(address, name, text=text.replace("\\n", "\n")))
            return commands
        if name in "dp":
            commands.append(_Command(address, name))
        elif name == "s":
            if i >= len(script):
                raise SedError(f"sed: -e expression #{expr}, char {i}: unterminated `s' command")
            delim = script[i]
            source, i = _delimited(script, i + 1, delim, expr)
            replacement, i = _delimited(script, i, delim, expr)
            flags = re.match(r"[gp0-9]*", script[i:])
            flag_text = flags.group() if flags else ""
            i += len(flag_text)
            commands.append(_Command(address, "s", pattern=_regex(source, expr, i),
                                     replacement=re.sub(r"\\([1-9])", r"\\\1", replacement).replace("&", r"\g<0>"),
                                     global_="g" in flag_text))
        else:
            raise SedError(f"sed: -e expression #{expr}, char {i}: unknown command: `{name}'")
    return commands


def run(commands: list[_Command], text: str, *, quiet: bool = False) -> str:
    """Apply the commands to ``text`` line by line, as sed's cycle does."""
    out: list[str] = []
    lines = text.split("\n")
    ends_with_newline = text.endswith("\n")
    if ends_with_newline:
        lines = lines[:-1]
    for number, line in enumerate(lines, start=1):
        appended: list[str] = []
        deleted = False
        for command in commands:
            if isinstance(command.address, int) and command.address != number:
                continue
            if isinstance(command.address, re.Pattern) and not command.address.search(line):
                continue
            if command.name == "d":
                deleted = True
                break
            if command.name == "p":
                out.append(line)
            elif command.name == "a":
                appended.append(command.text)
            elif command.name == "i":
                out.append(command.text)
            elif command.name == "s" and command.pattern is not None:
                line = command.pattern.sub(command.replacement, line, count=0 if command.global_ else 1)
        if not deleted and not quiet:
            out.append(line)
        out.extend(appended)
    return "\n".join(out) + ("\n" if out else "")
