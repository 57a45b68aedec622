"""URL ownership matching and the media pull (the sandbox really downloads PULL_FROM_URL
media and checks it the way TikTok reports it: format, size, reachability)."""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from PIL import Image

from platform_sandbox.common import (
    MediaProbe,
    StreamInfo,
    VideoStreamChecks,
    probe_mp4,
    sniff_image,
)
from platform_sandbox.tiktok_api.config import SandboxApp, is_ip_host, is_loopback_host


def url_is_verified(url: str, app: SandboxApp) -> bool:
    """TikTok's matching: a verified domain covers itself and every subdomain (https, name
    hosts only); a verified URL prefix covers URLs that start with exactly that prefix.
    IP hosts never match, except loopback prefixes when ``allow_loopback_url_prefixes``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https"):
        return False
    loopback_ok = app.allow_loopback_url_prefixes and is_loopback_host(host)
    if is_ip_host(host) and not loopback_ok:
        return False
    if parts.scheme == "https" and not is_ip_host(host):
        for domain in app.verified_domains:
            if host == domain or host.endswith("." + domain):
                return True
    for prefix in app.verified_url_prefixes:
        prefix_parts = urlsplit(prefix)
        prefix_host = (prefix_parts.hostname or "").lower()
        unverifiable = (
            is_ip_host(prefix_host) or prefix_host == "localhost" or prefix_parts.scheme != "https"
        )
        # TikTok never verifies such prefixes; only the loopback sandbox option accepts them.
        if unverifiable and not (app.allow_loopback_url_prefixes and is_loopback_host(prefix_host)):
            continue
        if url.startswith(prefix):
            return True
    return False


def sniff_video(head: bytes) -> str | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "quicktime" if head[8:10] == b"qt" else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


@dataclass
class MediaItem(MediaProbe):
    """One pulled file: what was fetched, and the SHA-256 of its bytes."""

    sha256: str | None = None


@dataclass
class PullOutcome:
    fail_reason: str | None
    items: list[MediaItem] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(item.bytes for item in self.items)


class _TooLarge(Exception):
    pass


def _download(
    client: httpx.Client,
    item: MediaItem,
    *,
    max_bytes: int,
    keep_body: bool,
    deadline: float,
    keep_limit: int | None = None,
) -> bytes:
    """Stream ``item.url`` into ``item`` (status, size, hash). Returns the body when
    ``keep_body`` (for a body over ``keep_limit`` bytes, only its first 64), else the first
    64 bytes. Raises httpx errors, _TooLarge, TimeoutError."""
    hasher = hashlib.sha256()
    chunks: list[bytes] = []
    head = b""
    with client.stream("GET", item.url) as response:
        item.http_status = response.status_code
        if response.status_code != 200:
            return b""
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise TimeoutError("download too slow")
            item.bytes += len(chunk)
            if item.bytes > max_bytes:
                raise _TooLarge
            hasher.update(chunk)
            if len(head) < 64:
                head = (head + chunk)[:64]
            if keep_body and keep_limit is not None and item.bytes > keep_limit:
                keep_body = False
                chunks.clear()
            if keep_body:
                chunks.append(chunk)
    item.sha256 = hasher.hexdigest()
    return b"".join(chunks) if keep_body else head


def _pull(
    client: httpx.Client,
    item: MediaItem,
    outcome: PullOutcome,
    *,
    max_bytes: int,
    timeout: float,
    photo: bool,
    keep_limit: int | None = None,
) -> bytes | None:
    """Download ``item`` (``_download``: the whole body of a photo, the head of a video);
    None when the pull failed, with ``outcome``'s fail reason set as TikTok reports it."""
    keep_body = photo or keep_limit is not None
    too_large = "picture_size_check_failed" if photo else "file_format_check_failed"
    unreachable = "photo_pull_failed" if photo else "video_pull_failed"
    try:
        body = _download(
            client,
            item,
            max_bytes=max_bytes,
            keep_body=keep_body,
            deadline=time.monotonic() + timeout,
            keep_limit=keep_limit,
        )
    except _TooLarge:
        item.error = f"larger than {max_bytes} bytes"
        outcome.fail_reason = too_large
        return None
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        item.error = f"{type(exc).__name__}: {exc}"
        outcome.fail_reason = unreachable
        return None
    if item.http_status != 200:
        item.error = f"HTTP {item.http_status}"
        outcome.fail_reason = unreachable
        return None
    return body


