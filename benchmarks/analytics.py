"""Analytics benchmark (``slideforge bench analytics``): refreshing tracked accounts, and the
API latency of the summary over many snapshots.

    slideforge bench analytics [--accounts 100] [--posts 30] [--database sqlite|postgres]
                               [--summary-posts 2000] [--snapshots 5] [--requests 200]

A slideforge server (``slideforge serve``: the API and its DBOS workers in one process, on a
fresh SQLite file by default) runs as a child process; the TikTok web sandbox runs on
loopback in this process.

1. Refresh. ``--accounts`` public TikTok profiles, each with ``--posts`` posts (spread over
   the last two months), are added to the web sandbox. Tracking other people's accounts is
   what ``/analytics/targets`` is for (our own posts are read by the snapshot sweep), and a
   public profile is the heavier path: a profile page plus the item list, parsed from
   TikTok's page JSON, through SafeHttp. Each profile is tracked with
   ``POST /analytics/targets``, four requests at a time (its initial refresh reads it at
   once); ``GET
   /analytics/refreshes/{id}`` is polled until every refresh has ended. Then a second round:
   ``POST /analytics/targets/{id}/refresh`` on every target (known posts are updated and
   snapshotted again). Per round: the wall time from the first request to the last refresh
   seen completed, each refresh's latency (completed_at - created_at, queue wait included;
   and its run time, completed_at - started_at), and posts stored per second. The data is
   checked: every refresh completed with ``--posts`` posts read, ``GET
   /analytics/summary/posts`` counts accounts x posts rows, and the database holds one
   snapshot per post per round.
2. Summary latency. Another workspace gets ``--accounts`` targets and ``--summary-posts``
   posts with ``--snapshots`` metric snapshots each (10,000 by default), published over the
   last 90 days, written straight to the database (what the refreshes and sweeps would have
   stored). ``GET /analytics/summary`` (range 30d, 90d, 90d for 10 accounts) and ``GET
   /analytics/summary/posts?sortBy=views`` are then called ``--requests`` times each, one at a
   time, after a warm-up; p50/p95/p99 in ms.

Prints a table, writes ``analytics.png`` (latency distributions) and ``analytics.json`` to
``--out``."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_web import TikTokWebSandbox
from platform_sandbox.tiktok_web import create_app as tiktok_web_app

console = Console()
COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
CLIENTS = 4  # requests in flight while starting the refreshes
HASHTAGS = ("skincare", "morningroutine", "budget", "studytips", "fitness", "travel", "recipes")


# --------------------------------------------------------------------------- refresh


def seed_profiles(sandbox: TikTokWebSandbox, accounts: int, posts: int, seed: int) -> list[str]:
    """Public profiles with ``posts`` posts each, one every two days or so, newest today."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    handles = []
    for i in range(accounts):
        handle = f"rival_{i:03d}"
        sandbox.add_profile(handle, followers=rng.randint(2_000, 400_000))
        for j in range(posts):
            sandbox.add_video_post(
                author=handle,
                caption=f"hook {j} of @{handle}",
                hashtags=[rng.choice(HASHTAGS)],
                music={"id": f"{700 + j % 13}", "title": f"sound {j % 13}", "author": "dj"},
                created_at=now - timedelta(days=2 * j, hours=rng.uniform(1, 20)),
            )
        handles.append(handle)
    return handles


def wait_refreshes(
    client: httpx.Client, refresh_ids: list[str], label: str, timeout: float
) -> tuple[dict[str, dict[str, Any]], float]:
    """Each refresh's final state, and the monotonic time the last one was seen ended."""
    done: dict[str, dict[str, Any]] = {}
    last_seen = time.monotonic()
    deadline = last_seen + timeout
    with Progress(*COLUMNS, console=console, transient=True) as progress:
        task = progress.add_task(f"{label}: refreshes ended", total=len(refresh_ids))
        while len(done) < len(refresh_ids) and time.monotonic() < deadline:
            for refresh_id in refresh_ids:
                if refresh_id in done:
                    continue
                response = client.get(f"/analytics/refreshes/{refresh_id}")
                response.raise_for_status()
                row = response.json()["data"]
                if row["status"] in ("completed", "failed"):
                    done[refresh_id] = row
                    last_seen = time.monotonic()
            progress.update(task, completed=len(done))
            time.sleep(0.2)
    return done, last_seen


