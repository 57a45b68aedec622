"""Hostile images (``slideforge bench hostile``): small files that decode to many pixels,
sent to a real ``slideforge serve`` process (embedded workers, SQLite, the TikTok sandbox).

Inputs (issue 9, defect 4):

1. ``upload``: a ~140 KB grey+alpha PNG of 8000×8000 (64 MP, one colour) uploaded with
   ``POST /files`` + ``PUT`` (the probe).
2. ``render``: a 10-slide slideshow whose every background is that PNG, rendered.
3. ``post35``: one ``POST /posts`` to TikTok with 35 copies of a 7999×7999 RGB PNG, then the
   wait until its target ends (the per-platform variants are made somewhere in between).
4. ``aspect``: a 1×64,000,000 PNG uploaded, then posted.

For each: the HTTP status, the seconds the request took, the server's peak RSS during the
step (``VmHWM`` of the server process, reset before each step through ``clear_refs``, and a
20 ms sampler of ``VmRSS`` as a cross-check), and its RSS once the step is over. Targets:
peak server RSS < 1 GB and no request doing more than 2 s of image work. Prints figures and
ratios to the targets; never fails on time. ``--out`` gets ``hostile.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import _pipeline

console = Console(width=160)
TARGET_PEAK_MB = 1024.0
TARGET_SECONDS = 2.0
TERMINAL = {"posted", "failed", "outcome_unknown"}


def _status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS") / 1024


class Meter:
    """Peak RSS of one process during a step: VmHWM after a reset, and a sampler."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampled = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.can_reset = True

    def __enter__(self) -> Meter:
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as fh:
                fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        except OSError:
            self.can_reset = False
        self.start_mb = rss_mb(self.pid)
        self.sampled = self.start_mb
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.sampled = max(self.sampled, rss_mb(self.pid))
            except OSError:
                return
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        hwm = _status_kb(self.pid, "VmHWM") / 1024
        self.peak_mb = max(self.sampled, hwm) if self.can_reset else self.sampled


@dataclass
class Step:
    name: str
    what: str
    status: int | str = "-"
    seconds: float = 0.0
    later_seconds: float | None = None  # work after the answer (the publish workflow)
    peak_mb: float = 0.0
    start_mb: float = 0.0
    after_mb: float = 0.0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def png(mode: str, size: tuple[int, int], colour: Any) -> bytes:
    image = Image.new(mode, size, colour)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    image.close()
    return out.getvalue()


def upload(pipeline: _pipeline.Pipeline, data: bytes) -> tuple[httpx.Response, str, float]:
    """POST /files + PUT the bytes: (the PUT's answer, the file's URL, the PUT's seconds)."""
    with pipeline.client() as client:
        created = client.post("/files", json={"contentType": "image/png"}).json()["data"]
    began = time.perf_counter()
    answer = httpx.put(
        created["uploadUrl"], content=data, headers={"Content-Type": "image/png"}, timeout=300
    )
    return answer, created["url"], time.perf_counter() - began


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:120]
    return str(body.get("error_code") or "") + " " + str(body.get("message") or "")[:140]


def step_upload(pipeline: _pipeline.Pipeline, pid: int, data: bytes) -> tuple[Step, str]:
    step = Step("upload", f"PUT of a {len(data) // 1024} KB 8000x8000 LA PNG (probe)")
    with Meter(pid) as meter:
        answer, url, step.seconds = upload(pipeline, data)
    step.status, step.peak_mb, step.start_mb = answer.status_code, meter.peak_mb, meter.start_mb
    if answer.status_code >= 300:
        step.note = _message(answer)
    return step, url


def step_render(pipeline: _pipeline.Pipeline, pid: int, url: str) -> Step:
    step = Step("render", "POST /slideshows/{id}/render, 10 slides over that PNG")
    body = {
        "prompt": "hostile",
        "slideshow_type": "educational",
        "aspect_ratio": "9:16",
        "language": "en",
        "skip_ai": True,
        "slide_config": {
            "total_slides": 10,
            "slide_types": ["custom_image"] * 10,
            "custom_images": {str(i): {"image_url": url} for i in range(10)},
            "slide_texts": {str(i): f"Slide {i + 1}" for i in range(10)},
        },
    }
    with pipeline.client() as client:
        created = client.post("/slideshows/generate", json=body)
        if created.status_code >= 300:
            step.status, step.note = created.status_code, "generate: " + _message(created)
            return step
        slideshow_id = created.json()["data"]["id"]
        with Meter(pid) as meter:
            began = time.perf_counter()
            answer = client.post(f"/slideshows/{slideshow_id}/render")
            step.seconds = time.perf_counter() - began
    step.status, step.peak_mb, step.start_mb = answer.status_code, meter.peak_mb, meter.start_mb
    if answer.status_code >= 300:
        step.note = _message(answer)
    return step


