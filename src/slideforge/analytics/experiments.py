"""Hook experiments: which hook, template, pack, account, time slot or sound worked, as
numbers with their sample size and a 95 % confidence interval.

**Value of a post at an age A** (``age=48h``): the first snapshot taken once the post was at
least A old, if it was taken before 1.5 A (a later one would flatter the post). Posts younger
than A are *pending*; older ones without such a snapshot are *missing*. Both are counted, never
guessed.

**Groups** are ranked by their mean; the interval is mean ± t(n−1) · sd / √n (cut at 0: no
metric here goes below it). The leader is
*decisive* when its interval lies wholly above the runner-up's; otherwise the answer says the
intervals overlap and how many more posts are pending.

**Declared experiments** (``POST /experiments``): variants (2–10), each a rendered slideshow
or a hook that replaces slide 1's text of a base slideshow (the server duplicates and renders
it), posted ``posts_per_variant`` times each, interleaved (A1 B1 C1 A2 …) from ``start_at``
every ``spacing_minutes``, on accounts the server chooses (``account_selection``, as POST
/posts), so that no variant gets all the good slots or accounts."""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.analytics import query
from slideforge.analytics.chart import Point
from slideforge.analytics.reading import MILESTONES, hook_of
from slideforge.analytics.schemas import ExperimentCreate, Variant
from slideforge.analytics.summary import engagement_rate
from slideforge.analytics.targets import label, targets_by_id, visible
from slideforge.auth.service import Caller
from slideforge.kit.clock import as_utc, isoformat, parse_timestamp
from slideforge.kit.errors import ApiError, not_found
from slideforge.kit.ids import parse_id
from slideforge.models import (
    Account,
    AnalyticsPost,
    AnalyticsTarget,
    Experiment,
    ExperimentPost,
    MetricSnapshot,
    Post,
)
from slideforge.runtime import Runtime

GROUPS = ("hook", "template", "pack", "account", "slot", "sound", "variant", "platform")
METRICS = ("views", "likes", "comments", "shares", "saves", "engagement_rate")
AGES = {"1h": 1, "24h": 24, "48h": 48, "7d": 168, "30d": 720}
# Two-sided 95 % Student t quantiles by degrees of freedom (1–30); 1.96 beyond.
T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    return T95[df - 1] if 1 <= df <= len(T95) else 1.96


def parse_age(raw: str | None, default_hours: int = 48) -> int:
    """``48h``, ``7d`` or a number of hours -> hours."""
    if raw is None:
        return default_hours
    text = raw
    if text in AGES:
        return AGES[text]
    try:
        hours = (
            int(text[:-1]) * (24 if text.endswith("d") else 1) if text[-1] in "hd" else int(text)
        )
    except ValueError:
        raise query.invalid_query("age", f"{raw!r}: use 1h, 24h, 48h, 7d, 30d or hours") from None
    if not 1 <= hours <= 24 * 90:
        raise query.invalid_query("age", "between 1 hour and 90 days")
    return hours


def stats(values: Sequence[float]) -> dict[str, Any]:
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "median": None, "sd": None, "ci95": None}
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if n > 1 else None
    ci = None
    if sd is not None:
        half = t95(n - 1) * sd / math.sqrt(n)
        # Every metric here is a count or a rate: never below 0.
        ci = {"low": round(max(mean - half, 0.0), 2), "high": round(mean + half, 2)}
    return {
        "n": n,
        "mean": round(mean, 2),
        "median": round(statistics.median(values), 2),
        "sd": round(sd, 2) if sd is not None else None,
        "min": min(values),
        "max": max(values),
        "ci95": ci,
    }


def _metric_value(snap: MetricSnapshot, metric: str) -> float | None:
    if metric == "engagement_rate":
        interactions = sum(getattr(snap, n) or 0 for n in ("likes", "comments", "shares", "saves"))
        return engagement_rate(snap.views or 0, interactions)
    value = getattr(snap, metric)
    return float(value) if value is not None else None


