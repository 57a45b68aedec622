"""Real encoded videos for the stand-ins' stream checks (made once per test process)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import av
import numpy as np

from slideforge.render.video import VideoSpec, encode_video


def _slides(width: int, height: int, count: int = 1) -> list[np.ndarray]:
    slides = []
    for i in range(count):
        image = np.zeros((height, width, 3), np.uint8)
        image[:] = ((40 + 60 * i) % 256, 90, 160)
        slides.append(image)
    return slides


def _h264(width: int, height: int, seconds: int, fps: int = 24) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        encode_video(_slides(width, height, seconds), VideoSpec(1, "none", "none", fps), path)
        return path.read_bytes()


@cache
def good_mp4() -> bytes:
    """H.264, 360x640, 5 s at 24 fps: fits TikTok, Reels and video pins."""
    return _h264(360, 640, 5)


@cache
def tiny_mp4() -> bytes:
    """H.264, 100x100, 3 frames (0.125 s): too small and too short everywhere."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        with av.open(str(path), "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = 100, 100, "yuv420p"
            for i in range(3):
                frame = av.VideoFrame.from_ndarray(_slides(100, 100)[0], format="rgb24")
                frame.pts = i
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


@cache
def short_mp4() -> bytes:
    """H.264, 360x640, 2 s: under Reels' 3 s and video pins' 4 s."""
    return _h264(360, 640, 2)


@cache
def vp9_webm() -> bytes:
    """VP9 in WebM, 360x640, 4 s at 24 fps."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.webm"
        with av.open(str(path), "w", format="webm") as container:
            stream = container.add_stream("libvpx-vp9", rate=24, options={"deadline": "realtime"})
            stream.width, stream.height, stream.pix_fmt = 360, 640, "yuv420p"
            image = _slides(360, 640)[0]
            for i in range(96):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = i
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


@cache
def vp9_mp4() -> bytes:
    """VP9 in an MP4 container, 360x640, 4 s: the container passes, the codec does not."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        with av.open(str(path), "w", format="mp4") as container:
            stream = container.add_stream("libvpx-vp9", rate=24, options={"deadline": "realtime"})
            stream.width, stream.height, stream.pix_fmt = 360, 640, "yuv420p"
            image = _slides(360, 640)[0]
            for i in range(96):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = i
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()
