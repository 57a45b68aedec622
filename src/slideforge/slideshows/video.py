"""``POST /slideshows/{id}/video``: a slideshow's slides as an MP4 (``render.video``), made
by a DBOS workflow (``slideshows.workflows.make_video``, started by ``jobs.make_video`` after
the request's commit) with its state on a ``slideshow_video`` row: queued → rendering →
succeeded | failed, ``progress`` a fraction 0–1 (0–0.1 rendering the slides when they need
it, 0.1–1 encoding), committed at most every ``PROGRESS_EVERY_SECONDS`` in a short
transaction of its own.

Rules:

- one video per slideshow at a time: a POST while one is queued or rendering answers 409
  ``video_in_progress``; a POST after it ended starts attempt n+1 (the previous MP4's file is
  deleted when the new one is stored);
- the slides are rendered first (``rendering.render_slideshow``) when the slideshow is not
  rendered or was edited since; a render error becomes the video's error (its own code);
- the video remembers the slideshow revision it was made from: once the slideshow is edited,
  ``video.stale`` is true (the MP4 stays until a new POST replaces it);
- ``audio_file_id``: a ready file of the caller's workspace (another workspace's: 404) whose
  first audio stream becomes the AAC track (an audio upload or a video's sound); a file with
  no audio stream is 422 ``audio_stream_missing``; trimmed or looped to the video's length;
- a restart finds unfinished videos again: DBOS resumes the workflow, and
  ``workers.recover`` re-enqueues every queued/rendering row (same workflow id: nothing
  twice).
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import av
import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge import jobs
from slideforge.auth.service import Caller
from slideforge.files.service import read_media
from slideforge.kit.crypto import sha256_hex
from slideforge.kit.errors import ApiError, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.models import File, Slideshow, SlideshowVideo
from slideforge.render.video import VideoInputError, VideoSpec, decode_slide, encode_video
from slideforge.runtime import Runtime
from slideforge.slideshows import rendering
from slideforge.slideshows.schemas import SlideshowOut, VideoBody
from slideforge.slideshows.service import (
    VIDEO_CONTEXT,
    discard_video_files,
    get_row,
    purge_after_commit,
    purge_storage,
    slideshow_out,
    video_prefix,
    video_row,
)

log = logging.getLogger(__name__)

UNFINISHED = ("queued", "rendering")
#: Progress is written at most this often (each write is one short transaction).
PROGRESS_EVERY_SECONDS = 0.5
#: The share of the progress that rendering the slides takes when they need it.
RENDER_SHARE = 0.1
#: An audio source is read whole into memory: at most this many bytes.
MAX_AUDIO_SOURCE_BYTES = 200 * 1024 * 1024
MAX_SLIDE_BYTES = 25 * 1024 * 1024
#: Encoder threads (libx264): the machine's cores, at most 4.
ENCODE_THREADS = max(1, min(4, os.cpu_count() or 1))


# -- the request ---------------------------------------------------------------------------


def _audio_file(session: Session, workspace_id: uuid.UUID, file_id: object) -> File:
    parsed = parse_id(file_id)
    row = (
        session.scalar(
            sa.select(File).where(
                File.id == parsed, File.workspace_id == workspace_id, File.status == "ready"
            )
        )
        if parsed is not None
        else None
    )
    if row is None:
        raise not_found("audio file", "audio_file_not_found")
    return row


def _check_audio(runtime: Runtime, file: File) -> bytes:
    """The file's bytes when its first audio stream can be decoded; 422 otherwise."""
    kind = file.content_type.split("/", 1)[0]
    if kind not in ("audio", "video"):
        raise ApiError(
            "invalid_audio_file",
            f"audio_file_id: the file {file.filename!r} is {file.content_type}, not audio or "
            "a video with sound.",
            422,
        )
    if (file.size or 0) > MAX_AUDIO_SOURCE_BYTES:
        raise ApiError(
            "invalid_audio_file",
            f"audio_file_id: the file {file.filename!r} is {file.size} bytes, over the "
            f"{MAX_AUDIO_SOURCE_BYTES}-byte limit for a video's audio source.",
            422,
        )
    try:
        data = runtime.storage.read(file.storage_key)
    except StorageError as exc:
        raise ApiError(
            "invalid_audio_file", f"audio_file_id: the file cannot be read: {exc}", 422
        ) from exc
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            has_audio = bool(container.streams.audio)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise ApiError(
            "invalid_audio_file",
            f"audio_file_id: the file {file.filename!r} cannot be read as media: {exc}",
            422,
        ) from exc
    if not has_audio:
        raise ApiError(
            "audio_stream_missing",
            f"audio_file_id: the file {file.filename!r} has no audio stream. Send a file with "
            "sound (an MP3, M4A/AAC or WAV upload, or a video with sound).",
            422,
            data={"file_id": str(file.id)},
        )
    return data


