"""Decoding input images safely and fitting them to a box.

- The pixel count is checked from the header, before any pixel is decoded (decompression
  bombs); broken, truncated or unsupported data raises :class:`RenderInputError` naming the
  input.
- Large JPEGs are decoded with ``draft()`` (DCT scaling by 1/2, 1/4, 1/8) to the smallest size
  that still covers the target, then the centred crop is resized in one step
  (``resize(size, box=…)``; a downscale by 0.8–1 goes through OpenCV, see below). EXIF
  orientation is honoured without rotating the big image: the crop is taken in the stored
  orientation and only the small result is transposed.
- Other formats are decoded whole, then box-reduced by whole factors (what
  ``resize(reducing_gap=2)`` would do) while they are flattened to RGB, strip by strip
  (``kit.pixels``); the full-size pixels are held from the process's pixel budget until the
  slide-sized result exists.
- Inside :func:`shared_decodes` (a render), slides that use the same image bytes at the same
  size decode them once; the cache is dropped when the last render leaves it.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from slideforge.kit import pixels
from slideforge.kit.images import TRANSPOSE, exif_orientation
from slideforge.render.spec import RenderInputError


def _sniff_heif(data: bytes) -> bool:
    return (
        len(data) > 12
        and data[4:8] == b"ftyp"
        and data[8:12]
        in (
            b"heic",
            b"heix",
            b"hevc",
            b"heim",
            b"heis",
            b"mif1",
            b"msf1",
            b"avif",
        )
    )


def open_image(data: bytes, name: str, max_pixels: int) -> Image.Image:
    """Open (not decode) an encoded image, refusing bombs and unknown formats."""
    if not data:
        raise RenderInputError(name, "empty image data")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RenderInputError(name, f"decompression bomb refused ({exc})") from exc
    except UnidentifiedImageError as exc:
        if _sniff_heif(data):
            raise RenderInputError(
                name, "HEIC/HEIF/AVIF images are not supported; convert to JPEG or PNG"
            ) from exc
        raise RenderInputError(
            name, "not a readable image (JPEG, PNG, WebP, GIF, BMP, TIFF)"
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise RenderInputError(name, f"broken image: {exc}") from exc
    width, height = img.size
    if width <= 0 or height <= 0:
        raise RenderInputError(name, "image has no pixels")
    if width * height > max_pixels:
        raise RenderInputError(
            name,
            f"image is {width}x{height} = {width * height} pixels, over the limit of "
            f"{max_pixels} (decompression bomb guard)",
        )
    return img


def _load(img: Image.Image, name: str) -> Image.Image:
    try:
        img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RenderInputError(name, f"broken image: {exc}") from exc
    return img


def _flatten(img: Image.Image, matte: tuple[int, int, int]) -> Image.Image:
    """RGB, with any transparency composited over ``matte``."""
    if img.mode == "RGB":
        return img
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGB", rgba.size, matte)
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        img = img.point(lambda v: v / 256).convert("L") if img.mode != "F" else img.convert("L")
    return img.convert("RGB")


# Between this and 1 a downscale barely moves a pixel, so a plain (not antialiased) bicubic
# interpolation shows no aliasing; OpenCV's SIMD one does it in about a fifth of Pillow's
# antialiased bilinear time (4 ms against 20 ms for 1125x2000 -> 1080x1920 on one core).
_NEAR_ONE = 0.8


def _resize_near_one(
    img: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int]
) -> Image.Image:
    """Crop ``box`` (rounded to whole pixels, at most half a pixel off centre) and resize it
    to ``size`` with OpenCV's bicubic interpolation."""
    left, top = round(box[0]), round(box[1])
    right, bottom = max(left + 1, round(box[2])), max(top + 1, round(box[3]))
    pixels = np.asarray(img)[top:bottom, left:right]
    resized = cv2.resize(pixels, size, interpolation=cv2.INTER_CUBIC)
    return Image.fromarray(resized, "RGB")


def _choose_resample(scale: float) -> Image.Resampling:
    # measured (see benchmarks/render.py): from a DCT-scaled decode the scale is 0.5–1, where
    # an antialiased bilinear resize looks the same as bicubic/Lanczos in a q90 JPEG and costs
    # about half; upscaling small images uses bicubic.
    return Image.Resampling.BICUBIC if scale > 1.0 else Image.Resampling.BILINEAR


def load_cover(
    data: bytes,
    name: str,
    size: tuple[int, int],
    max_pixels: int,
    *,
    matte: tuple[int, int, int] = (0, 0, 0),
) -> Image.Image:
    """Decode ``data`` and cover-fit it to exactly ``size`` (centre crop), RGB."""
    return _shared(
        data,
        ("cover", name, size, max_pixels, matte),
        lambda: _load_cover(data, name, size, max_pixels, matte),
    )


