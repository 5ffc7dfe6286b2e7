"""The Fuel masters' SSH host keys in the database: ``integrations.fuel.ssh.HostKeys`` on SQLAlchemy.

A key is recorded once per address; the unique column makes two replicas meeting a new master
at the same moment keep one record (the second insert loses and reads the first). A recorded key
is replaced only by an admin's ``--trust-key`` (``core.host_key_trust``), and only if it is still
the key that admin's comparison was made against.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.host_key_trust import HostKey, RecordedHostKey
from store.db import changed_rows
from store.models import MasterHostKey
from store.types import utcnow


class HostKeyStore:
    """Recorded host keys, one transaction per call (the caller owns nothing here)."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._sessions = sessions

    def recorded(self, address: str) -> tuple[str, str] | None:
        entry = self.entry(address)
        return (entry.key.key_type, entry.key.key_base64) if entry is not None else None

    def record(self, address: str, key_type: str, key_base64: str) -> None:
        try:
            with self._sessions() as session, session.begin():
                session.add(MasterHostKey(address=address, key_type=key_type, key_base64=key_base64,
                                          recorded_at=utcnow()))
        except IntegrityError:
            pass   # another replica recorded this address first; its record stands

    def forget(self, address: str) -> bool:
        """Drop the record of ``address`` (after a deliberate reinstall); False when there was none."""
        with self._sessions() as session, session.begin():
            row = session.scalar(select(MasterHostKey).where(MasterHostKey.address == address))
            if row is None:
                return False
            session.delete(row)
            return True

    def entry(self, address: str) -> RecordedHostKey | None:
        """The key recorded for ``address`` and when, or None."""
        with self._sessions() as session:
            row = session.scalar(select(MasterHostKey).where(MasterHostKey.address == address))
            if row is None:
                return None
            return RecordedHostKey(address=address, key=HostKey(row.key_type, row.key_base64),
                                   recorded_at=row.recorded_at)

    def replace(self, address: str, *, old: HostKey, new: HostKey) -> bool:
        """Record ``new`` for ``address`` if ``old`` is still recorded (compare and set: a replica that
        trusted another key meanwhile wins, and this one says so); False otherwise."""
        with self._sessions() as session, session.begin():
            return changed_rows(session, update(MasterHostKey)
                                .where(MasterHostKey.address == address, MasterHostKey.key_type == old.key_type,
                                       MasterHostKey.key_base64 == old.key_base64)
                                .values(key_type=new.key_type, key_base64=new.key_base64,
                                        recorded_at=utcnow())) == 1
