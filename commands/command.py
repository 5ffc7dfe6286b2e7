"""What a command is: its params, the class variables each command sets, how it reads back.

``commands.catalog`` lists the commands, whose classes live in ``commands.catalog_*`` by topic;
``commands.parser`` fills a class's fields from words; ``commands.dispatch`` finds its handler.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Self

from commands.roles import Role
from core.buttons import ButtonAction
from jobs.states import JobKind


class ParamKind(StrEnum):
    """What a word stands for; the parser validates each kind its own way."""

    LAB = "lab"
    JOB_ID = "job id"
    SCHEDULE_ID = "schedule id"
    FLAG = "flag"
    TESTSETS = "testsets"
    CRON = "cron"
    TIMEZONE = "timezone"
    CHANNEL = "channel"
    MENTION = "mention"
    TOPIC = "topic"
    NODE = "node"                   # a Fuel node: node-7, 7, or its VM's name
    LOG_SOURCE = "log source"       # a Fuel log: astute, puppet, install/puppet …
    LEVEL = "level"                 # a log level word: error, warning …
    COUNT = "count"                 # how many lines
    USER = "user"                   # a person, as Slack escapes a mention
    DURATION = "duration"           # 2h, 90m, 3d, 1d12h, 1w
    SNOOZE_FOR = "snooze length"    # a duration, or "off"
    SNOOZE_TARGET = "schedule or lab"
    REASON = "reason"               # free words, made inert
    SNAPSHOT = "snapshot name"
    APPROVAL_ID = "approval id"
    FINGERPRINT = "fingerprint"     # an SSH host key's: SHA256:… or MD5 a1:b2:…


@dataclass(frozen=True, kw_only=True)
class Param:
    """One field of a command as typed: a positional word, or an ``--option``."""

    field: str
    kind: ParamKind
    option: str | None = None       # e.g. "--fix"; None for a positional word
    optional: bool = False          # a positional that may be left out
    role: Role | None = None        # a flag that changes what the command does, and so the role it needs
    activity: str | None = None     # what a refusal for lack of that role names, if not the command's activity


LAB = Param(field="lab", kind=ParamKind.LAB)                          # a lab's name, as the first word
OPTIONAL_LAB = Param(field="lab", kind=ParamKind.LAB, optional=True)  # the same, which may be left out


@dataclass(frozen=True)
class Command:
    """Base of every command; subclasses set the class variables below."""

    name: ClassVar[str]             # what the person types, e.g. "deploy" or "schedule digest"
    usage: ClassVar[str]
    example: ClassVar[str]
    activity: ClassVar[str]         # "Deploying a lab" — the subject of a refusal
    role: ClassVar[Role]            # the least role that may run it
    params: ClassVar[tuple[Param, ...]] = ()
    button: ClassVar[ButtonAction | None] = None    # the button whose click stands for this command

    @classmethod
    def click_parts(cls, value: str) -> tuple[str, dict[str, str | None]]:
        """A button value split into the word that fills the first param and extra fields (none here)."""
        return value, {}

    @classmethod
    def clicked(cls, value: str | int) -> Self:
        """The command a click on ``button`` stands for: ``value``, validated, fills the first param."""
        return cls(**{cls.params[0].field: value})

    @property
    def canonical(self) -> str:
        """The command as fuelbot understood it (validated values only; safe to log and show)."""
        words = [self.name]
        for param in self.params:
            value = getattr(self, param.field)
            if value in (None, False, ()):
                continue
            if param.kind is ParamKind.FLAG:
                words.append(param.option or param.field)
                continue
            text = " ".join(value) if isinstance(value, tuple) else str(value)
            text = f'"{text}"' if " " in text and param.kind is ParamKind.CRON else text
            words.extend([param.option, text] if param.option else [text])
        return " ".join(words)


@dataclass(frozen=True)
class JobCommand(Command):
    """Base of the commands whose work is one job of kind ``job``, on ``lab`` or (None) on every lab.

    They share one handler (``commands.job_commands.queue_job``): check the lab, queue the job
    with the command's other params as the job's, say where to follow it, or, for a look-up,
    that the answer follows where it was asked.
    """

    lab: str | None = None
    job: ClassVar[JobKind]
    needs_managed_master: ClassVar[bool] = False     # root on the lab's Fuel master (fuel.master_vm)

    @property
    def answers_in_place(self) -> bool:
        """Whether the job answers the person who asked, where they asked, instead of opening a thread."""
        return self.job.look_up

    @property
    def job_params(self) -> dict[str, Any]:
        """The job's parameters: every param but the lab (test sets as a list, as JSON keeps them)."""
        values = {param.field: getattr(self, param.field) for param in self.params if param.field != "lab"}
        return {field: list(value) if isinstance(value, tuple) else value for field, value in values.items()}
