"""What help says (every command's usage, example and role), and the refusal naming the role a command needs."""
from __future__ import annotations

from typing import Sequence

from core.mrkdwn import channel_ref


def help_overview(lines: Sequence[str], role: str) -> str:
    head = "*fuelbot* — `/fuel <command>`; `/fuel help <command>` shows its usage and an example."
    return "\n".join([head, *lines, f"You have the *{role}* role."])


def help_line(usage_line: str, summary: str, role_note: str | None) -> str:
    note = f" _({role_note})_" if role_note else ""
    return f"`{usage_line}` — {summary}{note}"


def help_command(*, usage_line: str, summary: str, example: str, needs: str, flags: Sequence[tuple[str, str]],
                 have: str) -> str:
    extra = "".join(f" (`{flag}` needs *{role}*)" for flag, role in flags)
    return (f"`/fuel {usage_line}`\n{summary}\nExample: `/fuel {example}`\n"
            f"Needs the *{needs}* role{extra}; you have *{have}*.")


def denied(*, activity: str, needed: str, have: str, admins: Sequence[str], channels: Sequence[str]) -> str:
    text = f"{activity} needs the *{needed}* role; you have *{have}*."
    if channels:
        text += f" Everyone in {', '.join(channel_ref(c) for c in channels)} has it."
    if admins:
        return f"{text} Admins: {', '.join(admins)}."
    return f"{text} No admins are set (FUELBOT_ADMINS)."
