"""Instagram Login and Facebook Login in the Instagram sandbox: the authorization pages, the
code exchanges, long-lived tokens and their refresh, ``/me/permissions``, and the token API
an admin uses (mint, list, revoke, expire). The flow's mechanics are
``platform_sandbox.common.oauth``'s; the wording of each refusal is Meta's."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from platform_sandbox.common import (
    ConsentPage,
    Reply,
    SandboxError,
    admin_scopes,
    expire_tokens,
    iso,
    revoke_tokens,
)
from platform_sandbox.instagram.access import InstagramAccess
from platform_sandbox.instagram.config import (
    FB_LOGIN_SCOPES,
    IG_LOGIN_SCOPES,
    LONG_LIVED_SECONDS,
    REVOKE_REASONS,
    SHORT_LIVED_SECONDS,
    MetaApp,
)
from platform_sandbox.instagram.errors import (
    GraphError,
    LegacyOAuthError,
    facebook_login_refusal,
    instagram_login_refusal,
    param_error,
)
from platform_sandbox.instagram.records import GraphCall, Token, TokenKind


def _meta_code() -> str:
    return "AQ" + secrets.token_urlsafe(48)


INSTAGRAM_LOGIN = ConsentPage[MetaApp](
    flow="instagram",
    known_scopes=IG_LOGIN_SCOPES,
    refuse=instagram_login_refusal,
    default_user=lambda app: app.default_ig_user,
    code_value=_meta_code,
    denied={
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "The user denied your request.",
    },
    fragment="_",
)
"""www.instagram.com/oauth/authorize (Instagram Login)."""

FACEBOOK_LOGIN = ConsentPage[MetaApp](
    flow="facebook",
    known_scopes=FB_LOGIN_SCOPES,
    refuse=facebook_login_refusal,
    default_user=lambda app: app.default_fb_user,
    code_value=_meta_code,
    denied={
        "error": "access_denied",
        "error_code": "200",
        "error_description": "Permissions error",
        "error_reason": "user_denied",
    },
    fragment="_=_",
    default_scope="public_profile",
    default_response_type="code",
)
"""www.facebook.com/dialog/oauth (Facebook Login)."""


class InstagramOAuth(InstagramAccess):
    """The OAuth endpoints of both login models and the token API."""

    # ------------------------------------------------------------------ authorization pages

    def _ig_authorize(self, ctx: GraphCall) -> Reply:
        done = self._consent(INSTAGRAM_LOGIN, ctx.params, self._ig_users, self._ig_user)
        ctx.ig_user_id = done.subject
        return done.reply

    def _fb_authorize(self, ctx: GraphCall) -> Reply:
        return self._consent(FACEBOOK_LOGIN, ctx.params, self._fb_users).reply

    # ------------------------------------------------------------------ code exchanges

    def _oauth_access_token(self, ctx: GraphCall) -> Reply:
        grant_type = ctx.params.get("grant_type")
        if grant_type == "authorization_code":
            ctx.endpoint = "ig_code_exchange"
            return self._ig_code_exchange(ctx)
        if grant_type == "fb_exchange_token":
            ctx.endpoint = "fb_exchange_token"
            return self._fb_exchange(ctx)
        ctx.endpoint = "fb_code_exchange"
        if grant_type:
            raise param_error(f"(#100) Unsupported grant_type: {grant_type}")
        return self._fb_code_exchange(ctx)

    def _ig_code_exchange(self, ctx: GraphCall) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._apps.get(p.get("client_id", ""))
            if app is None:
                raise LegacyOAuthError("Invalid platform app")
            if p.get("client_secret") != app.client_secret:
                raise LegacyOAuthError("Error validating client secret.")
            code = self._codes.redeem(
                p, flow="instagram", app_id=app.client_id, refuse=instagram_login_refusal
            )
            account = self._ig_users[code.subject]
            ctx.ig_user_id = account.id
            token = self._new_token(
                "ig_short",
                app.client_id,
                code.scopes,
                lifetime=SHORT_LIVED_SECONDS,
                declined=code.declined,
                ig_user_id=account.id,
            )
            if self._options.code_exchange_shape == "flat":
                body: dict[str, Any] = {
                    "access_token": token.value,
                    "user_id": int(account.app_scoped_id),
                    "permissions": list(token.scopes),
                }
            else:
                body = {
                    "data": [
                        {
                            "access_token": token.value,
                            "user_id": account.app_scoped_id,
                            "permissions": ",".join(token.scopes),
                        }
                    ]
                }
            return Reply(200, body)

    def _check_app_secret(self, p: Mapping[str, str]) -> MetaApp:
        client_id = p.get("client_id")
        if not client_id:
            raise GraphError(101, "Missing client_id parameter.")
        app = self._apps.get(client_id)
        if app is None:
            raise GraphError(101, "Error validating application. Invalid application ID.")
        if p.get("client_secret") != app.client_secret:
            raise GraphError(1, "Error validating client secret.")
        return app

    def _fb_code_exchange(self, ctx: GraphCall) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._check_app_secret(p)
            code = self._codes.redeem(
                p, flow="facebook", app_id=app.client_id, refuse=facebook_login_refusal
            )
            lifetime = self._options.fb_short_lived_seconds
            token = self._new_token(
                "fb_user_short",
                app.client_id,
                code.scopes,
                lifetime=lifetime,
                declined=code.declined,
                fb_user_id=code.subject,
            )
            return Reply(
                200, {"access_token": token.value, "token_type": "bearer", "expires_in": lifetime}
            )

    # ------------------------------------------------------------------ long-lived tokens
    def _fb_exchange(self, ctx: GraphCall) -> Reply:
        p = ctx.params
        with self._lock:
            app = self._check_app_secret(p)
            token = self._authenticate(p.get("fb_exchange_token"))
            if token.family != "fb" or token.app_id != app.client_id:
                raise self._unparsable_token()
            if token.kind == "fb_page":
                page_token = self._successor("fb_page", token, lifetime=None, declined=())
                return Reply(200, {"access_token": page_token.value, "token_type": "bearer"})
            long_token = self._long_lived(token, "fb_user_long")
            return Reply(200, self._long_lived_answer(long_token))

    def _ig_exchange(self, ctx: GraphCall) -> Reply:
        p = ctx.params
        with self._lock:
            token = self._ig_login_grant(ctx, "ig_exchange_token")
            app = self._apps.get(token.app_id)
            if app is None or p.get("client_secret") != app.client_secret:
                raise GraphError(1, "Error validating client secret.")
            if token.kind == "ig_long":
                raise param_error(
                    "(#100) The access token is already long-lived; use refresh_access_token"
                )
            long_token = self._long_lived(token, "ig_long")
            return Reply(200, self._long_lived_answer(long_token))

    def _ig_refresh(self, ctx: GraphCall) -> Reply:
        with self._lock:
            token = self._ig_login_grant(ctx, "ig_refresh_token")
            if token.kind != "ig_long":
                raise param_error(
                    "(#100) Only long-lived access tokens can be refreshed; exchange the "
                    "short-lived token first"
                )
            if self._now() - token.issued_at < self._options.refresh_min_age_seconds:
                raise param_error(
                    "(#100) The access token is not old enough to be refreshed: a long-lived "
                    "token can be refreshed once it is at least 24 hours old"
                )
            fresh = self._long_lived(token, "ig_long")
            return Reply(
                200, {**self._long_lived_answer(fresh), "permissions": ",".join(fresh.scopes)}
            )

    def _ig_login_grant(self, ctx: GraphCall, grant_type: str) -> Token:
        """The Instagram Login token of an exchange or refresh, which must name its
        ``grant_type``."""
        if ctx.params.get("grant_type") != grant_type:
            raise param_error(f"(#100) grant_type must be {grant_type}")
        return self._ig_login_token(ctx)

    def _long_lived(self, token: Token, kind: Literal["ig_long", "fb_user_long"]) -> Token:
        """A new 60-day token for the app, user and scopes of ``token`` (exchange, refresh)."""
        return self._successor(kind, token, lifetime=LONG_LIVED_SECONDS)

    @staticmethod
    def _long_lived_answer(token: Token) -> dict[str, Any]:
        return {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_SECONDS,
        }

    def _me_permissions(self, ctx: GraphCall) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            ctx.ig_user_id = token.ig_user_id
            if ctx.method == "DELETE":
                subject = token.ig_user_id or token.fb_user_id or ""
                self._revoke(subject, "app_removed", token.app_id)
                return Reply(200, {"success": True})
            data = [{"permission": scope, "status": "granted"} for scope in token.scopes]
            data += [{"permission": scope, "status": "declined"} for scope in token.declined]
            return Reply(200, {"data": data})

    # ------------------------------------------------------------------ tokens API

    def issue_token(
        self,
        *,
        ig_user_id: str | None = None,
        fb_user_id: str | None = None,
        app_id: str | None = None,
        scopes: Iterable[str] | None = None,
        long_lived: bool = True,
    ) -> dict[str, Any]:
        """Mint a token without the OAuth dance: an Instagram Login token for
        ``ig_user_id`` or a Facebook Login user token for ``fb_user_id`` (all scopes of the
        login model by default)."""
        with self._lock:
            app = self._default_app(app_id)
            if (ig_user_id is None) == (fb_user_id is None):
                raise SandboxError("give exactly one of ig_user_id and fb_user_id")
            if ig_user_id is not None:
                account = self._ig_user(ig_user_id)
                granted = admin_scopes(scopes, IG_LOGIN_SCOPES)
                kind: TokenKind = "ig_long" if long_lived else "ig_short"
                lifetime = LONG_LIVED_SECONDS if long_lived else SHORT_LIVED_SECONDS
                token = self._new_token(
                    kind, app.client_id, granted, lifetime=lifetime, ig_user_id=account.id
                )
            else:
                user = self._fb_users.get(fb_user_id or "")
                if user is None:
                    raise SandboxError(f"no Facebook user {fb_user_id!r}", status=404)
                granted = admin_scopes(scopes, FB_LOGIN_SCOPES)
                kind = "fb_user_long" if long_lived else "fb_user_short"
                lifetime = (
                    LONG_LIVED_SECONDS if long_lived else self._options.fb_short_lived_seconds
                )
                token = self._new_token(
                    kind, app.client_id, granted, lifetime=lifetime, fb_user_id=user.id
                )
            return self._token_view(token)

    def _token_view(self, token: Token) -> dict[str, Any]:
        return {
            "access_token": token.value,
            "kind": token.kind,
            "app_id": token.app_id,
            "scopes": list(token.scopes),
            "issued_at": iso(token.issued_at),
            "expires_at": iso(token.expires_at),
            "ig_user_id": token.ig_user_id,
            "fb_user_id": token.fb_user_id,
            "page_id": token.page_id,
            "revoked": token.revoked is not None,
        }

    def tokens(self, subject: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._token_view(token)
                for token in self._tokens.values()
                if subject is None or token.owned_by({subject})
            ]

    def revoke_tokens(
        self, subject: str, reason: str = "app_removed", *, app_id: str | None = None
    ) -> int:
        """Invalidate every token of an IG account, Facebook user or Page (and Page tokens
        minted from a revoked user token). ``reason``: app_removed (190/458), checkpoint
        (459), password_changed (460), logged_out (467)."""
        with self._lock:
            if reason not in REVOKE_REASONS:
                raise SandboxError(f"reason must be one of {sorted(REVOKE_REASONS)}")
            return self._revoke(subject, reason, app_id)

    def _revoke(self, subject: str, reason: str, app_id: str | None) -> int:
        keys = {subject}
        if subject not in self._ig_users and subject not in self._fb_users:
            with contextlib.suppress(SandboxError):
                keys.add(self._ig_user(subject).id)
        # Page tokens carry the user who minted them: revoking the user revokes them too.
        return revoke_tokens(
            self._tokens.values(),
            lambda token: (app_id is None or token.app_id == app_id) and token.owned_by(keys),
            reason,
        )

    def expire_tokens(self, subject: str) -> int:
        """Make every token of an account/user/page expired as of now."""
        with self._lock:
            return expire_tokens(
                self._tokens.values(), lambda token: token.owned_by({subject}), self._now()
            )
