"""``GET /analytics/summary`` and ``/analytics/summary/posts``: what the scope's tracked
accounts published in a period and how it did (each post's latest counters).

KPIs compare the period with the one of the same length before it: ``{value, previous,
delta, deltaPercent}`` (``deltaPercent`` null when the previous value is 0). The engagement
rate is (likes + comments + shares + saves) / views, in percent. Series are per UTC day of
publication; the heatmap counts posts per UTC weekday (0 = Monday) and hour; the streak counts
consecutive UTC days with at least one post, up to the period's last day."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.analytics import query
from slideforge.analytics.targets import get_target, of_visible_target, target_out, visible
from slideforge.auth.service import Caller
from slideforge.kit.clock import as_utc, isoformat
from slideforge.kit.errors import not_found
from slideforge.models import AnalyticsPost, AnalyticsTarget, MetricSnapshot, ProfileSnapshot

SORTS = ("published_at", "views", "likes", "comments", "shares")
INTERACTIONS = ("likes", "comments", "shares", "saves")


def engagement_rate(views: int, interactions: int) -> float | None:
    return round(100 * interactions / views, 2) if views else None


def post_row(row: AnalyticsPost) -> dict[str, Any]:
    interactions = sum(getattr(row, n) or 0 for n in INTERACTIONS)
    return {
        "analyticsId": str(row.id),
        "id": str(row.id),
        "targetId": str(row.target_id),
        "platform": row.platform,
        "platformPostId": row.platform_post_id,
        "genviralPostId": str(row.post_id) if row.post_id else None,
        "externalId": row.external_id,
        "accountId": str(row.account_id) if row.account_id else None,
        "url": row.url,
        "caption": row.caption,
        "author": row.author,
        "publishedAt": isoformat(row.published_at),
        "mediaType": row.media_type,
        "hashtags": list(row.hashtags or []),
        "soundId": row.sound_id,
        "soundName": row.sound_name,
        "hook": row.hook,
        "slideshowId": str(row.slideshow_id) if row.slideshow_id else None,
        "templateId": str(row.template_id) if row.template_id else None,
        "packId": str(row.pack_id) if row.pack_id else None,
        "experimentId": str(row.experiment_id) if row.experiment_id else None,
        "variant": row.variant,
        "views": row.views,
        "likes": row.likes,
        "comments": row.comments,
        "shares": row.shares,
        "saves": row.saves,
        "reach": row.reach,
        "clicks": row.clicks,
        "engagementRate": engagement_rate(row.views or 0, interactions),
        "metricsAt": isoformat(row.metrics_at),
        "linkState": row.link_state,
        "note": row.note,
    }


# What the summary reads of each post: columns, not whole rows (a tenth of the time).
SUMMARY_COLUMNS = (
    AnalyticsPost.target_id,
    AnalyticsPost.platform,
    AnalyticsPost.media_type,
    AnalyticsPost.published_at,
    AnalyticsPost.views,
    AnalyticsPost.likes,
    AnalyticsPost.comments,
    AnalyticsPost.shares,
    AnalyticsPost.saves,
)


def _scoped(
    caller: Caller, filters: query.Filters, start: datetime, end: datetime, *columns: Any
) -> sa.Select[Any]:
    """The scope's posts published in ``[start, end)`` (whole rows, or ``columns``)."""
    stmt = (
        sa.select(*columns or (AnalyticsPost,))
        .join(AnalyticsTarget, AnalyticsTarget.id == AnalyticsPost.target_id)
        .where(
            visible(caller),
            AnalyticsPost.published_at >= start,
            AnalyticsPost.published_at < end,
        )
    )
    if filters.platforms:
        stmt = stmt.where(AnalyticsPost.platform.in_(filters.platforms))
    if filters.target_ids:
        stmt = stmt.where(AnalyticsPost.target_id.in_(filters.target_ids))
    return stmt


def first_published(session: Session, caller: Caller) -> datetime | None:
    first = session.scalar(
        sa.select(sa.func.min(AnalyticsPost.published_at))
        .join(AnalyticsTarget, AnalyticsTarget.id == AnalyticsPost.target_id)
        .where(visible(caller))
    )
    return as_utc(first) if first else None


