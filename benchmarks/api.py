"""API latency with a large workspace (``slideforge bench api``).

    slideforge bench api [--posts 100000] [--accounts 300] [--slideshows 2000]
                         [--rate 200] [--seconds 30] [--database sqlite,postgres]

For each database (a fresh SQLite file; a fresh PostgreSQL database on the server of
``SLIDEFORGE_TEST_POSTGRES_URL``), a bulk loader fills one workspace with ``--posts`` posts
on ``--accounts`` accounts (TikTok, Instagram and Pinterest in turn), created over the last
year (the newest two weeks still scheduled ahead), each with one to three targets, and
``--slideshows`` slideshows of six slides. The rows are what ``posts.service.create_post`` and
the publish path would have written (media, ingested items, per-platform variants, targets
with their platform ids and links, failed ones with their error), only inserted in bulk.
A second, small workspace is there too (every query must filter on the workspace).

Then ``slideforge serve --no-workers`` (one process, as in production without the embedded
workers) is driven by ``wrk`` (Debian's package, installed with apt-get when missing) at
``--rate`` requests/s for ``--seconds`` per endpoint: ``GET /posts?limit=50`` (plain, with
``status``, with ``since``/``until``), ``GET /posts/{id}`` (over 1,000 different posts),
``GET /accounts`` and ``GET /slideshows``. Printed per endpoint: requests/s reached, p50, p99,
p99.9 (ms), errors (non-2xx, timeouts, socket errors) and p99 against the 30 ms target.
Writes ``api.png`` (p50/p99 per endpoint and database) and ``api.json`` to ``--out``."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline

from platform_sandbox.server import free_port

console = Console(width=150)
COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
TARGET_P99_MS = 30.0
PLATFORMS = ("tiktok", "instagram", "pinterest")
CONNECTIONS = 8
BATCH = 5_000

WRK_SCRIPT = """
local paths = {%(paths)s}
local counter = 0
wrk.headers["Authorization"] = "Bearer %(key)s"
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
delay = function()
  return %(delay_ms)d
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%%d duration_us=%%d connect=%%d read=%%d write=%%d status=%%d timeout=%%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("PERCENTILE %%g %%d\\n", p, latency:percentile(p)))
  end
