"""What people type after ``/fuel`` → words: Slack's typography undone, split like a shell.

Slack rewrites what people type: straight quotes become curly ones, ``--`` becomes an em dash
on macOS, spaces become non-breaking. :func:`normalise` undoes that before ``shlex`` splits the
words; :func:`suggest` finds the word a typo meant.
"""
from __future__ import annotations

import difflib
import re
import shlex

from commands import parse_replies
from core.errors import CommandError

_TRANSLATIONS = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
                               "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
                               "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
                               "\u3000": " ", "\u200b": ""})
_DASHED_OPTION = re.compile(r"(?<!\S)[—–](?=[A-Za-z])")    # macOS smart dashes: —fix → --fix


def normalise(text: str) -> str:
    """Undo Slack's typography: smart quotes, smart dashes before options, odd spaces."""
    return _DASHED_OPTION.sub("--", text.translate(_TRANSLATIONS)).strip()


def tokenize(text: str) -> list[str]:
    """Split like a shell; an unbalanced quote is a CommandError saying so."""
    try:
        return shlex.split(text)
    except ValueError:
        raise CommandError(parse_replies.unbalanced_quote()) from None


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close enough to be a typo."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None
