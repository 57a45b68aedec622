"""Memory of a running server (``slideforge bench memory``).

A real ``slideforge serve`` process (embedded workers, SQLite, the TikTok API sandbox and the
TikTok web sandbox on loopback) is measured — its own RSS and that of its process tree (the sum of
the PSS of the server and its children: the forkserver, the OCR worker that holds the models
and the render pool's processes) — at these points:

1. ``idle``: started, one account connected, settled;
2. ``ocr``: after one copy-a-TikTok preview (4 drawn slides): the OCR models are loaded (in
   the OCR worker process; in the server itself with ``SLIDEFORGE_OCR_PROCESSES=0``);
3. ``renders-100``: after rendering a 10-slide slideshow 10 times (100 slides);
4. ``hostile``: after the hostile images of ``bench hostile`` (an 8000×8000 PNG uploaded and
   rendered under 10 slides);
5. ``renders-N``: every 100 slides up to ``--renders`` (1,000) more.

Targets (issue 15): ≤ 700 MB with OCR loaded, and after the load back within 10 % of the
warmed server (the ``renders-100`` point: OCR loaded and the render pool started), with no
growth over the renders. Prints the figures and their ratios to the targets, writes ``memory.json`` and
``memory.png`` (RSS against slides rendered) into ``--out``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline
import hostile

console = Console(width=150)
TARGET_OCR_MB = 700.0
TARGET_RETURN = 0.10


def tree_pids(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except OSError:
            continue
    return pids


def pss_mb(pid: int) -> float:
    """Proportional set size: pages shared between processes (the render workers are forked
    from one forkserver) count once across them, so the sum over a tree is its real use."""
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """The memory of the server and its children (render pool): the sum of their PSS."""
    total = 0.0
    for each in tree_pids(pid):
        try:
            total += pss_mb(each)
        except OSError:
            continue
    return total


def tree_detail(pid: int) -> str:
    parts = []
    for each in tree_pids(pid):
        try:
            with open(f"/proc/{each}/cmdline", "rb") as fh:
                words = fh.read().split(b"\0")
            name = " ".join(w.decode(errors="replace") for w in words[1:4])[:40]
            parts.append(
                f"{each} {name}: RSS {hostile.rss_mb(each):.0f} / PSS {pss_mb(each):.0f} MB"
            )
        except OSError:
            continue
    return "; ".join(parts)


def drawn_slides(count: int) -> list[bytes]:
    """TikTok-like photo slides: a gradient and two lines of white outlined text."""
    from slideforge.render.text import font_for_preview

    font = font_for_preview("Inter", 72)
    slides = []
    for i in range(count):
        image = Image.new("RGB", (1080, 1920), (40 + 30 * i, 70, 120))
        draw = ImageDraw.Draw(image)
        for y in range(0, 1920, 8):
            draw.line([(0, y), (1080, y)], fill=(40 + 30 * i, 70 + y // 30, 120 + y // 40))
        for line, text in enumerate((f"Morning habit {i + 1}", "that changed my life")):
            draw.text(
                (540, 700 + 110 * line),
                text,
                font=font,
                fill="white",
                anchor="mm",
                stroke_width=6,
                stroke_fill="black",
            )
        out = io.BytesIO()
        image.save(out, "JPEG", quality=88)
        slides.append(out.getvalue())
    return slides


class Point:
    def __init__(self, name: str, own_mb: float, tree_mb: float, note: str = "") -> None:
        self.name, self.own_mb, self.tree_mb, self.note = name, own_mb, tree_mb, note

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "own_mb": self.own_mb,
            "tree_mb": self.tree_mb,
            "note": self.note,
        }


def make_slideshow(pipeline: _pipeline.Pipeline, slides: int) -> str:
    body = {
        "prompt": "memory",
        "slideshow_type": "educational",
        "aspect_ratio": "9:16",
        "language": "en",
        "skip_ai": True,
        "slide_config": {
            "total_slides": slides,
            "slide_types": ["custom_image"] * slides,
            "custom_images": {str(i): {"image_url": pipeline.slide_url} for i in range(slides)},
            "slide_texts": {
                str(i): f"Slide {i + 1}: the habit that changed everything 🌅"
                for i in range(slides)
            },
        },
    }
    with pipeline.client() as client:
        answer = client.post("/slideshows/generate", json=body)
        answer.raise_for_status()
        return str(answer.json()["data"]["id"])


def render_times(pipeline: _pipeline.Pipeline, slideshow_id: str, times: int) -> None:
    with pipeline.client() as client:
        for _ in range(times):
            answer = client.post(f"/slideshows/{slideshow_id}/render")
            if answer.status_code >= 300:
                raise RuntimeError(f"render failed: {answer.status_code} {answer.text[:200]}")


def chart(points: list[tuple[int, float, float]], path: Path, ocr_mb: float) -> None:
    """RSS (own and tree) against slides rendered, with the 700 MB line and the ±10 % band."""
    from slideforge.render.text import font_for_preview

    width, height, margin = 900, 480, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = font_for_preview("Inter", 15)
    top = max(TARGET_OCR_MB * 1.15, *(p[2] for p in points)) if points else TARGET_OCR_MB
    most = max((p[0] for p in points), default=1) or 1

    def xy(slides: int, mb: float) -> tuple[float, float]:
        x = margin + (width - 2 * margin) * slides / most
        y = height - margin - (height - 2 * margin) * mb / top
        return x, y

    draw.line([(margin, height - margin), (width - margin, height - margin)], fill="black")
    draw.line([(margin, margin), (margin, height - margin)], fill="black")
    for x, mb, colour, label in (
        (margin + 6, TARGET_OCR_MB, (200, 0, 0), "700 MB target"),
        (width // 2, ocr_mb * (1 + TARGET_RETURN), (0, 140, 0), "+10 % of the warmed server"),
    ):
        y = xy(0, mb)[1]
        draw.line([(margin, y), (width - margin, y)], fill=colour)
        draw.text((x, y - 18), label, fill=colour, font=font)
    for index, colour, label in (
        (1, (30, 90, 200), "server"),
        (2, (230, 120, 0), "tree (sum of PSS)"),
    ):
        line = [xy(p[0], p[index]) for p in points]
        if len(line) > 1:
            draw.line(line, fill=colour, width=3)
        draw.text(
            (width - margin - 170, height - margin - 60 + 20 * index), label, fill=colour, font=font
        )
    draw.text(
        (margin, 18),
        "slideforge bench memory: MB vs slides rendered after the hostile images",
        fill="black",
        font=font,
    )
    draw.text(
        (width // 2 - 40, height - margin + 14),
        f"slides rendered (0–{most})",
        fill="black",
        font=font,
    )
    draw.text((6, margin - 20), f"{top:.0f} MB", fill="black", font=font)
    image.save(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench memory", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    parser.add_argument(
        "--renders", type=int, default=1000, help="slides rendered after the hostile step"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from platform_sandbox.server import serve_in_thread
    from platform_sandbox.tiktok_web import TikTokWebSandbox
    from platform_sandbox.tiktok_web import create_app as create_tiktok_web

    web = TikTokWebSandbox()
    site = serve_in_thread(create_tiktok_web(web))
    post = web.add_photo_post(drawn_slides(4), caption="memory #bench")
    pipeline = _pipeline.build("sqlite")
    pipeline.env.update(
        {
            "SLIDEFORGE_TIKTOK_WEB_BASE_URL": site.base_url,
            "SLIDEFORGE_TIKTOK_SHORT_LINK_BASE_URL": site.base_url,
            "SLIDEFORGE_SSRF_ALLOW": "127.0.0.1",
        }
    )
    points: list[Point] = []
    curve: list[tuple[int, float, float]] = []
    try:
        pipeline.start_api(workers=True)
        assert pipeline.api is not None
        pid = pipeline.api.pid
        pipeline.connect_accounts(1)
        pipeline.upload_slide()
        time.sleep(2.0)

        def mark(name: str, note: str = "") -> Point:
            time.sleep(1.0)
            point = Point(name, hostile.rss_mb(pid), tree_rss_mb(pid), note)
            points.append(point)
            console.print(
                f"{name}: server {point.own_mb:.0f} MB, tree {point.tree_mb:.0f} MB {note}"
            )
            return point

        mark("idle")
        with pipeline.client() as client:
            began = time.perf_counter()
            answer = client.post("/slideshows/copy-tiktok/preview", json={"url": post.url})
            seconds = time.perf_counter() - began
        if answer.status_code >= 300:
            console.print(f"[red]preview failed: {answer.status_code} {answer.text[:200]}[/red]")
            return 1
        ocr = mark("ocr", f"(a 4-slide preview, {seconds:.1f} s)")
        slideshow_id = make_slideshow(pipeline, 10)
        render_times(pipeline, slideshow_id, 10)
        mark("renders-100", "(a 10-slide slideshow rendered 10×)")
        console.print("  processes: " + tree_detail(pid))
        step, url = hostile.step_upload(pipeline, pid, hostile.png("LA", (8000, 8000), (120, 255)))
        note = f"(upload HTTP {step.status}, peak {step.peak_mb:.0f} MB"
        if url:
            rendered = hostile.step_render(pipeline, pid, url)
            note += f"; render HTTP {rendered.status}, peak {rendered.peak_mb:.0f} MB"
        mark("hostile", note + ")")
        curve.append((0, points[-1].own_mb, points[-1].tree_mb))
        batches = max(1, args.renders // 100)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("slides rendered", total=batches * 100)
            for batch in range(batches):
                render_times(pipeline, slideshow_id, 10)
                progress.advance(task, 100)
                own, tree = hostile.rss_mb(pid), tree_rss_mb(pid)
                curve.append(((batch + 1) * 100, own, tree))
        final = mark(f"renders-{batches * 100}", "(after the hostile step)")
    finally:
        pipeline.stop()
        site.stop()

    table = Table("point", "server MB", "tree MB", "note", title="slideforge bench memory")
    for point in points:
        table.add_row(point.name, f"{point.own_mb:.0f}", f"{point.tree_mb:.0f}", point.note)
    console.print(table)
    # the warmed server: OCR loaded and the render pool started (its processes live as long
    # as the server; their size is bounded by SLIDEFORGE_RENDER_PROCESSES)
    warm = points[2]
    growth = (final.tree_mb - warm.tree_mb) / warm.tree_mb
    first, last = curve[1][2] if len(curve) > 1 else curve[0][2], curve[-1][2]
    console.print(
        f"with OCR loaded: tree {ocr.tree_mb:.0f} MB = {ocr.tree_mb / TARGET_OCR_MB:.2f}× the "
        f"700 MB target (server alone {ocr.own_mb:.0f} MB)\n"
        f"warmed (OCR loaded, render pool started): tree {warm.tree_mb:.0f} MB = "
        f"{warm.tree_mb / TARGET_OCR_MB:.2f}× the 700 MB target\n"
        f"after the load: tree {final.tree_mb:.0f} MB, {growth:+.1%} against the warmed server "
        f"(target within ±10 %: {abs(growth) / TARGET_RETURN:.2f}× the band)\n"
        f"over {curve[-1][0]} renders: tree {first:.0f} → {last:.0f} MB "
        f"({(last - first) / max(first, 1):+.1%})"
    )
    chart(curve, args.out / "memory.png", warm.tree_mb)
    (args.out / "memory.json").write_text(
        json.dumps(
            {"points": [p.as_dict() for p in points], "curve": curve, "growth": growth}, indent=2
        )
    )
    console.print(f"wrote {args.out / 'memory.png'} and {args.out / 'memory.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
