"""Rules of the upload flow and of stored media.

``POST /files`` issues a signed, expiring upload URL; one successful ``PUT`` consumes it
(a failed PUT leaves it usable until it expires, so a client can fix and retry)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.files import derivatives
from slideforge.files.schemas import (
    IMAGE_CONTENT_TYPES,
    FileCreate,
    FileItem,
    FileList,
    FileUpload,
)
from slideforge.kit.audio import probe_audio, sniff_audio
from slideforge.kit.clock import isoformat
from slideforge.kit.crypto import random_token, sha256_hex
from slideforge.kit.db import on_commit
from slideforge.kit.errors import ApiError
from slideforge.kit.ids import split_list
from slideforge.kit.images import EXTENSIONS, ImageError, probe_image, sniff_image
from slideforge.kit.pagination import fetch_page, newest_first
from slideforge.kit.safehttp import FetchError
from slideforge.kit.storage import StorageError, check_key
from slideforge.kit.video import probe_video, sniff_video
from slideforge.models import File
from slideforge.runtime import Runtime

PARTNER_CONTEXT = "partner-upload"
VIDEO_EXTENSIONS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
    "video/webm": "webm",
    "video/x-m4v": "m4v",
}
# Containers each declared video type may really be.
VIDEO_CONTAINERS = {
    "video/mp4": {"mp4", "mov"},
    "video/x-m4v": {"mp4", "mov"},
    "video/quicktime": {"mov", "mp4"},
    "video/x-msvideo": {"avi"},
    "video/webm": {"webm"},
}


AUDIO_EXTENSIONS = {
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "audio/wav": "wav",
}
# Containers each declared audio type may really be.
AUDIO_CONTAINERS = {
    "audio/mpeg": {"mp3"},
    "audio/mp4": {"mp4"},
    "audio/x-m4a": {"mp4"},
    "audio/aac": {"adts", "mp4"},
    "audio/wav": {"wav"},
}


def extension_for(content_type: str) -> str:
    if content_type in VIDEO_EXTENSIONS:
        return VIDEO_EXTENSIONS[content_type]
    if content_type in AUDIO_EXTENSIONS:
        return AUDIO_EXTENSIONS[content_type]
    return EXTENSIONS.get(content_type.removeprefix("image/"), "bin")


def safe_filename(name: str | None, content_type: str) -> str:
    """A storage-safe name that keeps the user's stem and gets the right extension."""
    stem = (name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:80] or "file"
    return f"{stem}.{extension_for(content_type)}"


def file_item(runtime: Runtime, row: File) -> FileItem:
    return FileItem(
        id=row.id,
        url=runtime.storage.url(row.storage_key),
        contentType=row.content_type,
        filename=row.filename,
        size=row.size,
        width=row.width,
        height=row.height,
        durationSeconds=row.duration_seconds,
        context=row.context,
        createdAt=isoformat(row.created_at),
    )


def create_upload(
    session: Session, runtime: Runtime, caller: Caller, body: FileCreate
) -> FileUpload:
    settings = runtime.settings
    limit = (
        settings.max_image_upload_bytes
        if body.contentType in IMAGE_CONTENT_TYPES
        else settings.max_video_upload_bytes
    )
    if body.size is not None and body.size > limit:
        raise ApiError(
            "file_too_large",
            f"size: {body.size} bytes is over the {limit}-byte limit for {body.contentType}",
            413,
        )
    file_id = uuid.uuid4()
    filename = (body.filename or "").strip() or safe_filename(None, body.contentType)
    key = f"files/{file_id}/{safe_filename(filename, body.contentType)}"
    token = f"{file_id.hex}{random_token(24)}"
    now = runtime.clock.now()
    row = File(
        id=file_id,
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        filename=filename,
        content_type=body.contentType,
        context=PARTNER_CONTEXT,
        status="pending",
        storage_key=key,
        declared_size=body.size,
        declared_duration_seconds=body.duration_sec,
        upload_token_hash=sha256_hex(token),
        upload_expires_at=now + timedelta(seconds=settings.upload_url_ttl_seconds),
    )
    session.add(row)
    session.flush()
    expires = int(row.upload_expires_at.timestamp()) if row.upload_expires_at else 0
    signature = runtime.secrets.sign(f"upload:{token}:{expires}")
    return FileUpload(
        id=row.id,
        uploadUrl=f"{settings.public_base_url}/uploads/{token}.{expires}.{signature}",
        url=runtime.storage.url(key),
        contentType=row.content_type,
        filename=row.filename,
        expiresIn=settings.upload_url_ttl_seconds,
    )


def _invalid_token() -> ApiError:
    return ApiError(
        "invalid_upload_token",
        "This upload URL is not valid: request a new one with POST /files.",
        403,
    )


