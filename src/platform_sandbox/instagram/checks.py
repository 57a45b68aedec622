"""The checks of a container's input that need no state: the carousel's children list, the
caption, collaborators and user tags, and the downloaded image or video."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from PIL import Image

from platform_sandbox.common import (
    MediaProbe,
    StreamInfo,
    VideoStreamChecks,
    fetch_media,
    probe_mp4,
    sniff_image,
)
from platform_sandbox.instagram.config import (
    DOWNLOAD_FAILED_TEXT,
    DOWNLOAD_TIMEOUT_TEXT,
    InstagramOptions,
)
from platform_sandbox.instagram.errors import (
    GraphError,
    download_failed,
    download_timeout,
    param_error,
)
from slideforge.kit.video import probe_video, sniff_video

_HASHTAG_RE = re.compile(r"#\w+")
_MENTION_RE = re.compile(r"@[\w.]+")


def parse_children(raw: str | None) -> list[str]:
    if not raw:
        raise param_error("(#100) The parameter children is required.")
    text = raw.strip()
    items: list[Any]
    if text.startswith("["):
        try:
            items = list(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise param_error("(#100) Param children must be an array of container IDs") from exc
    else:
        items = text.split(",")
    children = [str(item).strip() for item in items if str(item).strip()]
    if not 2 <= len(children) <= 10:
        raise param_error("Carousels need at least 2 photos/videos and no more than 10.", 2207028)
    if len(set(children)) != len(children):
        raise param_error("(#100) The same child container appears twice in children.")
    return children


def check_caption(caption: str) -> None:
    if len(caption) > 2200:
        raise GraphError(
            36004,
            "The caption is too long: it exceeds 2200 characters.",
            subcode=2207010,
            user_title="Caption too long",
            user_msg="Captions can have up to 2200 characters.",
        )
    if len(_HASHTAG_RE.findall(caption)) > 30:
        raise param_error("(#100) The caption has more than 30 hashtags.", 2207040)
    if len(_MENTION_RE.findall(caption)) > 20:
        raise param_error("(#100) The caption has more than 20 @ mentions.", 2207040)


def _json_array(raw: str, refusal: str) -> list[Any]:
    """``raw`` parsed as a JSON array; anything else is refused with ``refusal`` (code 100)."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise param_error(refusal)
    return value


def check_collaborators(raw: str) -> None:
    refusal = "(#100) Param collaborators must be a JSON array of usernames"
    names = _json_array(raw, refusal)
    if not all(isinstance(name, str) for name in names):
        raise param_error(refusal)
    if len(names) > 3:
        raise param_error("(#100) At most 3 collaborators can be tagged.")


def check_user_tags(raw: str, *, needs_position: bool) -> None:
    for tag in _json_array(raw, "(#100) Param user_tags must be a JSON array"):
        if not isinstance(tag, dict) or not isinstance(tag.get("username"), str):
            raise param_error("(#100) Each user tag needs a username")
        for axis in ("x", "y"):
            value = tag.get(axis)
            if value is None and not needs_position:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise param_error(f"(#100) user_tags {axis} must be a number between 0 and 1")


def fetch_image(url: str, options: InstagramOptions, *, check_aspect: bool) -> MediaProbe:
    probe, body, error = fetch_media(
        url, timeout=options.fetch_timeout_seconds, max_bytes=options.image_max_bytes
    )
    if error == "timeout":
        raise download_timeout()
    if error == "too_large":
        raise GraphError(
            36000,
            "The image is too large to download. It should be less than 8 MiB.",
            subcode=2207004,
            user_title="Image is too large",
            user_msg=f"The image at {url} is larger than {options.image_max_bytes} bytes.",
        )
    if error is not None:
        raise download_failed(url)
    probe.format = sniff_image(body[:16])
    unsupported = GraphError(
        36001,
        "The image format is not supported.",
        subcode=2207005,
        user_title="Unsupported image format",
        user_msg=f"Only JPEG images are supported; {url} is {probe.format or 'not an image'}.",
    )
    if probe.format != "jpeg":
        raise unsupported
    try:
        with Image.open(io.BytesIO(body)) as image:
            probe.width, probe.height = image.size
    except Exception as exc:
        probe.error = f"undecodable: {exc}"
        raise unsupported from exc
    ratio = probe.width / probe.height if probe.height else 0.0
    if check_aspect and not (
        options.min_aspect_ratio - 1e-3 <= ratio <= options.max_aspect_ratio + 1e-3
    ):
        raise GraphError(
            36003,
            f"The submitted image with aspect ratio ('{probe.width}/{probe.height}') cannot be "
            "published. Please submit an image with a valid aspect ratio.",
            subcode=2207009,
            user_title="Invalid aspect ratio",
            user_msg="The aspect ratio must be between 4:5 and 1.91:1.",
        )
    return probe