def start_video(
    session: Session, runtime: Runtime, caller: Caller, slideshow_id: object, body: VideoBody
) -> SlideshowOut:
    row = get_row(session, caller, slideshow_id, for_update=True)
    if not row.slides:
        raise ApiError(
            "no_slides",
            "This slideshow has no slides: PATCH it with slides (or generate a new one) "
            "before making a video.",
            422,
        )
    video = video_row(session, row.id)
    if video is not None and video.status in UNFINISHED:
        raise ApiError(
            "video_in_progress",
            f"A video of this slideshow is {video.status} ({round(video.progress * 100)} % "
            "done); wait for it to finish (GET /slideshows/{id}), then post again.",
            409,
        )
    if body.audio_file_id is not None:
        _check_audio(runtime, _audio_file(session, caller.workspace_id, body.audio_file_id))
    settings: dict[str, Any] = body.model_dump()
    now = runtime.clock.now()
    if video is None:
        video = SlideshowVideo(
            workspace_id=row.workspace_id, slideshow_id=row.id, attempt=0, settings={}
        )
        session.add(video)
    video.member_id = caller.member_id
    video.attempt += 1
    video.status = "queued"
    video.settings = settings
    video.progress = 0.0
    video.slideshow_revision = row.revision
    video.file_id = None
    video.url = None
    video.duration_seconds = None
    video.width = video.height = None
    video.error_code = video.error_message = None
    video.started_at = now
    video.finished_at = None
    purge_after_commit(session, runtime, discard_video_files(session, row))
    session.flush()
    jobs.make_video.after_commit(session, str(video.id), video.attempt)
    return slideshow_out(row)


def unfinished_videos(session: Session) -> list[tuple[str, int]]:
    """(video id, attempt) of every video queued or rendering (for ``workers.recover``)."""
    rows = session.execute(
        sa.select(SlideshowVideo.id, SlideshowVideo.attempt).where(
            SlideshowVideo.status.in_(UNFINISHED)
        )
    )
    return [(str(video_id), attempt) for video_id, attempt in rows]


# -- the workflow's work --------------------------------------------------------------------


class _Superseded(Exception):
    """A newer attempt (or the slideshow's deletion) replaced this one."""


def _current(session: Session, video_id: uuid.UUID, attempt: int) -> SlideshowVideo:
    video = session.get(SlideshowVideo, video_id, populate_existing=True)
    if video is None or video.attempt != attempt or video.status not in UNFINISHED:
        raise _Superseded
    return video


