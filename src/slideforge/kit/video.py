"""Reading a video's container for duration and dimensions (MP4/MOV/M4V, AVI, WebM/MKV),
without decoding and without external tools.

The parsers read only inside the boxes/elements they were given and check every length
before they use it: truncated or garbage bytes raise ``VideoFormatError`` from
``parse_video`` (never IndexError, struct.error, OverflowError, …) and give ``None`` values
from ``probe_video``. Values that cannot be true (NaN, negative or week-long durations,
sides over 65,535 px) count as unreadable too."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import IO

#: Durations outside (0, this] are unreadable (garbage, or the "unknown" markers).
MAX_DURATION_SECONDS = 7 * 24 * 3600.0
#: Sides outside 1…this are unreadable (ISO-BMFF stores 16.16 fixed point: 65,535 at most).
MAX_SIDE = 65_535
#: Boxes/elements read per level: a file of millions of empty boxes costs no more than this.
MAX_BOXES = 10_000
#: Bytes of a WebM/MKV read for its headers (they come before the first Cluster).
EBML_HEAD_BYTES = 1 << 20


class VideoFormatError(ValueError):
    """The container is truncated or malformed where it was read (``parse_video``)."""


@dataclass(frozen=True)
class VideoInfo:
    container: str  # mp4 | mov | avi | webm | unknown
    duration_seconds: float | None
    width: int | None
    height: int | None
    # Whether the container's movie structure was found (MP4/MOV: a moov or moof box and an
    # mdat box; AVI: the avih header; WebM: a Segment). False: magic bytes with no playable
    # video behind them (cut short, or not a video at all).
    has_movie: bool = True


def sniff_video(head: bytes) -> str | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "mov"
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"):
            return None
        return "mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def probe_video(handle: IO[bytes]) -> VideoInfo:
    """What the container says; never raises for any bytes (unreadable values are None,
    ``has_movie`` False when nothing of a video was found)."""
    try:
        return parse_video(handle)
    except VideoFormatError:
        handle.seek(0)
        kind = sniff_video(handle.read(64)) or "unknown"
        return VideoInfo(kind, None, None, None, has_movie=False)


def parse_video(handle: IO[bytes]) -> VideoInfo:
    """Like ``probe_video``, but a container that is cut short or malformed where it must be
    read raises ``VideoFormatError`` (and nothing else)."""
    handle.seek(0)
    head = handle.read(64)
    kind = sniff_video(head)
    handle.seek(0)
    if kind in ("mp4", "mov"):
        return _probe_isobmff(handle, kind)
    if kind == "avi":
        return _probe_avi(handle)
    if kind == "webm":
        return _probe_ebml(handle)
    return VideoInfo("unknown", None, None, None, has_movie=False)


def _duration(seconds: float) -> float | None:
    if math.isfinite(seconds) and 0 < seconds <= MAX_DURATION_SECONDS:
        return seconds
    return None


def _size(width: int | None, height: int | None) -> tuple[int | None, int | None]:
    if width is None or height is None:
        return None, None
    if 1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE:
        return width, height
    return None, None


def _read(handle: IO[bytes], pos: int, count: int) -> bytes:
    """Exactly ``count`` bytes at ``pos``, or VideoFormatError."""
    if pos < 0 or count < 0:
        raise VideoFormatError(f"bad offset {pos}")
    handle.seek(pos)
    data = handle.read(count)
    if len(data) != count:
        raise VideoFormatError(f"the file ends inside a box at byte {pos}")
    return data


def _boxes(handle: IO[bytes], start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload_start, payload_end) of the boxes in [start, end); a box that claims
    more than its parent holds is cut at the parent's end."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(out) < MAX_BOXES:
        size, kind = struct.unpack(">I4s", _read(handle, pos, 8))
        header_len = 8
        if size == 1:
            if pos + 16 > end:
                break
            size = struct.unpack(">Q", _read(handle, pos + 8, 8))[0]
            header_len = 16
        elif size == 0:
            size = end - pos
        if size < header_len:
            break
        out.append((kind, pos + header_len, min(pos + size, end)))
        pos += size
    return out


def _file_size(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


def _mvhd_duration(payload: bytes) -> float | None:
    """Duration from an ``mvhd`` payload (version 0: 32-bit times, 1: 64-bit)."""
    if not payload:
        return None
    if payload[0] == 1:
        if len(payload) < 32:
            return None
        timescale, length = struct.unpack_from(">IQ", payload, 20)
        unknown = 0xFFFFFFFFFFFFFFFF
    else:
        if len(payload) < 20:
            return None
        timescale, length = struct.unpack_from(">II", payload, 12)
        unknown = 0xFFFFFFFF
    if not timescale or not length or length == unknown:
        return None
    return _duration(length / timescale)


def _probe_isobmff(handle: IO[bytes], kind: str) -> VideoInfo:
    total = _file_size(handle)
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    top = _boxes(handle, 0, total)
    kinds = {box for box, _start, _end in top}
    has_movie = bool(kinds & {b"moov", b"moof"}) and b"mdat" in kinds
    for box, start, end in top:
        if box != b"moov":
            continue
        for child, cstart, cend in _boxes(handle, start, end):
            if child == b"mvhd" and duration is None:
                duration = _mvhd_duration(_read(handle, cstart, min(cend - cstart, 32)))
            elif child == b"trak" and width is None:
                width, height = _size(*_track_dimensions(handle, cstart, cend))
    return VideoInfo(kind, duration, width, height, has_movie)


def _track_dimensions(handle: IO[bytes], start: int, end: int) -> tuple[int | None, int | None]:
    boxes = _boxes(handle, start, end)
    is_video = False
    for box, bstart, bend in boxes:
        if box == b"mdia":
            for child, cstart, cend in _boxes(handle, bstart, bend):
                if child == b"hdlr" and cend - cstart >= 12:
                    is_video = _read(handle, cstart + 8, 4) == b"vide"
    if not is_video:
        return None, None
    for box, bstart, bend in boxes:
        if box == b"tkhd" and bend - bstart >= 84:
            w, h = struct.unpack(">II", _read(handle, bend - 8, 8))
            return w >> 16, h >> 16
    return None, None


def _probe_avi(handle: IO[bytes]) -> VideoInfo:
    data = handle.read(4096)
    index = data.find(b"avih")
    if index < 0 or index + 48 > len(data):
        return VideoInfo("avi", None, None, None, has_movie=False)
    fields = struct.unpack_from("<10I", data, index + 8)
    usec_per_frame, total_frames = fields[0], fields[4]
    width, height = _size(fields[8], fields[9])
    duration = (
        _duration(usec_per_frame * total_frames / 1_000_000)
        if usec_per_frame and total_frames
        else None
    )
    return VideoInfo("avi", duration, width, height)


def _read_vint(data: bytes, pos: int, *, strip: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, position after it)."""
    if pos >= len(data):
        raise VideoFormatError("the file ends inside an element header")
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise VideoFormatError("bad EBML length")
    if pos + length > len(data):
        raise VideoFormatError("the file ends inside an element header")
    value = first & (mask - 1) if strip else first
    for i in range(1, length):
        value = (value << 8) | data[pos + i]
    return value, pos + length


