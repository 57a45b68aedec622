"""Pinterest's image variant: JPEG, long side ≤ 2048 px; a carousel's images all the first
one's size (padded or cropped per ``image_fit``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from slideforge.publishing.platforms.variants import MediaItem, decode_item, fit_to, store_variant

if TYPE_CHECKING:
    from slideforge.runtime import Runtime

LONG_SIDE = 2048
MAX_BYTES = 20 * 1024 * 1024
VIDEO_ASPECT = (0.5, 1.91)  # 1:2 … 1.91:1


def pinterest_size(items: list[MediaItem]) -> tuple[int, int]:
    """A Pinterest carousel's one size: the first image's, long side ≤ 2048 px."""
    width, height = items[0].width or 1000, items[0].height or 1500
    scale = min(1.0, LONG_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def pinterest_variants(runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]) -> list[str]:
    """JPEG, long side ≤ 2048 px; a carousel's images all the first one's size."""
    urls = []
    size = pinterest_size(items)
    for item in items:
        if len(items) > 1:
            image = fit_to(decode_item(runtime, item, size), size, runtime.settings.image_fit)
        else:
            image = decode_item(runtime, item, size)
            if max(image.size) > LONG_SIDE:
                # the size the whole image would have (the decode may be reduced already)
                width, height = (
                    (item.width, item.height) if item.width and item.height else image.size
                )
                scale = LONG_SIDE / max(width, height)
                image = fit_to(image, (round(width * scale), round(height * scale)), "crop")
        urls.append(
            store_variant(runtime, post_id, "pinterest", "Pinterest", item, image, MAX_BYTES)
        )
    return urls
