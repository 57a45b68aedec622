"""``ReadArea``: what the app reads back: ``GET /v2/user/info/`` and the Display API's
``POST /v2/video/list/`` and ``POST /v2/video/query/``.

A post's counters (views, likes, comments, shares) grow with its age on the sandbox clock
(``platform_sandbox.common.engagement``, seeded by ``SandboxOptions.metrics_seed``); the
user's ``follower_count``, ``likes_count`` and ``video_count`` are the configured values plus
what the user's public posts add."""

from __future__ import annotations

from typing import Any

from platform_sandbox.common.engagement import Counters, counters
from platform_sandbox.tiktok_api.auth import OAuthArea
from platform_sandbox.tiktok_api.config import SandboxUser
from platform_sandbox.tiktok_api.records import ApiFailure, PublishedPost

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


class ReadArea(OAuthArea):
    """User info and the video list."""

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
            self._advance_all()
            user = self._user(token.grant.open_id)
            values = _user_object(user)
            now = self._now()
            public = [post for post in self._posts if self._is_public(post, user.open_id, now)]
            grown = [self._counters(post, now) for post in public]
            values["follower_count"] += sum(c.follows for c in grown)
            values["likes_count"] += sum(c.likes for c in grown)
            values["video_count"] += len(public)
            return {"user": {field: values[field] for field in requested}}

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
            read = self._reader()
            requested = read.fields(fields, VIDEO_FIELDS)
            body = {} if body is None else read.json_object(body, "body")
            read.only_keys(body, ("cursor", "max_count"), "body")
            count = read.integer(body, "max_count", "body", required=False)
            if count is None:
                count = 10
            if not 1 <= count <= 20:
                raise read.invalid("max_count must be between 1 and 20.")
            cursor = read.integer(body, "cursor", "body", required=False)
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
                {
                    field: _video_object(post, user, self._counters(post, now))[field]
                    for field in requested
                }
                for post in page
            ]
            next_cursor = int(page[-1].published_at * 1000) if page else (cursor or 0)
            return {"videos": videos, "cursor": next_cursor, "has_more": len(listed) > count}

    def video_query(
        self, authorization: str | None, fields: str | None, body: Any
    ) -> dict[str, Any]:
        """``POST /v2/video/query/?fields=…`` (scope ``video.list``) with
        ``{"filters": {"video_ids": [...]}}``, 1–20 ids: the user's public posts among them,
        in the order asked; an id that is not a public post of the token's user (unknown,
        another user's, not yet past moderation) is simply not in the answer."""
        self._await_due_pulls()
        with self._lock:
            token = self._enter(authorization, "video_query")
            self._require_scope(token, "video.list")
            read = self._reader()
            requested = read.fields(fields, VIDEO_FIELDS)
            body = read.json_object(body, "body")
            read.only_keys(body, ("filters", "cursor", "max_count"), "body")
            filters = read.json_object(body.get("filters"), "filters")
            read.only_keys(filters, ("video_ids",), "filters")
            ids = filters.get("video_ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise read.invalid("filters.video_ids must be a list of video id strings.")
            if not 1 <= len(ids) <= 20:
                raise read.invalid("filters.video_ids must hold between 1 and 20 ids.")
            self._advance_all()
            now = self._now()
            user = self._user(token.grant.open_id)
            by_id = {
                str(post.post_id): post
                for post in self._posts
                if self._is_public(post, user.open_id, now)
            }
            videos = []
            for video_id in dict.fromkeys(ids):
                post = by_id.get(video_id)
                if post is not None:
                    values = _video_object(post, user, self._counters(post, now))
                    videos.append({field: values[field] for field in requested})
            return {"videos": videos, "cursor": 0, "has_more": False}

    def _is_public(self, post: PublishedPost, open_id: str, now: float) -> bool:
        """A post of ``open_id`` that the public can see: public, past moderation."""
        return (
            post.open_id == open_id
            and post.privacy_level == "PUBLIC_TO_EVERYONE"
            and post.publicly_available_at is not None
            and post.publicly_available_at <= now
        )

    def _counters(self, post: PublishedPost, now: float) -> Counters:
        return counters(
            self._options.metrics_seed, f"tiktok:{post.post_id}", now - post.published_at
        )


def _user_object(user: SandboxUser) -> dict[str, Any]:
    """Every field of ``/v2/user/info/`` for ``user``."""
    return {
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


def _video_object(post: PublishedPost, user: SandboxUser, grown: Counters) -> dict[str, Any]:
    """Every field of the Display API's video object for ``post``."""
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
        "like_count": grown.likes,
        "comment_count": grown.comments,
        "share_count": grown.shares,
        "view_count": grown.views,
    }
