"""Shared test helpers: an API client bound to one workspace key, envelope assertions,
generated media."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

API = "/api/partner/v1"


def ok(response: httpx.Response, status: int = 200) -> Any:
    """Assert a success envelope with ``status`` and return its ``data``."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert body["ok"] is True and body["code"] == status, body
    assert "data" in body
    return body["data"]


def err(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an error envelope with ``status`` (and ``error_code``) and return the body."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["ok"] is False and body["code"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["error_code"] == code, body
    return body


@dataclass
class ApiClient:
    """httpx client for one API key (``Authorization: Bearer …``) of one workspace."""

    base_url: str
    key: str
    workspace_id: uuid.UUID
    workspace_name: str
    member_id: uuid.UUID | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.base_url + API,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            timeout=60,
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.patch(path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def close(self) -> None:
        self.http.close()


def image_bytes(
    size: tuple[int, int] = (64, 48),
    fmt: str = "JPEG",
    color: tuple[int, int, int] = (200, 60, 40),
    **save: Any,
) -> bytes:
    image = Image.new("RGB", size, color)
    # A little structure so metadata (busy-ness, colours) is not trivial.
    for x in range(0, size[0], 8):
        for y in range(0, size[1] // 2):
            image.putpixel((x, y), (20, 20, 20))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (1-bit, all zero)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def mp4_bytes(duration_s: float = 20.0, width: int = 1080, height: int = 1920) -> bytes:
    """A minimal ISO-BMFF file: ftyp + moov(mvhd, trak(tkhd, mdia(hdlr vide))) + mdat."""
    import struct

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    timescale = 1000
    mvhd = box(
        b"mvhd",
        b"\x00\x00\x00\x00"
        + struct.pack(">II", 0, 0)
        + struct.pack(">II", timescale, int(duration_s * timescale))
        + b"\x00" * 80,
    )
    tkhd = box(
        b"tkhd",
        b"\x00\x00\x00\x00" + b"\x00" * 72 + struct.pack(">II", width << 16, height << 16),
    )
    hdlr = box(b"hdlr", b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + b"vide" + b"\x00" * 12)
    trak = box(b"trak", tkhd + box(b"mdia", hdlr))
    moov = box(b"moov", mvhd + trak)
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    return ftyp + moov + box(b"mdat", b"\x00" * 1024)


def blank_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any shape, built fast (rows compressed in bulk), e.g.
    1x64,000,000 in ~125 KB."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    per_block = max(1, (1 << 21) // len(row))
    compressor = zlib.compressobj(9)
    parts = []
    left = height
    while left:
        rows = min(per_block, left)
        parts.append(compressor.compress(row * rows))
        left -= rows
    data = b"".join(parts) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
