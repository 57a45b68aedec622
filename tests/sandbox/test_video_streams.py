"""The stand-ins' shared video probe (``common.probe_mp4``) and each platform's reading of
it: TikTok's fail reasons, Reels' and video pins' limits, on real encoded files."""

from __future__ import annotations

from platform_sandbox.common import probe_mp4
from platform_sandbox.instagram.checks import reel_problem, reel_stream_error
from platform_sandbox.pinterest.media import pin_video_problem
from platform_sandbox.tiktok_api.media import stream_fail_reason
from tests.helpers import mp4_bytes
from tests.sandbox.videos import good_mp4, short_mp4, tiny_mp4, vp9_mp4, vp9_webm


def test_probe_reads_codec_size_duration_and_rate() -> None:
    info = probe_mp4(good_mp4())
    assert info is not None
    assert (info.video_codec, info.width, info.height) == ("h264", 360, 640)
    assert info.duration_seconds == 5.0 and info.fps == 24 and info.frames == 120
    assert info.audio_codec is None
    webm = probe_mp4(vp9_webm())
    assert webm is not None and webm.video_codec == "vp9" and "webm" in webm.container
    # Hand-built containers (older tests) and non-videos hold no stream PyAV reads.
    assert probe_mp4(mp4_bytes(20.0)) is None
    assert probe_mp4(b"not a video at all") is None


def test_tiktok_fail_reasons() -> None:
    def reason(data: bytes, checks: str = "readable", max_duration: int = 600) -> str | None:
        failed = stream_fail_reason(probe_mp4(data), checks, max_duration)  # type: ignore[arg-type]
        return failed[0] if failed else None

    assert reason(good_mp4()) is None
    assert reason(vp9_webm()) is None  # TikTok takes VP9
    assert reason(tiny_mp4()) == "picture_size_check_failed"
    assert reason(good_mp4(), max_duration=3) == "duration_check_failed"
    assert reason(mp4_bytes(20.0)) is None
    assert reason(mp4_bytes(20.0), "strict") == "file_format_check_failed"
    assert reason(tiny_mp4(), "off") is None


def test_reel_limits() -> None:
    good, tiny, short, vp9 = (
        probe_mp4(d) for d in (good_mp4(), tiny_mp4(), short_mp4(), vp9_mp4())
    )
    assert good is not None and reel_problem(good) is None
    assert tiny is not None and "not 3 s to 15 minutes" in (reel_problem(tiny) or "")
    assert short is not None and "2.0 s long" in (reel_problem(short) or "")
    assert vp9 is not None and "vp9, not H.264 or HEVC" in (reel_problem(vp9) or "")
    assert reel_stream_error(mp4_bytes(20.0), "readable") is None
    assert reel_stream_error(mp4_bytes(20.0), "strict") == "no video stream could be read"


def test_video_pin_limits() -> None:
    assert pin_video_problem(good_mp4(), "readable") is None
    assert "2.0 s long" in (pin_video_problem(short_mp4(), "readable") or "")
    assert "vp9" in (pin_video_problem(vp9_mp4(), "readable") or "")
    assert pin_video_problem(mp4_bytes(20.0), "readable") is None
