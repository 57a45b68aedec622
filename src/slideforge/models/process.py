"""Leases of live slideforge processes: what a request's reservation belongs to."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.kit.db import Base


class ProcessLease(Base):
    """One running process (API, worker, or both). Its heartbeat thread refreshes
    ``heartbeat_at`` every few seconds; a row whose heartbeat is older than the expiry, or whose
    process is gone from this machine, belongs to a dead process (see ``slideforge.liveness``).
    Not workspace data: no workspace column."""

    __tablename__ = "process_lease"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column()
    # The machine and pid namespace the pid belongs to (boot id + pid namespace); None where
    # /proc cannot tell. Only a process with the same value may check the pid directly.
    machine: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    # The process's start time in clock ticks since boot (tells a reused pid apart).
    pid_start: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    started_at: Mapped[datetime] = mapped_column()
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)
