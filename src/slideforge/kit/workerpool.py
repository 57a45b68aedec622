"""A pool of worker processes kept for the life of the process (the render and OCR pools).

- Start method ``forkserver`` where the platform has it (a clean process forked from a server
  that already imported ``preload``; never a fork of the threaded API process), else
  ``spawn``.
- The pool is made on first use with a size and a key (the settings its workers were started
  with: initializer arguments); asked with another size or key, it is remade.
- A worker that dies (killed, out of memory) breaks the pool: ``run`` replaces it and runs the
  work again once; a second break is raised.
- A worker whose server is gone without a shutdown (SIGKILL, OOM) exits by itself within
  ``PARENT_CHECK_SECONDS``: its parent is the forkserver, and neither notices, so it would
  keep its memory (fonts, OCR models) forever, blocked on a queue the dead server held.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

#: seconds between a worker's checks that the server that started it still runs
PARENT_CHECK_SECONDS = 2.0


def _exit_with(server_pid: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        try:
            os.kill(server_pid, 0)
        except (ProcessLookupError, PermissionError):  # gone (or the pid reused by another user)
            os._exit(0)


def _start_worker(server_pid: int, initializer: Callable[..., None], args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    threading.Thread(
        target=_exit_with, args=(server_pid,), name="slideforge-worker-watch", daemon=True
    ).start()
    initializer(*args)


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
                    initializer=_start_worker,
                    initargs=(os.getpid(), self.initializer, self.initargs(size, key)),
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