def values_at_age(
    session: Session, rows: Sequence[AnalyticsPost], hours: int, now: datetime
) -> dict[uuid.UUID, MetricSnapshot | str]:
    """Each post's snapshot at the age, or why there is none (``pending`` / ``missing``)."""
    age = hours * 3600
    out: dict[uuid.UUID, MetricSnapshot | str] = {}
    ids = [r.id for r in rows]
    found: dict[uuid.UUID, MetricSnapshot] = {}
    if ids:
        snaps = session.scalars(
            sa.select(MetricSnapshot)
            .where(
                MetricSnapshot.analytics_post_id.in_(ids),
                MetricSnapshot.age_seconds >= age,
                MetricSnapshot.age_seconds <= age * 1.5,
            )
            .order_by(MetricSnapshot.age_seconds)
        )
        for snap in snaps:
            found.setdefault(snap.analytics_post_id, snap)
    for row in rows:
        if row.id in found:
            out[row.id] = found[row.id]
        elif (
            row.published_at is None
            or as_utc(row.published_at) + timedelta(seconds=age * 1.5) > now
        ):
            out[row.id] = "pending"
        else:
            out[row.id] = "missing"
    return out


def _group_key(row: AnalyticsPost, group_by: str, accounts: dict[uuid.UUID, str]) -> str | None:
    if group_by == "slot":
        if row.published_at is None:
            return None
        when = as_utc(row.published_at)
        return f"{when.strftime('%a')} {when.hour:02d}:00 UTC"
    if group_by == "account":
        return accounts.get(row.target_id)
    value = {
        "hook": row.hook,
        "template": row.template_id,
        "pack": row.pack_id,
        "sound": row.sound_name or row.sound_id,
        "variant": row.variant,
        "platform": row.platform,
    }[group_by]
    return str(value) if value is not None else None


def rank(
    session: Session,
    rows: Sequence[AnalyticsPost],
    *,
    group_by: str,
    metric: str,
    hours: int,
    now: datetime,
) -> dict[str, Any]:
    accounts = {t.id: label(t) for t in targets_by_id(session, {r.target_id for r in rows})}
    at_age = values_at_age(session, rows, hours, now)
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"values": [], "posts": [], "pending": 0, "missing": 0}
    )
    ungrouped = 0
    for row in rows:
        key = _group_key(row, group_by, accounts)
        if key is None:
            ungrouped += 1
            continue
        group = groups[key]
        found = at_age[row.id]
        if isinstance(found, str):
            group[found] += 1
            continue
        value = _metric_value(found, metric)
        if value is None:
            group["missing"] += 1
            continue
        group["values"].append(value)
        group["posts"].append(
            {
                "analyticsId": str(row.id),
                "genviralPostId": str(row.post_id) if row.post_id else None,
                "externalId": row.external_id,
                "value": value,
                "snapshotAt": isoformat(found.taken_at),
                "ageSeconds": found.age_seconds,
            }
        )
    ranked = []
    for key, group in groups.items():
        summary = stats(group["values"])
        ranked.append(
            {
                "key": key,
                **summary,
                "pending": group["pending"],
                "missing": group["missing"],
                "posts": group["posts"],
            }
        )
    ranked.sort(key=lambda g: (g["mean"] is None, -(g["mean"] or 0), g["key"]))
    for position, group in enumerate(ranked, 1):
        group["rank"] = position
    return {
        "groupBy": group_by,
        "metric": metric,
        "ageHours": hours,
        "groups": ranked,
        "ungroupedPosts": ungrouped,
        "verdict": verdict(ranked, metric, hours),
    }


def verdict(ranked: list[dict[str, Any]], metric: str, hours: int) -> dict[str, Any]:
    measured = [g for g in ranked if g["n"]]
    pending = sum(g["pending"] for g in ranked)
    if len(measured) < 2:
        return {
            "leader": measured[0]["key"] if measured else None,
            "decisive": False,
            "message": f"fewer than two groups have {metric} at {hours} h yet"
            + (f"; {pending} post(s) still pending" if pending else ""),
        }
    first, second = measured[0], measured[1]
    decisive = bool(
        first["ci95"] and second["ci95"] and first["ci95"]["low"] > second["ci95"]["high"]
    )
    if decisive:
        message = (
            f"{first['key']!r} beat {second['key']!r} on {metric} at {hours} h: mean "
            f"{first['mean']} (95% CI {first['ci95']['low']}–{first['ci95']['high']}, n="
            f"{first['n']}) against {second['mean']} (CI {second['ci95']['low']}–"
            f"{second['ci95']['high']}, n={second['n']})"
        )
    else:
        message = (
            f"{first['key']!r} leads on {metric} at {hours} h (mean {first['mean']} against "
            f"{second['mean']}) but the 95% intervals overlap: not yet a result"
            + (f"; {pending} post(s) still pending" if pending else "; post more of each")
        )
    return {"leader": first["key"], "decisive": decisive, "message": message}


