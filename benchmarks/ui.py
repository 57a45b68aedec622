"""Dashboard page latency with a busy month (``slideforge bench ui``).

    slideforge bench ui [--posts 1000] [--accounts 30] [--slideshows 200]
                        [--requests 200] [--warmup 10] [--database sqlite,postgres]

For each database (a fresh SQLite file; a fresh PostgreSQL database on the server of
``SLIDEFORGE_TEST_POSTGRES_URL``), the bulk loader of ``slideforge bench api``
(``benchmarks/api.py``: the rows ``posts.service.create_post`` and the publish path write,
inserted in bulk) fills one workspace with ``--posts`` posts due over the current month (UTC):
the days behind us posted (some failed, a few deleted), the days ahead scheduled, each on one
to three of ``--accounts`` accounts, and ``--slideshows`` slideshows. A second workspace is
there too.

Then ``slideforge serve --no-workers`` is started (``api.start_server``), a client signs in
through the sign-in form as a browser does (cookie session), and each page is requested
``--requests`` times in a row after ``--warmup`` requests: ``/app/calendar?view=month`` (the
month with every post), ``/app/calendar?view=week`` (this week), and ``/app/slideshows`` and
``/app/accounts`` when this build has them (skipped with a note when they answer 404).
Printed per page: p50, p95 and the slowest request (ms), the page's size, and p95 against the
200 ms target. Writes ``ui.png`` (p50/p95 per page and database) and ``ui.json`` to ``--out``."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline
import api as api_bench

from platform_sandbox.server import free_port

console = Console(width=150)
TARGET_P95_MS = 200.0
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
PAGES = {
    "calendar month": "/app/calendar?view=month",
    "calendar week": "/app/calendar?view=week",
    "slideshows": "/app/slideshows",
    "accounts": "/app/accounts",
}


def this_month(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, (start + timedelta(days=32)).replace(day=1)


def sign_in(base: str, key: str) -> httpx.Client:
    """A client holding the dashboard's session cookie, signed in through the form."""
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    form = client.get("/app/sign-in")
    token = FORM_TOKEN.search(form.text)
    if form.status_code != 200 or not token:
        raise SystemExit(f"/app/sign-in answered {form.status_code} without its form")
    answer = client.post(
        "/app/sign-in", data={"api_key": key, "form_token": token.group(1), "next": ""}
    )
    if answer.status_code != 303:
        raise SystemExit(f"signing in answered {answer.status_code}: {answer.text[:300]}")
    return client


def measure(client: httpx.Client, path: str, requests: int, warmup: int) -> dict[str, Any] | None:
    """Sequential GETs of ``path``: None when the page is not in this build (404)."""
    first = client.get(path)
    if first.status_code == 404:
        return None
    if first.status_code != 200:
        raise SystemExit(f"{path} answered {first.status_code}: {first.text[:300]}")
    for _ in range(warmup):
        client.get(path)
    times = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
        size = len(response.content)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "p50": statistics.median(times),
        "p95": cuts[94],
        "max": max(times),
        "bytes": size,
        "cards": first.text.count('<article class="post'),
    }


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = (
        Path(os.environ.get("TMPDIR", "/tmp")) / f"slideforge-bench-ui-{uuid.uuid4().hex[:8]}"
    )
    data_dir.mkdir(parents=True)
    args.data_dir = str(data_dir)
    if database == "postgres":
        database_url = _pipeline.postgres_url(f"slideforge_bench_ui_{uuid.uuid4().hex[:8]}")
    else:
        database_url = f"sqlite:///{data_dir / 'slideforge.sqlite'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    month = this_month(datetime.now(UTC))
    console.rule(f"{database}: loading {args.posts:,} posts due in {month[0]:%B %Y}")
    loaded = api_bench.load(database_url, args, base, name="bench-ui", due_between=month)
    server = api_bench.start_server(database_url, data_dir, port)
    rows = []
    try:
        client = sign_in(base, loaded["key"])
        for name, path in PAGES.items():
            result = measure(client, path, args.requests, args.warmup)
            if result is None:
                console.print(
                    f"{database:<8} {name:<15} skipped: {path} is not in this build (404)"
                )
                continue
            result["page"] = name
            rows.append(result)
            shown = f"  {result['cards']} posts shown" if name.startswith("calendar") else ""
            console.print(
                f"{database:<8} {name:<15} p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms"
                f"  max {result['max']:6.1f} ms  {result['bytes'] / 1024:6.0f} KiB{shown}"
            )
        client.close()
    finally:
        server.terminate()
        server.wait(15)
    return {"database": database, "rows": rows}


