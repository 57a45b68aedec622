"""Account care, run on a schedule (``accounts.workflows``): keep every connected account's
authorisation usable without a post ever waiting on it.

- An access token that expires within ``REFRESH_AHEAD`` is refreshed through the platform
  adapter (``accounts.tokens.access_token(force_refresh=True)``: the account row is locked,
  a rotating refresh token is never spent twice). A refusal marks the account
  ``reauth_required`` and sends ``account.reauth_required``; a transient failure is tried
  again at the next run. A token that cannot be refreshed (no refresh token) marks the
  account once it has expired.
- ``NOTICE_AHEAD`` before the authorisation itself ends — the refresh token's expiry, or the
  access token's when there is no refresh token (TikTok: re-authorise every 365 days) — the
  workspace gets one ``account.reauth_soon`` per expiry (per endpoint: the delivery's dedupe
  key is the account and the expiry, so a reconnect that moves the expiry starts afresh; an
  endpoint added later still gets it).

Every time comes from ``runtime.clock``."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.accounts import tokens
from slideforge.kit.clock import as_utc, isoformat, parse_timestamp
from slideforge.models import Account, WebhookDelivery
from slideforge.publishing.platforms import PlatformConfigError
from slideforge.publishing.platforms.base import PlatformError
from slideforge.runtime import Runtime
from slideforge.webhooks import events, outbox

log = logging.getLogger(__name__)

REFRESH_AHEAD = timedelta(hours=2)
NOTICE_AHEAD = timedelta(days=15)
SAME_EXPIRY = timedelta(days=1)
CARED_FOR = ("active", "paused")


def authorisation_end(
    has_refresh_token: bool,
    access_expires_at: datetime | None,
    refresh_expires_at: datetime | None,
) -> tuple[str, datetime | None]:
    """Which token's expiry ends the account's authorisation, and when: the refresh token's,
    or the access token's when there is no refresh token (None: it does not expire)."""
    if has_refresh_token:
        return "refresh", refresh_expires_at
    return "access", access_expires_at


def reauth_notice(status: str, ends: datetime | None, now: datetime) -> str | None:
    """``soon`` when an account cared for has its authorisation end within NOTICE_AHEAD (the
    ``account.reauth_soon`` notice), ``expired`` once it has ended (reconnect it), else None."""
    if status not in CARED_FOR or ends is None:
        return None
    if ends <= now:
        return "expired"
    return "soon" if ends - now <= NOTICE_AHEAD else None


def reauth_notices(
    session: Session, workspace_id: uuid.UUID, now: datetime
) -> dict[uuid.UUID, tuple[str, str, datetime]]:
    """The workspace's accounts whose authorisation ends soon or has ended: (``soon`` or
    ``expired``, the token, its expiry) per account id."""
    rows = session.execute(
        sa.select(
            Account.id,
            Account.status,
            Account.refresh_token_enc.is_not(None).label("has_refresh"),
            Account.access_token_expires_at,
            Account.refresh_token_expires_at,
        ).where(
            Account.workspace_id == workspace_id,
            Account.status.in_(CARED_FOR),
            Account.access_token_enc.is_not(None),
        )
    )
    out: dict[uuid.UUID, tuple[str, str, datetime]] = {}
    for row in rows:
        token, ends = authorisation_end(
            bool(row.has_refresh), row.access_token_expires_at, row.refresh_token_expires_at
        )
        notice = reauth_notice(row.status, as_utc(ends) if ends else None, now)
        if notice is not None and ends is not None:
            out[row.id] = (notice, token, as_utc(ends))
    return out


def due_accounts(runtime: Runtime, workspace_id: uuid.UUID | None = None) -> list[str]:
    """Accounts whose access token expires within REFRESH_AHEAD or whose authorisation ends
    within NOTICE_AHEAD (optionally of one workspace)."""
    now = runtime.clock.now()
    query = sa.select(Account.id).where(
        Account.status.in_(CARED_FOR),
        Account.access_token_enc.is_not(None),
        sa.or_(
            Account.access_token_expires_at <= now + REFRESH_AHEAD,
            Account.refresh_token_expires_at <= now + NOTICE_AHEAD,
            sa.and_(
                Account.refresh_token_enc.is_(None),
                Account.access_token_expires_at <= now + NOTICE_AHEAD,
            ),
        ),
    )
    if workspace_id is not None:
        query = query.where(Account.workspace_id == workspace_id)
    with runtime.db.session() as session:
        return [str(i) for i in session.scalars(query.order_by(Account.id))]