def refresh_round(
    client: httpx.Client, label: str, start: Any, items: list[str], posts: int
) -> dict[str, Any]:
    """Start one refresh per item with ``start(item) -> refresh id`` (``CLIENTS`` requests at
    a time, as a dashboard or an agent's script would); time them to the end."""
    request_ms: list[float] = []

    def timed(item: str) -> str:
        at = time.perf_counter()
        refresh_id = start(item)
        request_ms.append(1000 * (time.perf_counter() - at))
        progress.advance(task)
        return refresh_id

    began = time.monotonic()
    with (
        Progress(*COLUMNS, console=console, transient=True) as progress,
        ThreadPoolExecutor(CLIENTS) as pool,
    ):
        task = progress.add_task(f"{label}: requests", total=len(items))
        refresh_ids = list(pool.map(timed, items))
    requested = time.monotonic() - began
    done, last_seen = wait_refreshes(client, refresh_ids, label, timeout=600)
    wall = last_seen - began
    rows = list(done.values())
    completed = [r for r in rows if r["status"] == "completed"]
    latencies = [
        (_pipeline.parse(r["completed_at"]) - _pipeline.parse(r["created_at"])).total_seconds()
        for r in rows
    ]
    run_times = [
        (_pipeline.parse(r["completed_at"]) - _pipeline.parse(r["started_at"])).total_seconds()
        for r in rows
        if r["started_at"]
    ]
    stored = sum(int(r["posts_read"]) for r in completed)
    server_wall = (
        max(_pipeline.parse(r["completed_at"]) for r in rows)
        - min(_pipeline.parse(r["created_at"]) for r in rows)
    ).total_seconds()
    return {
        "round": label,
        "refreshes": len(items),
        "ended": len(rows),
        "completed": len(completed),
        "wrong_post_counts": sum(1 for r in completed if r["posts_read"] != posts),
        "errors": sorted({str(r["error"]) for r in rows if r["status"] == "failed"})[:3],
        "requests_s": requested,
        "request_p50_ms": _pipeline.percentile(request_ms, 0.5),
        "request_p99_ms": _pipeline.percentile(request_ms, 0.99),
        "wall_s": wall,
        "server_wall_s": server_wall,
        "latency_p50_s": _pipeline.percentile(latencies, 0.5),
        "latency_p99_s": _pipeline.percentile(latencies, 0.99),
        "run_p50_s": _pipeline.percentile(run_times, 0.5),
        "run_p99_s": _pipeline.percentile(run_times, 0.99),
        "posts_stored": stored,
        "posts_per_s": stored / wall if wall > 0 else float("nan"),
        "latencies": latencies,
    }


def count_rows(pipeline: _pipeline.Pipeline, workspace_key: str) -> dict[str, int]:
    """Analytics rows of the key's workspace, counted in the database."""
    import sqlalchemy as sa

    from slideforge.auth import service as auth
    from slideforge.models import AnalyticsPost, MetricSnapshot

    with pipeline.runtime.db.session() as session:
        caller = auth.authenticate(session, f"Bearer {workspace_key}", datetime.now(UTC))
        counts = {}
        for name, model in (("posts", AnalyticsPost), ("snapshots", MetricSnapshot)):
            counts[name] = int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(model)
                    .where(model.workspace_id == caller.workspace_id)
                )
                or 0
            )
        return counts


