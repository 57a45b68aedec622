"""The process-wide parts every request, workflow and command uses: settings, database,
media storage, the SafeHttp client factory, secrets and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from slideforge.config import Settings
from slideforge.kit import pixels
from slideforge.kit.clock import Clock, SystemClock
from slideforge.kit.crypto import Secrets
from slideforge.kit.db import Database
from slideforge.kit.safehttp import SafeHttp
from slideforge.kit.storage import LocalStorage, S3Storage, Storage


@dataclass
class Runtime:
    settings: Settings
    db: Database
    storage: Storage
    http: SafeHttp
    secrets: Secrets
    clock: Clock = field(default_factory=SystemClock)


def build_storage(settings: Settings) -> Storage:
    if settings.media_backend == "s3":
        if not settings.s3_bucket:
            raise ValueError("SLIDEFORGE_S3_BUCKET is required when SLIDEFORGE_MEDIA_BACKEND=s3")
        return S3Storage(
            settings.s3_bucket,
            settings.resolved_media_base_url,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
        )
    return LocalStorage(settings.resolved_media_dir, settings.resolved_media_base_url)


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    pixels.configure(settings.image_decode_budget_megapixels)  # this process's decode budget
    return Runtime(
        settings=settings,
        db=Database(settings.resolved_database_url),
        storage=build_storage(settings),
        http=SafeHttp(
            settings.ssrf_allow,
            timeout=settings.http_timeout_seconds,
            max_redirects=settings.http_max_redirects,
        ),
        secrets=Secrets(settings.resolved_encryption_key),
        clock=clock or SystemClock(),
    )


_current: Runtime | None = None


def set_current(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    """The runtime of this process (workflows use it; they cannot receive it as an argument)."""
    if _current is None:
        raise RuntimeError("slideforge runtime is not initialised in this process")
    return _current
