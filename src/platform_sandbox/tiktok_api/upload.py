"""``UploadArea``: the chunk PUTs of a FILE_UPLOAD to the ``upload_url`` a video init
returned (Content-Range / Content-Type / Content-Length checks, strict sequence, expiry)."""

from __future__ import annotations

import hmac

from platform_sandbox.tiktok_api import media
from platform_sandbox.tiktok_api.pipeline import PublishPipeline
from platform_sandbox.tiktok_api.records import Upload

VIDEO_CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")

ChunkAnswer = tuple[int, str | None, str, str]
"""HTTP status, Content-Range header or None, error code (``ok`` for 206/201), message."""


class ChunkRefused(Exception):
    """A chunk PUT answered with an error."""

    def __init__(self, status: int, message: str, *, with_progress: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.with_progress = with_progress
        """Whether the answer carries the upload's Content-Range so far."""


class UploadArea(PublishPipeline):
    """``PUT <upload_url>``."""

    def upload_chunk(
        self,
        *,
        upload_id: str,
        upload_token: str,
        content_type: str | None,
        content_range: str | None,
        content_length: str | None,
        body: bytes,
    ) -> ChunkAnswer:
        """``PUT <upload_url>``. Returns (HTTP status, Content-Range header or None, error
        code, message); error code ``ok`` for 206/201."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None or not hmac.compare_digest(upload.upload_token, upload_token):
                return 404, None, "invalid_upload_url", "No such upload task."
            pub = self._publishes[upload.publish_id]
            now = self._now()
            if now >= upload.expires_at:
                return 403, None, "upload_url_expired", "The upload URL has expired."
            if pub.phase == "failed":
                return 403, None, "publish_failed", f"The publish is {pub.fail_reason}."
            parsed = parse_content_range(content_range)
            index = None
            if parsed is not None and upload.chunk_size > 0:
                index = min(parsed[0] // upload.chunk_size, upload.total_chunk_count - 1)
            rule = self._take_rule("http_error", "upload_chunk", pub.open_id, chunk_index=index)
            if rule is not None:
                return (
                    rule.http_status,
                    upload.progress_header(),
                    rule.default_error_code(),
                    rule.message or "Injected by the sandbox.",
                )
            try:
                media_type = _checked_chunk(upload, parsed, content_type, content_length, len(body))
            except ChunkRefused as refused:
                progress = upload.progress_header() if refused.with_progress else None
                return refused.status, progress, "invalid_params", refused.message
            upload.hasher.update(body)
            if upload.body is None and upload.received_bytes == 0 and self._keeps(upload):
                upload.body = bytearray()
            if upload.body is not None:
                upload.body.extend(body)
            if len(upload.head) < 64:
                upload.head = (upload.head + body)[:64]
            upload.received_bytes += len(body)
            upload.chunks_received += 1
            upload.content_type = media_type
            pub.uploaded_bytes = upload.received_bytes
            if upload.received_bytes < upload.video_size:
                return 206, upload.progress_header(), "ok", ""
            upload.sha256 = upload.hasher.hexdigest()
            pub.phase = "processing"
            pub.media_ready_at = now
            if self._options.check_video_container and media.sniff_video(upload.head) is None:
                pub.media_fail_reason = "file_format_check_failed"
            elif upload.body is not None:
                user = self._users.get(pub.open_id)
                pub.media_fail_reason = media.check_video_body(
                    media.MediaItem(url=""),
                    bytes(upload.body),
                    self._options.video_stream_checks,
                    user.max_video_post_duration_sec if user is not None else 600,
                )
            upload.body = None
            return 201, upload.progress_header(), "ok", ""

    def _keeps(self, upload: Upload) -> bool:
        """Whether an upload's bytes are kept for the stream checks."""
        opts = self._options
        return opts.video_stream_checks != "off" and upload.video_size <= opts.video_probe_max_bytes

    def upload_owner(self, upload_id: str) -> tuple[str | None, str | None]:
        """(open_id, publish_id) of an upload task, for the request log."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                return None, None
            return self._publishes[upload.publish_id].open_id, upload.publish_id


def _checked_chunk(
    upload: Upload,
    parsed: tuple[int, int, int] | None,
    content_type: str | None,
    content_length: str | None,
    size: int,
) -> str:
    """The media type of a chunk of ``size`` bytes that continues ``upload``; ChunkRefused
    when its headers do not fit."""
    if parsed is None:
        raise ChunkRefused(400, "Content-Range must be bytes FIRST-LAST/TOTAL.")
    first, last, total = parsed
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in VIDEO_CONTENT_TYPES:
        raise ChunkRefused(400, "Content-Type must be video/mp4, video/quicktime or video/webm.")
    if total != upload.video_size:
        raise ChunkRefused(400, "Content-Range total differs from video_size.")
    if content_length is None or not content_length.isdigit():
        raise ChunkRefused(400, "Content-Length is required.")
    if int(content_length) != size or size != last - first + 1:
        raise ChunkRefused(400, "Content-Length does not match the body or Content-Range.")
    if upload.received_bytes >= upload.video_size or first != upload.received_bytes:
        raise ChunkRefused(
            416, "The Content-Range does not continue the upload.", with_progress=True
        )
    index = min(first // upload.chunk_size, upload.total_chunk_count - 1)
    expected_first, expected_last = upload.chunk_bounds(index)
    if first != expected_first or last != expected_last:
        raise ChunkRefused(
            400,
            f"Chunk {index} must cover bytes {expected_first}-{expected_last}.",
            with_progress=True,
        )
    return media_type


def parse_content_range(value: str | None) -> tuple[int, int, int] | None:
    """``bytes FIRST-LAST/TOTAL`` → (first, last, total); None when it is not that."""
    if not value:
        return None
    text = value.strip()
    if not text.lower().startswith("bytes "):
        return None
    spec = text[6:].strip()
    try:
        span, total_text = spec.split("/", 1)
        first_text, last_text = span.split("-", 1)
        first, last, total = int(first_text), int(last_text), int(total_text)
    except ValueError:
        return None
    if first < 0 or last < first or total <= last:
        return None
    return first, last, total
