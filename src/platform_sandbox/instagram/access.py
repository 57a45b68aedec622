"""Who may call the Instagram sandbox: minting and reading tokens, the permissions a call
needs, the IG accounts a token sees, the hourly business-use-case limit, and the checks
every Graph call of an account goes through before it is answered."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from platform_sandbox.common import missing_scopes
from platform_sandbox.instagram.config import (
    FB_PUBLISH_SCOPES,
    FB_READ_SCOPES,
    IG_PUBLISH_SCOPES,
    IG_READ_SCOPES,
    PRESETS,
    REVOKE_REASONS,
    FbPage,
    IgAccount,
)
from platform_sandbox.instagram.errors import GraphError, unsupported
from platform_sandbox.instagram.records import GraphCall, IgMedia, Token, TokenKind
from platform_sandbox.instagram.state import InstagramState


class InstagramAccess(InstagramState):
    """Tokens and the checks before an answer, shared by the API areas."""

    def _new_token(
        self,
        kind: TokenKind,
        app_id: str,
        scopes: Iterable[str],
        *,
        lifetime: float | None,
        declined: Iterable[str] = (),
        ig_user_id: str | None = None,
        fb_user_id: str | None = None,
        page_id: str | None = None,
    ) -> Token:
        now = self._now()
        prefix = "IGAA" if kind.startswith("ig") else "EAA"
        token = Token(
            value=prefix + secrets.token_urlsafe(40).replace("-", "A").replace("_", "B"),
            kind=kind,
            app_id=app_id,
            scopes=tuple(scopes),
            issued_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            ig_user_id=ig_user_id,
            fb_user_id=fb_user_id,
            page_id=page_id,
            declined=tuple(declined),
        )
        self._tokens[token.value] = token
        return token

    def _successor(
        self, kind: TokenKind, source: Token, *, lifetime: float | None, **changes: Any
    ) -> Token:
        """A new token for the app, scopes, declined scopes and owners of ``source``, with
        ``changes``."""
        fields: dict[str, Any] = {
            "declined": source.declined,
            "ig_user_id": source.ig_user_id,
            "fb_user_id": source.fb_user_id,
            "page_id": source.page_id,
            **changes,
        }
        return self._new_token(kind, source.app_id, source.scopes, lifetime=lifetime, **fields)

    def _page_token_for(self, user_token: Token, page: FbPage) -> Token:
        key = (user_token.value, page.id)
        existing = self._tokens.get(self._page_tokens.get(key, ""))
        if existing is not None and existing.revoked is None:
            return existing
        lifetime: float | None
        if user_token.kind == "fb_user_long":
            lifetime = None
        else:
            remaining = (user_token.expires_at or self._now()) - self._now()
            lifetime = max(1.0, remaining)
        token = self._successor("fb_page", user_token, lifetime=lifetime, page_id=page.id)
        self._page_tokens[key] = token.value
        return token

    # ------------------------------------------------------------------ authentication
    @staticmethod
    def _token_value(ctx: GraphCall) -> str | None:
        value = ctx.params.get("access_token")
        if value:
            return value
        scheme, _, rest = ctx.headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("bearer", "oauth") and rest.strip():
            return rest.strip()
        return None

    def _authenticate(self, value: str | None) -> Token:
        status = self._options.token_error_http_status
        if not value:
            raise GraphError(
                104, "An access token is required to request this resource.", http_status=status
            )
        token = self._tokens.get(value)
        if token is None:
            raise self._unparsable_token()
        if token.revoked is not None:
            subcode, template = REVOKE_REASONS[token.revoked]
            message = template.format(app=token.app_id)
            raise GraphError(190, message, subcode=subcode, http_status=status)
        now = self._now()
        if token.expired(now):
            assert token.expires_at is not None
            fmt = "%A, %d-%b-%y %H:%M:%S UTC"
            expired = datetime.fromtimestamp(token.expires_at, UTC).strftime(fmt)
            current = datetime.fromtimestamp(now, UTC).strftime(fmt)
            raise GraphError(
                190,
                f"Error validating access token: Session has expired on {expired}. "
                f"The current time is {current}.",
                subcode=463,
                http_status=status,
            )
        return token

    def _unparsable_token(self) -> GraphError:
        return GraphError(
            190,
            "Invalid OAuth access token - Cannot parse access token",
            http_status=self._options.token_error_http_status,
        )

    def _ig_login_token(self, ctx: GraphCall) -> Token:
        """The request's token, which must be an Instagram Login one."""
        token = self._authenticate(self._token_value(ctx))
        ctx.ig_user_id = token.ig_user_id
        if token.family != "ig":
            raise self._unparsable_token()
        return token

    def _require(self, token: Token, ig_scopes: Iterable[str], fb_scopes: Iterable[str]) -> None:
        missing = missing_scopes(ig_scopes if token.family == "ig" else fb_scopes, token.scopes)
        if missing:
            raise GraphError(
                10,
                "(#10) Application does not have permission for this action",
                http_status=self._options.permission_error_http_status,
                user_title="Missing permission",
                user_msg=f"The access token lacks: {', '.join(missing)}",
            )

    # ------------------------------------------------------------------ what a token sees
    def _visible_ig_users(self, token: Token) -> set[str]:
        if token.kind in ("ig_short", "ig_long"):
            return {token.ig_user_id} if token.ig_user_id else set()
        if token.kind == "fb_page":
            page = self._pages.get(token.page_id or "")
            return {page.ig_user_id} if page and page.ig_user_id else set()
        return {
            page.ig_user_id
            for page in self._pages.values()
            if token.fb_user_id in page.managers and page.ig_user_id
        }

    def _check_visible(self, token: Token, ig_user_id: str, node: str) -> None:
        if ig_user_id not in self._visible_ig_users(token):
            raise unsupported("get", node)

    def _resolve_ig_user(self, node: str, token: Token, method: str) -> IgAccount:
        visible = self._visible_ig_users(token)
        if node == "me" and token.family == "ig" and token.ig_user_id in self._ig_users:
            return self._ig_users[token.ig_user_id]
        for account in self._ig_users.values():
            if node in (account.id, account.app_scoped_id) and account.id in visible:
                return account
        raise unsupported(method, node)

    # ------------------------------------------------------------------ before an answer
    def _count_buc(self, ctx: GraphCall, ig_user_id: str) -> None:
        """Count a business-use-case call for the account (80002 beyond the hourly limit)."""
        ctx.ig_user_id = ig_user_id
        now = self._now()
        calls = self._buc_calls.setdefault(ig_user_id, deque())
        while calls and calls[0] <= now - 3600:
            calls.popleft()
        limit = self._options.buc_calls_per_hour
        if limit is not None and len(calls) >= limit:
            raise GraphError(
                80002,
                PRESETS["throttle_buc"]["message"],
                is_transient=True,
                headers=self._usage_headers(ig_user_id, throttled=True),
            )
        calls.append(now)
        ctx.extra_headers.update(self._usage_headers(ig_user_id))

    def _enter_ig(
        self, ctx: GraphCall, node: str, endpoint: str, *, publish: bool
    ) -> tuple[Token, IgAccount]:
        token = self._authenticate(self._token_value(ctx))
        account = self._resolve_ig_user(node, token, ctx.method)
        ctx.ig_user_id = account.id
        if publish:
            self._require(token, IG_PUBLISH_SCOPES, FB_PUBLISH_SCOPES)
        else:
            self._require(token, IG_READ_SCOPES, FB_READ_SCOPES)
        self._count_buc(ctx, account.id)
        self._inject(endpoint, account.id)
        return token, account

    def _media_node(self, ctx: GraphCall, token: Token, node: str) -> IgMedia:
        """The media ``node`` (Graph's unsupported ``get`` when there is none) once the token
        sees its account, which the call is recorded against."""
        item = self._media.get(node)
        if item is None:
            raise unsupported("get", node)
        self._check_visible(token, item.ig_user_id, node)
        ctx.ig_user_id = item.ig_user_id
        return item

    def _enter_node(
        self, ctx: GraphCall, token: Token, ig_user_id: str, node: str, endpoint: str
    ) -> None:
        """Before reading ``node`` of an IG account: the token sees the account and may read
        it, the call counts against the account's hourly limit, injected failures fire."""
        self._check_visible(token, ig_user_id, node)
        ctx.ig_user_id = ig_user_id
        self._require(token, IG_READ_SCOPES, FB_READ_SCOPES)
        self._count_buc(ctx, ig_user_id)
        self._inject(endpoint, ig_user_id)
