"""Response models of /subscription and /credits."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class Credits(BaseModel):
    limit: int
    used_this_period: int
    remaining: int
    reset_at: str | None


class Subscription(BaseModel):
    status: str
    tier: str
    billing_interval: str
    current_period_start: str | None
    current_period_end: str | None
    renews_at: str | None
    canceled_at: str | None
    is_paused: bool
    paused_until: str | None
    credits: Credits


class SubscriptionView(BaseModel):
    scope: str
    workspace_id: uuid.UUID | None
    subscription: Subscription


class LedgerEntry(BaseModel):
    id: uuid.UUID
    kind: str
    amount: int
    reference: str
    reason: str
    period: str
    created_at: str | None


class Ledger(BaseModel):
    period: str
    balance: int
    entries: list[LedgerEntry]
    total: int
    limit: int
    offset: int
