"""Instagram Graph API content publishing (``docs/platforms.md``, "Instagram").

Two login models. ``instagram_login`` chooses the one of new connections; every account keeps
the model it was connected with (account settings ``login``):

- Instagram Login (graph.instagram.com, no Facebook Page needed): code → short-lived token
  (api.instagram.com) → long-lived 60-day token (``ig_exchange_token``), refreshed with
  ``refresh_access_token`` once it is 24 h old and while it has not expired. There is no
  separate refresh token: the stored refresh credential is the long-lived token itself.
- Facebook Login (graph.facebook.com): code → short-lived user token → long-lived user token →
  the Page token of the first Page with a linked Instagram professional account. A Page token
  minted from a long-lived user token does not expire, so nothing is refreshed; Meta
  invalidates it when the user's session ends (password changed, app removed), and since
  Facebook Login has no refresh grant the account must then be reconnected.

Publishing: ``stage`` checks the caption (≤ 2200 characters, ≤ 30 hashtags, ≤ 20 mentions),
reads the live ``content_publishing_limit``, creates the containers (a single image; a
carousel's children, then its parent; a Reel) and polls their ``status_code`` until FINISHED:
nothing of that is visible. ``send`` is the one ``media_publish``. ``status`` reads the
permalink. A container is published at most once (Instagram refuses a second
``media_publish``), so an ambiguous publish (5xx, lost connection) is settled by reading the
container: PUBLISHED means live, anything else means nothing was published and a new attempt
publishes the same container."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from slideforge.config import Settings
from slideforge.publishing.platforms.base import (
    FailureKind,
    Identity,
    PlatformConfigError,
    PlatformError,
    PublishRequest,
    Reading,
    Seen,
    Sent,
    Staged,
    Status,
    TokenSet,
    platform_request,
    same_text,
)

CAPTION_MAX = 2200
HASHTAGS_MAX = 30
MENTIONS_MAX = 20
CAROUSEL_MAX = 10
HASHTAG_RE = re.compile(r"(?<![\w#])#\w+")
MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+")
IG_PUBLISH_SCOPES = ("instagram_business_basic", "instagram_business_content_publish")
FB_PUBLISH_SCOPES = (
    "instagram_basic",
    "instagram_content_publish",
    "pages_show_list",
    "pages_read_engagement",
)
# Containers re-created within one attempt after they expired, before giving up.
MAX_RECREATE = 3
IMAGE_POLL_SECONDS = 1.0
VIDEO_POLL_SECONDS = 3.0
THROTTLE_CODES = (4, 17, 32, 613, 80002)
# Reconciliation reads the account's media list, 50 a page, at most this many pages back.
MEDIA_LIST_PAGES = 10
DEAD_SESSIONS = {
    458: "the app was removed from the account",
    459: "the account is checkpointed: log in on instagram.com / facebook.com",
    460: "the password was changed",
    463: "the token expired",
    467: "the user logged out",
}

# error_subcode -> (kind, our code, words). Meta's publishing error table.
SUBCODES: dict[int, tuple[FailureKind, str, str]] = {
    2207001: ("retryable", "server_error", "Instagram had a server error"),
    2207032: ("retryable", "create_failed", "Instagram failed to create the media"),
    2207003: (
        "retryable",
        "media_download_timeout",
        "Instagram took too long to download the media from our media URL",
    ),
    2207020: ("retryable", "media_expired", "the media container expired"),
    2207008: ("retryable", "container_expired", "the media container expired or is missing"),
    2207006: ("retryable", "media_not_found", "Instagram could not find the media container"),
    2207053: ("retryable", "upload_failed", "Instagram failed to process the uploaded media"),
    2207052: (
        "retryable",
        "media_fetch_failed",
        "Instagram could not download the media: SLIDEFORGE_MEDIA_BASE_URL must be a public "
        "https URL Meta can reach",
    ),
    2207027: ("retryable", "not_ready", "the media was not ready for publishing yet"),
    2207042: (
        "wait",
        "quota_exhausted",
        "Instagram's daily publishing limit for this account is reached (content publishing "
        "limit, rolling 24 h): publish again later",
    ),
    2207050: (
        "user",
        "account_restricted",
        "the Instagram account is restricted, inactive or checkpointed: open the Instagram "
        "app and resolve it",
    ),
    2207051: (
        "user",
        "spam_restricted",
        "Instagram blocked the publish as restricted activity (spam protection)",
    ),
    2207057: (
        "user",
        "thumb_offset_invalid",
        "the cover time (media.cover_timestamp_ms) is beyond the end of the video",
    ),
    2207026: (
        "user",
        "video_format",
        "Instagram cannot use the video: send an MP4/MOV (H.264 or HEVC, AAC audio, "
        "23–60 fps, long side ≤ 1920 px, 3 s–15 min, ≤ 300 MB)",
    ),
    2207004: ("user", "image_too_large", "an image is larger than Instagram's 8 MiB"),
    2207005: ("user", "image_format", "Instagram takes JPEG images only"),
    2207009: (
        "user",
        "aspect_ratio",
        "an image's aspect ratio is outside Instagram's 4:5…1.91:1",
    ),
    2207010: ("user", "caption_too_long", "the caption is longer than 2200 characters"),
    2207040: (
        "user",
        "too_many_tags",
        "the caption has more than 20 @mentions or 30 hashtags",
    ),
    2207023: ("user", "media_type", "Instagram refused the media type"),
    2207028: ("user", "carousel_size", "a carousel needs 2–10 items"),
}
# Retryable codes that may hide a publish that happened (checked on the container).
AMBIGUOUS = ("server_error", "create_failed", "unknown_error", "network")

log = logging.getLogger(__name__)


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


def caption_problems(caption: str) -> list[str]:
    """What Instagram would refuse in a caption, in words (empty when it is fine)."""
    problems = []
    if len(caption) > CAPTION_MAX:
        problems.append(
            f"the caption is {len(caption)} characters; Instagram takes at most {CAPTION_MAX}"
        )
    tags = len(HASHTAG_RE.findall(caption))
    if tags > HASHTAGS_MAX:
        problems.append(
            f"the caption has {tags} hashtags; Instagram takes at most {HASHTAGS_MAX} "
            f"(remove {tags - HASHTAGS_MAX})"
        )
    mentions = len(MENTION_RE.findall(caption))
    if mentions > MENTIONS_MAX:
        problems.append(
            f"the caption has {mentions} @mentions; Instagram takes at most {MENTIONS_MAX} "
            f"(remove {mentions - MENTIONS_MAX})"
        )
    return problems


def _retry_after(headers: httpx.Headers) -> float:
    """Seconds until a throttled account may call again: Meta's
    ``estimated_time_to_regain_access`` (minutes) in X-Business-Use-Case-Usage, else 60."""
    raw = headers.get("x-business-use-case-usage")
    minutes = 0.0
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values() if isinstance(usage, dict) else []:
                for entry in entries if isinstance(entries, list) else []:
                    value = entry.get("estimated_time_to_regain_access")
                    if isinstance(value, int | float):
                        minutes = max(minutes, float(value))
        except (ValueError, AttributeError):
            minutes = 0.0
    return minutes * 60.0 if minutes > 0 else 60.0


class Instagram:
    name = "instagram"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        login: str,
        graph_version: str,
        authorize_url: str,
        token_url: str,
        graph_url: str,
        scopes: str,
        facebook_authorize_url: str,
        facebook_graph_url: str,
        facebook_scopes: str,
        timeout: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.login = login
        self.version = graph_version.strip("/")
        self.authorize_base = authorize_url
        self.token_url = token_url
        self.graph_url = graph_url.rstrip("/")
        self.scopes = scopes
        self.fb_authorize_base = facebook_authorize_url
        self.fb_graph_url = facebook_graph_url.rstrip("/")
        self.fb_scopes = facebook_scopes
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Instagram:
        if not settings.instagram_client_id or not settings.instagram_client_secret:
            raise PlatformConfigError(
                "Instagram is not configured: set SLIDEFORGE_INSTAGRAM_CLIENT_ID and "
                "SLIDEFORGE_INSTAGRAM_CLIENT_SECRET (the Instagram app id and secret for "
                "Instagram Login, or the Meta app id and secret with "
                "SLIDEFORGE_INSTAGRAM_LOGIN=facebook)"
            )
        return cls(
            client_id=settings.instagram_client_id,
            client_secret=settings.instagram_client_secret,
            login=settings.instagram_login,
            graph_version=settings.instagram_graph_version,
            authorize_url=settings.instagram_authorize_url,
            token_url=settings.instagram_token_url,
            graph_url=settings.instagram_graph_url,
            scopes=settings.instagram_scopes,
            facebook_authorize_url=settings.facebook_authorize_url,
            facebook_graph_url=settings.facebook_graph_url,
            facebook_scopes=settings.facebook_scopes,
        )

    # -- HTTP ------------------------------------------------------------------------------

    def _graph_base(self, login: str) -> str:
        base = self.fb_graph_url if login == "facebook" else self.graph_url
        return f"{base}/{self.version}"

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
        response, body = platform_request(
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
        raise self._error(response, body, read_only=read_only)

    def _error(
        self, response: httpx.Response, body: dict[str, Any], *, read_only: bool
    ) -> PlatformError:
        error = body.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            subcode = error.get("error_subcode")
            message = str(error.get("error_user_msg") or error.get("message") or "")
            transient = bool(error.get("is_transient"))
        else:  # api.instagram.com's OAuth shape
            code = body.get("code")
            subcode = None
            message = str(body.get("error_message") or body.get("error_description") or "")
            transient = False
        code = code if isinstance(code, int) else None
        subcode = subcode if isinstance(subcode, int) else None
        status = response.status_code
        retry_after: float | None = None
        kind: FailureKind
        if subcode in SUBCODES:
            kind, name, words = SUBCODES[subcode]
        elif code == 190:
            # Expired, revoked or invalidated: Instagram refreshes only valid tokens, and
            # Facebook Login has no refresh grant, so the account must be reconnected.
            kind, name = "auth", "reauth_required"
            reason = DEAD_SESSIONS.get(subcode or 0, "the token is not valid")
            words = (
                f"Instagram did not accept the account's token ({reason}): reconnect the account"
            )
        elif code == 10 or (code is not None and 200 <= code < 300):
            kind, name = "user", "permission_missing"
            words = (
                "the account did not grant a permission publishing needs, or is not an "
                "Instagram professional (business or creator) account: reconnect it and "
                "approve every permission"
            )
        elif code in THROTTLE_CODES:
            kind, name, words = "retryable", "rate_limited", "Instagram rate-limited this account"
            retry_after = _retry_after(response.headers)
        elif code == 9:
            kind, name = "wait", "container_limit"
            words = "Instagram's limit of media containers per 24 h is reached for this account"
        elif transient or status >= 500 or code in (1, 2, -1, -2):
            kind, name, words = "retryable", "unknown_error", "Instagram had an unexpected error"
        else:
            kind, name, words = "user", "refused", "Instagram refused the request"
        if not read_only and name in AMBIGUOUS:
            kind = "unknown"  # the publish may have happened: the caller checks the container
        elif kind == "retryable" and name not in AMBIGUOUS and retry_after is None:
            # Not a server hiccup (media download, expired container …): a new attempt after
            # the configured delay, rather than an immediate step retry.
            retry_after = 0.0
        shown = "/".join(str(part) for part in (code, subcode) if part is not None)
        detail = f"{words} ({shown}: {message})" if shown or message else words
        return PlatformError(kind, name, detail, retry_after=retry_after, http_status=status)

    # -- OAuth -----------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        if self.login == "facebook":
            query = {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": self.fb_scopes,
            }
            return f"{self.fb_authorize_base}?{urlencode(query)}"
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": self.scopes,
            "state": state,
        }
        return f"{self.authorize_base}?{urlencode(query)}"

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, now: datetime
    ) -> tuple[TokenSet, Identity]:
        if self.login == "facebook":
            return self._exchange_facebook(code, redirect_uri, now)
        return self._exchange_instagram(code, redirect_uri, now)

    def _exchange_instagram(
        self, code: str, redirect_uri: str, now: datetime
    ) -> tuple[TokenSet, Identity]:
        body = self._call(
            "POST",
            self.token_url,
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
            raise PlatformError("retryable", "bad_response", "Instagram returned no token")
        raw = entry.get("permissions") or ""
        granted = [p.strip() for p in (raw.split(",") if isinstance(raw, str) else raw)]
        missing = [scope for scope in IG_PUBLISH_SCOPES if scope not in granted]
        if missing:
            raise PlatformError(
                "user",
                "scope_not_authorized",
                f"the account did not grant {', '.join(missing)}: connect again and approve "
                "every permission",
            )
        long = self._call(
            "GET",
            f"{self.graph_url}/access_token",
            read_only=True,
            token=short,
            params={"grant_type": "ig_exchange_token", "client_secret": self.client_secret},
        )
        tokens = self._long_lived(long, now, ",".join(granted))
        me = self._call(
            "GET",
            f"{self._graph_base('instagram')}/me",
            read_only=True,
            token=tokens.access_token,
            params={"fields": "user_id,username,name,account_type,profile_picture_url"},
        )
        if me.get("account_type") == "PERSONAL":
            raise PlatformError(
                "user",
                "not_professional",
                f"@{me.get('username')} is a personal Instagram account: switch it to a "
                "professional (business or creator) account in the Instagram app, then connect "
                "again",
            )
        ig_user_id = str(me.get("user_id") or me.get("id") or "")
        if not ig_user_id:
            raise PlatformError("retryable", "bad_response", "Instagram returned no user id")
        username = str(me.get("username") or ig_user_id)
        identity = Identity(
            platform_user_id=ig_user_id,
            username=username,
            display_name=str(me.get("name") or username),
            settings={
                "login": "instagram",
                "ig_user_id": ig_user_id,
                "account_type": me.get("account_type"),
                "avatar_url": me.get("profile_picture_url"),
            },
        )
        return tokens, identity

    @staticmethod
    def _long_lived(body: dict[str, Any], now: datetime, scopes: str) -> TokenSet:
        token = str(body.get("access_token") or "")
        if not token:
            raise PlatformError("retryable", "bad_response", "Instagram returned no token")
        expires = now + timedelta(seconds=int(body.get("expires_in") or 5_183_944))
        # Instagram Login has no refresh token: the long-lived token refreshes itself, again
        # and again, as long as that happens before it expires (no end of its own).
        return TokenSet(
            access_token=token,
            access_expires_at=expires,
            refresh_token=token,
            refresh_expires_at=None,
            scopes=str(body.get("permissions") or scopes),
        )

    def _exchange_facebook(
        self, code: str, redirect_uri: str, now: datetime
    ) -> tuple[TokenSet, Identity]:
        base = self._graph_base("facebook")
        short = self._call(
            "POST",
            f"{base}/oauth/access_token",
            read_only=True,
            data={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        ).get("access_token")
        if not short:
            raise PlatformError("retryable", "bad_response", "Facebook returned no token")
        user_token = self._call(
            "POST",
            f"{base}/oauth/access_token",
            read_only=True,
            data={
                "grant_type": "fb_exchange_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "fb_exchange_token": str(short),
            },
        ).get("access_token")
        if not user_token:
            raise PlatformError("retryable", "bad_response", "Facebook returned no long token")
        permissions = self._call(
            "GET", f"{base}/me/permissions", read_only=True, token=str(user_token)
        ).get("data")
        granted = [
            str(p.get("permission"))
            for p in permissions or []
            if isinstance(p, dict) and p.get("status") == "granted"
        ]
        missing = [scope for scope in FB_PUBLISH_SCOPES if scope not in granted]
        if missing:
            raise PlatformError(
                "user",
                "scope_not_authorized",
                f"the account did not grant {', '.join(missing)}: connect again and approve "
                "every permission",
            )
        pages = self._call(
            "GET",
            f"{base}/me/accounts",
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
            raise PlatformError(
                "user",
                "no_instagram_account",
                "none of the Facebook Pages this login manages has a linked Instagram "
                "professional account: link one in the Page's settings (or use Instagram "
                "Login), then connect again",
            )
        ig = page["instagram_business_account"]
        ig_user_id = str(ig.get("id"))
        username = str(ig.get("username") or ig_user_id)
        identity = Identity(
            platform_user_id=ig_user_id,
            username=username,
            display_name=str(ig.get("name") or username),
            settings={
                "login": "facebook",
                "ig_user_id": ig_user_id,
                "page_id": str(page.get("id")),
                "page_name": page.get("name"),
                "avatar_url": ig.get("profile_picture_url"),
            },
        )
        # A Page token minted from a long-lived user token does not expire; there is no
        # refresh grant: when Meta invalidates it, the account is reconnected.
        tokens = TokenSet(
            access_token=str(page["access_token"]),
            access_expires_at=None,
            refresh_token=None,
            refresh_expires_at=None,
            scopes=",".join(granted),
        )
        return tokens, identity

    def refresh(self, refresh_token: str, *, now: datetime) -> TokenSet:
        """Instagram Login: a new 60-day token for a long-lived one at least 24 h old. (Only
        Instagram Login accounts carry a refresh credential.)"""
        try:
            body = self._call(
                "GET",
                f"{self.graph_url}/refresh_access_token",
                read_only=True,
                token=refresh_token,
                params={"grant_type": "ig_refresh_token"},
            )
        except PlatformError as exc:
            if exc.kind in ("user", "wait") and exc.http_status is not None:
                # Meta accepted the token but will not refresh it yet (it is under 24 h
                # old): it stays valid until it expires.
                raise PlatformError(
                    "wait",
                    "refresh_too_early",
                    f"Instagram will not refresh this token yet ({exc.message})",
                ) from exc
            raise
        return self._long_lived(body, now, "")

    # -- publishing ------------------------------------------------------------------------

    def _where(self, request: PublishRequest) -> tuple[str, str]:
        """(Graph base URL of the account's login model, IG user id)."""
        login = str(request.account.get("login") or self.login)
        ig_user_id = str(
            request.account.get("ig_user_id") or request.account.get("platform_user_id") or ""
        )
        return self._graph_base(login), ig_user_id

    def _check_quota(self, token: str, base: str, ig_user_id: str, username: str) -> None:
        data = self._call(
            "GET",
            f"{base}/{ig_user_id}/content_publishing_limit",
            read_only=True,
            token=token,
            params={"fields": "quota_usage,config"},
        ).get("data")
        entry = data[0] if isinstance(data, list) and data else {}
        usage = entry.get("quota_usage")
        total = (entry.get("config") or {}).get("quota_total")
        if isinstance(usage, int) and isinstance(total, int) and usage >= total:
            raise PlatformError(
                "wait",
                "quota_exhausted",
                f"Instagram's publishing limit for @{username} is used up: {usage} of {total} "
                "posts in the last 24 hours (content_publishing_limit). Nothing was published; "
                "retry this post once the oldest of those posts is 24 hours old",
            )

    def _create(
        self, token: str, base: str, ig_user_id: str, params: dict[str, str], progress: dict
    ) -> str:
        try:
            data = self._call(
                "POST", f"{base}/{ig_user_id}/media", read_only=True, token=token, data=params
            )
        except PlatformError as exc:
            exc.progress = progress
            raise
        container = str(data.get("id") or "")
        if not container:
            raise PlatformError(
                "retryable", "bad_response", "Instagram returned no container id", progress=progress
            )
        return container

    def _container_status(self, token: str, base: str, container: str) -> tuple[str, str]:
        data = self._call(
            "GET",
            f"{base}/{container}",
            read_only=True,
            token=token,
            params={"fields": "status_code,status"},
        )
        return str(data.get("status_code") or ""), str(data.get("status") or "")

    def _container_error(self, text: str, progress: dict[str, Any]) -> PlatformError:
        """A container ended ERROR: the reason in words; a retryable one is re-created by the
        next attempt (it was dropped from ``progress``)."""
        found = re.search(r"error code (\d+)", text)
        subcode = int(found.group(1)) if found else None
        kind, name, words = SUBCODES.get(
            subcode or 0, ("user", "media_error", "Instagram could not process the media")
        )
        if kind == "wait":
            kind = "user"
        return PlatformError(
            kind,
            name,
            f"{words} (container status: {text or 'ERROR'})",
            retry_after=0.0 if kind == "retryable" else None,
            progress=progress,
        )

    def _item_params(self, request: PublishRequest) -> list[dict[str, str]]:
        if request.kind == "video":
            params = {
                "media_type": "REELS",
                "video_url": str(request.video_url),
                "caption": request.caption,
                "share_to_feed": "false"
                if request.account.get("share_to_feed") is False
                else "true",
            }
            if request.settings.get("cover_url"):
                params["cover_url"] = str(request.settings["cover_url"])
            elif request.settings.get("video_cover_timestamp_ms") is not None:
                params["thumb_offset"] = str(int(request.settings["video_cover_timestamp_ms"]))
            return [params]
        if len(request.image_urls) == 1:
            return [{"image_url": request.image_urls[0], "caption": request.caption}]
        return [{"image_url": url, "is_carousel_item": "true"} for url in request.image_urls]

    def stage(self, token: str, request: PublishRequest, progress: dict[str, Any]) -> Staged:
        """Containers created and FINISHED, quota checked; resumes from ``progress``
        (``items``: one container id per item, ``parent``: the carousel)."""
        problems = caption_problems(request.caption)
        if problems:
            raise PlatformError("user", "caption_invalid", "; ".join(problems))
        if request.kind == "slideshow" and not 1 <= len(request.image_urls) <= CAROUSEL_MAX:
            raise PlatformError(
                "user",
                "carousel_size",
                f"Instagram carousels take 2–{CAROUSEL_MAX} images; this post has "
                f"{len(request.image_urls)}",
            )
        base, ig_user_id = self._where(request)
        wanted = self._item_params(request)
        p: dict[str, Any] = dict(progress)
        items: list[str | None] = list(p.get("items") or [])
        if len(items) != len(wanted):
            items, p["parent"] = [None] * len(wanted), None
        p["items"] = items
        if not p.get("quota_checked"):
            self._check_quota(token, base, ig_user_id, request.username)
            p["quota_checked"] = True
        # Create what is missing (each id is kept at once: a failure saves what exists).
        for index, params in enumerate(wanted):
            if items[index] is None:
                items[index] = self._create(token, base, ig_user_id, params, p)
        waiting = False
        for index, container in enumerate(items):
            assert container is not None
            code, text = self._container_status(token, base, container)
            if code == "EXPIRED":
                items[index], p["parent"] = None, None
                p["recreated"] = int(p.get("recreated") or 0) + 1
                if p["recreated"] > MAX_RECREATE:
                    raise PlatformError(
                        "retryable",
                        "container_expired",
                        "Instagram's media containers keep expiring before they can be published",
                        retry_after=0.0,
                        progress={**p, "recreated": 0},
                    )
                return Staged(ready=False, progress=p, wait=0.0)
            if code == "ERROR":
                items[index], p["parent"] = None, None
                raise self._container_error(text, p)
            # PUBLISHED: an earlier attempt's publish went through; the send finds out.
            if code not in ("FINISHED", "PUBLISHED"):
                waiting = True
        if waiting:
            poll = VIDEO_POLL_SECONDS if request.kind == "video" else IMAGE_POLL_SECONDS
            return Staged(ready=False, progress=p, wait=poll)
        creation_id = str(items[0])
        if len(items) > 1:
            if not p.get("parent"):
                p["parent"] = self._create(
                    token,
                    base,
                    ig_user_id,
                    {
                        "media_type": "CAROUSEL",
                        "children": ",".join(str(item) for item in items),
                        "caption": request.caption,
                    },
                    p,
                )
            creation_id = str(p["parent"])
            code, text = self._container_status(token, base, creation_id)
            if code == "ERROR":
                p["parent"] = None
                raise self._container_error(text, p)
            if code == "EXPIRED":
                p["parent"] = None
                return Staged(ready=False, progress=p, wait=0.0)
            if code not in ("FINISHED", "PUBLISHED"):
                return Staged(ready=False, progress=p, wait=IMAGE_POLL_SECONDS)
        self._check_quota(token, base, ig_user_id, request.username)
        return Staged(ready=True, settings={"creation_id": creation_id}, progress=p)

    def send(self, token: str, request: PublishRequest, staged: Staged) -> Sent:
        base, ig_user_id = self._where(request)
        creation_id = str(staged.settings["creation_id"])
        ref: dict[str, Any] = {"creation_id": creation_id, "ig_user_id": ig_user_id}
        try:
            data = self._call(
                "POST",
                f"{base}/{ig_user_id}/media_publish",
                read_only=False,
                token=token,
                data={"creation_id": creation_id},
            )
        except PlatformError as exc:
            if exc.kind not in ("unknown", "user"):
                raise
            # Did it publish? A container is published at most once: read it.
            try:
                code, _ = self._container_status(token, base, creation_id)
            except PlatformError:
                raise exc from None
            if code == "PUBLISHED":
                return Sent(ref={**ref, "publish_id": creation_id, "media_id": None})
            if exc.kind == "unknown":
                raise PlatformError(
                    "retryable",
                    exc.code,
                    f"{exc.message}; the container is {code or 'unreadable'}, so nothing was "
                    "published: a new attempt publishes it",
                    http_status=exc.http_status,
                ) from exc
            raise
        media_id = str(data.get("id") or "")
        return Sent(ref={**ref, "publish_id": media_id or creation_id, "media_id": media_id})

    def continue_upload(
        self, token: str, request: PublishRequest, ref: dict[str, Any], read_chunk: Any
    ) -> None:
        return None  # Meta downloads the media from our URLs while staging

    def status(self, token: str, request: PublishRequest, ref: dict[str, Any]) -> Status:
        base, ig_user_id = self._where(request)
        profile = f"https://www.instagram.com/{request.username}/" if request.username else None
        media_id = ref.get("media_id")
        if media_id:
            data = self._call(
                "GET",
                f"{base}/{media_id}",
                read_only=True,
                token=token,
                params={"fields": "id,permalink"},
            )
            url = data.get("permalink") or profile
            return Status("posted", "PUBLISHED", post_id=str(media_id), url=url, final=True)
        # Published by an attempt whose answer was lost: find it among the latest posts.
        listing = self._call(
            "GET",
            f"{base}/{ig_user_id}/media",
            read_only=True,
            token=token,
            params={"fields": "id,permalink,caption", "limit": "25"},
        ).get("data")
        for item in listing or []:
            if isinstance(item, dict) and (item.get("caption") or "") == request.caption:
                return Status(
                    "posted",
                    "PUBLISHED",
                    post_id=str(item.get("id")),
                    url=item.get("permalink") or profile,
                    final=True,
                )
        # Live, but not listed yet (a new post shows in the list a moment after it is
        # published): the profile URL for now, and tracking reads again for the permalink.
        return Status("posted", "PUBLISHED", url=profile, final=False)

    # -- reconciliation ----------------------------------------------------------------------

    def reconcile(
        self, token: str, request: PublishRequest, ref: dict[str, Any], since: datetime
    ) -> Reading:
        """The container first (a container publishes at most once: PUBLISHED means live,
        anything else means nothing was published and a new attempt publishes that same
        container); without one, the account's media since ``since`` compared on caption."""
        base, ig_user_id = self._where(request)
        profile = f"https://www.instagram.com/{request.username}/" if request.username else None
        if ref.get("media_id"):
            status = self.status(token, request, ref)
            return Reading(
                "posted",
                f"Instagram media {ref['media_id']} exists",
                post_id=status.post_id,
                url=status.url,
                platform_status="PUBLISHED",
            )
        settings = dict(ref.get("settings") or {})
        stage = dict(ref.get("stage") or {})
        items = [item for item in stage.get("items") or [] if item]
        creation_id = (
            settings.get("creation_id")
            or ref.get("creation_id")
            or stage.get("parent")
            or (items[0] if len(items) == 1 else None)
        )
        listing: Reading | None = None
        if creation_id:
            try:
                code, text = self._container_status(token, base, str(creation_id))
            except PlatformError as exc:
                if exc.kind in ("retryable", "auth"):
                    return Reading(
                        "unknown",
                        f"Instagram's container {creation_id} could not be read: {exc.message}",
                    )
                code, text = "", exc.message  # gone: the media list decides
            said = f"Instagram's container {creation_id} is {code or 'unreadable'}"
            if code == "PUBLISHED":
                listing = self._media_since(token, base, ig_user_id, since, request)
                found = [seen for seen in listing.listed if seen.matches]
                if len(found) == 1:
                    return Reading(
                        "posted",
                        f"{said}; it is media {found[0].post_id} of @{request.username}",
                        post_id=found[0].post_id,
                        url=found[0].url,
                        platform_status="PUBLISHED",
                    )
                return Reading("posted", said, url=profile, platform_status="PUBLISHED")
            if code in ("FINISHED", "IN_PROGRESS"):
                return Reading(
                    "absent",
                    f"{said}: it was never published, and a new attempt publishes this same "
                    "container",
                )
            if code in ("EXPIRED", "ERROR"):
                return Reading(
                    "absent", f"{said} ({text}): it was never published", platform_status=code
                )
        return listing or self._media_since(token, base, ig_user_id, since, request)

    def _media_since(
        self, token: str, base: str, ig_user_id: str, since: datetime, request: PublishRequest
    ) -> Reading:
        """``GET /{ig-user-id}/media`` (newest first, cursor paging) back to ``since``."""
        seen: list[Seen] = []
        complete = False
        after: str | None = None
        for _ in range(MEDIA_LIST_PAGES):
            params = {"fields": "id,caption,timestamp,permalink,media_type", "limit": "50"}
            if after:
                params["after"] = after
            try:
                body = self._call(
                    "GET", f"{base}/{ig_user_id}/media", read_only=True, token=token, params=params
                )
            except PlatformError as exc:
                return Reading(
                    "unknown",
                    f"Instagram's media list of @{request.username} could not be read: "
                    f"{exc.message}",
                    final=exc.kind == "user",
                )
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
                if not isinstance(item, dict) or not item.get("id"):
                    continue
                try:
                    created = datetime.strptime(str(item.get("timestamp")), "%Y-%m-%dT%H:%M:%S%z")
                except ValueError:
                    created = datetime.now(UTC)  # unreadable: treat as recent, so it counts
                if created < since:
                    complete = True
                    continue
                seen.append(
                    Seen(
                        post_id=str(item["id"]),
                        url=str(item.get("permalink") or "") or None,
                        created_at=created,
                        matches=same_text(item.get("caption"), request.caption),
                        summary=f"{item['id']} at {created.isoformat()}: "
                        f"{str(item.get('caption') or '')[:60]!r}",
                    )
                )
            paging = body.get("paging")
            paging = paging if isinstance(paging, dict) else {}
            cursors = paging.get("cursors")
            cursors = cursors if isinstance(cursors, dict) else {}
            after = str(cursors.get("after") or "") or None
            if complete or not paging.get("next") or not after:
                complete = True
                break
        return Reading(
            "listed",
            f"Instagram's media list of @{request.username} since {since.isoformat()}: "
            f"{len(seen)} post(s)",
            listed=tuple(seen),
            complete=complete,
        )


__all__ = ["Instagram", "caption_problems"]
