"""kit.pixels: the process's pixel budget, early reduction, and header-only probing."""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from slideforge.kit import pixels
from slideforge.kit.images import ImageError, decode_rgb, open_image, oriented_size, probe_image


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_budget_waits_in_order_and_lets_one_oversized_decode_run_alone() -> None:
    budget = pixels.PixelBudget(10)
    order: list[str] = []
    release_a = threading.Event()
    release_b = threading.Event()

    def worker(name: str, amount: int, release: threading.Event | None) -> None:
        with budget.hold(amount):
            order.append(name)
            if release is not None:
                release.wait(10)

    a = threading.Thread(target=worker, args=("a", 8, release_a))
    a.start()
    wait_until(lambda: budget.used == 8)
    b = threading.Thread(target=worker, args=("b", 50, release_b))  # over the whole budget
    b.start()
    wait_until(lambda: len(budget._queue) == 1)
    c = threading.Thread(target=worker, args=("c", 1, None))  # fits, but b came first
    c.start()
    wait_until(lambda: len(budget._queue) == 2)
    assert order == ["a"]
    release_a.set()
    wait_until(lambda: order == ["a", "b"])
    assert budget.used == 10  # b holds the whole budget, alone; c still waits
    assert len(budget._queue) == 1
    release_b.set()
    for thread in (a, b, c):
        thread.join(10)
    assert order == ["a", "b", "c"] and budget.used == 0 and budget.peak == 10


def test_nested_holds_in_one_thread_do_not_wait() -> None:
    budget = pixels.PixelBudget(10)
    with budget.hold(10), budget.hold(10):
        assert budget.used == 10
    assert budget.used == 0


def _reference(
    image: Image.Image, factor: tuple[int, int], matte: tuple[int, int, int]
) -> Image.Image:
    """The straightforward way: flatten the whole image on the matte, then reduce."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", image.size, matte)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat.reduce(factor) if factor != (1, 1) else flat


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "PA", "RGB", "L"])
@pytest.mark.parametrize("factor", [(1, 1), (2, 3), (4, 4)])
def test_reduce_to_rgb_matches_flatten_then_reduce(mode: str, factor: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    rgba = Image.fromarray(rng.integers(0, 256, (301, 203, 4), dtype=np.uint8), "RGBA")
    if mode == "P":
        image = rgba.convert("RGB").quantize(64)
        image.info["transparency"] = 3
    elif mode == "PA":
        image = rgba.convert("PA")
    else:
        image = rgba.convert(mode)
    matte = (10, 200, 30)
    got = pixels.reduce_to_rgb(image, factor, matte)
    want = _reference(image, factor, matte)
    assert got.mode == "RGB" and got.size == want.size
    diff = np.abs(np.asarray(got, int) - np.asarray(want, int))
    assert diff.max() <= 2  # rounding of premultiplied values


def test_opaque_alpha_is_reduced_without_compositing() -> None:
    image = Image.new("LA", (400, 300), (77, 255))
    out = pixels.reduce_to_rgb(image, (4, 4), (255, 255, 255))
    assert out.size == (100, 75) and out.getpixel((50, 30)) == (77, 77, 77)


def _png_with_late_exif(size: tuple[int, int], orientation: int) -> bytes:
    """A PNG whose eXIf chunk comes after the pixel data (Pillow's getexif loads the whole
    image to reach it)."""
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG")
    data = out.getvalue()
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes()
    payload = payload[6:] if payload.startswith(b"Exif\x00\x00") else payload
    crc = zlib.crc32(b"eXIf" + payload) & 0xFFFFFFFF
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload + struct.pack(">I", crc)
    return data[:-12] + chunk + data[-12:]  # before IEND


def test_png_orientation_is_read_without_decoding() -> None:
    data = _png_with_late_exif((40, 30), 6)
    image = open_image(data, 10_000)
    assert oriented_size(image) == (30, 40)
    assert image.tile, "the pixels were decoded to read the orientation"
    info = probe_image(data, 10_000)
    assert (info.width, info.height) == (30, 40)
    assert decode_rgb(data, 10_000).size == (30, 40)


def test_decode_reduces_early_but_keeps_enough_pixels() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (4000, 6000), (200, 10, 10, 255)).save(out, "PNG")
    image = decode_rgb(out.getvalue(), 64_000_000, min_size=(500, 500))
    # one factor for both sides (4, not 6 for the height): the aspect stays, both ≥ 2x 500
    assert image.mode == "RGB" and image.size == (1000, 1500)
    assert image.getpixel((10, 10)) == (200, 10, 10)
    jpeg = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 200, 10)).save(jpeg, "JPEG")
    drafted = decode_rgb(jpeg.getvalue(), 64_000_000, min_size=(400, 400))
    assert drafted.size == (1000, 750)  # DCT scale 1/4 (1/8 would be under 400 high)


def test_probes_hold_no_full_size_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    budget = pixels.PixelBudget(10**9)
    monkeypatch.setattr(pixels, "_budget", budget)
    out = io.BytesIO()
    Image.new("RGB", (3000, 3000), (1, 2, 3)).save(out, "PNG")
    data = out.getvalue()
    assert probe_image(data, 64_000_000).width == 3000
    assert budget.peak == 0  # chunks and CRCs only: nothing inflated
    with pytest.raises(ImageError) as info:
        probe_image(data[:-30], 64_000_000)
    assert info.value.reason == "broken"
    jpeg = io.BytesIO()
    Image.new("RGB", (4000, 3000), (1, 2, 3)).save(jpeg, "JPEG")
    assert probe_image(jpeg.getvalue(), 64_000_000).height == 3000
    assert budget.peak == 500 * 375  # read through at 1/8 scale
    with pytest.raises(ImageError) as info:
        probe_image(jpeg.getvalue()[: len(jpeg.getvalue()) // 2], 64_000_000)
    assert info.value.reason == "broken"
