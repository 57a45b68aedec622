"""A small reader for the character map of TrueType/OpenType files and collections.

Pillow cannot say whether a font has a glyph for a character, and the per-run font fallback
needs exactly that. The vendored fonts carry their coverage in the manifest; fonts found on the
system (CJK, emoji, extra folders) are read here, once, from their ``cmap`` table.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from pathlib import Path


class Coverage:
    """A set of code points stored as sorted, non-overlapping inclusive ranges."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, ranges: list[tuple[int, int]] | list[list[int]]) -> None:
        merged: list[list[int]] = []
        for lo, hi in sorted((int(a), int(b)) for a, b in ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self._starts = [r[0] for r in merged]
        self._ends = [r[1] for r in merged]

    def __contains__(self, codepoint: object) -> bool:
        if not isinstance(codepoint, int):
            return False
        i = bisect_right(self._starts, codepoint) - 1
        return i >= 0 and codepoint <= self._ends[i]

    def __len__(self) -> int:
        return sum(e - s + 1 for s, e in zip(self._starts, self._ends, strict=True))

    def ranges(self) -> list[tuple[int, int]]:
        return list(zip(self._starts, self._ends, strict=True))


def _table_offset(data: bytes, base: int, tag: bytes) -> int | None:
    num_tables = struct.unpack_from(">H", data, base + 4)[0]
    for i in range(num_tables):
        rec = base + 12 + 16 * i
        if data[rec : rec + 4] == tag:
            return int(struct.unpack_from(">I", data, rec + 8)[0])
    return None


def _format4(data: bytes, off: int) -> list[tuple[int, int]]:
    seg_x2 = struct.unpack_from(">H", data, off + 6)[0]
    n = seg_x2 // 2
    ends = struct.unpack_from(f">{n}H", data, off + 14)
    starts = struct.unpack_from(f">{n}H", data, off + 16 + seg_x2)
    deltas = struct.unpack_from(f">{n}h", data, off + 16 + 2 * seg_x2)
    range_off_pos = off + 16 + 3 * seg_x2
    range_offs = struct.unpack_from(f">{n}H", data, range_off_pos)
    out: list[tuple[int, int]] = []
    for i in range(n):
        start, end = starts[i], ends[i]
        if start == 0xFFFF:
            continue
        if range_offs[i] == 0:
            # glyph = (c + delta) mod 65536; glyph 0 would mean "missing", rare enough to keep
            out.append((start, end))
            continue
        run_start: int | None = None
        for c in range(start, end + 1):
            pos = range_off_pos + 2 * i + range_offs[i] + 2 * (c - start)
            glyph = struct.unpack_from(">H", data, pos)[0] if pos + 2 <= len(data) else 0
            if glyph and (glyph + deltas[i]) % 65536:
                if run_start is None:
                    run_start = c
            elif run_start is not None:
                out.append((run_start, c - 1))
                run_start = None
        if run_start is not None:
            out.append((run_start, end))
    return out


def _format12(data: bytes, off: int) -> list[tuple[int, int]]:
    n_groups = struct.unpack_from(">I", data, off + 12)[0]
    groups = struct.iter_unpack(">III", data[off + 16 : off + 16 + 12 * n_groups])
    return [(start, end) for start, end, _glyph in groups]


def read_coverage(path: str | Path, index: int = 0) -> Coverage:
    """Code points mapped by the font at ``path`` (face ``index`` of a collection).

    Reads the Windows Unicode (3,10) or (3,1) subtable, or a Unicode-platform one. Raises
    ``ValueError`` for files that are not sfnt fonts (WOFF/WOFF2 need their manifest entry)."""
    data = Path(path).read_bytes()
    base = 0
    if data[:4] == b"ttcf":
        count = struct.unpack_from(">I", data, 8)[0]
        if index >= count:
            raise ValueError(f"{path}: face {index} not in a collection of {count}")
        base = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    if data[base : base + 4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise ValueError(f"{path}: not a TrueType/OpenType font")
    cmap = _table_offset(data, base, b"cmap")
    if cmap is None:
        raise ValueError(f"{path}: no cmap table")
    n_sub = struct.unpack_from(">H", data, cmap + 2)[0]
    candidates: dict[tuple[int, int], int] = {}
    for i in range(n_sub):
        platform, encoding, sub_off = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        candidates[(platform, encoding)] = cmap + sub_off
    for key in ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0)):
        off = candidates.get(key)
        if off is None:
            continue
        fmt = struct.unpack_from(">H", data, off)[0]
        if fmt == 12:
            return Coverage(_format12(data, off))
        if fmt == 4:
            return Coverage(_format4(data, off))
    raise ValueError(f"{path}: no supported Unicode cmap subtable")