class _ProgressWriter:
    """Writes the video's progress, at most every PROGRESS_EVERY_SECONDS, one short
    transaction each."""

    def __init__(
        self,
        runtime: Runtime,
        video_id: uuid.UUID,
        attempt: int,
        listener: Callable[[float], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.video_id = video_id
        self.attempt = attempt
        self.listener = listener
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, fraction: float, *, force: bool = False) -> None:
        if self.listener is not None:
            self.listener(fraction)
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < PROGRESS_EVERY_SECONDS:
                return
            self._last = now
        with self.runtime.db.session() as session:
            session.execute(
                sa.update(SlideshowVideo)
                .where(
                    SlideshowVideo.id == self.video_id,
                    SlideshowVideo.attempt == self.attempt,
                    SlideshowVideo.status == "rendering",
                )
                .values(progress=round(min(1.0, max(0.0, fraction)), 4))
            )
            session.commit()


def _owner(video: SlideshowVideo, slideshow: Slideshow) -> Caller:
    """The caller the slides are rendered for: the slideshow's workspace (and member)."""
    return Caller(
        workspace_id=slideshow.workspace_id,
        key_id=video.id,
        scope="personal" if slideshow.member_id else "workspace",
        member_id=slideshow.member_id,
    )


def _slides_ready(slideshow: Slideshow) -> bool:
    slides = list(slideshow.slides or [])
    return (
        slideshow.status == "rendered"
        and bool(slides)
        and all(s.get("rendered_image_url") for s in slides)
    )


def _read(runtime: Runtime, url: str, what: str) -> bytes:
    try:
        return read_media(runtime, url, max_bytes=MAX_SLIDE_BYTES)
    except (StorageError, FetchError, UnsafeUrlError) as exc:
        raise ApiError(
            "slideshow_changed",
            f"{what} ({url}) is gone: the slideshow was rendered again or edited while the "
            f"video was made ({exc}). Post the video again.",
            409,
        ) from exc


def make_video(
    runtime: Runtime,
    video_id: str,
    attempt: int,
    listener: Callable[[float], None] | None = None,
) -> str:
    """The whole of one attempt; returns the status it ended with ("superseded" when a newer
    attempt or a deletion replaced it). Never raises for the video's own failures: they are
    recorded on the row. ``listener`` hears every progress fraction (the CLI's bar)."""
    vid = uuid.UUID(video_id)
    try:
        return _make(runtime, vid, attempt, listener)
    except _Superseded:
        return "superseded"
    except ApiError as exc:
        return _fail(runtime, vid, attempt, exc)
    except Exception:
        log.exception("video %s attempt %d failed unexpectedly", video_id, attempt)
        error = ApiError(
            "video_encode_failed",
            "the video could not be made (an internal error); post it again",
            500,
        )
        return _fail(runtime, vid, attempt, error)


def _fail(runtime: Runtime, video_id: uuid.UUID, attempt: int, error: ApiError) -> str:
    with runtime.db.session() as session:
        try:
            video = _current(session, video_id, attempt)
        except _Superseded:
            return "superseded"
        video.status = "failed"
        video.error_code = error.error_code
        video.error_message = error.message
        video.finished_at = runtime.clock.now()
        session.commit()
    return "failed"


def _make(
    runtime: Runtime,
    video_id: uuid.UUID,
    attempt: int,
    listener: Callable[[float], None] | None,
) -> str:
    progress = _ProgressWriter(runtime, video_id, attempt, listener)
    with runtime.db.session() as session:
        video = _current(session, video_id, attempt)
        slideshow = session.get(Slideshow, video.slideshow_id)
        if slideshow is None:
            raise _Superseded
        video.status = "rendering"
        video.progress = 0.0
        settings = dict(video.settings or {})
        caller = _owner(video, slideshow)
        needs_render = not _slides_ready(slideshow)
        slideshow_id = slideshow.id
        session.commit()

    with runtime.db.session() as session:
        if needs_render:
            rendering.render_slideshow(session, runtime, caller, slideshow_id)
            progress(RENDER_SHARE, force=True)
        slideshow = get_row(session, caller, slideshow_id)
        revision = slideshow.revision
        urls = [str(s.get("rendered_image_url") or "") for s in slideshow.slides or []]
        if not urls or not all(urls):
            raise ApiError(
                "slideshow_changed",
                "The slideshow was edited while its slides were rendered for the video. Post "
                "the video again.",
                409,
            )
        audio_id = settings.get("audio_file_id")
        audio_file = _audio_file(session, slideshow.workspace_id, audio_id) if audio_id else None
        workspace_id = slideshow.workspace_id
        session.commit()

    audio = _check_audio(runtime, audio_file) if audio_file is not None else None
    slides = [decode_slide(_read(runtime, url, f"slide {i}")) for i, url in enumerate(urls)]
    spec = VideoSpec(
        seconds_per_slide=int(settings.get("seconds_per_slide", 3)),
        transition=settings.get("transition", "crossfade"),
        motion=settings.get("motion", "none"),
        fps=int(settings.get("fps", 30)),
    )
    start = RENDER_SHARE if needs_render else 0.0
    with tempfile.TemporaryDirectory(prefix="slideforge-video-") as tmp:
        path = os.path.join(tmp, "video.mp4")
        try:
            result = encode_video(
                slides,
                spec,
                path,
                audio=audio,
                progress=lambda f: progress(start + (1 - start) * f),
                threads=ENCODE_THREADS,
            )
        except VideoInputError as exc:
            raise _input_error(exc) from exc
        size = os.path.getsize(path)
        key = f"{video_prefix(slideshow_id)}{video_id}-{attempt}.mp4"
        with open(path, "rb") as handle:
            digest = sha256_hex(handle.read())
            handle.seek(0)
            runtime.storage.put_file(key, handle, "video/mp4")
    return _finish(runtime, video_id, attempt, workspace_id, key, size, digest, result, revision)


def _input_error(exc: VideoInputError) -> ApiError:
    message = f"the video cannot be made: {exc.message}"
    if exc.reason == "no_audio_stream":
        return ApiError("audio_stream_missing", message, 422)
    if exc.reason == "unreadable_audio":
        return ApiError("invalid_audio_file", message, 422)
    if exc.reason == "no_slides":
        return ApiError("no_slides", message, 422)
    return ApiError("video_encode_failed", message, 500)


def _finish(
    runtime: Runtime,
    video_id: uuid.UUID,
    attempt: int,
    workspace_id: uuid.UUID,
    key: str,
    size: int,
    digest: str,
    result: Any,
    revision: int,
) -> str:
    with runtime.db.session() as session:
        try:
            video = _current(session, video_id, attempt)
        except _Superseded:
            session.rollback()
            purge_storage(runtime, [key])
            raise
        now = runtime.clock.now()
        file = File(
            workspace_id=workspace_id,
            member_id=video.member_id,
            filename=f"slideshow-{video.slideshow_id}.mp4",
            content_type="video/mp4",
            context=VIDEO_CONTEXT,
            status="ready",
            storage_key=key,
            size=size,
            width=result.width,
            height=result.height,
            duration_seconds=result.duration_seconds,
            sha256=digest,
            uploaded_at=now,
        )
        session.add(file)
        session.flush()
        video.status = "succeeded"
        video.progress = 1.0
        video.file_id = file.id
        video.url = runtime.storage.url(key)
        video.duration_seconds = result.duration_seconds
        video.width, video.height = result.width, result.height
        video.slideshow_revision = revision
        video.finished_at = now
        session.commit()
    return "succeeded"


def start_for_cli(
    session: Session, runtime: Runtime, slideshow_id: object, body: VideoBody
) -> tuple[str, int]:
    """``slideforge video``: start a video of any slideshow (the operator's command, so not
    scoped to a key: the slideshow's own workspace and member); its (video id, attempt),
    for ``make_video`` in the same process."""
    parsed = parse_id(slideshow_id)
    row = session.get(Slideshow, parsed) if parsed is not None else None
    if row is None:
        raise not_found("slideshow")
    caller = Caller(
        workspace_id=row.workspace_id,
        key_id=row.id,
        scope="personal" if row.member_id else "workspace",
        member_id=row.member_id,
    )
    start_video(session, runtime, caller, row.id, body)
    video = video_row(session, row.id)
    assert video is not None
    session.commit()
    return str(video.id), video.attempt


def video_file(session: Session, slideshow_id: object) -> tuple[SlideshowVideo, File | None]:
    """A slideshow's video row and its MP4's file (the CLI writes it out)."""
    parsed = parse_id(slideshow_id)
    video = video_row(session, parsed) if parsed is not None else None
    if video is None:
        raise not_found("slideshow video")
    file = session.get(File, video.file_id) if video.file_id else None
    return video, file
