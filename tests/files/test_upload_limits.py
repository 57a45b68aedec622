"""The upload PUT refuses, with a 4xx naming the file, what no platform can take (issue 9):
malformed video bytes (defect 2: they raised IndexError → 500) and images of extreme shape
(defect 3: a 1x64,000,000 PNG uploaded, rendered and then broke the post)."""

from __future__ import annotations

import struct
from typing import Any

import httpx
import pytest

from slideforge.runtime import Runtime
from tests.helpers import ApiClient, blank_png, err, image_bytes, mp4_bytes, ok
from tests.kit.test_video_fuzz import real_video

# The two inputs of the report.
MP4_MVHD_8 = (
    struct.pack(">I", 20)
    + b"ftypisom"
    + b"\x00" * 8
    + struct.pack(">I", 16)
    + b"moov"
    + struct.pack(">I", 8)
    + b"mvhd"
)
MP4_MVHD_8 += b"\x00" * (44 - len(MP4_MVHD_8))
WEBM_HEADER_ONLY = bytes.fromhex("1a45dfa3010000")


def _upload(
    api: ApiClient, content_type: str, data: bytes, filename: str | None = None
) -> tuple[dict[str, Any], httpx.Response]:
    body: dict[str, Any] = {"contentType": content_type}
    if filename:
        body["filename"] = filename
    created = ok(api.post("/files", json=body), 201)
    put = httpx.put(
        created["uploadUrl"], content=data, headers={"Content-Type": content_type}, timeout=30
    )
    return created, put


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("video/mp4", MP4_MVHD_8), ("video/webm", WEBM_HEADER_ONLY)],
    ids=["mp4-mvhd-size-8", "webm-header-only"],
)
def test_reported_video_bytes_answer_422(api: ApiClient, content_type: str, data: bytes) -> None:
    assert len(MP4_MVHD_8) == 44
    created, put = _upload(api, content_type, data, "broken-clip")
    body = err(put, 422, "invalid_video")
    assert "broken-clip" in body["message"] and "truncated or not a video" in body["message"]
    assert body["data"]["file_id"] == created["id"]
    assert ok(api.get("/files", params={"type": "video"}))["total"] == 0
    # The URL stays usable for the complete file.
    good = real_video("mp4") if content_type == "video/mp4" else real_video("webm")
    assert httpx.put(
        created["uploadUrl"], content=good, headers={"Content-Type": content_type}
    ).is_success


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("mp4", "video/mp4"),
        ("mov", "video/quicktime"),
        ("avi", "video/x-msvideo"),
        ("webm", "video/webm"),
    ],
)
def test_real_and_truncated_videos(api: ApiClient, name: str, content_type: str) -> None:
    data = real_video(name)
    _, put = _upload(api, content_type, data)
    item = ok(put)
    assert item["durationSeconds"] == pytest.approx(2.0)
    assert (item["width"], item["height"]) == (64, 48)
    for cut in (13, 40, 100, len(data) // 3, len(data) // 2, len(data) - 7):
        _, put = _upload(api, content_type, data[:cut])
        assert put.status_code in (200, 415, 422), (cut, put.status_code, put.text)
        if put.status_code == 200:
            duration = ok(put)["durationSeconds"]
            assert duration is None or duration == pytest.approx(2.0)
        else:
            err(put, put.status_code)


def test_extreme_aspect_refused_at_the_door(api: ApiClient) -> None:
    strip = blank_png(1, 64_000_000)  # 124 KB, under the 64-megapixel cap
    created, put = _upload(api, "image/png", strip, "strip.png")
    body = err(put, 422, "invalid_image")
    message = body["message"]
    assert "'strip.png'" in message and "1x64000000" in message
    assert "1:64,000,000" in message and "between 1:20 and 20:1" in message
    assert body["data"] == {"file_id": created["id"], "filename": "strip.png"}
    assert ok(api.get("/files"))["total"] == 0
    wide = blank_png(2_100, 100)  # 21:1
    err(_upload(api, "image/png", wide, "wide.png")[1], 422, "invalid_image")


def test_side_over_the_limit(api: ApiClient) -> None:
    body = err(
        _upload(api, "image/png", blank_png(16_385, 1_000), "pano.png")[1], 422, "image_too_large"
    )
    assert "'pano.png'" in body["message"] and "16384 px" in body["message"]


def test_shapes_at_the_limits_are_accepted(api: ApiClient) -> None:
    item = ok(_upload(api, "image/png", blank_png(16_384, 1_000))[1])
    assert (item["width"], item["height"]) == (16_384, 1_000)
    item = ok(_upload(api, "image/png", blank_png(50, 1_000))[1])  # exactly 1:20
    assert (item["width"], item["height"]) == (50, 1_000)


def test_limits_follow_the_settings(api: ApiClient, runtime: Runtime) -> None:
    settings = runtime.settings
    original = settings.max_image_aspect, settings.max_image_side
    settings.max_image_aspect, settings.max_image_side = 3.0, 2_000
    try:
        err(_upload(api, "image/jpeg", image_bytes((400, 100)))[1], 422, "invalid_image")
        err(_upload(api, "image/jpeg", image_bytes((2_001, 1_000)))[1], 422, "image_too_large")
        ok(_upload(api, "image/jpeg", image_bytes((300, 100)))[1])
    finally:
        settings.max_image_aspect, settings.max_image_side = original


def test_mp4_without_media_data_is_refused(api: ApiClient) -> None:
    whole = mp4_bytes(20.0)
    cut = whole[: whole.index(b"mdat") - 4]  # ftyp + moov: the frames are missing
    err(_upload(api, "video/mp4", cut)[1], 422, "invalid_video")
    ok(_upload(api, "video/mp4", whole)[1])
