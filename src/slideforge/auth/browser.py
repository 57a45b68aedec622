"""Dashboard sign-ins: an API key (workspace or personal) exchanged for an HTTP-only cookie.

- Signing in always makes a new random token (a token the browser already holds is never
  promoted to a session: no session fixation); only its SHA-256 is stored.
- A session acts exactly as the key it was made from (same workspace, same member), ends after
  ``dashboard_idle_minutes`` without use or ``dashboard_session_hours`` after signing in, and
  ends at once when the key is revoked.
- Every request that changes something with the cookie must carry the session's CSRF token
  (``X-CSRF-Token`` header, or the ``csrf_token`` form field): an HMAC of the session token,
  so a page of another site can neither read nor forge it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller, authenticate, unauthorized
from slideforge.kit.crypto import Secrets, random_token, sha256_hex
from slideforge.kit.errors import ApiError
from slideforge.models import ApiKey, BrowserSession

COOKIE = "sf_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SEEN_EVERY = timedelta(seconds=60)


def sign_in(session: Session, api_key: str, now: datetime, *, lifetime: timedelta) -> str:
    """Check the key as ``Authorization: Bearer`` would and open a new session for it; the
    session's token (the cookie's value: returned once, never stored)."""
    caller = authenticate(session, f"Bearer {api_key.strip()}", now)
    token = random_token(32)
    session.add(
        BrowserSession(
            workspace_id=caller.workspace_id,
            token_hash=sha256_hex(token),
            api_key_id=caller.key_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def resolve(session: Session, token: str, now: datetime, *, idle: timedelta) -> Caller:
    """The caller of a live session, or 401 (unknown, expired, idle too long, key revoked)."""
    if not token or len(token) > 100:
        raise unauthorized("Not signed in: sign in at /app/sign-in with an API key.")
    row = session.execute(
        sa.select(BrowserSession, ApiKey)
        .join(ApiKey, ApiKey.id == BrowserSession.api_key_id)
        .where(BrowserSession.token_hash == sha256_hex(token))
    ).first()
    if row is None:
        raise unauthorized("Your session has ended: sign in again at /app/sign-in.")
    browser, key = row
    if key.revoked_at is not None or now >= browser.expires_at or now - browser.last_seen_at > idle:
        session.delete(browser)
        session.flush()
        raise unauthorized("Your session has ended: sign in again at /app/sign-in.")
    if now - browser.last_seen_at >= _SEEN_EVERY:
        browser.last_seen_at = now
    return Caller(
        workspace_id=key.workspace_id, key_id=key.id, scope=key.scope, member_id=key.member_id
    )


def sign_out(session: Session, token: str) -> None:
    if token:
        session.execute(
            sa.delete(BrowserSession).where(BrowserSession.token_hash == sha256_hex(token))
        )


def csrf_token(secrets: Secrets, token: str) -> str:
    """The CSRF token of a session (pages embed it; it changes with every sign-in)."""
    return secrets.sign("csrf:" + token)


def check_csrf(secrets: Secrets, token: str, sent: str | None) -> None:
    if not sent or not secrets.verify("csrf:" + token, sent):
        raise ApiError(
            "csrf_failed",
            "This request changes data but lacks the page's CSRF token: reload the page and "
            f"try again (scripts send {CSRF_HEADER} with the token from the page).",
            403,
        )
