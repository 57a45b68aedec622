"""Instagram's image variant: JPEG ≤ 8 MiB, 320–1080 px wide, every item in the first
item's aspect brought inside 4:5…1.91:1 (Instagram crops carousel items to the first one's
shape itself; doing it here makes the result predictable), padded or cropped per
``image_fit``."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from slideforge.publishing.platforms.variants import MediaItem, decode_item, fit_to, store_variant

if TYPE_CHECKING:
    from slideforge.runtime import Runtime

ASPECT = (0.8, 1.91)  # 4:5 … 1.91:1
WIDTH = (320, 1080)
MAX_BYTES = 8 * 1024 * 1024


def instagram_size(items: list[MediaItem]) -> tuple[int, int]:
    """Every Instagram item's size: the first item's aspect brought inside 4:5…1.91:1,
    320–1080 px wide."""
    first = items[0]
    width, height = first.width or 1080, first.height or 1350
    aspect = min(max(width / height, ASPECT[0]), ASPECT[1])
    out_width = min(max(width, WIDTH[0]), WIDTH[1])
    out_height = max(1, round(out_width / aspect))
    # Rounding must not push the ratio back outside Instagram's range.
    while out_width / out_height > ASPECT[1]:
        out_height += 1
    while out_width / out_height < ASPECT[0]:
        out_height -= 1
    return out_width, out_height


def instagram_variants(runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]) -> list[str]:
    """JPEG ≤ 8 MiB, all in the first item's aspect inside 4:5…1.91:1 (see module doc)."""
    size = instagram_size(items)
    fit = runtime.settings.image_fit
    return [
        store_variant(
            runtime,
            post_id,
            "instagram",
            "Instagram",
            item,
            fit_to(decode_item(runtime, item, size), size, fit),
            MAX_BYTES,
        )
        for item in items
    ]
