"""Media the stand-ins fetch and receive: downloading a media URL the way a platform does
(redirects, a size cap, a time limit), sniffing an image's format and reading a
``multipart/form-data`` body."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx


@dataclass
class MediaProbe:
    url: str
    http_status: int | None = None
    bytes: int = 0
    format: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sniff_image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1"):
        return "heic"
    return None


FetchError = Literal["unreachable", "timeout", "too_large"]


def fetch_media(
    url: str, *, timeout: float, max_bytes: int
) -> tuple[MediaProbe, bytes, FetchError | None]:
    """Download ``url`` (redirects followed) into memory, at most ``max_bytes``, within
    ``timeout`` seconds of real time in total."""
    probe = MediaProbe(url=url)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        probe.error = "not an http(s) URL"
        return probe, b"", "unreachable"
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        with (
            httpx.Client(follow_redirects=True, max_redirects=5, timeout=timeout) as client,
            client.stream("GET", url) as response,
        ):
            probe.http_status = response.status_code
            if response.status_code != 200:
                probe.error = f"HTTP {response.status_code}"
                return probe, b"", "unreachable"
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:
                    probe.error = f"download took longer than {timeout}s"
                    return probe, b"", "timeout"
                probe.bytes += len(chunk)
                if probe.bytes > max_bytes:
                    probe.error = f"larger than {max_bytes} bytes"
                    return probe, b"", "too_large"
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        probe.error = f"timeout: {exc}"
        return probe, b"", "timeout"
    except (httpx.HTTPError, OSError, ValueError) as exc:
        probe.error = f"{type(exc).__name__}: {exc}"
        return probe, b"", "unreachable"
    return probe, b"".join(chunks), None


def parse_multipart(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]] | None:
    """The parts of a ``multipart/form-data`` body as (name, filename, data); None when the
    body is malformed. (python-multipart is not a dependency; this covers form posts.)"""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return None
    delimiter = b"--" + match.group(1).encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 3:
        return None
    parts: list[tuple[str, str | None, bytes]] = []
    for section in sections[1:]:
        if section.startswith(b"--"):
            return parts
        if section.startswith(b"\r\n"):
            section = section[2:]
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            return None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        name: str | None = None
        filename: str | None = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() != "content-disposition":
                continue
            for param_name, param_value in re.findall(r';\s*([\w*-]+)="([^"]*)"', value):
                if param_name.lower() == "name":
                    name = param_value
                elif param_name.lower() == "filename":
                    filename = param_value
        if name is None:
            return None
        parts.append((name, filename, data))
    return None
