"""Text typed after ``/fuel`` → a typed command from ``commands.catalog``, or a CommandError.

Slack rewrites what people type: straight quotes become curly ones, ``--`` becomes an em dash
on macOS, spaces become non-breaking. :func:`normalise` undoes that before ``shlex`` splits the
words, then an argparse parser made to raise (errbot's trick) reads each command's params and
every value is validated by kind. Error texts never contain raw input: see ``commands.echo``.
"""
from __future__ import annotations

import argparse
import difflib
import re
import shlex
import threading
from dataclasses import replace
from functools import lru_cache
from typing import Any, Callable, NoReturn

from commands import lease_replies, parse_replies
from commands.echo import echo
from commands.host_key_replies import bad_fingerprint
from commands.snapshot_replies import bad_approval_id, bad_snapshot_name
from commands.catalog import BY_BUTTON, BY_NAME, DEFAULT_TESTSETS, TESTSETS, ShowHelp
from commands.command import Command, Param, ParamKind
from core.buttons import ButtonAction
from core.durations import Duration, NotADuration, parse_duration
from core.errors import CommandError
from core.host_key_trust import Fingerprint, NotAFingerprint
from core.slack_ids import USER_ID_PATTERN
from jobs.timezones import canonical_zone

MAX_LENGTH = 1000
LAB_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,40}")
_NUMBER = re.compile(r"#?([0-9]{1,10})")
_MAX_ID = 2**31 - 1                      # PostgreSQL integer: a bigger id cannot exist
_CRON_TEXT = re.compile(r"[0-9A-Za-z*/,\- ]{1,100}")
_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-/]{0,63}")
_LABEL = r"(?:\|[A-Za-z0-9._@-]{0,80})?"           # Slack's "|name" after an escaped id
_CHANNEL_ID = re.compile(rf"<#([CG][A-Z0-9]{{2,}}){_LABEL}>|([CG][A-Z0-9]{{6,}})")
_CHANNEL_NAME = re.compile(r"#?([a-z0-9][a-z0-9._-]{0,79})")
_MENTION = re.compile(rf"<@{USER_ID_PATTERN}{_LABEL}>|<!subteam\^S[A-Z0-9]{{2,}}{_LABEL}>|<!here>"
                      r"|@[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_TRANSLATIONS = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
                               "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
                               "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
                               "\u3000": " ", "\u200b": ""})
_WORD_LISTS = {"<testsets>", "<topic>"}
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_LOG_SOURCE = re.compile(r"[a-z0-9][a-z0-9/_.-]{0,63}")
_LEVEL = re.compile(r"[a-z]{2,12}")
_USER = re.compile(rf"<@({USER_ID_PATTERN}){_LABEL}>|([UW][A-Z0-9]{{6,}})|(@[A-Za-z0-9][A-Za-z0-9._-]{{0,79}})")
MAX_LINES = 1000
_SNAPSHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_REASON_LIMIT = 200
_LONGEST = Duration(days=366)           # past a year is a typo, whatever the policy allows
_DASHED_OPTION = re.compile(r"(?<!\S)[—–](?=[A-Za-z])")    # macOS smart dashes: —fix → --fix


# parse_known_intermixed_args changes the parser while it works (positionals' nargs and defaults,
# then puts them back): the parsers are shared by the listener threads, so one parses at a time.
_PARSING = threading.Lock()


class _Malformed(Exception):
    """argparse's complaint, turned into a usage reply by :func:`parse`."""


class RaisingArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing to stderr and exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise _Malformed(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _Malformed(message or "")


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
    try:
        with _PARSING:
            namespace, extras = _argument_parser(kind.name).parse_known_intermixed_args(rest)
    except _Malformed as exc:
        raise CommandError(parse_replies.usage(kind.usage, kind.example, _explain(str(exc)))) from None
    values = {param.field: _convert(param, getattr(namespace, param.field)) for param in kind.params}
    if extras:
        raise CommandError(parse_replies.usage(kind.usage, kind.example, parse_replies.unexpected(" ".join(extras))))
    return kind(**values)


def parse_click(action_id: str, value: str) -> Command:
    """The command a click on a fuelbot button stands for; its value is validated like a typed word."""
    try:
        kind = BY_BUTTON[ButtonAction(action_id)]
    except ValueError:
        raise CommandError(parse_replies.unknown_action(action_id)) from None
    word, extra = kind.click_parts(value)
    return replace(kind.clicked(_CONVERTERS[kind.params[0].kind](word)), **extra)


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
        raise CommandError(parse_replies.unknown_command(words[0], suggest(verb, _verbs())))
    return BY_NAME[verb], words[1:]


def _verbs() -> list[str]:
    return sorted({name.split(" ", 1)[0] for name in BY_NAME})


@lru_cache(maxsize=None)
def _argument_parser(name: str) -> RaisingArgumentParser:
    kind = BY_NAME[name]
    # No -h (handled above), no @file expansion (fromfile_prefix_chars stays None: "@oncall" is a
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


def _convert(param: Param, value: Any) -> object:     # value: as argparse read it
    if param.kind is ParamKind.FLAG:
        return bool(value)
    if value is None:
        return None
    if param.kind is ParamKind.TESTSETS:
        return _testsets(value)
    if param.kind is ParamKind.TOPIC:
        return _topic(value)
    if param.kind is ParamKind.REASON:
        return reason(" ".join(value))
    if param.kind is ParamKind.DURATION:
        return duration(str(value))
    if param.kind is ParamKind.SNOOZE_FOR:
        return snooze_for(str(value))
    return _CONVERTERS[param.kind](str(value))


def lab_name(value: str) -> str:
    """``value`` when it is a well-formed lab name (it may still not exist)."""
    if not LAB_NAME.fullmatch(value):
        raise CommandError(parse_replies.bad_lab_name(value))
    return value


def _number(value: str, what: str, listing: str) -> int:
    match = _NUMBER.fullmatch(value)
    if not match or not 0 < int(match.group(1)) <= _MAX_ID:
        raise CommandError(parse_replies.bad_number(value, what, listing))
    return int(match.group(1))


def job_id(value: str) -> int:
    """``12`` or ``#12`` → 12."""
    return _number(value, "job", "jobs")


def schedule_id(value: str) -> int:
    return _number(value, "schedule", "schedules")


def _testsets(values: list[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in values:
        name = value.lower().replace("-", "_")
        if name not in TESTSETS:
            raise CommandError(parse_replies.unknown_testset(value, TESTSETS, suggest(name, TESTSETS)))
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen) or DEFAULT_TESTSETS


def _topic(values: list[str]) -> str | None:
    if not values:
        return None
    topic = " ".join(values).lower().removeprefix("/fuel ").strip()
    if topic in BY_NAME or topic in _verbs():
        return topic
    raise CommandError(parse_replies.unknown_help_topic(topic, suggest(topic, _verbs())))


def node(value: str) -> str:
    """A word naming a node (checked against Fuel by the job): node-7, 7 or a VM name."""
    if not _NODE.fullmatch(value):
        raise CommandError(parse_replies.bad_node(value))
    return value


def log_source(value: str) -> str:
    """A word naming a log (checked against Fuel's sources by the job): astute, puppet, install/puppet."""
    if not _LOG_SOURCE.fullmatch(value.lower()):
        raise CommandError(parse_replies.bad_log_source(value))
    return value.lower()


def level(value: str) -> str:
    """A level word (each log has its own levels; the job checks it against the log's)."""
    if not _LEVEL.fullmatch(value.lower()):
        raise CommandError(parse_replies.bad_level(value))
    return value.lower()


def count(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= MAX_LINES:
        raise CommandError(parse_replies.bad_count(value, MAX_LINES))
    return int(value)


def user(value: str) -> str:
    """A Slack user id, from ``<@U123|name>`` (how Slack sends a typed @mention) or ``U123``; ``@name`` as typed."""
    match = _USER.fullmatch(value)
    if not match:
        raise CommandError(parse_replies.bad_user(value))
    return match.group(1) or match.group(2) or match.group(3)


def snooze_for(value: str) -> Duration | str:
    """A duration, or ``off`` to end a snooze."""
    return "off" if value.lower() in ("off", "0", "none") else duration(value)


def snooze_target(value: str) -> str:
    """``#3`` for schedule 3 (typed ``3`` or ``#3``), else a lab's name."""
    if _NUMBER.fullmatch(value):
        return f"#{schedule_id(value)}"
    return lab_name(value)


def cron(value: str) -> str:
    """A syntactically plausible 5-field crontab; ``jobs.schedules`` checks the values."""
    fields = value.split()
    if len(fields) == 1:
        raise CommandError(parse_replies.cron_not_quoted(value))
    if not _CRON_TEXT.fullmatch(value) or len(fields) != 5:
        raise CommandError(parse_replies.bad_cron(value))
    return " ".join(fields)


def timezone(value: str) -> str:
    """A canonical IANA zone name (``jobs.timezones``): ``Europe`` or ``US/Eastern`` say what to type."""
    if not _TIMEZONE.fullmatch(value):
        raise CommandError(parse_replies.bad_timezone(value))
    return canonical_zone(value)


def channel(value: str) -> str:
    """A channel id (from ``<#C123|name>`` or ``C123``) or a channel name without its ``#``."""
    match = _CHANNEL_ID.fullmatch(value)
    if match:
        return match.group(1) or match.group(2)
    match = _CHANNEL_NAME.fullmatch(value)
    if match:
        return match.group(1)
    raise CommandError(parse_replies.bad_channel(value))


def mention(value: str) -> str:
    if not _MENTION.fullmatch(value):
        raise CommandError(parse_replies.bad_mention(value))
    return value


def duration(value: str) -> Duration:
    """``2h``, ``90m``, ``3d``, ``1d12h``, ``1w`` → a Duration (the policy's maximum is checked by the handler)."""
    try:
        length = parse_duration(value)
    except NotADuration:
        raise CommandError(lease_replies.bad_duration(value)) from None
    if length > _LONGEST:
        raise CommandError(lease_replies.duration_too_long(value))
    return length


def reason(value: str) -> str:
    """Free words, made inert: no mentions, links or backticks reach a channel through a reason."""
    clean = " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029<>`]", " ", value).split())
    if not clean:
        raise CommandError(lease_replies.empty_reason())
    return clean if len(clean) <= _REASON_LIMIT else clean[:_REASON_LIMIT - 1] + "…"


def snapshot_name(value: str) -> str:
    if not _SNAPSHOT_NAME.fullmatch(value):
        raise CommandError(bad_snapshot_name(value))
    return value


def approval_id(value: str) -> int:
    """``4`` or ``#4``: the number on an approval request's buttons."""
    match = _NUMBER.fullmatch(value)
    if not match or not 0 < int(match.group(1)) <= _MAX_ID:
        raise CommandError(bad_approval_id(value))
    return int(match.group(1))


def fingerprint(value: str) -> str:
    """An SSH host key's fingerprint, ``SHA256:…`` or MD5 ``a1:b2:…``, as ``ssh-keygen -l`` spells it."""
    try:
        return str(Fingerprint.parse(value))
    except NotAFingerprint as exc:
        raise CommandError(bad_fingerprint(value, str(exc))) from None


_CONVERTERS: dict[ParamKind, Callable[[str], str | int]] = {
    ParamKind.LAB: lab_name, ParamKind.JOB_ID: job_id, ParamKind.SCHEDULE_ID: schedule_id, ParamKind.CRON: cron,
    ParamKind.TIMEZONE: timezone, ParamKind.CHANNEL: channel, ParamKind.MENTION: mention, ParamKind.NODE: node,
    ParamKind.LOG_SOURCE: log_source, ParamKind.LEVEL: level, ParamKind.COUNT: count, ParamKind.USER: user,
    ParamKind.SNOOZE_TARGET: snooze_target,
    ParamKind.SNAPSHOT: snapshot_name, ParamKind.APPROVAL_ID: approval_id, ParamKind.FINGERPRINT: fingerprint}
