"""The render pool (slideshows/pool.py): worker processes render the same bytes as this
process, a killed worker is replaced, and shutting down leaves no process behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from slideforge.config import Settings
from slideforge.render import RenderInputError
from slideforge.slideshows import pool
from slideforge.slideshows import slides as sl
from tests.pool_support import assert_worker_ends_with_its_server
from tests.render.cases import flat_png, photo_jpeg


def jobs() -> list[pool.Job]:
    photo, logo = photo_jpeg(900, 1600, seed=3), flat_png((240, 40, 40), 200, 200)
    defaults = sl.TextDefaults()
    slides = []
    for i, preset in enumerate(("tiktok", "inverted", "shadow", "snapchat")):
        slide = sl.new_slide(
            image_url="https://x.test/photo.jpg" if i != 3 else None,
            text_elements=[
                sl.element(f"Slide {i}: the weekend is two days long", defaults, is_title=i == 0)
            ],
        )
        slide["text_elements"][0]["style_preset"] = preset
        if i == 2:
            slide["image_overlays"] = [
                {
                    "id": "o",
                    "image_url": "https://x.test/logo.png",
                    "x": 50.0,
                    "y": 80.0,
                    "width": 20.0,
                    "height": None,
                    "rotation": 10.0,
                    "opacity": 0.8,
                }
            ]
        slides.append(slide)
    images = {"https://x.test/photo.jpg": photo, "https://x.test/logo.png": logo}
    return [
        pool.Job(s, "9:16", {u: images[u] for _, u in sl.image_urls(s)}, 64_000_000) for s in slides
    ]


@pytest.fixture
def two() -> Settings:
    return Settings(render_processes=2)


def test_workers_render_the_same_bytes_as_this_process(two: Settings) -> None:
    work = jobs()
    expected = [pool.render_job(job) for job in work]
    assert pool.render(two, work) == expected
    # and so do the threads of the fallback
    assert pool.render(Settings(render_processes=0), work) == expected


def test_an_unreadable_image_comes_back_as_its_error(two: Settings) -> None:
    job = jobs()[0]
    broken = pool.Job(job.slide, job.aspect_ratio, {"https://x.test/photo.jpg": b"nope"}, 1000)
    [result] = pool.render(two, [broken])
    assert isinstance(result, RenderInputError) and result.input_name == "background"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_worker_is_replaced_and_shutdown_ends_the_workers(two: Settings) -> None:
    work = jobs()
    expected = [pool.render_job(job) for job in work]
    assert pool.render(two, work) == expected
    made, pids = pool.WORKERS.created, pool.worker_pids()
    assert len(pids) == 2
    os.kill(pids[0], signal.SIGKILL)
    assert pool.render(two, work) == expected  # rendered again on a new pool
    assert pool.WORKERS.created == made + 1
    new_pids = pool.worker_pids()
    assert new_pids and not set(new_pids) & set(pids)
    pool.shutdown()
    assert pool.worker_pids() == []
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in new_pids):
        assert time.monotonic() < deadline, "render workers still running after shutdown"
        time.sleep(0.05)


def test_a_render_worker_ends_when_its_server_is_killed() -> None:
    """A server killed without its shutdown leaves no render worker behind (kit.workerpool)."""
    code = (
        "import os, sys\n"
        "from slideforge.slideshows import pool\n"
        "print(pool.WORKERS.executor(1, 96.0).submit(os.getpid).result(), flush=True)\n"
        "sys.stdin.read()\n"
    )
    assert_worker_ends_with_its_server(code, "render")
