"""Every command documents itself: a one-line docstring, a usage, an example that parses, a role."""
from __future__ import annotations

import dataclasses
import html
import re

import pytest

from commands.authz import REQUIRED_ROLES
from commands.roles import Role
from bot.render import render_reply
from commands.api import Reply
from commands.catalog import (BY_BUTTON, BY_NAME, COMMANDS, CancelJob, DeployLab, RunHealth, RunPreflight, ShowHelp,
                              ShowStatus)
from commands.command import Command, JobCommand, ParamKind
from jobs.states import JobKind
from commands.dispatch import handles
from commands.handlers import HANDLERS
from commands.info_commands import help_text, summary
from commands.parser import parse
from core.buttons import ButtonAction


def _names(commands: tuple[type[Command], ...]) -> list[str]:
    return [c.__name__ for c in commands]


@pytest.mark.parametrize("command", COMMANDS, ids=_names(COMMANDS))
def test_command_has_one_line_help(command: type[Command]) -> None:
    doc = command.__doc__ or ""
    assert doc and "\n" not in doc.strip(), f"{command.__name__} needs a one-line docstring: it is the help"
    assert doc.strip().endswith("."), "help sentences end with a full stop"
    assert len(doc.strip()) <= 80, "help lines stay short: help is not a wall of text"
    assert doc.strip() != (Command.__doc__ or "").strip(), "a command must not inherit the base docstring"


@pytest.mark.parametrize("command", COMMANDS, ids=_names(COMMANDS))
def test_command_has_usage_and_an_example_that_parses(command: type[Command]) -> None:
    assert command.usage.startswith(command.name)
    assert command.activity
    parsed = parse(command.example)
    assert isinstance(parsed, command), f"the example `{command.example}` must parse to {command.__name__}"


@pytest.mark.parametrize("command", COMMANDS, ids=_names(COMMANDS))
def test_usage_mentions_every_option(command: type[Command]) -> None:
    for param in command.params:
        if param.option:
            assert param.option in command.usage


@pytest.mark.parametrize("command", COMMANDS, ids=_names(COMMANDS))
def test_flags_are_options_and_only_options_ask_for_a_role(command: type[Command]) -> None:
    for param in command.params:
        if param.kind is ParamKind.FLAG:
            assert param.option and param.option.startswith("--"), f"flag {param.field} needs its --option"
        if not param.option:
            # a flag, or an --option with its value (master --trust-key <fingerprint>), changes what the
            # command does; a positional word only says what it is done to
            assert param.role is None, "a role on a param is for an --option that changes what the command does"


@pytest.mark.parametrize("command", COMMANDS, ids=_names(COMMANDS))
def test_command_is_a_frozen_verb_noun_dataclass(command: type[Command]) -> None:
    assert dataclasses.is_dataclass(command) and command.__dataclass_params__.frozen
    assert re.fullmatch(r"([A-Z][a-z]+){1,2}", command.__name__)
    fields = {f.name for f in dataclasses.fields(command)}
    assert {p.field for p in command.params} <= fields


def test_every_command_has_a_required_role_and_a_handler() -> None:
    assert set(REQUIRED_ROLES) == set(COMMANDS)
    assert set(HANDLERS) | {ShowHelp} == set(COMMANDS)       # help is answered without the database


def test_every_button_stands_for_exactly_one_command() -> None:
    for action in ButtonAction:
        answering = [command.__name__ for command in COMMANDS if command.button is action]
        assert len(answering) == 1, f"{action} must be the button of exactly one command, not {answering}"
        assert BY_BUTTON[action].button is action


def test_names_are_unique_and_indexed() -> None:
    assert len(BY_NAME) == len(COMMANDS)


def test_help_lists_every_command_one_line_each() -> None:
    text = help_text(Role.VIEWER)
    for command in COMMANDS:
        assert f"`{command.usage}` — {summary(command)}" in text
    assert len(text.splitlines()) == len(COMMANDS) + 2     # a heading, the commands, the caller's role
    # Past one section block's 3,000 characters the help goes out in several, whole, none left out.
    message = render_reply(Reply(text))
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert all(len(section) <= 3000 for section in sections)
    assert html.unescape("\n".join(sections)).splitlines() == text.splitlines()


def test_help_marks_what_needs_more_than_viewer() -> None:
    text = help_text(Role.VIEWER)
    assert "`destroy <lab>` — Delete a lab's Fuel environment and VMs, once you confirm. _(admin)_" in text
    assert "_(--fix: operator)_" in text
    assert text.endswith("You have the *viewer* role.")


def test_help_for_one_command_gives_usage_example_and_role() -> None:
    text = help_text(Role.OPERATOR, "deploy")
    assert "`/fuel deploy <lab> [--skip-health]`" in text
    assert "Example: `/fuel deploy lab1`" in text
    assert "Needs the *operator* role; you have *operator*." in text
    assert "(`--fix` needs *operator*)" in help_text(Role.VIEWER, "preflight")


def test_help_for_schedule_covers_both_kinds() -> None:
    text = help_text(Role.VIEWER, "schedule")
    assert "schedule digest" in text and "schedule health" in text


def test_testsets_param_is_optional_everywhere() -> None:
    for command in COMMANDS:
        for param in command.params:
            if param.kind is ParamKind.TESTSETS:
                assert param.optional


def test_a_command_cannot_get_a_second_handler() -> None:
    with pytest.raises(TypeError, match="CancelJob has two handlers"):
        handles(CancelJob)(lambda command, request: HANDLERS[CancelJob](command, request))
    assert HANDLERS[CancelJob].__name__ == "cancel_job"


@pytest.mark.parametrize("command", [c for c in COMMANDS if issubclass(c, JobCommand)],
                         ids=_names(tuple(c for c in COMMANDS if issubclass(c, JobCommand))))
def test_a_job_command_names_its_own_job_kind_and_shares_one_handler(command: type[JobCommand]) -> None:
    assert isinstance(vars(command).get("job"), JobKind), f"{command.__name__} must say which job it queues"
    assert HANDLERS[command].__name__ == "queue_job"


@pytest.mark.parametrize(("command", "params"), [
    (ShowStatus(), {"live": False}),
    (ShowStatus("lab1", live=True), {"live": True}),
    (DeployLab("lab1"), {"skip_health": False}),
    (RunPreflight("lab1", fix=True), {"fix": True}),
    (RunHealth("lab1", ("smoke", "ha")), {"testsets": ["smoke", "ha"]}),
])
def test_a_job_takes_the_commands_params_but_the_lab(command: JobCommand, params: dict[str, object]) -> None:
    assert command.job_params == params
