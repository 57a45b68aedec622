"""Rendering a slideshow's slides across processes.

Text layout is Python (it holds the GIL), so threads render about one slide at a time; a
pool of worker processes renders them in parallel. The pool is made on first use and kept
for the life of the process (``workers.stop`` ends it): a worker imports the renderer and
loads the fonts once (initializer), then renders slide after slide.

- Start method: ``forkserver`` where the platform has it (a clean process forked from a
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
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slideforge.config import Settings
from slideforge.kit import pixels
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
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
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


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # the same list as the OCR pool's (whichever starts the forkserver first)
        context.set_forkserver_preload(["slideforge.slideshows.pool", "slideforge.copy_tiktok.ocr"])
        return context
    return multiprocessing.get_context("spawn")


class _Pool:
    def __init__(self, size: int, budget_megapixels: float) -> None:
        self.size = size
        self.budget = budget_megapixels
        self.executor = ProcessPoolExecutor(
            max_workers=size,
            mp_context=_context(),
            initializer=_init_worker,
            initargs=(max(1.0, budget_megapixels / size),),
        )


_lock = threading.Lock()
_pool: _Pool | None = None
#: Pools made in this process (tests check that a broken pool was replaced).
created = 0


def _get(size: int, budget_megapixels: float) -> _Pool:
    global _pool, created
    with _lock:
        if _pool is None or (_pool.size, _pool.budget) != (size, budget_megapixels):
            if _pool is not None:
                _pool.executor.shutdown(wait=False, cancel_futures=True)
            _pool = _Pool(size, budget_megapixels)
            created += 1
        return _pool


def _replace(broken: _Pool) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.executor.shutdown(wait=False, cancel_futures=True)


def worker_pids() -> list[int]:
    """The pool's worker processes (empty without a pool)."""
    with _lock:
        pool = _pool
    if pool is None:
        return []
    return [p.pid for p in (pool.executor._processes or {}).values() if p.pid is not None]


def shutdown() -> None:
    """End the pool (the server's shutdown); the next render makes a new one."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.executor.shutdown(wait=True, cancel_futures=True)


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
    budget = settings.image_decode_budget_megapixels
    for attempt in (1, 2):
        current = _get(size, budget)
        try:
            futures = [current.executor.submit(render_job, job) for job in jobs]
            return _collect(futures)
        except BrokenProcessPool:
            _replace(current)
            if attempt == 2:
                raise
            log.warning("a render worker died; replacing the pool and rendering again")
    raise AssertionError("unreachable")