end
"""


# --------------------------------------------------------------------------- loading


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    console.print("wrk is missing: installing Debian's package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed (apt-get install wrk)")
    return found


def slide_json(index: int, image_url: str, rendered_url: str) -> dict[str, Any]:
    return {
        "image_url": image_url,
        "rendered_image_url": rendered_url,
        "text_elements": [
            {
                "id": f"t{index}",
                "content": f"Hook line {index}: the thing nobody tells you",
                "x": 50,
                "y": 30,
                "font_size": 64,
                "width": 80,
                "preset": "outline",
            }
        ],
    }


def load(
    database_url: str,
    args: argparse.Namespace,
    base_url: str,
    *,
    name: str = "bench-api",
    due_between: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """Fill the workspace ``name``; returns its key and ids to request. The posts are due
    over the last year (see ``post_rows``), or spread over ``due_between`` (``bench ui``: one
    month of the calendar)."""
    import sqlalchemy as sa

    from slideforge.auth import service as auth
    from slideforge.config import Settings
    from slideforge.migrations import upgrade
    from slideforge.models import Account, Post, PostTarget, Slideshow
    from slideforge.runtime import build_runtime

    settings = Settings(database_url=database_url, data_dir=Path(args.data_dir))
    upgrade(settings.resolved_database_url)
    runtime = build_runtime(settings)
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    media_base = f"{base_url}/media"
    with runtime.db.session() as session:
        workspace = auth.create_workspace(session, name)
        _, key = auth.create_key(session, workspace)
        other = auth.create_workspace(session, f"{name}-other")
        auth.create_key(session, other)
        workspace_id = workspace.id
        session.commit()
    accounts: list[dict[str, Any]] = []
    for i in range(args.accounts):
        platform = PLATFORMS[i % len(PLATFORMS)]
        accounts.append(
            {
                "id": uuid.uuid4(),
                "workspace_id": workspace_id,
                "platform": platform,
                "type": "byo",
                "username": f"bench_{platform}_{i:03d}",
                "display_name": f"Bench {platform} {i}",
                "platform_user_id": f"{platform}-user-{i}",
                "status": "active",
                "tags": [f"group{i % 10}"],
                "policy": {},
                "settings": {"default_board_id": f"board-{i}"} if platform == "pinterest" else {},
                "access_token_enc": None,
                "granted_scopes": "",
                "created_at": now - timedelta(days=400),
                "updated_at": now,
            }
        )
    with runtime.db.session() as session:
        session.execute(sa.insert(Account), accounts)
        session.commit()

    progress = Progress(*COLUMNS, console=console)
    with progress:
        task = progress.add_task("posts", total=args.posts)
        post_ids: list[str] = []
        for start in range(0, args.posts, BATCH):
            posts, targets = [], []
            for i in range(start, min(start + BATCH, args.posts)):
                post, its_targets = post_rows(
                    i, args, rng, now, workspace_id, accounts, media_base, due_between
                )
                posts.append(post)
                targets.extend(its_targets)
                if i % (args.posts // 1000 or 1) == 0 and post["status"] != "deleted":
                    post_ids.append(str(post["id"]))
            with runtime.db.session() as session:
                session.execute(sa.insert(Post), posts)
                session.execute(sa.insert(PostTarget), targets)
                session.commit()
            progress.advance(task, len(posts))
        task = progress.add_task("slideshows", total=args.slideshows)
        rows = []
        for i in range(args.slideshows):
            sid = uuid.uuid4()
            created = now - timedelta(days=365) * rng.random()
            slides = [
                slide_json(
                    j,
                    f"{media_base}/packs/bench/{i % 50}-{j}.jpg",
                    f"{media_base}/renders/{sid}/r/slide-{j:02d}.jpg",
                )
                for j in range(6)
            ]
            rows.append(
                {
                    "id": sid,
                    "workspace_id": workspace_id,
                    "title": f"Bench slideshow {i}",
                    "status": "rendered" if i % 4 else "draft",
                    "slideshow_type": "educational",
                    "language": "en",
                    "source": "partner_api",
                    "settings": {"aspect_ratio": "9:16", "slideshow_type": "educational"},
                    "slides": slides,
                    "preview_image_url": slides[0]["rendered_image_url"],
                    "revision": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        with runtime.db.session() as session:
            session.execute(sa.insert(Slideshow), rows)
            session.commit()
        progress.advance(task, len(rows))
    with runtime.db.engine.connect() as conn:  # planner statistics, as after a day of use
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    runtime.db.dispose()
    return {"key": key, "post_ids": post_ids}


def post_rows(
    i: int,
    args: argparse.Namespace,
    rng: random.Random,
    now: datetime,
    workspace_id: uuid.UUID,
    accounts: list[dict[str, Any]],
    media_base: str,
    due_between: tuple[datetime, datetime] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One post as create_post stores it, with the targets the publish path left."""
    if due_between is None:
        # Oldest first over the year; the newest two weeks are scheduled ahead.
        created = now - timedelta(days=365) * (1 - i / args.posts)
        created += timedelta(seconds=rng.uniform(0, 60))
        due = created + timedelta(hours=rng.uniform(0, 72))
    else:  # evenly over the window; made up to three days before it was due (or now)
        start, end = due_between
        due = (start + (end - start) * ((i + rng.random()) / args.posts)).replace(microsecond=0)
        created = min(due, now) - timedelta(hours=rng.uniform(0, 72))
    future = due > now
    roll = rng.random()
    if future:
        target_status = "scheduled"
    elif roll < 0.86:
        target_status = "posted"
    elif roll < 0.96:
        target_status = "failed"
    else:
        target_status = "deleted"
    post_id = uuid.uuid4()
    slides = rng.randint(3, 8)
    urls = [f"{media_base}/posts/{post_id}/{n}.jpg" for n in range(slides)]
    chosen = rng.sample(accounts, rng.choice((1, 1, 2, 3)))
    platforms = sorted({a["platform"] for a in chosen})
    post = {
        "id": post_id,
        "workspace_id": workspace_id,
        "caption": f"Bench post {i} #skincare #routine",
        "media": {"type": "slideshow", "urls": urls},
        "media_items": [
            {
                "index": n,
                "source_url": url,
                "file_id": str(uuid.uuid4()),
                "key": f"posts/{post_id}/{n}.jpg",
                "content_type": "image/jpeg",
                "width": 1080,
                "height": 1920,
                "size": 240_000,
                "duration": None,
            }
            for n, url in enumerate(urls)
        ],
        "media_variants": {p: urls for p in platforms},
        "tiktok": {"post_mode": "DIRECT_POST", "privacy_level": "PUBLIC_TO_EVERYONE"}
        if "tiktok" in platforms
        else None,
        "scheduled_at": due,
        "status": target_status,
        "external_id": f"bench-{i}",
        "body_hash": f"{i:064x}"[-64:],
        "source": "partner_api",
        "warnings": [],
        "deleted_at": due if target_status == "deleted" else None,
        "created_at": created,
        "updated_at": due if not future else created,
    }
    targets = []
    for account in chosen:
        posted = target_status == "posted"
        failed = target_status == "failed"
        platform_post_id = str(7_400_000_000_000_000_000 + i) if posted else None
        targets.append(
            {
                "id": uuid.uuid4(),
                "workspace_id": workspace_id,
                "post_id": post_id,
                "account_id": account["id"],
                "platform": account["platform"],
                "status": target_status,
                "scheduled_for": due,
                "revision": 1,
                "attempt": 0 if future else 1,
                "send_state": "sent" if posted or failed else "none",
                "publish_id": f"p_pub_{i}" if posted else None,
                "platform_post_id": platform_post_id,
                "platform_status": "PUBLISH_COMPLETE" if posted else None,
                "published_url": f"https://www.tiktok.com/@{account['username']}/photo/{platform_post_id}"
                if posted
                else None,
                "error_code": "spam_risk_too_many_posts" if failed else None,
                "error_message": "The account reached the platform's daily cap."
                if failed
                else None,
                "progress": {},
                "last_attempted_at": None if future else due,
                "published_at": due if posted else None,
                "created_at": created,
                "updated_at": due if not future else created,
            }
        )
    return post, targets