def wait_target(pipeline: _pipeline.Pipeline, post_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with pipeline.client() as client:
        while True:
            post = client.get(f"/posts/{post_id}").json()["data"]
            accounts = (post.get("accounts") or {}).get("states") or []
            if accounts and all(a["status"] in TERMINAL for a in accounts):
                return post  # type: ignore[no-any-return]
            if time.monotonic() > deadline:
                return post  # type: ignore[no-any-return]
            time.sleep(0.1)


def post_step(
    pipeline: _pipeline.Pipeline, pid: int, name: str, what: str, urls: list[str], timeout: float
) -> Step:
    step = Step(name, what)
    with Meter(pid) as meter, pipeline.client() as client:
        began = time.perf_counter()
        answer = client.post(
            "/posts",
            json={
                "caption": f"hostile {name}",
                "media": {"type": "slideshow", "urls": urls},
                "accounts": [{"id": pipeline.accounts[0]}],
                "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"},
            },
        )
        step.seconds = time.perf_counter() - began
        step.status = answer.status_code
        if answer.status_code < 300:
            post = wait_target(pipeline, answer.json()["data"]["id"], timeout)
            step.later_seconds = time.perf_counter() - began - step.seconds
            target = ((post.get("accounts") or {}).get("states") or [{}])[0]
            step.note = f"target {target.get('status')}"
            if target.get("error_message"):
                step.note += f": {target.get('error_message')[:120]}"
        else:
            step.note = _message(answer)
    step.peak_mb, step.start_mb = meter.peak_mb, meter.start_mb
    return step


def report(steps: list[Step], idle_mb: float, final_mb: float) -> None:
    table = Table(
        "step",
        "HTTP",
        "request s",
        "× 2 s",
        "after answer s",
        "peak RSS MB",
        "× 1 GB",
        "RSS after MB",
        "note",
        title="slideforge bench hostile (server process)",
    )
    for s in steps:
        table.add_row(
            s.name,
            str(s.status),
            f"{s.seconds:.2f}",
            f"{s.seconds / TARGET_SECONDS:.2f}",
            "-" if s.later_seconds is None else f"{s.later_seconds:.2f}",
            f"{s.peak_mb:.0f}",
            f"{s.peak_mb / TARGET_PEAK_MB:.2f}",
            f"{s.after_mb:.0f}",
            s.note,
        )
    console.print(table)
    peak = max((s.peak_mb for s in steps), default=0.0)
    slowest = max((s.seconds for s in steps), default=0.0)
    console.print(
        f"server RSS idle {idle_mb:.0f} MB, peak {peak:.0f} MB "
        f"({peak / TARGET_PEAK_MB:.2f}× the 1 GB target), {final_mb:.0f} MB at the end; "
        f"slowest request {slowest:.2f} s ({slowest / TARGET_SECONDS:.2f}× the 2 s target)"
    )
    for s in steps:
        console.print(f"  {s.name}: {s.what}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slideforge bench hostile", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    parser.add_argument("--copies", type=int, default=35, help="images in the big post (35)")
    parser.add_argument("--timeout", type=float, default=300.0, help="wait for a post (s)")
    parser.add_argument(
        "--only", default="upload,render,post35,aspect", help="comma list of the steps"
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    console.print("making the inputs …")
    small_bomb = png("LA", (8000, 8000), (120, 255))
    post_png = png("RGB", (7999, 7999), (200, 40, 90))
    thin_png = png("L", (1, 64_000_000), 128)
    pipeline = _pipeline.build("sqlite")
    steps: list[Step] = []
    try:
        pipeline.start_api(workers=True)
        assert pipeline.api is not None
        pid = pipeline.api.pid
        pipeline.connect_accounts(1)
        time.sleep(2.0)  # let the startup work settle
        idle = rss_mb(pid)

        def settle(step: Step) -> None:
            time.sleep(1.0)
            step.after_mb = rss_mb(pid)
            steps.append(step)
            console.print(
                f"{step.name}: HTTP {step.status}, {step.seconds:.2f} s, peak {step.peak_mb:.0f} MB"
                f", after {step.after_mb:.0f} MB {step.note}"
            )

        url = ""
        if only & {"upload", "render"}:
            step, url = step_upload(pipeline, pid, small_bomb)
            settle(step)
        if "render" in only and url:
            settle(step_render(pipeline, pid, url))
        if "post35" in only:
            answer, big_url, _ = upload(pipeline, post_png)
            if answer.status_code < 300:
                settle(
                    post_step(
                        pipeline,
                        pid,
                        "post35",
                        f"POST /posts, {args.copies}× a {len(post_png) // 1024} KB 7999x7999 "
                        "RGB PNG, to TikTok",
                        [big_url] * args.copies,
                        args.timeout,
                    )
                )
            else:
                console.print(f"[red]upload of the 7999² PNG failed: {_message(answer)}[/red]")
        if "aspect" in only:
            step = Step("aspect", f"PUT of a {len(thin_png) // 1024} KB 1x64000000 PNG")
            with Meter(pid) as meter:
                answer, thin_url, step.seconds = upload(pipeline, thin_png)
            step.status, step.peak_mb = answer.status_code, meter.peak_mb
            if answer.status_code >= 300:
                step.note = _message(answer)
            settle(step)
            if answer.status_code < 300:
                settle(
                    post_step(
                        pipeline, pid, "aspect-post", "POST /posts of it", [thin_url], args.timeout
                    )
                )
        time.sleep(2.0)
        final = rss_mb(pid)
        report(steps, idle, final)
        (args.out / "hostile.json").write_text(
            json.dumps(
                {"idle_mb": idle, "final_mb": final, "steps": [asdict(s) for s in steps]},
                indent=2,
            )
        )
    finally:
        pipeline.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
