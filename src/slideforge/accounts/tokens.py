"""An account's platform tokens: decrypted for use, refreshed ahead of expiry with the
account row locked (a rotating refresh token is spent once), stored encrypted (an empty
refresh token never wipes a stored one). A refresh the platform refuses marks the account
``reauth_required`` and tells the workspace (``account.reauth_required``).

Used by the publish path (``publishing.workflows``, ``publishing.reconcile``), the OAuth
callback (``accounts.oauth``) and account care (``accounts.care``, which refreshes 2 h ahead so
that a post normally finds a fresh token)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.models import Account
from slideforge.publishing.platforms import get_platform
from slideforge.publishing.platforms.base import PlatformError, TokenSet
from slideforge.runtime import Runtime
from slideforge.webhooks import events as webhook_events
from slideforge.webhooks import outbox

REFRESH_AHEAD = timedelta(hours=1)


def mark_reauth(session: Session, account: Account, now: datetime, reason: str) -> None:
    """The account needs reconnecting; the first time, the workspace is told."""
    if account.status == "reauth_required":
        return
    account.status = "reauth_required"
    outbox.emit(
        session,
        account.workspace_id,
        "account.reauth_required",
        webhook_events.account_data(
            account, reason=reason, action="reconnect it with POST /accounts/connect"
        ),
        at=now,
    )


def access_token(runtime: Runtime, account_id: str, *, force_refresh: bool = False) -> str:
    """The account's access token, refreshed first when it expires within the hour (or when
    forced). Refreshing locks the account row, so two workers never spend a rotating refresh
    token twice; a refresh that fails marks the account ``reauth_required``."""
    now = runtime.clock.now()
    secrets = runtime.secrets
    with runtime.db.session() as session:
        account = session.scalar(
            sa.select(Account).where(Account.id == uuid.UUID(account_id)).with_for_update()
        )
        if account is None or not account.access_token_enc:
            raise PlatformError(
                "user",
                "not_connected",
                "this account has no platform authorisation: connect it with "
                "POST /accounts/connect",
            )
        expires = account.access_token_expires_at
        fresh = expires is None or expires - now > REFRESH_AHEAD
        if fresh and not force_refresh:
            return secrets.decrypt(account.access_token_enc)
        if not account.refresh_token_enc:
            if expires is None or expires > now:
                # Nothing to refresh it with (e.g. an Instagram Page token from Facebook
                # Login, which does not expire): use it until the platform refuses it.
                return secrets.decrypt(account.access_token_enc)
            mark_reauth(session, account, now, "the access token expired and cannot be refreshed")
            session.commit()
            raise PlatformError(
                "auth", "reauth_required", f"@{account.username} must be reconnected"
            )
        platform = get_platform(account.platform, runtime.settings)
        try:
            tokens = platform.refresh(secrets.decrypt(account.refresh_token_enc), now=now)
        except PlatformError as exc:
            if exc.kind == "retryable":
                raise
            if exc.kind == "wait" and (expires is None or expires > now):
                # Not refreshable yet (Instagram: under 24 h old), and still valid.
                return secrets.decrypt(account.access_token_enc)
            mark_reauth(
                session, account, now, f"the platform refused to refresh the token ({exc.code})"
            )
            session.commit()
            raise PlatformError(
                "auth",
                "reauth_required",
                f"@{account.username}'s authorisation could not be refreshed ({exc.code}): "
                "reconnect the account",
            ) from exc
        store_tokens(runtime, account, tokens)
        return tokens.access_token


def store_tokens(runtime: Runtime, account: Account, tokens: TokenSet) -> None:
    """Save a token set; an empty refresh token never overwrites a stored one. An account
    added without tokens (``unconnected``) is connected by its first token set."""
    if account.status == "unconnected":
        account.status = "active"
    secrets = runtime.secrets
    account.access_token_enc = secrets.encrypt(tokens.access_token)
    account.access_token_expires_at = tokens.access_expires_at
    if tokens.refresh_token:
        account.refresh_token_enc = secrets.encrypt(tokens.refresh_token)
        account.refresh_token_expires_at = tokens.refresh_expires_at
    if tokens.scopes:
        account.granted_scopes = tokens.scopes
