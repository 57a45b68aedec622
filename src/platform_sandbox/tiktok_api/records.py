"""In-memory records of the TikTok sandbox (tokens, codes, publishes, posts, failure rules)
and the errors its endpoints raise."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platform_sandbox.common import iso
from platform_sandbox.tiktok_api.config import ENDPOINTS, FAIL_REASONS, INIT_ENDPOINTS
from platform_sandbox.tiktok_api.media import PullOutcome


class ApiFailure(Exception):
    """An error answer of a data endpoint: ``{data:{}, error:{code, message, log_id}}``."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message


class OAuthFailure(Exception):
    """An OAuth error answer: flat ``{error, error_description, log_id}``."""

    def __init__(self, error: str, description: str, http_status: int | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.http_status = http_status


class FailureRule(BaseModel):
    """An injected failure. ``fail_publish`` ends matching publishes FAILED with
    ``fail_reason`` when their processing ends; ``http_error`` answers matching requests with
    ``http_status`` and ``error_code`` (HTTP 200 gives an HTTP-200-with-error body)."""

    model_config = ConfigDict(extra="forbid")

    id: int = 0
    kind: Literal["fail_publish", "http_error"]
    fail_reason: str | None = None
    endpoint: str | None = None
    """One of the endpoint names, ``init`` (any of the three inits) or ``*`` (any data
    endpoint); required for http_error, optional filter for fail_publish (an init name)."""
    http_status: int = Field(default=500, ge=200, le=599)
    error_code: str | None = None
    message: str | None = None
    after_commit: bool = False
    """Init endpoints only: the publish is created and counted, then the error is returned."""
    chunk_index: int | None = Field(default=None, ge=0)
    open_id: str | None = None
    count: int | None = Field(default=1, ge=1)
    """How many times the rule fires; None: until cleared."""
    fired: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> FailureRule:
        allowed_endpoints = (*ENDPOINTS, "init", "*")
        if self.endpoint is not None and self.endpoint not in allowed_endpoints:
            raise ValueError(f"endpoint must be one of {', '.join(allowed_endpoints)}")
        if self.kind == "fail_publish":
            if self.fail_reason not in FAIL_REASONS:
                raise ValueError(f"fail_reason must be one of {', '.join(FAIL_REASONS)}")
            if self.endpoint not in (None, "init", *INIT_ENDPOINTS):
                raise ValueError("fail_publish filters on an init endpoint (or none)")
        elif self.endpoint is None:
            raise ValueError("http_error needs an endpoint")
        if self.after_commit and self.endpoint not in (*INIT_ENDPOINTS, "init"):
            raise ValueError("after_commit applies to init endpoints only")
        if self.chunk_index is not None and self.endpoint != "upload_chunk":
            raise ValueError("chunk_index applies to endpoint upload_chunk only")
        return self

    def matches_endpoint(self, endpoint: str) -> bool:
        if self.endpoint is None:
            return True
        if self.endpoint == "*":
            return endpoint not in ("authorize", "oauth_token", "oauth_revoke")
        if self.endpoint == "init":
            return endpoint in INIT_ENDPOINTS
        return self.endpoint == endpoint

    def default_error_code(self) -> str:
        if self.error_code:
            return self.error_code
        if self.http_status == 429:
            return "rate_limit_exceeded"
        return "internal_error"


@dataclass
class Grant:
    grant_id: int
    client_key: str
    open_id: str
    scopes: tuple[str, ...]
    created_at: float
    revoked: bool = False


@dataclass
class Token:
    value: str
    kind: Literal["access", "refresh"]
    grant: Grant
    expires_at: float
    invalidated: bool = False

    def usable(self, now: float) -> bool:
        return not self.grant.revoked and not self.invalidated and now < self.expires_at


@dataclass
class AuthCode:
    code: str
    client_key: str
    open_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    code_challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class Upload:
    upload_id: str
    upload_token: str
    publish_id: str
    video_size: int
    chunk_size: int
    total_chunk_count: int
    expires_at: float
    received_bytes: int = 0
    chunks_received: int = 0
    content_type: str | None = None
    head: bytes = b""
    hasher: Any = field(default_factory=hashlib.sha256)
    sha256: str | None = None
    body: bytearray | None = None
    """The bytes received, kept for the stream checks (None: not kept)."""

    def chunk_bounds(self, index: int) -> tuple[int, int]:
        first = index * self.chunk_size
        if index >= self.total_chunk_count - 1:
            return first, self.video_size - 1
        return first, first + self.chunk_size - 1

    def progress_header(self) -> str:
        if self.received_bytes == 0:
            return f"bytes */{self.video_size}"
        return f"bytes 0-{self.received_bytes - 1}/{self.video_size}"


@dataclass
class Publish:
    publish_id: str
    seq: int
    open_id: str
    client_key: str
    endpoint: str
    post_mode: str
    media_type: str
    source: str
    request_body: dict[str, Any]
    post_info: dict[str, Any]
    source_info: dict[str, Any]
    photo_urls: list[str]
    photo_cover_index: int | None
    video_url: str | None
    privacy_level: str | None
    created_at: float
    status: str
    phase: str  # "download" | "upload" | "processing" | "done" | "failed"
    init_http_status: int = 200
    init_error_code: str = "ok"
    injected_fail_reason: str | None = None
    media_fail_reason: str | None = None
    fail_reason: str | None = None
    uploaded_bytes: int = 0
    downloaded_bytes: int = 0
    media_ready_at: float | None = None
    completed_at: float | None = None
    moderation_due_at: float | None = None
    post_id: int | None = None
    public_post_ids: list[int] = field(default_factory=list)
    draft_state: str | None = None  # None | "in_inbox" | "published" | "discarded"
    pull: PullOutcome | None = None
    pull_finished_at: float | None = None
    pull_future: Future[None] | None = None
    upload: Upload | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def inbox_flow(self) -> bool:
        return self.post_mode == "MEDIA_UPLOAD"

    @property
    def publish_type(self) -> str:
        """How webhooks name the flow."""
        return "INBOX_SHARE" if self.inbox_flow else "DIRECT_PUBLISH"

    @property
    def terminal(self) -> bool:
        if self.phase == "failed":
            return True
        if self.phase != "done":
            return False
        if self.inbox_flow and self.draft_state != "published":
            return self.draft_state == "discarded"
        return self.moderation_due_at is None or bool(self.public_post_ids)

    def set_status(self, status: str, at: float, fail_reason: str | None = None) -> None:
        if status == self.status and fail_reason == self.fail_reason:
            return
        self.status = status
        self.fail_reason = fail_reason
        entry: dict[str, Any] = {"status": status, "at": iso(at)}
        if fail_reason:
            entry["fail_reason"] = fail_reason
        self.history.append(entry)

    def media_items(self) -> list[dict[str, Any]]:
        return [item.as_dict() for item in self.pull.items] if self.pull else []

    def as_dict(self) -> dict[str, Any]:
        upload = self.upload
        return {
            "publish_id": self.publish_id,
            "open_id": self.open_id,
            "client_key": self.client_key,
            "endpoint": self.endpoint,
            "post_mode": self.post_mode,
            "media_type": self.media_type,
            "source": self.source,
            "post_info": self.post_info,
            "source_info": self.source_info,
            "request_body": self.request_body,
            "photo_urls": list(self.photo_urls),
            "photo_cover_index": self.photo_cover_index,
            "video_url": self.video_url,
            "privacy_level": self.privacy_level,
            "status": self.status,
            "fail_reason": self.fail_reason,
            "uploaded_bytes": self.uploaded_bytes,
            "downloaded_bytes": self.downloaded_bytes,
            "publicaly_available_post_id": list(self.public_post_ids),
            "post_id": self.post_id,
            "draft_state": self.draft_state,
            "init_http_status": self.init_http_status,
            "init_error_code": self.init_error_code,
            "injected_fail_reason": self.injected_fail_reason,
            "created_at": iso(self.created_at),
            "media_ready_at": iso(self.media_ready_at),
            "completed_at": iso(self.completed_at),
            "terminal": self.terminal,
            "media": self.media_items(),
            "upload": None
            if upload is None
            else {
                "upload_id": upload.upload_id,
                "video_size": upload.video_size,
                "chunk_size": upload.chunk_size,
                "total_chunk_count": upload.total_chunk_count,
                "received_bytes": upload.received_bytes,
                "chunks_received": upload.chunks_received,
                "content_type": upload.content_type,
                "sha256": upload.sha256,
                "expires_at": iso(upload.expires_at),
            },
            "history": list(self.history),
        }


@dataclass
class PublishedPost:
    """A post that exists on the sandbox user's profile."""

    post_id: int
    publish_id: str
    open_id: str
    client_key: str
    media_type: str
    post_mode: str
    title: str
    description: str
    privacy_level: str
    media_urls: list[str]
    media_sha256: list[str | None]
    published_at: float
    publicly_available_at: float | None = None

    def duplicate_key(self) -> tuple[Any, ...]:
        return (
            self.open_id,
            self.media_type,
            self.title,
            self.description,
            tuple(self.media_sha256),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "publish_id": self.publish_id,
            "open_id": self.open_id,
            "client_key": self.client_key,
            "media_type": self.media_type,
            "post_mode": self.post_mode,
            "title": self.title,
            "description": self.description,
            "privacy_level": self.privacy_level,
            "media_urls": list(self.media_urls),
            "media_sha256": list(self.media_sha256),
            "published_at": iso(self.published_at),
            "publicly_available": self.publicly_available_at is not None,
            "publicly_available_at": iso(self.publicly_available_at),
        }
