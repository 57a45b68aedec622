"""The Analytics page: the period's posts with their latest counters (the services of GET
/analytics/summary and /analytics/summary/posts), charts of views and engagement per post,
the hooks ranked (GET /analytics/experiments grouped by hook), the declared experiments
and the tracked accounts with their refresh. Charts are SVG laid out in ``charts.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from slideforge.analytics import experiments, query, summary, targets
from slideforge.auth.deps import RuntimeDep, SessionDep
from slideforge.auth.service import Caller
from slideforge.dashboard import charts
from slideforge.dashboard.web import PREFIX, PageDep, render
from slideforge.kit.errors import ApiError

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 25
EXPERIMENT_RESULTS = 10  # experiments whose result the page computes (the newest)
RANGES = (
    ("14d", "14 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("1y", "1 year"),
    ("all", "All time"),
)
PLATFORMS = ("tiktok", "instagram", "pinterest", "youtube")
SORTS = (
    ("views", "Views"),
    ("likes", "Likes"),
    ("comments", "Comments"),
    ("shares", "Shares"),
    ("published_at", "Newest"),
)
METRICS = (
    ("views", "Views"),
    ("likes", "Likes"),
    ("comments", "Comments"),
    ("shares", "Shares"),
    ("saves", "Saves"),
    ("engagement_rate", "Engagement rate"),
)
AGES = tuple(experiments.AGES)


def post_label(post: dict[str, Any]) -> str:
    """How a post is named in charts: its hook (slide 1's text), else its caption."""
    text = post.get("hook") or post.get("caption") or post.get("platformPostId") or "post"
    return str(text)


def _choice(value: str, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def _filters(
    session: Session,
    caller: Caller,
    now: datetime,
    range_: str,
    start: str,
    end: str,
    platform: str,
) -> tuple[query.Filters, str | None]:
    """The period and platform asked for, as the API reads them; a refused query is said on
    the page, which then shows the default period."""
    first = summary.first_published(session, caller)
    platform = platform if platform in PLATFORMS else ""
    try:
        return (
            query.filters(
                now,
                range_=range_ or None,
                start=start or None,
                end=end or None,
                platforms_raw=platform or None,
                accounts_raw=None,
                first_seen=first,
            ),
            None,
        )
    except ApiError as exc:
        fallback = query.filters(
            now,
            range_="30d",
            start=None,
            end=None,
            platforms_raw=platform or None,
            accounts_raw=None,
            first_seen=first,
        )
        return fallback, exc.message


def ranking_chart(result: dict[str, Any], title: str, suffix: str = "") -> charts.BarChart:
    """A ranking of ``experiments.rank``: each group's mean, with its 95 % interval."""
    groups = [g for g in result["groups"] if g["n"]]
    return charts.bar_chart(
        title,
        [(str(g["key"]), g["mean"]) for g in groups],
        intervals=[(g["ci95"]["low"], g["ci95"]["high"]) if g["ci95"] else None for g in groups],
        description=f"Mean {result['metric']} at {result['ageHours']} h per group, with "
        "95 % confidence intervals where a group has two posts or more.",
        suffix=suffix,
    )


@router.get("/analytics")
def analytics_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    runtime: RuntimeDep,
    range: str = "",
    start: str = "",
    end: str = "",
    platform: str = "",
    sort: str = "views",
    offset: int = 0,
    metric: str = "views",
    age: str = "48h",
) -> HTMLResponse:
    caller = page.caller
    now = runtime.clock.now()
    filters, error = _filters(session, caller, now, range, start[:10], end[:10], platform[:20])
    sort = _choice(sort, tuple(s for s, _ in SORTS), "views")
    metric = _choice(metric, tuple(m for m, _ in METRICS), "views")
    age = _choice(age, AGES, "48h")
    offset = min(max(offset, 0), 10_000)
    overview = summary.summary(session, caller, filters)
    listed = summary.list_posts(
        session, caller, filters, limit=PAGE_SIZE, offset=offset, sort_by=sort, sort_order="desc"
    )
    posts = listed["posts"]
    hooks = experiments.results(
        session, caller, filters, now, group_by="hook", metric=metric, age=age, experiment_id=None
    )
    rate = metric == "engagement_rate"
    shown: dict[str, Any] = dict.fromkeys(
        ("views_chart", "rate_chart", "daily_chart", "hook_chart")
    )
    if posts:
        where = f"the {len(posts)} posts of the table, in its order"
        shown["views_chart"] = charts.bar_chart(
            "Views per post",
            [(post_label(p), p["views"]) for p in posts],
            description=f"Latest views of {where}.",
        )
        shown["rate_chart"] = charts.bar_chart(
            "Engagement rate per post",
            [(post_label(p), p["engagementRate"]) for p in posts],
            description=f"(likes + comments + shares + saves) / views of {where}.",
            suffix="%",
        )
        shown["daily_chart"] = charts.column_chart(
            "Views of the posts published each day",
            [(d["date"][5:], d["views"]) for d in overview["interactionSeries"]],
            description="Views, by the UTC day the posts were published.",
        )
    if any(g["n"] for g in hooks["groups"]):
        label = dict(METRICS)[metric].lower()
        shown["hook_chart"] = ranking_chart(
            hooks, f"Mean {label} at {age} per hook", "%" if rate else ""
        )
    listed_experiments = experiments.list_experiments(session, caller, now)["experiments"]
    # The newest experiments' results, as GET /experiments/{id} computes them.
    results = {
        e["id"]: experiments.get(session, caller, e["id"], now)
        for e in listed_experiments[:EXPERIMENT_RESULTS]
    }
    selected = {
        "range": filters.period.preset or "",
        "start": start[:10] if not filters.period.preset else "",
        "end": end[:10] if not filters.period.preset else "",
        "platform": filters.platforms[0] if filters.platforms else "",
        "sort": sort,
        "metric": metric,
        "age": age,
    }

    def link(**changes: Any) -> str:
        """This page with the same choices but ``changes`` (empty values left out)."""
        params = {**selected, **changes}
        return f"{PREFIX}/analytics?" + urlencode({k: v for k, v in params.items() if v})

    return render(
        request,
        "analytics/index.html",
        page,
        error=error,
        overview=overview,
        posts=posts,
        total=listed["totalCount"],
        offset=offset,
        page_size=PAGE_SIZE,
        hooks=hooks,
        experiments=listed_experiments,
        experiment_results=results,
        tracked=targets.list_targets(session, caller, now)["targets"],
        ever_published=summary.first_published(session, caller) is not None,
        ranges=RANGES,
        platforms=PLATFORMS,
        sorts=SORTS,
        metrics=METRICS,
        ages=AGES,
        selected=selected,
        link=link,
        compact=charts.compact,
        label_of=post_label,
        **shown,
    )


@router.get("/analytics/experiments/{experiment_id}")
def experiment_page(
    request: Request, experiment_id: str, page: PageDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    experiment = experiments.get(session, page.caller, experiment_id, runtime.clock.now())
    result = experiment["result"]
    chart = None
    if any(g["n"] for g in result["groups"]):
        chart = ranking_chart(
            result,
            f"Mean {result['metric']} at {result['ageHours']} h per variant",
            "%" if result["metric"] == "engagement_rate" else "",
        )
    return render(
        request,
        "analytics/experiment.html",
        page,
        experiment=experiment,
        result=result,
        chart=chart,
        compact=charts.compact,
    )