def _load_cover(
    data: bytes,
    name: str,
    size: tuple[int, int],
    max_pixels: int,
    matte: tuple[int, int, int],
) -> Image.Image:
    tw, th = size
    img = open_image(data, name, max_pixels)
    orient = exif_orientation(img)
    swap = orient in (5, 6, 7, 8)
    # target in the stored (unrotated) orientation
    sw, sh = (th, tw) if swap else (tw, th)
    w, h = img.size
    scale = max(sw / w, sh / h)
    # the whole image at the cover scale: what draft and the early reduction must keep
    need = (max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale)))
    if img.format == "JPEG":
        try:
            img.draft("RGB", need)
        except (OSError, ValueError) as exc:
            raise RenderInputError(name, f"broken image: {exc}") from exc
    with pixels.budget().hold(img.width * img.height):
        _load(img, name)
        img = pixels.reduce_to_rgb(img, pixels.reduction(img.size, need), matte)
        w, h = img.size
        scale = max(sw / w, sh / h)
        # min(): float rounding can make the crop a hair larger than the image, and Pillow
        # refuses a box outside it ("box offset can't be negative").
        crop_w, crop_h = min(w, sw / scale), min(h, sh / scale)
        box = ((w - crop_w) / 2, (h - crop_h) / 2, (w + crop_w) / 2, (h + crop_h) / 2)
        if _NEAR_ONE <= scale < 1.0 and img.mode == "RGB":
            out = _resize_near_one(img, box, (sw, sh))
        else:
            out = img.resize((sw, sh), _choose_resample(scale), box=box, reducing_gap=3.0)
        img.close()
        del img
    if orient in TRANSPOSE:
        out = out.transpose(TRANSPOSE[orient])
    return out


def load_rgba(data: bytes, name: str, max_pixels: int, max_side: int) -> Image.Image:
    """Decode an overlay image as RGBA, upright, with its longer side at most ``max_side``."""
    return _shared(
        data,
        ("rgba", name, max_side, max_pixels),
        lambda: _load_rgba(data, name, max_pixels, max_side),
    )


def _load_rgba(data: bytes, name: str, max_pixels: int, max_side: int) -> Image.Image:
    img = open_image(data, name, max_pixels)
    orient = exif_orientation(img)
    if img.format == "JPEG":
        img.draft("RGB", (max_side, max_side))
    with pixels.budget().hold(img.width * img.height):
        _load(img, name)
        if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
            img = _flatten(img, (0, 0, 0))
        factor = max(1, int(max(img.size) / max_side / pixels.REDUCING_GAP))
        reduced = pixels.reduce_as(img, (factor, factor), "RGBA")
        if reduced is not img:
            img.close()
        img = reduced
        if max(img.size) > max_side:
            img.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=3.0)
    if orient in TRANSPOSE:
        img = img.transpose(TRANSPOSE[orient])
    return img


# -- one decode per image and size within a render -----------------------------------------

#: Results kept while renders run (each at most a slide, 1080x1920: ~8 MB in Pillow).
SHARED_MAX = 12


class _Entry:
    def __init__(self, data: bytes) -> None:
        self.data = data  # kept so that id(data) cannot be reused while the entry lives
        self.done = threading.Event()
        self.result: Image.Image | None = None
        self.error: BaseException | None = None


_shared_lock = threading.Lock()
_shared_scopes = 0
_shared_entries: OrderedDict[tuple[object, ...], _Entry] = OrderedDict()


@contextmanager
def shared_decodes() -> Iterator[None]:
    """While any such block runs, slides that decode the same bytes object at the same size
    share one decode (the others wait for it). Dropped when the last block ends."""
    global _shared_scopes
    with _shared_lock:
        _shared_scopes += 1
    try:
        yield
    finally:
        with _shared_lock:
            _shared_scopes -= 1
            if _shared_scopes == 0:
                _shared_entries.clear()


def _shared(
    data: bytes, params: tuple[object, ...], compute: Callable[[], Image.Image]
) -> Image.Image:
    key = (id(data), *params)
    with _shared_lock:
        if _shared_scopes == 0:
            entry, owner = None, False
        else:
            entry = _shared_entries.get(key)
            owner = entry is None or entry.data is not data
            if owner:
                entry = _shared_entries[key] = _Entry(data)
                while len(_shared_entries) > SHARED_MAX:
                    _shared_entries.popitem(last=False)
            else:
                _shared_entries.move_to_end(key)
    if entry is None:
        return compute()
    if owner:
        try:
            entry.result = compute()
        except BaseException as exc:
            entry.error = exc
            raise
        finally:
            entry.done.set()
    else:
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
    assert entry.result is not None
    return entry.result.copy()  # the caller draws on it; the shared one stays clean
