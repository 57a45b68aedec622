"""``TikTokCore``: the state every area of the TikTok sandbox shares, on top of
``PlatformSandbox`` (clock, lock, options, the registered app, failure rules, request log
and ``reset``): the users, the records the API creates, the configuration API and the
TikTok way of matching failure rules."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from platform_sandbox.common import PlatformSandbox, SandboxError, build_model, iso, with_changes
from platform_sandbox.tiktok_api.config import DEFAULT_USER, SandboxApp, SandboxOptions, SandboxUser
from platform_sandbox.tiktok_api.fields import BodyReader
from platform_sandbox.tiktok_api.records import (
    ApiFailure,
    AuthCode,
    FailureRule,
    Grant,
    Publish,
    PublishedPost,
    Token,
    Upload,
)
from platform_sandbox.tiktok_api.webhooks import WebhookDispatcher
from slideforge.kit.clock import Clock


class TikTokCore(PlatformSandbox[SandboxOptions, SandboxApp, FailureRule]):
    """The shared state of the TikTok sandbox and its configuration API. TikTok serves one
    app: ``_apps`` holds it under its app ID, ``app`` and ``update_app`` reach it."""

    failure_rule_model = FailureRule

    _users: dict[str, SandboxUser]
    _log_seq: int
    _auth_codes: dict[str, AuthCode]
    _tokens: dict[str, Token]
    _grants: list[Grant]
    _publishes: dict[str, Publish]
    _uploads: dict[str, Upload]
    _posts: list[PublishedPost]
    _rate: defaultdict[tuple[str, str], deque[float]]
    _external_posts: defaultdict[str, list[float]]

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        app: SandboxApp | None = None,
        users: Iterable[SandboxUser] | None = None,
        options: SandboxOptions | None = None,
    ) -> None:
        initial_users = list(users) if users is not None else [DEFAULT_USER]
        initial_app = app or SandboxApp(
            default_user=initial_users[0].open_id if initial_users else None
        )
        self._initial_app = initial_app.model_copy(deep=True)
        self._initial_users = [user.model_copy(deep=True) for user in initial_users]
        self._app_id = initial_app.client_id
        self._webhooks = WebhookDispatcher()
        self._executor: ThreadPoolExecutor | None = None
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        super().__init__(clock=clock, options=options or SandboxOptions(), seed_defaults=False)

    # ------------------------------------------------------------------ setup

    def _load_config(self) -> None:
        self._options = self._initial_options.model_copy(deep=True)
        self._apps = {self._app_id: self._initial_app.model_copy(deep=True)}
        self._config_seq = 0
        self._users = {u.open_id: u.model_copy(deep=True) for u in self._initial_users}

    def _clear_state(self) -> None:
        self._seq = 0
        self._rule_seq = 0
        self._log_seq = 0
        self._auth_codes = {}
        self._tokens = {}
        self._grants = []
        self._publishes = {}
        self._uploads = {}
        self._posts = []
        self._rules = []
        self._rate = defaultdict(deque)
        self._external_posts = defaultdict(list)
        self._requests = deque(maxlen=20_000)
        self._webhooks.clear()

    # ------------------------------------------------------------------ small helpers

    @property
    def _served_app(self) -> SandboxApp:
        """The one app the API serves."""
        return self._apps[self._app_id]

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_log_id(self) -> str:
        with self._lock:
            self._log_seq += 1
            stamp = self.clock.now().strftime("%Y%m%d%H%M%S")
            return f"{stamp}{self._log_seq:020X}"

    def _reader(self) -> BodyReader:
        return BodyReader(self._options)

    def _user(self, open_id: str) -> SandboxUser:
        user = self._users.get(open_id)
        if user is None:
            raise SandboxError(f"no sandbox user {open_id!r}", status=404, code="not_found")
        return user

    # ------------------------------------------------------------------ configuration API

    @property
    def app(self) -> SandboxApp:
        with self._lock:
            return self._served_app.model_copy(deep=True)

    def update_app(self, client_id: str | None = None, **changes: Any) -> SandboxApp:
        """Change the app (``client_id``: its app ID; None, the one the sandbox serves)."""
        return super().update_app(client_id or self._app_id, **changes)

    def add_app(self, **fields: Any) -> SandboxApp:
        raise SandboxError(
            "the TikTok sandbox serves one app: change it with update_app (PATCH /app)",
            status=409,
            code="conflict",
        )

    def users(self) -> list[SandboxUser]:
        with self._lock:
            return [user.model_copy(deep=True) for user in self._users.values()]

    def get_user(self, open_id: str) -> SandboxUser:
        with self._lock:
            return self._user(open_id).model_copy(deep=True)

    def add_user(self, user: SandboxUser | None = None, **fields: Any) -> SandboxUser:
        """Create (or replace) a sandbox user, from a model or from fields."""
        if user is None:
            user = build_model(SandboxUser, fields)
        with self._lock:
            self._users[user.open_id] = user.model_copy(deep=True)
            return user.model_copy(deep=True)

    def update_user(self, open_id: str, **changes: Any) -> SandboxUser:
        with self._lock:
            if "open_id" in changes and changes["open_id"] != open_id:
                raise SandboxError("open_id cannot change")
            user = with_changes(self._user(open_id), changes)
            self._users[open_id] = user
            return user.model_copy(deep=True)

    def record_external_posts(self, open_id: str, count: int = 1) -> None:
        """Direct posts the creator made through other apps now (the 24 h cap is shared)."""
        with self._lock:
            self._user(open_id)
            self._external_posts[open_id].extend([self._now()] * count)

    # ------------------------------------------------------------------ failure rules

    def _take_rule(
        self,
        kind: str,
        endpoint: str,
        open_id: str | None,
        *,
        after_commit: bool = False,
        chunk_index: int | None = None,
    ) -> FailureRule | None:
        """The first rule of ``kind`` that matches (it fires once more; a rule that has fired
        ``count`` times is removed)."""
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
        """Append one answered request (TikTok's fields: ``http_status``, ``error_code``,
        ``open_id``, ``publish_id``)."""
        with self._lock:
            self._requests.append({"at": iso(self._now()), **entry})

    def requests_log(
        self, *, endpoint: str | None = None, open_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self._logged_requests(endpoint=endpoint, open_id=open_id)
