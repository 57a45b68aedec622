"""Fetch a public TikTok photo post (a slideshow): its slide images and its metadata.

The steps, as ``docs/copy-tiktok.md``, "TikTok web pages", describes TikTok's web pages:

1. ``parse_tiktok_url``: only ``(www.|m.)tiktok.com/@user/(photo|video)/<id>``,
   ``(www.)tiktokv.com/share/video/<id>`` and the short links ``vm.tiktok.com/<code>``,
   ``vt.tiktok.com/<code>``, ``(www.)tiktok.com/t/<code>`` are accepted (query and fragment
   dropped); anything else is ``invalid_tiktok_url``.
2. A short link is resolved with ONE request that does not follow redirects (``HEAD`` with
   ``User-Agent: facebookexternalhit/1.1``); the ``Location`` is stripped of its query and
   must itself be a post URL. The home page (a target of 28 characters or less) means a dead
   link. Nothing else is ever followed.
3. The post page is fetched as ``/@_/video/<id>`` (photo URLs are rewritten to ``/video/``) in
   one cookie-keeping session with desktop-browser headers. Its
   ``__UNIVERSAL_DATA_FOR_REHYDRATION__`` JSON (``__DEFAULT_SCOPE__`` → ``webapp.video-detail``)
   or the older ``SIGI_STATE`` / ``sigi-persisted-data`` JSON (``ItemModule``) carries the
   post; when the video-detail scope is missing, ``seo.abtest.canonical`` is followed once.
   A WAF "Please wait…" page (elements ``cs``/``wci``/``rci``/``rs``) is solved once.
4. The first ``max_slides`` images of ``imagePost.images`` are downloaded right away in the
   same session (their URLs are signed and expire), mirrors tried in order, bytes sniffed
   (never the extension), sizes capped. A 403/410 on an image (expired signature) re-fetches
   the page once for fresh URLs.

URL mapping for base-URL overrides (tests and dry runs point these at the TikTok web sandbox,
``platform_sandbox.tiktok_web``)::

    user URL                                    fetched from
    https://www.tiktok.com/@a/photo/1           {web_base}/@_/video/1
    https://www.tiktokv.com/share/video/1       {web_base}/@_/video/1
    https://www.tiktok.com/t/CODE/              {web_base}/t/CODE/
    https://vm.tiktok.com/CODE/                 {short_base}/vm/CODE/  (https://vm.tiktok.com/CODE/ when short_base is unset)
    https://vt.tiktok.com/CODE/                 {short_base}/vt/CODE/  (https://vt.tiktok.com/CODE/ when short_base is unset)
    canonical / same-post redirect /@u/video/1  {web_base}/@u/video/1  (only the path is kept)

Redirect targets and canonical URLs are validated as TikTok post URLs of the same post and only
their path is fetched, from the web base: the fetcher never goes to a host a response names,
except for the image URLs of the page itself (which every fetch checks through SafeHttp).
Cookies of the Netscape cookies file keep their ``tiktok.com`` domains when the web base is a
``tiktok.com`` host; for any other web base (the sandbox) they are scoped to its host.

Every failure is a ``TikTokFetchError`` (an ``ApiError``): ``invalid_tiktok_url`` (422),
``not_slideshow`` (422), ``tiktok_fetch_failed`` (502), ``rate_limited`` (429, with
``Retry-After`` when TikTok gave one) and ``upstream_config_error`` (500); ``reason`` says
which case it is (see ``REASONS``).

Browser TLS impersonation (curl-cffi) is not supported: curl-cffi cannot be routed through
SafeHttp's address checks, so ``impersonate`` gives ``upstream_config_error``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.util
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookiejar import Cookie
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from slideforge.kit.clock import Clock, SystemClock
from slideforge.kit.errors import ApiError
from slideforge.kit.images import ImageError, probe_image, sniff_image
from slideforge.kit.safehttp import (
    FetchError,
    FetchResult,
    SafeClient,
    SafeHttp,
    UnsafeUrlError,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from slideforge.config import Settings

TIKTOK_WEB_BASE = "https://www.tiktok.com"
DEFAULT_MAX_SLIDES = 8
DEFAULT_MAX_IMAGE_BYTES = 15 * 1024 * 1024
DEFAULT_MAX_PAGE_BYTES = 8 * 1024 * 1024
CHALLENGE_MAX_ANSWER = 1_000_000
DESKTOP_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
SHORT_LINK_USER_AGENT = "facebookexternalhit/1.1"
IMAGE_REFERER = "https://www.tiktok.com/"
# What the slide bytes may be (sniffed); the OCR step decides what it can decode.
ACCEPTED_IMAGE_FORMATS = frozenset({"jpeg", "png", "webp", "heic", "heif", "avif"})
# A short link whose target is this short or shorter went to the home page (gallery-dl's rule:
# "https://www.tiktok.com/?_r=1" is 28 characters).
DEAD_SHORT_LINK_MAX_CHARS = 28

_PAGE_HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "*/*;q=0.8",
    "sec-fetch-dest": "document",
    "sec-fetch-mode": "navigate",
    "sec-fetch-site": "none",
    "sec-fetch-user": "?1",
    "upgrade-insecure-requests": "1",
}
_IMAGE_HEADERS = {
    "accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
    "referer": IMAGE_REFERER,
    "sec-fetch-dest": "image",
    "sec-fetch-mode": "no-cors",
    "sec-fetch-site": "cross-site",
}
_REDIRECTS = (301, 302, 303, 307, 308)

SETTING_WEB_BASE = "SLIDEFORGE_TIKTOK_WEB_BASE_URL"
SETTING_SHORT_BASE = "SLIDEFORGE_TIKTOK_SHORT_LINK_BASE_URL"
SETTING_PROXY = "SLIDEFORGE_TIKTOK_PROXY"
SETTING_COOKIES = "SLIDEFORGE_TIKTOK_COOKIES_FILE"
SETTING_IMPERSONATE = "SLIDEFORGE_TIKTOK_IMPERSONATE"

# reason -> what it means; the reason travels in TikTokFetchError.reason and in .data.
REASONS: dict[str, str] = {
    "invalid_url": "the URL is not a TikTok post URL or short link",
    "short_link_not_found": "the short link leads to TikTok's home page (dead or mistyped)",
    "short_link_not_post": "the short link leads somewhere that is not a TikTok post",
    "video_post": "the post is a video, not a photo/slideshow post",
    "private": "TikTok status 10216/10222: private post or private account",
    "unavailable": "TikTok status 10204: deleted, or blocked from this server",
    "region_locked": "TikTok status 10231: not available in the server's region",
    "login_required": "login wall: redirect to /login, or a content-classified post",
    "challenge": "a WAF challenge that could not be solved or came back after solving",
    "blocked": "HTTP 403, or a page without post data and without a challenge",
    "empty_page": "TikTok answered with an empty page",
    "no_post_data": "the page has TikTok's JSON but not the post in it",
    "tiktok_status": "the page carries another non-zero TikTok statusCode",
    "http_error": "TikTok answered an unexpected HTTP status",
    "unexpected_redirect": "the post page redirected somewhere that is not the post",
    "network": "TikTok could not be reached (connect error, timeout, bad response)",
    "page_too_large": "the post page is larger than the page cap",
    "no_images": "the photo post lists no usable image URL",
    "image_failed": "a slide image could not be downloaded from any mirror",
    "image_expired": "a slide image URL stayed refused (403/410) after re-fetching the page",
    "image_too_large": "a slide image is larger than the size cap",
    "image_invalid": "a slide's bytes are not an accepted image, or are broken",
    "rate_limited": "TikTok answered HTTP 429",
    "web_base_url": "the web base URL setting is not a usable http(s) base URL",
    "short_link_base_url": "the short-link base URL setting is not a usable http(s) base URL",
    "address_not_allowed": "a base URL points at an address SafeHttp refuses",
    "proxy": "the proxy setting is not a usable proxy URL",
    "cookies_file": "the cookies file cannot be read, is malformed, or has no TikTok cookies",
    "impersonate": "browser TLS impersonation was asked for and is not supported",
}

VALID_URL_HINT = (
    "expected a TikTok post URL such as https://www.tiktok.com/@user/photo/<id> "
    "(or /video/<id>), https://www.tiktokv.com/share/video/<id>, or a short link such as "
    "https://vm.tiktok.com/<code>/ or https://www.tiktok.com/t/<code>/"
)


class TikTokFetchError(ApiError):
    """A fetch failure with an API error code, an HTTP status and a message for the user.

    ``reason`` names the case (a key of ``REASONS``); ``retry_after`` (seconds) is set on
    ``rate_limited`` when TikTok sent a Retry-After, and is also put in ``headers``."""

    def __init__(
        self,
        code: str,
        status: int,
        message: str,
        *,
        reason: str,
        retry_after: int | None = None,
    ) -> None:
        data: dict[str, Any] = {"reason": reason}
        headers: dict[str, str] | None = None
        if retry_after is not None:
            data["retry_after"] = retry_after
            headers = {"Retry-After": str(retry_after)}
        super().__init__(code, message, status, data=data, headers=headers)
        self.code = code
        self.reason = reason
        self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return self.status

    def __repr__(self) -> str:
        return f"TikTokFetchError({self.code!r}, {self.status}, {self.message!r}, reason={self.reason!r})"


def _invalid(message: str, reason: str = "invalid_url") -> TikTokFetchError:
    return TikTokFetchError("invalid_tiktok_url", 422, message, reason=reason)


def _failed(message: str, reason: str) -> TikTokFetchError:
    return TikTokFetchError("tiktok_fetch_failed", 502, message, reason=reason)


def _config_error(message: str, reason: str) -> TikTokFetchError:
    return TikTokFetchError("upstream_config_error", 500, message, reason=reason)


# ---------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class FetchConfig:
    """How to reach TikTok. Built by the caller (``from_settings``); the fetcher reads nothing
    else. ``short_link_base_url`` None means the real ``vm.``/``vt.tiktok.com`` hosts."""

    web_base_url: str = TIKTOK_WEB_BASE
    short_link_base_url: str | None = None
    proxy: str | None = None
    cookies_file: Path | None = None
    impersonate: str | None = None
    timeout: float = 20.0
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    max_image_pixels: int = 64_000_000
    user_agent: str = DESKTOP_USER_AGENT
    accept_language: str = "en-US,en;q=0.9"
    # Parallel image downloads (the slide URLs expire, so all are fetched at once).
    image_workers: int = 4
    # Largest proof-of-work answer tried for a WAF challenge (TikTok's go up to 10^6; about
    # a second of CPU here).
    challenge_max_answer: int = CHALLENGE_MAX_ANSWER

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchConfig:
        return cls(
            web_base_url=settings.tiktok_web_base_url,
            short_link_base_url=settings.tiktok_short_link_base_url,
            proxy=settings.tiktok_proxy,
            cookies_file=settings.tiktok_cookies_file,
            impersonate=settings.tiktok_impersonate,
            max_image_pixels=settings.max_image_pixels,
        )


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TikTokAuthor:
    unique_id: str
    nickname: str
    id: str | None = None
    sec_uid: str | None = None


@dataclass(frozen=True)
class TikTokMusic:
    id: str | None
    title: str | None
    author: str | None
    original: bool
    duration: int | None = None


@dataclass(frozen=True)
class TikTokImage:
    """One kept slide: ``index`` is its 0-based position in the post."""

    index: int
    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return f"image/{self.format}"

    def __repr__(self) -> str:
        return (
            f"TikTokImage(index={self.index}, format={self.format!r}, "
            f"size={self.width}x{self.height}, bytes={len(self.data)})"
        )


@dataclass(frozen=True)
class TikTokPost:
    post_id: str
    source_url: str  # https://www.tiktok.com/@<author>/photo/<id>
    author: TikTokAuthor
    caption: str  # the post's ``desc``
    hashtags: tuple[str, ...]  # without "#", first spelling kept, de-duplicated
    music: TikTokMusic | None
    title: str | None  # the photo-mode title (``imagePost.title``)
    total_slides: int  # every image of the post
    capped: bool  # total_slides > len(images)
    images: tuple[TikTokImage, ...]
    created_at: datetime | None = None

    @property
    def slide_count(self) -> int:
        return len(self.images)


# ---------------------------------------------------------------------------------- URLs

_WEB_HOSTS = frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com"})
_SHARE_HOSTS = frozenset({"tiktokv.com", "www.tiktokv.com", "m.tiktokv.com"})
_SHORT_HOSTS = {"vm.tiktok.com": "vm", "vt.tiktok.com": "vt"}
_POST_PATH = re.compile(
    r"/@(?P<user>[A-Za-z0-9_.\-]{0,64})/(?P<kind>photo|video)/(?P<id>\d{1,25})/?"
)
_SHARE_PATH = re.compile(r"/share/video/(?P<id>\d{1,25})/?")
_CODE = r"(?P<code>[A-Za-z0-9]{2,32})"
_SHORT_PATH = re.compile(rf"/{_CODE}/?")
_T_PATH = re.compile(rf"/t/{_CODE}/?")
_BAD_URL_CHARS = re.compile(r"[\s\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class TikTokUrl:
    """A parsed TikTok URL: a post (``post_id``) or a short link (``short_host`` + ``code``).
    ``url`` is the normalised https URL without query or fragment."""

    kind: Literal["post", "short"]
    url: str
    post_id: str | None = None
    username: str | None = None
    short_host: Literal["vm", "vt", "t"] | None = None
    code: str | None = None


def parse_tiktok_url(raw: str) -> TikTokUrl:
    """Validate a user-given TikTok URL; raise ``invalid_tiktok_url`` for anything else."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text:
        raise _invalid(f"the URL is empty; {VALID_URL_HINT}")
    if len(text) > 2048 or _BAD_URL_CHARS.search(text):
        raise _invalid(f"the URL contains spaces or control characters; {VALID_URL_HINT}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _invalid(f"not a valid URL; {VALID_URL_HINT}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _invalid(f"only http(s) TikTok URLs are accepted; {VALID_URL_HINT}")
    if "@" in parts.netloc:
        raise _invalid(f"URLs with a user name before the host are refused; {VALID_URL_HINT}")
    host = (parts.hostname or "").rstrip(".")
    default_port = 443 if parts.scheme.lower() == "https" else 80
    if port is not None and port != default_port:
        raise _invalid(f"TikTok URLs do not carry a port; {VALID_URL_HINT}")
    path = unquote(parts.path)
    if host in _WEB_HOSTS:
        match = _POST_PATH.fullmatch(path)
        if match and match.group("kind").islower():
            user = match.group("user")
            post_id = match.group("id")
            return TikTokUrl(
                kind="post",
                url=f"https://{host}/@{user}/{match.group('kind')}/{post_id}",
                post_id=post_id,
                username=user if user not in ("", "_") else None,
            )
        short = _T_PATH.fullmatch(path)
        if short:
            code = short.group("code")
            return TikTokUrl(
                kind="short", url=f"https://{host}/t/{code}/", short_host="t", code=code
            )
    elif host in _SHARE_HOSTS:
        match = _SHARE_PATH.fullmatch(path)
        if match:
            post_id = match.group("id")
            return TikTokUrl(
                kind="post", url=f"https://{host}/share/video/{post_id}", post_id=post_id
            )
    elif host in _SHORT_HOSTS:
        short = _SHORT_PATH.fullmatch(path)
        if short:
            code = short.group("code")
            short_host: Literal["vm", "vt"] = "vm" if _SHORT_HOSTS[host] == "vm" else "vt"
            return TikTokUrl(
                kind="short", url=f"https://{host}/{code}/", short_host=short_host, code=code
            )
    else:
        shown = host or "(none)"
        raise _invalid(f"the host {shown} is not TikTok; {VALID_URL_HINT}")
    raise _invalid(f"this TikTok URL is not a post or a short link; {VALID_URL_HINT}")


def canonical_post_url(username: str | None, post_id: str) -> str:
    return f"{TIKTOK_WEB_BASE}/@{username or '_'}/photo/{post_id}"


# ---------------------------------------------------------------------------------- page parsing

_DATA_SCRIPT_IDS = ("__UNIVERSAL_DATA_FOR_REHYDRATION__", "SIGI_STATE", "sigi-persisted-data")
_CHALLENGE_IDS = ("cs", "wci", "rci", "rs")


class _PageScanner(HTMLParser):
    """Collects the data scripts and the challenge elements of a TikTok page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: dict[str, str] = {}
        self.challenge: dict[str, str] = {}
        self._current: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        element_id = attributes.get("id", "")
        if tag == "script" and element_id in _DATA_SCRIPT_IDS:
            self._current = element_id
            self._buffer = []
        elif element_id in _CHALLENGE_IDS and element_id not in self.challenge:
            self.challenge[element_id] = attributes.get("class", "").strip()

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.setdefault(self._current, "".join(self._buffer))
            self._current = None


def _scan_page(html: str) -> _PageScanner:
    scanner = _PageScanner()
    try:
        scanner.feed(html)
        scanner.close()
    except (AssertionError, ValueError):  # HTMLParser gives up on badly broken markup
        pass
    return scanner


def _load_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object of a data script; tolerates ``window['SIGI_STATE']=`` prefixes and
    trailing statements."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class _Detail:
    """What a page says about the post. ``status`` None: the page has no video-detail data."""

    status: int | None
    status_msg: str
    item: dict[str, Any] | None
    canonical: str | None
    has_json: bool


def _as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return default


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _extract_detail(scanner: _PageScanner, post_id: str) -> _Detail:
    canonical: str | None = None
    has_json = False
    universal = scanner.scripts.get("__UNIVERSAL_DATA_FOR_REHYDRATION__")
    if universal is not None:
        data = _load_json_object(universal)
        if data is not None:
            has_json = True
            scope = data.get("__DEFAULT_SCOPE__")
            detail = _dig(scope, "webapp.video-detail")
            found = _dig(scope, "seo.abtest", "canonical")
            canonical = found if isinstance(found, str) else None
            if isinstance(detail, Mapping):
                item = _dig(detail, "itemInfo", "itemStruct")
                return _Detail(
                    status=_as_int(detail.get("statusCode"), 0),
                    status_msg=str(detail.get("statusMsg") or ""),
                    item=dict(item) if isinstance(item, Mapping) and item else None,
                    canonical=canonical,
                    has_json=True,
                )
    for script_id in ("SIGI_STATE", "sigi-persisted-data"):
        raw = scanner.scripts.get(script_id)
        if raw is None:
            continue
        sigi = _load_json_object(raw)
        if sigi is None:
            continue
        has_json = True
        status = _as_int(_dig(sigi, "VideoPage", "statusCode"), 0)
        items = sigi.get("ItemModule")
        item = items.get(post_id) if isinstance(items, Mapping) else None
        if isinstance(item, Mapping) and item:
            merged = dict(item)
            author = merged.get("author")
            if isinstance(author, str):
                user = _dig(sigi, "UserModule", "users", author)
                merged["author"] = dict(user) if isinstance(user, Mapping) else {"uniqueId": author}
                merged["author"].setdefault("uniqueId", author)
            return _Detail(
                status, str(_dig(sigi, "VideoPage", "statusMsg") or ""), merged, canonical, True
            )
        if status != 0 or isinstance(items, Mapping):
            return _Detail(
                status, str(_dig(sigi, "VideoPage", "statusMsg") or ""), None, canonical, True
            )
    return _Detail(None, "", None, canonical, has_json)


# ---------------------------------------------------------------------------------- WAF challenge


def _b64decode(text: str) -> bytes:
    cleaned = text.strip()
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=False)
    except (binascii.Error, ValueError):
        return base64.urlsafe_b64decode(cleaned)


def solve_waf_challenge(cs: str, *, max_answer: int = CHALLENGE_MAX_ANSWER) -> str | None:
    """Solve the WAF proof-of-work carried by the ``cs`` element.

    ``cs`` is base64 of a JSON object whose ``v.a`` (base64 prefix) and ``v.c`` (base64 SHA-256
    digest) define the puzzle: find the integer i in 0..``max_answer`` with
    sha256(a + str(i)) == c. The answer goes back into the object as ``d`` = base64(str(i)), and
    the whole object, JSON then base64, is the cookie value. None when it cannot be solved."""
    try:
        challenge = json.loads(_b64decode(cs))
        prefix = _b64decode(str(challenge["v"]["a"]))
        expected = _b64decode(str(challenge["v"]["c"]))
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(challenge, dict) or len(expected) != hashlib.sha256().digest_size:
        return None
    seeded = hashlib.sha256(prefix)
    for answer in range(max_answer + 1):
        attempt = seeded.copy()
        attempt.update(str(answer).encode())
        if attempt.digest() == expected:
            challenge["d"] = base64.b64encode(str(answer).encode()).decode()
            encoded = json.dumps(challenge, separators=(",", ":"), ensure_ascii=False)
            return base64.b64encode(encoded.encode()).decode()
    return None


_COOKIE_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,128}")


# ---------------------------------------------------------------------------------- cookies file


def load_netscape_cookies(path: Path, *, now: datetime) -> list[Cookie]:
    """TikTok cookies (domain tiktok.com or a subdomain) of a Netscape cookies file; other
    sites' cookies and expired ones are dropped. Raises ``upstream_config_error``."""
    where = f"the TikTok cookies file ({SETTING_COOKIES})"
    try:
        size = path.stat().st_size
        if size > 4 * 1024 * 1024:
            raise _config_error(
                f"{where} is larger than 4 MB; export only TikTok's cookies", "cookies_file"
            )
        text = path.read_text(encoding="utf-8-sig")
    except TikTokFetchError:
        raise
    except FileNotFoundError:
        raise _config_error(f"{where} does not exist", "cookies_file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _config_error(
            f"{where} cannot be read: {type(exc).__name__}", "cookies_file"
        ) from None
    cookies: list[Cookie] = []
    stamp = now.timestamp()
    for number, line in enumerate(text.splitlines(), start=1):
        http_only = False
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_") :]
            http_only = True
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) == 6:  # some exporters drop an empty value
            fields.append("")
        if len(fields) != 7:
            raise _config_error(
                f"line {number} of {where} is not a Netscape cookie line "
                "(domain, flag, path, secure, expiry, name, value separated by tabs)",
                "cookies_file",
            )
        domain, _flag, cookie_path, secure, expiry, name, value = fields
        domain = domain.strip().lower()
        try:
            expires = int(float(expiry.strip() or "0"))
        except ValueError:
            raise _config_error(
                f"line {number} of {where} has an expiry that is not a number", "cookies_file"
            ) from None
        if not _COOKIE_NAME.fullmatch(name) or any(ch in value for ch in ";\r\n"):
            raise _config_error(
                f"line {number} of {where} has an invalid cookie name or value", "cookies_file"
            )
        bare = domain.lstrip(".")
        if bare != "tiktok.com" and not bare.endswith(".tiktok.com"):
            continue
        if expires and expires < stamp:
            continue
        cookies.append(
            _make_cookie(
                name,
                value,
                domain=domain,
                path=cookie_path or "/",
                secure=secure.strip().upper() == "TRUE",
                # Expiry was checked above against our clock; in the jar of one fetch they
                # are session cookies (the jar would compare with the wall clock).
                expires=None,
                http_only=http_only,
            )
        )
    if not cookies:
        raise _config_error(f"{where} has no unexpired tiktok.com cookies", "cookies_file")
    return cookies


