"""``GET /trends/brief`` (contract §9): what the server has itself observed on TikTok — the
posts of tracked accounts (ours and competitors') and our own posts — matching a keyword in
a period: top hashtags, sounds, creators, posting windows (UTC), sample videos, and hook
angles drawn from the best-performing observed hooks (slide 1's text for ours, a caption's
first line for others). Nothing is invented: with fewer than ``ENOUGH`` videos the brief says
how few it rests on. Kept about 3 h per platform, keyword and range (``limit`` only cuts the
sample videos)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slideforge.analytics import query
from slideforge.analytics.targets import targets_by_id, visible
from slideforge.auth.service import Caller
from slideforge.kit.clock import as_utc, isoformat
from slideforge.models import AnalyticsPost, AnalyticsTarget, TrendBrief
from slideforge.publishing.platforms.metrics import HASHTAG, hashtags_of

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
CACHE_FOR = timedelta(hours=3)
ENOUGH = 10
TOP = 10
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _hashtags(row: AnalyticsPost) -> list[str]:
    if row.hashtags:
        return list(dict.fromkeys(t.lower().lstrip("#") for t in row.hashtags if t))
    return list(hashtags_of(row.caption))


def _hook(row: AnalyticsPost) -> str | None:
    if row.hook:
        return row.hook.strip()
    first = (row.caption or "").strip().splitlines()[0:1]
    text = HASHTAG.sub("", first[0]).strip() if first else ""
    return text or None


def _avg(values: list[int]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def _video(row: AnalyticsPost, handles: dict[Any, str]) -> dict[str, Any]:
    return {
        "video_id": row.platform_post_id,
        "url": row.url,
        "views": row.views,
        "likes": row.likes,
        "comments": row.comments,
        "shares": row.shares,
        "caption": row.caption,
        "hashtags": _hashtags(row),
        "sound_id": row.sound_id,
        "sound_name": row.sound_name,
        "author_handle": row.author or handles.get(row.target_id),
        "published_at": isoformat(row.published_at),
    }


def compute(
    session: Session, caller: Caller, now: datetime, platform: str, keyword: str, range_: str
) -> dict[str, Any]:
    since = now - RANGES[range_]
    stmt = (
        sa.select(AnalyticsPost)
        .join(AnalyticsTarget, AnalyticsTarget.id == AnalyticsPost.target_id)
        .where(
            visible(caller),
            AnalyticsPost.platform == platform,
            AnalyticsPost.platform_post_id.is_not(None),
            AnalyticsPost.published_at >= since,
        )
    )
    rows = list(session.scalars(stmt))
    handles = {
        t.id: t.normalized_identifier for t in targets_by_id(session, {r.target_id for r in rows})
    }
    term = keyword.strip().lower().lstrip("#")
    if term:
        rows = [
            r
            for r in rows
            if term in (r.caption or "").lower()
            or term in (r.hook or "").lower()
            or any(term in tag for tag in _hashtags(r))
        ]
    rows.sort(key=lambda r: r.views or 0, reverse=True)
    views = {r.id: r.views or 0 for r in rows}

    tag_views: dict[str, list[int]] = defaultdict(list)
    sound_views: dict[str, list[int]] = defaultdict(list)
    sound_names: dict[str, str | None] = {}
    sound_sample: dict[str, str | None] = {}
    creators: dict[str, list[AnalyticsPost]] = defaultdict(list)
    windows: dict[tuple[int, int], list[int]] = defaultdict(list)
    hooks: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        for tag in _hashtags(row):
            tag_views[tag].append(views[row.id])
        if row.sound_id or row.sound_name:
            key = row.sound_id or str(row.sound_name)
            sound_views[key].append(views[row.id])
            sound_names.setdefault(key, row.sound_name)
            sound_sample.setdefault(key, row.url)
        creators[row.author or handles.get(row.target_id, "?")].append(row)
        if row.published_at is not None:
            when = as_utc(row.published_at)
            windows[(when.weekday(), when.hour)].append(views[row.id])
        hook = _hook(row)
        if hook:
            hooks[hook].append(views[row.id])

    def by_reach(item: tuple[str, list[int]]) -> tuple[int, float]:
        return len(item[1]), _avg(item[1])

    top_hashtags = [
        {"hashtag": tag, "videos_count": len(v), "avg_views": _avg(v)}
        for tag, v in sorted(tag_views.items(), key=by_reach, reverse=True)[:TOP]
    ]
    top_sounds = [
        {
            "sound_id": key,
            "sound_name": sound_names[key],
            "usage_count": len(v),
            "avg_views": _avg(v),
            "sample_url": sound_sample[key],
        }
        for key, v in sorted(sound_views.items(), key=by_reach, reverse=True)[:TOP]
    ]
    top_creators = []
    for handle, items in sorted(
        creators.items(), key=lambda kv: sum(r.views or 0 for r in kv[1]), reverse=True
    )[:TOP]:
        total = sum(r.views or 0 for r in items)
        top_creators.append(
            {
                "handle": handle,
                "videos_count": len(items),
                "total_views": total,
                "avg_views": _avg([r.views or 0 for r in items]),
                "top_video_url": items[0].url,
            }
        )
    posting_windows = [
        {
            "day_of_week_utc": DAYS[dow],
            "hour_utc": hour,
            "videos_count": len(v),
            "avg_views": _avg(v),
        }
        for (dow, hour), v in sorted(windows.items(), key=lambda kv: _avg(kv[1]), reverse=True)[
            :TOP
        ]
    ]
    best_hooks = sorted(hooks.items(), key=lambda kv: _avg(kv[1]), reverse=True)[:5]
    hook_angles = [
        f"{hook} — {_avg(v):,.0f} avg views over {len(v)} video{'s' if len(v) > 1 else ''}"
        for hook, v in best_hooks
    ]
    count = len(rows)
    note = None
    if count < ENOUGH:
        note = (
            f"only {count} matching video(s) observed in the last {range_}: track more "
            "accounts (POST /analytics/targets) or refresh them for a brief worth acting on"
        )
    return {
        "platform": platform,
        "keyword": keyword,
        "range": range_,
        "generated_at": isoformat(now),
        "summary": {
            "analyzed_video_count": count,
            "top_hashtags": top_hashtags,
            "top_sounds": top_sounds,
            "top_creators": top_creators,
            "posting_windows_utc": posting_windows,
        },
        "recommendations": {
            "hook_angles": hook_angles,
            "hashtags": [t["hashtag"] for t in top_hashtags[:5]],
            "sounds": [
                {"sound_id": s["sound_id"], "sound_name": s["sound_name"]} for s in top_sounds[:3]
            ],
        },
        "evidence": {"sample_videos": [_video(r, handles) for r in rows[:30]]},
        "note": note,
        "sources": "posts of the accounts tracked here (GET /analytics/targets), ours included",
    }


def brief(
    session: Session,
    caller: Caller,
    now: datetime,
    *,
    platform: str | None,
    keyword: str | None,
    limit: int,
    range_: str | None,
) -> dict[str, Any]:
    chosen = "tiktok" if platform is None else platform
    if chosen != "tiktok":
        raise query.invalid_query("platform", "trend briefs are made for tiktok only")
    period = query.choice("range", range_, "7d", tuple(RANGES))
    word = (keyword or "").strip()
    if len(word) > 100:
        raise query.invalid_query("keyword", "at most 100 characters")
    key = f"{caller.member_id or 'workspace'}|{chosen}|{word.lower()}|{period}"
    cached = session.scalar(
        sa.select(TrendBrief).where(
            TrendBrief.workspace_id == caller.workspace_id, TrendBrief.cache_key == key
        )
    )
    if cached is not None and now - as_utc(cached.generated_at) < CACHE_FOR:
        data = dict(cached.data)
        data["cached"] = True
    else:
        data = compute(session, caller, now, chosen, word, period)
        try:
            with session.begin_nested():
                if cached is None:
                    session.add(
                        TrendBrief(
                            workspace_id=caller.workspace_id,
                            cache_key=key,
                            generated_at=now,
                            data=data,
                        )
                    )
                else:
                    cached.generated_at, cached.data = now, data
                session.flush()
        except IntegrityError:  # computed at the same time by another request
            pass
        data = {**data, "cached": False}
    evidence = dict(data.get("evidence") or {})
    evidence["sample_videos"] = list(evidence.get("sample_videos") or [])[:limit]
    return {**data, "evidence": evidence}