def check_targets(session: Session, caller: Caller, ids: Sequence[Any]) -> None:
    if not ids:
        return
    found = set(
        session.scalars(
            sa.select(AnalyticsTarget.id).where(visible(caller), AnalyticsTarget.id.in_(ids))
        )
    )
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise query.invalid_query(
            "accounts", f"no tracked account {missing[0]} here (GET /analytics/targets)"
        )


def _totals(rows: Sequence[Any]) -> dict[str, float | int | None]:
    sums: dict[str, float | int | None] = {}
    for name in ("views", "likes", "comments", "shares", "saves"):
        # Not measured anywhere (TikTok gives no saves) is null, not 0.
        measured = [v for v in (getattr(r, name) for r in rows) if v is not None]
        sums[name] = sum(measured) if measured or not rows or name == "views" else None
    sums["publishedVideos"] = len(rows)
    sums["activeAccounts"] = len({r.target_id for r in rows})
    views = int(sums["views"] or 0)
    sums["engagementRate"] = engagement_rate(views, sum(int(sums[n] or 0) for n in INTERACTIONS))
    return sums


def _kpi(value: float | int | None, previous: float | int | None) -> dict[str, Any]:
    delta = None if value is None or previous is None else round(value - previous, 2)
    percent = (
        round(100 * (value - previous) / previous, 2) if value is not None and previous else None
    )
    return {"value": value, "previous": previous, "delta": delta, "deltaPercent": percent}


def _streak(days_posted: set[date], last_day: date) -> dict[str, Any]:
    longest = current = 0
    run = 0
    previous: date | None = None
    for day in sorted(days_posted):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    day = last_day if last_day in days_posted else last_day - timedelta(days=1)
    while day in days_posted:
        current += 1
        day -= timedelta(days=1)
    return {
        "current": current,
        "longest": longest,
        "lastPostDate": max(days_posted).isoformat() if days_posted else None,
    }


def summary(session: Session, caller: Caller, filters: query.Filters) -> dict[str, Any]:
    check_targets(session, caller, filters.target_ids)
    period = filters.period
    rows: Sequence[Any] = session.execute(
        _scoped(caller, filters, period.start, period.end, *SUMMARY_COLUMNS)
    ).all()
    prev = period.previous
    before = session.execute(_scoped(caller, filters, prev.start, prev.end, *SUMMARY_COLUMNS)).all()
    now_totals, prev_totals = _totals(rows), _totals(before)
    kpis = {
        name: _kpi(now_totals[name], prev_totals[name] if period.preset != "all" else None)
        for name in (
            "publishedVideos",
            "activeAccounts",
            "views",
            "likes",
            "comments",
            "shares",
            "saves",
            "engagementRate",
        )
    }
    by_day: dict[date, list[Any]] = defaultdict(list)
    heat: Counter[tuple[int, int]] = Counter()
    for row in rows:
        published = as_utc(row.published_at) if row.published_at else None
        if published is None:
            continue
        by_day[published.date()].append(row)
        heat[(published.weekday(), published.hour)] += 1
    interaction_series, engagement_series = [], []
    for day in period.days():
        day_rows = by_day.get(day, [])
        sums = _totals(day_rows)
        interaction_series.append(
            {
                "date": day.isoformat(),
                "posts": len(day_rows),
                **{n: sums[n] for n in ("views", "likes", "comments", "shares", "saves")},
            }
        )
        engagement_series.append(
            {"date": day.isoformat(), "engagementRate": sums["engagementRate"]}
        )
    mix: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        mix[(row.platform, row.media_type or "unknown")].append(row)
    content_mix = [
        {
            "platform": platform,
            "mediaType": media_type,
            "posts": len(items),
            "share": round(100 * len(items) / len(rows), 2),
            "views": sum(r.views or 0 for r in items),
            "avgViews": round(sum(r.views or 0 for r in items) / len(items), 1),
        }
        for (platform, media_type), items in sorted(mix.items(), key=lambda kv: -len(kv[1]))
    ]
    last_day = (period.end - timedelta(microseconds=1)).date()
    return {
        "range": {
            "preset": period.preset,
            "start": isoformat(period.start),
            "end": isoformat(period.end),
            "previousStart": isoformat(prev.start),
            "previousEnd": isoformat(prev.end),
        },
        "filters": {
            "platforms": list(filters.platforms),
            "accounts": [str(t) for t in filters.target_ids],
        },
        "kpis": kpis,
        "interactionSeries": interaction_series,
        "engagementSeries": engagement_series,
        "postingHeatmap": [
            {"dayOfWeek": dow, "hour": hour, "posts": count}
            for (dow, hour), count in sorted(heat.items())
        ],
        "postingStreak": _streak(set(by_day), last_day),
        "contentMix": content_mix,
    }