def results(
    session: Session,
    caller: Caller,
    filters: query.Filters,
    now: datetime,
    *,
    group_by: str | None,
    metric: str | None,
    age: str | None,
    experiment_id: str | None,
) -> dict[str, Any]:
    """``GET /analytics/experiments``: our posts grouped and ranked."""
    experiment = _get(session, caller, experiment_id) if experiment_id else None
    group = query.choice("group_by", group_by, "variant" if experiment else "hook", GROUPS)
    chosen = query.choice("metric", metric, experiment.metric if experiment else "views", METRICS)
    hours = parse_age(age, experiment.age_hours if experiment else 48)
    stmt = (
        sa.select(AnalyticsPost)
        .join(AnalyticsTarget, AnalyticsTarget.id == AnalyticsPost.target_id)
        .where(visible(caller), AnalyticsPost.post_id.is_not(None))
    )
    if experiment is not None:
        experiment_rows(session, experiment)
        session.flush()
        stmt = stmt.where(AnalyticsPost.experiment_id == experiment.id)
    else:
        stmt = stmt.where(
            AnalyticsPost.published_at >= filters.period.start,
            AnalyticsPost.published_at < filters.period.end,
        )
    if filters.platforms:
        stmt = stmt.where(AnalyticsPost.platform.in_(filters.platforms))
    if filters.target_ids:
        stmt = stmt.where(AnalyticsPost.target_id.in_(filters.target_ids))
    rows = list(session.scalars(stmt))
    out = rank(session, rows, group_by=group, metric=chosen, hours=hours, now=now)
    out["experimentId"] = str(experiment.id) if experiment else None
    out["postCount"] = len(rows)
    return out


# -- declared experiments -----------------------------------------------------------------


def _get(session: Session, caller: Caller, experiment_id: object) -> Experiment:
    parsed = parse_id(experiment_id)
    row = (
        session.scalar(
            sa.select(Experiment).where(
                Experiment.id == parsed, Experiment.workspace_id == caller.workspace_id
            )
        )
        if parsed
        else None
    )
    if row is None:
        raise not_found("experiment", "experiment_not_found")
    return row


def _invalid_variant(where: str, rule: str) -> ApiError:
    return ApiError(
        "invalid_variant",
        f"{where}: {rule}",
        422,
        data={"errors": [{"field": where, "message": rule}]},
    )


def _variant_slideshow(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    variant: Variant,
    base_id: str | None,
    where: str,
) -> tuple[str, list[str], str | None]:
    """The variant's slideshow id, its rendered slide URLs and its hook."""
    from slideforge.slideshows import rendering
    from slideforge.slideshows import service as slideshows

    if variant.slideshow_id:
        row = slideshows.get_row(session, caller, variant.slideshow_id)
        urls = slideshows.rendered_urls(row.slides or [])
        if not urls or len(urls) != len(row.slides or []):
            raise ApiError(
                "slideshow_not_rendered",
                f"{where}.slideshow_id {row.id} is not rendered: POST /slideshows/{row.id}/"
                "render first",
                422,
            )
        return str(row.id), urls, hook_of(row.slides or [])
    hook = (variant.hook or "").strip()
    if not hook:
        raise _invalid_variant(where, "give slideshow_id, or hook (1–500 characters)")
    if not base_id:
        raise _invalid_variant(
            "slideshow_id", "hook variants need the base slideshow whose slide 1 they replace"
        )
    base = slideshows.get_row(session, caller, base_id)
    slides = [dict(s) for s in base.slides or []]
    first = slides[0] if slides else None
    elements = [dict(e) for e in (first or {}).get("text_elements") or []]
    if not elements:
        raise ApiError(
            "no_hook_slot",
            f"slideshow {base.id}'s slide 1 has no text element for the hook: add one first",
            422,
        )
    elements[0]["content"] = hook
    slides[0] = {**slides[0], "text_elements": elements}
    copy = slideshows.copy_slideshow(
        session,
        runtime,
        caller,
        base,
        title=f"{base.title} · {variant.name or hook[:40]}",
        slides=slides,
        source="experiment",
    )
    rendered = rendering.render_slideshow(session, runtime, caller, copy.id)
    urls = [s.rendered_image_url for s in rendered.slides if s.rendered_image_url]
    return str(copy.id), urls, hook


