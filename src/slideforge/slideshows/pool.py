"""Rendering a slideshow's slides across processes.

Text layout is Python (it holds the GIL), so threads render about one slide at a time; a
pool of worker processes renders them in parallel. The pool is made on first use and kept
for the life of the process (``workers.stop`` ends it): a worker imports the renderer and
loads the fonts once (initializer), then renders slide after slide.

- The pool is a ``kit.workerpool.WorkerPool``. Start method: ``forkserver`` where the platform has it (a clean process forked from a
  server that already imported the renderer; never a fork of the threaded API process),
  else ``spawn``. Size: ``SLIDEFORGE_RENDER_PROCESSES``, default min(2, CPU count); ``0``
  renders in threads of this process instead (what it did before).
- What crosses the pipe: the stored slide, the aspect ratio and, per image URL, its bytes or
  the path of a local file holding them (render-ready derivatives on local storage are
  read by the worker from the page cache: 6 MB of pixels per slide never go through the
  pipe); back comes the :class:`RenderedSlide` (JPEG bytes and measurements).
- Each worker's decode budget is the process budget divided by the workers.
- A worker that dies (killed, out of memory) breaks the pool: it is replaced and the render
  retried once; a second break is an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slideforge.config import Settings
from slideforge.kit import pixels
from slideforge.kit.workerpool import WorkerPool
from slideforge.render import RenderedSlide, SlideSpec, TextElementSpec, render_slide
from slideforge.render.images import shared_decodes
from slideforge.render.spec import DEFAULT_FONT_FAMILY
from slideforge.slideshows import slides as sl

log = logging.getLogger(__name__)

#: Threads of the in-process fallback (Pillow releases the GIL while decoding and encoding).
THREADS = max(1, min(4, os.cpu_count() or 1))

#: An image: its bytes, or the path of a local file holding them.
Source = bytes | str


@dataclass(frozen=True)
class Job:
    """One slide to render (picklable)."""

    slide: dict[str, Any]
    aspect_ratio: str
    sources: dict[str, Source]
    max_pixels: int


def _read(source: Source) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def render_job(job: Job, cache: dict[str, bytes] | None = None) -> RenderedSlide:
    """Render one slide (in a worker, or a thread of the fallback)."""
    images: dict[str, bytes] = {}
    for url, source in job.sources.items():
        if cache is None or isinstance(source, bytes):
            images[url] = _read(source)
        else:  # threads: one bytes object per file, so shared_decodes shares its decode
            images[url] = (
                cache[source] if source in cache else cache.setdefault(source, _read(source))
            )
    spec = sl.to_spec(job.slide, job.aspect_ratio, images)
    return render_slide(spec, max_pixels=job.max_pixels)


def _init_worker(budget_megapixels: float) -> None:
    pixels.configure(budget_megapixels)
    # load the default family's fonts (and the fallback chain's tables) once
    render_slide(
        SlideSpec(
            aspect_ratio="1:1",
            text_elements=(TextElementSpec("Aa", font_family=DEFAULT_FONT_FAMILY),),
        )
    )


def processes(settings: Settings) -> int:
    if settings.render_processes is not None:
        return settings.render_processes
    return min(2, os.cpu_count() or 1)


#: What the forkserver imports before forking a worker (the render and OCR pools share it).
FORKSERVER_PRELOAD = ("slideforge.slideshows.pool", "slideforge.copy_tiktok.ocr")


def _worker_budget(size: int, budget: Hashable) -> tuple[float]:
    """Each worker's decode budget: its share of the process's (the pool's key)."""
    assert isinstance(budget, int | float)
    return (max(1.0, budget / size),)


#: The render workers; the key is the process's decode budget.
WORKERS = WorkerPool("render", FORKSERVER_PRELOAD, _init_worker, _worker_budget)


def worker_pids() -> list[int]:
    return WORKERS.worker_pids()


def shutdown() -> None:
    """End the pool (the server's shutdown); the next render makes a new one."""
    WORKERS.shutdown()


def _collect(futures: Sequence[Future[RenderedSlide]]) -> list[RenderedSlide | Exception]:
    out: list[RenderedSlide | Exception] = []
    for future in futures:
        try:
            out.append(future.result())
        except BrokenProcessPool:
            raise
        except Exception as exc:
            out.append(exc)
    return out


def render(settings: Settings, jobs: Sequence[Job]) -> list[RenderedSlide | Exception]:
    """Each job's rendered slide or the exception it raised, in order."""
    size = processes(settings)
    if size == 0 or not jobs:
        cache: dict[str, bytes] = {}
        with (
            shared_decodes(),
            ThreadPoolExecutor(max_workers=min(THREADS, max(1, len(jobs)))) as pool,
        ):
            return _collect([pool.submit(render_job, job, cache) for job in jobs])
    return WORKERS.run(
        size,
        settings.image_decode_budget_megapixels,
        lambda executor: _collect([executor.submit(render_job, job) for job in jobs]),
        log,
    )