def run_refresh(
    pipeline: _pipeline.Pipeline, sandbox: TikTokWebSandbox, args: argparse.Namespace
) -> dict[str, Any]:
    with console.status(f"seeding {args.accounts} profiles x {args.posts} posts"):
        handles = seed_profiles(sandbox, args.accounts, args.posts, args.seed)
    targets: dict[str, str] = {}
    with pipeline.client() as client:

        def track(handle: str) -> str:
            response = client.post(
                "/analytics/targets", json={"platform": "tiktok", "identifier": f"@{handle}"}
            )
            assert response.status_code == 201, response.text
            target = response.json()["data"]["target"]
            targets[handle] = target["id"]
            return str(target["last_refresh"]["id"])

        def refresh(handle: str) -> str:
            response = client.post(f"/analytics/targets/{targets[handle]}/refresh")
            assert response.status_code == 200, response.text
            return str(response.json()["data"]["refresh"]["id"])

        initial = refresh_round(client, "initial (track)", track, handles, args.posts)
        after_initial = count_rows(pipeline, pipeline.key)
        manual = refresh_round(client, "manual refresh", refresh, handles, args.posts)
        after_manual = count_rows(pipeline, pipeline.key)
        listed = client.get("/analytics/summary/posts", params={"range": "90d", "limit": 1})
        listed.raise_for_status()
        total_count = int(listed.json()["data"]["totalCount"])
    expected = args.accounts * args.posts
    checks = {
        "expected_posts": expected,
        "summary_posts_total_count": total_count,
        "db_posts": after_manual["posts"],
        "db_snapshots_after_initial": after_initial["snapshots"],
        "db_snapshots_after_manual": after_manual["snapshots"],
    }
    checks["ok"] = (
        total_count == expected
        and after_manual["posts"] == expected
        and after_initial["snapshots"] == expected
        and after_manual["snapshots"] == 2 * expected
        and all(
            r["completed"] == args.accounts and r["wrong_post_counts"] == 0
            for r in (initial, manual)
        )
    )
    return {"rounds": [initial, manual], "checks": checks}


# --------------------------------------------------------------------------- summary


SNAPSHOT_AGES = (1.0, 24.0, 48.0, 7 * 24.0, 30 * 24.0)  # hours: the scheduled milestones
MILESTONE_OF = dict(zip(SNAPSHOT_AGES, ("1h", "24h", "48h", "7d", "30d"), strict=True))


def seed_summary_workspace(
    pipeline: _pipeline.Pipeline, args: argparse.Namespace
) -> tuple[str, list[str], int]:
    """A workspace with its key, ``accounts`` targets, ``summary_posts`` posts published over
    90 days with ``snapshots`` snapshots each (the milestones passed by now, and on-demand
    ones for younger posts). Returns the key, the target ids, the snapshot count."""
    import sqlalchemy as sa

    from slideforge.auth import service as auth
    from slideforge.models import AnalyticsPost, AnalyticsTarget, MetricSnapshot

    rng = random.Random(args.seed + 1)
    now = datetime.now(UTC)
    with pipeline.runtime.db.session() as session:
        workspace = auth.create_workspace(session, f"bench-summary-{uuid.uuid4().hex[:6]}")
        _, key = auth.create_key(session, workspace)
        workspace_id = workspace.id
        target_ids = [uuid.uuid4() for _ in range(args.accounts)]
        session.execute(
            sa.insert(AnalyticsTarget),
            [
                {
                    "id": target_id,
                    "workspace_id": workspace_id,
                    "scope_key": "workspace",
                    "platform": "tiktok",
                    "identifier": f"@seeded_{i:03d}",
                    "normalized_identifier": f"seeded_{i:03d}",
                    "created_at": now - timedelta(days=91),
                    "updated_at": now,
                }
                for i, target_id in enumerate(target_ids)
            ],
        )
        posts, snapshots = [], []
        # Oldest first: a post 90 days old has all its milestones, a post an hour old one.
        for i in range(args.summary_posts):
            age = timedelta(days=90) * (args.summary_posts - i) / args.summary_posts
            age -= timedelta(minutes=rng.uniform(0, 30))  # within the 90 days
            published = now - age
            post_id = uuid.uuid4()
            final = int(rng.lognormvariate(8.5, 1.4))
            counters: dict[str, int] = {}
            # The milestones passed by now; a young post's other snapshots are on-demand
            # refreshes taken since it was published.
            ages = [h for h in SNAPSHOT_AGES[: args.snapshots] if timedelta(hours=h) <= age]
            hours_old = age.total_seconds() / 3600
            while len(ages) < args.snapshots:
                ages.append(rng.uniform(0.1, hours_old))
            ages.sort()
            for hours in ages:
                grown = min(1.0, (hours / (30 * 24.0)) ** 0.35)
                views = max(1, int(final * grown))
                counters = {
                    "views": views,
                    "likes": int(views * rng.uniform(0.02, 0.12)),
                    "comments": int(views * rng.uniform(0.001, 0.01)),
                    "shares": int(views * rng.uniform(0.001, 0.02)),
                    "saves": int(views * rng.uniform(0.002, 0.03)),
                }
                snapshots.append(
                    {
                        "workspace_id": workspace_id,
                        "analytics_post_id": post_id,
                        "taken_at": published + timedelta(hours=hours),
                        "age_seconds": int(hours * 3600),
                        "milestone": MILESTONE_OF.get(hours, "refresh"),
                        **counters,
                    }
                )
            posts.append(
                {
                    "id": post_id,
                    "workspace_id": workspace_id,
                    "target_id": target_ids[i % len(target_ids)],
                    "platform": "tiktok",
                    "platform_post_id": str(7_500_000_000_000_000_000 + i),
                    "link_state": "observed",
                    "caption": f"seeded hook {i} #{HASHTAGS[i % len(HASHTAGS)]}",
                    "author": f"seeded_{i % len(target_ids):03d}",
                    "published_at": published,
                    "media_type": "photo" if i % 3 else "video",
                    "hashtags": [HASHTAGS[i % len(HASHTAGS)]],
                    "metrics_at": published + timedelta(hours=ages[-1]) if ages else None,
                    "created_at": published,
                    **counters,
                }
            )
        session.execute(sa.insert(AnalyticsPost), posts)
        session.execute(sa.insert(MetricSnapshot), snapshots)
        session.commit()
    return key, [str(t) for t in target_ids], len(snapshots)


