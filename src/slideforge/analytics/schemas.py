"""Request bodies and documented query values of /analytics, /trends and /experiments.

Query values stay text in the handlers (the contract's client sends them raw, with its own
aliases) and are parsed by ``analytics.query`` (422 ``invalid_query``, naming what is
accepted); their accepted values are stated here for /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.pagination import comma_list_pattern
from slideforge.kit.validation import NOT_BLANK, RequestBody
from slideforge.posts.schemas import AccountSelection, PinterestSettings, TikTokSettings


def text_query(description: str, **schema: Any) -> Any:
    """A query value kept as text, its accepted values documented (``schema``)."""
    return Query(max_length=2000, description=description, json_schema_extra=schema or None)


Text = Annotated[str | None, text_query("free text")]
RangeQuery = Annotated[
    str | None, text_query("14d | 30d | 90d | 1y | all", enum=["14d", "30d", "90d", "1y", "all"])
]
DateQuery = Annotated[
    str | None, text_query("YYYY-MM-DD (UTC; give start and end together)", format="date")
]
PlatformsQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=comma_list_pattern("tiktok", "instagram", "pinterest", "youtube"),
        description="comma list of tiktok, instagram, pinterest, youtube",
    ),
]
IdsQuery = Annotated[str | None, text_query("comma list of tracked account (target) ids")]
SortByQuery = Annotated[
    str | None,
    text_query(
        "published_at | views | likes | comments | shares",
        enum=["published_at", "views", "likes", "comments", "shares"],
    ),
]
OrderQuery = Annotated[str | None, text_query("asc | desc", enum=["asc", "desc"])]
LimitQuery = Annotated[int, Query(ge=1, le=100, description="1–100")]
OffsetQuery = Annotated[int, Query(ge=0, le=10_000, description="0–10,000")]
GroupQuery = Annotated[
    str | None,
    text_query(
        "hook | template | pack | account | slot | sound | variant | platform",
        enum=["hook", "template", "pack", "account", "slot", "sound", "variant", "platform"],
    ),
]
MetricQuery = Annotated[
    str | None,
    text_query(
        "views | likes | comments | shares | saves | engagement_rate",
        enum=["views", "likes", "comments", "shares", "saves", "engagement_rate"],
    ),
]
AgeQuery = Annotated[
    str | None,
    Query(
        max_length=5,
        pattern=r"^[0-9]{1,4}[hd]?$",
        description="1h | 24h | 48h | 7d | 30d, or a number of hours",
    ),
]
TrendRangeQuery = Annotated[str | None, text_query("24h | 7d | 30d", enum=["24h", "7d", "30d"])]
TrendPlatformQuery = Annotated[str | None, text_query("tiktok", enum=["tiktok"])]
TrendLimitQuery = Annotated[int, Query(ge=1, le=30, description="sample videos, 1–30")]
KeywordQuery = Annotated[
    str | None, Query(max_length=100, description="matched in captions, hooks, hashtags")
]

TargetPlatform = Literal["tiktok", "instagram", "youtube", "pinterest"]
Metric = Literal["views", "likes", "comments", "shares", "saves", "engagement_rate"]


class TargetCreate(RequestBody):
    platform: TargetPlatform
    identifier: Annotated[
        str,
        Field(
            min_length=1,
            max_length=300,
            pattern=NOT_BLANK,
            description="The handle (@brand) or the profile's URL.",
        ),
    ]
    alias: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="A display name for the target."
    )


class RefreshPolicy(RequestBody):
    """How the server refreshes the target by itself."""

    model_config = ConfigDict(extra="forbid")

    freeDailyRefresh: bool | None = Field(
        default=None, description="Refresh it once a day (UTC), with the day's free refresh."
    )
    maxPosts: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="How many of its newest posts a refresh reads (30)."
    )


class TargetUpdate(RequestBody):
    """Partial: only the fields sent change; ``null`` clears displayName and refreshPolicy."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    displayName: Annotated[str, Field(max_length=200)] | None = None
    favorite: bool | SkipJsonSchema[None] = None
    refreshPolicy: RefreshPolicy | None = None


class Variant(RequestBody):
    """One variant: its own rendered slideshow, or a hook that replaces slide 1's text of
    the experiment's base slideshow."""

    name: Annotated[str, Field(min_length=1, max_length=120, pattern=NOT_BLANK)] | None = None
    hook: Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK)] | None = None
    slideshow_id: Annotated[str, Field(max_length=64)] | None = None


class ExperimentCreate(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
    caption: Annotated[str, Field(max_length=2200)] = ""
    slideshow_id: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="The base slideshow of hook variants."
    )
    variants: Annotated[list[Variant], Field(min_length=2, max_length=10)]
    posts_per_variant: Annotated[int, Field(ge=1, le=20)] = 3
    spacing_minutes: Annotated[int, Field(ge=0, le=1440)] = 60
    age_hours: Annotated[int, Field(ge=1, le=720)] = 48
    metric: Metric = "views"
    start_at: Annotated[str, Field(max_length=64)] | None = None
    account_selection: AccountSelection | None = None
    tiktok: TikTokSettings | None = None
    pinterest: PinterestSettings | None = None
