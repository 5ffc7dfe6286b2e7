"""Text typed after ``/fuel`` → a typed command from ``commands.catalog``, or a CommandError.

The words come from ``commands.words`` (Slack's typography undone, split like a shell); the first
one or two name the command; its parser (``commands.arguments``, argparse made to raise) reads
the rest, and every value is validated by its kind (``commands.param_values``). A button's click
is read by ``commands.clicks``. Error texts never contain raw input: see ``commands.echo``.
"""
from __future__ import annotations

from commands import parse_replies
from commands.arguments import read_arguments
from commands.catalog import BY_NAME, VERBS, ShowHelp
from commands.command import Command
from commands.param_values import convert
from commands.words import normalise, suggest, tokenize
from core.errors import CommandError

MAX_LENGTH = 1000


def parse(text: str) -> Command:
    """The command ``text`` stands for; CommandError (safe to show) when it cannot be understood."""
    if len(text) > MAX_LENGTH:
        raise CommandError(parse_replies.too_long(MAX_LENGTH))
    words = tokenize(normalise(text))
    if not words:
        return ShowHelp()
    kind, rest = _command_for(words)
    if "--help" in rest or "-h" in rest:
        return ShowHelp(topic=kind.name)
    namespace, extras = read_arguments(kind, rest)
    values = {param.field: convert(param, getattr(namespace, param.field)) for param in kind.params}
    if extras:
        raise CommandError(parse_replies.usage(kind.usage, kind.example, parse_replies.unexpected(" ".join(extras))))
    return kind(**values)


def _command_for(words: list[str]) -> tuple[type[Command], list[str]]:
    verb = words[0].lower()
    subcommands = sorted(name.split(" ", 1)[1] for name in BY_NAME if name.startswith(f"{verb} "))
    if subcommands:
        sub = words[1].lower() if len(words) > 1 else None
        if sub not in subcommands:
            raise CommandError(parse_replies.unknown_subcommand(verb, sub, subcommands,
                                                                suggest(sub or "", subcommands)))
        return BY_NAME[f"{verb} {sub}"], words[2:]
    if verb not in BY_NAME:
        raise CommandError(parse_replies.unknown_command(words[0], suggest(verb, VERBS)))
    return BY_NAME[verb], words[1:]
