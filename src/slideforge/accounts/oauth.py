"""Connecting accounts through each platform's OAuth: an authorize URL whose state is bound to
the workspace, single-use and expiring; the callback exchanges the code, reads the identity
and creates the account, or updates it on reconnect (tags, groups, policy and history are
kept; a stored refresh token is never replaced by an empty one).

A connect started from the dashboard names the page to come back to (``return_to``, a
dashboard path only): the callback then records its outcome on the state and sends the browser
there with ``?connect=<state id>``; the page reads the outcome of its own workspace."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.accounts.capabilities import PLATFORMS
from slideforge.accounts.schemas import DASHBOARD_PATH, AccountOut
from slideforge.accounts.service import account_out
from slideforge.accounts.tokens import store_tokens
from slideforge.auth.service import Caller
from slideforge.kit.clock import isoformat
from slideforge.kit.crypto import sha256_hex
from slideforge.kit.errors import ApiError
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import oldest_first
from slideforge.models import Account, OAuthState
from slideforge.publishing.platforms import PlatformConfigError, get_platform, registry
from slideforge.publishing.platforms.base import PlatformError
from slideforge.runtime import Runtime

STATE_TTL = timedelta(minutes=15)


def redirect_uri(runtime: Runtime, platform: str) -> str:
    return f"{runtime.settings.resolved_oauth_redirect_base_url}/oauth/{platform}/callback"


def start_connect(
    session: Session, runtime: Runtime, caller: Caller, platform: str, options: dict[str, Any]
) -> dict[str, Any]:
    if platform not in PLATFORMS:
        raise ApiError("invalid_payload", f"platform: must be one of {', '.join(PLATFORMS)}", 422)
    try:
        adapter = get_platform(platform, runtime.settings)
    except PlatformConfigError as exc:
        raise ApiError("platform_not_configured", str(exc), 422) from exc
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48) if registry.rules(platform).uses_pkce else None
    challenge = hashlib.sha256(verifier.encode()).hexdigest() if verifier else None
    uri = redirect_uri(runtime, platform)
    now = runtime.clock.now()
    session.add(
        OAuthState(
            workspace_id=caller.workspace_id,
            state_hash=sha256_hex(state),
            platform=platform,
            member_id=caller.member_id,
            code_verifier=verifier,
            redirect_uri=uri,
            options=options,
            expires_at=now + STATE_TTL,
        )
    )
    session.flush()
    return {
        "platform": platform,
        "authorize_url": adapter.authorize_url(
            state=state, redirect_uri=uri, code_challenge=challenge
        ),
        "redirect_uri": uri,
        "expires_at": isoformat(now + STATE_TTL),
    }


def finish_connect(
    session: Session,
    runtime: Runtime,
    platform: str,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    error_description: str | None,
) -> tuple[AccountOut, bool]:
    """The callback: returns the account and whether it existed before (a reconnect)."""
    now = runtime.clock.now()
    if not state:
        raise ApiError(
            "invalid_oauth_state",
            "the callback has no state: start again with POST /accounts/connect",
            400,
        )
    row = session.scalar(
        sa.select(OAuthState).where(OAuthState.state_hash == sha256_hex(state)).with_for_update()
    )
    if row is None or row.platform != platform:
        raise ApiError(
            "invalid_oauth_state", "unknown state: start again with POST /accounts/connect", 400
        )
    if row.used_at is not None:
        raise ApiError(
            "invalid_oauth_state", "this connect link was already used: start again", 400
        )
    if row.expires_at < now:
        raise ApiError("invalid_oauth_state", "this connect link expired: start again", 400)
    row.used_at = now
    session.commit()  # single use, even if what follows fails
    if error:
        raise ApiError(
            "authorization_denied",
            f"{platform} did not authorise the app ({error}: {error_description or 'no details'})",
            400,
        )
    if not code:
        raise ApiError("invalid_oauth_callback", "the callback has no code", 400)
    adapter = get_platform(platform, runtime.settings)
    try:
        tokens, identity = adapter.exchange_code(
            code=code, redirect_uri=row.redirect_uri, code_verifier=row.code_verifier, now=now
        )
    except PlatformError as exc:
        status = 400 if exc.kind in ("user", "auth") else 502
        raise ApiError(
            "connect_failed", f"connecting the {platform} account failed: {exc.message}", status
        ) from exc
    account = session.scalar(
        sa.select(Account).where(
            Account.workspace_id == row.workspace_id,
            Account.platform == platform,
            Account.platform_user_id == identity.platform_user_id,
        )
    )
    if account is None and identity.username:
        # An account added without OAuth (``slideforge accounts add``) under this username is
        # the one being connected: it takes the platform's user id and becomes active.
        account = session.scalar(
            sa.select(Account)
            .where(
                Account.workspace_id == row.workspace_id,
                Account.platform == platform,
                Account.status == "unconnected",
                sa.func.lower(Account.username) == identity.username.lower(),
            )
            .order_by(*oldest_first(Account))
            .limit(1)
        )
        if account is not None:
            account.platform_user_id = identity.platform_user_id
    existed = account is not None
    if account is None:
        options = row.options or {}
        account = Account(
            workspace_id=row.workspace_id,
            platform=platform,
            username=identity.username,
            display_name=identity.display_name,
            platform_user_id=identity.platform_user_id,
            tags=list(options.get("tags") or []),
            user_group=options.get("user_group"),
            org_group=options.get("org_group"),
            policy={},
            settings={**identity.defaults, **identity.settings},
        )
        session.add(account)
    else:
        account.username = identity.username or account.username
        account.display_name = identity.display_name or account.display_name
        account.settings = {**identity.defaults, **(account.settings or {}), **identity.settings}
    account.status = "active"
    store_tokens(runtime, account, tokens)
    if tokens.access_expires_at is None and not tokens.refresh_token:
        # A token that never expires needs no refresh token: one stored from an earlier
        # grant (e.g. Instagram Login before a Facebook Login reconnect) no longer applies.
        account.refresh_token_enc = None
        account.refresh_token_expires_at = None
    session.flush()
    return account_out(account), existed


# -- coming back to the dashboard ----------------------------------------------------------


def dashboard_return(
    session: Session, platform: str, state: str | None
) -> tuple[uuid.UUID, str] | None:
    """The state's id and the dashboard page its connect returns to, when it was started with
    ``return_to``; else None (the callback answers JSON)."""
    if not state:
        return None
    row = session.execute(
        sa.select(OAuthState.id, OAuthState.options).where(
            OAuthState.state_hash == sha256_hex(state), OAuthState.platform == platform
        )
    ).first()
    if row is None:
        return None
    back = (row.options or {}).get("return_to")
    if not isinstance(back, str) or not re.fullmatch(DASHBOARD_PATH, back):
        return None
    return row.id, back


def return_url(runtime: Runtime, back: str, state_id: uuid.UUID) -> str:
    """The dashboard page on this server's public address (never another host)."""
    return f"{runtime.settings.public_base_url.rstrip('/')}{back}?connect={state_id}"


def record_outcome(
    session: Session,
    state_id: uuid.UUID,
    *,
    ok: bool,
    message: str,
    account_id: uuid.UUID | None = None,
) -> None:
    """Keep what the callback answered on the state, for the page it returns to. The first
    outcome stays (a reloaded callback answers that its link was already used)."""
    row = session.get(OAuthState, state_id, with_for_update=True)
    if row is None or (row.options or {}).get("outcome"):
        return
    outcome = {"ok": ok, "message": message, "account_id": str(account_id) if account_id else None}
    row.options = {**(row.options or {}), "outcome": outcome}
    session.flush()


def connect_outcome(
    session: Session, workspace_id: uuid.UUID, state_id: object
) -> dict[str, Any] | None:
    """The outcome of a connect of this workspace that returned to the dashboard."""
    parsed = parse_id(state_id)
    if parsed is None:
        return None
    options = session.scalar(
        sa.select(OAuthState.options).where(
            OAuthState.id == parsed, OAuthState.workspace_id == workspace_id
        )
    )
    outcome = (options or {}).get("outcome")
    return outcome if isinstance(outcome, dict) else None