def create(
    session: Session, caller: Caller, body: ExperimentCreate, runtime: Runtime
) -> dict[str, Any]:
    from slideforge.posts import service as posts
    from slideforge.posts.schemas import PostInput

    now = runtime.clock.now()
    names: list[str] = []
    for i, variant in enumerate(body.variants):
        label = (variant.name or chr(ord("A") + i)).strip()
        if label in names:
            raise _invalid_variant(f"variants[{i}].name", f"{label!r} is used twice")
        names.append(label)
    start = now
    if body.start_at is not None:
        try:
            start = max(parse_timestamp(body.start_at), now)
        except ValueError:
            raise ApiError(
                "invalid_scheduled_at",
                f"start_at {body.start_at!r} is not an ISO 8601 time with its offset",
                422,
            ) from None
    selection = (
        body.account_selection.model_dump(exclude_none=True) if body.account_selection else {}
    )
    options = {
        name: value.model_dump(exclude_none=True)
        for name, value in (("tiktok", body.tiktok), ("pinterest", body.pinterest))
        if value is not None
    }
    experiment = Experiment(
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        name=body.name.strip(),
        status="scheduled",
        metric=body.metric,
        age_hours=body.age_hours,
        created_at=now,
        updated_at=now,
    )
    session.add(experiment)
    session.flush()
    experiment_id = experiment.id
    made = []
    for i, variant in enumerate(body.variants):
        slideshow_id, urls, hook = _variant_slideshow(
            session, runtime, caller, variant, body.slideshow_id, f"variants[{i}]"
        )
        made.append({"name": names[i], "slideshow_id": slideshow_id, "hook": hook, "urls": urls})
    planned = []
    for round_ in range(body.posts_per_variant):
        for i, variant_made in enumerate(made):
            when = start + timedelta(minutes=body.spacing_minutes * (round_ * len(made) + i))
            post_body = PostInput.model_validate(
                {
                    "caption": body.caption,
                    "media": {"type": "slideshow", "urls": variant_made["urls"]},
                    "account_selection": selection,
                    "scheduled_at": isoformat(when) if when > now else None,
                    "external_id": f"exp-{experiment_id}-{variant_made['name']}-{round_ + 1}"[:128],
                    **options,
                }
            )
            created = posts.create_post(session, runtime, caller, post_body, source="experiment")
            session.add(
                ExperimentPost(
                    post_id=created.id, experiment_id=experiment_id, variant=variant_made["name"]
                )
            )
            planned.append(
                {
                    "post_id": str(created.id),
                    "variant": variant_made["name"],
                    "scheduled_at": created.scheduled_at,
                    "accounts": created.accounts,
                }
            )
    experiment = session.get(Experiment, experiment_id)  # type: ignore[assignment]
    assert experiment is not None
    experiment.variants = [{k: v for k, v in m.items() if k != "urls"} for m in made]
    experiment.posts = planned
    session.flush()
    return experiment_out(session, experiment, now)


def _post_statuses(session: Session, experiment: Experiment) -> dict[uuid.UUID, str]:
    """The status of each post the experiment made."""
    post_ids = [uuid.UUID(p["post_id"]) for p in experiment.posts or []]
    if not post_ids:
        return {}
    return dict(session.execute(sa.select(Post.id, Post.status).where(Post.id.in_(post_ids))).all())


