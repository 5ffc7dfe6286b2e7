"""Environment references in lab spec values: ``${VAR}`` and ``${VAR:-default}``.

The default applies when the variable is unset *or empty*, as in the shell, so an exported but
blank variable does not silently blank a field. ``$$`` stands for a literal ``$``. Nested
references (``${A:-${B}}``) are not supported and are reported as malformed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

_TOKEN = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{.*", re.DOTALL)  # last: an unclosed ${, to the end
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)
_WHOLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}")


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A value after interpolation, with what went wrong on the way."""

    value: str
    names: tuple[str, ...] = ()      # every variable referenced, in order
    missing: tuple[str, ...] = ()    # referenced, unset, and without a default
    malformed: tuple[str, ...] = ()  # ``${...}`` texts that are not references

    @property
    def ok(self) -> bool:
        return not self.missing and not self.malformed


def is_reference(text: str) -> bool:
    """True when ``text`` is exactly one reference, as every secret field must be."""
    return _WHOLE.fullmatch(text.strip()) is not None


def resolve(text: str, environ: Mapping[str, str]) -> Resolved:
    """Replace every reference in ``text`` by its value from ``environ`` (or its default)."""
    if "$" not in text:
        return Resolved(value=text)
    names: list[str] = []
    missing: list[str] = []
    malformed: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$$":
            return "$"
        body = match.group(1)
        parsed = _BODY.fullmatch(body) if body is not None else None
        if parsed is None or (parsed.group(2) or "").find("${") >= 0:
            malformed.append(token)
            return token
        name, default = parsed.group(1), parsed.group(2)
        names.append(name)
        value = environ.get(name)
        if value:
            return value
        if default is not None:
            return default
        if value is None:
            missing.append(name)
        return ""

    value = _TOKEN.sub(substitute, text)
    return Resolved(value=value, names=tuple(names), missing=tuple(missing),
                    malformed=tuple(malformed))
