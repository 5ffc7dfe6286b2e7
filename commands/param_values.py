"""A word typed for a command's ``Param`` → the value of its field, validated by its ``ParamKind``.

Every kind has its validator: a word that is not one is a CommandError naming what is wrong and
how to fix it (the texts in ``parse_replies``, ``lease_replies``, …), never echoing raw input.
``convert`` takes a value as argparse read it (``commands.arguments``); a button's value goes
through the same validators (``commands.clicks``).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from commands import lease_replies, parse_replies
from commands.catalog import BY_NAME, DEFAULT_TESTSETS, TESTSETS, VERBS
from commands.command import Param, ParamKind
from commands.host_key_replies import bad_fingerprint
from commands.snapshot_replies import bad_approval_id, bad_snapshot_name
from commands.words import suggest
from core.durations import Duration, NotADuration, parse_duration
from core.errors import CommandError
from core.host_key_trust import Fingerprint, NotAFingerprint
from core.slack_ids import USER_ID_PATTERN
from jobs.timezones import canonical_zone

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
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_LOG_SOURCE = re.compile(r"[a-z0-9][a-z0-9/_.-]{0,63}")
_LEVEL = re.compile(r"[a-z]{2,12}")
_USER = re.compile(rf"<@({USER_ID_PATTERN}){_LABEL}>|([UW][A-Z0-9]{{6,}})|(@[A-Za-z0-9][A-Za-z0-9._-]{{0,79}})")
MAX_LINES = 1000
_SNAPSHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_REASON_LIMIT = 200
_LONGEST = Duration(days=366)           # past a year is a typo, whatever the policy allows


def convert(param: Param, value: Any) -> object:
    """The value of ``param``'s field from what argparse read for it: a word, a list of words, a flag."""
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
    return CONVERTERS[param.kind](str(value))


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
    if topic in BY_NAME or topic in VERBS:
        return topic
    raise CommandError(parse_replies.unknown_help_topic(topic, suggest(topic, VERBS)))


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


# The kinds that are one word (a button's value is one of these).
CONVERTERS: dict[ParamKind, Callable[[str], str | int]] = {
    ParamKind.LAB: lab_name, ParamKind.JOB_ID: job_id, ParamKind.SCHEDULE_ID: schedule_id, ParamKind.CRON: cron,
    ParamKind.TIMEZONE: timezone, ParamKind.CHANNEL: channel, ParamKind.MENTION: mention, ParamKind.NODE: node,
    ParamKind.LOG_SOURCE: log_source, ParamKind.LEVEL: level, ParamKind.COUNT: count, ParamKind.USER: user,
    ParamKind.SNOOZE_TARGET: snooze_target,
    ParamKind.SNAPSHOT: snapshot_name, ParamKind.APPROVAL_ID: approval_id, ParamKind.FINGERPRINT: fingerprint}