def pull_photos(
    urls: list[str], *, timeout: float, max_bytes: int, max_short_side: int
) -> PullOutcome:
    """Download every photo in order; stop at the first that fails (TikTok fails the whole
    post without saying which image)."""
    outcome = PullOutcome(fail_reason=None)
    with httpx.Client(follow_redirects=False, timeout=timeout) as client:
        for url in urls:
            item = MediaItem(url=url)
            outcome.items.append(item)
            body = _pull(client, item, outcome, max_bytes=max_bytes, timeout=timeout, photo=True)
            if body is None:
                return outcome
            item.format = sniff_image(body[:16])
            if item.format not in ("jpeg", "webp"):
                item.error = f"format {item.format or 'unknown'} is not JPEG or WebP"
                outcome.fail_reason = "file_format_check_failed"
                return outcome
            try:
                with Image.open(io.BytesIO(body)) as image:
                    item.width, item.height = image.size
            except Image.DecompressionBombError:
                item.error = "image too large to decode"
                outcome.fail_reason = "picture_size_check_failed"
                return outcome
            except Exception as exc:
                item.error = f"undecodable image: {exc}"
                outcome.fail_reason = "file_format_check_failed"
                return outcome
            if min(item.width, item.height) > max_short_side:
                item.error = f"{item.width}x{item.height}: short side above {max_short_side} px"
                outcome.fail_reason = "picture_size_check_failed"
                return outcome
    return outcome


#: What TikTok takes through the Content Posting API (docs/platforms.md, "TikTok video posts").
VIDEO_CODECS = ("h264", "hevc", "vp8", "vp9")
MIN_FPS, MAX_FPS = 23, 60
MIN_SIDE, MAX_SIDE = 360, 4096


def stream_fail_reason(
    info: StreamInfo | None, checks: VideoStreamChecks, max_duration_sec: int
) -> tuple[str, str] | None:
    """TikTok's fail_reason for a video's streams and why, or None when they pass."""
    if checks == "off":
        return None
    if info is None:
        if checks == "strict":
            return "file_format_check_failed", "no video stream could be read"
        return None
    if info.video_codec not in VIDEO_CODECS:
        return "file_format_check_failed", f"codec {info.video_codec} is not H.264/H.265/VP8/VP9"
    if info.duration_seconds is None or info.duration_seconds > max_duration_sec:
        return "duration_check_failed", (
            f"duration {info.duration_seconds} s is over the creator's {max_duration_sec} s"
        )
    if info.fps is None or not MIN_FPS <= round(info.fps) <= MAX_FPS:
        return "frame_rate_check_failed", f"{info.fps} fps is not {MIN_FPS}-{MAX_FPS}"
    if info.short_side < MIN_SIDE or info.long_side > MAX_SIDE:
        return "picture_size_check_failed", (
            f"{info.width}x{info.height}: each side must be {MIN_SIDE}-{MAX_SIDE} px"
        )
    return None


def check_video_body(
    item: MediaProbe, body: bytes | None, checks: VideoStreamChecks, max_duration_sec: int
) -> str | None:
    """Read a whole video's streams into ``item``; TikTok's fail_reason or None. ``body``
    None: too large to keep, checked by its container only."""
    if body is None or checks == "off":
        return None
    info = probe_mp4(body)
    if info is not None:
        item.width, item.height = info.width, info.height
        item.duration_seconds = info.duration_seconds
    failed = stream_fail_reason(info, checks, max_duration_sec)
    if failed is None:
        return None
    item.error = failed[1]
    return failed[0]


def pull_video(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    check_container: bool,
    stream_checks: VideoStreamChecks = "off",
    probe_max_bytes: int = 0,
    max_duration_sec: int = 600,
) -> PullOutcome:
    item = MediaItem(url=url)
    outcome = PullOutcome(fail_reason=None, items=[item])
    keep = probe_max_bytes if stream_checks != "off" else None
    with httpx.Client(follow_redirects=False, timeout=timeout) as client:
        body = _pull(
            client,
            item,
            outcome,
            max_bytes=max_bytes,
            timeout=timeout,
            photo=False,
            keep_limit=keep,
        )
    if body is None:
        return outcome
    item.format = sniff_video(body[:64])
    if check_container and item.format is None:
        item.error = "not an MP4, MOV or WebM container"
        outcome.fail_reason = "file_format_check_failed"
        return outcome
    whole = body if keep is not None and item.bytes <= keep else None
    outcome.fail_reason = check_video_body(item, whole, stream_checks, max_duration_sec)
    return outcome
