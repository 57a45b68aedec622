"""Background filters with CSS Filter Effects semantics.

The affine ones (brightness, contrast, saturate, hue-rotate, grayscale, sepia, invert) are
composed into one 3×4 colour matrix and applied in a single pass (``Image.convert`` with a
matrix); a web editor's ``filter:`` preview (:func:`css_filter`) then matches the server. CSS
clamps to 0–255 after each function; composing clamps once at the end, which differs only at
extremes. Blur is a Gaussian with σ = the CSS px value (at a 1080 px wide slide); large blurs
run on a downscaled copy. ``drop_shadow`` is an inner edge shadow; ``opacity`` blends with the
slide's background colour.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from slideforge.render.spec import REFERENCE_WIDTH, BackgroundFilters

Matrix = NDArray[np.float64]  # 4x4 affine on (r, g, b, 1), values 0–255

_LUMA = (0.2126, 0.7152, 0.0722)
#: the luminance weights of CSS's saturate(), and the target of its sepia()
_SATURATE_LUMA = (0.213, 0.715, 0.072)
_SEPIA = ((0.393, 0.769, 0.189), (0.349, 0.686, 0.168), (0.272, 0.534, 0.131))


def _affine(m3: list[list[float]], offset: tuple[float, float, float] = (0, 0, 0)) -> Matrix:
    out = np.eye(4)
    out[:3, :3] = np.asarray(m3, dtype=np.float64)
    out[:3, 3] = offset
    return out


def brightness(b: float) -> Matrix:
    return _affine([[b, 0, 0], [0, b, 0], [0, 0, b]])


def contrast(c: float) -> Matrix:
    o = (0.5 - 0.5 * c) * 255
    return _affine([[c, 0, 0], [0, c, 0], [0, 0, c]], (o, o, o))


def _blend(target: tuple[tuple[float, float, float], ...], keep: float) -> Matrix:
    """``keep`` of the identity and ``1 - keep`` of the ``target`` matrix: CSS's saturate,
    grayscale and sepia are this blend."""
    return _affine(
        [
            [t + ((1 - t) if column == row else -t) * keep for column, t in enumerate(weights)]
            for row, weights in enumerate(target)
        ]
    )


def saturate(s: float) -> Matrix:
    return _blend((_SATURATE_LUMA,) * 3, s)


def hue_rotate(degrees: float) -> Matrix:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return _affine(
        [
            [
                0.213 + c * 0.787 - s * 0.213,
                0.715 - c * 0.715 - s * 0.715,
                0.072 - c * 0.072 + s * 0.928,
            ],
            [
                0.213 - c * 0.213 + s * 0.143,
                0.715 + c * 0.285 + s * 0.140,
                0.072 - c * 0.072 - s * 0.283,
            ],
            [
                0.213 - c * 0.213 - s * 0.787,
                0.715 - c * 0.715 + s * 0.715,
                0.072 + c * 0.928 + s * 0.072,
            ],
        ]
    )


def grayscale(g: float) -> Matrix:
    return _blend((_LUMA,) * 3, 1 - min(max(g, 0.0), 1.0))


def sepia(amount: float) -> Matrix:
    return _blend(_SEPIA, 1 - min(max(amount, 0.0), 1.0))


def invert(amount: float) -> Matrix:
    i = min(max(amount, 0.0), 1.0)
    d = 1 - 2 * i
    return _affine([[d, 0, 0], [0, d, 0], [0, 0, d]], (255 * i, 255 * i, 255 * i))


def colour_matrix(f: BackgroundFilters) -> Matrix | None:
    """The composed matrix of the affine filters, or None when they are all neutral."""
    steps: list[Matrix] = []
    if f.brightness != 1:
        steps.append(brightness(max(f.brightness, 0.0)))
    if f.contrast != 1:
        steps.append(contrast(max(f.contrast, 0.0)))
    if f.saturation != 1:
        steps.append(saturate(max(f.saturation, 0.0)))
    if f.hue % 360 != 0:
        steps.append(hue_rotate(f.hue))
    if f.grayscale > 0:
        steps.append(grayscale(f.grayscale))
    if f.sepia > 0:
        steps.append(sepia(f.sepia))
    if f.invert > 0:
        steps.append(invert(f.invert))
    if not steps:
        return None
    total = np.eye(4)
    for m in steps:
        total = m @ total
    return total


def apply_matrix(img: Image.Image, matrix: Matrix) -> Image.Image:
    flat = tuple(float(v) for v in matrix[:3, :].reshape(-1))
    return img.convert("RGB", flat)


def blur(img: Image.Image, sigma_px: float) -> Image.Image:
    """Gaussian blur with standard deviation ``sigma_px`` (at this image's scale); blurs
    above 4 px run on a copy scaled down so that σ is ~4 px there, then scale back up."""
    if sigma_px <= 0:
        return img
    if sigma_px <= 4:
        return img.filter(ImageFilter.GaussianBlur(sigma_px))
    factor = sigma_px / 4
    small_size = (max(1, round(img.width / factor)), max(1, round(img.height / factor)))
    small = img.resize(small_size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    small = small.filter(ImageFilter.GaussianBlur(sigma_px / factor))
    return small.resize(img.size, Image.Resampling.BICUBIC)


def inner_shadow(img: Image.Image, strength: float) -> Image.Image:
    """Darken the edges with a soft inner shadow (``drop_shadow`` 0–1)."""
    strength = min(max(strength, 0.0), 1.0)
    if strength <= 0:
        return img
    w, h = img.size
    small = (max(8, w // 16), max(8, h // 16))
    margin = max(1, round(min(small) * 0.12))
    mask = Image.new("L", small, 0)
    inner = Image.new("L", (small[0] - 2 * margin, small[1] - 2 * margin), 255)
    mask.paste(inner, (margin, margin))
    mask = mask.filter(ImageFilter.GaussianBlur(margin * 0.9)).resize(
        (w, h), Image.Resampling.BICUBIC
    )
    shade = mask.point(lambda v: round(255 - (255 - v) * 0.85 * strength))
    black = Image.new("RGB", (w, h), (0, 0, 0))
    return Image.composite(img, black, shade)


def apply_filters(
    img: Image.Image, f: BackgroundFilters | None, matte: tuple[int, int, int]
) -> Image.Image:
    """Apply every filter to a background (RGB) in CSS order, then drop shadow and opacity."""
    if f is None:
        return img
    matrix = colour_matrix(f)
    if matrix is not None:
        img = apply_matrix(img, matrix)
    if f.blur > 0:
        img = blur(img, f.blur * img.width / REFERENCE_WIDTH)
    if f.drop_shadow > 0:
        img = inner_shadow(img, f.drop_shadow)
    if f.opacity < 1:
        alpha = min(max(f.opacity, 0.0), 1.0)
        img = Image.blend(Image.new("RGB", img.size, matte), img, alpha)
    return img


def css_filter(f: BackgroundFilters) -> str:
    """The CSS ``filter`` value a web editor can use to preview the same background."""
    parts = []
    if f.brightness != 1:
        parts.append(f"brightness({f.brightness:g})")
    if f.contrast != 1:
        parts.append(f"contrast({f.contrast:g})")
    if f.saturation != 1:
        parts.append(f"saturate({f.saturation:g})")
    if f.hue % 360 != 0:
        parts.append(f"hue-rotate({f.hue:g}deg)")
    if f.grayscale > 0:
        parts.append(f"grayscale({f.grayscale:g})")
    if f.sepia > 0:
        parts.append(f"sepia({f.sepia:g})")
    if f.invert > 0:
        parts.append(f"invert({f.invert:g})")
    if f.blur > 0:
        parts.append(f"blur({f.blur:g}px)")
    if f.opacity < 1:
        parts.append(f"opacity({f.opacity:g})")
    return " ".join(parts) or "none"
