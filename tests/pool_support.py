"""The check both worker pools (render, OCR) share: a server killed without its shutdown
leaves no worker behind (``kit.workerpool``)."""

from __future__ import annotations

import subprocess
import sys
import time

from slideforge.kit.workerpool import PARENT_CHECK_SECONDS


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_worker_ends_with_its_server(code: str, what: str) -> None:
    """Run ``code`` as a server process (it prints a pool worker's pid, then waits), kill it,
    and wait for that worker to end."""
    server = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        assert running(worker)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 4 * PARENT_CHECK_SECONDS + 5
    while running(worker):
        assert time.monotonic() < deadline, f"the {what} worker outlived its server"
        time.sleep(0.1)
