"""A loopback media host for the Instagram and Pinterest sandbox tests: generated JPEG/PNG
images of several shapes, an oversized JPEG, a non-image, a minimal MP4 with a duration, a
WebM header, a slow path and a 404 — the product's media URLs in miniature."""

from __future__ import annotations

import asyncio
import io
import struct
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_sandbox.server import RunningServer, free_port, serve_in_thread

MIB = 1024 * 1024


def image_bytes(
    width: int, height: int, fmt: str = "JPEG", color: tuple[int, int, int] = (30, 120, 200)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(duration_seconds: float, *, brand: bytes = b"isom") -> bytes:
    """ftyp + moov/mvhd (version 0, timescale 1000) + a little mdat: enough for a container
    sniff and a duration probe."""
    timescale = 1000
    mvhd = (
        b"\x00\x00\x00\x00"  # version 0, flags
        + struct.pack(">IIII", 0, 0, timescale, int(duration_seconds * timescale))
        + b"\x00\x01\x00\x00"  # rate
        + b"\x01\x00"  # volume
        + bytes(10)
        + bytes(36)  # matrix
        + bytes(24)
        + struct.pack(">I", 2)
    )
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2mp41")
    return ftyp + _box(b"moov", _box(b"mvhd", mvhd)) + _box(b"mdat", bytes(2048))


WEBM_BYTES = b"\x1a\x45\xdf\xa3" + bytes(60) + b"webm" * 100


def default_files() -> dict[str, tuple[bytes, str]]:
    jpeg = image_bytes(1080, 1080)
    return {
        "square.jpg": (jpeg, "image/jpeg"),
        "square2.jpg": (image_bytes(1080, 1080, color=(200, 40, 40)), "image/jpeg"),
        "portrait.jpg": (image_bytes(1080, 1350), "image/jpeg"),
        "landscape.jpg": (image_bytes(1910, 1000), "image/jpeg"),
        "tall.jpg": (image_bytes(540, 960), "image/jpeg"),  # 9:16, fine for stories only
        "wide.jpg": (image_bytes(1000, 500), "image/jpeg"),  # 2:1
        "half.jpg": (image_bytes(540, 540), "image/jpeg"),  # square, other dimensions
        "photo.png": (image_bytes(1080, 1080, "PNG"), "image/png"),
        # A real JPEG followed by padding: sniffs as JPEG, weighs more than 8 MiB.
        "big.jpg": (jpeg + bytes(8 * MIB + 1024), "image/jpeg"),
        "notimage.jpg": (b"<html>this is not an image</html>", "image/jpeg"),
        "clip.mp4": (mp4_bytes(12.5), "video/mp4"),
        "clip.mov": (mp4_bytes(4.0, brand=b"qt  "), "video/quicktime"),
        "clip.webm": (WEBM_BYTES, "video/webm"),
    }


@dataclass
class MediaHost:
    server: RunningServer
    files: dict[str, tuple[bytes, str]]
    hits: Counter[str] = field(default_factory=Counter)

    @property
    def base(self) -> str:
        return self.server.base_url

    def url(self, name: str) -> str:
        return f"{self.base}/media/{name}"

    def slow_url(self, name: str, seconds: float) -> str:
        return f"{self.base}/slow/{seconds}/{name}"

    def missing_url(self) -> str:
        return f"{self.base}/media/does-not-exist.jpg"

    @staticmethod
    def unreachable_url(name: str = "square.jpg") -> str:
        """A loopback port nobody listens on."""
        return f"http://127.0.0.1:{free_port()}/media/{name}"


def media_app(files: dict[str, tuple[bytes, str]], hits: Counter[str]) -> Starlette:
    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        hits[name] += 1
        if name not in files:
            return Response(b"not found", status_code=404)
        body, content_type = files[name]
        return Response(body, media_type=content_type)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(float(request.path_params["seconds"]))
        return await serve(request)

    return Starlette(
        routes=[
            Route("/media/{name}", serve),
            Route("/slow/{seconds}/{name}", slow),
        ]
    )


@contextmanager
def running_media_host() -> Iterator[MediaHost]:
    files = default_files()
    hits: Counter[str] = Counter()
    server = serve_in_thread(media_app(files, hits))
    try:
        yield MediaHost(server=server, files=files, hits=hits)
    finally:
        server.stop()
