"""A pool of worker processes kept for the life of the process (the render and OCR pools).

- Start method ``forkserver`` where the platform has it (a clean process forked from a server
  that already imported ``preload``; never a fork of the threaded API process), else
  ``spawn``.
- The pool is made on first use with a size and a key (the settings its workers were started
  with: initializer arguments); asked with another size or key, it is remade.
- A worker that dies (killed, out of memory) breaks the pool: ``run`` replaces it and runs the
  work again once; a second break is raised.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")


class WorkerPool:
    def __init__(
        self,
        name: str,
        preload: Sequence[str],
        initializer: Callable[..., None],
        initargs: Callable[[int, Hashable], tuple[Any, ...]],
    ) -> None:
        self.name = name
        self.preload = list(preload)
        self.initializer = initializer
        self.initargs = initargs  # (size, key) → the initializer's arguments
        self._lock = threading.Lock()
        self._current: tuple[int, Hashable, ProcessPoolExecutor] | None = None
        #: Pools made so far (tests check that a broken pool was replaced).
        self.created = 0

    def _context(self) -> multiprocessing.context.BaseContext:
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(self.preload)
            return context
        return multiprocessing.get_context("spawn")

    def executor(self, size: int, key: Hashable) -> ProcessPoolExecutor:
        with self._lock:
            if self._current is None or self._current[:2] != (size, key):
                if self._current is not None:
                    self._current[2].shutdown(wait=False, cancel_futures=True)
                executor = ProcessPoolExecutor(
                    max_workers=size,
                    mp_context=self._context(),
                    initializer=self.initializer,
                    initargs=self.initargs(size, key),
                )
                self._current = (size, key, executor)
                self.created += 1
            return self._current[2]

    def replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._current is not None and self._current[2] is broken:
                self._current = None
        broken.shutdown(wait=False, cancel_futures=True)

    def run(
        self, size: int, key: Hashable, work: Callable[[ProcessPoolExecutor], T], log: Any
    ) -> T:
        """``work(executor)``; when a worker died under it, once more on a new pool."""
        for attempt in (1, 2):
            executor = self.executor(size, key)
            try:
                return work(executor)
            except BrokenProcessPool:
                self.replace(executor)
                if attempt == 2:
                    raise
                log.warning("a %s worker died; replacing the pool and trying again", self.name)
        raise AssertionError("unreachable")

    def worker_pids(self) -> list[int]:
        """The pool's worker processes (empty without a pool)."""
        with self._lock:
            current = self._current
        if current is None:
            return []
        processes = current[2]._processes or {}
        return [p.pid for p in processes.values() if p.pid is not None]

    def shutdown(self) -> None:
        """End the pool (the server's shutdown); the next use makes a new one."""
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current[2].shutdown(wait=True, cancel_futures=True)