def time_requests(
    client: httpx.Client, path: str, params: dict[str, Any], count: int, warmup: int
) -> list[float]:
    for _ in range(warmup):
        client.get(path, params=params).raise_for_status()
    took = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, params=params)
        took.append(1000 * (time.perf_counter() - start))
        assert response.status_code == 200, response.text
    return took


def run_summary(pipeline: _pipeline.Pipeline, args: argparse.Namespace) -> dict[str, Any]:
    with console.status(
        f"seeding {args.summary_posts} posts x {args.snapshots} snapshots over 90 days"
    ):
        key, target_ids, snapshot_count = seed_summary_workspace(pipeline, args)
    ten = ",".join(target_ids[:10])
    cases = [
        ("summary 30d", "/analytics/summary", {"range": "30d"}),
        ("summary 90d", "/analytics/summary", {"range": "90d"}),
        ("summary 90d, 10 accounts", "/analytics/summary", {"range": "90d", "accounts": ten}),
        (
            "summary/posts 90d sortBy=views",
            "/analytics/summary/posts",
            {"range": "90d", "sortBy": "views", "limit": 50},
        ),
    ]
    results = []
    with (
        httpx.Client(
            base_url=pipeline.base + _pipeline.API,
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client,
        Progress(*COLUMNS, console=console, transient=True) as progress,
    ):
        kpis = client.get("/analytics/summary", params={"range": "90d"}).json()["data"]["kpis"]
        for label, path, params in cases:
            task = progress.add_task(label, total=1)
            took = time_requests(client, path, params, args.requests, args.warmup)
            progress.update(task, completed=1)
            results.append(
                {
                    "case": label,
                    "requests": len(took),
                    "p50_ms": _pipeline.percentile(took, 0.5),
                    "p95_ms": _pipeline.percentile(took, 0.95),
                    "p99_ms": _pipeline.percentile(took, 0.99),
                    "max_ms": max(took),
                    "latencies": took,
                }
            )
    return {
        "accounts": args.accounts,
        "posts": args.summary_posts,
        "snapshots": snapshot_count,
        "published_videos_90d": kpis["publishedVideos"]["value"],
        "cases": results,
    }


# --------------------------------------------------------------------------- output


def _strip(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != key} for r in rows]


