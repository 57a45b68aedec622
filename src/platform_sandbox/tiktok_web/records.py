"""The records of the TikTok web sandbox: posts and their slides, the site's options, logged
requests, one answer of the site, and the constants TikTok's pages and CDN are built from."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from platform_sandbox.common import SandboxError

PostStatus = Literal[
    "public", "private", "private_account", "deleted", "region_locked", "content_classified"
]
WebMode = Literal["normal", "forbidden", "empty", "captcha", "login_wall"]
PageFormat = Literal["universal", "sigi", "sigi_persisted"]
ChallengeMode = Literal["off", "once", "always"]
RequestKind = Literal[
    "page", "profile", "item_list", "short_link", "image", "home", "login", "other"
]
ProfileStatus = Literal["active", "banned"]
ItemListMode = Literal["normal", "empty", "repeat"]

POST_STATUSES: tuple[str, ...] = get_args(PostStatus)
WEB_MODES: tuple[str, ...] = get_args(WebMode)
PAGE_FORMATS: tuple[str, ...] = get_args(PageFormat)
CHALLENGE_MODES: tuple[str, ...] = get_args(ChallengeMode)
PROFILE_STATUSES: tuple[str, ...] = get_args(ProfileStatus)
ITEM_LIST_MODES: tuple[str, ...] = get_args(ItemListMode)
IMAGE_ENDINGS = {
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "image": "image/jpeg",
    "webp": "image/webp",
    "heic": "image/heic",
}
STATUS_CODES: dict[str, tuple[int, str]] = {
    "private": (10216, "author_secret"),
    "private_account": (10222, "author_secret"),
    "deleted": (10204, "item doesn't exist"),
    "region_locked": (10231, "item is not available in your region"),
}
# webapp.user-detail statusCode of a profile page: 10202 no such user (tiktok-scraper's
# "404" code), 10221 a banned account (also seen for missing ones), 10222 a private account
# (served WITH userInfo, privateAccount true and videoCount 0 for visitors; yt-dlp #14585).
USER_NOT_FOUND = (10202, "user not exist")
USER_BANNED = (10221, "user banned")
USER_PRIVATE = (10222, "author_secret")
ITEM_LIST_MAX_COUNT = 35  # the largest page of /api/post/item_list/ (the web app asks 35)
MIRRORS = ("p16-sign-va", "p19-sign")
BUCKET = "tos-maliva-i-photomode-us"
REAL_WEB = "https://www.tiktok.com"
HOME_REDIRECT = "https://www.tiktok.com/?_r=1"
HASHTAG = re.compile(r"#(\w+)")


@dataclass
class SandboxAuthor:
    unique_id: str
    nickname: str
    id: str
    sec_uid: str


@dataclass
class SandboxMusic:
    id: str
    title: str
    author: str
    original: bool = False
    duration: int = 60


@dataclass
class SandboxSlide:
    data: bytes
    ext: str
    width: int
    height: int
    key: str


@dataclass
class SandboxPost:
    id: str
    kind: Literal["photo", "video"]
    author: SandboxAuthor
    desc: str
    title: str
    music: SandboxMusic | None
    slides: list[SandboxSlide]
    status: str = "public"
    viewers: set[str] = field(default_factory=set)
    canonical_only: bool = False
    broken_mirror: bool = False
    create_time: int = 0
    video_duration: int = 0

    @property
    def url(self) -> str:
        """The post's URL on real TikTok (what users paste)."""
        return f"{REAL_WEB}/@{self.author.unique_id}/{self.kind}/{self.id}"

    @property
    def has_images(self) -> bool:
        """A photo post whose page shows its images (not private, deleted or locked)."""
        return self.kind == "photo" and self.status not in STATUS_CODES

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "url": self.url,
            "author": asdict(self.author),
            "desc": self.desc,
            "title": self.title,
            "music": asdict(self.music) if self.music else None,
            "slides": [
                {"ext": s.ext, "width": s.width, "height": s.height, "bytes": len(s.data)}
                for s in self.slides
            ],
            "status": self.status,
            "viewers": sorted(self.viewers),
            "canonical_only": self.canonical_only,
            "broken_mirror": self.broken_mirror,
        }


