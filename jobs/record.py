"""What a job remembers between its steps and its runs: a typed record, stored as JSON in the job row.

Each workflow declares a dataclass subclass of :class:`JobRecord` with its own fields, each with
a default, holding JSON values (or records, through a ``codec``). Reading is tolerant, so a job written by an older (or newer) fuelbot still runs: a
missing key takes the field's default, an unknown key is kept as it was and written back. A
field may name its JSON key (``json_key``) and how its value is read and written (``codec``),
for values that are records themselves; a ``sparse`` field is written only when it is not its default.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping, Self

JSON = Any


@dataclass(frozen=True)
class Codec:
    """How one field's value is read from and written to JSON."""

    read: Callable[[JSON], Any]
    write: Callable[[Any], JSON]


def json_key(name: str) -> dict[str, str]:
    """Field metadata: the field is stored under ``name`` (``_step`` for ``step``)."""
    return {"json_key": name}


@dataclass
class JobRecord:
    """The engine's part of every job's record: was it announced (or does it answer in place), which
    step it is in, what it found."""

    announced: bool = False
    # a look-up: its outcome is one answer to the requester, no thread (written only when set)
    in_place: bool = field(default=False, metadata={"sparse": True})
    step: str | None = field(default=None, metadata=json_key("_step"))
    result: dict[str, JSON] | None = None       # becomes the job's ``result`` when it ends
    unknown: dict[str, JSON] = field(default_factory=dict, metadata={"unknown": True})

    @classmethod
    def from_json(cls, raw: Mapping[str, JSON] | None) -> Self:
        """The record in ``raw`` (a job's ``context``); never fails on a key it does not know."""
        raw = copy.deepcopy(dict(raw or {}))
        values: dict[str, Any] = {}
        known: set[str] = set()
        for f in fields(cls):
            if f.metadata.get("unknown"):
                continue
            key = f.metadata.get("json_key", f.name)
            known.add(key)
            if raw.get(key) is not None:
                codec = f.metadata.get("codec")
                values[f.name] = codec.read(raw[key]) if isinstance(codec, Codec) else raw[key]
        record = cls(**values)
        record.unknown = {k: v for k, v in raw.items() if k not in known}
        return record

    def to_json(self) -> dict[str, JSON]:
        """The record as JSON for the job row: the keys it did not know, as they were, then its fields."""
        out = dict(self.unknown)
        for f in fields(self):
            if f.metadata.get("unknown"):
                continue
            value = getattr(self, f.name)
            if f.metadata.get("sparse") and value == f.default:
                continue                  # records written before the field existed read back unchanged
            codec = f.metadata.get("codec")
            out[f.metadata.get("json_key", f.name)] = codec.write(value) if isinstance(codec, Codec) else value
        return out