def experiment_rows(session: Session, experiment: Experiment) -> list[AnalyticsPost]:
    """The analytics rows of the experiment's posts, each marked with its variant (a row
    tracked before the experiment's request committed its variants is marked now)."""
    variants = dict(
        session.execute(
            sa.select(ExperimentPost.post_id, ExperimentPost.variant).where(
                ExperimentPost.experiment_id == experiment.id
            )
        ).all()
    )
    rows = list(
        session.scalars(sa.select(AnalyticsPost).where(AnalyticsPost.post_id.in_(variants)))
    )
    for row in rows:
        if row.experiment_id is None and row.post_id is not None:
            row.experiment_id, row.variant = experiment.id, variants[row.post_id]
    return rows


def experiment_out(session: Session, experiment: Experiment, now: datetime) -> dict[str, Any]:
    statuses = _post_statuses(session, experiment)
    rows = experiment_rows(session, experiment)
    result = rank(
        session,
        rows,
        group_by="variant",
        metric=experiment.metric,
        hours=experiment.age_hours,
        now=now,
    )
    open_posts = [s for s in statuses.values() if s in ("pending", "scheduled", "retry")]
    pending = sum(g["pending"] for g in result["groups"])
    status = experiment.status
    if status != "canceled":
        if open_posts:
            status = "scheduled"
        elif pending or len(rows) < len([s for s in statuses.values() if s == "posted"]):
            status = "measuring"
        else:
            status = "completed"
    if status != experiment.status:
        experiment.status = status
        if status == "completed":
            experiment.completed_at = now
            experiment.result = result
    accounts = {
        a.id: a.username
        for a in session.scalars(
            sa.select(Account).where(
                Account.id.in_({r.account_id for r in rows if r.account_id is not None})
            )
        )
    }
    return {
        "id": str(experiment.id),
        "name": experiment.name,
        "status": status,
        "metric": experiment.metric,
        "age_hours": experiment.age_hours,
        "variants": experiment.variants,
        "posts": [
            {**p, "status": statuses.get(uuid.UUID(p["post_id"]))} for p in experiment.posts or []
        ],
        "accounts_used": sorted(set(accounts.values())),
        "result": result,
        "winner": result["verdict"]["leader"] if result["verdict"]["decisive"] else None,
        "created_at": isoformat(experiment.created_at),
        "completed_at": isoformat(experiment.completed_at),
    }


def get(session: Session, caller: Caller, experiment_id: object, now: datetime) -> dict[str, Any]:
    return experiment_out(session, _get(session, caller, experiment_id), now)


def list_experiments(session: Session, caller: Caller, now: datetime) -> dict[str, Any]:
    rows = session.scalars(
        sa.select(Experiment)
        .where(Experiment.workspace_id == caller.workspace_id)
        .order_by(Experiment.created_at.desc())
        .limit(100)
    ).all()
    return {
        "experiments": [
            {
                "id": str(r.id),
                "name": r.name,
                "status": r.status,
                "metric": r.metric,
                "age_hours": r.age_hours,
                "variants": [v.get("name") for v in r.variants or []],
                "post_count": len(r.posts or []),
                "created_at": isoformat(r.created_at),
            }
            for r in rows
        ]
    }


def growth_points(
    session: Session,
    workspace_id: uuid.UUID,
    *,
    group_by: str,
    metric: str,
    experiment_id: uuid.UUID | None = None,
) -> list[Point]:
    """Our posts' scheduled snapshots as chart points: (group, milestone age, value)."""
    stmt = sa.select(AnalyticsPost).where(
        AnalyticsPost.workspace_id == workspace_id, AnalyticsPost.post_id.is_not(None)
    )
    if experiment_id is not None:
        stmt = stmt.where(AnalyticsPost.experiment_id == experiment_id)
    rows = {r.id: r for r in session.scalars(stmt)}
    accounts = {t.id: label(t) for t in targets_by_id(session, workspace_id=workspace_id)}
    hours = {name: after.total_seconds() / 3600 for name, after in MILESTONES.items()}
    points = []
    for snap in session.scalars(
        sa.select(MetricSnapshot).where(
            MetricSnapshot.analytics_post_id.in_(rows), MetricSnapshot.milestone.in_(hours)
        )
    ):
        row = rows[snap.analytics_post_id]
        key = _group_key(row, group_by, accounts)
        value = _metric_value(snap, metric)
        if key is not None and value is not None:
            points.append(Point(key, hours[snap.milestone], value))
    return points