def care_for(runtime: Runtime, account_id: str) -> str:
    """Refresh or mark one account, then send its reauth notice if one is due. Returns what
    happened: refreshed, unchanged, reauth_required, retry_later, not_configured, expiring or
    ok (plus ``+notice`` when a notice went out)."""
    outcome = _refresh(runtime, account_id)
    if _notice(runtime, account_id):
        outcome += "+notice"
    return outcome


def _refresh(runtime: Runtime, account_id: str) -> str:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        if account is None or account.status not in CARED_FOR:
            return "ok"
        expires = account.access_token_expires_at
        refreshable = bool(account.refresh_token_enc)
    if expires is None or expires - now > REFRESH_AHEAD:
        return "ok"
    if not refreshable and expires > now:
        return "expiring"  # still valid; marked once it has expired (the notice warned)
    try:
        # Refreshes (refreshable) or marks the account reauth_required (expired, no refresh
        # token); either way the account row is locked while it happens.
        tokens.access_token(runtime, account_id, force_refresh=refreshable)
    except PlatformConfigError as exc:
        log.warning("account %s: cannot refresh its token: %s", account_id, exc)
        return "not_configured"
    except PlatformError as exc:
        if exc.kind == "retryable":
            log.info("account %s: token refresh failed for now (%s)", account_id, exc.code)
            return "retry_later"
        return "reauth_required"
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        moved = account is not None and account.access_token_expires_at != expires
    # Unchanged: the platform will not refresh it yet and it is still valid (Instagram).
    return "refreshed" if moved else "unchanged"


def _notice(runtime: Runtime, account_id: str) -> bool:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        account = session.scalar(
            sa.select(Account).where(Account.id == uuid.UUID(account_id)).with_for_update()
        )
        if account is None or account.status not in CARED_FOR:
            return False
        token, ends = authorisation_end(
            bool(account.refresh_token_enc),
            account.access_token_expires_at,
            account.refresh_token_expires_at,
        )
        if reauth_notice(account.status, ends, now) != "soon":
            return False
        assert ends is not None
        sent = outbox.emit(
            session,
            account.workspace_id,
            "account.reauth_soon",
            events.reauth_soon_data(account, token, ends, now),
            at=now,
            dedupe_key=_notice_key(session, account, ends),
        )
        return sent > 0


def _notice_key(session: Session, account: Account, ends: datetime) -> str:
    """``account.reauth_soon:{account}:{expiry}``. Each refresh recomputes the expiry from
    the platform's whole seconds left (TikTok keeps the original expiry), so it drifts by a
    second or so: an expiry within a day of one already notified is the same expiry."""
    prefix = f"account.reauth_soon:{account.id}:"
    known = session.scalars(
        sa.select(WebhookDelivery.dedupe_key)
        .where(
            WebhookDelivery.workspace_id == account.workspace_id,
            WebhookDelivery.dedupe_key.startswith(prefix, autoescape=True),
        )
        .distinct()
    )
    for key in known:
        if key is None:
            continue
        try:
            notified = parse_timestamp(key[len(prefix) :])
        except ValueError:
            continue
        if abs(notified - ends) <= SAME_EXPIRY:
            return key
    return prefix + (isoformat(ends) or "")


def run(runtime: Runtime, workspace_id: uuid.UUID | None = None) -> dict[str, int]:
    """One pass over every due account (or those of one workspace); counts per outcome."""
    counts: dict[str, int] = {}
    for account_id in due_accounts(runtime, workspace_id):
        try:
            outcome = care_for(runtime, account_id)
        except Exception:  # one broken account never stops the others
            log.exception("account care failed for %s", account_id)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