# --------------------------------------------------------------------------- driving


def start_server(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDEFORGE_")}
    env.update(
        {
            "SLIDEFORGE_DATA_DIR": str(data_dir),
            "SLIDEFORGE_DATABASE_URL": database_url,
            "SLIDEFORGE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SLIDEFORGE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SLIDEFORGE_RATE_LIMIT_PER_MINUTE": "1000000",
            "SLIDEFORGE_RATE_LIMIT_BURST": "1000000",
            "SLIDEFORGE_LOG_LEVEL": "WARNING",
        }
    )
    log = open(data_dir / "api.log", "ab")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "slideforge.cli", "serve", "--no-workers", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the API did not start; see {data_dir / 'api.log'}")


def endpoints(loaded: dict[str, Any], now: datetime) -> dict[str, list[str]]:
    api = "/api/partner/v1"
    since = _pipeline.iso(now - timedelta(days=120))
    until = _pipeline.iso(now - timedelta(days=90))
    return {
        "GET /posts?limit=50": [f"{api}/posts?limit=50"],
        "GET /posts?status=failed": [f"{api}/posts?limit=50&status=failed"],
        "GET /posts?since&until": [f"{api}/posts?limit=50&since={since}&until={until}"],
        "GET /posts/{id}": [f"{api}/posts/{pid}" for pid in loaded["post_ids"]],
        "GET /accounts": [f"{api}/accounts"],
        "GET /slideshows": [f"{api}/slideshows?limit=20"],
    }


def drive(
    wrk: str, base: str, key: str, paths: list[str], rate: int, seconds: int, work: Path
) -> dict[str, Any]:
    script = work / "bench.lua"
    delay_ms = max(0, int(1000 * CONNECTIONS / rate))
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(json.dumps(p) for p in paths),
            "key": key,
            "delay_ms": delay_ms,
        }
    )
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = {"percentiles": {}}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            fields = dict(part.split("=") for part in line.split()[1:])
            result.update({k: int(v) for k, v in fields.items()})
        elif line.startswith("PERCENTILE "):
            _, p, micros = line.split()
            result["percentiles"][p] = int(micros) / 1000
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def warm(base: str, key: str, paths: list[str]) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for path in paths[:20]:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")