def chart(refresh: dict[str, Any] | None, summary: dict[str, Any] | None, out: Path) -> None:
    """Two panels of strips, one dot per sample, p50 and p99 marked: refresh latency (s)
    per round, API latency (ms) per case."""
    panels: list[tuple[str, str, list[tuple[str, list[float]]]]] = []
    if refresh:
        panels.append(
            (
                "Refresh latency (s): request -> completed, one dot per tracked account",
                "s",
                [(r["round"], r["latencies"]) for r in refresh["rounds"]],
            )
        )
    if summary:
        panels.append(
            (
                f"API latency (ms) over {summary['snapshots']:,} snapshots "
                f"({summary['posts']:,} posts), one dot per request",
                "ms",
                [(c["case"], c["latencies"]) for c in summary["cases"]],
            )
        )
    width, row_h, pad, label_w = 1000, 70, 20, 250
    height = pad + sum(50 + row_h * len(rows) for _, _, rows in panels) + pad
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    y = pad
    for title, unit, rows in panels:
        draw.text((pad, y), title, fill="black")
        y += 30
        limit = max((max(v) for _, v in rows if v), default=1.0) * 1.05
        scale = (width - label_w - pad - 60) / limit
        x0 = label_w
        for name, values in rows:
            mid = y + row_h // 2
            draw.text((pad, mid - 6), name, fill="black")
            draw.line((x0, mid, width - pad - 60, mid), fill=(210, 210, 210))
            rng = random.Random(name)
            for value in values:
                x = x0 + value * scale
                jitter = rng.uniform(-10, 10)
                draw.ellipse(
                    (x - 2, mid + jitter - 2, x + 2, mid + jitter + 2), fill=(40, 110, 200)
                )
            for q, color in ((0.5, (0, 140, 0)), (0.99, (220, 40, 40))):
                value = _pipeline.percentile(values, q)
                x = x0 + value * scale
                draw.line((x, mid - 20, x, mid + 20), fill=color, width=2)
                name_q = "p50" if q == 0.5 else "p99"
                text = f"{name_q} {value:.0f}{unit}" if unit == "ms" else f"{name_q} {value:.2f}s"
                draw.text((x + 3, mid + (-32 if q == 0.5 else 20)), text, fill=color)
            y += row_h
        # axis: zero and the limit
        draw.text((x0, y), f"0 {unit}", fill=(120, 120, 120))
        end = f"{limit:.0f} {unit}" if unit == "ms" else f"{limit:.1f} {unit}"
        draw.text((width - pad - 90, y), end, fill=(120, 120, 120))
        y += 20
    image.save(out / "analytics.png")