@dataclass
class SandboxProfile:
    """A registered account: its page ``/@{handle}`` and its items (the posts whose author is
    this user name). ``followers``/``hearts`` are what it had when registered; both grow
    with its items' counters (``engagement.py``)."""

    author: SandboxAuthor
    signature: str = ""
    verified: bool = False
    private: bool = False
    status: str = "active"
    followers: int = 0
    following: int = 0
    hearts: int = 0
    diggs: int = 0

    @property
    def handle(self) -> str:
        return self.author.unique_id

    def summary(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "author": asdict(self.author),
            "signature": self.signature,
            "verified": self.verified,
            "private": self.private,
            "status": self.status,
            "followers": self.followers,
            "following": self.following,
            "hearts": self.hearts,
            "diggs": self.diggs,
        }


@dataclass(frozen=True)
class ShortLink:
    """Where a short link goes: a registered post, or any URL."""

    post_id: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class LoggedRequest:
    at: datetime
    method: str
    path: str
    query: str
    kind: str
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    post_id: str | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


@dataclass
class WebConfig:
    """Switchable behaviour of the whole site (see ``TikTokWebSandbox.configure``)."""

    web_mode: str = "normal"
    page_format: str = "universal"
    challenge: str = "off"
    challenge_answer: int | None = None  # None: random in 0..challenge_max_answer
    challenge_max_answer: int = 5_000
    rate_limit_count: int = 0  # the next N page/short-link requests answer 429
    rate_limit_retry_after: int | str | None = 30  # seconds, an HTTP date string, or None
    stale_image_urls: int = 0  # the next N pages hand out already-expired image URLs
    images_require_session: bool = False
    image_url_ttl: int = 6 * 3600
    public_base_url: str | None = None
    # Resilience testing (not documented TikTok behaviour): pages requested without a user
    # name (``/@_/video/<id>``) answer 301, to ``/@<author>/video/<id>`` for "user_path", or
    # to the given absolute URL.
    page_redirect: str | None = None
    # The seed of the counters' growth (``engagement.py``).
    engagement_seed: int = 0
    # /api/post/item_list/: "normal"; "empty" answers 200 with an empty body (what TikTok
    # gives XHRs it refuses, e.g. unsigned ones); "repeat" ignores the cursor and sends the
    # first page again (yt-dlp #14031, "TikTok API keeps sending the same page").
    item_list_mode: str = "normal"


_CHOICES: dict[str, tuple[str, ...]] = {
    "web_mode": WEB_MODES,
    "page_format": PAGE_FORMATS,
    "challenge": CHALLENGE_MODES,
    "item_list_mode": ITEM_LIST_MODES,
}
_COUNTS = (
    "challenge_max_answer",
    "rate_limit_count",
    "stale_image_urls",
    "image_url_ttl",
    "engagement_seed",
)
_OPTIONAL_STRINGS = ("page_redirect", "public_base_url")


def check_option(name: str, value: Any) -> None:
    """SandboxError unless ``value`` fits the ``WebConfig`` field ``name``."""
    if name not in WebConfig.__dataclass_fields__:
        known = sorted(WebConfig.__dataclass_fields__)
        raise SandboxError(f"unknown option {name!r}; options: {known}")
    if name in _CHOICES and value not in _CHOICES[name]:
        raise SandboxError(f"{name} must be one of {list(_CHOICES[name])}")
    if name in _COUNTS and (not isinstance(value, int) or value < 0):
        raise SandboxError(f"{name} must be a non-negative integer")
    if name == "challenge_answer" and value is not None and not isinstance(value, int):
        raise SandboxError("challenge_answer must be an integer or null")
    if name in _OPTIONAL_STRINGS and value is not None and not isinstance(value, str):
        raise SandboxError(f"{name} must be a string or null")
    if name == "rate_limit_retry_after" and not isinstance(value, int | str | type(None)):
        raise SandboxError("rate_limit_retry_after must be seconds, an HTTP date or null")


@dataclass(frozen=True)
class Visit:
    """Who asks: the visitor's cookies, the base URL this server is reached at (where image
    URLs point), whether the request came over https, its user agent."""

    cookies: dict[str, str]
    base: str
    secure: bool
    user_agent: str


@dataclass
class WebReply:
    """One answer of the site before it becomes an HTTP response: what ``kind`` of request it
    answered, the post it was about and a ``note`` for the request log; ``gzip_ok`` when the
    body may be gzip encoded."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "page"
    post_id: str | None = None
    note: str = ""
    gzip_ok: bool = False


def not_found(kind: str, note: str = "") -> WebReply:
    return WebReply(404, b"Not Found", "text/plain", kind=kind, note=note)
