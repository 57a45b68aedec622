"""Slides to an MP4: pure encoding (frames in, a file out), no database, no HTTP, no settings.

The video is 1080 wide (the slides' canvas), H.264 (libx264 from the PyAV wheel) in yuv420p,
constant frame rate, ``+faststart`` (the moov box first, as TikTok, Reels and Pinterest want
it), with an AAC track when audio is given. Slide ``i`` fills frames ``[i·n, (i+1)·n)`` where
``n = seconds_per_slide · fps``, so the frame count is exactly slides × seconds × fps. A
transition takes the last ``transition_frames`` of a slide's span (not after the last slide),
moving to the next slide.

Cost: a frame that repeats (a static slide) is converted to yuv420p once and that same frame
is sent to the encoder again; x264 codes it as skipped blocks. A crossfade between static
slides blends the two yuv420p images in uint8 (``cv2.addWeighted``), never pixel by pixel in
Python; the slide transition and Ken Burns work on the Y, U and V planes too (shifted,
warped), so no frame is converted from RGB after each slide's first.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import cv2
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.video.frame import VideoFrame
from numpy.typing import NDArray
from PIL import Image

Transition = Literal["none", "crossfade", "slide"]
Motion = Literal["none", "ken_burns"]
TRANSITIONS: tuple[Transition, ...] = ("none", "crossfade", "slide")
MOTIONS: tuple[Motion, ...] = ("none", "ken_burns")
FPS_VALUES = (24, 30)

WIDTH = 1080
#: A transition lasts this long, or half a slide's span when that is shorter.
TRANSITION_SECONDS = 0.5
#: Ken Burns: each slide zooms from 1 to this scale over its span, panning a little.
KEN_BURNS_ZOOM = 1.08
AUDIO_RATE = 44_100
AUDIO_FADE_SECONDS = 0.5
AAC_BITRATE = 128_000
#: libx264 settings, measured with ``slideforge bench video`` (8 photo slides with grain):
#: a constant quantizer (P frames at QP 22, I frames 3 lower) rather than CRF — CRF lowers
#: the QP of a repeated frame (it looks simple) and keeps refining the photo's grain on every
#: repeat (10.9 MB and ~20 ms of CPU a frame), where a constant QP codes the repeats as
#: skipped blocks (1.4 MB, ~10 ms); the superfast preset without B-frames, lookahead,
#: weighted prediction or scene cuts (nothing to gain on slides); sliced threads, so both
#: cores work on every frame (frame threads need a lookahead to overlap). A keyframe every
#: KEYFRAME_SECONDS.
X264_OPTIONS = {
    "preset": "superfast",
    "qp": "22",
    "profile": "high",
    "x264-params": (
        "bframes=0:scenecut=0:rc-lookahead=0:sync-lookahead=0:mbtree=0:weightp=0:sliced-threads=1"
    ),
}
KEYFRAME_SECONDS = 5

RGB = NDArray[np.uint8]
Progress = Callable[[float], None]


class VideoInputError(ValueError):
    """The inputs cannot make a video (``reason``: no_slides, bad_slide, no_audio_stream,
    unreadable_audio)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class VideoSpec:
    seconds_per_slide: int = 3
    transition: Transition = "crossfade"
    motion: Motion = "none"
    fps: int = 30

    @property
    def frames_per_slide(self) -> int:
        return self.seconds_per_slide * self.fps

    @property
    def transition_frames(self) -> int:
        if self.transition == "none":
            return 0
        return min(round(TRANSITION_SECONDS * self.fps), self.frames_per_slide // 2)


@dataclass(frozen=True)
class EncodedVideo:
    width: int
    height: int
    frames: int
    fps: int
    duration_seconds: float
    has_audio: bool
    audio_seconds: float | None = None


def decode_slide(data: bytes, width: int = WIDTH) -> RGB:
    """A rendered slide (JPEG/PNG bytes) as RGB pixels, ``width`` wide (even height)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            rgb = image.convert("RGB")
    except Exception as exc:  # Pillow raises many kinds for broken bytes
        raise VideoInputError("bad_slide", f"a slide image cannot be read: {exc}") from exc
    if rgb.width != width:
        height = round(rgb.height * width / rgb.width)
        rgb = rgb.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(rgb, dtype=np.uint8)
    if array.shape[0] % 2:  # yuv420p needs even sides
        array = array[:-1]
    return np.ascontiguousarray(array)


# -- frames -------------------------------------------------------------------------------
#
# Frames are built in yuv420p, the encoder's format: a slide is converted from RGB once, and
# transitions and Ken Burns work on its planes (Y at full size, U and V at half size), packed
# as PyAV's (height · 3/2, width) yuv420p array.

YUV = NDArray[np.uint8]


def to_yuv(image: RGB) -> YUV:
    """An RGB slide as a packed yuv420p array (PyAV's layout, BT.601 like the encoder's own
    conversion)."""
    frame = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    return np.ascontiguousarray(frame.to_ndarray())


def _planes(yuv: YUV) -> tuple[YUV, YUV, YUV]:
    w = yuv.shape[1]
    h = yuv.shape[0] * 2 // 3
    y = yuv[:h]
    u = yuv[h : h + h // 4].reshape(h // 2, w // 2)
    v = yuv[h + h // 4 :].reshape(h // 2, w // 2)
    return y, u, v


def _pack(y: YUV, u: YUV, v: YUV) -> YUV:
    w = y.shape[1]
    return np.ascontiguousarray(
        np.concatenate([y, u.reshape(-1, w), v.reshape(-1, w)], axis=0), dtype=np.uint8
    )


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def ken_burns_matrix(width: int, height: int, index: int, t: float) -> NDArray[np.float64]:
    """Slide ``index`` at fraction ``t`` of its span: zoomed from 1 to KEN_BURNS_ZOOM about a
    centre that drifts sideways (alternating direction per slide) and a little upwards."""
    scale = 1 + (KEN_BURNS_ZOOM - 1) * t
    slack_x = width * (1 - 1 / scale) / 2
    slack_y = height * (1 - 1 / scale) / 2
    direction = 1 if index % 2 == 0 else -1
    cx = width / 2 + direction * slack_x * (2 * t - 1) * 0.9
    cy = height / 2 + slack_y * (1 - 2 * t) * 0.5
    return np.array([[scale, 0, width / 2 - scale * cx], [0, scale, height / 2 - scale * cy]])


def _ken_burns(yuv: YUV, index: int, t: float) -> YUV:
    y, u, v = _planes(yuv)
    h, w = y.shape
    matrix = ken_burns_matrix(w, h, index, t)
    half = matrix.copy()
    half[:, 2] /= 2

    def warp(plane: YUV, m: NDArray[np.float64]) -> YUV:
        size = (plane.shape[1], plane.shape[0])
        return np.asarray(
            cv2.warpAffine(plane, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT),
            dtype=np.uint8,
        )

    return _pack(warp(y, matrix), warp(u, half), warp(v, half))


def _slide_in(a: YUV, b: YUV, t: float) -> YUV:
    """``b`` pushes ``a`` out to the left; ``t`` in [0, 1]."""
    ya, ua, va = _planes(a)
    yb, ub, vb = _planes(b)
    w = ya.shape[1]
    half = min(w // 2, max(0, round(_ease(t) * w / 2)))
    shift = half * 2

    def shifted(pa: YUV, pb: YUV, s: int) -> YUV:
        return np.concatenate([pa[:, s:], pb[:, :s]], axis=1)

    return _pack(shifted(ya, yb, shift), shifted(ua, ub, half), shifted(va, vb, half))


def _blend(a: YUV, b: YUV, weight: float) -> YUV:
    return np.asarray(cv2.addWeighted(a, 1 - weight, b, weight, 0), dtype=np.uint8)


@dataclass(frozen=True)
class FramePlan:
    """One frame: slide ``index`` (at ``t`` of its span, for Ken Burns), moving to the next
    slide by ``transition`` at ``progress`` (0: not moving)."""

    index: int
    t: float = 0.0
    progress: float = 0.0

    @property
    def static(self) -> bool:
        return self.progress == 0.0


def plan_frames(count: int, spec: VideoSpec) -> Iterator[FramePlan]:
    """Every frame of the video of ``count`` slides, in order."""
    n = spec.frames_per_slide
    k = spec.transition_frames
    for i in range(count):
        last = i == count - 1
        for f in range(n):
            t = f / max(1, n - 1)
            if last or k == 0 or f < n - k:
                yield FramePlan(i, t)
            else:
                # (0, 1): 1 would be the next slide's first frame
                yield FramePlan(i, t, (f - (n - k) + 1) / (k + 1))


class FrameMaker:
    """The yuv420p frames of a plan; each slide converted once, two slides kept at a time."""

    def __init__(self, slides: list[RGB], spec: VideoSpec) -> None:
        self.slides = slides
        self.spec = spec
        self._yuv: dict[int, YUV] = {}
        self._static: dict[int, VideoFrame] = {}

    def yuv(self, index: int) -> YUV:
        if index not in self._yuv:
            self._yuv[index] = to_yuv(self.slides[index])
            for old in [k for k in self._yuv if k < index - 1]:
                del self._yuv[old]
                self._static.pop(old, None)
        return self._yuv[index]

    def pixels(self, plan: FramePlan) -> YUV:
        """The frame's packed yuv420p array."""
        spec = self.spec
        a = self.yuv(plan.index)
        if spec.motion == "ken_burns":
            a = _ken_burns(a, plan.index, plan.t)
        if plan.static:
            return a
        b = self.yuv(plan.index + 1)
        if spec.motion == "ken_burns":
            b = _ken_burns(b, plan.index + 1, 0.0)
        if spec.transition == "crossfade":
            return _blend(a, b, _ease(plan.progress))
        return _slide_in(a, b, plan.progress)

    def frame(self, plan: FramePlan) -> VideoFrame:
        if plan.static and self.spec.motion == "none":
            # the same frame object again: no conversion, no copy
            if plan.index not in self._static:
                self._static[plan.index] = VideoFrame.from_ndarray(
                    self.yuv(plan.index), format="yuv420p"
                )
            return self._static[plan.index]
        return VideoFrame.from_ndarray(self.pixels(plan), format="yuv420p")


# -- audio --------------------------------------------------------------------------------


def _audio_samples(data: bytes, seconds: float) -> NDArray[np.float32]:
    """The first audio stream of ``data`` (any container PyAV reads) as stereo float32 at
    AUDIO_RATE, shape (2, n): trimmed to ``seconds`` or looped up to it, faded out at the end."""
    needed = round(seconds * AUDIO_RATE)
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoInputError("unreadable_audio", f"the audio file cannot be read: {exc}") from exc
    chunks: list[NDArray[np.float32]] = []
    got = 0
    with container:
        if not container.streams.audio:
            raise VideoInputError("no_audio_stream", "the audio file has no audio stream")
        stream = container.streams.audio[0]
        resampler = AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().astype(np.float32, copy=False)
                    chunks.append(chunk)
                    got += chunk.shape[1]
                if got >= needed:
                    break
            else:
                for out in resampler.resample(None):
                    chunk = out.to_ndarray().astype(np.float32, copy=False)
                    chunks.append(chunk)
                    got += chunk.shape[1]
        except (av.FFmpegError, ValueError) as exc:
            raise VideoInputError(
                "unreadable_audio", f"the audio stream cannot be decoded: {exc}"
            ) from exc
    if got == 0:
        raise VideoInputError("no_audio_stream", "the audio stream holds no sound")
    samples = np.concatenate(chunks, axis=1)
    if samples.shape[1] < needed:  # loop it
        samples = np.tile(samples, (1, math.ceil(needed / samples.shape[1])))
    samples = np.ascontiguousarray(samples[:, :needed])
    fade = min(needed, round(AUDIO_FADE_SECONDS * AUDIO_RATE))
    if fade:
        samples[:, needed - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return samples


class _AudioWriter:
    def __init__(self, container: av.container.OutputContainer, samples: NDArray[np.float32]):
        self.samples = samples
        self.stream = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        self.stream.bit_rate = AAC_BITRATE
        self.container = container
        self.done = 0

    def write_until(self, seconds: float | None) -> None:
        """Encode the samples up to ``seconds`` (all of them when None)."""
        total = self.samples.shape[1]
        end = total if seconds is None else min(total, round(seconds * AUDIO_RATE))
        size = self.stream.codec_context.frame_size or 1024
        while self.done < end and (end - self.done >= size or seconds is None):
            piece = np.ascontiguousarray(self.samples[:, self.done : self.done + size])
            frame = AudioFrame.from_ndarray(piece, format="fltp", layout="stereo")
            frame.sample_rate = AUDIO_RATE
            frame.pts = self.done
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.container.mux(self.stream.encode(frame))
            self.done += piece.shape[1]
        if seconds is None:
            self.container.mux(self.stream.encode(None))


# -- encoding -----------------------------------------------------------------------------


def encode_video(
    slides: list[RGB],
    spec: VideoSpec,
    out: str | os.PathLike[str],
    *,
    audio: bytes | None = None,
    progress: Progress | None = None,
    threads: int = 2,
) -> EncodedVideo:
    """Encode ``slides`` (RGB arrays of one size, even sides) to an MP4 file at ``out`` (a
    path: ``+faststart`` rewrites the file to put the moov box first). ``progress`` gets the fraction of frames encoded (0–1).
    ``audio``: bytes of a file whose first audio stream becomes the AAC track, trimmed or
    looped to the video. Raises VideoInputError."""
    if not slides:
        raise VideoInputError("no_slides", "there are no slides to encode")
    height, width = slides[0].shape[:2]
    if any(s.shape != slides[0].shape for s in slides) or width % 2 or height % 2:
        raise VideoInputError("bad_slide", "the slides must share one size with even sides")
    total_frames = len(slides) * spec.frames_per_slide
    duration = total_frames / spec.fps
    samples = _audio_samples(audio, duration) if audio is not None else None

    with av.open(
        os.fspath(out), mode="w", format="mp4", options={"movflags": "+faststart"}
    ) as container:
        video = container.add_stream("libx264", rate=spec.fps, options=dict(X264_OPTIONS))
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        video.codec_context.gop_size = spec.fps * KEYFRAME_SECONDS
        video.codec_context.thread_count = max(1, threads)
        time_base = Fraction(1, spec.fps)
        audio_writer = _AudioWriter(container, samples) if samples is not None else None

        maker = FrameMaker(slides, spec)
        for number, plan in enumerate(plan_frames(len(slides), spec)):
            frame = maker.frame(plan)
            frame.pts = number
            frame.time_base = time_base
            container.mux(video.encode(frame))
            if audio_writer is not None and number % spec.fps == spec.fps - 1:
                audio_writer.write_until((number + 1) / spec.fps)
            if progress is not None:
                progress((number + 1) / total_frames)
        container.mux(video.encode(None))
        if audio_writer is not None:
            audio_writer.write_until(None)
    return EncodedVideo(
        width=width,
        height=height,
        frames=total_frames,
        fps=spec.fps,
        duration_seconds=duration,
        has_audio=samples is not None,
        audio_seconds=None if samples is None else samples.shape[1] / AUDIO_RATE,
    )