def print_tables(refresh: dict[str, Any] | None, summary: dict[str, Any] | None) -> None:
    if refresh:
        table = Table(
            "round",
            "completed",
            "requests s (each p50 / p99 ms)",
            "wall s",
            "latency p50 / p99 s",
            "run p50 / p99 s",
            "posts stored",
            "posts/s",
            title=(
                "Refreshing tracked public TikTok profiles (web sandbox, HTTP; "
                f"{CLIENTS} requests in flight)"
            ),
        )
        for r in refresh["rounds"]:
            table.add_row(
                r["round"],
                f"{r['completed']}/{r['refreshes']}",
                f"{r['requests_s']:.1f} ({r['request_p50_ms']:.0f} / {r['request_p99_ms']:.0f})",
                f"{r['wall_s']:.1f}",
                f"{r['latency_p50_s']:.2f} / {r['latency_p99_s']:.2f}",
                f"{r['run_p50_s']:.2f} / {r['run_p99_s']:.2f}",
                str(r["posts_stored"]),
                f"{r['posts_per_s']:.0f}",
            )
        console.print(table)
        checks = refresh["checks"]
        style = "green" if checks["ok"] else "red"
        console.print(
            f"[{style}]check: {checks['summary_posts_total_count']} posts listed by "
            f"/analytics/summary/posts, {checks['db_posts']} in the database (expected "
            f"{checks['expected_posts']}); snapshots {checks['db_snapshots_after_initial']} "
            f"after the first round, {checks['db_snapshots_after_manual']} after the second"
            f"[/{style}]"
        )
        for r in refresh["rounds"]:
            if r["errors"]:
                console.print(f"[red]{r['round']} errors: {r['errors']}[/red]")
    if summary:
        table = Table(
            "call",
            "requests",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            title=(
                f"GET over HTTP, one at a time: {summary['posts']:,} posts, "
                f"{summary['snapshots']:,} snapshots, {summary['accounts']} tracked accounts"
            ),
        )
        for c in summary["cases"]:
            table.add_row(
                c["case"],
                str(c["requests"]),
                f"{c['p50_ms']:.1f}",
                f"{c['p95_ms']:.1f}",
                f"{c['p99_ms']:.1f}",
                f"{c['max_ms']:.1f}",
            )
        console.print(table)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench analytics", description=__doc__)
    parser.add_argument("--accounts", type=int, default=100, help="tracked accounts (100)")
    parser.add_argument("--posts", type=int, default=30, help="posts per account (30)")
    parser.add_argument("--summary-posts", type=int, default=2000, help="seeded posts (2000)")
    parser.add_argument("--snapshots", type=int, default=5, help="snapshots per post (5)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per call")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per call")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--only", choices=("refresh", "summary"), default=None)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    args = parser.parse_args(argv)
    if not 1 <= args.posts <= 100:
        parser.error("--posts: a refresh reads at most 100 posts")
    if not 1 <= args.snapshots <= len(SNAPSHOT_AGES):
        parser.error(f"--snapshots: 1 to {len(SNAPSHOT_AGES)} (the milestones)")
    args.out.mkdir(parents=True, exist_ok=True)
    pipeline = _pipeline.build(args.database)
    sandbox = TikTokWebSandbox()
    site: RunningServer = serve_in_thread(tiktok_web_app(sandbox))
    pipeline.env.update(
        {
            "SLIDEFORGE_TIKTOK_WEB_BASE_URL": site.base_url,
            "SLIDEFORGE_TIKTOK_SHORT_LINK_BASE_URL": site.base_url,
            "SLIDEFORGE_SSRF_ALLOW": "127.0.0.1",
            "SLIDEFORGE_ANALYTICS_REFRESH_POSTS": str(args.posts),
            # The second round refreshes again at once (the default waits a minute).
            "SLIDEFORGE_ANALYTICS_REFRESH_COOLDOWN_SECONDS": "0",
        }
    )
    refresh = summary = None
    load_before = os.getloadavg()[0]
    try:
        console.print(
            f"[bold]slideforge serve (API + workers), {args.database}; TikTok web sandbox "
            f"at {site.base_url}[/bold]"
        )
        pipeline.start_api(workers=True)
        pipeline.connect_accounts(0)  # the workspace and its key
        if args.only in (None, "refresh"):
            refresh = run_refresh(pipeline, sandbox, args)
        if args.only in (None, "summary"):
            summary = run_summary(pipeline, args)
    finally:
        pipeline.stop()
        site.stop()
    load_after = os.getloadavg()[0]
    print_tables(refresh, summary)
    console.print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.2f} before, "
        f"{load_after:.2f} after (the server, its workers, the sandbox and this client share them)"
    )
    chart(refresh, summary, args.out)
    figures: dict[str, Any] = {
        "database": args.database,
        "cores": os.cpu_count(),
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
    }
    if refresh:
        figures["refresh"] = {
            "accounts": args.accounts,
            "posts_per_account": args.posts,
            "source": "public TikTok profiles on the TikTok web sandbox",
            "rounds": _strip(refresh["rounds"], "latencies"),
            "checks": refresh["checks"],
        }
    if summary:
        figures["summary"] = {**summary, "cases": _strip(summary["cases"], "latencies")}
    (args.out / "analytics.json").write_text(json.dumps(figures, indent=2))
    console.print(f"chart: {args.out / 'analytics.png'}, figures: {args.out / 'analytics.json'}")
    return 0 if refresh is None or refresh["checks"]["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
