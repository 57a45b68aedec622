"""Image and video probing, timestamps."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from slideforge.kit.clock import isoformat, parse_timestamp
from slideforge.kit.images import (
    ImageError,
    decode_rgb,
    encode_jpeg,
    probe_image,
    scale_short_side,
    sniff_image,
)
from slideforge.kit.video import probe_video, sniff_video
from tests.helpers import image_bytes, mp4_bytes, png_bomb


@pytest.mark.parametrize(
    ("fmt", "expected"), [("JPEG", "jpeg"), ("PNG", "png"), ("GIF", "gif"), ("WEBP", "webp")]
)
def test_sniff_and_probe(fmt: str, expected: str) -> None:
    data = image_bytes((40, 30), fmt)
    assert sniff_image(data) == expected
    info = probe_image(data, 10_000_000)
    assert (info.format, info.width, info.height) == (expected, 40, 30)


def test_exif_orientation_swaps_probed_size() -> None:
    image = Image.new("RGB", (40, 30), "red")
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90°
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert (
        probe_image(out.getvalue(), 10_000).width,
        probe_image(out.getvalue(), 10_000).height,
    ) == (30, 40)
    assert decode_rgb(out.getvalue(), 10_000).size == (30, 40)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb(30_000, 30_000)
    assert len(bomb) < 200_000
    with pytest.raises(ImageError) as info:
        probe_image(bomb, 64_000_000)
    assert info.value.reason == "too_many_pixels"


def test_truncated_and_garbage() -> None:
    data = image_bytes((200, 200), "JPEG")
    with pytest.raises(ImageError) as info:
        probe_image(data[: len(data) // 2], 10_000_000)
    assert info.value.reason == "broken"
    with pytest.raises(ImageError):
        probe_image(b"definitely not an image", 100)


def test_scale_and_encode() -> None:
    image = Image.new("RGB", (1440, 2560), "blue")
    scaled = scale_short_side(image, 1080)
    assert scaled.size == (1080, 1920)
    assert scale_short_side(scaled, 1080) is scaled
    assert len(encode_jpeg(scaled, max_bytes=5_000_000)) < 5_000_000


def test_mp4_duration_and_size() -> None:
    data = mp4_bytes(23.5, 720, 1280)
    assert sniff_video(data[:64]) == "mp4"
    info = probe_video(io.BytesIO(data))
    assert info.duration_seconds == pytest.approx(23.5)
    assert (info.width, info.height) == (720, 1280)


def test_unknown_video_gives_no_duration() -> None:
    info = probe_video(io.BytesIO(b"\x00" * 100))
    assert info.duration_seconds is None and info.container == "unknown"


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-01T00:00:00+02:00",
        "2026-01-01T00:00:00 02:00",  # '+' arrived as a space (unencoded query string)
        "2026-01-01T00:00:00 0200",
        "2025-12-31T22:00:00Z",
        "2025-12-31T22:00:00.000z",
    ],
)
def test_parse_timestamp_tolerates_what_clients_send(raw: str) -> None:
    assert parse_timestamp(raw) == datetime(2025, 12, 31, 22, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "yesterday", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z"])
def test_parse_timestamp_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(raw)


def test_isoformat() -> None:
    assert (
        isoformat(datetime(2026, 2, 14, 9, 45, 0, 123456, tzinfo=UTC)) == "2026-02-14T09:45:00.123Z"
    )