@dataclass
class Claim:
    file_id: uuid.UUID
    token_hash: str
    content_type: str

    def byte_limit(self, runtime: Runtime) -> int:
        if self.content_type.startswith("image/"):
            return runtime.settings.max_image_upload_bytes
        return runtime.settings.max_video_upload_bytes


def claim_upload(session: Session, runtime: Runtime, raw: str, now: datetime) -> Claim:
    """Check the signed token and take the file for this PUT (so two PUTs cannot race)."""
    token, _, rest = raw.partition(".")
    expires_text, _, signature = rest.partition(".")
    if not token or not expires_text.isdigit() or not signature or len(token) < 33:
        raise _invalid_token()
    if not runtime.secrets.verify(f"upload:{token}:{expires_text}", signature):
        raise _invalid_token()
    if int(expires_text) < now.timestamp():
        raise ApiError(
            "upload_url_expired",
            "This upload URL has expired: request a new one with POST /files.",
            410,
        )
    try:
        file_id = uuid.UUID(hex=token[:32])
    except ValueError as exc:
        raise _invalid_token() from exc
    token_hash = sha256_hex(token)
    row = session.get(File, file_id)
    if row is None:
        raise _invalid_token()
    if row.status == "ready" and row.upload_token_hash is None:
        raise ApiError(
            "upload_already_completed",
            "This upload URL was already used: request a new one with POST /files.",
            409,
        )
    result = session.execute(
        sa.update(File)
        .where(File.id == file_id, File.upload_token_hash == token_hash, File.status == "pending")
        .values(status="receiving")
    )
    claimed = cast(CursorResult[Any], result).rowcount
    session.commit()
    if claimed != 1:
        raise ApiError(
            "upload_in_progress",
            "Another upload to this URL is in progress or finished; retry in a moment.",
            409,
        )
    return Claim(file_id=file_id, token_hash=token_hash, content_type=row.content_type)


def release_upload(session: Session, claim: Claim) -> None:
    """A failed PUT gives the URL back so the client can retry until it expires."""
    session.rollback()
    session.execute(
        sa.update(File)
        .where(File.id == claim.file_id, File.status == "receiving")
        .values(status="pending")
    )
    session.commit()


def _declared_matches(content_type: str | None, declared: str) -> bool:
    if not content_type:
        return True
    sent = content_type.split(";", 1)[0].strip().lower()
    if sent == declared:
        return True
    return {sent, declared} <= {"image/heic", "image/heif"}


def complete_upload(
    session: Session,
    runtime: Runtime,
    claim: Claim,
    header_content_type: str | None,
    spool: IO[bytes],
    size: int,
) -> FileItem:
    """Check type and size of the received bytes, probe them, store them, mark ready."""
    row = session.get(File, claim.file_id)
    assert row is not None
    settings = runtime.settings
    declared = row.content_type
    if not _declared_matches(header_content_type, declared):
        raise ApiError(
            "content_type_mismatch",
            f"Content-Type {header_content_type!r} does not match the declared {declared}: "
            "send the same type as in POST /files.",
            415,
        )
    is_image = declared.startswith("image/")
    limit = settings.max_image_upload_bytes if is_image else settings.max_video_upload_bytes
    if size > limit:
        raise ApiError(
            "file_too_large", f"The file is {size} bytes, over the {limit}-byte limit.", 413
        )
    if size == 0:
        raise ApiError("empty_upload", "The upload body is empty: PUT the file's bytes.", 400)
    spool.seek(0)
    if is_image:
        data = spool.read()
        fmt = sniff_image(data)
        expected = declared.removeprefix("image/")
        if fmt is None or not (fmt == expected or {fmt, expected} <= {"heic", "heif"}):
            raise ApiError(
                "content_mismatch",
                f"The bytes are {'a ' + fmt.upper() + ' image' if fmt else 'not an image'}"
                f" but the upload was declared {declared}.",
                415,
            )
        try:
            info = probe_image(
                data,
                settings.max_image_pixels,
                max_side=settings.max_image_side,
                max_aspect=settings.max_image_aspect,
            )
        except ImageError as exc:
            too_large = exc.reason in ("too_many_pixels", "side_too_long")
            raise ApiError(
                "image_too_large" if too_large else "invalid_image",
                f"The image {row.filename!r} cannot be used: {exc}.",
                422,
                data={"file_id": str(row.id), "filename": row.filename},
            ) from exc
        row.width, row.height = info.width, info.height
        row.sha256 = sha256_hex(data)
    elif declared.startswith("audio/"):
        container = sniff_audio(spool.read(64))
        if container is None or container not in AUDIO_CONTAINERS[declared]:
            raise ApiError(
                "content_mismatch",
                f"The bytes are not {declared} audio "
                f"({'found ' + container if container else 'unknown format'}).",
                415,
            )
        spool.seek(0)
        audio = probe_audio(spool)
        if not audio.has_audio:
            raise ApiError(
                "invalid_audio_file",
                f"The file {row.filename!r} starts like {container.upper()} audio but no audio "
                "stream can be read from it: it is truncated or not audio. Upload the "
                "complete file.",
                422,
                data={"file_id": str(row.id), "filename": row.filename},
            )
        row.duration_seconds = audio.duration_seconds or row.declared_duration_seconds
    else:
        head = spool.read(64)
        container = sniff_video(head)
        if container is None or container not in VIDEO_CONTAINERS[declared]:
            raise ApiError(
                "content_mismatch",
                f"The bytes are not a {declared} video "
                f"({'found ' + container if container else 'unknown format'}).",
                415,
            )
        video = probe_video(spool)
        if not video.has_movie:
            raise ApiError(
                "invalid_video",
                f"The file {row.filename!r} starts like a {container.upper()} video but holds "
                "no video after its header: it is truncated or not a video. Upload the "
                "complete file.",
                422,
                data={"file_id": str(row.id), "filename": row.filename},
            )
        row.width, row.height = video.width, video.height
        row.duration_seconds = video.duration_seconds or row.declared_duration_seconds
    spool.seek(0)
    runtime.storage.put_file(row.storage_key, spool, declared)
    row.size = size
    row.status = "ready"
    row.upload_token_hash = None
    row.uploaded_at = runtime.clock.now()
    if is_image and declared not in ("image/heic", "image/heif"):
        # render-ready derivatives, made after the commit and off the request
        file_id, key = row.id, row.storage_key
        on_commit(
            session,
            lambda: derivatives.later(lambda: derivatives.for_file(runtime, file_id, key, data)),
        )
    session.commit()
    return file_item(runtime, row)


