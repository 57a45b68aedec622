"""Request and response models of /files (camelCase, as the contract lists them)."""

from __future__ import annotations

import uuid
from typing import Literal, get_args

from pydantic import AliasChoices, BaseModel, Field

from slideforge.kit.validation import RequestBody

ContentType = Literal[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/x-msvideo",
    "video/webm",
    "video/x-m4v",
    "audio/mpeg",
    "audio/mp4",
    "audio/x-m4a",
    "audio/aac",
    "audio/wav",
]
IMAGE_CONTENT_TYPES = tuple(t for t in get_args(ContentType) if t.startswith("image/"))
VIDEO_CONTENT_TYPES = tuple(t for t in get_args(ContentType) if t.startswith("video/"))
AUDIO_CONTENT_TYPES = tuple(t for t in get_args(ContentType) if t.startswith("audio/"))


class FileCreate(RequestBody):
    contentType: ContentType = Field(description="MIME type of the file that will be PUT.")
    filename: str | None = Field(default=None, min_length=1, max_length=255)
    size: int | None = Field(default=None, ge=0, description="Expected size in bytes.")
    duration_sec: float | None = Field(
        default=None,
        ge=0,
        le=86_400,
        validation_alias=AliasChoices(
            "duration_sec", "duration_seconds", "duration", "durationSec", "video_duration_sec"
        ),
        description="Video duration in seconds, if known (any of the documented aliases).",
    )


class FileUpload(BaseModel):
    id: uuid.UUID
    uploadUrl: str
    url: str
    contentType: str
    filename: str
    expiresIn: int


class FileItem(BaseModel):
    id: uuid.UUID
    url: str
    contentType: str
    filename: str
    size: int | None
    width: int | None
    height: int | None
    durationSeconds: float | None
    context: str
    createdAt: str | None


class FileList(BaseModel):
    files: list[FileItem]
    total: int
    limit: int
    offset: int
    context: str
