"""What replies say about labs: the list of labs, a lab that does not exist, a spec that is invalid."""
from __future__ import annotations

from typing import Sequence

from commands.echo import echo


def no_such_lab(name: str, known: Sequence[str]) -> str:
    # No "did you mean" here: lab1…lab9 all look alike, and the list is short enough to read.
    if not known:
        return f"No lab named {echo(name)}; no labs are defined yet (add `labs/<name>.yaml`)."
    return f"No lab named {echo(name)}. Labs: {', '.join(known)}."


def invalid_lab_spec(name: str, source: str, problem: str, more: int) -> str:
    extra = f" (and {more} more)" if more else ""
    return (f"The spec of lab `{name}` is invalid: {problem[:300]}{extra}. "
            f"An admin sees every problem with `python app.py check-lab` on `{source}` in the labs directory.")


def invalid_spec_line(source: str, problems: int) -> str:
    return f"⚠️ `{source}` has {problems} problem(s); an admin sees them with `python app.py check-lab`"


def lab_line(*, name: str, nodes: str, environment: str, last: str, busy: str | None,
             lease: str | None = None, observed: str | None = None) -> str:
    lock = f" · 🔒 {busy}" if busy else ""
    held = f" · {lease}" if lease else ""       # commands.lease_replies.lease_note
    seen = f" · {observed}" if observed else ""   # what the observation tick last read, and when
    return f"*{name}* — {nodes} · {environment}{seen} · last: {last}{lock}{held}"


def labs_overview(lines: Sequence[str]) -> str:
    if not lines:
        return "No labs are defined yet: add `labs/<name>.yaml` (see `labs/lab1.yaml`)."
    return "\n".join(lines)
