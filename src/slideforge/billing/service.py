"""The credit ledger. Each calendar month (UTC) the workspace is granted the configured
allowance; charges and refunds are entries of the month they happen in; the month's balance
is the sum of its entries (unused credits do not roll over). A charge checks the balance
under a lock on the workspace row, so two concurrent charges cannot overdraw."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.billing.schemas import Credits, Ledger, LedgerEntry, Subscription, SubscriptionView
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError
from slideforge.kit.pagination import fetch_page, newest_first
from slideforge.models import CreditEntry, Workspace


def period_of(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def period_bounds(now: datetime) -> tuple[datetime, datetime]:
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _lock_workspace(session: Session, workspace_id: uuid.UUID) -> None:
    # PostgreSQL: row lock for the rest of the transaction. SQLite: writers are already
    # serialised (every transaction begins IMMEDIATE).
    session.execute(sa.select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())


def _entry(
    session: Session, workspace_id: uuid.UUID, kind: str, reference: str
) -> CreditEntry | None:
    """The workspace's entry of ``kind`` written under ``reference`` (one at most)."""
    return session.scalar(
        sa.select(CreditEntry).where(
            CreditEntry.workspace_id == workspace_id,
            CreditEntry.kind == kind,
            CreditEntry.reference == reference,
        )
    )


def _write(
    session: Session,
    workspace_id: uuid.UUID,
    kind: str,
    amount: int,
    reference: str,
    reason: str,
    period: str,
    now: datetime,
) -> CreditEntry:
    """Add a ledger entry (a unique ``(workspace, kind, reference)``) and flush it."""
    entry = CreditEntry(
        workspace_id=workspace_id,
        kind=kind,
        amount=amount,
        reference=reference,
        reason=reason,
        period=period,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def ensure_allowance(session: Session, workspace_id: uuid.UUID, now: datetime, amount: int) -> None:
    """Grant the month's allowance once (idempotent; safe under concurrency)."""
    period = period_of(now)
    reference = f"allowance:{period}"
    if _entry(session, workspace_id, "grant", reference) is not None:
        return
    reason = "monthly allowance"
    try:
        with session.begin_nested():
            _write(session, workspace_id, "grant", amount, reference, reason, period, now)
    except IntegrityError:
        pass  # another request granted it first


def balance(session: Session, workspace_id: uuid.UUID, period: str) -> tuple[int, int, int]:
    """(granted, used, remaining) for the period."""
    rows = session.execute(
        sa.select(CreditEntry.kind, sa.func.coalesce(sa.func.sum(CreditEntry.amount), 0))
        .where(CreditEntry.workspace_id == workspace_id, CreditEntry.period == period)
        .group_by(CreditEntry.kind)
    )
    sums = {kind: int(total) for kind, total in rows}
    granted = sums.get("grant", 0)
    used = -(sums.get("charge", 0) + sums.get("refund", 0))
    return granted, used, granted - used


def grant(
    session: Session, workspace_id: uuid.UUID, amount: int, reason: str, now: datetime
) -> CreditEntry:
    if amount <= 0:
        raise ValueError("a grant is a positive number of credits")
    reference, reason = f"manual:{uuid.uuid4()}", reason or "manual grant"
    return _write(session, workspace_id, "grant", amount, reference, reason, period_of(now), now)


def charge(
    session: Session,
    workspace_id: uuid.UUID,
    amount: int,
    reference: str,
    reason: str,
    now: datetime,
    allowance: int,
) -> CreditEntry:
    """Take ``amount`` credits or raise 402 insufficient_credits. ``reference`` identifies
    the work (one charge per reference)."""
    _lock_workspace(session, workspace_id)
    require_credits(session, workspace_id, now, allowance, amount)
    return _write(session, workspace_id, "charge", -amount, reference, reason, period_of(now), now)


def require_credits(
    session: Session,
    workspace_id: uuid.UUID,
    now: datetime,
    allowance: int,
    amount: int,
    work: str = "This",
) -> None:
    """Grant the month's allowance when due, then raise 402 insufficient_credits unless
    ``amount`` credits remain; ``work`` names what needs them in the message."""
    ensure_allowance(session, workspace_id, now, allowance)
    _, _, remaining = balance(session, workspace_id, period_of(now))
    if remaining < amount:
        raise ApiError(
            "insufficient_credits",
            f"{work} needs {amount} credits and {remaining} remain this month.",
            402,
            data={"required": amount, "remaining": remaining},
        )


def refund(
    session: Session, workspace_id: uuid.UUID, reference: str, reason: str, now: datetime
) -> CreditEntry | None:
    """Give back the charge made under ``reference`` (once); None if there was none."""
    charged = _entry(session, workspace_id, "charge", reference)
    if charged is None:
        return None
    existing = _entry(session, workspace_id, "refund", reference)
    if existing is not None:
        return existing
    amount, period = -charged.amount, charged.period
    return _write(session, workspace_id, "refund", amount, reference, reason, period, now)


def subscription(
    session: Session, caller: Caller, now: datetime, allowance: int
) -> SubscriptionView:
    ensure_allowance(session, caller.workspace_id, now, allowance)
    granted, used, remaining = balance(session, caller.workspace_id, period_of(now))
    start, end = period_bounds(now)
    return SubscriptionView(
        scope=caller.scope,
        workspace_id=caller.workspace_id,
        subscription=Subscription(
            status="active",
            tier="self_hosted",
            billing_interval="month",
            current_period_start=isoformat(start),
            current_period_end=isoformat(end),
            renews_at=isoformat(end),
            canceled_at=None,
            is_paused=False,
            paused_until=None,
            credits=Credits(
                limit=granted, used_this_period=used, remaining=remaining, reset_at=isoformat(end)
            ),
        ),
    )


def ledger(
    session: Session, caller: Caller, now: datetime, allowance: int, *, limit: int, offset: int
) -> Ledger:
    ensure_allowance(session, caller.workspace_id, now, allowance)
    period = period_of(now)
    _, _, remaining = balance(session, caller.workspace_id, period)
    query = sa.select(CreditEntry).where(CreditEntry.workspace_id == caller.workspace_id)
    total, rows = fetch_page(session, query, *newest_first(CreditEntry), limit=limit, offset=offset)
    return Ledger(
        period=period,
        balance=remaining,
        entries=[
            LedgerEntry(
                id=row.id,
                kind=row.kind,
                amount=row.amount,
                reference=row.reference,
                reason=row.reason,
                period=row.period,
                created_at=isoformat(row.created_at),
            )
            for row in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
