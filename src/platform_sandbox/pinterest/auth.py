"""OAuth in the Pinterest sandbox: the authorization page, ``POST /v5/oauth/token`` (HTTP
Basic client credentials; authorization codes, continuous refresh tokens that rotate) and
the token API an admin uses (mint, list, revoke, expire). The flow's mechanics are
``platform_sandbox.common.oauth``'s; the wording of each refusal is Pinterest's."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from platform_sandbox.common import (
    ConsentPage,
    Reply,
    admin_scopes,
    expire_tokens,
    iso,
    revoke_tokens,
    split_scopes,
)
from platform_sandbox.pinterest.access import PinterestAccess
from platform_sandbox.pinterest.config import SCOPES, PinterestApp
from platform_sandbox.pinterest.errors import (
    auth_failed,
    invalid,
    invalid_grant,
    pinterest_refusal,
)
from platform_sandbox.pinterest.records import (
    AccessToken,
    ApiCall,
    RefreshToken,
    basic_credentials,
)

T = TypeVar("T", AccessToken, RefreshToken)

AUTHORIZE_PAGE = ConsentPage[PinterestApp](
    flow="pinterest",
    known_scopes=SCOPES,
    refuse=pinterest_refusal,
    default_user=lambda app: app.default_user,
    code_value=lambda: secrets.token_hex(20),
    denied={"error": "access_denied"},
)
"""www.pinterest.com/oauth/."""


class PinterestOAuth(PinterestAccess):
    """The OAuth endpoints and the token API."""

    def _authorize(self, ctx: ApiCall) -> Reply:
        done = self._consent(AUTHORIZE_PAGE, ctx.query, self._users, self._user)
        ctx.user_id = done.subject
        return done.reply

    def _token(self, ctx: ApiCall) -> Reply:
        credentials = basic_credentials(ctx.headers.get("authorization", ""))
        with self._lock:
            app = self._apps.get(credentials[0]) if credentials else None
            if (
                credentials is None
                or app is None
                or not hmac.compare_digest(credentials[1], app.client_secret)
            ):
                raise auth_failed()
            self._inject("oauth_token", None)
            kind = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
            form: dict[str, str] = {}
            if kind == "application/x-www-form-urlencoded":
                form = dict(parse_qsl(ctx.body.decode("utf-8", "replace"), keep_blank_values=True))
            grant_type = form.get("grant_type")
            if not grant_type:
                raise invalid(
                    "Invalid request: 'grant_type' is a required property (send a "
                    "application/x-www-form-urlencoded body)"
                )
            if grant_type not in ("authorization_code", "refresh_token"):
                raise invalid(f"Invalid request: grant_type '{grant_type}' is not supported")
            if not app.continuous_refresh_default and form.get("continuous_refresh") != "true":
                raise invalid(
                    "This app must send continuous_refresh=true: legacy refresh tokens are no "
                    "longer supported."
                )
            if grant_type == "authorization_code":
                return Reply(200, self._exchange_code(ctx, app, form))
            return Reply(200, self._refresh_grant(ctx, app, form))

    def _exchange_code(
        self, ctx: ApiCall, app: PinterestApp, form: Mapping[str, str]
    ) -> dict[str, Any]:
        code = self._codes.redeem(
            form, flow="pinterest", app_id=app.client_id, refuse=pinterest_refusal
        )
        ctx.user_id = code.subject
        return self._issue(app.client_id, code.subject, code.scopes, "authorization_code")

    def _refresh_grant(
        self, ctx: ApiCall, app: PinterestApp, form: Mapping[str, str]
    ) -> dict[str, Any]:
        raw = form.get("refresh_token")
        if not raw:
            raise invalid("Invalid request: 'refresh_token' is a required property")
        token = self._refresh.get(raw)
        if token is None or token.app_id != app.client_id:
            raise invalid_grant("Invalid refresh token.")
        ctx.user_id = token.user_id
        if token.revoked is not None:
            raise invalid_grant("The refresh token has been revoked.")
        now = self._now()
        if now >= token.expires_at:
            raise invalid_grant("The refresh token has expired.")
        if token.used_at is not None and not self._options.keep_old_refresh_token:
            raise invalid_grant(
                "The refresh token has already been used; use the latest refresh token."
            )
        scopes = token.scopes
        if form.get("scope"):
            wanted = tuple(split_scopes(form["scope"]))
            extra = [scope for scope in wanted if scope not in token.scopes]
            if extra:
                raise invalid(f"Invalid scope: {', '.join(extra)} was not granted.")
            scopes = wanted
        token.used_at = now
        return self._issue(app.client_id, token.user_id, scopes, "refresh_token")

    def _issue(
        self, app_id: str, user_id: str, scopes: tuple[str, ...], response_type: str
    ) -> dict[str, Any]:
        now = self._now()
        options = self._options

        def mint(kind: type[T], prefix: str, lifetime: int) -> T:
            return kind(
                value=prefix + secrets.token_urlsafe(48),
                app_id=app_id,
                user_id=user_id,
                scopes=scopes,
                issued_at=now,
                expires_at=now + lifetime,
            )

        access = mint(AccessToken, "pina_", options.access_token_seconds)
        refresh = mint(RefreshToken, "pinr_", options.refresh_token_seconds)
        self._access[access.value] = access
        self._refresh[refresh.value] = refresh
        return {
            "access_token": access.value,
            "refresh_token": refresh.value,
            "response_type": response_type,
            "token_type": "bearer",
            "expires_in": options.access_token_seconds,
            "refresh_token_expires_in": options.refresh_token_seconds,
            "refresh_token_expires_at": int(refresh.expires_at),
            "scope": " ".join(scopes),
        }

    # ------------------------------------------------------------------ tokens API

    def _all_tokens(self) -> list[AccessToken | RefreshToken]:
        return [*self._access.values(), *self._refresh.values()]

    def issue_tokens(
        self, user_id: str, *, app_id: str | None = None, scopes: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Mint an access + refresh token pair without the OAuth dance (all scopes by
        default); the answer has the token endpoint's shape."""
        with self._lock:
            user = self._user(user_id)
            app = self._default_app(app_id)
            granted = admin_scopes(scopes, SCOPES)
            return self._issue(app.client_id, user.id, granted, "authorization_code")

    def revoke_user(self, user_id: str, *, app_id: str | None = None) -> int:
        """The user removes the app (or changes password): every access and refresh token
        of the user (for ``app_id`` only, if given) stops working."""
        with self._lock:
            user = self._user(user_id)
            tokens = self._all_tokens()
            return revoke_tokens(
                tokens,
                lambda token: (
                    token.user_id == user.id and (app_id is None or token.app_id == app_id)
                ),
                "revoked",
            )

    def expire_access_tokens(self, user_id: str) -> int:
        with self._lock:
            user = self._user(user_id)
            return expire_tokens(
                self._access.values(), lambda token: token.user_id == user.id, self._now()
            )

    def tokens(self, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            out: list[dict[str, Any]] = []
            tokens = self._all_tokens()
            for token in tokens:
                if user_id is not None and token.user_id != user_id:
                    continue
                entry: dict[str, Any] = {
                    "kind": "refresh" if isinstance(token, RefreshToken) else "access",
                    "token": token.value,
                    "app_id": token.app_id,
                    "user_id": token.user_id,
                    "scopes": list(token.scopes),
                    "issued_at": iso(token.issued_at),
                    "expires_at": iso(token.expires_at),
                    "revoked": token.revoked is not None,
                }
                if isinstance(token, RefreshToken):
                    entry["used_at"] = iso(token.used_at)
                out.append(entry)
            return out
