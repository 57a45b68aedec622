"""``BodyReader``: how the data endpoints read a JSON body the way TikTok checks it (types,
unknown keys, privacy levels, URLs, the FILE_UPLOAD chunk rules). Every misfit is a 400
with the configured invalid-param code (``invalid_param`` or ``invalid_params``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from platform_sandbox.tiktok_api.config import PRIVACY_LEVELS, SandboxOptions
from platform_sandbox.tiktok_api.records import ApiFailure

Chunks = tuple[int, int, int]
"""video_size, chunk_size, total_chunk_count of a FILE_UPLOAD."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class VideoSource:
    """The ``source_info`` of a video init."""

    source: str
    info: dict[str, Any]
    video_url: str | None
    chunks: Chunks | None

    @property
    def urls(self) -> list[str]:
        return [self.video_url] if self.video_url else []


@dataclass(frozen=True)
class BodyReader:
    options: SandboxOptions

    def invalid(self, message: str) -> ApiFailure:
        return ApiFailure(400, self.options.invalid_param_code, message)

    def json_object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.invalid(f"The request {where} is empty or incorrect.")
        return value

    def only_keys(self, obj: dict[str, Any], allowed: Iterable[str], where: str) -> None:
        unknown = sorted(set(obj) - set(allowed))
        if unknown:
            raise self.invalid(f"Unknown field(s) in {where}: {', '.join(unknown)}.")

    def opt_str(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise self.invalid(f"{where}.{key} must be a string.")
        return value

    def opt_bools(self, obj: dict[str, Any], keys: Iterable[str], where: str) -> None:
        for key in keys:
            value = obj.get(key)
            if value is not None and not isinstance(value, bool):
                raise self.invalid(f"{where}.{key} must be a boolean.")

    def post_info(
        self,
        body: dict[str, Any],
        allowed: Iterable[str],
        text_limits: Mapping[str, int],
        flags: Iterable[str],
    ) -> dict[str, Any]:
        """``body.post_info``: only ``allowed`` keys, texts within their UTF-16 limits,
        ``flags`` booleans."""
        post_info = self.json_object(body.get("post_info"), "post info")
        self.only_keys(post_info, allowed, "post_info")
        for key, limit in text_limits.items():
            if utf16_len(self.opt_str(post_info, key, "post_info") or "") > limit:
                raise self.invalid(f"post_info.{key} is longer than {limit} UTF-16 code units.")
        self.opt_bools(post_info, flags, "post_info")
        return post_info

    def integer(self, obj: dict[str, Any], key: str, where: str, *, required: bool) -> int | None:
        value = obj.get(key)
        if value is None:
            if required:
                raise self.invalid(f"{where}.{key} is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.invalid(f"{where}.{key} must be an integer.")
        return value

    def fields(self, raw: str | None, known: Iterable[str]) -> list[str]:
        """The ``fields`` query parameter: a comma-separated list of known names."""
        requested = [f.strip() for f in (raw or "").split(",") if f.strip()]
        if not requested:
            raise self.invalid("fields is required.")
        unknown = [f for f in requested if f not in known]
        if unknown:
            raise self.invalid(f"Unknown fields: {','.join(unknown)}.")
        return requested

    def privacy(self, post_info: dict[str, Any], *, required: bool) -> str | None:
        privacy = self.opt_str(post_info, "privacy_level", "post_info")
        if privacy is None:
            if required:
                raise self.invalid("post_info.privacy_level is required.")
            return None
        if privacy not in PRIVACY_LEVELS:
            raise self.invalid(f"post_info.privacy_level {privacy!r} is not a privacy level.")
        return privacy

    def branded(self, post_info: dict[str, Any], privacy: str | None) -> None:
        if (
            self.options.reject_branded_self_only
            and post_info.get("brand_content_toggle") is True
            and privacy == "SELF_ONLY"
        ):
            raise self.invalid("Branded content cannot be posted with privacy SELF_ONLY.")

    def url(self, url: Any, where: str) -> str:
        if not isinstance(url, str) or not url:
            raise self.invalid(f"{where} must be a URL string.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.invalid(f"{where} {url!r} is not an http(s) URL.")
        return url

    def chunks(self, info: dict[str, Any]) -> Chunks:
        opts = self.options
        size = self.integer(info, "video_size", "source_info", required=True) or 0
        chunk = self.integer(info, "chunk_size", "source_info", required=True) or 0
        count = self.integer(info, "total_chunk_count", "source_info", required=True) or 0
        if size <= 0 or size > opts.max_video_bytes:
            raise self.invalid("The video size is invalid.")
        if chunk <= 0 or chunk > size:
            raise self.invalid("The chunk size is invalid.")
        if size < opts.chunk_min_bytes:
            if chunk != size or count != 1:
                raise self.invalid(
                    "The chunk size is invalid: a video under the minimum chunk size must be "
                    "sent whole (chunk_size = video_size, total_chunk_count = 1)."
                )
            return size, chunk, count
        if not opts.chunk_min_bytes <= chunk <= opts.chunk_max_bytes:
            raise self.invalid("The chunk size is invalid.")
        if count != size // chunk:
            raise self.invalid("The total chunk count is invalid.")
        if not 1 <= count <= opts.max_chunks:
            raise self.invalid("The total chunk count is invalid.")
        if size - chunk * (count - 1) > opts.last_chunk_max_bytes:
            raise self.invalid("The chunk size is invalid: the last chunk is too large.")
        if opts.reject_multi_chunk and count > 1:
            raise self.invalid("The chunk size is invalid.")
        return size, chunk, count

    def video_source(self, body: dict[str, Any]) -> VideoSource:
        info = self.json_object(body.get("source_info"), "source info")
        source = info.get("source")
        if source == "FILE_UPLOAD":
            self.only_keys(
                info, ("source", "video_size", "chunk_size", "total_chunk_count"), "source_info"
            )
            return VideoSource(source, info, None, self.chunks(info))
        if source == "PULL_FROM_URL":
            self.only_keys(info, ("source", "video_url"), "source_info")
            if info.get("video_url") is None:
                raise self.invalid("source_info.video_url is required for PULL_FROM_URL.")
            url = self.url(info["video_url"], "source_info.video_url")
            return VideoSource(source, info, url, None)
        raise self.invalid("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")
