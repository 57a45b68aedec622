"""TikTok's Display API reads (``docs/platforms.md``, "Reading metrics"): ``GET
/v2/user/info/`` with the stats fields (scope ``user.info.stats``), ``POST /v2/video/query/``
(scope ``video.list``, 20 ids a call) and ``POST /v2/video/list/`` (20 a page, newest first).
600 requests a minute per token on each; the Display API has no saves, watch time or
traffic source."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from slideforge.publishing.platforms.base import PlatformError
from slideforge.publishing.platforms.metrics import (
    PostMetrics,
    ProfileMetrics,
    counter,
    hashtags_of,
)

Call = Callable[..., dict[str, Any]]

PROFILE_FIELDS = (
    "open_id,username,display_name,avatar_url,"
    "follower_count,following_count,likes_count,video_count"
)
VIDEO_FIELDS = (
    "id,create_time,share_url,video_description,title,duration,"
    "view_count,like_count,comment_count,share_count"
)
COUNTS = ("view_count", "like_count", "comment_count", "share_count")
QUERY_BATCH = 20  # TikTok's maximum of video ids per query
LIST_PAGE = 20  # and of videos per list page
RATE_WINDOW_SECONDS = 60.0  # the Display API counts requests per sliding minute


@contextmanager
def _read_errors(scope: str) -> Iterator[None]:
    """A missing scope says which one reads need; a 429 says when to try again."""
    try:
        yield
    except PlatformError as exc:
        if exc.code in ("scope_not_authorized", "scope_permission_missed"):
            raise PlatformError(
                "user",
                "scope_not_authorized",
                f"the TikTok account did not grant {scope}, which reading metrics needs: "
                f"reconnect it and approve every permission ({exc.message})",
                http_status=exc.http_status,
            ) from exc
        if exc.kind == "retryable" and exc.code == "rate_limit_exceeded":
            raise PlatformError(
                "retryable",
                exc.code,
                exc.message,
                retry_after=exc.retry_after or RATE_WINDOW_SECONDS,
                http_status=exc.http_status,
            ) from exc
        raise


def post_metrics(video: dict[str, Any]) -> PostMetrics:
    """One Display API video object as PostMetrics."""
    created = counter(video.get("create_time"))
    caption = video.get("video_description")
    title = video.get("title")
    return PostMetrics(
        platform_post_id=str(video["id"]),
        url=video.get("share_url") or None,
        published_at=datetime.fromtimestamp(created, UTC) if created is not None else None,
        caption=caption if isinstance(caption, str) else None,
        title=title if isinstance(title, str) and title else None,
        views=counter(video.get("view_count")),
        likes=counter(video.get("like_count")),
        comments=counter(video.get("comment_count")),
        shares=counter(video.get("share_count")),
        duration=counter(video.get("duration")),
        hashtags=hashtags_of(caption if isinstance(caption, str) else None),
        extra={name: value for name in COUNTS if (value := counter(video.get(name))) is not None},
    )


def read_profile(call: Call, token: str) -> ProfileMetrics:
    with _read_errors("user.info.profile and user.info.stats"):
        data = call("GET", f"/v2/user/info/?fields={PROFILE_FIELDS}", token=token, read_only=True)
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    assert isinstance(user, dict)
    return ProfileMetrics(
        platform_user_id=str(user.get("open_id") or ""),
        username=str(user.get("username") or ""),
        display_name=user.get("display_name") or None,
        avatar_url=user.get("avatar_url") or None,
        followers=counter(user.get("follower_count")),
        following=counter(user.get("following_count")),
        likes=counter(user.get("likes_count")),
        posts=counter(user.get("video_count")),
    )


def read_posts(call: Call, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
    ids = list(dict.fromkeys(str(post_id) for post_id in post_ids if str(post_id)))
    found: dict[str, PostMetrics] = {}
    for first in range(0, len(ids), QUERY_BATCH):
        batch = ids[first : first + QUERY_BATCH]
        with _read_errors("video.list"):
            data = call(
                "POST",
                f"/v2/video/query/?fields={VIDEO_FIELDS}",
                token=token,
                read_only=True,
                json={"filters": {"video_ids": batch}},
            )
        videos = data.get("videos")
        for video in videos if isinstance(videos, list) else []:
            if isinstance(video, dict) and str(video.get("id") or "") in batch:
                metrics = post_metrics(video)
                found[metrics.platform_post_id] = metrics
    return found


def recent_posts(call: Call, token: str, limit: int) -> list[PostMetrics]:
    posts: list[PostMetrics] = []
    cursor: int | None = None
    while len(posts) < limit:
        body: dict[str, Any] = {"max_count": min(LIST_PAGE, limit - len(posts))}
        if cursor is not None:
            body["cursor"] = cursor
        with _read_errors("video.list"):
            data = call(
                "POST",
                f"/v2/video/list/?fields={VIDEO_FIELDS}",
                token=token,
                read_only=True,
                json=body,
            )
        videos = data.get("videos")
        page = (
            [v for v in videos if isinstance(v, dict) and v.get("id")]
            if isinstance(videos, list)
            else []
        )
        posts.extend(post_metrics(video) for video in page)
        following = data.get("cursor")
        if not page or not data.get("has_more") or not isinstance(following, int):
            break
        cursor = following
    return posts[:limit]
