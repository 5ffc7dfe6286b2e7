"""What fuelbot says when ``/fuel master <lab> --trust-key`` is given something that is not a fingerprint."""
from __future__ import annotations

from commands.echo import echo
from core.host_key_trust import CONSOLE_COMMAND


def bad_fingerprint(value: str, why: str) -> str:
    return (f"{echo(value)} is not an SSH host key fingerprint: {why}. Read it on the Fuel master's console "
            f"with `{CONSOLE_COMMAND}`, or copy it from fuelbot's message about the changed key, "
            "e.g. `/fuel master lab1 --trust-key SHA256:…`.")