def chart(results: list[dict[str, Any]], out: Path) -> None:
    from PIL import Image, ImageDraw

    names = list(dict.fromkeys(row["page"] for result in results for row in result["rows"]))
    width, left, top, bar = 1000, 170, 70, 12
    height = top + 50 + (len(results) * (bar * 2 + 6) + 20) * len(names)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (20, 15),
        "slideforge bench ui: dashboard page latency (ms), p50 dark, p95 light",
        fill="black",
    )
    worst = max(
        [TARGET_P95_MS * 1.2] + [row["p95"] for result in results for row in result["rows"]]
    )
    scale = (width - left - 200) / worst
    colours = {
        "sqlite": ((120, 170, 230), (30, 90, 180)),
        "postgres": ((150, 210, 150), (40, 140, 60)),
    }
    step = len(results) * (bar * 2 + 6) + 20
    for i, name in enumerate(names):
        y = top + i * step
        draw.text((20, y + 4), name, fill="black")
        for j, result in enumerate(results):
            row = next((r for r in result["rows"] if r["page"] == name), None)
            if row is None:
                continue
            light, dark = colours.get(result["database"], ((200, 200, 200), (90, 90, 90)))
            yy = y + j * (bar * 2 + 6)
            draw.rectangle((left, yy, left + row["p95"] * scale, yy + bar), fill=light)
            draw.rectangle((left, yy, left + row["p50"] * scale, yy + bar), fill=dark)
            draw.text(
                (left + row["p95"] * scale + 6, yy),
                f"{result['database']} p50 {row['p50']:.0f} p95 {row['p95']:.0f}",
                fill="black",
            )
    x = left + TARGET_P95_MS * scale
    draw.line((x, top - 10, x, height - 20), fill=(200, 40, 40), width=2)
    draw.text((x + 4, top - 25), f"target p95 {TARGET_P95_MS:.0f} ms", fill=(200, 40, 40))
    image.save(out / "ui.png")


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    table = Table(
        title=f"{args.requests} sequential GETs per page, {args.posts:,} posts in the month"
    )
    for column in ("database", "page", "p50 ms", "p95 ms", "max ms", "KiB", "p95 / 200 ms"):
        table.add_column(column, justify="left" if column in ("database", "page") else "right")
    for result in results:
        for row in result["rows"]:
            table.add_row(
                result["database"],
                row["page"],
                f"{row['p50']:.1f}",
                f"{row['p95']:.1f}",
                f"{row['max']:.1f}",
                f"{row['bytes'] / 1024:.0f}",
                f"{row['p95'] / TARGET_P95_MS:.2f}",
            )
    console.print(table)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench ui")
    parser.add_argument("--posts", type=int, default=1_000)
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--slideshows", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--database", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = [run_database(db, args) for db in args.database.split(",") if db]
    report(results, args)
    chart(results, args.out)
    (args.out / "ui.json").write_text(json.dumps(results, indent=2))
    console.print(f"wrote {args.out / 'ui.png'} and {args.out / 'ui.json'}")
    slow = [
        f"{r['database']} {row['page']}"
        for r in results
        for row in r["rows"]
        if row["p95"] > TARGET_P95_MS
    ]
    if slow:
        console.print(f"[yellow]over the {TARGET_P95_MS:.0f} ms p95 target: {', '.join(slow)}[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
