"""Instagram's metric reads (``docs/platforms.md``, "Reading metrics"): the account's
``followers_count``/``follows_count``/``media_count``, each media's ``like_count`` and
``comments_count``, and ``GET /{ig-media-id}/insights`` with the v22+ metrics (``views,
reach, saved, shares, likes, comments, total_interactions``; never the deprecated
``impressions``/``plays``/``video_views``). Insights need ``instagram_business_manage_insights``
(Instagram Login) or ``instagram_manage_insights`` (Facebook Login). A carousel child has no
insights: its counters stay None with a ``note``.

The read calls get only the token: an Instagram Login token (``IG…``) reads
graph.instagram.com's ``/me``; a Facebook Login token (the Page's, ``EAA…``) reads its
Page's ``instagram_business_account`` on graph.facebook.com."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from slideforge.publishing.platforms.base import PlatformError
from slideforge.publishing.platforms.metrics import (
    PostMetrics,
    ProfileMetrics,
    counter,
    hashtags_of,
)

Read = Callable[[str, str, dict[str, str] | None], dict[str, Any]]

PROFILE_FIELDS = "username,name,profile_picture_url,followers_count,follows_count,media_count"
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,username,"
    "like_count,comments_count"
)
INSIGHTS = ("views", "reach", "saved", "shares", "likes", "comments", "total_interactions")
PAGE_SIZE = 50


def _when(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def _scope_error(exc: PlatformError, permission: str) -> PlatformError:
    return PlatformError(
        "user",
        "scope_not_authorized",
        f"the Instagram account did not grant {permission}, which reading metrics needs: "
        f"reconnect it and approve every permission ({exc.message})",
        http_status=exc.http_status,
    )


class InstagramReads:
    """The reads, over a Graph GET (``read(url, token, params)``) and the two Graph bases."""

    def __init__(self, read: Read, instagram_base: str, facebook_base: str) -> None:
        self.read = read
        self.instagram_base = instagram_base
        self.facebook_base = facebook_base

    def _get(
        self, url: str, token: str, params: dict[str, str] | None, permission: str
    ) -> dict[str, Any]:
        try:
            return self.read(url, token, params)
        except PlatformError as exc:
            if exc.code == "permission_missing":
                raise _scope_error(exc, permission) from exc
            raise

    def _account(self, token: str) -> tuple[str, dict[str, Any]]:
        """(Graph base, the IG account's profile fields, ``id`` its IG user id)."""
        if token.startswith("IG"):
            graph = self.instagram_base
            me = self._get(
                f"{graph}/me",
                token,
                {"fields": f"user_id,{PROFILE_FIELDS}"},
                "instagram_business_basic",
            )
            return graph, {**me, "id": str(me.get("user_id") or me.get("id") or "")}
        graph = self.facebook_base
        page = self._get(
            f"{graph}/me",
            token,
            {"fields": f"id,instagram_business_account{{id,{PROFILE_FIELDS}}}"},
            "instagram_basic",
        )
        account = page.get("instagram_business_account")
        if not isinstance(account, dict) or not account.get("id"):
            raise PlatformError(
                "user",
                "no_instagram_account",
                "the Facebook Page of this connection has no linked Instagram professional "
                "account any more: link one in the Page's settings, then connect again",
            )
        return graph, {**account, "id": str(account["id"])}

    def read_profile(self, token: str) -> ProfileMetrics:
        _base, account = self._account(token)
        return ProfileMetrics(
            platform_user_id=account["id"],
            username=str(account.get("username") or ""),
            display_name=account.get("name") or None,
            avatar_url=account.get("profile_picture_url") or None,
            followers=counter(account.get("followers_count")),
            following=counter(account.get("follows_count")),
            posts=counter(account.get("media_count")),
        )

    def _insights(self, graph: str, token: str, media_id: str) -> tuple[dict[str, int], str | None]:
        """The media's insights by metric name, or ({}, why there are none)."""
        permission = (
            "instagram_business_manage_insights"
            if graph == self.instagram_base
            else "instagram_manage_insights"
        )
        try:
            body = self._get(
                f"{graph}/{media_id}/insights", token, {"metric": ",".join(INSIGHTS)}, permission
            )
        except PlatformError as exc:
            if exc.code == "refused":  # Graph code 100: e.g. a carousel child, a story gone
                return {}, f"Instagram gives no insights for this media ({exc.message})"
            raise
        values: dict[str, int] = {}
        for entry in body.get("data") or []:
            if not isinstance(entry, dict):
                continue
            points = entry.get("values")
            value = counter(points[0].get("value")) if isinstance(points, list) and points else None
            if isinstance(entry.get("name"), str) and value is not None:
                values[entry["name"]] = value
        return values, None

    def _post(self, graph: str, token: str, media: dict[str, Any]) -> PostMetrics:
        media_id = str(media["id"])
        insights, note = self._insights(graph, token, media_id)
        caption = media.get("caption") if isinstance(media.get("caption"), str) else None
        like_count, comments_count = (
            counter(media.get("like_count")),
            counter(media.get("comments_count")),
        )
        extra = dict(insights)
        if like_count is not None:
            extra["like_count"] = like_count
        if comments_count is not None:
            extra["comments_count"] = comments_count
        if note is not None and "child" in note.lower():
            # A carousel child has no counters of its own: they are its album's.
            like_count = comments_count = None
            extra = {}
            note = f"{note}: a carousel child has no counters of its own, read its album"
        return PostMetrics(
            platform_post_id=media_id,
            url=media.get("permalink") or None,
            published_at=_when(media.get("timestamp")),
            caption=caption,
            views=insights.get("views"),
            likes=insights.get("likes", like_count),
            comments=insights.get("comments", comments_count),
            shares=insights.get("shares"),
            saves=insights.get("saved"),
            reach=insights.get("reach"),
            author=media.get("username") or None,
            duration=0 if media.get("media_type") in ("IMAGE", "CAROUSEL_ALBUM") else None,
            hashtags=hashtags_of(caption),
            extra=extra,
            note=note,
        )

    def read_posts(self, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        graph, _account = self._account(token)
        found: dict[str, PostMetrics] = {}
        for media_id in dict.fromkeys(str(i) for i in post_ids if str(i)):
            try:
                media = self._get(
                    f"{graph}/{media_id}", token, {"fields": MEDIA_FIELDS}, "instagram_basic"
                )
            except PlatformError as exc:
                if exc.code == "refused":  # unknown id, or not this account's
                    continue
                raise
            if media.get("id"):
                found[media_id] = self._post(graph, token, media)
        return found

    def recent_posts(self, token: str, limit: int) -> list[PostMetrics]:
        graph, account = self._account(token)
        posts: list[PostMetrics] = []
        after: str | None = None
        while len(posts) < limit:
            params = {"fields": MEDIA_FIELDS, "limit": str(min(PAGE_SIZE, limit - len(posts)))}
            if after:
                params["after"] = after
            body = self._get(f"{graph}/{account['id']}/media", token, params, "instagram_basic")
            items = [m for m in body.get("data") or [] if isinstance(m, dict) and m.get("id")]
            posts.extend(self._post(graph, token, media) for media in items)
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            assert isinstance(paging, dict)
            cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not items or not paging.get("next") or not after:
                break
        return posts[:limit]
