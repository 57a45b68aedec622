"""The credit ledger: +grant / -charge / +refund entries; the balance is their sum."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, WorkspaceScoped, utcnow


class CreditEntry(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "credit_entry"
    # One grant per period, one charge and at most one refund per reference.
    __table_args__ = (sa.UniqueConstraint("workspace_id", "kind", "reference"),)

    kind: Mapped[str] = mapped_column(sa.String(16))  # grant | charge | refund
    amount: Mapped[int] = mapped_column()  # signed: grants and refunds > 0, charges < 0
    reference: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # The calendar month the entry counts against ("2026-11").
    period: Mapped[str] = mapped_column(sa.String(7), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
