"""A budget for decoded pixels, and decoding that reduces early and gives memory back.

A small file can decode to many pixels (a 140 KB PNG is 64 megapixels, 128–256 MB once
decoded), so image work is bounded three ways:

- **Per process**: every full-size decode holds its pixel count from a process-wide
  :class:`PixelBudget` (``SLIDEFORGE_IMAGE_DECODE_BUDGET_MEGAPIXELS``) for as long as the
  full-size pixels exist; other decodes wait, first come first served. A single image larger
  than the whole budget still runs, alone.
- **Early reduction**: callers say the smallest size they need (``min_size``). JPEGs are
  decoded at a DCT scale (``draft``); other formats are decoded, then reduced by the same
  integer box factor (Pillow's ``reducing_gap`` of 2), strip by strip, while
  they are converted to RGB, so no second full-size copy is made.
- **Memory goes back**: the full-size image is closed as soon as the reduced one exists, and
  on glibc ``malloc_trim`` hands the freed pages back to the OS after big decodes (otherwise
  the freed 16 MB blocks stay in the heap and the process keeps its peak size).

Per-request limits (how many pixels one render may decode) are checked by the callers from
the headers before any decoding, with :func:`decode_cost`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageChops, ImageOps

#: Early reduction: whole box factors while the image stays at least this many times the
#: target, then the caller resamples (Pillow's ``reducing_gap``; at 2 the result after a
#: q90 JPEG encode looks the same as a full resample, and a 64 MP PNG cover-fit to a
#: 1080x1920 slide holds a quarter of the pixels it would at 3).
REDUCING_GAP = 2.0
#: Rows are converted and reduced in strips of about this many pixels.
STRIP_PIXELS = 4_000_000
#: A decode holding at least this many pixels is followed by a ``malloc_trim``.
TRIM_AFTER_PIXELS = 8_000_000
DEFAULT_BUDGET_PIXELS = 96_000_000


class PixelBudget:
    """A counting semaphore over pixels with FIFO order (a big decode waiting at the head is
    not overtaken for ever by small ones)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, int(capacity))
        self.used = 0
        self.peak = 0
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._local = threading.local()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[int]:
        """Hold ``pixels`` (at most the whole budget) while the block runs. Nested holds in
        one thread do not wait (the outer one already counts)."""
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            try:
                yield 0
            finally:
                self._local.depth -= 1
            return
        amount = max(0, min(int(pixels), self.capacity))
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            while self._queue[0] is not ticket or self.used + amount > self.capacity:
                self._cond.wait()
            self._queue.popleft()
            self.used += amount
            self.peak = max(self.peak, self.used)
            self._cond.notify_all()  # the next in line may fit too
        self._local.depth = 1
        try:
            yield amount
        finally:
            self._local.depth = 0
            with self._cond:
                self.used -= amount
                self._cond.notify_all()
            if amount >= TRIM_AFTER_PIXELS:
                release_memory()


_budget = PixelBudget(DEFAULT_BUDGET_PIXELS)


def configure(megapixels: float) -> None:
    """Size the process's budget (``build_runtime`` does, from the settings)."""
    global _budget
    capacity = int(megapixels * 1_000_000)
    if capacity != _budget.capacity:
        _budget = PixelBudget(capacity)


def budget() -> PixelBudget:
    return _budget


# -- returning memory ----------------------------------------------------------------------

_libc: ctypes.CDLL | None = None
_trim_lock = threading.Lock()
_last_trim = 0.0


def _load_libc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            libc.malloc_trim.restype = ctypes.c_int
            _libc = libc
        except (OSError, AttributeError):  # not glibc: nothing to trim
            return None
    return _libc


def release_memory(min_interval: float = 0.2) -> bool:
    """Give freed heap pages back to the OS (glibc ``malloc_trim``), at most every
    ``min_interval`` seconds. Returns whether a trim ran."""
    global _last_trim
    libc = _load_libc()
    if libc is None:
        return False
    now = time.monotonic()
    with _trim_lock:
        if now - _last_trim < min_interval:
            return False
        _last_trim = now
    libc.malloc_trim(0)
    return True


# -- decoding with reduction ---------------------------------------------------------------


def reduction(size: tuple[int, int], min_size: tuple[int, int] | None) -> tuple[int, int]:
    """The whole box factor, the same on both axes (callers derive sizes from the result's
    aspect), that keeps ``size`` at least ``REDUCING_GAP`` times ``min_size`` on each."""
    if min_size is None:
        return 1, 1
    width, height = size
    min_w, min_h = max(1, min_size[0]), max(1, min_size[1])
    factor = max(1, int(min(width / min_w, height / min_h) / REDUCING_GAP))
    return factor, factor