def _probe_ebml(handle: IO[bytes]) -> VideoInfo:
    """Walk the headers: EBML, Segment → Info (TimecodeScale, Duration), Tracks →
    TrackEntry → Video (PixelWidth, PixelHeight), up to the first Cluster. Cut short, it
    keeps what it read."""
    data = handle.read(EBML_HEAD_BYTES)
    scale = 1_000_000
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    has_segment = False
    containers = {0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0}
    pos = 0
    elements = 0
    while pos < len(data) - 2 and elements < MAX_BOXES * 10:
        elements += 1
        try:
            element_id, pos = _read_vint(data, pos, strip=False)
            size, pos = _read_vint(data, pos, strip=True)
        except VideoFormatError:
            if not has_segment:
                raise
            break  # the headers we read stay good
        if element_id == 0x18538067:
            has_segment = True
        if element_id in containers:
            continue  # descend: children follow immediately
        if element_id == 0x1F43B675:  # first Cluster: the headers are behind us
            break
        payload = data[pos : pos + size]
        if element_id in (0x2AD7B1, 0x4489, 0xB0, 0xBA) and len(payload) != size:
            break  # cut short inside a value we need
        if element_id == 0x2AD7B1 and 1 <= size <= 8:
            scale = int.from_bytes(payload, "big")
        elif element_id == 0x4489 and size in (4, 8):
            duration = struct.unpack(">f" if size == 4 else ">d", payload)[0]
        elif element_id == 0xB0 and 1 <= size <= 8:
            width = int.from_bytes(payload, "big")
        elif element_id == 0xBA and 1 <= size <= 8:
            height = int.from_bytes(payload, "big")
        pos += size
    seconds = (
        _duration(duration * scale / 1e9)
        if duration is not None and math.isfinite(duration)
        else None
    )
    w, h = _size(width, height)
    return VideoInfo("webm", seconds, w, h, has_segment)