def _make_cookie(
    name: str,
    value: str,
    *,
    domain: str,
    path: str = "/",
    secure: bool = False,
    expires: int | None = None,
    http_only: bool = False,
) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=domain,
        domain_specified=domain.startswith("."),
        domain_initial_dot=domain.startswith("."),
        path=path,
        path_specified=True,
        secure=secure,
        expires=expires,
        discard=expires is None,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""} if http_only else {},
    )


# ---------------------------------------------------------------------------------- fetcher


@dataclass(frozen=True)
class _Prepared:
    web_base: str
    web_host: str
    short_base: str | None
    proxy: str | None
    cookies: list[Cookie]


@dataclass
class _SlideFailure:
    """Every mirror of a slide failed. ``kind``: expired (a 403/410: the signed URL went stale
    or the session was refused), invalid (bytes that are not a usable image) or failed."""

    index: int
    message: str
    kind: Literal["expired", "invalid", "failed"]

    @property
    def expired(self) -> bool:
        return self.kind == "expired"


def _validate_base(url: str, setting: str, reason: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except (ValueError, AttributeError):
        raise _config_error(f"{setting} is not a valid URL", reason) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _config_error(f"{setting} must be an http(s) URL with a host", reason)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise _config_error(
            f"{setting} must be a plain base URL (no credentials, query or fragment)", reason
        )
    return url.strip().rstrip("/"), parts.hostname.lower()


def _check_proxy(proxy: str) -> str:
    try:
        parsed = httpx.URL(proxy.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise _config_error(f"{SETTING_PROXY} is not a valid proxy URL", "proxy") from None
    if parsed.scheme not in ("http", "https", "socks5", "socks5h") or not parsed.host:
        raise _config_error(
            f"{SETTING_PROXY} must be an http://, https:// or socks5:// URL with a host", "proxy"
        )
    if parsed.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise _config_error(
            f"{SETTING_PROXY} is a SOCKS proxy, which needs the socksio package (not installed)",
            "proxy",
        )
    return proxy.strip()


def page_html(result: FetchResult, subject: str) -> str:
    """The HTML of a 200 page about ``subject`` (e.g. "post 123"); 403, another status and
    an empty page are failures (a 429 is checked before, a redirect by the caller)."""
    if result.status == 403:
        raise _failed(
            f"TikTok refused this server (HTTP 403 for {subject}): an IP, TLS or region "
            f"block; retry later, or set {SETTING_PROXY}",
            "blocked",
        )
    if result.status != 200:
        raise _failed(
            f"TikTok answered HTTP {result.status} for {subject}; retry later", "http_error"
        )
    html = result.content.decode("utf-8", errors="replace")
    if not html.strip():
        raise _failed(
            f"TikTok answered with an empty page for {subject} (usually a block of this "
            f"server); retry later, or set {SETTING_PROXY}",
            "empty_page",
        )
    return html


def _rate_limited(headers: httpx.Headers, now: datetime) -> TikTokFetchError:
    seconds = retry_after_seconds(headers, now)
    when = f"retry after {seconds} seconds" if seconds is not None else "retry later"
    return TikTokFetchError(
        "rate_limited",
        429,
        f"TikTok is rate-limiting this server (HTTP 429); {when}",
        reason="rate_limited",
        retry_after=seconds,
    )


class TikTokFetcher:
    """Fetches TikTok photo posts through ``SafeHttp``. No global state: one session (cookie
    jar) per ``fetch`` call; safe to use from several threads at once."""

    def __init__(
        self, http: SafeHttp, config: FetchConfig | None = None, *, clock: Clock | None = None
    ) -> None:
        self.http = http
        self.config = config or FetchConfig()
        self.clock: Clock = clock or SystemClock()

    # ------------------------------------------------------------------ public

    def resolve(self, url: str) -> TikTokUrl:
        """Parse ``url`` and, for a short link, resolve it (one request): a post TikTokUrl."""
        target = parse_tiktok_url(url)
        if target.kind == "post":
            return target
        prepared = self._prepare()
        with self._session(prepared) as client:
            return self._resolve_short(client, prepared, target)

    def fetch(
        self,
        url: str,
        *,
        max_slides: int = DEFAULT_MAX_SLIDES,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    ) -> TikTokPost:
        """Fetch the photo post at ``url`` and download its first ``max_slides`` images."""
        if max_slides < 1:
            raise ValueError("max_slides must be at least 1")
        target = parse_tiktok_url(url)
        prepared = self._prepare()
        with self._session(prepared) as client:
            if target.kind == "short":
                target = self._resolve_short(client, prepared, target)
            assert target.post_id is not None
            item = self._load_item(client, prepared, target.post_id)
            return self._build_post(
                client, prepared, target, item, max_slides=max_slides, max_bytes=max_image_bytes
            )

    # ------------------------------------------------------------------ configuration

    def _prepare(self) -> _Prepared:
        cfg = self.config
        if cfg.impersonate is not None and cfg.impersonate.strip():
            installed = importlib.util.find_spec("curl_cffi") is not None
            state = "installed" if installed else "not installed"
            raise _config_error(
                f"{SETTING_IMPERSONATE} asks for browser TLS impersonation "
                f"({cfg.impersonate.strip()!r}), which this build does not support (curl-cffi is "
                f"{state}, and it cannot be routed through SafeHttp's address checks); unset it "
                f"and use {SETTING_PROXY} or {SETTING_COOKIES} where TikTok refuses this server",
                "impersonate",
            )
        web_base, web_host = _validate_base(cfg.web_base_url, SETTING_WEB_BASE, "web_base_url")
        short_base = None
        if cfg.short_link_base_url is not None and cfg.short_link_base_url.strip():
            short_base, _ = _validate_base(
                cfg.short_link_base_url, SETTING_SHORT_BASE, "short_link_base_url"
            )
        proxy = _check_proxy(cfg.proxy) if cfg.proxy and cfg.proxy.strip() else None
        cookies: list[Cookie] = []
        if cfg.cookies_file is not None:
            loaded = load_netscape_cookies(Path(cfg.cookies_file), now=self.clock.now())
            real_site = web_host == "tiktok.com" or web_host.endswith(".tiktok.com")
            for cookie in loaded:
                if real_site:
                    cookies.append(cookie)
                else:  # a sandbox or mirror: the cookies go to the web base host only
                    cookies.append(
                        _make_cookie(
                            cookie.name,
                            cookie.value or "",
                            domain=web_host,
                            path=cookie.path,
                        )
                    )
        return _Prepared(web_base, web_host, short_base, proxy, cookies)

    @contextmanager
    def _session(self, prepared: _Prepared) -> Iterator[SafeClient]:
        """One cookie-keeping session for the short link, the page and the images."""
        jar = httpx.Cookies()
        for cookie in prepared.cookies:
            jar.jar.set_cookie(cookie)
        headers = {
            "accept-language": self.config.accept_language,
            "accept-encoding": "gzip, deflate",
        }
        with ExitStack() as stack:
            try:
                client = stack.enter_context(
                    self.http.client(
                        headers=headers,
                        cookies=jar,
                        proxy=prepared.proxy,
                        user_agent=self.config.user_agent,
                        timeout=self.config.timeout,
                    )
                )
            except ValueError as exc:  # httpx refuses the proxy
                raise _config_error(f"{SETTING_PROXY} is not usable: {exc}", "proxy") from None
            yield client

    # ------------------------------------------------------------------ requests

    def _request(
        self,
        client: SafeClient,
        method: str,
        url: str,
        *,
        what: str,
        max_bytes: int,
        headers: dict[str, str],
        config_setting: str,
        bad_redirect: TikTokFetchError,
    ) -> FetchResult:
        try:
            return client.request(
                method, url, max_bytes=max_bytes, headers=headers, follow_redirects=False
            )
        except httpx.InvalidURL:  # a Location header httpx cannot even parse
            raise bad_redirect from None
        except UnsafeUrlError as exc:
            raise _config_error(
                f"{config_setting} points at an address that is not allowed ({exc}); "
                "add it to SLIDEFORGE_SSRF_ALLOW only for a local sandbox",
                "address_not_allowed",
            ) from None
        except FetchError as exc:
            if isinstance(exc.__cause__, httpx.InvalidURL):  # SafeHttp wraps the above too
                raise bad_redirect from None
            if exc.reason == "too_large":
                raise _failed(
                    f"the TikTok {what} is larger than {_megabytes(max_bytes)}",
                    "page_too_large",
                ) from None
            via = f" through the proxy ({SETTING_PROXY})" if self.config.proxy else ""
            raise _failed(
                f"could not reach TikTok{via} for the {what} ({exc.reason}); retry later",
                "network",
            ) from None

    # ------------------------------------------------------------------ short links

    def _short_request_url(self, prepared: _Prepared, target: TikTokUrl) -> tuple[str, str]:
        code = target.code
        if target.short_host == "t":
            return f"{prepared.web_base}/t/{code}/", SETTING_WEB_BASE
        if prepared.short_base is not None:
            return f"{prepared.short_base}/{target.short_host}/{code}/", SETTING_SHORT_BASE
        return f"https://{target.short_host}.tiktok.com/{code}/", SETTING_SHORT_BASE

    def _resolve_short(
        self, client: SafeClient, prepared: _Prepared, target: TikTokUrl
    ) -> TikTokUrl:
        url, setting = self._short_request_url(prepared, target)
        not_post = _invalid(
            f"the TikTok short link {target.url} does not lead to a TikTok post (it "
            "redirects elsewhere); paste the post URL itself",
            "short_link_not_post",
        )
        result = self._request(
            client,
            "HEAD",
            url,
            what="short link",
            max_bytes=256 * 1024,
            headers={"user-agent": SHORT_LINK_USER_AGENT},
            config_setting=setting,
            bad_redirect=not_post,
        )
        if result.status == 429:
            raise _rate_limited(result.headers, self.clock.now())
        not_found = _invalid(
            f"TikTok short link not found: {target.url} leads to TikTok's home page, not a "
            "post (dead or mistyped link); open it in a browser and paste the post URL",
            "short_link_not_found",
        )
        if result.status == 404:
            raise not_found
        if result.status == 403:
            raise _failed(
                "TikTok refused this server while resolving the short link (HTTP 403); retry "
                f"later, or set {SETTING_PROXY}",
                "blocked",
            )
        if result.status not in _REDIRECTS:
            raise _failed(
                f"TikTok answered HTTP {result.status} for the short link {target.url} "
                "instead of a redirect to the post",
                "http_error",
            )
        location = result.headers.get("location", "").strip()
        if not location:
            raise not_found
        resolved = urljoin(target.url, location).split("#", 1)[0].split("?", 1)[0]
        if len(resolved) <= DEAD_SHORT_LINK_MAX_CHARS or urlsplit(resolved).path in ("", "/"):
            raise not_found
        try:
            post = parse_tiktok_url(resolved)
        except TikTokFetchError:
            post = None
        if post is None or post.kind != "post":
            raise not_post
        return post

    # ------------------------------------------------------------------ the page

    def _page_failure(self, status: int, post_id: str, message: str) -> TikTokFetchError:
        if status in (10216, 10222):
            return _failed(
                f"TikTok post {post_id} is private (or its account is private): it needs "
                f"cookies of an account that can see it ({SETTING_COOKIES})",
                "private",
            )
        if status == 10204:
            return _failed(
                f"TikTok post {post_id} is unavailable: deleted, or blocked from this server",
                "unavailable",
            )
        if status == 10231:
            return _failed(
                f"TikTok post {post_id} is not available in this server's region; try a "
                f"proxy in another region ({SETTING_PROXY})",
                "region_locked",
            )
        detail = f" ({message})" if message else ""
        return _failed(
            f"TikTok could not show post {post_id}: status {status}{detail}", "tiktok_status"
        )

    def _login_required(self, post_id: str) -> TikTokFetchError:
        return _failed(
            f"TikTok asks for a login to show post {post_id} (a login wall, or an age- or "
            f"sensitivity-restricted post); it needs cookies of a logged-in account "
            f"({SETTING_COOKIES})",
            "login_required",
        )

    def _load_item(self, client: SafeClient, prepared: _Prepared, post_id: str) -> dict[str, Any]:
        """The post's itemStruct, after at most one challenge, one canonical hop and two
        same-post redirects."""
        page_url = f"{prepared.web_base}/@_/video/{post_id}"
        solved = False
        followed_canonical = False
        redirects = 0
        while True:
            result = self._request(
                client,
                "GET",
                page_url,
                what="post page",
                max_bytes=self.config.max_page_bytes,
                headers=_PAGE_HEADERS,
                config_setting=SETTING_WEB_BASE,
                bad_redirect=_failed(
                    f"TikTok redirected post {post_id} to a malformed URL instead of showing it",
                    "unexpected_redirect",
                ),
            )
            if result.status == 429:
                raise _rate_limited(result.headers, self.clock.now())
            if result.status in _REDIRECTS:
                location = result.headers.get("location", "").strip()
                path = urlsplit(urljoin(page_url, location)).path if location else ""
                if path.startswith("/login"):
                    raise self._login_required(post_id)
                match = _POST_PATH.fullmatch(unquote(path))
                if match and match.group("id") == post_id and redirects < 2:
                    redirects += 1
                    page_url = f"{prepared.web_base}/@{match.group('user') or '_'}/video/{post_id}"
                    continue
                if path in ("", "/"):
                    raise _failed(
                        f"TikTok redirected post {post_id} to its home page (the post is "
                        "unavailable, or TikTok is blocking this server)",
                        "unexpected_redirect",
                    )
                raise _failed(
                    f"TikTok redirected post {post_id} to {path!r} instead of showing it",
                    "unexpected_redirect",
                )
            scanner = _scan_page(page_html(result, f"post {post_id}"))
            detail = _extract_detail(scanner, post_id)
            if not detail.has_json and "cs" in scanner.challenge:
                if solved:
                    raise _failed(
                        f"TikTok blocked post {post_id} by a challenge: it came back after it "
                        "was solved; retry later",
                        "challenge",
                    )
                self._answer_challenge(client, prepared, scanner.challenge, f"post {post_id}")
                solved = True
                continue
            if not detail.has_json and scanner.scripts:
                raise _failed(
                    f"the data JSON of the TikTok page of post {post_id} cannot be read (page "
                    "format changed, or a truncated page)",
                    "no_post_data",
                )
            if not detail.has_json:
                raise _failed(
                    f"TikTok refused this server: the page of post {post_id} has no post data "
                    f"and no solvable challenge (a captcha or a block); retry later, or set "
                    f"{SETTING_PROXY}",
                    "blocked",
                )
            if detail.status is None:
                target = _canonical_target(detail.canonical, post_id)
                if target is not None and not followed_canonical:
                    followed_canonical = True
                    page_url = f"{prepared.web_base}/@{target}/video/{post_id}"
                    continue
                raise _failed(
                    f"the TikTok page of post {post_id} does not carry the post data (page "
                    "format changed, or a partial block)",
                    "no_post_data",
                )
            if detail.status != 0:
                raise self._page_failure(detail.status, post_id, detail.status_msg)
            if detail.item is None:
                raise _failed(
                    f"the TikTok page of post {post_id} does not carry the post data",
                    "no_post_data",
                )
            return detail.item

    def _answer_challenge(
        self,
        client: SafeClient,
        prepared: _Prepared,
        elements: dict[str, str],
        subject: str,
    ) -> None:
        """Set the cookies that answer the WAF challenge of a page about ``subject`` (e.g.
        "post 123"), or raise ``challenge`` when it cannot be solved."""
        name = elements.get("wci", "")
        solution = solve_waf_challenge(
            elements.get("cs", ""), max_answer=self.config.challenge_max_answer
        )
        if solution is None or not _COOKIE_NAME.fullmatch(name):
            raise _failed(
                f"TikTok blocked {subject} by a challenge that could not be solved; retry later",
                "challenge",
            )
        jar = client.cookies.jar
        jar.set_cookie(_make_cookie(name, solution, domain=prepared.web_host))
        extra_name, extra_value = elements.get("rci", ""), elements.get("rs", "")
        if extra_name and _COOKIE_NAME.fullmatch(extra_name) and extra_value:
            jar.set_cookie(_make_cookie(extra_name, extra_value, domain=prepared.web_host))

    # ------------------------------------------------------------------ images

    def _build_post(
        self,
        client: SafeClient,
        prepared: _Prepared,
        target: TikTokUrl,
        item: dict[str, Any],
        *,
        max_slides: int,
        max_bytes: int,
    ) -> TikTokPost:
        post_id = str(target.post_id)
        image_post = item.get("imagePost")
        images = image_post.get("images") if isinstance(image_post, Mapping) else None
        if not isinstance(images, list):
            video = item.get("video") if isinstance(item.get("video"), Mapping) else {}
            has_video = bool(_dig(video, "playAddr") or _dig(video, "downloadAddr"))
            if item.get("isContentClassified") and not has_video:
                raise self._login_required(post_id)
            raise TikTokFetchError(
                "not_slideshow",
                422,
                f"TikTok post {post_id} is a video, not a photo/slideshow post",
                reason="video_post",
            )
        total = len(images)
        if total == 0:
            raise _failed(f"TikTok photo post {post_id} lists no images", "no_images")
        kept = min(total, max_slides)
        url_lists = [_image_urls(images[i]) for i in range(kept)]
        slides = self._download_all(client, url_lists, range(kept), max_bytes, total)
        expired = [s for s in slides.values() if isinstance(s, _SlideFailure) and s.expired]
        if expired:  # signed URLs went stale: one fresh page, fresh URLs, one more try
            fresh_item = self._load_item(client, prepared, post_id)
            fresh_images = _dig(fresh_item, "imagePost", "images")
            if not isinstance(fresh_images, list):
                raise _failed(
                    f"TikTok post {post_id} lost its images when the page was re-fetched",
                    "no_images",
                )
            retry = [s.index for s in expired]
            fresh_lists = {
                i: _image_urls(fresh_images[i]) if i < len(fresh_images) else [] for i in retry
            }
            again = self._download_all(
                client, [fresh_lists[i] for i in retry], retry, max_bytes, total
            )
            slides.update(again)
        kept_images: list[TikTokImage] = []
        for index in range(kept):
            slide = slides[index]
            if isinstance(slide, _SlideFailure):
                if slide.kind == "invalid":
                    raise _failed(
                        f"slide {index + 1} of {total} of TikTok post {post_id} is not a "
                        f"usable image: {slide.message}",
                        "image_invalid",
                    )
                raise _failed(
                    f"slide {index + 1} of {total} of TikTok post {post_id} could not be "
                    f"downloaded: {slide.message}"
                    + (" (still refused after re-fetching the page)" if slide.expired else ""),
                    "image_expired" if slide.expired else "image_failed",
                )
            kept_images.append(slide)
        return _post_from_item(item, target, total, tuple(kept_images))

    def _download_all(
        self,
        client: SafeClient,
        url_lists: Sequence[list[str]],
        indexes: Sequence[int],
        max_bytes: int,
        total: int,
    ) -> dict[int, TikTokImage | _SlideFailure]:
        jobs = list(zip(indexes, url_lists, strict=True))
        workers = max(1, min(self.config.image_workers, len(jobs)))
        results: dict[int, TikTokImage | _SlideFailure] = {}
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tiktok-img") as pool:
            futures = [
                (index, pool.submit(self._download_slide, client, index, urls, max_bytes, total))
                for index, urls in jobs
            ]
            errors: list[tuple[int, TikTokFetchError]] = []
            for index, future in futures:
                try:
                    results[index] = future.result()
                except TikTokFetchError as exc:
                    errors.append((index, exc))
        if errors:
            raise min(errors, key=lambda pair: pair[0])[1]
        return results

    def _download_slide(
        self, client: SafeClient, index: int, urls: list[str], max_bytes: int, total: int
    ) -> TikTokImage | _SlideFailure:
        if not urls:
            return _SlideFailure(index, "the post lists no http(s) URL for it", "failed")
        problems: list[str] = []
        expired = False
        invalid = 0
        slide = f"slide {index + 1} of {total}"
        for url in urls:
            try:
                result = client.get(
                    url, max_bytes=max_bytes, headers=_IMAGE_HEADERS, follow_redirects=True
                )
            except UnsafeUrlError:
                problems.append("its URL points at an address that is not allowed")
                continue
            except httpx.InvalidURL:
                problems.append("it redirects to a malformed URL")
                continue
            except FetchError as exc:
                if exc.reason == "too_large":
                    raise _failed(
                        f"{slide} is larger than the {_megabytes(max_bytes)} cap for a slide",
                        "image_too_large",
                    ) from None
                problems.append(f"{exc.reason} error")
                continue
            if result.status == 429:
                raise _rate_limited(result.headers, self.clock.now())
            if result.status in (403, 410):
                expired = True
                problems.append(f"HTTP {result.status} (expired or refused signed URL)")
                continue
            if result.status != 200:
                problems.append(f"HTTP {result.status}")
                continue
            fmt = sniff_image(result.content)
            if fmt is None or fmt not in ACCEPTED_IMAGE_FORMATS:
                what = fmt.upper() if fmt else "not an image"
                problems.append(f"the bytes are {what}, not JPEG, PNG, WebP or HEIC")
                invalid += 1
                continue
            try:
                info = probe_image(result.content, self.config.max_image_pixels)
            except ImageError as exc:
                problems.append(f"the image is unusable ({exc})")
                invalid += 1
                continue
            return TikTokImage(index, result.content, info.format, info.width, info.height)
        message = "; ".join(dict.fromkeys(problems))
        if expired:
            return _SlideFailure(index, message, "expired")
        if invalid == len(problems):
            return _SlideFailure(index, message, "invalid")
        return _SlideFailure(index, message, "failed")


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size} bytes"


def _canonical_target(canonical: str | None, post_id: str) -> str | None:
    """The user name of a canonical URL of the same post (None if it is not one)."""
    if not canonical:
        return None
    try:
        parsed = parse_tiktok_url(canonical)
    except TikTokFetchError:
        return None
    if parsed.kind != "post" or parsed.post_id != post_id:
        return None
    return parsed.username or "_"


def _image_urls(image: Any) -> list[str]:
    urls = _dig(image, "imageURL", "urlList")
    if not isinstance(urls, list):
        return []
    out: list[str] = []
    for url in urls:
        usable = isinstance(url, str) and url.lower().startswith(("https://", "http://"))
        if usable and url not in out:
            out.append(url)
    return out


_HASHTAG = re.compile(r"#(\w+)")


def _hashtags(item: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    seen: set[str] = set()

    def add(tag: Any) -> None:
        if isinstance(tag, str):
            tag = tag.strip().lstrip("#")
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                found.append(tag)

    extras: list[Any] = []
    if isinstance(item.get("textExtra"), list):
        extras.extend(item["textExtra"])
    contents = item.get("contents")
    if isinstance(contents, list):
        for content in contents:
            if isinstance(_dig(content, "textExtra"), list):
                extras.extend(content["textExtra"])
    for extra in extras:
        add(_dig(extra, "hashtagName"))
    desc = item.get("desc")
    if isinstance(desc, str):
        for match in _HASHTAG.finditer(desc):
            add(match.group(1))
    return tuple(found)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _post_from_item(
    item: Mapping[str, Any], target: TikTokUrl, total: int, images: tuple[TikTokImage, ...]
) -> TikTokPost:
    post_id = str(target.post_id)
    raw_author = item.get("author")
    author_data: Mapping[str, Any] = raw_author if isinstance(raw_author, Mapping) else {}
    unique_id = _text(author_data.get("uniqueId")) or target.username or "_"
    author = TikTokAuthor(
        unique_id=unique_id,
        nickname=_text(author_data.get("nickname")) or unique_id,
        id=_text(author_data.get("id")),
        sec_uid=_text(author_data.get("secUid")),
    )
    music: TikTokMusic | None = None
    raw_music = item.get("music")
    if isinstance(raw_music, Mapping) and (raw_music.get("id") or raw_music.get("title")):
        duration = raw_music.get("duration")
        music = TikTokMusic(
            id=_text(raw_music.get("id")),
            title=_text(raw_music.get("title")),
            author=_text(raw_music.get("authorName")),
            original=bool(raw_music.get("original")),
            duration=duration if isinstance(duration, int) and duration > 0 else None,
        )
    created_at: datetime | None = None
    stamp = _as_int(item.get("createTime"), 0)
    if stamp > 0:
        created_at = datetime.fromtimestamp(stamp, UTC)
    title = _text(_dig(item, "imagePost", "title"))
    caption = item.get("desc")
    return TikTokPost(
        post_id=post_id,
        source_url=canonical_post_url(unique_id, post_id),
        author=author,
        caption=caption if isinstance(caption, str) else "",
        hashtags=_hashtags(item),
        music=music,
        title=title,
        total_slides=total,
        capped=total > len(images),
        images=images,
        created_at=created_at,
    )


def fetch_tiktok_post(
    url: str,
    *,
    http: SafeHttp,
    config: FetchConfig | None = None,
    clock: Clock | None = None,
    max_slides: int = DEFAULT_MAX_SLIDES,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> TikTokPost:
    """One-call form of ``TikTokFetcher(http, config).fetch(url)``."""
    return TikTokFetcher(http, config, clock=clock).fetch(
        url, max_slides=max_slides, max_image_bytes=max_image_bytes
    )
