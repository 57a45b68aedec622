"""Media the stand-ins fetch and receive: downloading a media URL the way a platform does
(redirects, a size cap, a time limit), sniffing an image's format and reading a
``multipart/form-data`` body."""

from __future__ import annotations

import io
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


# -- what a platform reads from a video's streams -------------------------------------------

#: How a stand-in checks a video's streams: ``strict`` refuses a file whose video stream
#: cannot be read (as the platforms do); ``readable`` checks the streams when PyAV finds a
#: video stream and otherwise only the container's magic bytes (the hand-built containers
#: older tests post hold no stream: a deliberate deviation); ``off`` never decodes.
VideoStreamChecks = Literal["strict", "readable", "off"]


@dataclass(frozen=True)
class StreamInfo:
    """A video file as PyAV (FFmpeg's demuxer, like ffprobe) reads it."""

    container: str  # FFmpeg's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm"
    video_codec: str | None  # h264, hevc, vp8, vp9, av1, mpeg4, …
    width: int | None
    height: int | None
    duration_seconds: float | None
    fps: float | None
    frames: int | None
    audio_codec: str | None = None
    audio_sample_rate: int | None = None

    @property
    def long_side(self) -> int:
        return max(self.width or 0, self.height or 0)

    @property
    def short_side(self) -> int:
        return min(self.width or 0, self.height or 0)


def probe_mp4(data: bytes) -> StreamInfo | None:
    """The streams of a video file (MP4/MOV, WebM, …); None when PyAV finds no video stream
    in it (not a video, truncated, or a container with no stream). Reads headers only: no
    frame is decoded."""
    import av  # imported here: only the video checks need FFmpeg

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            context = video.codec_context
            if context is None or not context.width or not context.height:
                return None  # a track with no decodable stream behind it
            duration: float | None = None
            if video.duration is not None and video.time_base is not None:
                duration = float(video.duration * video.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            rate = video.average_rate or video.base_rate
            audio = container.streams.audio[0] if container.streams.audio else None
            return StreamInfo(
                container=container.format.name,
                video_codec=context.name,
                width=context.width,
                height=context.height,
                duration_seconds=duration,
                fps=float(rate) if rate else None,
                frames=video.frames or None,
                audio_codec=audio.codec_context.name if audio is not None else None,
                audio_sample_rate=audio.sample_rate if audio is not None else None,
            )
    except (av.FFmpegError, OSError, ValueError):
        return None
