"""One command being handled: who asked, where, with which role, in which transaction."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commands.api import CommandServices
from commands.roles import Role

_KEY_LIMIT = 128                         # store.models.Job.dedupe_key is a String(128)


@dataclass(frozen=True, kw_only=True)
class Request:
    """Everything a command handler may use; ``session`` is the caller's unit of work."""

    user_id: str
    channel_id: str
    delivery_id: str | None
    role: Role
    session: Session
    services: CommandServices
    now: datetime
    direct: bool = False                 # asked in a DM or group DM (see commands.routing)

    @property
    def dedupe_key(self) -> str | None:
        """``slack:<delivery id>``: the same Slack delivery (a retry, a double click) never makes two jobs."""
        if not self.delivery_id:
            return None
        key = f"slack:{self.delivery_id}"
        # Slack's ids are short and printable; anything else would overflow the column or be
        # refused by PostgreSQL (NUL), so it is hashed, which keeps it stable across retries.
        if len(key) > _KEY_LIMIT or not key.isprintable():
            key = "slack:sha256:" + hashlib.sha256(self.delivery_id.encode("utf-8", "surrogatepass")).hexdigest()
        return key
