"""Crash test of the publish path (``slideforge bench crash``): while N posts publish to the
TikTok sandbox, kill -9 the worker process at random moments and restart it, until every
post has ended. Then, without kills, wait (bounded) for the reconciliation of the unknown
outcomes (publishing/reconcile.py: read TikTok's video list, posted / re-sent once / left
unknown). Then check: every post ended posted / failed / outcome_unknown (none lost or
stuck), no content was posted twice on the sandbox, and every post live on the sandbox is
one we report as posted or outcome_unknown. Prints posted / failed / unknown before and
after reconciliation / lost / duplicates and exits non-zero on any duplicate or lost post,
or when more than 1 % of the posts stay unknown."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline

console = Console()
TERMINAL = {"posted", "failed", "outcome_unknown"}


def settled(row: dict) -> bool:  # type: ignore[type-arg]
    """Ended, and no reconciliation still under way for it."""
    if row["status"] in ("posted", "failed"):
        return True
    entry = row["reconcile"] or {}
    return (
        row["status"] == "outcome_unknown"
        and entry.get("attempt") == row["attempt"]
        and (entry.get("state") == "undecided")
    )


def was_unknown(row: dict) -> bool:  # type: ignore[type-arg]
    return row["status"] == "outcome_unknown" or bool(row["reconcile"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench crash", description=__doc__)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--spread", type=float, default=45.0, help="seconds the due times span")
    parser.add_argument("--kill-min", type=float, default=0.5)
    parser.add_argument("--kill-max", type=float, default=4.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--reconcile-timeout", type=float, default=180.0, help="seconds to wait, no kills"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    pipeline = _pipeline.build(args.database)
    try:
        pipeline.start_api()
        worker = pipeline.start_worker()
        pipeline.connect_accounts(args.accounts)
        pipeline.upload_slide()
        start = datetime.now(UTC) + timedelta(seconds=40)
        created: dict[str, str] = {}
        with pipeline.client() as client:

            def create(i: int) -> None:
                due = start + timedelta(seconds=args.spread * i / args.posts)
                response = client.post(
                    "/posts",
                    json={
                        "caption": f"crash {i}",
                        "media": {"type": "slideshow", "urls": [pipeline.slide_url]},
                        "accounts": [{"id": pipeline.accounts[i % len(pipeline.accounts)]}],
                        "scheduled_at": _pipeline.iso(due),
                        "external_id": f"crash-{i}",
                        "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"},
                    },
                )
                assert response.status_code in (200, 201), response.text
                created[f"crash {i}"] = response.json()["data"]["id"]

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(create, range(args.posts)))
        console.print(f"{len(created)} posts created; first due {_pipeline.iso(start)}")
        kills = 0
        began = time.monotonic()
        with Progress(console=console) as progress:
            task = progress.add_task("publishing while killing the worker", total=args.posts)
            while time.monotonic() - began < args.timeout:
                time.sleep(rng.uniform(args.kill_min, args.kill_max))
                rows = _pipeline.target_rows(pipeline)
                done = sum(1 for r in rows if r["status"] in TERMINAL)
                progress.update(task, completed=done)
                if done >= args.posts:
                    break
                pipeline.kill(worker)
                kills += 1
                time.sleep(rng.uniform(0.1, 1.0))
                worker = pipeline.start_worker()
        elapsed = time.monotonic() - began
        rows = _pipeline.target_rows(pipeline)
        unknown_before = sum(1 for r in rows if was_unknown(r))
        # Reconciliation: reads of the sandbox's video list, then a decision (bounded).
        reconcile_began = time.monotonic()
        with Progress(console=console) as progress:
            task = progress.add_task("reconciling unknown outcomes", total=args.posts)
            while time.monotonic() - reconcile_began < args.reconcile_timeout:
                rows = _pipeline.target_rows(pipeline)
                done = sum(1 for r in rows if settled(r))
                progress.update(task, completed=done)
                if done >= args.posts:
                    break
                time.sleep(1.0)
        reconcile_seconds = time.monotonic() - reconcile_began
        rows = _pipeline.target_rows(pipeline)
        unknown_before = max(unknown_before, sum(1 for r in rows if was_unknown(r)))
        decisions = Counter(
            (r["reconcile"] or {}).get("decision") or (r["reconcile"] or {}).get("state")
            for r in rows
            if r["reconcile"]
        )
        statuses = Counter(r["status"] for r in rows)
        live = pipeline.sandbox.posts()
        live_counts = Counter(
            p["description"] for p in live if p["description"].startswith("crash ")
        )
        duplicates = {caption: n for caption, n in live_counts.items() if n > 1}
        ours = {r["caption"]: r["status"] for r in rows}
        unreported = [c for c in live_counts if ours.get(c) not in ("posted", "outcome_unknown")]
        lost = [c for c in created if c not in ours or ours[c] not in TERMINAL]
        inits = Counter(p["post_info"].get("description") for p in pipeline.sandbox.publishes())
        table = Table("figure", "value")
        for name, value in (
            ("posts", args.posts),
            ("database", args.database),
            ("worker kills", kills),
            ("seconds", f"{elapsed:.0f}"),
            ("posted", statuses.get("posted", 0)),
            ("failed", statuses.get("failed", 0)),
            ("unknown before reconciliation", unknown_before),
            (
                "  reconciled: posted / not posted (re-sent) / undecided",
                f"{decisions.get('posted', 0)} / {decisions.get('not_posted', 0)} / "
                f"{decisions.get('undecided', 0) + decisions.get('reading', 0)}",
            ),
            ("unknown after reconciliation", statuses.get("outcome_unknown", 0)),
            ("seconds reconciling (no kills)", f"{reconcile_seconds:.0f}"),
            ("not ended (lost/stuck)", len(lost)),
            ("live on the sandbox", sum(live_counts.values())),
            ("duplicates on the sandbox", sum(n - 1 for n in duplicates.values())),
            ("live but not reported posted/unknown", len(unreported)),
            ("platform init calls", sum(inits.values())),
        ):
            table.add_row(name, str(value))
        console.print(table)
        report = {
            "posts": args.posts,
            "database": args.database,
            "kills": kills,
            "seconds": round(elapsed),
            "statuses": dict(statuses),
            "unknown_before_reconciliation": unknown_before,
            "unknown_after_reconciliation": statuses.get("outcome_unknown", 0),
            "reconciliation": dict(decisions),
            "reconcile_seconds": round(reconcile_seconds),
            "lost": lost,
            "duplicates": duplicates,
            "unreported": unreported,
            "errors": dict(Counter(r["error"] for r in rows if r["error"])),
        }
        (args.out / f"crash-{args.database}.json").write_text(json.dumps(report, indent=2))
        too_many_unknown = statuses.get("outcome_unknown", 0) > args.posts * 0.01
        return 1 if duplicates or lost or unreported or too_many_unknown else 0
    finally:
        pipeline.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
