"""``OAuthArea``: TikTok's OAuth v2 (authorize page, token exchange and refresh, revoke),
the tokens the admin API issues or kills, and the head every data endpoint shares (access
token, injected HTTP errors, scope, rate limit)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlencode

from platform_sandbox.common import admin_scopes
from platform_sandbox.tiktok_api.config import KNOWN_SCOPES
from platform_sandbox.tiktok_api.pipeline import PublishPipeline
from platform_sandbox.tiktok_api.records import ApiFailure, AuthCode, Grant, OAuthFailure, Token


class OAuthArea(PublishPipeline):
    """OAuth and the tokens it issues."""

    # ------------------------------------------------------------------ OAuth

    def authorize(self, params: Mapping[str, str]) -> str:
        """The authorize page, approved (or denied) at once by a sandbox user. Returns the
        redirect URL. Raises OAuthFailure when there is no valid redirect_uri to send the
        error to (TikTok shows an error page then)."""
        with self._lock:
            app = self._served_app
            client_key = params.get("client_key", "")
            redirect_uri = params.get("redirect_uri", "")
            if client_key != app.client_key:
                raise OAuthFailure("invalid_client", "client_key is unknown", 400)
            if not redirect_uri or redirect_uri not in app.redirect_uris:
                raise OAuthFailure(
                    "invalid_request", "redirect_uri is not registered for this app", 400
                )
            state = params.get("state")

            def redirect(**values: str) -> str:
                if state is not None:
                    values["state"] = state
                return f"{redirect_uri}?{urlencode(values)}"

            if params.get("response_type") != "code":
                return redirect(
                    error="unsupported_response_type",
                    error_description="response_type must be code",
                )
            requested = [s.strip() for s in params.get("scope", "").split(",") if s.strip()]
            if not requested:
                return redirect(error="invalid_scope", error_description="scope is required")
            bad = [s for s in requested if s not in KNOWN_SCOPES or s not in app.scopes]
            if bad:
                return redirect(
                    error="invalid_scope",
                    error_description=f"scope not approved for this app: {','.join(bad)}",
                )
            challenge = params.get("code_challenge")
            if challenge is not None and params.get("code_challenge_method") != "S256":
                return redirect(
                    error="invalid_request", error_description="code_challenge_method must be S256"
                )
            if params.get("sandbox_decision", "approve") == "deny":
                return redirect(
                    error="access_denied", error_description="The user denied the request"
                )
            open_id = params.get("sandbox_user") or app.default_user
            if not open_id or open_id not in self._users:
                raise OAuthFailure(
                    "invalid_request", f"no sandbox user {open_id!r} to approve the request", 400
                )
            granted = requested
            if params.get("sandbox_scopes"):
                subset = [s.strip() for s in params["sandbox_scopes"].split(",") if s.strip()]
                granted = [s for s in requested if s in subset]
            n = self._next_seq()
            code = f"{secrets.token_urlsafe(30)}*{n % 10}!{n}.e1"
            self._auth_codes[code] = AuthCode(
                code=code,
                client_key=client_key,
                open_id=open_id,
                scopes=tuple(granted),
                redirect_uri=redirect_uri,
                code_challenge=challenge,
                expires_at=self._now() + self._options.auth_code_ttl_seconds,
            )
            return redirect(code=code, scopes=",".join(granted))

    def _check_client(self, form: Mapping[str, str]) -> None:
        for key in ("client_key", "client_secret"):
            if not form.get(key):
                raise OAuthFailure("invalid_request", f"{key} is required")
        if form["client_key"] != self._served_app.client_key or not hmac.compare_digest(
            form["client_secret"], self._served_app.client_secret
        ):
            raise OAuthFailure("invalid_client", "Client key or secret is incorrect.")

    def _pkce_matches(self, challenge: str, verifier: str) -> bool:
        digest = hashlib.sha256(verifier.encode()).digest()
        if self._options.pkce_encoding == "hex":
            return hmac.compare_digest(digest.hex(), challenge.lower())
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(expected, challenge)

    def _new_token(
        self, kind: Literal["access", "refresh"], grant: Grant, n: int, expires_at: float
    ) -> Token:
        prefix = "act" if kind == "access" else "rft"
        token = Token(
            value=f"{prefix}.{secrets.token_hex(27)}!{n}.va",
            kind=kind,
            grant=grant,
            expires_at=expires_at,
        )
        self._tokens[token.value] = token
        return token

    def _grant(self, client_key: str, open_id: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """Authorize the app for ``open_id``: a new grant, its tokens' body."""
        now = self._now()
        grant = Grant(
            grant_id=self._next_seq(),
            client_key=client_key,
            open_id=open_id,
            scopes=scopes,
            created_at=now,
        )
        self._grants.append(grant)
        n = self._next_seq()
        access = self._new_token("access", grant, n, now + self._options.access_token_ttl_seconds)
        refresh = self._new_token(
            "refresh", grant, n, now + self._options.refresh_token_ttl_seconds
        )
        return self._token_body(access, refresh, now)

    def _token_body(self, access: Token, refresh: Token, now: float) -> dict[str, Any]:
        return {
            "open_id": access.grant.open_id,
            "scope": ",".join(access.grant.scopes),
            "access_token": access.value,
            "expires_in": int(access.expires_at - now),
            "refresh_token": refresh.value,
            "refresh_expires_in": max(0, int(refresh.expires_at - now)),
            "token_type": "Bearer",
        }

    def oauth_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """``POST /v2/oauth/token/``. Returns the flat success body or raises OAuthFailure."""
        with self._lock:
            rule = self._take_rule("http_error", "oauth_token", None)
            if rule is not None:
                raise OAuthFailure(
                    rule.error_code or "server_error",
                    rule.message or "Injected by the sandbox",
                    rule.http_status,
                )
            self._check_client(form)
            grant_type = form.get("grant_type", "")
            now = self._now()
            if grant_type == "authorization_code":
                return self._exchange_code(form, now)
            if grant_type == "refresh_token":
                return self._refresh(form, now)
            if not grant_type:
                raise OAuthFailure("invalid_request", "grant_type is required")
            raise OAuthFailure("unsupported_grant_type", f"grant_type {grant_type!r}")

    def _exchange_code(self, form: Mapping[str, str], now: float) -> dict[str, Any]:
        code_value = form.get("code", "")
        if not code_value:
            raise OAuthFailure("invalid_request", "code is required")
        if not form.get("redirect_uri"):
            raise OAuthFailure("invalid_request", "redirect_uri is required")
        code = self._auth_codes.get(code_value)
        if code is None or code.client_key != form["client_key"]:
            raise OAuthFailure("invalid_grant", "Authorization code is invalid.")
        if code.used:
            raise OAuthFailure("invalid_grant", "Authorization code has been used.")
        if now >= code.expires_at:
            raise OAuthFailure("invalid_grant", "Authorization code is expired.")
        if form["redirect_uri"] != code.redirect_uri:
            raise OAuthFailure("invalid_grant", "redirect_uri does not match the authorize call.")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise OAuthFailure("invalid_request", "code_verifier is required")
            if not self._pkce_matches(code.code_challenge, verifier):
                raise OAuthFailure("invalid_grant", "code_verifier does not match code_challenge.")
        code.used = True
        return self._grant(code.client_key, code.open_id, code.scopes)

    def _refresh(self, form: Mapping[str, str], now: float) -> dict[str, Any]:
        value = form.get("refresh_token", "")
        if not value:
            raise OAuthFailure("invalid_request", "refresh_token is required")
        token = self._tokens.get(value)
        if token is None or token.kind != "refresh" or token.grant.client_key != form["client_key"]:
            raise OAuthFailure("invalid_grant", "Refresh token is invalid.")
        if not token.usable(now):
            reason = "expired" if now >= token.expires_at else "invalid or revoked"
            raise OAuthFailure("invalid_grant", f"Refresh token is {reason}.")
        n = self._next_seq()
        access = self._new_token(
            "access", token.grant, n, now + self._options.access_token_ttl_seconds
        )
        refresh = token
        if self._options.rotate_refresh_tokens:
            # The new refresh token keeps the original expiry (365 d from authorization).
            refresh = self._new_token("refresh", token.grant, n, token.expires_at)
            if not self._options.keep_old_refresh_token_valid:
                token.invalidated = True
        return self._token_body(access, refresh, now)

    def oauth_revoke(self, form: Mapping[str, str]) -> None:
        """``POST /v2/oauth/revoke/``: the developer revokes the user's authorization."""
        with self._lock:
            self._check_client(form)
            value = form.get("token", "")
            if not value:
                raise OAuthFailure("invalid_request", "token is required")
            token = self._tokens.get(value)
            if token is None or token.grant.client_key != form["client_key"]:
                raise OAuthFailure("invalid_request", "token is invalid")
            self._revoke(token.grant.open_id, reason=5, fail_in_flight=True)

    def _revoke(self, open_id: str, *, reason: int, fail_in_flight: bool) -> int:
        now = self._now()
        revoked = 0
        for grant in self._grants:
            if grant.open_id == open_id and grant.client_key == self._served_app.client_key:
                if not grant.revoked:
                    revoked += 1
                grant.revoked = True
        if fail_in_flight:
            for pub in self._publishes.values():
                if pub.open_id == open_id and pub.phase in ("download", "upload", "processing"):
                    self._advance(pub, now)
                    if pub.phase in ("download", "upload", "processing"):
                        self._fail(pub, "auth_removed", now)
        self._emit("authorization.removed", open_id, {"reason": reason}, now)
        return revoked

    def revoke_authorization(self, open_id: str, *, fail_in_flight: bool = True) -> int:
        """The user removes the app in TikTok's settings: every token of the user dies, and
        (by default) publishes still in flight end FAILED ``auth_removed``. Returns how many
        grants were revoked."""
        self._await_due_pulls()
        with self._lock:
            self._user(open_id)
            return self._revoke(open_id, reason=1, fail_in_flight=fail_in_flight)

    def expire_access_tokens(self, open_id: str) -> int:
        """Make every access token of the user expired now (refresh tokens stay valid)."""
        with self._lock:
            self._user(open_id)
            count = 0
            for token in self._tokens.values():
                if token.kind == "access" and token.grant.open_id == open_id:
                    token.invalidated = True
                    count += 1
            return count

    def issue_tokens(self, open_id: str, scopes: Iterable[str] | None = None) -> dict[str, Any]:
        """Authorize the app for a user without the browser dance; returns the token body."""
        with self._lock:
            self._user(open_id)
            granted = admin_scopes(scopes, KNOWN_SCOPES, default=self._served_app.scopes)
            return self._grant(self._served_app.client_key, open_id, granted)

    # ------------------------------------------------------------------ auth for data endpoints

    def _authenticate(self, authorization: str | None) -> Token:
        value = ""
        if authorization and authorization[:7].lower() == "bearer ":
            value = authorization[7:].strip()
        token = self._tokens.get(value)
        if token is None or token.kind != "access" or not token.usable(self._now()):
            raise ApiFailure(
                401,
                "access_token_invalid",
                "The access token is invalid or not found in the request.",
            )
        return token

    def token_open_id(self, authorization: str | None) -> str | None:
        """The open_id an Authorization header belongs to (for the request log)."""
        with self._lock:
            value = authorization[7:].strip() if authorization else ""
            token = self._tokens.get(value)
            return token.grant.open_id if token is not None else None

    def _require_scope(self, token: Token, *scopes: str) -> None:
        if not any(scope in token.grant.scopes for scope in scopes):
            raise ApiFailure(
                401,
                "scope_not_authorized",
                f"The user did not authorize the scope required for completing this request "
                f"({' or '.join(scopes)}).",
            )

    def _rate_limit(self, token: Token, endpoint: str) -> None:
        limit = self._options.rate_limits.get(endpoint)
        if limit is None:
            return
        key = (
            token.value
            if self._options.rate_limit_key == "token"
            else f"{token.grant.client_key}/{token.grant.open_id}"
        )
        now = self._now()
        window = self._rate[(key, endpoint)]
        while window and window[0] <= now - self._options.rate_limit_window_seconds:
            window.popleft()
        if len(window) >= limit:
            raise ApiFailure(
                429,
                "rate_limit_exceeded",
                "The API rate limit was exceeded. Please try again later.",
            )
        window.append(now)

    def _enter(self, authorization: str | None, endpoint: str) -> Token:
        """Auth, injected HTTP errors, rate limit: the common head of every data endpoint."""
        token = self._authenticate(authorization)
        self._raise_injected(self._take_rule("http_error", endpoint, token.grant.open_id))
        self._rate_limit(token, endpoint)
        return token
