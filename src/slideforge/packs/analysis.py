"""What a pack image looks like, computed from its pixels (pure, no I/O): size, orientation,
dominant colours, brightness, how busy it is, and the calmest band for text."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from slideforge.kit.images import decode_rgb, open_image, oriented_size

BANDS: tuple[tuple[str, float], ...] = (("top", 1 / 6), ("middle", 1 / 2), ("bottom", 5 / 6))


@dataclass
class ImageAnalysis:
    width: int
    height: int
    orientation: str
    dominant_colors: list[dict[str, Any]]
    brightness: float
    busyness: float
    calm_region: dict[str, Any]
    suggested_text_preset: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return (0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]) / 255.0


def _edge_density(gray: Image.Image) -> float:
    edges = np.asarray(gray.filter(ImageFilter.FIND_EDGES), dtype=np.float32) / 255.0
    # Ignore the 1-px frame FIND_EDGES leaves at the border.
    inner = edges[1:-1, 1:-1] if edges.shape[0] > 2 and edges.shape[1] > 2 else edges
    return float(min(1.0, inner.mean() * 4.0))


def analyse_image(data: bytes, max_pixels: int) -> ImageAnalysis:
    # The real size comes from the header: draft() may have reduced the decode.
    width, height = oriented_size(open_image(data, max_pixels))
    # Reduced early (JPEG DCT scale, then whole box factors) to what the 256 px thumbnail needs.
    image = decode_rgb(data, max_pixels, min_size=(512, 512))
    ratio = width / height
    orientation = "square" if 0.95 <= ratio <= 1.05 else ("portrait" if ratio < 1 else "landscape")

    thumb = image.copy()
    thumb.thumbnail((256, 256), Image.Resampling.BILINEAR)
    pixels = np.asarray(thumb, dtype=np.float32)
    brightness = float(_luma(pixels).mean())
    gray = thumb.convert("L")
    busyness = _edge_density(gray)

    quantised = thumb.quantize(colors=5, method=Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    counts = sorted(quantised.getcolors() or [], reverse=True)
    total = sum(count for count, _ in counts) or 1
    dominant = []
    for count, index in counts[:5]:
        start = int(index) * 3  # type: ignore[call-overload]
        r, g, b = palette[start : start + 3]
        dominant.append({"hex": f"#{r:02x}{g:02x}{b:02x}", "share": round(count / total, 3)})

    bands: list[dict[str, Any]] = []
    band_height = gray.height / 3
    for name, centre in BANDS:
        top = round(centre * gray.height - band_height / 2)
        box = (0, max(0, top), gray.width, min(gray.height, int(top + band_height)))
        band_gray = gray.crop(box)
        band_rgb = np.asarray(thumb.crop(box), dtype=np.float32)
        bands.append(
            {
                "position": name,
                "y": round(centre * 100, 1),
                "busyness": round(_edge_density(band_gray), 3),
                "brightness": round(float(_luma(band_rgb).mean()), 3),
            }
        )
    calm = min(bands, key=lambda band: band["busyness"])
    if calm["busyness"] > 0.35:
        preset = "tiktok"  # an outline stays readable over anything
    elif calm["brightness"] > 0.62:
        preset = "black"
    elif calm["brightness"] < 0.38:
        preset = "white"
    else:
        preset = "tiktok"
    return ImageAnalysis(
        width=width,
        height=height,
        orientation=orientation,
        dominant_colors=dominant,
        brightness=round(brightness, 3),
        busyness=round(busyness, 3),
        calm_region=calm,
        suggested_text_preset=preset,
    )
