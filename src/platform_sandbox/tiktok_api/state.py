"""``TikTokSandbox``: every rule and every piece of state of the sandbox, behind one lock.
The HTTP layer (``app.py``) only parses requests and shapes responses."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import secrets
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from pydantic import ValidationError

from platform_sandbox.common import SandboxError, iso, validation_message
from platform_sandbox.tiktok_api import media
from platform_sandbox.tiktok_api.config import (
    KNOWN_SCOPES,
    PRIVACY_LEVELS,
    SandboxApp,
    SandboxOptions,
    SandboxUser,
)
from platform_sandbox.tiktok_api.records import (
    ApiFailure,
    AuthCode,
    FailureRule,
    Grant,
    OAuthFailure,
    Publish,
    PublishedPost,
    Token,
    Upload,
)
from platform_sandbox.tiktok_api.webhooks import WebhookDispatcher, build_event, sign
from slideforge.kit.clock import Clock, ManualClock, SystemClock

M = TypeVar("M", SandboxApp, SandboxOptions, SandboxUser)

DAY = 86_400.0
# The Display API's video object.
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
PUBLISH_ID_BASE = 7_412_000_000_000_000_000
POST_ID_BASE = 7_468_000_000_000_000_000
VIDEO_CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")

PHOTO_POST_INFO_KEYS = (
    "title",
    "description",
    "privacy_level",
    "disable_comment",
    "auto_add_music",
    "brand_content_toggle",
    "brand_organic_toggle",
)
VIDEO_POST_INFO_KEYS = (
    "privacy_level",
    "title",
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "video_cover_timestamp_ms",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
)
USER_FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

DEFAULT_USER = SandboxUser(
    open_id="-000sandboxcreator0001",
    username="sandbox.creator",
    display_name="Sandbox Creator",
)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TikTokSandbox:
    """In-memory TikTok Content Posting API: OAuth, creator info, photo/video/inbox inits,
    chunked uploads, media pulls, the per-publish state machine, webhooks, caps, rate limits
    and failure injection. Thread-safe: every public method takes the one lock; media pulls
    and webhook deliveries run on background threads outside it."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        app: SandboxApp | None = None,
        users: Iterable[SandboxUser] | None = None,
        options: SandboxOptions | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()
        initial_users = list(users) if users is not None else [DEFAULT_USER]
        initial_app = app or SandboxApp(
            default_user=initial_users[0].open_id if initial_users else None
        )
        self._initial = (
            initial_app.model_copy(deep=True),
            [user.model_copy(deep=True) for user in initial_users],
            (options or SandboxOptions()).model_copy(deep=True),
        )
        self._webhooks = WebhookDispatcher()
        self._executor: ThreadPoolExecutor | None = None
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self._load_config(*self._initial)
        self._clear_state()

    # ------------------------------------------------------------------ setup & lifecycle

    def _load_config(
        self, app: SandboxApp, users: list[SandboxUser], options: SandboxOptions
    ) -> None:
        self._app = app.model_copy(deep=True)
        self._users: dict[str, SandboxUser] = {u.open_id: u.model_copy(deep=True) for u in users}
        self._options = options.model_copy(deep=True)

    def _clear_state(self) -> None:
        self._seq = 0
        self._log_seq = 0
        self._codes: dict[str, AuthCode] = {}
        self._tokens: dict[str, Token] = {}
        self._grants: list[Grant] = []
        self._publishes: dict[str, Publish] = {}
        self._uploads: dict[str, Upload] = {}
        self._posts: list[PublishedPost] = []
        self._rules: list[FailureRule] = []
        self._rate: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._external_posts: dict[str, list[float]] = defaultdict(list)
        self._requests: deque[dict[str, Any]] = deque(maxlen=20_000)
        self._webhooks.clear()

    def start(self) -> None:
        """Start the ticker that advances time-based states and fires webhooks (the app's
        lifespan calls this; idempotent)."""
        with self._lock:
            if self._ticker is not None and self._ticker.is_alive():
                return
            self._ticker_stop.clear()
            self._ticker = threading.Thread(
                target=self._tick_loop, name="tiktok-sandbox-ticker", daemon=True
            )
            self._ticker.start()

    def close(self) -> None:
        """Stop the ticker, the webhook thread and the media pull workers."""
        self._ticker_stop.set()
        ticker = self._ticker
        if ticker is not None:
            ticker.join(5)
        self._ticker = None
        self._webhooks.stop()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _tick_loop(self) -> None:
        while not self._ticker_stop.wait(self._options.tick_interval_seconds):
            self.tick()

    def reset(self, *, keep_config: bool = True) -> None:
        """Forget every token, publish, post, rule and counter. With ``keep_config=False`` the
        app, users and options also return to what the constructor was given."""
        with self._lock:
            if not keep_config:
                self._load_config(*self._initial)
            self._clear_state()

    # ------------------------------------------------------------------ small helpers

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_log_id(self) -> str:
        with self._lock:
            self._log_seq += 1
            stamp = self.clock.now().strftime("%Y%m%d%H%M%S")
            return f"{stamp}{self._log_seq:020X}"

    def _invalid(self, message: str) -> ApiFailure:
        return ApiFailure(400, self._options.invalid_param_code, message)

    def _user(self, open_id: str) -> SandboxUser:
        user = self._users.get(open_id)
        if user is None:
            raise SandboxError(f"no sandbox user {open_id!r}", status=404, code="not_found")
        return user

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._options.fetch_workers, thread_name_prefix="tiktok-sandbox-pull"
            )
        return self._executor

    # ------------------------------------------------------------------ configuration API

    @property
    def app(self) -> SandboxApp:
        with self._lock:
            return self._app.model_copy(deep=True)

    @property
    def options(self) -> SandboxOptions:
        with self._lock:
            return self._options.model_copy(deep=True)

    def update_app(self, **changes: Any) -> SandboxApp:
        with self._lock:
            self._app = _validated(SandboxApp, self._app, changes)
            return self._app.model_copy(deep=True)

    def update_options(self, **changes: Any) -> SandboxOptions:
        with self._lock:
            self._options = _validated(SandboxOptions, self._options, changes)
            return self._options.model_copy(deep=True)

    def users(self) -> list[SandboxUser]:
        with self._lock:
            return [user.model_copy(deep=True) for user in self._users.values()]

    def get_user(self, open_id: str) -> SandboxUser:
        with self._lock:
            return self._user(open_id).model_copy(deep=True)

    def add_user(self, user: SandboxUser | None = None, **fields: Any) -> SandboxUser:
        """Create (or replace) a sandbox user, from a model or from fields."""
        if user is None:
            try:
                user = SandboxUser(**fields)
            except ValidationError as exc:
                raise SandboxError(validation_message(exc)) from exc
        with self._lock:
            self._users[user.open_id] = user.model_copy(deep=True)
            return user.model_copy(deep=True)

    def update_user(self, open_id: str, **changes: Any) -> SandboxUser:
        with self._lock:
            if "open_id" in changes and changes["open_id"] != open_id:
                raise SandboxError("open_id cannot change")
            user = _validated(SandboxUser, self._user(open_id), changes)
            self._users[open_id] = user
            return user.model_copy(deep=True)

    def record_external_posts(self, open_id: str, count: int = 1) -> None:
        """Direct posts the creator made through other apps now (the 24 h cap is shared)."""
        with self._lock:
            self._user(open_id)
            self._external_posts[open_id].extend([self._now()] * count)

    # ------------------------------------------------------------------ clock API

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def manual_clock(self) -> bool:
        return isinstance(self.clock, ManualClock)

    def advance_clock(self, seconds: float) -> datetime:
        if not isinstance(self.clock, ManualClock):
            raise SandboxError("the sandbox runs on the system clock", status=409, code="conflict")
        when = self.clock.advance(seconds)
        self.tick()
        return when

    def set_clock(self, when: datetime) -> datetime:
        if not isinstance(self.clock, ManualClock):
            raise SandboxError("the sandbox runs on the system clock", status=409, code="conflict")
        self.clock.set(when.astimezone(UTC))
        self.tick()
        return self.clock.now()

    def tick(self) -> datetime:
        """Advance every publish to what the clock says (fires due webhooks); returns now."""
        self._await_due_pulls()
        with self._lock:
            return self._advance_all()

    def _advance_all(self) -> datetime:
        when = self.clock.now()
        now = when.timestamp()
        for pub in list(self._publishes.values()):
            if not pub.terminal:
                self._advance(pub, now)
        return when

    def _await_due_pulls(self, only: Publish | None = None) -> None:
        """Wait (real time, at most ``status_wait_seconds``, never holding the lock) for
        media pulls whose download time is up on the sandbox clock but that still run."""
        with self._lock:
            now = self._now()
            due = now - self._options.download_seconds
            candidates = [only] if only is not None else list(self._publishes.values())
            futures = [
                pub.pull_future
                for pub in candidates
                if pub.phase == "download"
                and pub.pull is None
                and pub.pull_future is not None
                and pub.created_at <= due
            ]
            timeout = self._options.status_wait_seconds
        if futures and timeout > 0:
            wait(futures, timeout=timeout)

    # ------------------------------------------------------------------ failure injection API

    def add_failure(self, rule: FailureRule | None = None, **fields: Any) -> FailureRule:
        if rule is None:
            try:
                rule = FailureRule(**fields)
            except ValidationError as exc:
                raise SandboxError(validation_message(exc)) from exc
        with self._lock:
            stored = rule.model_copy(update={"id": self._next_seq(), "fired": 0})
            self._rules.append(stored)
            return stored.model_copy()

    def failures(self) -> list[FailureRule]:
        with self._lock:
            return [rule.model_copy() for rule in self._rules]

    def clear_failures(self) -> None:
        with self._lock:
            self._rules.clear()

    def _take_rule(
        self,
        kind: str,
        endpoint: str,
        open_id: str | None,
        *,
        after_commit: bool = False,
        chunk_index: int | None = None,
    ) -> FailureRule | None:
        for rule in self._rules:
            if rule.kind != kind or not rule.matches_endpoint(endpoint):
                continue
            if rule.open_id is not None and rule.open_id != open_id:
                continue
            if kind == "http_error":
                if rule.after_commit != after_commit:
                    continue
                if rule.chunk_index is not None and rule.chunk_index != chunk_index:
                    continue
            rule.fired += 1
            if rule.count is not None and rule.fired >= rule.count:
                self._rules.remove(rule)
            return rule.model_copy()
        return None

    def _raise_injected(self, rule: FailureRule | None) -> None:
        if rule is not None:
            raise ApiFailure(
                rule.http_status,
                rule.default_error_code(),
                rule.message or f"Injected by the sandbox: {rule.default_error_code()}",
            )

    # ------------------------------------------------------------------ request log

    def record_request(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry.setdefault("at", iso(self._now()))
            self._requests.append(entry)

    def requests_log(
        self, *, endpoint: str | None = None, open_id: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(entry)
                for entry in self._requests
                if (endpoint is None or entry.get("endpoint") == endpoint)
                and (open_id is None or entry.get("open_id") == open_id)
            ]

    # ------------------------------------------------------------------ OAuth

    def authorize(self, params: Mapping[str, str]) -> str:
        """The authorize page, approved (or denied) at once by a sandbox user. Returns the
        redirect URL. Raises OAuthFailure when there is no valid redirect_uri to send the
        error to (TikTok shows an error page then)."""
        with self._lock:
            app = self._app
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
            self._codes[code] = AuthCode(
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
        if form["client_key"] != self._app.client_key or not hmac.compare_digest(
            form["client_secret"], self._app.client_secret
        ):
            raise OAuthFailure("invalid_client", "Client key or secret is incorrect.")

    def _pkce_matches(self, challenge: str, verifier: str) -> bool:
        digest = hashlib.sha256(verifier.encode()).digest()
        if self._options.pkce_encoding == "hex":
            return hmac.compare_digest(digest.hex(), challenge.lower())
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(expected, challenge)

    def _issue(self, grant: Grant) -> dict[str, Any]:
        now = self._now()
        n = self._next_seq()
        access = Token(
            value=f"act.{secrets.token_hex(27)}!{n}.va",
            kind="access",
            grant=grant,
            expires_at=now + self._options.access_token_ttl_seconds,
        )
        refresh = Token(
            value=f"rft.{secrets.token_hex(27)}!{n}.va",
            kind="refresh",
            grant=grant,
            expires_at=now + self._options.refresh_token_ttl_seconds,
        )
        self._tokens[access.value] = access
        self._tokens[refresh.value] = refresh
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
        code = self._codes.get(code_value)
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
        grant = Grant(
            grant_id=self._next_seq(),
            client_key=code.client_key,
            open_id=code.open_id,
            scopes=code.scopes,
            created_at=now,
        )
        self._grants.append(grant)
        return self._issue(grant)

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
        access = Token(
            value=f"act.{secrets.token_hex(27)}!{n}.va",
            kind="access",
            grant=token.grant,
            expires_at=now + self._options.access_token_ttl_seconds,
        )
        self._tokens[access.value] = access
        refresh = token
        if self._options.rotate_refresh_tokens:
            # The new refresh token keeps the original expiry (365 d from authorization).
            refresh = Token(
                value=f"rft.{secrets.token_hex(27)}!{n}.va",
                kind="refresh",
                grant=token.grant,
                expires_at=token.expires_at,
            )
            self._tokens[refresh.value] = refresh
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
            if grant.open_id == open_id and grant.client_key == self._app.client_key:
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
            granted = tuple(scopes) if scopes is not None else tuple(self._app.scopes)
            unknown = [s for s in granted if s not in KNOWN_SCOPES]
            if unknown:
                raise SandboxError(f"unknown scopes {unknown}")
            grant = Grant(
                grant_id=self._next_seq(),
                client_key=self._app.client_key,
                open_id=open_id,
                scopes=granted,
                created_at=self._now(),
            )
            self._grants.append(grant)
            return self._issue(grant)

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

    # ------------------------------------------------------------------ user info

    def user_info(self, authorization: str | None, fields: str | None) -> dict[str, Any]:
        with self._lock:
            token = self._enter(authorization, "user_info")
            self._require_scope(token, "user.info.basic")
            requested = [f.strip() for f in (fields or "").split(",") if f.strip()]
            if not requested:
                raise ApiFailure(400, "invalid_params", "fields is required")
            unknown = [f for f in requested if f not in USER_FIELD_SCOPES]
            if unknown:
                raise ApiFailure(400, "invalid_params", f"Unknown fields: {','.join(unknown)}")
            missing = sorted({USER_FIELD_SCOPES[f] for f in requested} - set(token.grant.scopes))
            if missing:
                raise ApiFailure(
                    400,
                    "scope_permission_missed",
                    f"Some fields need additional scopes: {','.join(missing)}",
                )
            user = self._user(token.grant.open_id)
            values: dict[str, Any] = {
                "open_id": user.open_id,
                "union_id": user.union_id or f"union-{user.open_id}",
                "avatar_url": user.avatar_url,
                "avatar_url_100": user.avatar_url,
                "avatar_large_url": user.avatar_url,
                "display_name": user.display_name or user.username,
                "bio_description": user.bio_description,
                "profile_deep_link": user.profile_deep_link
                or f"https://vm.tiktok.com/sandbox/@{user.username}",
                "is_verified": user.is_verified,
                "username": user.username,
                "follower_count": user.follower_count,
                "following_count": user.following_count,
                "likes_count": user.likes_count,
                "video_count": user.video_count,
            }
            return {"user": {field: values[field] for field in requested}}

    # ------------------------------------------------------------------ Display API

    def video_list(
        self, authorization: str | None, fields: str | None, body: Any
    ) -> dict[str, Any]:
        """``POST /v2/video/list/?fields=…`` (scope ``video.list``): the user's public posts,
        newest first, ``max_count`` (1–20, default 10) a page; ``cursor`` is a UTC time in
        ms, and a page holds posts created before it; the answer's ``cursor`` continues.
        A post shows ``video_list_delay_seconds`` after it was published."""
        self._await_due_pulls()
        with self._lock:
            token = self._enter(authorization, "video_list")
            self._require_scope(token, "video.list")
            requested = [f.strip() for f in (fields or "").split(",") if f.strip()]
            if not requested:
                raise self._invalid("fields is required.")
            unknown = [f for f in requested if f not in VIDEO_FIELDS]
            if unknown:
                raise self._invalid(f"Unknown fields: {','.join(unknown)}.")
            body = {} if body is None else self._object(body, "body")
            self._only_keys(body, ("cursor", "max_count"), "body")
            count = self._int(body, "max_count", "body", required=False)
            if count is None:
                count = 10
            if not 1 <= count <= 20:
                raise self._invalid("max_count must be between 1 and 20.")
            cursor = self._int(body, "cursor", "body", required=False)
            self._advance_all()
            now = self._now()
            user = self._user(token.grant.open_id)
            listed = sorted(
                (
                    post
                    for post in self._posts
                    if post.open_id == user.open_id
                    and post.privacy_level == "PUBLIC_TO_EVERYONE"
                    and post.published_at + self._options.video_list_delay_seconds <= now
                    and (cursor is None or int(post.published_at * 1000) < cursor)
                ),
                key=lambda post: post.published_at,
                reverse=True,
            )
            page = listed[:count]
            videos = [
                {field: self._video_object(post, user)[field] for field in requested}
                for post in page
            ]
            next_cursor = int(page[-1].published_at * 1000) if page else (cursor or 0)
            return {"videos": videos, "cursor": next_cursor, "has_more": len(listed) > count}

    def _video_object(self, post: PublishedPost, user: SandboxUser) -> dict[str, Any]:
        kind = "photo" if post.media_type == "PHOTO" else "video"
        return {
            "id": str(post.post_id),
            "create_time": int(post.published_at),
            "cover_image_url": f"https://p16-sign.tiktokcdn.com/sandbox/{post.post_id}.jpeg",
            "share_url": f"https://www.tiktok.com/@{user.username}/{kind}/{post.post_id}"
            f"?utm_campaign=tt4d_open_api&utm_source={post.client_key}",
            "video_description": post.description,
            "duration": 0 if post.media_type == "PHOTO" else 15,
            "height": 1920,
            "width": 1080,
            "title": post.title,
            "embed_html": f'<blockquote class="tiktok-embed" data-video-id="{post.post_id}">'
            "</blockquote>",
            "embed_link": f"https://www.tiktok.com/player/v1/{post.post_id}",
            "like_count": 0,
            "comment_count": 0,
            "share_count": 0,
            "view_count": 0,
        }

    # ------------------------------------------------------------------ caps

    def _direct_posts_24h(self, open_id: str, now: float) -> int:
        count = sum(1 for t in self._external_posts.get(open_id, []) if t > now - DAY)
        for pub in self._publishes.values():
            if (
                pub.open_id == open_id
                and pub.post_mode == "DIRECT_POST"
                and pub.created_at > now - DAY
            ):
                self._advance(pub, now)
                if pub.phase != "failed":
                    count += 1
        return count

    def _pending_shares(self, open_id: str, now: float) -> int:
        count = 0
        for pub in self._publishes.values():
            if pub.open_id == open_id and pub.inbox_flow and pub.created_at > now - DAY:
                self._advance(pub, now)
                if pub.phase != "failed" and pub.draft_state not in ("published", "discarded"):
                    count += 1
        return count

    def _active_user_cap(self) -> int | None:
        if self._app.active_user_cap is not None:
            return self._app.active_user_cap
        return None if self._app.audited else self._options.unaudited_active_user_cap

    def _over_active_user_cap(self, open_id: str, now: float) -> bool:
        cap = self._active_user_cap()
        if cap is None:
            return False
        active = {
            pub.open_id
            for pub in self._publishes.values()
            if pub.client_key == self._app.client_key and pub.created_at > now - DAY
        }
        return open_id not in active and len(active) >= cap

    def _daily_cap(self, user: SandboxUser) -> int:
        if user.daily_post_cap is not None:
            return user.daily_post_cap
        return self._options.daily_post_cap

    # ------------------------------------------------------------------ creator info

    def creator_info(self, authorization: str | None) -> tuple[dict[str, Any], str, str]:
        """Returns (data, error code, message): the 200-with-error cases come back as a
        non-``ok`` code with empty data."""
        with self._lock:
            token = self._enter(authorization, "creator_info")
            self._require_scope(token, "video.publish")
            user = self._user(token.grant.open_id)
            now = self._now()
            if user.banned:
                return {}, "spam_risk_user_banned_from_posting", "The user is banned from posting."
            if self._over_active_user_cap(user.open_id, now):
                return (
                    {},
                    "reached_active_user_cap",
                    "The daily quota of active creators of this client is reached.",
                )
            if self._direct_posts_24h(user.open_id, now) >= self._daily_cap(user):
                return (
                    {},
                    "spam_risk_too_many_posts",
                    "The daily post cap of this creator is reached.",
                )
            data = {
                "creator_avatar_url": user.avatar_url,
                "creator_username": user.username,
                "creator_nickname": user.display_name or user.username,
                "privacy_level_options": user.privacy_level_options(),
                "comment_disabled": user.comment_disabled,
                "duet_disabled": user.duet_disabled or user.private_account,
                "stitch_disabled": user.stitch_disabled or user.private_account,
                "max_video_post_duration_sec": user.max_video_post_duration_sec,
            }
            return data, "ok", ""

    # ------------------------------------------------------------------ init: validation

    def _object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self._invalid(f"The request {where} is empty or incorrect.")
        return value

    def _only_keys(self, obj: dict[str, Any], allowed: Iterable[str], where: str) -> None:
        unknown = sorted(set(obj) - set(allowed))
        if unknown:
            raise self._invalid(f"Unknown field(s) in {where}: {', '.join(unknown)}.")

    def _opt_str(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise self._invalid(f"{where}.{key} must be a string.")
        return value

    def _opt_bool(self, obj: dict[str, Any], key: str, where: str) -> bool | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._invalid(f"{where}.{key} must be a boolean.")
        return value

    def _int(self, obj: dict[str, Any], key: str, where: str, *, required: bool) -> int | None:
        value = obj.get(key)
        if value is None:
            if required:
                raise self._invalid(f"{where}.{key} is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._invalid(f"{where}.{key} must be an integer.")
        return value

    def _privacy(self, post_info: dict[str, Any], *, required: bool) -> str | None:
        privacy = self._opt_str(post_info, "privacy_level", "post_info")
        if privacy is None:
            if required:
                raise self._invalid("post_info.privacy_level is required.")
            return None
        if privacy not in PRIVACY_LEVELS:
            raise self._invalid(f"post_info.privacy_level {privacy!r} is not a privacy level.")
        return privacy

    def _check_url(self, url: Any, where: str) -> str:
        if not isinstance(url, str) or not url:
            raise self._invalid(f"{where} must be a URL string.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self._invalid(f"{where} {url!r} is not an http(s) URL.")
        return url

    def _check_chunks(self, info: dict[str, Any]) -> tuple[int, int, int]:
        opts = self._options
        size = self._int(info, "video_size", "source_info", required=True) or 0
        chunk = self._int(info, "chunk_size", "source_info", required=True) or 0
        count = self._int(info, "total_chunk_count", "source_info", required=True) or 0
        if size <= 0 or size > opts.max_video_bytes:
            raise self._invalid("The video size is invalid.")
        if chunk <= 0 or chunk > size:
            raise self._invalid("The chunk size is invalid.")
        if size < opts.chunk_min_bytes:
            if chunk != size or count != 1:
                raise self._invalid(
                    "The chunk size is invalid: a video under the minimum chunk size must be "
                    "sent whole (chunk_size = video_size, total_chunk_count = 1)."
                )
            return size, chunk, count
        if not opts.chunk_min_bytes <= chunk <= opts.chunk_max_bytes:
            raise self._invalid("The chunk size is invalid.")
        if count != size // chunk:
            raise self._invalid("The total chunk count is invalid.")
        if not 1 <= count <= opts.max_chunks:
            raise self._invalid("The total chunk count is invalid.")
        if size - chunk * (count - 1) > opts.last_chunk_max_bytes:
            raise self._invalid("The chunk size is invalid: the last chunk is too large.")
        if opts.reject_multi_chunk and count > 1:
            raise self._invalid("The chunk size is invalid.")
        return size, chunk, count

    def _video_source(
        self, body: dict[str, Any]
    ) -> tuple[str, dict[str, Any], str | None, tuple[int, int, int] | None]:
        info = self._object(body.get("source_info"), "source info")
        source = info.get("source")
        if source == "FILE_UPLOAD":
            self._only_keys(
                info, ("source", "video_size", "chunk_size", "total_chunk_count"), "source_info"
            )
            return source, info, None, self._check_chunks(info)
        if source == "PULL_FROM_URL":
            self._only_keys(info, ("source", "video_url"), "source_info")
            if info.get("video_url") is None:
                raise self._invalid("source_info.video_url is required for PULL_FROM_URL.")
            return source, info, self._check_url(info["video_url"], "source_info.video_url"), None
        raise self._invalid("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")

    # ------------------------------------------------------------------ init: account rules

    def _account_rules(
        self,
        user: SandboxUser,
        *,
        post_mode: str,
        privacy: str | None,
        urls: list[str],
        now: float,
    ) -> None:
        if user.banned:
            raise ApiFailure(
                403, "spam_risk_user_banned_from_posting", "The user is banned from posting."
            )
        if self._over_active_user_cap(user.open_id, now):
            raise ApiFailure(
                403,
                "reached_active_user_cap",
                "The daily quota of active creators of this client is reached.",
            )
        if post_mode == "DIRECT_POST":
            if not self._app.audited and (
                privacy != "SELF_ONLY"
                or (self._options.unaudited_requires_private_account and not user.private_account)
            ):
                raise ApiFailure(
                    403,
                    "unaudited_client_can_only_post_to_private_accounts",
                    "Unaudited clients can only post to private accounts (SELF_ONLY).",
                )
            if privacy not in user.privacy_level_options():
                raise ApiFailure(
                    403,
                    "privacy_level_option_mismatch",
                    f"privacy_level {privacy} is not among the creator's privacy_level_options.",
                )
        for url in urls:
            if not media.url_is_verified(url, self._app):
                raise ApiFailure(
                    403,
                    "url_ownership_unverified",
                    "Please review our URL ownership verification rules at "
                    "https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide"
                    "#pull_from_url",
                )
        if post_mode == "DIRECT_POST":
            if self._direct_posts_24h(user.open_id, now) >= self._daily_cap(user):
                raise ApiFailure(
                    403,
                    "spam_risk_too_many_posts",
                    "The daily post cap of this creator is reached.",
                )
        else:
            cap = (
                user.pending_share_cap
                if user.pending_share_cap is not None
                else self._options.pending_share_cap
            )
            if self._pending_shares(user.open_id, now) >= cap:
                raise ApiFailure(
                    403,
                    "spam_risk_too_many_pending_share",
                    "The creator has too many pending shares in the last 24 hours.",
                )

    # ------------------------------------------------------------------ init endpoints

    def content_init(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """``POST /v2/post/publish/content/init/`` (PHOTO)."""
        with self._lock:
            token = self._enter(authorization, "content_init")
            body = self._object(body, "body")
            post_mode = body.get("post_mode")
            if post_mode not in ("DIRECT_POST", "MEDIA_UPLOAD"):
                raise self._invalid("post_mode must be DIRECT_POST or MEDIA_UPLOAD.")
            self._require_scope(
                token, "video.publish" if post_mode == "DIRECT_POST" else "video.upload"
            )
            self._only_keys(body, ("media_type", "post_mode", "post_info", "source_info"), "body")
            if body.get("media_type") != "PHOTO":
                raise self._invalid("media_type must be PHOTO.")
            post_info = self._object(body.get("post_info"), "post info")
            self._only_keys(post_info, PHOTO_POST_INFO_KEYS, "post_info")
            title = self._opt_str(post_info, "title", "post_info") or ""
            description = self._opt_str(post_info, "description", "post_info") or ""
            if utf16_len(title) > 90:
                raise self._invalid("post_info.title is longer than 90 UTF-16 code units.")
            if utf16_len(description) > 4000:
                raise self._invalid("post_info.description is longer than 4000 UTF-16 code units.")
            for key in (
                "disable_comment",
                "auto_add_music",
                "brand_content_toggle",
                "brand_organic_toggle",
            ):
                self._opt_bool(post_info, key, "post_info")
            privacy = self._privacy(post_info, required=post_mode == "DIRECT_POST")
            self._check_branded(post_info, privacy)
            source_info = self._object(body.get("source_info"), "source info")
            self._only_keys(
                source_info, ("source", "photo_images", "photo_cover_index"), "source_info"
            )
            if source_info.get("source") != "PULL_FROM_URL":
                raise self._invalid("source_info.source must be PULL_FROM_URL for photos.")
            images = source_info.get("photo_images")
            if not isinstance(images, list) or not 1 <= len(images) <= 35:
                raise self._invalid("source_info.photo_images must hold 1 to 35 URLs.")
            urls = [
                self._check_url(url, f"source_info.photo_images[{i}]")
                for i, url in enumerate(images)
            ]
            cover = self._int(source_info, "photo_cover_index", "source_info", required=True)
            if cover is None or not 0 <= cover < len(urls):
                raise self._invalid("source_info.photo_cover_index is out of range.")
            user = self._user(token.grant.open_id)
            if post_mode == "MEDIA_UPLOAD" and not user.app_version_ok:
                raise ApiFailure(
                    400,
                    "app_version_check_failed",
                    "The user's TikTok app is too old to receive photo uploads (needs 31.8).",
                )
            now = self._now()
            self._account_rules(user, post_mode=post_mode, privacy=privacy, urls=urls, now=now)
            prefix = "p_pub_url" if post_mode == "DIRECT_POST" else "p_inbox_url"
            pub = self._create_publish(
                token,
                endpoint="content_init",
                prefix=prefix,
                post_mode=post_mode,
                media_type="PHOTO",
                source="PULL_FROM_URL",
                body=body,
                post_info=post_info,
                source_info=source_info,
                photo_urls=urls,
                photo_cover_index=cover,
                video_url=None,
                privacy=privacy,
                now=now,
            )
            self._after_commit(pub, "content_init")
            return {"publish_id": pub.publish_id}

    def _check_branded(self, post_info: dict[str, Any], privacy: str | None) -> None:
        if (
            self._options.reject_branded_self_only
            and post_info.get("brand_content_toggle") is True
            and privacy == "SELF_ONLY"
        ):
            raise self._invalid("Branded content cannot be posted with privacy SELF_ONLY.")

    def video_init(self, authorization: str | None, body: Any, base_url: str) -> dict[str, Any]:
        """``POST /v2/post/publish/video/init/`` (Direct Post)."""
        with self._lock:
            token = self._enter(authorization, "video_init")
            self._require_scope(token, "video.publish")
            body = self._object(body, "body")
            self._only_keys(body, ("post_info", "source_info"), "body")
            post_info = self._object(body.get("post_info"), "post info")
            self._only_keys(post_info, VIDEO_POST_INFO_KEYS, "post_info")
            title = self._opt_str(post_info, "title", "post_info") or ""
            if utf16_len(title) > 2200:
                raise self._invalid("post_info.title is longer than 2200 UTF-16 code units.")
            for key in (
                "disable_duet",
                "disable_stitch",
                "disable_comment",
                "brand_content_toggle",
                "brand_organic_toggle",
                "is_aigc",
            ):
                self._opt_bool(post_info, key, "post_info")
            cover_ms = self._int(post_info, "video_cover_timestamp_ms", "post_info", required=False)
            if cover_ms is not None and cover_ms < 0:
                raise self._invalid("post_info.video_cover_timestamp_ms must not be negative.")
            privacy = self._privacy(post_info, required=True)
            self._check_branded(post_info, privacy)
            source, source_info, video_url, chunks = self._video_source(body)
            user = self._user(token.grant.open_id)
            now = self._now()
            self._account_rules(
                user,
                post_mode="DIRECT_POST",
                privacy=privacy,
                urls=[video_url] if video_url else [],
                now=now,
            )
            prefix = "v_pub_file~v2-1" if source == "FILE_UPLOAD" else "v_pub_url~v2"
            pub = self._create_publish(
                token,
                endpoint="video_init",
                prefix=prefix,
                post_mode="DIRECT_POST",
                media_type="VIDEO",
                source=source,
                body=body,
                post_info=post_info,
                source_info=source_info,
                photo_urls=[],
                photo_cover_index=None,
                video_url=video_url,
                privacy=privacy,
                now=now,
            )
            data = self._video_init_data(pub, chunks, base_url, now)
            self._after_commit(pub, "video_init")
            return data

    def inbox_video_init(
        self, authorization: str | None, body: Any, base_url: str
    ) -> dict[str, Any]:
        """``POST /v2/post/publish/inbox/video/init/`` (upload to the creator's inbox)."""
        with self._lock:
            token = self._enter(authorization, "inbox_video_init")
            self._require_scope(token, "video.upload")
            body = self._object(body, "body")
            self._only_keys(body, ("source_info",), "body")
            source, source_info, video_url, chunks = self._video_source(body)
            user = self._user(token.grant.open_id)
            now = self._now()
            self._account_rules(
                user,
                post_mode="MEDIA_UPLOAD",
                privacy=None,
                urls=[video_url] if video_url else [],
                now=now,
            )
            prefix = "v_inbox_file~v2" if source == "FILE_UPLOAD" else "v_inbox_url~v2"
            pub = self._create_publish(
                token,
                endpoint="inbox_video_init",
                prefix=prefix,
                post_mode="MEDIA_UPLOAD",
                media_type="VIDEO",
                source=source,
                body=body,
                post_info={},
                source_info=source_info,
                photo_urls=[],
                photo_cover_index=None,
                video_url=video_url,
                privacy=None,
                now=now,
            )
            data = self._video_init_data(pub, chunks, base_url, now)
            self._after_commit(pub, "inbox_video_init")
            return data

    def _video_init_data(
        self, pub: Publish, chunks: tuple[int, int, int] | None, base_url: str, now: float
    ) -> dict[str, Any]:
        if chunks is None:
            return {"publish_id": pub.publish_id}
        size, chunk, count = chunks
        upload = Upload(
            upload_id=str(pub.seq + PUBLISH_ID_BASE),
            upload_token=secrets.token_urlsafe(18),
            publish_id=pub.publish_id,
            video_size=size,
            chunk_size=chunk,
            total_chunk_count=count,
            expires_at=now + self._options.upload_url_ttl_seconds,
        )
        pub.upload = upload
        self._uploads[upload.upload_id] = upload
        base = (self._options.upload_base_url or base_url).rstrip("/")
        query = urlencode({"upload_id": upload.upload_id, "upload_token": upload.upload_token})
        return {"publish_id": pub.publish_id, "upload_url": f"{base}/video/?{query}"}

    def _after_commit(self, pub: Publish, endpoint: str) -> None:
        rule = self._take_rule("http_error", endpoint, pub.open_id, after_commit=True)
        if rule is not None:
            pub.init_http_status = rule.http_status
            pub.init_error_code = rule.default_error_code()
            self._raise_injected(rule)

    def _create_publish(
        self,
        token: Token,
        *,
        endpoint: str,
        prefix: str,
        post_mode: str,
        media_type: str,
        source: str,
        body: dict[str, Any],
        post_info: dict[str, Any],
        source_info: dict[str, Any],
        photo_urls: list[str],
        photo_cover_index: int | None,
        video_url: str | None,
        privacy: str | None,
        now: float,
    ) -> Publish:
        seq = self._next_seq()
        if "~" not in prefix:
            prefix += "~v2"
        publish_id = f"{prefix}.{PUBLISH_ID_BASE + seq}"
        pull = source == "PULL_FROM_URL"
        pub = Publish(
            publish_id=publish_id,
            seq=seq,
            open_id=token.grant.open_id,
            client_key=token.grant.client_key,
            endpoint=endpoint,
            post_mode=post_mode,
            media_type=media_type,
            source=source,
            request_body=_deep_copy_json(body),
            post_info=_deep_copy_json(post_info),
            source_info=_deep_copy_json(source_info),
            photo_urls=list(photo_urls),
            photo_cover_index=photo_cover_index,
            video_url=video_url,
            privacy_level=privacy,
            created_at=now,
            status="PROCESSING_DOWNLOAD" if pull else "PROCESSING_UPLOAD",
            phase="download" if pull else "upload",
        )
        pub.history.append({"status": pub.status, "at": iso(now)})
        rule = self._take_rule("fail_publish", endpoint, pub.open_id)
        user = self._users.get(pub.open_id)
        pub.injected_fail_reason = (rule.fail_reason if rule else None) or (
            user.fail_reason if user else None
        )
        self._publishes[publish_id] = pub
        if pull:
            pub.pull_future = self._pool().submit(self._run_pull, pub)
        return pub

    # ------------------------------------------------------------------ media pull

    def _run_pull(self, pub: Publish) -> None:
        opts = self.options
        if pub.media_type == "PHOTO":
            outcome = media.pull_photos(
                pub.photo_urls,
                timeout=opts.pull_timeout_seconds,
                max_bytes=opts.photo_max_bytes,
                max_short_side=opts.photo_max_short_side,
            )
        else:
            outcome = media.pull_video(
                pub.video_url or "",
                timeout=opts.pull_timeout_seconds,
                max_bytes=opts.max_video_bytes,
                check_container=opts.check_video_container,
            )
        with self._lock:
            if self._publishes.get(pub.publish_id) is pub:
                pub.pull = outcome
                pub.pull_finished_at = self._now()

    def wait_for_pulls(self, timeout: float = 10.0) -> bool:
        """Block (real time) until every media pull started so far has finished; False on
        timeout. Tests use it to observe a download mid-way without racing the pull."""
        with self._lock:
            futures = [
                pub.pull_future
                for pub in self._publishes.values()
                if pub.pull_future is not None and pub.pull is None
            ]
        _done, pending = wait(futures, timeout=timeout)
        return not pending

    # ------------------------------------------------------------------ the state machine

    def _fail(self, pub: Publish, reason: str, at: float) -> None:
        pub.phase = "failed"
        pub.set_status("FAILED", at, reason)
        pub.completed_at = at
        self._emit(
            "post.publish.failed",
            pub.open_id,
            {
                "publish_id": pub.publish_id,
                "reason": reason,
                "publish_type": "INBOX_SHARE" if pub.inbox_flow else "DIRECT_PUBLISH",
            },
            at,
        )

    def _advance(self, pub: Publish, now: float) -> None:
        """Move ``pub`` forward to what ``now`` implies. Idempotent."""
        opts = self._options
        if pub.phase == "download":
            due = pub.created_at + opts.download_seconds
            if pub.pull is not None and pub.pull_finished_at is not None:
                # A ManualClock download takes exactly download_seconds of sandbox time (a pull
                # still running then is waited for by status); on a real clock it ends when
                # the pull really ended, if that is later.
                ready = due if self.manual_clock else max(due, pub.pull_finished_at)
                total = pub.pull.total_bytes
                if now < ready:
                    span = ready - pub.created_at
                    fraction = 1.0 if span <= 0 else (now - pub.created_at) / span
                    pub.downloaded_bytes = int(total * max(0.0, min(1.0, fraction)))
                    return
                pub.downloaded_bytes = total
                if pub.pull.fail_reason is not None:
                    self._fail(pub, pub.pull.fail_reason, ready)
                    return
                pub.phase = "processing"
                pub.media_ready_at = ready
            elif not self.manual_clock and now >= pub.created_at + opts.pull_deadline_seconds:
                reason = "photo_pull_failed" if pub.media_type == "PHOTO" else "video_pull_failed"
                self._fail(pub, reason, pub.created_at + opts.pull_deadline_seconds)
                return
            else:
                return
        if pub.phase == "upload":
            return  # the chunk PUTs move it on
        if pub.phase == "processing":
            assert pub.media_ready_at is not None
            done_at = pub.media_ready_at + opts.processing_seconds
            if now < done_at:
                return
            fail_reason = pub.media_fail_reason or pub.injected_fail_reason
            if fail_reason is not None:
                self._fail(pub, fail_reason, done_at)
                return
            pub.phase = "done"
            pub.completed_at = done_at
            if pub.inbox_flow:
                pub.draft_state = "in_inbox"
                pub.set_status("SEND_TO_USER_INBOX", done_at)
                self._emit(
                    "post.publish.inbox_delivered",
                    pub.open_id,
                    {"publish_id": pub.publish_id, "publish_type": "INBOX_SHARE"},
                    done_at,
                )
            else:
                self._complete(pub, pub.privacy_level or "SELF_ONLY", done_at)
        if (
            pub.phase == "done"
            and pub.moderation_due_at is not None
            and not pub.public_post_ids
            and now >= pub.moderation_due_at
            and pub.post_id is not None
        ):
            pub.public_post_ids = [pub.post_id]
            for post in self._posts:
                if post.publish_id == pub.publish_id:
                    post.publicly_available_at = pub.moderation_due_at
            self._emit(
                "post.publish.publicly_available",
                pub.open_id,
                {
                    "publish_id": pub.publish_id,
                    "publish_type": "INBOX_SHARE" if pub.inbox_flow else "DIRECT_PUBLISH",
                    "post_id": str(pub.post_id),
                },
                pub.moderation_due_at,
            )

    def _complete(
        self,
        pub: Publish,
        privacy: str,
        at: float,
        *,
        title: str | None = None,
        description: str | None = None,
    ) -> None:
        """The post is on the creator's profile (Direct Post done, or draft published; the
        creator may have edited the draft's texts in the app)."""
        pub.post_id = POST_ID_BASE + pub.seq
        pub.set_status("PUBLISH_COMPLETE", at)
        if privacy != "SELF_ONLY":
            pub.moderation_due_at = at + self._options.moderation_seconds
        if pub.media_type == "PHOTO":
            if title is None:
                title = str(pub.post_info.get("title") or "")
            if description is None:
                description = str(pub.post_info.get("description") or "")
            urls = list(pub.photo_urls)
            hashes = [item.sha256 for item in pub.pull.items] if pub.pull else []
        else:
            title = title or ""
            if description is None:
                description = str(pub.post_info.get("title") or "")
            urls = [pub.video_url] if pub.video_url else []
            if pub.upload is not None:
                hashes = [pub.upload.sha256]
            else:
                hashes = [item.sha256 for item in pub.pull.items] if pub.pull else []
        self._posts.append(
            PublishedPost(
                post_id=pub.post_id,
                publish_id=pub.publish_id,
                open_id=pub.open_id,
                client_key=pub.client_key,
                media_type=pub.media_type,
                post_mode=pub.post_mode,
                title=title,
                description=description,
                privacy_level=privacy,
                media_urls=urls,
                media_sha256=hashes,
                published_at=at,
            )
        )
        self._emit(
            "post.publish.complete",
            pub.open_id,
            {
                "publish_id": pub.publish_id,
                "publish_type": "INBOX_SHARE" if pub.inbox_flow else "DIRECT_PUBLISH",
            },
            at,
        )

    def _emit(self, event: str, open_id: str, content: dict[str, Any], at: float) -> None:
        url = self._app.webhook_url
        if not url:
            return
        create_time = int(at)
        body = build_event(
            client_key=self._app.client_key,
            event=event,
            create_time=create_time,
            open_id=open_id,
            content=content,
        )
        signature = sign(self._app.client_secret, int(self._now()), body)
        self._webhooks.enqueue(
            event=event,
            url=url,
            body=body,
            signature=signature,
            copies=self._options.webhook_duplicates,
            retry_delays=list(self._options.webhook_retry_delays),
            timeout=self._options.webhook_timeout_seconds,
        )

    # ------------------------------------------------------------------ status & cancel

    def _owned_publish(self, token: Token, body: Any) -> Publish:
        body = self._object(body, "body")
        self._only_keys(body, ("publish_id",), "body")
        publish_id = body.get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            raise self._invalid("publish_id is required.")
        pub = self._publishes.get(publish_id)
        if pub is None:
            raise ApiFailure(400, "invalid_publish_id", "The publish_id does not exist.")
        if pub.open_id != token.grant.open_id or pub.client_key != token.grant.client_key:
            raise ApiFailure(
                401,
                "token_not_authorized_for_specified_publish_id",
                "The access token is not authorized for this publish_id.",
            )
        return pub

    def status_fetch(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """``POST /v2/post/publish/status/fetch/``. When the clock says a media pull is due
        but the download is still running, waits for it (outside the lock) for at most
        ``status_wait_seconds``."""
        with self._lock:
            token = self._enter(authorization, "status_fetch")
            self._require_scope(token, "video.publish", "video.upload")
            pub = self._owned_publish(token, body)
        self._await_due_pulls(pub)
        with self._lock:
            self._advance(pub, self._now())
            return self._status_data(pub)

    def _status_data(self, pub: Publish) -> dict[str, Any]:
        data: dict[str, Any] = {"status": pub.status}
        if pub.fail_reason:
            data["fail_reason"] = pub.fail_reason
        data["publicaly_available_post_id"] = list(pub.public_post_ids)
        if pub.source == "FILE_UPLOAD":
            data["uploaded_bytes"] = pub.uploaded_bytes
        else:
            data["downloaded_bytes"] = pub.downloaded_bytes
        return data

    def cancel(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """``POST /v2/post/publish/cancel/``: best effort while media is still arriving."""
        with self._lock:
            token = self._enter(authorization, "cancel")
            self._require_scope(token, "video.publish", "video.upload")
            pub = self._owned_publish(token, body)
        self._await_due_pulls(pub)
        with self._lock:
            now = self._now()
            self._advance(pub, now)
            if pub.phase not in ("download", "upload"):
                raise ApiFailure(
                    400,
                    "publish_not_cancellable",
                    f"The publish is {pub.status} and can no longer be cancelled.",
                )
            self._fail(pub, "publish_cancelled", now)
            return {}

    # ------------------------------------------------------------------ chunk upload

    def upload_chunk(
        self,
        *,
        upload_id: str,
        upload_token: str,
        content_type: str | None,
        content_range: str | None,
        content_length: str | None,
        body: bytes,
    ) -> tuple[int, str | None, str, str]:
        """``PUT <upload_url>``. Returns (HTTP status, Content-Range header or None, error
        code, message); error code ``ok`` for 206/201."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None or not hmac.compare_digest(upload.upload_token, upload_token):
                return 404, None, "invalid_upload_url", "No such upload task."
            pub = self._publishes[upload.publish_id]
            now = self._now()
            if now >= upload.expires_at:
                return 403, None, "upload_url_expired", "The upload URL has expired."
            if pub.phase == "failed":
                return 403, None, "publish_failed", f"The publish is {pub.fail_reason}."
            parsed = _parse_content_range(content_range)
            index = None
            if parsed is not None and upload.chunk_size > 0:
                index = min(parsed[0] // upload.chunk_size, upload.total_chunk_count - 1)
            rule = self._take_rule("http_error", "upload_chunk", pub.open_id, chunk_index=index)
            if rule is not None:
                return (
                    rule.http_status,
                    upload.progress_header(),
                    rule.default_error_code(),
                    rule.message or "Injected by the sandbox.",
                )
            if parsed is None:
                return 400, None, "invalid_params", "Content-Range must be bytes FIRST-LAST/TOTAL."
            first, last, total = parsed
            media_type = (content_type or "").split(";")[0].strip().lower()
            if media_type not in VIDEO_CONTENT_TYPES:
                return (
                    400,
                    None,
                    "invalid_params",
                    "Content-Type must be video/mp4, video/quicktime or video/webm.",
                )
            if total != upload.video_size:
                return 400, None, "invalid_params", "Content-Range total differs from video_size."
            if content_length is None or not content_length.isdigit():
                return 400, None, "invalid_params", "Content-Length is required."
            if int(content_length) != len(body) or len(body) != last - first + 1:
                return (
                    400,
                    None,
                    "invalid_params",
                    "Content-Length does not match the body or Content-Range.",
                )
            if upload.received_bytes >= upload.video_size or first != upload.received_bytes:
                return (
                    416,
                    upload.progress_header(),
                    "invalid_params",
                    "The Content-Range does not continue the upload.",
                )
            assert index is not None
            expected_first, expected_last = upload.chunk_bounds(index)
            if first != expected_first or last != expected_last:
                return (
                    400,
                    upload.progress_header(),
                    "invalid_params",
                    f"Chunk {index} must cover bytes {expected_first}-{expected_last}.",
                )
            upload.hasher.update(body)
            if len(upload.head) < 64:
                upload.head = (upload.head + body)[:64]
            upload.received_bytes += len(body)
            upload.chunks_received += 1
            upload.content_type = media_type
            pub.uploaded_bytes = upload.received_bytes
            if upload.received_bytes < upload.video_size:
                return 206, upload.progress_header(), "ok", ""
            upload.sha256 = upload.hasher.hexdigest()
            pub.phase = "processing"
            pub.media_ready_at = now
            if self._options.check_video_container and media.sniff_video(upload.head) is None:
                pub.media_fail_reason = "file_format_check_failed"
            return 201, upload.progress_header(), "ok", ""

    def upload_owner(self, upload_id: str) -> tuple[str | None, str | None]:
        """(open_id, publish_id) of an upload task, for the request log."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                return None, None
            return self._publishes[upload.publish_id].open_id, upload.publish_id

    # ------------------------------------------------------------------ drafts (the user acts)

    def publish_draft(
        self,
        publish_id: str,
        *,
        privacy_level: str = "PUBLIC_TO_EVERYONE",
        title: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """The creator opens the inbox draft and posts it: PUBLISH_COMPLETE, the pending
        share is freed, and (for non-SELF_ONLY) the post becomes public after moderation."""
        self._await_due_pulls()
        with self._lock:
            pub = self._publish(publish_id)
            self._advance(pub, self._now())
            if not pub.inbox_flow:
                raise SandboxError(
                    "not an inbox (MEDIA_UPLOAD) publish", status=409, code="conflict"
                )
            if pub.draft_state != "in_inbox":
                raise SandboxError(
                    f"the draft is not in the inbox (status {pub.status}, draft {pub.draft_state})",
                    status=409,
                    code="conflict",
                )
            if privacy_level not in PRIVACY_LEVELS:
                raise SandboxError(f"unknown privacy_level {privacy_level!r}")
            pub.draft_state = "published"
            pub.privacy_level = privacy_level
            now = self._now()
            self._complete(pub, privacy_level, now, title=title, description=description)
            self._advance(pub, now)
            return pub.as_dict()

    def discard_draft(self, publish_id: str) -> dict[str, Any]:
        """The creator deletes the draft: it no longer counts as a pending share."""
        self._await_due_pulls()
        with self._lock:
            pub = self._publish(publish_id)
            self._advance(pub, self._now())
            if pub.draft_state != "in_inbox":
                raise SandboxError("the draft is not in the inbox", status=409, code="conflict")
            pub.draft_state = "discarded"
            return pub.as_dict()

    # ------------------------------------------------------------------ inspection

    def _publish(self, publish_id: str) -> Publish:
        pub = self._publishes.get(publish_id)
        if pub is None:
            raise SandboxError(f"no publish {publish_id!r}", status=404, code="not_found")
        return pub

    def get_publish(self, publish_id: str) -> dict[str, Any]:
        self._await_due_pulls()
        with self._lock:
            pub = self._publish(publish_id)
            self._advance(pub, self._now())
            return pub.as_dict()

    def publishes(
        self, *, open_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Every publish (oldest first) as recorded: post_info/source_info as received, media
        pulled, status and history."""
        self._await_due_pulls()
        with self._lock:
            now = self._now()
            out = []
            for pub in self._publishes.values():
                self._advance(pub, now)
                if open_id is not None and pub.open_id != open_id:
                    continue
                if status is not None and pub.status != status:
                    continue
                out.append(pub.as_dict())
            return out

    def posts(self, *, open_id: str | None = None) -> list[dict[str, Any]]:
        """Every post that reached a profile (Direct Post completes and published drafts)."""
        self._await_due_pulls()
        with self._lock:
            self._advance_all()
            return [
                post.as_dict() for post in self._posts if open_id is None or post.open_id == open_id
            ]

    def duplicate_posts(self) -> list[dict[str, Any]]:
        """Groups of posts with the same account, media type, title, description and media
        bytes (SHA-256), i.e. the same content posted more than once."""
        self._await_due_pulls()
        with self._lock:
            self._advance_all()
            groups: dict[tuple[Any, ...], list[PublishedPost]] = defaultdict(list)
            for post in self._posts:
                groups[post.duplicate_key()].append(post)
            return [
                {
                    "open_id": posts[0].open_id,
                    "title": posts[0].title,
                    "description": posts[0].description,
                    "count": len(posts),
                    "post_ids": [post.post_id for post in posts],
                    "publish_ids": [post.publish_id for post in posts],
                }
                for posts in groups.values()
                if len(posts) > 1
            ]

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self._webhooks.records()

    def summary(self) -> dict[str, Any]:
        self._await_due_pulls()
        with self._lock:
            self._advance_all()
            by_status: dict[str, int] = defaultdict(int)
            for pub in self._publishes.values():
                by_status[pub.status] += 1
            return {
                "now": iso(self._now()),
                "manual_clock": self.manual_clock,
                "app": self._app.model_dump(),
                "options": self._options.model_dump(),
                "users": [user.model_dump() for user in self._users.values()],
                "publishes": len(self._publishes),
                "publishes_by_status": dict(by_status),
                "posts": len(self._posts),
                "failure_rules": [rule.model_dump() for rule in self._rules],
                "requests": len(self._requests),
            }


def _parse_content_range(value: str | None) -> tuple[int, int, int] | None:
    if not value:
        return None
    text = value.strip()
    if not text.lower().startswith("bytes "):
        return None
    spec = text[6:].strip()
    try:
        span, total_text = spec.split("/", 1)
        first_text, last_text = span.split("-", 1)
        first, last, total = int(first_text), int(last_text), int(total_text)
    except ValueError:
        return None
    if first < 0 or last < first or total <= last:
        return None
    return first, last, total


def _deep_copy_json(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value)


def _validated(model: type[M], current: M, changes: Mapping[str, Any]) -> M:
    unknown = sorted(set(changes) - set(model.model_fields))
    if unknown:
        raise SandboxError(f"unknown fields: {', '.join(unknown)}")
    try:
        return model.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        raise SandboxError(validation_message(exc)) from exc
