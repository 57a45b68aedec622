"""What every platform adapter offers, and the shapes it answers with.

The publish path calls, in order:

- ``stage`` until it answers ``ready``: checks against the live account and any platform-side
  preparation that publishes nothing visible (Instagram containers, Pinterest video uploads).
  It gets back the ``progress`` it returned last time (persisted between calls and across
  restarts), so it never redoes finished work; retried freely;
- ``send``: the one irreversible call (TikTok init, Instagram media_publish, Pinterest pin
  create), made once behind a witness and never retried automatically;
- ``continue_upload``: idempotent follow-up such as video chunks;
- ``status``: read-only, polled until the post is live, delivered or failed;
- ``reconcile``: read-only, for a send whose outcome is unknown (``publishing/reconcile.py``):
  a direct answer where the platform has one (TikTok's publish status, Instagram's
  container), else what the account's list shows since the send began.

``refresh`` may raise a ``wait`` failure when the platform will not refresh yet although the
current token is still valid (Instagram refreshes only tokens at least 24 h old): keep using
the current token then."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import httpx

from slideforge.config import Settings
from slideforge.kit.safehttp import shared_ssl_context
from slideforge.publishing.platforms.metrics import PostMetrics, ProfileMetrics
from slideforge.publishing.platforms.variants import MediaItem, invalid, stored_urls

if TYPE_CHECKING:
    from slideforge.models import Account
    from slideforge.runtime import Runtime

# How a failure should be handled.
#  user:      the user must change something (media, settings, verified domain): fail now
#  retryable: nothing was published; a new attempt later is safe (429, known refusals)
#  auth:      the token is not accepted: refresh once, else the account needs reconnecting
#  unknown:   the platform may have acted (5xx or lost connection during the send)
#  wait:      the account hit a platform cap; retrying soon would fail the same way
FailureKind = Literal["user", "retryable", "auth", "unknown", "wait"]


class PlatformConfigError(Exception):
    """The server is not configured to talk to this platform (missing app credentials)."""


class PlatformError(Exception):
    def __init__(
        self,
        kind: FailureKind,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        http_status: int | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.http_status = http_status
        # A staging round that failed after creating something on the platform (a container,
        # a media upload): the progress to save, so the next round or attempt resumes it.
        self.progress = progress


def platform_client(timeout: float) -> httpx.Client:
    """An adapter's HTTP client: no proxy settings from the environment, no redirects, and
    the process's one TLS context (building one per client cost ~90 ms of CPU per post)."""
    return httpx.Client(
        timeout=timeout, trust_env=False, follow_redirects=False, verify=shared_ssl_context()
    )


