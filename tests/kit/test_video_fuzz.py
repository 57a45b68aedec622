"""The container parsers against truncated and mutated real videos (issue 9, defect 2): they
read what is there, and on anything cut short or garbled they raise only their own
``VideoFormatError`` (``parse_video``) or give ``None`` values (``probe_video``), never
IndexError, struct.error, OverflowError or values that cannot be stored (NaN, 2**64 px).

The real files are written by OpenCV's FFmpeg backend (opencv-python-headless is a
dependency): MP4 and MOV (mpeg4), AVI (MJPEG) and WebM (VP8), 20 frames at 10 fps, 64x48."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import struct
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slideforge.kit.video import VideoFormatError, VideoInfo, parse_video, probe_video
from tests.helpers import mp4_bytes

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))

# name → (OpenCV fourcc, container parse_video reports)
FORMATS = {
    "mp4": ("mp4v", "mp4"),
    "mov": ("mp4v", "mov"),
    "avi": ("MJPG", "avi"),
    "webm": ("VP80", "webm"),
}


@functools.cache
def real_video(name: str) -> bytes:
    fourcc, _ = FORMATS[name]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"clip.{name}"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), 10, (64, 48))
        assert writer.isOpened(), f"OpenCV cannot write {name}"
        for i in range(20):
            frame = np.full((48, 64, 3), i * 12, np.uint8)
            frame[:, : i * 3] = (0, 0, 255)
            writer.write(frame)
        writer.release()
        return path.read_bytes()


def hand_built_mp4() -> bytes:
    return mp4_bytes(23.5, 720, 1280)


def samples() -> dict[str, bytes]:
    out = {name: real_video(name) for name in FORMATS}
    out["hand-mp4"] = hand_built_mp4()
    return out


def check_sane(info: VideoInfo) -> None:
    assert info.container in ("mp4", "mov", "avi", "webm", "unknown")
    if info.duration_seconds is not None:
        assert math.isfinite(info.duration_seconds) and 0 < info.duration_seconds <= 7 * 86400
    assert (info.width is None) == (info.height is None)
    if info.width is not None and info.height is not None:
        assert 1 <= info.width <= 65_535 and 1 <= info.height <= 65_535


def parse_only_declared(data: bytes) -> None:
    """parse_video raises nothing but VideoFormatError; probe_video raises nothing."""
    with contextlib.suppress(VideoFormatError):
        check_sane(parse_video(io.BytesIO(data)))
    check_sane(probe_video(io.BytesIO(data)))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_real_files_are_read(name: str) -> None:
    info = parse_video(io.BytesIO(real_video(name)))
    assert info.container == FORMATS[name][1]
    assert info.duration_seconds == pytest.approx(2.0)
    assert (info.width, info.height) == (64, 48)
    assert info.has_movie


def test_hand_built_mp4_is_read() -> None:
    info = parse_video(io.BytesIO(hand_built_mp4()))
    assert (info.container, info.width, info.height) == ("mp4", 720, 1280)
    assert info.duration_seconds == pytest.approx(23.5)


def test_the_reported_inputs() -> None:
    """The two byte strings of the report: they raised IndexError before the fix."""
    ftyp = struct.pack(">I", 20) + b"ftypisom" + b"\x00" * 8
    mp4 = ftyp + struct.pack(">I", 16) + b"moov" + struct.pack(">I", 8) + b"mvhd"
    mp4 += b"\x00" * (44 - len(mp4))
    assert len(mp4) == 44
    info = parse_video(io.BytesIO(mp4))
    assert (info.container, info.duration_seconds, info.width) == ("mp4", None, None)
    assert not info.has_movie  # a moov with no mdat: no frames
    webm = bytes.fromhex("1a45dfa3010000")
    with pytest.raises(VideoFormatError):
        parse_video(io.BytesIO(webm))
    assert probe_video(io.BytesIO(webm)) == VideoInfo("webm", None, None, None, has_movie=False)


@pytest.mark.parametrize("name", [*sorted(FORMATS), "hand-mp4"])
def test_every_truncation(name: str) -> None:
    """Each prefix of each small file (they are 1–11 KB: every length is cheap)."""
    data = samples()[name]
    for end in range(len(data) + 1):
        parse_only_declared(data[:end])


@FUZZ
@given(
    name=st.sampled_from([*sorted(FORMATS), "hand-mp4"]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=12),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_real_files(name: str, edits: list[tuple[float, int]], cut: float | None) -> None:
    data = bytearray(samples()[name])
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    parse_only_declared(bytes(data))


# Header bytes that matter to the parsers: box sizes and types, EBML ids and lengths.
INTERESTING = st.sampled_from(
    [
        b"\x00\x00\x00\x00",
        b"\x00\x00\x00\x01",
        b"\x00\x00\x00\x08",
        b"\xff\xff\xff\xff",
        b"moov",
        b"mvhd",
        b"trak",
        b"mdia",
        b"hdlr",
        b"tkhd",
        b"vide",
        b"avih",
        b"\x18\x53\x80\x67",
        b"\x15\x49\xa9\x66",
        b"\x2a\xd7\xb1",
        b"\x44\x89",
        b"\x16\x54\xae\x6b",
        b"\xae",
        b"\xe0",
        b"\xb0",
        b"\xba",
        b"\x01",
        b"\x88",
        b"\x7f\xf8\x00\x00",  # NaN as a float
        b"\xff" * 8,
    ]
)


@FUZZ
@given(
    name=st.sampled_from([*sorted(FORMATS), "hand-mp4"]),
    splices=st.lists(st.tuples(st.floats(0, 1), INTERESTING), min_size=1, max_size=6),
)
def test_spliced_headers(name: str, splices: list[tuple[float, bytes]]) -> None:
    """Structural words written over the real files' own headers."""
    data = bytearray(samples()[name])
    for where, word in splices:
        at = int(where * min(len(data), 600))
        data[at : at + len(word)] = word
    parse_only_declared(bytes(data))


@FUZZ
@given(
    magic=st.sampled_from(
        [
            struct.pack(">I", 20) + b"ftypisom",
            struct.pack(">I", 20) + b"ftypqt  ",
            b"\x00\x00\x00\x08moov",
            b"RIFF\x00\x00\x00\x00AVI LIST",
            b"\x1a\x45\xdf\xa3",
        ]
    ),
    body=st.lists(st.one_of(INTERESTING, st.binary(max_size=16)), max_size=30),
)
def test_magic_then_garbage(magic: bytes, body: list[bytes]) -> None:
    parse_only_declared(magic + b"".join(body))