def run_database(database: str, args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    data_dir = (
        Path(os.environ.get("TMPDIR", "/tmp")) / f"slideforge-bench-api-{uuid.uuid4().hex[:8]}"
    )
    data_dir.mkdir(parents=True)
    args.data_dir = str(data_dir)
    if database == "postgres":
        database_url = _pipeline.postgres_url(f"slideforge_bench_api_{uuid.uuid4().hex[:8]}")
    else:
        database_url = f"sqlite:///{data_dir / 'slideforge.sqlite'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    console.rule(f"{database}: loading {args.posts:,} posts")
    started = time.perf_counter()
    loaded = load(database_url, args, base)
    load_seconds = time.perf_counter() - started
    server = start_server(database_url, data_dir, port)
    rows = []
    try:
        for name, paths in endpoints(loaded, datetime.now(UTC)).items():
            warm(base, loaded["key"], paths)
            result = drive(wrk, base, loaded["key"], paths, args.rate, args.seconds, data_dir)
            result["endpoint"] = name
            rows.append(result)
            p = result["percentiles"]
            console.print(
                f"{database:<8} {name:<26} {result['rate']:6.0f}/s  p50 {p['50']:6.1f} ms  "
                f"p99 {p['99']:6.1f} ms  errors {result['errors']}"
            )
    finally:
        server.terminate()
        server.wait(15)
    return {"database": database, "load_seconds": load_seconds, "rows": rows}


# --------------------------------------------------------------------------- report


def chart(results: list[dict[str, Any]], out: Path) -> None:
    from PIL import Image, ImageDraw

    names = [row["endpoint"] for row in results[0]["rows"]]
    width, height, left, top, bar = 1100, 120 + 70 * len(names), 260, 70, 12
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 15), "slideforge bench api: latency per endpoint (ms)", fill="black")
    worst = max(
        [TARGET_P99_MS * 1.5]
        + [row["percentiles"]["99"] for result in results for row in result["rows"]]
    )
    scale = (width - left - 60) / worst
    colours = {
        "sqlite": ((120, 170, 230), (30, 90, 180)),
        "postgres": ((150, 210, 150), (40, 140, 60)),
    }
    for i, name in enumerate(names):
        y = top + i * 70
        draw.text((20, y + 10), name, fill="black")
        for j, result in enumerate(results):
            row = result["rows"][i]
            light, dark = colours.get(result["database"], ((200, 200, 200), (90, 90, 90)))
            yy = y + j * (bar * 2 + 4)
            p50, p99 = row["percentiles"]["50"], row["percentiles"]["99"]
            draw.rectangle((left, yy, left + p99 * scale, yy + bar), fill=light)
            draw.rectangle((left, yy, left + p50 * scale, yy + bar), fill=dark)
            draw.text(
                (left + p99 * scale + 6, yy),
                f"{result['database']} p50 {p50:.1f} p99 {p99:.1f}",
                fill="black",
            )
    x = left + TARGET_P99_MS * scale
    draw.line((x, top - 10, x, height - 20), fill=(200, 40, 40), width=2)
    draw.text((x + 4, top - 25), f"target p99 {TARGET_P99_MS:.0f} ms", fill=(200, 40, 40))
    image.save(out / "api.png")


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    table = Table(
        title=f"GET latency at {args.rate} requests/s for {args.seconds} s, {args.posts:,} posts"
    )
    for column in (
        "database",
        "endpoint",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "errors",
        "p99 / 30 ms",
    ):
        table.add_column(
            column, justify="right" if column not in ("database", "endpoint") else "left"
        )
    for result in results:
        for row in result["rows"]:
            p = row["percentiles"]
            table.add_row(
                result["database"],
                row["endpoint"],
                f"{row['rate']:.0f}",
                f"{p['50']:.1f}",
                f"{p['99']:.1f}",
                f"{p['99.9']:.1f}",
                str(row["errors"]),
                f"{p['99'] / TARGET_P99_MS:.2f}",
            )
    console.print(table)
    for result in results:
        console.print(f"{result['database']}: bulk load {result['load_seconds']:.1f} s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench api")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--slideshows", type=int, default=2_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--database", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    args.out.mkdir(parents=True, exist_ok=True)
    results = [run_database(db, args, wrk) for db in args.database.split(",") if db]
    report(results, args)
    chart(results, args.out)
    (args.out / "api.json").write_text(json.dumps(results, indent=2, default=str))
    console.print(f"wrote {args.out / 'api.png'} and {args.out / 'api.json'}")
    failed = [
        f"{r['database']} {row['endpoint']}" for r in results for row in r["rows"] if row["errors"]
    ]
    if failed:
        console.print(f"[red]errors on: {', '.join(failed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
