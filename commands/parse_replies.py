"""What fuelbot answers when it cannot take what was typed (or clicked): what is wrong, and how to write it.

Anything a person typed goes through :func:`commands.echo.echo` before it is repeated.
"""
from __future__ import annotations

from typing import Sequence

from commands.echo import echo


def unbalanced_quote() -> str:
    return "A quote is not closed. Close it, or drop it (cron expressions go in one pair of quotes)."


def too_long(limit: int) -> str:
    return f"That is longer than {limit} characters; fuelbot commands are short. `/fuel help` lists them."


def unknown_command(word: str, suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"Unknown command {echo(word)}.{hint} `/fuel help` lists commands."


def unknown_subcommand(verb: str, word: str | None, choices: Sequence[str], suggestion: str | None) -> str:
    got = f", not {echo(word)}" if word else ""
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return (f"`{verb}` needs one of {', '.join(f'`{c}`' for c in choices)}{got}.{hint} "
            f"`/fuel help {verb}` shows how.")


def usage(usage_line: str, example: str, problem: str | None = None) -> str:
    lead = f"{problem} " if problem else ""
    return f"{lead}Usage: `/fuel {usage_line}` — e.g. `/fuel {example}`"


def missing(names: str) -> str:
    return f"Missing {names}."


def unexpected(words: str) -> str:
    return f"Unexpected {echo(words)}."


def needs_value(option: str) -> str:
    return f"{echo(option)} needs a value."


def bad_lab_name(value: str) -> str:
    return (f"{echo(value)} is not a lab name: lab names are lowercase letters, digits, `-` and `_`, "
            "e.g. `lab1`. `/fuel labs` lists them.")


def bad_number(value: str, what: str, listing: str) -> str:
    return f"{echo(value)} is not a {what} number; e.g. `12` or `#12`. `/fuel {listing}` lists them."


def unknown_testset(value: str, choices: Sequence[str], suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"Unknown test set {echo(value)}.{hint} Test sets: {', '.join(choices)}."


def unknown_help_topic(value: str, suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"There is no command {echo(value)}.{hint} `/fuel help` lists commands."


def cron_not_quoted(value: str) -> str:
    return (f"{echo(value)} is not a whole cron expression: put all 5 fields in one pair of quotes, "
            'e.g. `"0 9 * * mon-fri"`.')


def bad_cron(value: str) -> str:
    return (f"{echo(value)} is not a cron expression: 5 fields (minute hour day month weekday) "
            'using digits, names, `*`, `/`, `,` and `-`, e.g. `"0 9 * * mon-fri"`.')


def bad_timezone(value: str) -> str:
    return f"{echo(value)} is not a time zone; use an IANA name like `Europe/Paris` or `UTC`."


def bad_channel(value: str) -> str:
    return f"{echo(value)} is not a channel; pick one with `#` so Slack links it, e.g. `--channel #lab`."


def bad_mention(value: str) -> str:
    return f"{echo(value)} is not a mention; use `@person`, `@group` or `@here`."


def bad_node(value: str) -> str:
    return f"{echo(value)} is not a node; name it `node-7`, `7` or by its VM, e.g. `lab1-controller-1`."


def bad_log_source(value: str) -> str:
    return f"{echo(value)} is not a log's name; e.g. `astute`, `puppet` or `install/puppet`."


def bad_level(value: str) -> str:
    return f"{echo(value)} is not a level; e.g. `--level error` or `--level warning`."


def bad_count(value: str, limit: int) -> str:
    return f"{echo(value)} is not a number of lines; give 1 to {limit}, e.g. `--lines 50`."


def bad_user(value: str) -> str:
    return f"{echo(value)} is not a person; pick them with Slack's `@` menu, e.g. `--user @alice`."


def unknown_action(action_id: str) -> str:
    return f"That button ({echo(action_id)}) is not one fuelbot knows any more; type the command instead."
