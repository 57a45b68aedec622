"""Instagram's two login models (``docs/platforms.md``, "Instagram"): the OAuth half of the
adapter, and its Graph calls.

``instagram_login`` chooses the model of new connections; every account keeps the model it
was connected with (account settings ``login``):

- Instagram Login (graph.instagram.com, no Facebook Page needed): code → short-lived token
  (api.instagram.com) → long-lived 60-day token (``ig_exchange_token``), refreshed with
  ``refresh_access_token`` once it is 24 h old and while it has not expired. There is no
  separate refresh token: the stored refresh credential is the long-lived token itself.
- Facebook Login (graph.facebook.com): code → short-lived user token → long-lived user token →
  the Page token of the first Page with a linked Instagram professional account. A Page token
  minted from a long-lived user token does not expire, so nothing is refreshed; Meta
  invalidates it when the user's session ends (password changed, app removed), and since
  Facebook Login has no refresh grant the account must then be reconnected."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any, Self
from urllib.parse import urlencode

from slideforge.config import Settings
from slideforge.publishing.platforms import base
from slideforge.publishing.platforms.instagram.errors import graph_error
from slideforge.publishing.platforms.instagram.rules import RULES

IG_PUBLISH_SCOPES = ("instagram_business_basic", "instagram_business_content_publish")
FB_PUBLISH_SCOPES = (
    "instagram_basic",
    "instagram_content_publish",
    "pages_show_list",
    "pages_read_engagement",
)


class _RedactSecrets(logging.Filter):
    """httpx logs each request's URL at INFO: keep secrets Meta wants in query strings
    (``client_secret``, ``access_token``) out of the logs."""

    PATTERN = re.compile(r"((?:client_secret|access_token|fb_exchange_token)=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self.PATTERN.sub(r"\1[redacted]", str(arg)) if "=" in str(arg) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


logging.getLogger("httpx").addFilter(_RedactSecrets())


def _identity(
    login: str, ig_user_id: str, profile: dict[str, Any], **settings: Any
) -> base.Identity:
    """The connected professional account from its Graph ``profile`` (username, name,
    picture), with the login model and ``settings`` particular to it."""
    username = str(profile.get("username") or ig_user_id)
    return base.Identity(
        platform_user_id=ig_user_id,
        username=username,
        display_name=str(profile.get("name") or username),
        settings={
            "login": login,
            "ig_user_id": ig_user_id,
            **settings,
            "avatar_url": profile.get("profile_picture_url"),
        },
    )


class InstagramLogin:
    """The app's credentials, the Graph calls, and OAuth for both login models."""

    name = "instagram"

    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        self.client_id, self.client_secret = RULES.client(settings)
        self.settings = settings
        self.login = settings.instagram_login
        self.graph_url = settings.instagram_graph_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings)

    # -- HTTP ------------------------------------------------------------------------------

    def _graph_base(self, login: str) -> str:
        settings = self.settings
        graph = settings.facebook_graph_url.rstrip("/") if login == "facebook" else self.graph_url
        return f"{graph}/{settings.instagram_graph_version.strip('/')}"

    def _read(
        self, url: str, token: str | None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A Graph read (GET)."""
        return self._call("GET", url, read_only=True, token=token, params=params)

    def _call(
        self,
        method: str,
        url: str,
        *,
        read_only: bool,
        token: str | None = None,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One Graph call; errors (HTTP or in the body) become PlatformError."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response, body = base.platform_request(
            "Instagram",
            self.timeout,
            method,
            url,
            read_only=read_only,
            params=params,
            data=data,
            headers=headers,
        )
        if response.status_code < 400 and "error" not in body and "error_type" not in body:
            return body
        raise graph_error(response, body, read_only=read_only)

    # -- OAuth -----------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        if self.login == "facebook":
            query = {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": self.settings.facebook_scopes,
            }
            return f"{self.settings.facebook_authorize_url}?{urlencode(query)}"
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": self.settings.instagram_scopes,
            "state": state,
        }
        return f"{self.settings.instagram_authorize_url}?{urlencode(query)}"

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, now: datetime
    ) -> tuple[base.TokenSet, base.Identity]:
        if self.login == "facebook":
            return self._exchange_facebook(code, redirect_uri, now)
        return self._exchange_instagram(code, redirect_uri, now)

    def _exchange_instagram(
        self, code: str, redirect_uri: str, now: datetime
    ) -> tuple[base.TokenSet, base.Identity]:
        body = self._call(
            "POST",
            self.settings.instagram_token_url,
            read_only=True,
            data={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        entry = body["data"][0] if isinstance(body.get("data"), list) and body["data"] else body
        short = str(entry.get("access_token") or "")
        if not short:
            raise base.PlatformError("retryable", "bad_response", "Instagram returned no token")
        raw = entry.get("permissions") or ""
        granted = [p.strip() for p in (raw.split(",") if isinstance(raw, str) else raw)]
        base.require_scopes(granted, IG_PUBLISH_SCOPES)
        long = self._read(
            f"{self.graph_url}/access_token",
            short,
            {"grant_type": "ig_exchange_token", "client_secret": self.client_secret},
        )
        tokens = self._long_lived(long, now, ",".join(granted))
        me = self._read(
            f"{self._graph_base('instagram')}/me",
            tokens.access_token,
            {"fields": "user_id,username,name,account_type,profile_picture_url"},
        )
        if me.get("account_type") == "PERSONAL":
            raise base.PlatformError(
                "user",
                "not_professional",
                f"@{me.get('username')} is a personal Instagram account: switch it to a "
                "professional (business or creator) account in the Instagram app, then connect "
                "again",
            )
        ig_user_id = str(me.get("user_id") or me.get("id") or "")
        if not ig_user_id:
            raise base.PlatformError("retryable", "bad_response", "Instagram returned no user id")
        return tokens, _identity("instagram", ig_user_id, me, account_type=me.get("account_type"))

    @staticmethod
    def _long_lived(body: dict[str, Any], now: datetime, scopes: str) -> base.TokenSet:
        token = str(body.get("access_token") or "")
        if not token:
            raise base.PlatformError("retryable", "bad_response", "Instagram returned no token")
        expires = now + timedelta(seconds=int(body.get("expires_in") or 5_183_944))
        # Instagram Login has no refresh token: the long-lived token refreshes itself, again
        # and again, as long as that happens before it expires (no end of its own).
        return base.TokenSet(
            access_token=token,
            access_expires_at=expires,
            refresh_token=token,
            refresh_expires_at=None,
            scopes=str(body.get("permissions") or scopes),
        )

    def _exchange_facebook(
        self, code: str, redirect_uri: str, now: datetime
    ) -> tuple[base.TokenSet, base.Identity]:
        graph = self._graph_base("facebook")
        short = self._call(
            "POST",
            f"{graph}/oauth/access_token",
            read_only=True,
            data={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        ).get("access_token")
        if not short:
            raise base.PlatformError("retryable", "bad_response", "Facebook returned no token")
        user_token = self._call(
            "POST",
            f"{graph}/oauth/access_token",
            read_only=True,
            data={
                "grant_type": "fb_exchange_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "fb_exchange_token": str(short),
            },
        ).get("access_token")
        if not user_token:
            raise base.PlatformError("retryable", "bad_response", "Facebook returned no long token")
        permissions = self._call(
            "GET", f"{graph}/me/permissions", read_only=True, token=str(user_token)
        ).get("data")
        granted = [
            str(p.get("permission"))
            for p in permissions or []
            if isinstance(p, dict) and p.get("status") == "granted"
        ]
        base.require_scopes(granted, FB_PUBLISH_SCOPES)
        pages = self._call(
            "GET",
            f"{graph}/me/accounts",
            read_only=True,
            token=str(user_token),
            params={
                "fields": "id,name,access_token,"
                "instagram_business_account{id,username,name,profile_picture_url}"
            },
        ).get("data")
        page = next(
            (
                p
                for p in pages or []
                if isinstance(p, dict)
                and isinstance(p.get("instagram_business_account"), dict)
                and p.get("access_token")
            ),
            None,
        )
        if page is None:
            raise base.PlatformError(
                "user",
                "no_instagram_account",
                "none of the Facebook Pages this login manages has a linked Instagram "
                "professional account: link one in the Page's settings (or use Instagram "
                "Login), then connect again",
            )
        ig = page["instagram_business_account"]
        identity = _identity(
            "facebook",
            str(ig.get("id")),
            ig,
            page_id=str(page.get("id")),
            page_name=page.get("name"),
        )
        # A Page token minted from a long-lived user token does not expire; there is no
        # refresh grant: when Meta invalidates it, the account is reconnected.
        tokens = base.TokenSet(
            access_token=str(page["access_token"]),
            access_expires_at=None,
            refresh_token=None,
            refresh_expires_at=None,
            scopes=",".join(granted),
        )
        return tokens, identity

    def refresh(self, refresh_token: str, *, now: datetime) -> base.TokenSet:
        """Instagram Login: a new 60-day token for a long-lived one at least 24 h old. (Only
        Instagram Login accounts carry a refresh credential.)"""
        try:
            body = self._read(
                f"{self.graph_url}/refresh_access_token",
                refresh_token,
                {"grant_type": "ig_refresh_token"},
            )
        except base.PlatformError as exc:
            if exc.kind in ("user", "wait") and exc.http_status is not None:
                # Meta accepted the token but will not refresh it yet (it is under 24 h
                # old): it stays valid until it expires.
                raise base.PlatformError(
                    "wait",
                    "refresh_too_early",
                    f"Instagram will not refresh this token yet ({exc.message})",
                ) from exc
            raise
        return self._long_lived(body, now, "")
