"""Settings: the only place that reads the environment (prefix ``SLIDEFORGE_``)."""

from __future__ import annotations

import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


_SIZE = r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$"


class StudioModel(BaseModel):
    """One model of a studio provider, as the operator configures it. The API shows it as
    ``<provider>/<id>`` (e.g. ``openai/gpt-image-1``); ``id`` is what the provider calls it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
    name: str | None = None
    description: str = ""
    # Credits one generation costs; a video adds cost_per_second for each second asked for.
    cost: int = Field(default=1, ge=0)
    cost_per_second: int = Field(default=0, ge=0)
    notes: str | None = None
    # Input images: none, optional (images: /images/edits when given; videos:
    # input_reference) or required; at most max_images of them (videos: 1).
    image_input: Literal["none", "optional", "required"] = "none"
    max_images: int = Field(default=1, ge=1, le=16)
    # Output sizes the model makes ("WIDTHxHEIGHT"), the first the default; videos: the
    # lengths in seconds it makes, the first the default; images: output formats it writes.
    sizes: list[str] = Field(default_factory=list)
    durations: list[int] = Field(default_factory=list)
    output_formats: list[str] = Field(default_factory=list)
    # Images: the response_format to send. None (default): none is sent, as OpenAI's
    # gpt-image models want (they refuse the parameter and answer b64_json); "b64_json" for
    # dall-e-2/3 and APIs that answer URLs otherwise. Answers with a url are fetched too.
    response_format: Literal["b64_json", "url"] | None = None
    # Names of raw_params passed through to the provider as they are (e.g. quality).
    raw_params: list[str] = Field(default_factory=list)

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, value: list[str]) -> list[str]:
        for size in value:
            if not re.fullmatch(_SIZE, size):
                raise ValueError(f"{size!r} is not a size like 1024x1536")
        return value


class StudioProvider(BaseModel):
    """An OpenAI-compatible images API (``POST {base_url}/images/generations`` and
    ``/images/edits``) or videos API (``POST {base_url}/videos``, ``GET /videos/{id}``,
    ``GET /videos/{id}/content``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    kind: Literal["images", "videos"]
    base_url: str = Field(pattern=r"^https?://")  # e.g. https://api.openai.com/v1
    api_key: SecretStr | None = None  # a secret: never logged nor shown
    timeout_seconds: float = Field(default=180.0, gt=0, le=600)
    models: list[StudioModel] = Field(min_length=1)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _unique(self) -> StudioProvider:
        ids = [m.id for m in self.models]
        if len(ids) != len(set(ids)):
            raise ValueError(f"provider {self.name}: model ids repeat")
        return self


class Settings(BaseSettings):
    """Every knob of a slideforge process. Defaults give the embedded mode under ``./data``."""

    model_config = SettingsConfigDict(env_prefix="SLIDEFORGE_", extra="ignore")

    # Where the embedded mode keeps its SQLite files, media folder and generated secrets.
    data_dir: Path = Path("data")
    # Application database. Default: SQLite file in data_dir. Scaled mode: postgresql+psycopg://…
    database_url: str | None = None
    # DBOS system database (durable workflows and queues). Default: beside the app database.
    dbos_database_url: str | None = None
    # Run the DBOS queue workers inside the API process (embedded mode).
    in_process_workers: bool = True
    # How often a queue (webhooks, tracking, pack metadata …) looks for work it was not woken
    # for: work enqueued by another process (scaled mode), or a delayed workflow whose time
    # came. Work enqueued in this process wakes its queue at once. Each poll costs a few
    # queries, so shorter means more idle CPU. The publish queues poll every 2 s whatever
    # this says (a scheduled post's workflow starts 4.5 s before its due time).
    queue_poll_seconds: float = Field(default=5.0, gt=0, le=60)

    # Public base URL of this server; media links and upload URLs are built from it.
    public_base_url: str = "http://127.0.0.1:8000"
    # Base URL media is served from. Default: {public_base_url}/media (served by this server,
    # from local files or S3). Set it to a CDN / verified domain that fronts the bucket.
    media_base_url: str | None = None

    media_backend: Literal["local", "s3"] = "local"
    media_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = ""

    # Fernet key for platform tokens at rest (and the key from which upload-token signing
    # keys are derived). Default: generated once into data_dir/secret.key.
    encryption_key: str | None = None

    # Hosts or CIDR ranges SafeHttp may reach even though they are private / loopback.
    # For tests and the sandbox only.
    ssrf_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    http_timeout_seconds: float = 20.0
    http_max_redirects: int = 5

    # Per-key API rate limit (token bucket): sustained requests per minute and burst size.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 120

    # Dashboard sign-ins (an API key exchanged for a cookie): a session ends after this many
    # idle minutes, and at the latest this many hours after signing in.
    dashboard_idle_minutes: int = Field(default=720, ge=5, le=60 * 24 * 30)
    dashboard_session_hours: int = Field(default=168, ge=1, le=24 * 90)

    # Credits granted to each workspace every calendar month.
    credit_allowance: int = 1000

    # Analytics: what a refresh of a tracked account costs once its free refresh of the day
    # (UTC) is used, how soon after the last one a manual refresh is accepted, and how many
    # posts a refresh reads unless the target's refreshPolicy says otherwise.
    analytics_refresh_credits: int = Field(default=1, ge=0)
    analytics_refresh_cooldown_seconds: int = Field(default=60, ge=0)
    analytics_refresh_posts: int = Field(default=30, ge=1, le=100)

    # The furthest ahead a post may be scheduled (platforms take posts months ahead at most);
    # a later scheduled_at / postTime / scheduleDate answers 400 validation_failed.
    schedule_horizon_days: int = Field(default=365, ge=1, le=3650)

    max_json_body_bytes: int = 1_048_576
    max_json_depth: int = 64
    max_image_upload_bytes: int = 20 * 1024 * 1024
    max_video_upload_bytes: int = 100 * 1024 * 1024
    upload_url_ttl_seconds: int = 600
    # Decompression-bomb guard for every image we decode.
    max_image_pixels: int = 64_000_000
    # Image shapes no platform takes, refused wherever an image comes in (upload, post media,
    # render inputs, pack images) with a message naming the file: a side over max_image_side
    # pixels, or an aspect ratio beyond max_image_aspect:1 either way. JPEG cannot hold a side
    # over 65,500 px; TikTok's variant keeps the short side ≤ 1080 px, so 20:1 keeps its long
    # side ≤ 21,600 px. Platforms show 9:16…1.91:1; 16,384 px is about WebP's own limit
    # (16,383) and wider than any camera sensor (panoramas beyond it: scale them down).
    max_image_side: int = Field(default=16_384, ge=1_080, le=65_500)
    max_image_aspect: float = Field(default=20.0, ge=2.0, le=60.0)
    # Image work budget (kit/pixels.py). A process holds at most this many full-size decoded
    # pixels at once (Pillow keeps 4 bytes a pixel for colour images, so 96 MP ≈ 384 MB);
    # other decodes wait their turn. One image over the budget still runs, alone.
    image_decode_budget_megapixels: float = Field(default=96.0, ge=1.0)
    # A render (POST /slideshows/{id}/render) may decode at most this many pixels across its
    # distinct input images (JPEGs count at the DCT scale they are decoded at); over it: 422
    # images_too_large naming the images. About 2 s of decoding on one core.
    image_request_budget_megapixels: float = Field(default=160.0, ge=1.0)
    # A post whose per-platform variants would decode more pixels than this (summed over
    # its slides and platforms) answers 201 at once and has its variants made by the publish
    # workflow, before the send; lighter posts are prepared inside the request.
    post_media_inline_megapixels: float = Field(default=48.0, ge=0.0)
    # Render-ready derivatives (files/derivatives.py): an uploaded or pack image is also
    # stored as the renderer's own cover result for these canvases (raw PPM, exactly the
    # slide's pixels), so a render reads them instead of decoding the original. Other
    # canvases get theirs after their first render. Empty: only after renders; off: never.
    render_derivatives: bool = True
    render_derivative_aspects: str = "9:16,4:5"
    # Processes rendering a slideshow's slides (a pool kept between requests; fonts loaded
    # once per process). None: min(2, CPU count); 0: threads inside this process.
    render_processes: int | None = Field(default=None, ge=0, le=16)
    # Processes reading copy-a-TikTok slides (OCR; copy_tiktok/pool.py): a pool kept between
    # requests, the models loaded once per process (~320 MB each), each process niced so the
    # API process wins the CPU. 0: OCR in this process on one thread (the API process then
    # loads the models). ocr_threads: onnxruntime threads per process; None: the cores
    # divided by ocr_processes (one preview uses both cores of an otherwise idle server).
    ocr_processes: int = Field(default=1, ge=0, le=8)
    ocr_threads: int | None = Field(default=None, ge=1, le=64)

    # OpenAI-compatible endpoint for AI text and image keywords (absent by default).
    ai_base_url: str | None = None
    ai_api_key: str | None = None
    ai_model: str = "gpt-4o-mini"
    ai_vision_model: str | None = None

    # The AI studio (contract §10): OpenAI-compatible images and videos APIs, a JSON list of
    # StudioProvider (SLIDEFORGE_STUDIO_PROVIDERS='[{"name": "openai", "kind": "images",
    # "base_url": "https://api.openai.com/v1", "api_key": "sk-…", "models": [{"id":
    # "gpt-image-1", "cost": 4, …}]}, …]'). Empty: no studio models, generate answers 422
    # studio_not_configured. A video is given up (and refunded) after
    # studio_video_timeout_seconds; after its first half minute it is polled every
    # studio_video_poll_seconds.
    studio_providers: list[StudioProvider] = Field(default_factory=list)
    studio_video_timeout_seconds: int = Field(default=1800, ge=10)
    studio_video_poll_seconds: float = Field(default=10.0, gt=0, le=300)

    # Copy-a-TikTok fetching. The base URLs point the fetcher at the TikTok web sandbox in
    # tests and dry runs; a proxy, a Netscape cookies file and browser TLS impersonation
    # (curl-cffi, if installed) help where TikTok refuses a server.
    tiktok_web_base_url: str = "https://www.tiktok.com"
    tiktok_short_link_base_url: str | None = None
    tiktok_proxy: str | None = None
    tiktok_cookies_file: Path | None = None
    tiktok_impersonate: str | None = None

    # Posts: a create without external_id is deduplicated on its body's SHA-256 this long.
    post_dedupe_window_seconds: int = 600
    # How long a publish is followed after the send before it is reported unconfirmed.
    publish_confirm_timeout_seconds: int = 7200
    # Attempts of a target when the platform answers with a retryable error, and the waits
    # before attempts 2, 3, … (a platform's Retry-After is honoured when longer).
    publish_max_attempts: int = 3
    publish_retry_delays: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [60.0, 300.0, 900.0]
    )
    # Reconciliation of outcome_unknown targets (publishing/reconcile.py): how long after a
    # send began the platform may still create the post (its processing), how long a new post
    # may take to show in the platform's lists, and the wait between two reads. A list is
    # trusted to say "not posted" only once both have passed.
    reconcile_send_window_seconds: float = Field(default=900.0, ge=0)
    reconcile_list_delay_seconds: float = Field(default=600.0, ge=0)
    reconcile_read_interval_seconds: float = Field(default=120.0, gt=0)

    # Outbound webhooks: the waits before attempts 2, 3, … of a delivery (8 attempts over
    # about 24 h by default), and the time one attempt may take.
    webhook_retry_delays: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 28800.0, 28800.0]
    )
    webhook_timeout_seconds: float = 10.0

    # Where platforms send users back after authorising (default: public_base_url).
    oauth_redirect_base_url: str | None = None

    # TikTok Content Posting API (an app registered in TikTok's developer portal).
    tiktok_client_key: str | None = None
    tiktok_client_secret: str | None = None
    tiktok_api_base_url: str = "https://open.tiktokapis.com"
    tiktok_authorize_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    # video.list lets reconciliation read an account's posts after a lost answer (without it,
    # such a send stays outcome_unknown and says why).
    tiktok_scopes: str = (
        "user.info.basic,user.info.profile,user.info.stats,video.publish,video.upload,video.list"
    )
    # How videos reach TikTok: FILE_UPLOAD (chunks; no domain verification) or PULL_FROM_URL.
    tiktok_video_source: Literal["FILE_UPLOAD", "PULL_FROM_URL"] = "FILE_UPLOAD"

    # Instagram (a Meta app). The login model of new connections: "instagram" (Instagram
    # Login, graph.instagram.com, no Facebook Page needed; client id/secret = the Instagram
    # app id/secret) or "facebook" (Facebook Login, graph.facebook.com, the IG professional
    # account linked to a Page; client id/secret = the Meta app id/secret). Connected
    # accounts keep the model they were connected with.
    instagram_login: Literal["instagram", "facebook"] = "instagram"
    instagram_client_id: str | None = None
    instagram_client_secret: str | None = None
    instagram_graph_version: str = "v23.0"
    instagram_authorize_url: str = "https://www.instagram.com/oauth/authorize"
    instagram_token_url: str = "https://api.instagram.com/oauth/access_token"
    instagram_graph_url: str = "https://graph.instagram.com"
    instagram_scopes: str = (
        "instagram_business_basic,instagram_business_content_publish,"
        "instagram_business_manage_insights"
    )
    facebook_authorize_url: str = "https://www.facebook.com/v23.0/dialog/oauth"
    facebook_graph_url: str = "https://graph.facebook.com"
    facebook_scopes: str = (
        "instagram_basic,instagram_content_publish,instagram_manage_insights,pages_show_list,"
        "pages_read_engagement,business_management"
    )

    # Pinterest API v5 (an app from developers.pinterest.com).
    pinterest_client_id: str | None = None
    pinterest_client_secret: str | None = None
    pinterest_authorize_url: str = "https://www.pinterest.com/oauth/"
    pinterest_api_base_url: str = "https://api.pinterest.com"
    pinterest_scopes: str = "boards:read,boards:write,pins:read,pins:write,user_accounts:read"

    # Images outside what a platform shows (Instagram 4:5…1.91:1, a carousel's items the
    # first item's shape, Pinterest carousels one size): "pad" (nothing cut off: bars in the
    # image's edge colour) or "crop" (centred). Each post says which in a warning.
    image_fit: Literal["pad", "crop"] = "pad"

    log_level: str = "INFO"

    @field_validator("ssrf_allow", "publish_retry_delays", "webhook_retry_delays", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("studio_providers")
    @classmethod
    def _unique_providers(cls, value: list[StudioProvider]) -> list[StudioProvider]:
        # One images and one videos provider may share a name (openai/gpt-image-1 and
        # openai/sora-2); the ids the API shows, <provider>/<model>, are unique.
        kinds = [(p.name, p.kind) for p in value]
        if len(kinds) != len(set(kinds)):
            raise ValueError("two studio providers of one kind have the same name")
        ids = [f"{p.name}/{m.id}" for p in value for m in p.models]
        if len(ids) != len(set(ids)):
            raise ValueError("a studio model id (<provider>/<model>) repeats")
        return value

    @field_validator("public_base_url", "media_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'slideforge.sqlite').resolve()}"

    @cached_property
    def resolved_dbos_database_url(self) -> str:
        if self.dbos_database_url:
            return self.dbos_database_url
        if self.resolved_database_url.startswith("sqlite"):
            return f"sqlite:///{(self.data_dir / 'dbos.sqlite').resolve()}"
        # PostgreSQL: DBOS keeps its tables in its own schema of the same database.
        return self.resolved_database_url

    @cached_property
    def resolved_media_dir(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

    @cached_property
    def resolved_media_base_url(self) -> str:
        return self.media_base_url or f"{self.public_base_url}/media"

    @cached_property
    def resolved_encryption_key(self) -> str:
        if self.encryption_key:
            return self.encryption_key
        from cryptography.fernet import Fernet

        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key().decode()
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(key)
        tmp.chmod(0o600)
        try:
            # Another process may have raced us: keep whichever file landed first.
            path.hardlink_to(tmp)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()

    @property
    def resolved_oauth_redirect_base_url(self) -> str:
        return (self.oauth_redirect_base_url or self.public_base_url).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
