"""Reading a video's container for duration and dimensions (MP4/MOV/M4V, AVI, WebM/MKV),
without decoding and without external tools. Anything unreadable gives ``None`` values."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class VideoInfo:
    container: str  # mp4 | mov | avi | webm | unknown
    duration_seconds: float | None
    width: int | None
    height: int | None


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
    handle.seek(0)
    head = handle.read(64)
    kind = sniff_video(head)
    handle.seek(0)
    try:
        if kind in ("mp4", "mov"):
            return _probe_isobmff(handle, kind)
        if kind == "avi":
            return _probe_avi(handle)
        if kind == "webm":
            return _probe_ebml(handle)
    except (struct.error, ValueError, OverflowError):
        return VideoInfo(kind or "unknown", None, None, None)
    return VideoInfo("unknown", None, None, None)


def _boxes(handle: IO[bytes], start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload_start, payload_end) of the boxes in [start, end)."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(out) < 10_000:
        handle.seek(pos)
        header = handle.read(8)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header)
        header_len = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
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


def _probe_isobmff(handle: IO[bytes], kind: str) -> VideoInfo:
    total = _file_size(handle)
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    for box, start, end in _boxes(handle, 0, total):
        if box != b"moov":
            continue
        for child, cstart, cend in _boxes(handle, start, end):
            if child == b"mvhd":
                handle.seek(cstart)
                version = handle.read(1)[0]
                handle.read(3)
                if version == 1:
                    handle.read(16)
                    timescale, length = struct.unpack(">IQ", handle.read(12))
                else:
                    handle.read(8)
                    timescale, length = struct.unpack(">II", handle.read(8))
                if timescale and length and length != 0xFFFFFFFF:
                    duration = length / timescale
            elif child == b"trak" and width is None:
                dims = _track_dimensions(handle, cstart, cend)
                if dims is not None:
                    width, height = dims
    return VideoInfo(kind, duration, width, height)


def _track_dimensions(handle: IO[bytes], start: int, end: int) -> tuple[int, int] | None:
    boxes = _boxes(handle, start, end)
    is_video = False
    for box, bstart, bend in boxes:
        if box == b"mdia":
            for child, cstart, _cend in _boxes(handle, bstart, bend):
                if child == b"hdlr":
                    handle.seek(cstart + 8)
                    is_video = handle.read(4) == b"vide"
    if not is_video:
        return None
    for box, bstart, bend in boxes:
        if box == b"tkhd" and bend - bstart >= 84:
            handle.seek(bend - 8)
            w, h = struct.unpack(">II", handle.read(8))
            return w >> 16, h >> 16
    return None


def _probe_avi(handle: IO[bytes]) -> VideoInfo:
    data = handle.read(4096)
    index = data.find(b"avih")
    if index < 0 or index + 8 + 40 > len(data):
        return VideoInfo("avi", None, None, None)
    fields = struct.unpack("<10I", data[index + 8 : index + 48])
    usec_per_frame, total_frames = fields[0], fields[4]
    width, height = fields[8], fields[9]
    duration = (
        usec_per_frame * total_frames / 1_000_000 if usec_per_frame and total_frames else None
    )
    return VideoInfo("avi", duration, width or None, height or None)


def _read_vint(data: bytes, pos: int, *, strip: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("bad EBML length")
    value = first & (mask - 1) if strip else first
    for i in range(1, length):
        value = (value << 8) | data[pos + i]
    return value, pos + length


def _probe_ebml(handle: IO[bytes]) -> VideoInfo:
    data = handle.read(1 << 20)
    scale = 1_000_000
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    containers = {0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0xE0}
    pos = 0
    while pos < len(data) - 2:
        element_id, pos = _read_vint(data, pos, strip=False)
        size, pos = _read_vint(data, pos, strip=True)
        if element_id in containers:
            continue  # descend: children follow immediately
        payload = data[pos : pos + size]
        if element_id == 0x2AD7B1:
            scale = int.from_bytes(payload, "big")
        elif element_id == 0x4489 and size in (4, 8):
            duration = struct.unpack(">f" if size == 4 else ">d", payload)[0]
        elif element_id == 0xB0:
            width = int.from_bytes(payload, "big")
        elif element_id == 0xBA:
            height = int.from_bytes(payload, "big")
        elif element_id == 0x1F43B675:  # first Cluster: the headers are behind us
            break
        pos += size
    seconds = duration * scale / 1e9 if duration else None
    return VideoInfo("webm", seconds, width, height)
