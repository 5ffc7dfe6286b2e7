"""A click on a fuelbot button → the command it stands for (``commands.catalog``'s ``button``)."""
from __future__ import annotations

from dataclasses import replace

from commands import parse_replies
from commands.catalog import BY_BUTTON
from commands.command import Command
from commands.param_values import CONVERTERS
from core.buttons import ButtonAction
from core.errors import CommandError


def parse_click(action_id: str, value: str) -> Command:
    """The command a click on a fuelbot button stands for; its value is validated like a typed word."""
    try:
        kind = BY_BUTTON[ButtonAction(action_id)]
    except ValueError:
        raise CommandError(parse_replies.unknown_action(action_id)) from None
    word, extra = kind.click_parts(value)
    return replace(kind.clicked(CONVERTERS[kind.params[0].kind](word)), **extra)
