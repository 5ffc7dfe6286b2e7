"""Each command's argparse parser, made to raise (errbot's trick), and argparse's complaints in fuelbot's words.

A command's ``params`` (``commands.command.Param``) become the options and positionals of a
parser built once per command; what argparse reads is handed on as it read it (words, lists of
words, flags) for ``commands.param_values`` to validate. Error texts never contain raw input.
"""
from __future__ import annotations

import argparse
import re
import threading
from functools import lru_cache
from typing import NoReturn

from commands import parse_replies
from commands.catalog import BY_NAME
from commands.command import Command, ParamKind
from commands.echo import echo
from core.errors import CommandError

_WORD_LISTS = {"<testsets>", "<topic>"}

# parse_known_intermixed_args changes the parser while it works (positionals' nargs and defaults,
# then puts them back): the parsers are shared by the listener threads, so one parses at a time.
_PARSING = threading.Lock()


class _Malformed(Exception):
    """argparse's complaint, turned into a usage reply by :func:`read_arguments`."""


class RaisingArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing to stderr and exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise _Malformed(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _Malformed(message or "")


def read_arguments(kind: type[Command], words: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """What ``kind``'s parser reads in ``words`` and the words it did not take; CommandError with the usage
    when argparse complains."""
    try:
        with _PARSING:
            return _argument_parser(kind.name).parse_known_intermixed_args(words)
    except _Malformed as exc:
        raise CommandError(parse_replies.usage(kind.usage, kind.example, _explain(str(exc)))) from None


@lru_cache(maxsize=None)
def _argument_parser(name: str) -> RaisingArgumentParser:
    kind = BY_NAME[name]
    # No -h (``commands.parser`` answers it with help), no @file expansion (fromfile_prefix_chars stays None: "@oncall" is a
    # mention), no abbreviations (--f must not silently mean --fix).
    parser = RaisingArgumentParser(prog=kind.name, add_help=False, allow_abbrev=False)
    for param in kind.params:
        metavar = f"<{param.field.replace('_', ' ')}>"
        if param.option and param.kind is ParamKind.FLAG:
            parser.add_argument(param.option, dest=param.field, action="store_true")
        elif param.option and param.kind is ParamKind.REASON:     # --reason takes the words up to the next option
            parser.add_argument(param.option, dest=param.field, metavar=param.field.upper(), nargs="+")
        elif param.option:
            parser.add_argument(param.option, dest=param.field, metavar=param.field.upper())
        elif param.kind in (ParamKind.TESTSETS, ParamKind.TOPIC):
            parser.add_argument(param.field, nargs="*", metavar=metavar)
        else:
            parser.add_argument(param.field, nargs="?" if param.optional else None, metavar=metavar)
    # What parse_known_intermixed_args would otherwise work out (through gettext) on every call.
    parser.usage = parser.format_usage().removeprefix("usage: ").strip()
    return parser


def _explain(message: str) -> str:
    """argparse's wording → fuelbot's (and never the raw input)."""
    if message.startswith("the following arguments are required:"):
        names = [n.strip() for n in message.split(":", 1)[1].split(",")]
        # Intermixed parsing lists optional word lists (test sets) as missing too; they are not.
        names = [n for n in names if n not in _WORD_LISTS] or names
        return parse_replies.missing(", ".join(f"`{n}`" for n in names))
    if message.startswith("unrecognized arguments:"):
        return parse_replies.unexpected(message.split(":", 1)[1].strip())
    match = re.match(r"argument (\S+): expected (?:at least )?one argument", message)
    if match:
        return parse_replies.needs_value(match.group(1).split("/")[0])
    return echo(message)
