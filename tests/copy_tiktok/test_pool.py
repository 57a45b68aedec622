"""The OCR pool (copy_tiktok/pool.py): previews are read in a niced worker process that keeps
its models between requests; a killed worker is replaced; ``ocr_processes=0`` reads in the
API process as before."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

import pytest

from slideforge.copy_tiktok import ocr
from slideforge.copy_tiktok import pool as ocr_pool
from slideforge.runtime import Runtime
from tests.copy_tiktok.conftest import Site
from tests.copy_tiktok.test_endpoints import PREVIEW, photo_post, tiktok, truth
from tests.helpers import ApiClient, ok
from tests.pool_support import assert_worker_ends_with_its_server
from tests.slideshows.test_pool import alive

__all__ = ["tiktok"]  # the fixture, used by name


def _refuse_in_process(*_args: object, **_kwargs: object) -> list[ocr.SlideOcr]:
    raise AssertionError("the API process read the slides itself")


def test_the_worker_is_niced_and_keeps_its_models(runtime: Runtime) -> None:
    pid, niceness, threads, loaded = ocr_pool.warm(runtime.settings) or (0, 0, 0, False)
    assert pid != os.getpid() and pid in ocr_pool.worker_pids()
    assert niceness >= os.nice(0) + ocr_pool.OCR_NICE or niceness == 19
    assert threads == max(1, (os.cpu_count() or 1) // runtime.settings.ocr_processes)
    assert loaded
    again = ocr_pool.warm(runtime.settings)
    assert again is not None and again[0] == pid  # the same process, models still loaded


def test_a_preview_is_read_in_the_worker_and_a_killed_worker_is_replaced(
    tiktok: Site, api: ApiClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runtime.settings.ocr_processes >= 1
    # this process's OCR refuses to run: the preview must come from the worker
    monkeypatch.setattr(ocr, "ocr_slides", _refuse_in_process)
    url = photo_post(tiktok, 1)
    first = ok(api.post(PREVIEW, json={"url": url}))
    assert [e["content"] for e in first["slides"][0]["text_elements"]] == [truth(0)]
    made, pids = ocr_pool.WORKERS.created, ocr_pool.worker_pids()
    assert pids
    os.kill(pids[0], signal.SIGKILL)
    again = ok(api.post(PREVIEW, json={"url": url}))  # read again on a new pool
    assert [e["content"] for e in again["slides"][0]["text_elements"]] == [truth(0)]
    assert ocr_pool.WORKERS.created == made + 1
    new_pids = ocr_pool.worker_pids()
    assert new_pids and not set(new_pids) & set(pids)
    ok(api.get("/accounts"))


def test_ocr_processes_zero_reads_in_the_api_process(
    tiktok: Site, api: ApiClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.settings, "ocr_processes", 0)
    calls: list[int] = []
    real = ocr.ocr_slides

    def counted(images: Sequence[bytes], **kwargs: int) -> list[ocr.SlideOcr]:
        calls.append(len(images))
        return real(images, **kwargs)

    monkeypatch.setattr(ocr, "ocr_slides", counted)
    data = ok(api.post(PREVIEW, json={"url": photo_post(tiktok, 2)}))
    assert calls == [2]
    assert [e["content"] for e in data["slides"][0]["text_elements"]] == [truth(0)]
    assert data["slides"][1]["text_elements"][0]["style_preset"] == "inverted"


def test_shutdown_ends_the_workers(runtime: Runtime) -> None:
    ocr_pool.warm(runtime.settings)
    pids = ocr_pool.worker_pids()
    assert pids
    ocr_pool.shutdown()
    assert ocr_pool.worker_pids() == []
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "OCR workers still running after shutdown"
        time.sleep(0.05)


def test_a_worker_ends_when_its_server_is_killed() -> None:
    """A server killed without its shutdown leaves no OCR worker holding the models."""
    code = (
        "import sys\n"
        "from slideforge.config import Settings\n"
        "from slideforge.copy_tiktok import pool\n"
        "info = pool.warm(Settings(ocr_processes=1))\n"
        "print(info[0], flush=True)\n"
        "sys.stdin.read()\n"
    )
    assert_worker_ends_with_its_server(code, "OCR")
