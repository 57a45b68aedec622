"""What the Instagram sandbox lets a token read: ``/me`` and its Pages, any node (an IG
account, a media, a container's status, a Page), a carousel's children, an account's media
list with cursor paging, and its content publishing limit."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from platform_sandbox.common import DAY, Reply, with_query
from platform_sandbox.common.engagement import Counters, counters
from platform_sandbox.instagram.access import InstagramAccess
from platform_sandbox.instagram.config import FB_READ_SCOPES, IG_READ_SCOPES, FbPage, IgAccount
from platform_sandbox.instagram.errors import param_error, unsupported
from platform_sandbox.instagram.records import GraphCall, IgMedia, Token, iso_graph, parse_fields


class InstagramReading(InstagramAccess):
    """The Graph API's read endpoints."""

    MEDIA_NODE = "IGMedia"

    def _media_counters(self, item: IgMedia) -> Counters:
        """What a published media has gathered by now (``common.engagement``); a carousel
        child gathers nothing of its own."""
        age = self._now() - item.published_at if item.parent_id is None else 0.0
        return counters(self._options.metrics_seed, f"instagram:{item.id}", age)

    @staticmethod
    def _pick(
        values: Mapping[str, Any],
        fields: list[tuple[str, list[str] | None]],
        node_type: str,
        *,
        default: Iterable[str],
    ) -> dict[str, Any]:
        names = [name for name, _ in fields] or list(default)
        out: dict[str, Any] = {}
        for name in names:
            if name not in values:
                raise param_error(
                    f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
                )
            out[name] = values[name]
        out.setdefault("id", values.get("id"))
        return out

    def _ig_user_fields(
        self, account: IgAccount, fields: list[tuple[str, list[str] | None]], self_id: str
    ) -> dict[str, Any]:
        media = [
            item
            for item in self._media.values()
            if item.ig_user_id == account.id and item.parent_id is None
        ]
        posts = len(media)
        gained = sum(self._media_counters(item).follows for item in media)
        values: dict[str, Any] = {
            "id": self_id,
            "user_id": account.id,
            "username": account.username,
            "name": account.name,
            "account_type": account.account_type,
            "profile_picture_url": account.profile_picture_url,
            "followers_count": account.followers_count + gained,
            "follows_count": account.follows_count,
            "media_count": posts,
            "biography": account.biography,
            "website": account.website,
        }
        return self._pick(values, fields, "User", default=("id",))

    def _me(self, ctx: GraphCall) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            self._inject("me", token.ig_user_id)
            fields = parse_fields(ctx.params.get("fields"))
            if token.family == "ig":
                account = self._ig_users[token.ig_user_id or ""]
                ctx.ig_user_id = account.id
                self._require(token, IG_READ_SCOPES, ())
                return Reply(200, self._ig_user_fields(account, fields, account.app_scoped_id))
            if token.kind == "fb_page":
                page = self._pages[token.page_id or ""]
                return Reply(200, self._page_fields(page, fields, token))
            user = self._fb_users[token.fb_user_id or ""]
            values = {"id": user.id, "name": user.name, "email": user.email}
            return Reply(200, self._pick(values, fields, "User", default=("id", "name")))

    def _page_fields(
        self, page: FbPage, fields: list[tuple[str, list[str] | None]], token: Token
    ) -> dict[str, Any]:
        page_token = token if token.kind == "fb_page" else self._page_token_for(token, page)
        ig_value: dict[str, Any] | None = None
        if page.ig_user_id is not None:
            ig_value = {"id": page.ig_user_id}
            sub = next(
                (inner for name, inner in fields if name == "instagram_business_account"), None
            )
            if sub:
                account = self._ig_users[page.ig_user_id]
                ig_value = self._ig_user_fields(account, [(name, None) for name in sub], account.id)
        values: dict[str, Any] = {
            "id": page.id,
            "name": page.name,
            "category": page.category,
            "category_list": [{"id": "2612", "name": page.category}],
            "tasks": list(page.tasks),
            "access_token": page_token.value,
        }
        if ig_value is not None:
            values["instagram_business_account"] = ig_value
            values["connected_instagram_account"] = {"id": page.ig_user_id}
        names = [name for name, _ in fields]
        for name in ("instagram_business_account", "connected_instagram_account"):
            if name in names and name not in values:
                names.remove(name)  # Graph omits an unset edge instead of failing
        return self._pick(values, [(name, None) for name in names], "Page", default=("id", "name"))

    def _me_accounts(self, ctx: GraphCall) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            self._inject("me_accounts", None)
            if token.kind not in ("fb_user_short", "fb_user_long"):
                raise param_error(
                    "(#100) Tried accessing nonexisting field (accounts) on node type (User)"
                )
            self._require(token, (), ("pages_show_list",))
            fields = parse_fields(ctx.params.get("fields")) or [
                (name, None)
                for name in ("access_token", "category", "category_list", "name", "id", "tasks")
            ]
            data = [
                self._page_fields(page, fields, token)
                for page in self._pages.values()
                if token.fb_user_id in page.managers
            ]
            cursors = {}
            if data:
                cursors = {
                    "before": base64.urlsafe_b64encode(data[0]["id"].encode()).decode(),
                    "after": base64.urlsafe_b64encode(data[-1]["id"].encode()).decode(),
                }
            return Reply(200, {"data": data, "paging": {"cursors": cursors}})

    def _node(self, ctx: GraphCall, node: str) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            fields = parse_fields(ctx.params.get("fields"))
            container = self._containers.get(node)
            if container is not None:
                ctx.endpoint = "container_status"
                self._enter_node(ctx, token, container.ig_user_id, node, "container_status")
                code, text = self._status(container, self._now())
                values = {"id": container.id, "status_code": code, "status": text}
                return Reply(
                    200, self._pick(values, fields, "ShadowIGMediaBuilder", default=("id",))
                )
            item = self._media.get(node)
            if item is not None:
                self._enter_node(ctx, token, item.ig_user_id, node, "node")
                return Reply(200, self._media_fields(item, fields))
            page = self._pages.get(node)
            if page is not None:
                allowed = (token.kind == "fb_page" and token.page_id == page.id) or (
                    token.kind in ("fb_user_short", "fb_user_long")
                    and token.fb_user_id in page.managers
                )
                if not allowed:
                    raise unsupported("get", node)
                self._inject("node", page.ig_user_id)
                return Reply(200, self._page_fields(page, fields, token))
            for account in self._ig_users.values():
                if node in (account.id, account.app_scoped_id):
                    self._enter_node(ctx, token, account.id, node, "node")
                    return Reply(200, self._ig_user_fields(account, fields, node))
            raise unsupported("get", node)

    def _media_fields(
        self, item: IgMedia, fields: list[tuple[str, list[str] | None]]
    ) -> dict[str, Any]:
        account = self._ig_users.get(item.ig_user_id)
        children_sub = next((inner for name, inner in fields if name == "children"), None)
        children = [
            self._media_fields(
                self._media[child], [(name, None) for name in (children_sub or ["id"])]
            )
            for child in item.children
        ]
        grown = self._media_counters(item)
        values: dict[str, Any] = {
            "id": item.id,
            "caption": item.caption,
            "media_type": item.media_type,
            "media_product_type": item.media_product_type,
            "media_url": item.media_url,
            "permalink": item.permalink,
            "shortcode": item.shortcode,
            "timestamp": iso_graph(item.published_at),
            "username": account.username if account else None,
            "owner": {"id": item.ig_user_id},
            "is_comment_enabled": True,
            "like_count": grown.likes,
            "comments_count": grown.comments,
        }
        if item.media_type == "VIDEO":
            values["thumbnail_url"] = item.media_url
        if item.media_product_type == "REELS":
            values["is_shared_to_feed"] = item.share_to_feed is not False
        if item.alt_text is not None:
            values["alt_text"] = item.alt_text
        if item.media_type == "CAROUSEL_ALBUM":
            values["children"] = {"data": children}
        return self._pick(values, fields, self.MEDIA_NODE, default=("id",))

    def _children(self, ctx: GraphCall, node: str) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            item = self._media_node(ctx, token, node)
            self._require(token, IG_READ_SCOPES, FB_READ_SCOPES)
            fields = parse_fields(ctx.params.get("fields"))
            data = [self._media_fields(self._media[child], fields) for child in item.children]
            return Reply(200, {"data": data})

    def _list_media(self, ctx: GraphCall, node: str) -> Reply:
        """``GET /{ig-user-id}/media``: the account's media newest first (not carousel
        children), ``limit`` a page (default 25, at most 100), cursor paging (``after`` /
        ``before``, ``paging.next`` while more follow). A media shows
        ``media_list_delay_seconds`` after it was published."""
        with self._lock:
            _token, account = self._enter_ig(ctx, node, "node", publish=False)
            fields = parse_fields(ctx.params.get("fields"))
            raw_limit = ctx.params.get("limit", "25")
            if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
                raise param_error("(#100) The parameter limit must be an integer from 1 to 100.")
            limit = int(raw_limit)
            visible_at = self._now() - self._options.media_list_delay_seconds
            items = [
                item
                for item in reversed(list(self._media.values()))
                if item.ig_user_id == account.id
                and item.parent_id is None
                and item.published_at <= visible_at
            ]
            offset = 0
            for key, step in (("after", 1), ("before", -1)):
                raw = ctx.params.get(key)
                if not raw:
                    continue
                try:
                    position = int(base64.urlsafe_b64decode(raw.encode()).decode())
                except (ValueError, UnicodeDecodeError) as exc:
                    raise param_error(f"(#100) The parameter {key} is not a valid cursor.") from exc
                offset = position + 1 if step == 1 else max(position - limit, 0)
            page = items[offset : offset + limit]
            paging: dict[str, Any] = {"cursors": {}}
            if page:
                paging["cursors"] = {
                    "before": base64.urlsafe_b64encode(str(offset).encode()).decode(),
                    "after": base64.urlsafe_b64encode(
                        str(offset + len(page) - 1).encode()
                    ).decode(),
                }
            if offset + limit < len(items):
                query = {k: v for k, v in ctx.params.items() if k not in ("after", "before")}
                query["after"] = paging["cursors"]["after"]
                host = ctx.headers.get("host", "graph.instagram.com")
                paging["next"] = with_query(f"http://{host}{ctx.path}", query)
            data = [self._media_fields(item, fields) for item in page]
            return Reply(200, {"data": data, "paging": paging})

    def _publishing_limit(self, ctx: GraphCall, node: str) -> Reply:
        with self._lock:
            _token, account = self._enter_ig(ctx, node, "publishing_limit", publish=False)
            now = self._now()
            since: float | None = None
            raw_since = ctx.params.get("since")
            if raw_since:
                try:
                    since = float(raw_since)
                except ValueError as exc:
                    raise param_error("(#100) Param since must be a unix timestamp") from exc
                if since < now - DAY - 1:
                    raise param_error("(#100) Param since must be within the last 24 hours")
            names = [name for name, _ in parse_fields(ctx.params.get("fields"))] or ["quota_usage"]
            entry: dict[str, Any] = {}
            for name in names:
                if name == "quota_usage":
                    entry["quota_usage"] = self._quota_used(account.id, now, since)
                elif name == "config":
                    entry["config"] = {
                        "quota_total": self._quota_total(account),
                        "quota_duration": 86400,
                    }
                else:
                    raise param_error(
                        f"(#100) Tried accessing nonexisting field ({name}) on node type "
                        "(ContentPublishingLimitResponse)"
                    )
            return Reply(200, {"data": [entry]})
