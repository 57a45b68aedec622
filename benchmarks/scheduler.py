"""Publish lag and throughput of the scheduler (``slideforge bench scheduler``).

For each database (SQLite, PostgreSQL) and each mode — ``embedded`` (the API process runs the
queues, as ``slideforge serve`` does), ``1`` or ``2`` (an API process without workers plus
that many ``slideforge worker`` processes) — with a TikTok API sandbox and one account per
post. Every post is created before the first one is due (the lead time adapts to how fast
this machine creates posts).

- lag: posts spread evenly over a window; lag = the sandbox's receipt of the platform call
  minus the post's scheduled_at (target: p99 under 2 s in embedded mode);
- burst: posts all due at the same second; posts per second = posts / (last call - due).

Prints a table and writes ``scheduler.png`` (lag distributions) to ``--out``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline

console = Console()


def create_posts(pipeline: _pipeline.Pipeline, dues: list[datetime], tag: str) -> float:
    """Create the posts; returns the seconds it took."""
    began = time.monotonic()
    with pipeline.client() as client:

        def create(i: int) -> None:
            response = client.post(
                "/posts",
                json={
                    "caption": f"{tag} {i}",
                    "media": {"type": "slideshow", "urls": [pipeline.slide_url]},
                    "accounts": [{"id": pipeline.accounts[i]}],
                    "scheduled_at": _pipeline.iso(dues[i]),
                    "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"},
                },
            )
            assert response.status_code == 201, response.text

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(len(dues))))
    return time.monotonic() - began


def creation_rate(pipeline: _pipeline.Pipeline) -> float:
    """Seconds per post on this machine now (a few probe posts, far in the future)."""
    probe = [datetime.now(UTC) + timedelta(days=30)] * 4
    seconds = create_posts(pipeline, probe, "probe")
    return seconds / len(probe)


def wait_calls(
    pipeline: _pipeline.Pipeline, tag: str, count: int, timeout: float
) -> dict[str, datetime]:
    """caption -> when the sandbox received the publish call."""
    deadline = time.monotonic() + timeout
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"waiting for {count} publishes", total=count)
        while True:
            calls = {
                p["post_info"].get("description", ""): _pipeline.parse(p["created_at"])
                for p in pipeline.sandbox.publishes()
                if p["post_info"].get("description", "").startswith(tag + " ")
            }
            progress.update(task, completed=len(calls))
            if len(calls) >= count or time.monotonic() > deadline:
                return calls
            time.sleep(0.5)


def run_case(database: str, mode: str, posts: int, window: float) -> dict[str, object]:
    pipeline = _pipeline.build(database)
    try:
        embedded = mode == "embedded"
        pipeline.start_api(workers=embedded)
        for _ in range(0 if embedded else int(mode)):
            pipeline.start_worker()
        pipeline.connect_accounts(posts * 2 + 4)
        pipeline.upload_slide()
        accounts = pipeline.accounts
        pipeline.accounts = accounts[-4:]
        # Beyond the 30 s "publish now" window, plus the time to create every post.
        lead = 40.0 + 2.0 * posts * creation_rate(pipeline)
        pipeline.accounts = accounts
        # Lag: spread over the window, starting once every post exists.
        start = datetime.now(UTC) + timedelta(seconds=lead)
        dues = [start + timedelta(seconds=window * i / posts) for i in range(posts)]
        took = create_posts(pipeline, dues, "lag")
        if took > lead:
            console.print(
                f"[yellow]creating took {took:.0f} s, over the {lead:.0f} s lead[/yellow]"
            )
        calls = wait_calls(
            pipeline, "lag", posts, (dues[-1] - datetime.now(UTC)).total_seconds() + 120
        )
        lags = [
            (calls[f"lag {i}"] - dues[i]).total_seconds()
            for i in range(posts)
            if f"lag {i}" in calls
        ]
        # Burst: every post due at the same second, on other accounts.
        due = datetime.now(UTC) + timedelta(seconds=lead)
        burst_accounts = pipeline.accounts
        pipeline.accounts = burst_accounts[posts:]
        create_posts(pipeline, [due] * posts, "burst")
        pipeline.accounts = burst_accounts
        burst = wait_calls(pipeline, "burst", posts, 60 + 180)
        last = max(burst.values()) if burst else due
        rate = len(burst) / max((last - due).total_seconds(), 1e-3)
        return {
            "database": database,
            "mode": mode,
            "lead_s": round(lead),
            "posts": posts,
            "published": len(lags),
            "lag_p50": _pipeline.percentile(lags, 0.5),
            "lag_p99": _pipeline.percentile(lags, 0.99),
            "lag_max": max(lags) if lags else float("nan"),
            "burst_posts_per_s": rate,
            "burst_published": len(burst),
            "lags": lags,
        }
    finally:
        pipeline.stop()


def chart(results: list[dict[str, object]], out: Path) -> None:
    width, height, pad = 900, 120 + 90 * len(results), 20
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (pad, pad),
        "Publish lag (s): scheduled_at -> platform call, each dot one post",
        fill="black",
    )
    top = 60
    all_lags = [lag for r in results for lag in r["lags"]]  # type: ignore[attr-defined]
    limit = max(2.5, max(all_lags, default=2.5))
    scale = (width - 260) / limit
    for row, result in enumerate(results):
        y = top + row * 90
        draw.text((pad, y + 25), f"{result['database']}, {result['mode']}", fill="black")
        x0 = 220
        draw.line((x0, y + 40, width - pad, y + 40), fill=(200, 200, 200))
        for lag in result["lags"]:  # type: ignore[attr-defined]
            x = x0 + lag * scale
            draw.ellipse((x - 2, y + 36, x + 2, y + 44), fill=(40, 110, 200))
        p99 = x0 + float(result["lag_p99"]) * scale  # type: ignore[arg-type]
        draw.line((p99, y + 20, p99, y + 60), fill=(220, 40, 40), width=2)
        draw.text((p99 + 4, y + 10), f"p99 {float(result['lag_p99']):.2f}s", fill=(220, 40, 40))  # type: ignore[arg-type]
    two = 220 + 2.0 * scale
    draw.line((two, top - 10, two, height - pad), fill=(0, 150, 0))
    draw.text((two + 4, top - 20), "2 s target", fill=(0, 150, 0))
    image.save(out / "scheduler.png")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench scheduler", description=__doc__)
    parser.add_argument("--posts", type=int, default=60, help="posts per phase (default 60)")
    parser.add_argument("--window", type=float, default=60.0, help="lag phase spread, seconds")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--modes", default="embedded,1,2", help="embedded and/or numbers of worker processes"
    )
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for database in args.databases.split(","):
        for mode in args.modes.split(","):
            console.print(f"[bold]{database}, {mode}[/bold]")
            results.append(run_case(database, mode, args.posts, args.window))
    table = Table(
        "database", "mode", "published", "lag p50 s", "lag p99 s", "lag max s", "burst posts/s"
    )
    for r in results:
        table.add_row(
            str(r["database"]),
            str(r["mode"]),
            f"{r['published']}/{r['posts']}",
            f"{r['lag_p50']:.3f}",
            f"{r['lag_p99']:.3f}",
            f"{r['lag_max']:.3f}",
            f"{r['burst_posts_per_s']:.1f} ({r['burst_published']}/{r['posts']})",
        )
    console.print(table)
    chart(results, args.out)
    (args.out / "scheduler.json").write_text(
        json.dumps([{k: v for k, v in r.items() if k != "lags"} for r in results], indent=2)
    )
    console.print(f"chart: {args.out / 'scheduler.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
