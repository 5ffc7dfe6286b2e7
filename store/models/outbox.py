"""What fuelbot says in Slack: the outbox (every message, so nothing is lost across restarts or 429s),
the files it shares (``outbox_files``) and the rate budgets every replica spends from."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import OutboxState, Placement
from store.models.base import Base
from store.types import string_enum


class OutboxMessage(Base):
    """A Slack message to post or edit; delivered in order, throttled, retried after 429s."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    placement: Mapped[Placement] = mapped_column(string_enum(Placement, length=16))
    # Messages sharing a slot are one message edited in place (the first posts, later ones edit).
    slot: Mapped[str | None] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)   # neutral content the bot renders to blocks
    state: Mapped[OutboxState] = mapped_column(string_enum(OutboxState, length=16), index=True,
                                               default=OutboxState.PENDING)
    ts: Mapped[str | None] = mapped_column(String(32))
    # Placement.ANSWER: the one person it is for (ephemeral in ``channel``, or their DM).
    recipient: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)       # failures no retry may cure; they end it
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")   # Slack unavailable: waits
    # The last call may have reached Slack (a timeout, a 5xx): look for it before posting again.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    not_before: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OutboxFile(Base):
    """The file an outbox message shares (``jobs.uploads``): its bytes here, or a file under the data dir."""

    __tablename__ = "outbox_files"

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)     # small files (a log): kept here, scrubbed
    path: Mapped[str | None] = mapped_column(Text)                 # large ones (a snapshot): read when sent


class RateBudget(Base):
    """One Slack rate allowance shared by all replicas (``jobs.rate_budget``): times are epoch seconds."""

    __tablename__ = "rate_budgets"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    next_free: Mapped[float] = mapped_column(Float)              # GCRA's theoretical arrival time
    held_until: Mapped[float | None] = mapped_column(Float)      # after a 429: Retry-After for everyone
