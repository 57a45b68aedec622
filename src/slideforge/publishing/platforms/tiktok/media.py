"""TikTok's photo-post variant: JPEG, shorter side ≤ 1080 px (a larger image would fail the
whole carousel), ≤ 5 MB."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from slideforge.kit.images import scale_short_side
from slideforge.publishing.platforms.variants import (
    MediaItem,
    check_variant,
    decode_item,
    short_side_size,
    store_variant,
)

if TYPE_CHECKING:
    from slideforge.runtime import Runtime

SHORT_SIDE = 1080
MAX_BYTES = 5 * 1024 * 1024


def tiktok_variants(runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]) -> list[str]:
    """JPEG, shorter side ≤ 1080 px, ≤ 5 MB: what TikTok's photo posts accept. Returns the
    public URLs TikTok pulls from (they must be on a verified domain or prefix)."""
    urls = []
    for item in items:
        if item.width and item.height:
            check_variant("TikTok", item, short_side_size(item.width, item.height, SHORT_SIDE))
        image = scale_short_side(decode_item(runtime, item, (SHORT_SIDE, SHORT_SIDE)), SHORT_SIDE)
        urls.append(store_variant(runtime, post_id, "tiktok", "TikTok", item, image, MAX_BYTES))
    return urls