def list_posts(
    session: Session,
    caller: Caller,
    filters: query.Filters,
    *,
    limit: int,
    offset: int,
    sort_by: str,
    sort_order: str,
) -> dict[str, Any]:
    check_targets(session, caller, filters.target_ids)
    period = filters.period
    stmt = _scoped(caller, filters, period.start, period.end)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    column = getattr(AnalyticsPost, sort_by)
    order = column.desc() if sort_order == "desc" else column.asc()
    rows = session.scalars(
        stmt.order_by(order.nulls_last(), AnalyticsPost.id).limit(limit).offset(offset)
    ).all()
    return {
        "posts": [post_row(r) for r in rows],
        "totalCount": total,
        "limit": limit,
        "offset": offset,
        "sortBy": sort_by,
        "sortOrder": sort_order,
        "range": {
            "preset": period.preset,
            "start": isoformat(period.start),
            "end": isoformat(period.end),
        },
    }


def post_detail(session: Session, caller: Caller, analytics_id: object) -> dict[str, Any]:
    """One post's row and its snapshots, oldest first (the time series)."""
    row = of_visible_target(session, caller, AnalyticsPost, analytics_id)
    if row is None:
        raise not_found("analytics post", "analytics_post_not_found")
    snapshots = session.scalars(
        sa.select(MetricSnapshot)
        .where(MetricSnapshot.analytics_post_id == row.id)
        .order_by(MetricSnapshot.taken_at, MetricSnapshot.id)
    ).all()
    return {
        **post_row(row),
        "milestonesDue": list(row.milestones_due or []),
        "nextSnapshotAt": isoformat(row.next_snapshot_at),
        "snapshots": [
            {
                "takenAt": isoformat(s.taken_at),
                "ageSeconds": s.age_seconds,
                "milestone": s.milestone,
                **{
                    n: getattr(s, n)
                    for n in ("views", "likes", "comments", "shares", "saves", "reach", "clicks")
                },
                "extra": s.extra,
            }
            for s in snapshots
        ],
    }


def target_detail(
    session: Session, caller: Caller, target_id: object, now: datetime
) -> dict[str, Any]:
    """The target with its summary: profile, totals, follower timeline, top posts, refresh."""
    row = get_target(session, caller, target_id)
    out = target_out(session, row, now)
    posts = session.scalars(sa.select(AnalyticsPost).where(AnalyticsPost.target_id == row.id)).all()
    totals = {
        name: sum(getattr(p, name) or 0 for p in posts)
        for name in ("views", "likes", "comments", "shares", "saves")
    }
    interactions = totals["likes"] + totals["comments"] + totals["shares"] + totals["saves"]
    totals["posts"] = len(posts)
    totals["engagementRate"] = (
        round(100 * interactions / totals["views"], 2) if totals["views"] else None
    )
    timeline = session.scalars(
        sa.select(ProfileSnapshot)
        .where(ProfileSnapshot.target_id == row.id)
        .order_by(ProfileSnapshot.taken_at)
    ).all()
    top = sorted(posts, key=lambda p: p.views or 0, reverse=True)[:10]
    out["summary"] = {
        "profile": row.profile or None,
        "totals": totals,
        "timeline": [
            {
                "taken_at": isoformat(s.taken_at),
                "followers": s.followers,
                "following": s.following,
                "likes": s.likes,
                "posts": s.posts,
            }
            for s in timeline
        ],
        "top_posts": [post_row(p) for p in top],
        "refresh_status": out["last_refresh"]["status"] if out["last_refresh"] else None,
    }
    return out