def jpeg_scale(size: tuple[int, int], min_size: tuple[int, int] | None) -> int:
    """The DCT scale (1, 2, 4 or 8) ``draft`` picks for ``min_size``."""
    if min_size is None:
        return 1
    scale = min(size[0] // max(1, min_size[0]), size[1] // max(1, min_size[1]))
    for value in (8, 4, 2):
        if scale >= value:
            return value
    return 1


def decode_cost(fmt: str | None, size: tuple[int, int], min_size: tuple[int, int] | None) -> int:
    """Pixels a decode of an image of ``size`` holds at full size: JPEGs decode at their DCT
    scale, the others whole."""
    width, height = size
    if fmt in ("jpeg", "JPEG"):
        scale = jpeg_scale(size, min_size)
        return math.ceil(width / scale) * math.ceil(height / scale)
    return width * height


_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def to_rgb(image: Image.Image, matte: tuple[int, int, int]) -> Image.Image:
    """RGB, with transparency composited over ``matte`` and 16/32-bit grey scaled to 8 bits."""
    if image.mode == "RGB":
        return image
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, matte)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode in _WIDE_MODES:
        if image.mode == "F":
            image = image.convert("L")
        else:
            image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


#: Modes ``Image.reduce`` takes without a full-size conversion first.
_REDUCE_IN_PLACE = ("RGB", "L", "I", "F")


def reduce_to_rgb(
    image: Image.Image, factor: tuple[int, int], matte: tuple[int, int, int]
) -> Image.Image:
    """``image`` (loaded) as RGB, box-reduced by ``factor``, without a second full-size
    copy: reduced in place where Pillow can, otherwise converted and reduced strip by strip
    (transparent images: premultiplied, reduced, then laid over ``matte``)."""
    if factor == (1, 1) and image.mode == "RGB":
        return image
    if image.mode in _REDUCE_IN_PLACE:
        return to_rgb(image.reduce(factor) if factor != (1, 1) else image, matte)
    fx, fy = factor
    width, height = image.size
    out = Image.new("RGB", (math.ceil(width / fx), math.ceil(height / fy)))
    rows = max(fy, (STRIP_PIXELS // max(1, width)) // fy * fy)
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        if (strip.mode == "P" and "transparency" in strip.info) or strip.mode == "PA":
            strip = strip.convert("RGBA")
        if strip.mode in ("LA", "RGBA"):
            strip = _over_matte(strip, factor, matte)
        else:
            strip = to_rgb(strip, matte)
            if factor != (1, 1):
                strip = strip.reduce(factor)
        out.paste(strip, (0, top // fy))
        del strip
    return out


def _over_matte(
    image: Image.Image, factor: tuple[int, int], matte: tuple[int, int, int]
) -> Image.Image:
    """An LA/RGBA image reduced by ``factor`` and composited over ``matte``, band by band:
    colour × alpha (premultiplied), box-reduced, plus matte × (1 − alpha). Box averages of
    premultiplied values are exact, so this equals reducing the composite."""
    bands = image.split()
    alpha = bands[-1]
    if alpha.getextrema() == (255, 255):  # opaque (most such files): no compositing
        colours = [band.reduce(factor) if factor != (1, 1) else band for band in bands[:-1]]
        return Image.merge("RGB", colours * 3 if len(colours) == 1 else colours)
    colours = [ImageChops.multiply(band, alpha) for band in bands[:-1]]
    if factor != (1, 1):
        colours = [band.reduce(factor) for band in colours]
        alpha = alpha.reduce(factor)
    if len(colours) == 1:
        colours = colours * 3
    clear = ImageOps.invert(alpha)
    channels = [
        ImageChops.add(band, clear.point([round(v * m / 255) for v in range(256)]))
        for band, m in zip(colours, matte, strict=True)
    ]
    return Image.merge("RGB", channels)


def reduce_as(image: Image.Image, factor: tuple[int, int], mode: str) -> Image.Image:
    """``image`` (loaded) converted to ``mode`` and box-reduced by ``factor``, strip by
    strip (no full-size converted copy)."""
    if factor == (1, 1):
        return image if image.mode == mode else image.convert(mode)
    fx, fy = factor
    width, height = image.size
    out = Image.new(mode, (math.ceil(width / fx), math.ceil(height / fy)))
    rows = max(fy, (STRIP_PIXELS // max(1, width)) // fy * fy)
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        strip = (strip if strip.mode == mode else strip.convert(mode)).reduce(factor)
        out.paste(strip, (0, top // fy))
        del strip
    return out
