"""Media insights in the Instagram sandbox: ``GET /{ig-media-id}/insights?metric=…``.

The metrics of Graph v22+: ``views``, ``reach``, ``saved``, ``shares``, ``likes``,
``comments``, ``total_interactions``, each ``period: lifetime``, grown on the sandbox clock by
``platform_sandbox.common.engagement`` (the same numbers as the media's ``like_count`` and
``comments_count``). The deprecated ``impressions``, ``plays`` and ``video_views`` answer
code 100; a carousel child has no insights (code 100); the token needs
``instagram_business_manage_insights`` (Instagram login) or ``instagram_manage_insights``
(Facebook login), else (#10)."""

from __future__ import annotations

from typing import Any

from platform_sandbox.common import Reply
from platform_sandbox.common.engagement import Counters
from platform_sandbox.instagram.config import FB_INSIGHTS_SCOPES, IG_INSIGHTS_SCOPES
from platform_sandbox.instagram.errors import param_error
from platform_sandbox.instagram.read import InstagramReading
from platform_sandbox.instagram.records import GraphCall

MEDIA_METRICS: dict[str, tuple[str, str]] = {
    "views": ("Views", "The number of times your content was played or displayed."),
    "reach": ("Accounts reached", "The number of unique accounts that have seen your content."),
    "saved": ("Saved", "The number of saves of your post."),
    "shares": ("Shares", "The number of shares of your post."),
    "likes": ("Likes", "The number of likes on your post."),
    "comments": ("Comments", "The number of comments on your post."),
    "total_interactions": (
        "Post interactions",
        "The number of likes, saves, comments and shares on your post, minus the number of "
        "unlikes, unsaves and deleted comments.",
    ),
}
DEPRECATED_METRICS = ("impressions", "plays", "video_views")


def _value(name: str, grown: Counters) -> int:
    if name == "total_interactions":
        return grown.likes + grown.comments + grown.saves + grown.shares
    return {
        "views": grown.views,
        "reach": grown.reach,
        "saved": grown.saves,
        "shares": grown.shares,
        "likes": grown.likes,
        "comments": grown.comments,
    }[name]


class InstagramInsights(InstagramReading):
    """``GET /{ig-media-id}/insights``."""

    def _insights(self, ctx: GraphCall, node: str) -> Reply:
        with self._lock:
            token = self._authenticate(self._token_value(ctx))
            item = self._media_node(ctx, token, node)
            self._require(token, IG_INSIGHTS_SCOPES, FB_INSIGHTS_SCOPES)
            self._count_buc(ctx, item.ig_user_id)
            self._inject("insights", item.ig_user_id)
            names = [part.strip() for part in ctx.params.get("metric", "").split(",")]
            names = [name for name in names if name]
            if not names:
                raise param_error("(#100) The parameter metric is required")
            for name in names:
                if name in DEPRECATED_METRICS:
                    raise param_error(
                        f"(#100) Starting from version v22.0 and above, the {name} metric is no "
                        "longer supported. Please use views instead."
                    )
                if name not in MEDIA_METRICS:
                    raise param_error(
                        "(#100) metric[0] must be one of the following values: "
                        + ", ".join(MEDIA_METRICS)
                    )
            if item.parent_id is not None:
                raise param_error(
                    "(#100) The Media Insights API does not support the album child media "
                    "(carousel item). Query the insights of the carousel album instead."
                )
            period = ctx.params.get("period", "lifetime")
            if period != "lifetime":
                raise param_error(
                    "(#100) Param period must be one of {lifetime} for media insights"
                )
            grown = self._media_counters(item)
            data: list[dict[str, Any]] = []
            for name in dict.fromkeys(names):
                title, description = MEDIA_METRICS[name]
                data.append(
                    {
                        "name": name,
                        "period": "lifetime",
                        "values": [{"value": _value(name, grown)}],
                        "title": title,
                        "description": description,
                        "id": f"{item.id}/insights/{name}/lifetime",
                    }
                )
            return Reply(200, {"data": data})