def list_files(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    *,
    limit: int,
    offset: int,
    media_type: str | None,
    context: str | None,
) -> FileList:
    query = sa.select(File).where(File.workspace_id == caller.workspace_id, File.status == "ready")
    context_text = (context or "").strip()
    contexts = split_list(context_text)
    if not contexts:
        query = query.where(File.context == PARTNER_CONTEXT)
        context_text = PARTNER_CONTEXT
    elif "all" not in contexts:
        aliases = {"media-upload": PARTNER_CONTEXT, "partner": PARTNER_CONTEXT}
        query = query.where(File.context.in_([aliases.get(c, c) for c in contexts]))
    if media_type in ("image", "video", "audio"):
        query = query.where(File.content_type.like(f"{media_type}/%"))
    total, rows = fetch_page(session, query, *newest_first(File), limit=limit, offset=offset)
    return FileList(
        files=[file_item(runtime, row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        context=context_text,
    )


def stored_file(
    runtime: Runtime,
    *,
    workspace_id: uuid.UUID,
    data: bytes,
    content_type: str,
    filename: str,
    context: str,
    key: str | None = None,
    width: int | None = None,
    height: int | None = None,
) -> File:
    """Put bytes the server produced or ingested into storage and return their (unsaved)
    ready File row: the caller adds it in its own, short, transaction."""
    file_id = uuid.uuid4()
    key = key or f"{context}/{file_id}/{safe_filename(filename, content_type)}"
    runtime.storage.put(key, data, content_type)
    return File(
        id=file_id,
        workspace_id=workspace_id,
        filename=filename,
        content_type=content_type,
        context=context,
        status="ready",
        storage_key=key,
        size=len(data),
        width=width,
        height=height,
        sha256=sha256_hex(data),
        uploaded_at=runtime.clock.now(),
    )


def media_key_for_url(runtime: Runtime, url: str) -> str | None:
    """The storage key when ``url`` is one of our own media URLs, else None."""
    base = runtime.storage.base_url + "/"
    if not url.startswith(base):
        return None
    key = url[len(base) :].split("?", 1)[0].split("#", 1)[0]
    try:
        return check_key(key)
    except StorageError:
        return None


def read_media(runtime: Runtime, url: str, *, max_bytes: int) -> bytes:
    """Bytes behind a media URL: our own media straight from storage, anything else through
    SafeHttp (scheme, address, redirect, size and time checks). Raises StorageError,
    UnsafeUrlError or FetchError."""
    key = media_key_for_url(runtime, url)
    if key is not None:
        size = runtime.storage.size(key)
        if size is None:
            raise StorageError(f"no media at {url}")
        if size > max_bytes:
            raise FetchError("too_large", f"{url} is {size} bytes, over {max_bytes}")
        return runtime.storage.read(key)
    return runtime.http.get(url, max_bytes=max_bytes, accept_status=(200,)).content
