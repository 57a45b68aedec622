"""Reading slides (OCR) in a worker process, off the API process's CPU.

A copy-a-TikTok preview or import reads up to 8 slides: about a second of onnxruntime work
each. Run inside the API process, that work competes with every other request for the GIL
(decoding, layout) and for the cores. Here it runs in a pool of worker processes kept for the
life of the server (``workers.stop`` ends it), like the render pool (``slideshows/pool.py``):

- Start method ``forkserver`` where the platform has it (a clean process forked from a server
  that imported the OCR module; never a fork of the threaded API process), else ``spawn``.
- Each worker lowers its own priority (``os.nice(OCR_NICE)``), so the API process wins the
  CPU whenever both want it, and builds its engine once (the initializer loads the models)
  with ``threads_per_worker`` onnxruntime intra-op threads: the cores divided by the workers,
  so one preview uses both cores of a 2-core server when nothing else runs.
- Size: ``SLIDEFORGE_OCR_PROCESSES`` (default 1). ``0`` reads in this process instead, on its
  single OCR thread (``ocr.ocr_slides``): the API process then loads the models itself.
- A whole preview is one job (its slides are read in order by the worker's OCR thread while
  a second thread turns each slide's lines into elements); concurrent previews queue.
- What crosses the pipe: the encoded slides out, the :class:`ocr.SlideOcr` results back.
- A worker that dies (killed, out of memory) breaks the pool: it is replaced and the job
  run again once; a second break is an error. A worker whose server is gone without a
  shutdown (killed) exits by itself (``kit.workerpool``).

The API process never imports rapidocr or onnxruntime on this path, so its memory stays that
of an idle server (``slideforge bench memory``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Hashable, Sequence

from slideforge.config import Settings
from slideforge.copy_tiktok import ocr
from slideforge.kit.workerpool import WorkerPool
from slideforge.slideshows.pool import FORKSERVER_PRELOAD

log = logging.getLogger(__name__)

#: niceness added to an OCR worker (0 normal … 19 lowest): the API process comes first
OCR_NICE = 10


def processes(settings: Settings) -> int:
    return settings.ocr_processes


def threads_per_worker(settings: Settings) -> int:
    """onnxruntime intra-op threads of each worker: ``ocr_threads`` when set, else the cores
    divided by the workers (at least one)."""
    if settings.ocr_threads is not None:
        return settings.ocr_threads
    return max(1, (os.cpu_count() or 1) // max(1, processes(settings)))


def _init_worker(threads: int) -> None:
    try:
        os.nice(OCR_NICE)
    except OSError:  # pragma: no cover - not allowed here; the worker runs at normal priority
        log.warning("could not lower the OCR worker's priority")
    ocr.configure_shared_engine(threads=threads)
    # a missing model is raised again by the first job, with its message, to the request
    with contextlib.suppress(ocr.OcrUnavailableError):
        ocr.shared_engine().load()


def read_job(images: Sequence[bytes], max_pixels: int) -> list[ocr.SlideOcr]:
    """One preview's or import's slides, read in the worker."""
    return ocr.ocr_slides(images, max_pixels=max_pixels)


def worker_info() -> tuple[int, int, int, bool]:
    """(pid, niceness, onnxruntime threads, models loaded) of the worker that runs it."""
    engine = ocr.shared_engine()
    return os.getpid(), os.nice(0), engine.threads, engine.loaded


def _worker_args(size: int, threads: Hashable) -> tuple[int]:
    assert isinstance(threads, int)
    return (threads,)


#: The OCR workers; the key is the onnxruntime threads of each.
WORKERS = WorkerPool("OCR", FORKSERVER_PRELOAD, _init_worker, _worker_args)


def worker_pids() -> list[int]:
    return WORKERS.worker_pids()


def shutdown() -> None:
    """End the pool (the server's shutdown); the next read makes a new one."""
    WORKERS.shutdown()


def warm(settings: Settings) -> tuple[int, int, int, bool] | None:
    """Start a worker and load its models now (benchmarks); None when OCR runs in-process
    (then this process's engine is loaded)."""
    size = processes(settings)
    if size == 0:
        ocr.shared_engine().load()
        return None
    return WORKERS.executor(size, threads_per_worker(settings)).submit(worker_info).result()


def read(settings: Settings, images: Sequence[bytes], max_pixels: int) -> list[ocr.SlideOcr]:
    """Each slide's OCR (``ocr.SlideOcr``), in order; the work runs in the pool's worker, or
    in this process when ``ocr_processes`` is 0. Call it with no database transaction open."""
    size = processes(settings)
    if size == 0 or not images:
        return ocr.ocr_slides(images, max_pixels=max_pixels)
    return WORKERS.run(
        size,
        threads_per_worker(settings),
        lambda executor: executor.submit(read_job, list(images), max_pixels).result(),
        log,
    )
