"""Audio files: the container from the first bytes, and the first audio stream's duration
(PyAV: FFmpeg's demuxer, headers only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO


def sniff_audio(head: bytes) -> str | None:
    """mp3 | adts (raw AAC) | wav | mp4 (M4A and other ISO-BMFF) | None."""
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # sync, layer 00: ADTS
            return "adts"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # sync, layer I-III: MPEG audio
            return "mp3"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        if head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"):
            return None
        return "mp4"
    return None


@dataclass(frozen=True)
class AudioInfo:
    has_audio: bool
    duration_seconds: float | None
    codec: str | None


def probe_audio(handle: IO[bytes]) -> AudioInfo:
    """The first audio stream of a file; ``has_audio`` False when there is none or the
    bytes cannot be read as media."""
    import av

    try:
        with av.open(handle, mode="r") as container:
            if not container.streams.audio:
                return AudioInfo(False, None, None)
            stream = container.streams.audio[0]
            duration: float | None = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            codec = stream.codec_context.name if stream.codec_context else None
            return AudioInfo(True, duration, codec)
    except (av.FFmpegError, OSError, ValueError):
        return AudioInfo(False, None, None)
