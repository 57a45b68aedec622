"""The Instagram sandbox's state: what is configured (apps, IG accounts, Facebook users and
Pages), what the API created (tokens, codes, containers, media, quota and usage counters),
the failure rules that fire on it, and the read-only views the admin API lists."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from platform_sandbox.common import (
    DAY,
    AuthorizationCodes,
    PlatformSandbox,
    SandboxError,
    iso,
    take_rule,
)
from platform_sandbox.instagram.config import (
    STATUS_TEXT,
    THROTTLE_CODES,
    FailureRule,
    FbPage,
    FbUser,
    IgAccount,
    InstagramOptions,
    MetaApp,
)
from platform_sandbox.instagram.errors import GraphError
from platform_sandbox.instagram.records import Container, IgMedia, Token
from slideforge.kit.clock import Clock


class InstagramState(PlatformSandbox[InstagramOptions, MetaApp, FailureRule]):
    """The records of the Instagram sandbox with their Python API; the API areas (OAuth,
    reads, publishing) build on it. Thread-safe: state is guarded by one lock; media
    downloads run outside it. Options, apps, failure rules, the clock and ``reset`` are
    ``PlatformSandbox``'s."""

    failure_rule_model = FailureRule
    app_model = MetaApp
    app_id_base = 990_602_627_900_000
    app_secret_bytes = 16
    request_filters = ("endpoint", "ig_user_id")

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        options: InstagramOptions | None = None,
        seed_defaults: bool = True,
    ) -> None:
        super().__init__(
            clock=clock, options=options or InstagramOptions(), seed_defaults=seed_defaults
        )

    # ------------------------------------------------------------------ setup
    def _load_config(self) -> None:
        """Options, apps, IG accounts, Facebook users and Pages as configured at start."""
        self._options = self._initial_options.model_copy(deep=True)
        self._apps = {}
        self._ig_users: dict[str, IgAccount] = {}
        self._fb_users: dict[str, FbUser] = {}
        self._pages: dict[str, FbPage] = {}
        self._config_seq = 0
        if self._seed_defaults:
            self.add_app(client_id="990602627938098", client_secret="sandbox-app-secret")
            account = self.add_ig_user(username="sandbox_creator", name="Sandbox Creator")
            user = self.add_fb_user(name="Sandbox User")
            self.add_page(name="Sandbox Page", ig_user_id=account.id, managers=[user.id])

    def _clear_state(self) -> None:
        """Forget tokens, codes, containers, media, counters, rules and the request log."""
        self._seq = 0
        self._codes = AuthorizationCodes(self._now, lambda: self._options.code_ttl_seconds)
        self._tokens: dict[str, Token] = {}
        self._page_tokens: dict[tuple[str, str], str] = {}
        self._containers: dict[str, Container] = {}
        self._media: dict[str, IgMedia] = {}
        self._container_events: dict[str, list[float]] = {}
        self._publish_events: dict[str, list[float]] = {}
        self._buc_calls: dict[str, deque[float]] = {}
        self._rules = []
        self._rule_seq = 0
        self._requests = deque(maxlen=20_000)

    # ------------------------------------------------------------------ configuration API
    def ig_users(self) -> list[IgAccount]:
        with self._lock:
            return [user.model_copy(deep=True) for user in self._ig_users.values()]

    def get_ig_user(self, ig_user_id: str) -> IgAccount:
        with self._lock:
            return self._ig_user(ig_user_id).model_copy(deep=True)

    def _ig_user(self, key: str) -> IgAccount:
        for account in self._ig_users.values():
            if key in (account.id, account.app_scoped_id, account.username):
                return account
        raise SandboxError(f"no Instagram account {key!r}", status=404, code="not_found")

    def add_ig_user(self, **fields: Any) -> IgAccount:
        def fill(account: IgAccount) -> None:
            if not account.id:
                account.id = self._next_config_id(17_841_400_000_000_000)
            if not account.app_scoped_id:
                account.app_scoped_id = str(27_000_000_000_000_000 + int(account.id) % 10**15)
            if not account.username:
                account.username = f"sandbox_{account.id[-4:]}"
            if not account.name:
                account.name = account.username

        with self._lock:
            return self._add_record(self._ig_users, IgAccount, fields, noun="account", fill=fill)

    def update_ig_user(self, ig_user_id: str, **changes: Any) -> IgAccount:
        with self._lock:
            return self._update_record(self._ig_users, self._ig_user(ig_user_id), changes)

    def fb_users(self) -> list[FbUser]:
        with self._lock:
            return self._copies(self._fb_users)

    def add_fb_user(self, **fields: Any) -> FbUser:
        def fill(user: FbUser) -> None:
            if not user.id:
                user.id = self._next_config_id(10_000_000_000_000_000)

        with self._lock:
            return self._add_record(self._fb_users, FbUser, fields, noun="user", fill=fill)

    def pages(self) -> list[FbPage]:
        with self._lock:
            return self._copies(self._pages)

    def add_page(self, **fields: Any) -> FbPage:
        def fill(page: FbPage) -> None:
            if not page.id:
                page.id = self._next_config_id(100_000_000_000_000)

        def check(page: FbPage) -> None:
            if page.ig_user_id is not None and page.ig_user_id not in self._ig_users:
                raise SandboxError(f"no Instagram account {page.ig_user_id!r}")
            for manager in page.managers:
                if manager not in self._fb_users:
                    raise SandboxError(f"no Facebook user {manager!r}")

        with self._lock:
            return self._add_record(
                self._pages, FbPage, fields, noun="page", fill=fill, check=check
            )

    # ------------------------------------------------------------------ failure injection

    def _take_rule(
        self,
        kind: str,
        endpoint: str,
        ig_user_id: str | None,
        *,
        after_commit: bool = False,
        media_kind: str | None = None,
    ) -> FailureRule | None:
        def wanted(rule: FailureRule) -> bool:
            return (
                rule.kind == kind
                and rule.after_commit == after_commit
                and (kind != "error" or rule.endpoint in ("*", endpoint))
                and rule.ig_user_id in (None, ig_user_id)
                and (kind != "container_error" or rule.media_kind in ("any", media_kind))
            )

        return take_rule(self._rules, wanted)

    def _rule_error(self, rule: FailureRule, ig_user_id: str | None) -> GraphError:
        code = rule.code if rule.code is not None else -1
        headers: dict[str, str] = {}
        if code in THROTTLE_CODES:
            headers.update(self._usage_headers(ig_user_id, throttled=True))
        return GraphError(
            code,
            rule.message or "An unknown error occurred",
            subcode=rule.error_subcode,
            http_status=rule.http_status or 400,
            is_transient=bool(rule.is_transient),
            user_title=rule.error_user_title,
            user_msg=rule.error_user_msg,
            headers=headers,
        )

    def _inject(self, endpoint: str, ig_user_id: str | None) -> None:
        rule = self._take_rule("error", endpoint, ig_user_id)
        if rule is not None:
            raise self._rule_error(rule, ig_user_id)

    def _usage_headers(self, ig_user_id: str | None, *, throttled: bool = False) -> dict[str, str]:
        if ig_user_id is None:
            return {}
        limit = self._options.buc_calls_per_hour
        calls = len(self._buc_calls.get(ig_user_id, ()))
        percent = 100 if throttled else (min(100, calls * 100 // limit) if limit else 0)
        usage = {
            ig_user_id: [
                {
                    "type": "instagram",
                    "call_count": percent,
                    "total_cputime": min(100, percent // 2),
                    "total_time": min(100, percent // 2),
                    "estimated_time_to_regain_access": 60 if throttled else 0,
                }
            ]
        }
        return {"X-Business-Use-Case-Usage": json.dumps(usage, separators=(",", ":"))}

    # ------------------------------------------------------------------ quota API
    def exhaust_quota(self, ig_user_id: str, count: int | None = None) -> int:
        """Record ``count`` posts published outside this app (default: enough to use up the
        quota), so the next media_publish answers 9/2207042."""
        with self._lock:
            account = self._ig_user(ig_user_id)
            now = self._now()
            if count is None:
                count = max(0, self._quota_total(account) - self._quota_used(account.id, now))
            self._publish_events.setdefault(account.id, []).extend([now] * count)
            return count

    def _quota_total(self, account: IgAccount) -> int:
        if account.publish_quota_total is not None:
            return account.publish_quota_total
        return self._options.publish_quota_total

    def _quota_used(self, ig_user_id: str, now: float, since: float | None = None) -> int:
        start = now - DAY if since is None else max(since, now - DAY)
        return sum(1 for ts in self._publish_events.get(ig_user_id, ()) if ts > start)

    # ------------------------------------------------------------------ container status
    def _status(self, container: Container, now: float) -> tuple[str, str]:
        if container.published_media_id is not None:
            return "PUBLISHED", STATUS_TEXT["PUBLISHED"]
        if now >= container.created_at + self._options.container_ttl_seconds:
            return "EXPIRED", STATUS_TEXT["EXPIRED"]
        if container.media_type == "CAROUSEL":
            waiting = False
            for child_id in container.children:
                child = self._containers[child_id]
                code, _ = self._status(child, now)
                if code in ("ERROR", "EXPIRED"):
                    return "ERROR", f"Error: Carousel item {child_id} is in state {code}."
                if code == "IN_PROGRESS":
                    waiting = True
            if waiting or now < container.ready_at:
                return "IN_PROGRESS", STATUS_TEXT["IN_PROGRESS"]
            return "FINISHED", STATUS_TEXT["FINISHED"]
        if now < container.ready_at:
            return "IN_PROGRESS", STATUS_TEXT["IN_PROGRESS"]
        if container.error_text is not None:
            return "ERROR", container.error_text
        return "FINISHED", STATUS_TEXT["FINISHED"]

    # ------------------------------------------------------------------ listings API
    def containers(
        self, *, ig_user_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            now = self._now()
            out = []
            for container in self._containers.values():
                if ig_user_id is not None and container.ig_user_id != ig_user_id:
                    continue
                view = self._container_view(container, now)
                if status is not None and view["status_code"] != status:
                    continue
                out.append(view)
            return out

    def container(self, container_id: str) -> dict[str, Any]:
        with self._lock:
            container = self._containers.get(container_id)
            if container is None:
                raise SandboxError(f"no container {container_id!r}", status=404, code="not_found")
            return self._container_view(container, self._now())

    def _container_view(self, container: Container, now: float) -> dict[str, Any]:
        code, text = self._status(container, now)
        return {
            "id": container.id,
            "ig_user_id": container.ig_user_id,
            "app_id": container.app_id,
            "media_type": container.media_type,
            "is_carousel_item": container.is_carousel_item,
            "status_code": code,
            "status": text,
            "created_at": iso(container.created_at),
            "ready_at": iso(container.ready_at),
            "expires_at": iso(container.created_at + self._options.container_ttl_seconds),
            "children": list(container.children),
            "parent_id": container.parent_id,
            "params": dict(container.params),
            "media": [probe.as_dict() for probe in container.probes],
            "published_media_id": container.published_media_id,
            "published_at": iso(container.published_at),
        }

    def media(self, *, ig_user_id: str | None = None) -> list[dict[str, Any]]:
        """Every published IG media that is a post (carousel children are listed inside
        their album), oldest first."""
        with self._lock:
            return [
                self._media_view(item)
                for item in self._media.values()
                if item.parent_id is None and (ig_user_id is None or item.ig_user_id == ig_user_id)
            ]

    def _media_view(self, item: IgMedia) -> dict[str, Any]:
        return {
            "id": item.id,
            "ig_user_id": item.ig_user_id,
            "container_id": item.container_id,
            "media_type": item.media_type,
            "media_product_type": item.media_product_type,
            "caption": item.caption,
            "permalink": item.permalink,
            "shortcode": item.shortcode,
            "timestamp": iso(item.published_at),
            "source_urls": list(item.source_urls),
            "children": list(item.children),
        }

    def duplicate_media(self) -> list[dict[str, Any]]:
        """Posts published more than once by the same account with the same caption and
        the same media URLs."""
        with self._lock:
            groups: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
            for item in self._media.values():
                if item.parent_id is not None:
                    continue
                key = (item.ig_user_id, item.caption or "", tuple(item.source_urls))
                groups.setdefault(key, []).append(item.id)
            return [
                {
                    "ig_user_id": key[0],
                    "caption": key[1],
                    "source_urls": list(key[2]),
                    "media_ids": ids,
                }
                for key, ids in groups.items()
                if len(ids) > 1
            ]

    def requests_log(
        self, *, endpoint: str | None = None, ig_user_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self._logged_requests(endpoint=endpoint, ig_user_id=ig_user_id)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            by_status: dict[str, int] = {}
            for container in self._containers.values():
                code, _ = self._status(container, now)
                by_status[code] = by_status.get(code, 0) + 1
            return {
                "now": iso(now),
                "manual_clock": self.manual_clock,
                "apps": len(self._apps),
                "ig_users": len(self._ig_users),
                "fb_users": len(self._fb_users),
                "pages": len(self._pages),
                "tokens": len(self._tokens),
                "containers": by_status,
                "posts": sum(1 for item in self._media.values() if item.parent_id is None),
                "failure_rules": len(self._rules),
                "requests": len(self._requests),
            }
