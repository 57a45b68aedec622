"""Text rules more than one platform shares (``docs/platforms.md``).

TikTok and Instagram both take captions of at most 2,200 characters; TikTok counts them in
UTF-16 code units (an emoji outside the Basic Multilingual Plane is 2), the others in
characters."""

from __future__ import annotations

CAPTION_MAX = 2200


def utf16_len(text: str) -> int:
    """The length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf16_truncate(text: str, limit: int) -> str:
    """The longest start of ``text`` that holds at most ``limit`` UTF-16 code units (never
    half a surrogate pair)."""
    if utf16_len(text) <= limit:
        return text
    out = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)