def platform_request(
    platform: str, timeout: float, method: str, url: str, *, read_only: bool, **kwargs: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    """One call to ``platform`` and its JSON object body (``{}`` when it answered none).

    A connection that never opened published nothing (``retryable``); one lost after the
    request went out may have acted, so a write is ``unknown`` and a read ``retryable``."""
    try:
        with platform_client(timeout) as client:
            response = client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise PlatformError("retryable", "network", f"could not reach {platform}: {exc}") from exc
    except httpx.HTTPError as exc:
        kind: FailureKind = "retryable" if read_only else "unknown"
        raise PlatformError(kind, "network", f"lost the connection to {platform}: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    return response, body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    access_expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None
    scopes: str = ""


@dataclass(frozen=True)
class Identity:
    platform_user_id: str
    username: str
    display_name: str
    settings: dict[str, Any] = field(default_factory=dict)
    # Settings set only where the account has none yet (a reconnect keeps the user's choice),
    # e.g. the Pinterest default board picked at the first connect.
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishRequest:
    """Everything a platform needs to publish one target."""

    kind: Literal["slideshow", "video"]
    caption: str
    image_urls: tuple[str, ...] = ()
    video_url: str | None = None
    video_key: str | None = None  # storage key, for chunked uploads
    video_size: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    username: str = ""
    # The account's platform settings (login model, ids, default board …) and its
    # ``platform_user_id``.
    account: dict[str, Any] = field(default_factory=dict)
    # Reads the stored video (platforms that take an upload while staging: Pinterest).
    read_video: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Staged:
    """Where staging stands. ``ready``: send now with ``settings`` and ``progress``; else call
    ``stage`` again after ``wait`` seconds with this ``progress``."""

    ready: bool
    settings: dict[str, Any] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)
    wait: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sent:
    """What the irreversible call returned: enough to follow the post afterwards."""

    ref: dict[str, Any]


@dataclass(frozen=True)
class Status:
    """A status reading. ``state``: processing | posted | delivered (to the user's drafts
    inbox) | failed."""

    state: Literal["processing", "posted", "delivered", "failed"]
    platform_status: str
    post_id: str | None = None
    url: str | None = None
    failure: PlatformError | None = None
    # Processing that cannot finish without a human (e.g. a private post's public id).
    final: bool = False


@dataclass(frozen=True)
class Seen:
    """One post a platform lists: its id, URL, creation time, whether its texts are exactly
    those this send used (``matches``), and a short description for the evidence."""

    post_id: str
    url: str | None
    created_at: datetime
    matches: bool
    summary: str = ""


@dataclass(frozen=True)
class Reading:
    """What the platform says about a send whose outcome is unknown.

    ``state``:
    - ``posted``: it is live (``post_id``/``url`` when known; delivered drafts too);
    - ``absent``: the platform answers directly that nothing was published (a TikTok publish
      that FAILED for a retryable reason, an Instagram container never published);
    - ``failed``: the publish failed for a reason a new attempt would not fix (``failure``);
    - ``processing``: the platform is still working on it;
    - ``listed``: no direct answer; ``listed`` holds the account's posts created since the
      given time (newest first), ``complete`` when the read reached back that far, and
      ``authoritative`` when a post like this one would be in that list at all (public
      TikTok posts only; not drafts);
    - ``unknown``: the read failed or cannot tell; ``final`` when reading again will not help
      (a permission the account did not grant).
    ``evidence`` says in words what was read and what it showed."""

    state: Literal["posted", "absent", "failed", "processing", "listed", "unknown"]
    evidence: str
    post_id: str | None = None
    url: str | None = None
    platform_status: str = ""
    failure: PlatformError | None = None
    listed: tuple[Seen, ...] = ()
    complete: bool = True
    authoritative: bool = True
    final: bool = False


def require_scopes(granted: Sequence[str], needed: Sequence[str]) -> None:
    """A connect whose authorisation lacks a scope publishing needs is refused
    (``scope_not_authorized``), naming the missing scopes."""
    missing = [scope for scope in needed if scope not in granted]
    if missing:
        raise PlatformError(
            "user",
            "scope_not_authorized",
            f"the account did not grant {', '.join(missing)}: connect again and approve every "
            "permission",
        )


@dataclass(frozen=True)
class Page:
    """One page of a platform's list of an account's posts, newest first: its items, whether
    the platform says more follow, and the cursor that reads them."""

    items: list[Any]
    more: bool
    cursor: Any = None


def posts_since(
    read_page: Callable[[Any], Page],
    seen: Callable[[dict[str, Any]], Seen | None],
    since: datetime,
    pages: int,
) -> tuple[tuple[Seen, ...], bool]:
    """The posts a list shows created since ``since`` (``read_page(cursor)`` from cursor
    None; ``seen`` reads one item, None to pass over it), reading at most ``pages`` pages;
    and whether the read reached back that far (``complete``: an older post, or the end of
    the list, was seen). A ``PlatformError`` of ``read_page`` is the caller's."""
    found: list[Seen] = []
    cursor: Any = None
    for _ in range(pages):
        page = read_page(cursor)
        reached = False
        for item in page.items:
            one = seen(item) if isinstance(item, dict) else None
            if one is None:
                continue
            if one.created_at < since:
                reached = True
            else:
                found.append(one)
        if reached or not page.more:
            return tuple(found), True
        if page.cursor is None or page.cursor == cursor:
            break
        cursor = page.cursor
    return tuple(found), False


def same_text(a: str | None, b: str | None) -> bool:
    """Texts equal once surrounding and repeated whitespace are ignored."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


class Platform(Protocol):
    name: str

    def authorize_url(
        self, *, state: str, redirect_uri: str, code_challenge: str | None
    ) -> str: ...

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, now: datetime
    ) -> tuple[TokenSet, Identity]: ...

    def refresh(self, refresh_token: str, *, now: datetime) -> TokenSet: ...

    def stage(self, token: str, request: PublishRequest, progress: dict[str, Any]) -> Staged: ...

    def send(self, token: str, request: PublishRequest, staged: Staged) -> Sent: ...

    def continue_upload(
        self, token: str, request: PublishRequest, ref: dict[str, Any], read_chunk: Any
    ) -> None: ...

    def status(self, token: str, request: PublishRequest, ref: dict[str, Any]) -> Status: ...

    def reconcile(
        self, token: str, request: PublishRequest, ref: dict[str, Any], since: datetime
    ) -> Reading: ...

    # -- reading (analytics; the shapes are in ``metrics.py``) -------------------------------

    def read_profile(self, token: str) -> ProfileMetrics: ...

    def read_posts(self, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]: ...

    def recent_posts(self, token: str, limit: int) -> list[PostMetrics]: ...


# -- a platform's rules ---------------------------------------------------------------------
#
# Everything slideforge knows of a platform apart from its API calls: what it accepts
# (``capabilities``, shown by ``GET /accounts``), how it counts a caption, the checks a post
# must pass before it is created (errors raise ``ApiError``, warnings go on the post), what it
# refuses in the ingested media, its media variants, its pacing defaults and queue limit, the
# names of its settings, and how its adapter is built. Each platform's ``rules.py`` subclasses
# ``PlatformRules``; ``registry.py`` is the one place that lists them.


@dataclass
class PostCheck:
    """A post as the platform checks see it, at create and PATCH.

    ``platforms``: every platform the post targets (empty while an automatic account choice
    has not picked one); ``options``: the per-platform option objects the body sent, by field
    (``{"tiktok": {...}}``); ``music_url``/``music_post_id``: as sent, replaced by what the
    checks read from them."""

    caption: str
    media: Mapping[str, Any]
    platforms: frozenset[str]
    options: Mapping[str, Mapping[str, Any]]
    accounts: Sequence[Account] = ()
    music_url: str | None = None
    music_post_id: str | None = None
    warnings: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.media["type"])

    def warn(self, field: str, message: str, code: str) -> None:
        self.warnings.append((field, message, code))


@dataclass(frozen=True)
class PlatformSpec:
    """A platform as the registry lists it: its rules, and its adapter's class (built from
    the settings; ``PlatformConfigError`` when they lack the app's credentials)."""

    rules: PlatformRules
    adapter: Callable[[Settings], Platform]


@dataclass(frozen=True)
class QueueLimit:
    """Starts of ``publish_target`` allowed per account on the platform's queue."""

    limit: int
    period_seconds: float


@dataclass(frozen=True)
class Setup:
    """What ``slideforge doctor`` checks of a platform's configuration: the area's name,
    where the redirect URI is registered, the scopes to request, and the API base URL setting
    with its real host."""

    area: str
    where: str
    scopes: str
    api_setting: str
    api_host: str


class PlatformRules(ABC):
    """One platform's rules. A platform subclasses this in its ``rules.py``, sets the class
    attributes and says what ``slideforge doctor`` checks (``setup``); the other methods have
    the behaviour of a platform with no rule of that kind."""

    name: ClassVar[str]
    title: ClassVar[str]  # as written in messages: "TikTok"
    capabilities: ClassVar[dict[str, Any]]
    # Pacing: the defaults of an account's posting policy, the ceiling of its daily posts,
    # and the starts per account the platform's publish queue allows.
    default_policy: ClassVar[dict[str, Any]]
    policy_ceiling: ClassVar[int]
    queue_limit: ClassVar[QueueLimit]
    # The body field of its own options (``tiktok``, ``pinterest``), if it has one, and
    # whether those options need every target on this platform ("every") or one ("any").
    option_field: ClassVar[str | None] = None
    options_need: ClassVar[str] = "any"
    # Whether it takes posts delivered to the creator's inbox as drafts.
    takes_drafts: ClassVar[bool] = False
    # Whether its image variants are re-encoded copies (decoded at about 1080 px).
    reencodes_images: ClassVar[bool] = True
    # The settings of its app's client id and secret, and where a user gets them.
    credential_settings: ClassVar[tuple[str, str]]
    credentials_hint: ClassVar[str]
    # Whether the web app's authorize step sends a PKCE challenge (none does: a web app
    # authenticates with its client secret instead).
    uses_pkce: ClassVar[bool] = False
    # The fields of ``PATCH /accounts/{id}`` ``settings`` that only its accounts have.
    account_settings: ClassVar[tuple[str, ...]] = ()

    # -- the adapter and its settings ------------------------------------------------------

    def client(self, settings: Settings) -> tuple[str, str]:
        """The app's client id and secret, or a ``PlatformConfigError`` naming the two
        environment variables to set."""
        first, second = (getattr(settings, name) for name in self.credential_settings)
        if not first or not second:
            env = " and ".join(f"SLIDEFORGE_{name.upper()}" for name in self.credential_settings)
            raise PlatformConfigError(
                f"{self.title} is not configured: set {env} ({self.credentials_hint})"
            )
        return str(first), str(second)

    @abstractmethod
    def setup(self, settings: Settings) -> Setup:
        """What ``slideforge doctor`` checks of this platform's configuration."""

    def apply_account_settings(self, settings: dict[str, Any], changes: Mapping[str, Any]) -> None:
        """Writes a PATCH's ``changes`` (of :attr:`account_settings`; ``None`` resets one to
        its default) into an account's stored ``settings``."""
        return None  # no rule of this kind

    # -- captions and post checks ----------------------------------------------------------

    @property
    def caption_limit(self) -> int:
        return int(self.capabilities["caption_limit"])

    def caption_length(self, caption: str) -> int:
        """How the platform counts a caption (characters unless it says otherwise)."""
        return len(caption)

    def accepts(self, kind: str) -> bool:
        return kind in self.capabilities["supported_content_kinds"]

    def check_carousel(self, request: PublishRequest) -> None:
        """A publish of more images than the platform's carousels take is refused
        (``carousel_size``): the adapters check it again before staging."""
        most = int(self.capabilities["media"]["slideshow"]["max_items"])
        if request.kind == "slideshow" and not 1 <= len(request.image_urls) <= most:
            raise PlatformError(
                "user",
                "carousel_size",
                f"{self.title} carousels take 2–{most} images; this post has "
                f"{len(request.image_urls)}",
            )

    def check_caption(self, post: PostCheck) -> None:
        """The caption and text rules of a post that targets this platform."""
        return None  # no rule of this kind

    def check_options(self, post: PostCheck, options: Mapping[str, Any]) -> None:
        """This platform's option object, sent with the post (whatever the targets)."""
        return None  # no rule of this kind

    def check_media_request(self, post: PostCheck) -> None:
        """The media as requested (before it is fetched), for a post targeting it."""
        return None  # no rule of this kind

    def check_target(self, post: PostCheck) -> None:
        """Anything else about a post that targets this platform (warnings, mostly)."""
        return None  # no rule of this kind

    def check_shared_fields(self, post: PostCheck) -> None:
        """Body fields every post carries but this platform owns (TikTok: the music), for
        every post whatever its targets."""
        return None  # no rule of this kind

    def is_draft(self, options: Mapping[str, Any] | None) -> bool:
        """Whether a post with these options of the platform goes to the inbox as a draft."""
        return False

    def publish_settings(self, options: Mapping[str, Mapping[str, Any] | None]) -> dict[str, Any]:
        """The settings a publish request carries, from the post's option objects."""
        own = options.get(self.option_field) if self.option_field else None
        return dict(own or {})

    # -- media -----------------------------------------------------------------------------

    def check_ingested(
        self, items: list[MediaItem], kind: str, options: Mapping[str, Any] | None
    ) -> None:
        """What the platform refuses in the ingested media, given its option object if the
        post has one (400 validation_failed)."""
        return None  # no rule of this kind

    def image_variants(
        self, runtime: Runtime, post_id: uuid.UUID, items: list[MediaItem]
    ) -> list[str]:
        """The URLs of the slides as the platform takes them (default: as stored)."""
        return stored_urls(runtime, items)

    def variant_shape(self, items: list[MediaItem]) -> tuple[tuple[int, int], str] | None:
        """The one size every variant of these slides has, and why, when the variants may
        reshape a slide (padded or cropped); None when they keep each slide's shape."""
        return None


def refuse_avi(title: str, video: MediaItem) -> None:
    if video.content_type == "video/x-msvideo":
        raise invalid("media.url", f"{title} does not accept AVI videos; send MP4 or MOV")