def fetch_video(
    url: str, options: InstagramOptions, thumb_offset_ms: int | None
) -> tuple[MediaProbe, GraphError | None, str | None]:
    probe, body, error = fetch_media(
        url, timeout=options.fetch_timeout_seconds, max_bytes=options.video_max_bytes
    )
    if error == "timeout":
        return probe, download_timeout(), DOWNLOAD_TIMEOUT_TEXT
    if error == "unreachable":
        return probe, download_failed(url), DOWNLOAD_FAILED_TEXT
    unsupported = GraphError(
        352,
        "The video format is not supported. Please check spec for supported video formats.",
        subcode=2207026,
        user_title="Unsupported video format",
        user_msg="Videos must be MOV or MP4 files within the published limits.",
    )
    upload_failed = "Error: Media upload has failed with error code {}"
    if error == "too_large":
        return probe, unsupported, upload_failed.format(2207026)
    probe.format = sniff_video(body[:64])
    if probe.format not in ("mp4", "mov"):
        return probe, unsupported, upload_failed.format(2207026)
    info = probe_video(io.BytesIO(body))
    probe.duration_seconds = info.duration_seconds
    probe.width, probe.height = info.width, info.height
    refused = reel_stream_error(body, options.video_stream_checks)
    if refused is not None:
        probe.error = refused
        return (
            probe,
            GraphError(
                352,
                "The video format is not supported. Please check spec for supported video formats.",
                subcode=2207026,
                user_title="Unsupported video format",
                user_msg=f"The video cannot be used as a Reel: {refused}.",
            ),
            upload_failed.format(2207026),
        )
    if (
        thumb_offset_ms is not None
        and info.duration_seconds is not None
        and thumb_offset_ms > info.duration_seconds * 1000
    ):
        return (
            probe,
            GraphError(
                1,
                "The thumb_offset is beyond the end of the video.",
                subcode=2207057,
                user_title="Invalid thumbnail offset",
                user_msg="thumb_offset must be within the video's duration (milliseconds).",
            ),
            upload_failed.format(2207057),
        )
    return probe, None, None


#: What a Reel may be (docs/platforms.md, "Instagram": Reels specifications).
REEL_CODECS = ("h264", "hevc")
REEL_FPS = (23, 60)
REEL_MAX_LONG_SIDE = 1920
REEL_SECONDS = (3.0, 900.0)
REEL_MAX_AUDIO_RATE = 48_000


def reel_problem(info: StreamInfo) -> str | None:
    """What makes these streams unfit for a Reel, in words; None when they fit."""
    if info.video_codec not in REEL_CODECS:
        return f"the video codec is {info.video_codec}, not H.264 or HEVC"
    low, high = REEL_SECONDS
    if info.duration_seconds is None or not low <= info.duration_seconds <= high:
        return f"the video is {info.duration_seconds} s long, not {low:g} s to 15 minutes"
    if info.fps is None or not REEL_FPS[0] <= round(info.fps) <= REEL_FPS[1]:
        return f"the frame rate is {info.fps} fps, not {REEL_FPS[0]}-{REEL_FPS[1]}"
    if info.long_side > REEL_MAX_LONG_SIDE:
        return f"the video is {info.width}x{info.height}, over {REEL_MAX_LONG_SIDE} px"
    if info.audio_codec is not None and info.audio_codec != "aac":
        return f"the audio codec is {info.audio_codec}, not AAC"
    if (info.audio_sample_rate or 0) > REEL_MAX_AUDIO_RATE:
        return f"the audio is sampled at {info.audio_sample_rate} Hz, over 48 kHz"
    return None


def reel_stream_error(body: bytes, checks: VideoStreamChecks) -> str | None:
    if checks == "off":
        return None
    info = probe_mp4(body)
    if info is None:
        return "no video stream could be read" if checks == "strict" else None
    return reel_problem(info)
