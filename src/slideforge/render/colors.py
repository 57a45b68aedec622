"""CSS colour parsing and WCAG luminance / contrast."""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray
from PIL import ImageColor

RGBA = tuple[int, int, int, int]

_FUNC = re.compile(r"^(rgba?)\(\s*([^)]*)\)$", re.IGNORECASE)


def _channel(token: str) -> int:
    token = token.strip()
    if token.endswith("%"):
        return round(float(token[:-1]) * 255 / 100)
    return round(float(token))


def _alpha(token: str) -> int:
    token = token.strip()
    if token.endswith("%"):
        value = float(token[:-1]) / 100
    else:
        value = float(token)
        if value > 1:  # some editors send 0–255
            value /= 255
    return round(min(max(value, 0.0), 1.0) * 255)


def parse_color(value: str) -> RGBA:
    """Parse a CSS colour (``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, ``rgb()``,
    ``rgba()`` with a 0–1 or percent alpha, ``transparent``, named colours).

    Raises ``ValueError`` on anything else."""
    text = value.strip()
    if not text:
        raise ValueError("empty colour")
    if text.casefold() == "transparent":
        return (0, 0, 0, 0)
    match = _FUNC.match(text)
    if match:
        parts = [p for p in re.split(r"[\s,/]+", match.group(2).strip()) if p]
        if len(parts) not in (3, 4):
            raise ValueError(f"bad colour {value!r}")
        r, g, b = (min(max(_channel(p), 0), 255) for p in parts[:3])
        a = _alpha(parts[3]) if len(parts) == 4 else 255
        return (r, g, b, a)
    if re.fullmatch(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8}", text):
        text = "#" + text
    try:
        rgb = ImageColor.getrgb(text)
    except ValueError as exc:
        raise ValueError(f"bad colour {value!r}") from exc
    if len(rgb) == 4:
        return (rgb[0], rgb[1], rgb[2], rgb[3])
    return (rgb[0], rgb[1], rgb[2], 255)


def _linear(channel: NDArray[np.float64]) -> NDArray[np.float64]:
    c = channel / 255.0
    out: NDArray[np.float64] = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return out


def relative_luminance(rgb: tuple[int, int, int] | tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0 = black, 1 = white)."""
    arr = _linear(np.asarray(rgb[:3], dtype=np.float64))
    return float(0.2126 * arr[0] + 0.7152 * arr[1] + 0.0722 * arr[2])


def luminance_array(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Relative luminance of an (..., 3) uint8 array, per pixel."""
    lut = _linear(np.arange(256, dtype=np.float64))
    out: NDArray[np.float64] = (
        0.2126 * lut[pixels[..., 0]] + 0.7152 * lut[pixels[..., 1]] + 0.0722 * lut[pixels[..., 2]]
    )
    return out


def contrast_ratio(l1: float, l2: float) -> float:
    """WCAG contrast ratio of two relative luminances (1 … 21)."""
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def over(top: RGBA, bottom: tuple[int, int, int]) -> tuple[int, int, int]:
    """``top`` composited over an opaque ``bottom``."""
    a = top[3] / 255.0
    return (
        round(top[0] * a + bottom[0] * (1 - a)),
        round(top[1] * a + bottom[1] * (1 - a)),
        round(top[2] * a + bottom[2] * (1 - a)),
    )
