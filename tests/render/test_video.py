"""render.video: slides to an H.264 MP4 read back with PyAV (codec, size, pixel format,
frame count, duration, the transitions' frames, the AAC track trimmed or looped)."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from av.audio.frame import AudioFrame

from slideforge.render.video import (
    VideoInputError,
    VideoSpec,
    decode_slide,
    encode_video,
    plan_frames,
)

RED = (220, 30, 30)
BLUE = (30, 30, 220)


def solid(color: tuple[int, int, int], width: int = 160, height: int = 240) -> np.ndarray:
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = color
    return image


def frames_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def tone(seconds: float, *, rate: int = 48_000, with_video: bool = False) -> bytes:
    """An M4A (or an MP4 with a small video too) holding a 440 Hz tone."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        if with_video:
            video = container.add_stream("libx264", rate=10)
            video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = container.add_stream("aac", rate=rate, layout="mono")
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            piece = samples[start : start + 1024].reshape(1, -1)
            frame = AudioFrame.from_ndarray(piece, format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
        if with_video:
            for i in range(int(seconds * 10)):
                vf = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
                vf.pts = i
                container.mux(video.encode(vf))
            container.mux(video.encode(None))
    return out.getvalue()


@pytest.mark.parametrize("fps", [24, 30])
def test_container_codec_size_frames_duration(tmp_path: Path, fps: int) -> None:
    path = tmp_path / "v.mp4"
    result = encode_video([solid(RED), solid(BLUE)], VideoSpec(2, "crossfade", "none", fps), path)
    assert result.frames == 2 * 2 * fps and result.duration_seconds == 4.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (160, 240)
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.average_rate == fps
        assert stream.frames == 4 * fps
        assert stream.duration is not None and stream.time_base is not None
        assert float(stream.duration * stream.time_base) == pytest.approx(4.0, abs=1e-6)
        assert not container.streams.audio
        assert sum(1 for _ in container.decode(stream)) == 4 * fps
    # +faststart: the moov box comes before the media data
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_crossfade_middle_is_between_the_two_slides(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    spec = VideoSpec(1, "crossfade", "none", 30)
    encode_video([solid(RED), solid(BLUE)], spec, path)
    frames = frames_rgb(path)
    assert len(frames) == 60
    k = spec.transition_frames
    assert k == 15
    first, last = frames[0].mean(axis=(0, 1)), frames[59].mean(axis=(0, 1))
    assert first[0] > 200 and first[2] < 50  # red
    assert last[2] > 200 and last[0] < 50  # blue
    before = frames[30 - k - 1].mean(axis=(0, 1))
    assert before[0] > 200  # still red before the transition
    middle = frames[30 - k // 2 - 1].mean(axis=(0, 1))
    assert 80 < middle[0] < 170 and 80 < middle[2] < 170  # a mix of both
    assert frames[30].mean(axis=(0, 1))[2] > 200  # the next slide's first frame


def test_slide_transition_pushes_the_next_slide_in(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    spec = VideoSpec(1, "slide", "none", 30)
    encode_video([solid(RED), solid(BLUE)], spec, path)
    frames = frames_rgb(path)
    middle = frames[30 - spec.transition_frames // 2 - 1]
    left, right = middle[:, :40].mean(axis=(0, 1)), middle[:, -40:].mean(axis=(0, 1))
    assert left[0] > 180 and left[2] < 80  # the old slide leaves on the left
    assert right[2] > 180 and right[0] < 80  # the new one comes in from the right


def test_no_transition_cuts(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    encode_video([solid(RED), solid(BLUE)], VideoSpec(1, "none", "none", 24), path)
    frames = frames_rgb(path)
    assert frames[23].mean(axis=(0, 1))[0] > 200 and frames[24].mean(axis=(0, 1))[2] > 200


def test_ken_burns_zooms(tmp_path: Path) -> None:
    image = solid(RED)
    image[:, :80] = BLUE  # left half blue: zooming in moves the edge
    path = tmp_path / "v.mp4"
    encode_video([image], VideoSpec(2, "none", "ken_burns", 24), path)
    frames = frames_rgb(path)
    assert len(frames) == 48
    assert np.abs(frames[0].astype(int) - frames[47].astype(int)).mean() > 3


def test_frame_plan_counts() -> None:
    plans = list(plan_frames(8, VideoSpec(3, "crossfade", "none", 30)))
    assert len(plans) == 720
    moving = [p for p in plans if not p.static]
    assert len(moving) == 7 * 15  # every slide but the last fades into the next


@pytest.mark.parametrize(("seconds", "name"), [(1.5, "looped"), (9.0, "trimmed")])
def test_audio_track_fits_the_video(tmp_path: Path, seconds: float, name: str) -> None:
    path = tmp_path / f"{name}.mp4"
    result = encode_video(
        [solid(RED), solid(BLUE)], VideoSpec(2, "crossfade", "none", 30), path, audio=tone(seconds)
    )
    assert result.has_audio and result.audio_seconds == 4.0
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert audio.sample_rate == 44_100 and audio.channels == 2
        decoded = sum(f.samples for f in container.decode(audio))
        assert decoded / 44_100 == pytest.approx(4.0, abs=0.05)
        assert container.streams.video[0].frames == 120


def test_audio_of_a_video_file(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    encode_video([solid(RED)], VideoSpec(1), path, audio=tone(2, with_video=True))
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"


def test_audio_without_a_stream_is_refused(tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    encode_video([solid(RED)], VideoSpec(1), silent)
    with pytest.raises(VideoInputError) as caught:
        encode_video([solid(RED)], VideoSpec(1), tmp_path / "v.mp4", audio=silent.read_bytes())
    assert caught.value.reason == "no_audio_stream"


def test_decode_slide_scales_to_1080_wide() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (540, 675), RED).save(buffer, "JPEG")
    assert decode_slide(buffer.getvalue()).shape == (1350, 1080, 3)
    with pytest.raises(VideoInputError):
        decode_slide(b"not an image")
