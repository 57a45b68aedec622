"""TikTok web sandbox: TikTok's public post pages, short links and photo CDN, on loopback.

Built from the facts in ``docs/copy-tiktok.md``, "TikTok web pages", for
the copy-a-slideshow fetcher (``slideforge.copy_tiktok.fetch``), its tests and benchmarks.

Use::

    sandbox = TikTokWebSandbox(clock=ManualClock())
    server = serve_in_thread(create_app(sandbox))
    post = sandbox.add_photo_post([jpeg1, jpeg2], author="creator", caption="3 tips #fyp")
    sandbox.add_short_link("ZMabc123", post_id=post.id)
    # fetch {server.base_url}/@_/video/{post.id}, {server.base_url}/vm/ZMabc123/ …

Paths (what the fetcher maps real TikTok hosts onto)::

    GET  /@{user}/video/{id}          post page (HTML, rehydration JSON in a script element)
    GET  /@{user}/photo/{id}          same page without the video-detail scope (as TikTok)
    GET|HEAD /t/{code}/               www.tiktok.com/t/ short link   -> 301 Location
    GET|HEAD /vm/{code}/, /vt/{code}/ vm./vt.tiktok.com short links  -> 301 Location
    GET  /cdn/{mirror}/{bucket}/{key}~tplv-photomode-image.{ext}?x-expires=…&x-signature=…
    GET  /, /login                    home page, login page
    /__sandbox/…                      admin API (JSON), see ``create_app``

Reproduced:

- Post pages embed ``<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">``
  with ``__DEFAULT_SCOPE__`` → ``webapp.app-context``, ``seo.abtest`` (``canonical``) and
  ``webapp.video-detail`` (``statusCode``, ``statusMsg``, ``itemInfo.itemStruct``); the JSON
  escapes ``<``, ``>``, ``&`` and ``/`` as TikTok does. Photo posts carry ``imagePost``
  (``images[].imageURL.urlList`` with two mirrors, ``imageWidth``/``imageHeight``, ``cover``,
  ``shareCover``, ``title``), a ``video`` object with duration 0, ``desc``, ``textExtra`` and
  ``contents`` hashtag spans, ``challenges``, ``author``, ``music``, ``stats``. Video posts
  have no ``imagePost``. Page format "sigi" / "sigi_persisted" serves the older ``SIGI_STATE``
  / ``sigi-persisted-data`` script (``ItemModule``, ``UserModule``, ``VideoPage``) instead.
- Status codes: private post 10216, private account 10222, deleted/unavailable 10204,
  region-locked 10231 (with ``statusMsg``, no ``itemInfo``); content-classified posts carry
  ``isContentClassified: true`` with the media stripped for visitors without a session.
  Sessions (``sessionid`` cookies registered with ``add_session``) see private posts they are
  viewers of and content-classified posts, and pass the login wall.
- Web modes: normal, forbidden (HTTP 403 "Access Denied"), empty (200, empty body), captcha
  (a verification page with no JSON and no solvable challenge), login_wall (302 to
  ``https://www.tiktok.com/login?redirect_url=…``). Rate limit: 429 with ``Retry-After``
  (seconds, an HTTP date, or none) for the next N page/short-link requests.
- WAF challenge ("Please wait…" page): ``<p id="wci" class="_wafchallengeid">``,
  ``<p id="rci" class="waforiginalreid">``, ``<p id="rs" class="…">`` and
  ``<p id="cs" class="…">`` where cs is base64 JSON ``{"v":{"a":…,"c":…},"s":…,"t":…}``:
  find i with sha256(a + str(i)) == c. The solution cookie (the cs object with
  ``d`` = base64(str(i)), JSON then base64) is verified for real (issued puzzle, signature,
  hash) together with the ``waforiginalreid`` cookie. Mode "once": a valid solution passes;
  "always": every request is challenged again.
- Page responses set ``ttwid``, ``msToken`` and ``tt_chain_token`` cookies; pages are gzip
  encoded when the client accepts it.
- Short links answer 301 with TikTok's long ``Location`` (``?_r=1&_d=…&share_item_id=…``);
  unknown codes redirect to ``https://www.tiktok.com/?_r=1``.
- Image URLs are signed (``x-expires``, ``x-signature`` = HMAC-SHA256 of the object path and
  expiry) and answer 403 once expired or when tampered with; their ending is
  ``~tplv-photomode-image.jpeg`` (or ``.image``/``.jpg``/``.webp`` per slide) whatever the
  bytes are, and ``Content-Type`` follows the ending, never the bytes. Options: the next N
  pages hand out already-expired URLs (a stale cached page), images may require the page's
  ``tt_chain_token`` cookie (one session), the first mirror of a post may be down (503).
- Resilience option ``page_redirect`` (not documented TikTok behaviour): user-less page paths
  answer 301 to the author's path or to any URL, to check that only same-post paths are
  followed, and only on the web base.
- Every non-admin request is logged (method, path, query, headers, cookies, status, kind,
  note) for tests to assert on.

Deviations from real TikTok: cookies have no ``Domain=.tiktok.com`` (the sandbox is one host),
short links for vm./vt./www share one code namespace, the page's own JavaScript and most
tracking fields are absent, image URLs point at this server instead of ``*.tiktokcdn.com``,
``sigi-persisted-data`` uses a ``window['SIGI_STATE']=…`` assignment (its exact historical
shape varied), and the challenge difficulty is configurable (TikTok's answers go up to 10^6).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import hmac
import html
import io
import json
import re
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, cast
from urllib.parse import quote, urlencode

from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from slideforge.kit.clock import Clock, SystemClock

PostStatus = Literal[
    "public", "private", "private_account", "deleted", "region_locked", "content_classified"
]
WebMode = Literal["normal", "forbidden", "empty", "captcha", "login_wall"]
PageFormat = Literal["universal", "sigi", "sigi_persisted"]
ChallengeMode = Literal["off", "once", "always"]
RequestKind = Literal["page", "short_link", "image", "home", "login", "other"]

POST_STATUSES: tuple[str, ...] = (
    "public",
    "private",
    "private_account",
    "deleted",
    "region_locked",
    "content_classified",
)
WEB_MODES: tuple[str, ...] = ("normal", "forbidden", "empty", "captcha", "login_wall")
PAGE_FORMATS: tuple[str, ...] = ("universal", "sigi", "sigi_persisted")
CHALLENGE_MODES: tuple[str, ...] = ("off", "once", "always")
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
MIRRORS = ("p16-sign-va", "p19-sign")
BUCKET = "tos-maliva-i-photomode-us"
REAL_WEB = "https://www.tiktok.com"
HOME_REDIRECT = "https://www.tiktok.com/?_r=1"
WAF_COOKIE = "_wafchallengeid"
WAF_ORIGIN_COOKIE = "waforiginalreid"
ADMIN = "/__sandbox"
_KEY_NAME = re.compile(r"(?P<key>[0-9a-f]{32})~tplv-photomode-image\.(?P<ext>[a-z]+)")
_HASHTAG = re.compile(r"#(\w+)")


class SandboxError(Exception):
    """A bad admin call (unknown post, invalid option). ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "page"
    post_id: str | None = None
    note: str = ""
    gzip_ok: bool = False


@dataclass
class _Issued:
    c: str
    rs: str


def _json_for_script(data: Any) -> str:
    """JSON safe inside a script element, escaped like TikTok's pages."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("/", "\\u002F")
    )


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        pass
    index = data.find(b"ispe", 0, 1 << 16)  # HEIF: image spatial extents box
    if index >= 4 and index + 16 <= len(data):
        width = int.from_bytes(data[index + 8 : index + 12], "big")
        height = int.from_bytes(data[index + 12 : index + 16], "big")
        if width > 0 and height > 0:
            return width, height
    return 1080, 1440


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    cleaned = text.strip()
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))


class TikTokWebSandbox:
    """In-memory, thread-safe state of the TikTok web sandbox, with a Python API."""

    def __init__(self, clock: Clock | None = None, *, secret: bytes | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._secret = secret or secrets.token_bytes(32)
        self._lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------ admin: state

    def reset(self) -> None:
        """Forget every post, link, session, log entry and mode (back to defaults)."""
        with self._lock:
            self.config = WebConfig()
            self._posts: dict[str, SandboxPost] = {}
            self._keys: dict[str, tuple[str, int]] = {}
            self._short_links: dict[str, str] = {}
            self._sessions: set[str] = set()
            self._chain_tokens: set[str] = set()
            self._issued: dict[str, _Issued] = {}
            self._log: list[LoggedRequest] = []
            self._next_id = 7_490_000_000_000_000_001

    def configure(self, **changes: Any) -> WebConfig:
        """Change site behaviour: web_mode, page_format, challenge, challenge_answer,
        challenge_max_answer, rate_limit_count, rate_limit_retry_after, stale_image_urls,
        images_require_session, image_url_ttl, public_base_url, page_redirect."""
        with self._lock:
            known = set(WebConfig.__dataclass_fields__)
            for name, value in changes.items():
                if name not in known:
                    raise SandboxError(f"unknown option {name!r}; options: {sorted(known)}")
                self._check_option(name, value)
                setattr(self.config, name, value)
            return WebConfig(**asdict(self.config))

    @staticmethod
    def _check_option(name: str, value: Any) -> None:
        choices = {
            "web_mode": WEB_MODES,
            "page_format": PAGE_FORMATS,
            "challenge": CHALLENGE_MODES,
        }
        if name in choices and value not in choices[name]:
            raise SandboxError(f"{name} must be one of {list(choices[name])}")
        integers = ("challenge_max_answer", "rate_limit_count", "stale_image_urls", "image_url_ttl")
        if name in integers and (not isinstance(value, int) or value < 0):
            raise SandboxError(f"{name} must be a non-negative integer")
        if name == "challenge_answer" and value is not None and not isinstance(value, int):
            raise SandboxError("challenge_answer must be an integer or null")
        strings = ("page_redirect", "public_base_url")
        if name in strings and value is not None and not isinstance(value, str):
            raise SandboxError(f"{name} must be a string or null")
        if name == "rate_limit_retry_after" and not isinstance(value, int | str | type(None)):
            raise SandboxError("rate_limit_retry_after must be seconds, an HTTP date or null")

    def rate_limit(self, count: int = 1, retry_after: int | str | None = 30) -> None:
        """The next ``count`` page and short-link requests answer 429."""
        self.configure(rate_limit_count=count, rate_limit_retry_after=retry_after)

    def add_session(self, sessionid: str) -> None:
        """A logged-in session: requests with cookie ``sessionid=<it>`` are logged in."""
        with self._lock:
            self._sessions.add(sessionid)

    # ------------------------------------------------------------------ admin: posts

    def _new_id(self) -> str:
        post_id = str(self._next_id)
        self._next_id += 1
        return post_id

    def _author(self, author: str | SandboxAuthor, nickname: str | None) -> SandboxAuthor:
        if isinstance(author, SandboxAuthor):
            return author
        if not re.fullmatch(r"[A-Za-z0-9_.]{1,24}", author):
            raise SandboxError("author must be 1-24 letters, digits, '_' or '.'")
        digest = hashlib.sha256(author.encode()).hexdigest()
        return SandboxAuthor(
            unique_id=author,
            nickname=nickname or author.replace("_", " ").title(),
            id=str(int(digest[:15], 16)),
            sec_uid="MS4wLjABAAAA" + digest[:40],
        )

    @staticmethod
    def _music(music: SandboxMusic | dict[str, Any] | None) -> SandboxMusic | None:
        if music is None or isinstance(music, SandboxMusic):
            return music
        try:
            return SandboxMusic(
                id=str(music.get("id") or secrets.randbelow(10**18)),
                title=str(music["title"]),
                author=str(music.get("author", "")),
                original=bool(music.get("original", False)),
                duration=int(music.get("duration", 60)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SandboxError(f"music needs at least a title ({exc})") from None

    @staticmethod
    def _desc(caption: str, hashtags: Iterable[str]) -> str:
        desc = caption
        present = {m.group(1).casefold() for m in _HASHTAG.finditer(caption)}
        for tag in hashtags:
            tag = tag.lstrip("#")
            if tag and tag.casefold() not in present:
                desc = f"{desc} #{tag}" if desc else f"#{tag}"
                present.add(tag.casefold())
        return desc

    def add_photo_post(
        self,
        slides: Sequence[bytes],
        *,
        post_id: str | None = None,
        author: str | SandboxAuthor = "creator",
        nickname: str | None = None,
        caption: str = "",
        hashtags: Iterable[str] = (),
        music: SandboxMusic | dict[str, Any] | None = None,
        title: str = "",
        endings: str | Sequence[str] = "jpeg",
        status: str = "public",
        viewers: Iterable[str] = (),
        canonical_only: bool = False,
        broken_mirror: bool = False,
    ) -> SandboxPost:
        """Register a photo post. ``slides`` are the image bytes (any number, any format:
        nothing is checked, so broken bytes can be served on purpose); ``endings`` sets the
        URL ending of each slide (jpeg, jpg, image, webp, heic)."""
        if not slides:
            raise SandboxError("a photo post needs at least one slide")
        ends = [endings] * len(slides) if isinstance(endings, str) else list(endings)
        if len(ends) != len(slides) or any(e not in IMAGE_ENDINGS for e in ends):
            raise SandboxError(f"endings must be one of {sorted(IMAGE_ENDINGS)} per slide")
        return self._add_post(
            "photo",
            post_id=post_id,
            author=author,
            nickname=nickname,
            caption=caption,
            hashtags=hashtags,
            music=music,
            title=title,
            status=status,
            viewers=viewers,
            canonical_only=canonical_only,
            broken_mirror=broken_mirror,
            slides=list(zip(slides, ends, strict=True)),
        )

    def add_video_post(
        self,
        *,
        post_id: str | None = None,
        author: str | SandboxAuthor = "creator",
        nickname: str | None = None,
        caption: str = "",
        hashtags: Iterable[str] = (),
        music: SandboxMusic | dict[str, Any] | None = None,
        status: str = "public",
        viewers: Iterable[str] = (),
        duration: int = 15,
    ) -> SandboxPost:
        post = self._add_post(
            "video",
            post_id=post_id,
            author=author,
            nickname=nickname,
            caption=caption,
            hashtags=hashtags,
            music=music,
            title="",
            status=status,
            viewers=viewers,
            canonical_only=False,
            broken_mirror=False,
            slides=[],
        )
        post.video_duration = duration
        return post

    def _add_post(
        self,
        kind: Literal["photo", "video"],
        *,
        post_id: str | None,
        author: str | SandboxAuthor,
        nickname: str | None,
        caption: str,
        hashtags: Iterable[str],
        music: SandboxMusic | dict[str, Any] | None,
        title: str,
        status: str,
        viewers: Iterable[str],
        canonical_only: bool,
        broken_mirror: bool,
        slides: list[tuple[bytes, str]],
    ) -> SandboxPost:
        if status not in POST_STATUSES:
            raise SandboxError(f"status must be one of {list(POST_STATUSES)}")
        if post_id is not None and not re.fullmatch(r"\d{1,25}", post_id):
            raise SandboxError("post_id must be digits")
        with self._lock:
            new_id = post_id or self._new_id()
            self._drop_keys(new_id)
            built: list[SandboxSlide] = []
            for index, (data, ending) in enumerate(slides):
                key = hmac.new(self._secret, f"{new_id}:{index}".encode(), "sha256").hexdigest()
                width, height = _image_size(data)
                built.append(SandboxSlide(bytes(data), ending, width, height, key[:32]))
                self._keys[key[:32]] = (new_id, index)
            post = SandboxPost(
                id=new_id,
                kind=kind,
                author=self._author(author, nickname),
                desc=self._desc(caption, hashtags),
                title=title,
                music=self._music(music),
                slides=built,
                status=status,
                viewers=set(viewers),
                canonical_only=canonical_only,
                broken_mirror=broken_mirror,
                create_time=int(self.clock.now().timestamp()),
            )
            self._posts[new_id] = post
            return post

    def _drop_keys(self, post_id: str) -> None:
        for key in [k for k, (pid, _i) in self._keys.items() if pid == post_id]:
            del self._keys[key]

    def update_post(self, post_id: str, **changes: Any) -> SandboxPost:
        """Change ``status``, ``viewers``, ``canonical_only`` or ``broken_mirror``."""
        with self._lock:
            post = self.get_post(post_id)
            for name, value in changes.items():
                if name == "status":
                    if value not in POST_STATUSES:
                        raise SandboxError(f"status must be one of {list(POST_STATUSES)}")
                    post.status = value
                elif name == "viewers":
                    post.viewers = {str(v) for v in value}
                elif name in ("canonical_only", "broken_mirror"):
                    setattr(post, name, bool(value))
                else:
                    raise SandboxError(f"cannot change {name!r} of a post")
            return post

    def get_post(self, post_id: str) -> SandboxPost:
        with self._lock:
            post = self._posts.get(post_id)
            if post is None:
                raise SandboxError(f"no post {post_id}", 404)
            return post

    def posts(self) -> list[SandboxPost]:
        with self._lock:
            return list(self._posts.values())

    def remove_post(self, post_id: str) -> None:
        with self._lock:
            self.get_post(post_id)
            del self._posts[post_id]
            self._drop_keys(post_id)

    def add_short_link(
        self, code: str | None = None, *, post_id: str | None = None, target: str | None = None
    ) -> str:
        """A short link (served on /t/, /vm/ and /vt/) to a post, or to any ``target`` URL
        (to test that the fetcher refuses non-post targets). Returns the code."""
        if (post_id is None) == (target is None):
            raise SandboxError("give exactly one of post_id or target")
        code = code or "ZM" + secrets.token_hex(4)
        if not re.fullmatch(r"[A-Za-z0-9]{2,32}", code):
            raise SandboxError("code must be 2-32 letters or digits")
        with self._lock:
            if post_id is not None:
                self.get_post(post_id)
                self._short_links[code] = "post:" + post_id
            else:
                self._short_links[code] = "url:" + str(target)
            return code

    # ------------------------------------------------------------------ request log

    def requests(self, kind: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self._log if kind is None or r.kind == kind]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def record(self, request: Request, reply: _Reply) -> None:
        """Log one answered request (called by the HTTP layer)."""
        entry = LoggedRequest(
            at=self.clock.now(),
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            kind=reply.kind,
            status=reply.status,
            headers={k.lower(): v for k, v in request.headers.items()},
            cookies=dict(request.cookies),
            post_id=reply.post_id,
            note=reply.note,
        )
        with self._lock:
            self._log.append(entry)
            del self._log[:-5000]

    # ------------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _logged_in(self, cookies: dict[str, str]) -> str | None:
        session = cookies.get("sessionid")
        return session if session and session in self._sessions else None

    def _take_rate_limit(self) -> _Reply | None:
        if self.config.rate_limit_count <= 0:
            return None
        self.config.rate_limit_count -= 1
        headers: list[tuple[str, str]] = []
        retry = self.config.rate_limit_retry_after
        if retry is not None:
            headers.append(("retry-after", str(retry)))
        body = b"<!DOCTYPE html><html><head><title>Too Many Requests</title></head><body>"
        body += b"<h1>429 Too Many Requests</h1></body></html>"
        return _Reply(429, body, headers=headers, note="rate_limited")

    def _sign(self, path: str, expires: int) -> str:
        mac = hmac.new(self._secret, f"{path}|{expires}".encode(), "sha256").digest()
        return base64.b64encode(mac[:18]).decode()

    def _image_urls(self, base: str, slide: SandboxSlide, stale: bool) -> list[str]:
        now = self._now()
        expires = now - 60 if stale else now + self.config.image_url_ttl
        path = f"/{BUCKET}/{slide.key}~tplv-photomode-image.{slide.ext}"
        query = urlencode(
            {
                "from": "photomode.AWEME_DETAIL",
                "x-expires": str(expires),
                "x-signature": self._sign(path, expires),
                "biz_tag": "tt_photomode",
                "sc": "image",
            }
        )
        return [f"{base}/cdn/{mirror}{path}?{query}" for mirror in MIRRORS]

    def _cookies_to_set(self, cookies: dict[str, str], secure: bool) -> list[tuple[str, str]]:
        flags = "; Path=/; SameSite=Lax" + ("; Secure" if secure else "")
        out = [("set-cookie", f"msToken={secrets.token_urlsafe(96)[:128]}{flags}; Max-Age=864000")]
        if "ttwid" not in cookies:
            ttwid = quote("1|" + secrets.token_urlsafe(32) + f"|{self._now()}|" + "0" * 16)
            out.append(("set-cookie", f"ttwid={ttwid}{flags}; Max-Age=31536000; HttpOnly"))
        chain = cookies.get("tt_chain_token")
        if not chain or chain not in self._chain_tokens:
            chain = secrets.token_urlsafe(18)
            self._chain_tokens.add(chain)
            out.append(("set-cookie", f"tt_chain_token={chain}{flags}; Max-Age=15552000; HttpOnly"))
        return out

    # ------------------------------------------------------------------ WAF challenge

    def _challenge_page(self) -> _Reply:
        answer = self.config.challenge_answer
        if answer is None:
            answer = secrets.randbelow(self.config.challenge_max_answer + 1)
        seed = secrets.token_bytes(16)
        a = _b64(seed)
        c = _b64(hashlib.sha256(seed + str(answer).encode()).digest())
        rs = secrets.token_hex(16)
        signature = _b64(hmac.new(self._secret, f"{a}|{c}".encode(), "sha256").digest())
        cs = _b64(
            json.dumps(
                {"v": {"a": a, "c": c}, "s": signature, "t": self._now()},
                separators=(",", ":"),
            ).encode()
        )
        self._issued[a] = _Issued(c=c, rs=rs)
        while len(self._issued) > 1000:
            del self._issued[next(iter(self._issued))]
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Please wait...</title><style>body{font-family:sans-serif;"
            "text-align:center;padding-top:20vh}</style></head><body>"
            '<div class="loading"><p>Please wait...</p></div>'
            f'<p id="wci" class="{WAF_COOKIE}"></p>'
            f'<p id="rci" class="{WAF_ORIGIN_COOKIE}"></p>'
            f'<p id="rs" class="{html.escape(rs)}"></p>'
            f'<p id="cs" class="{html.escape(cs)}"></p>'
            '<script src="/waf-aiso/1.0/waf.js" defer></script>'
            "</body></html>"
        )
        return _Reply(200, body.encode(), note="challenge")

    def _challenge_solved(self, cookies: dict[str, str]) -> bool:
        raw = cookies.get(WAF_COOKIE)
        if not raw:
            return False
        try:
            solution = json.loads(_unb64(raw))
            a = str(solution["v"]["a"])
            c = str(solution["v"]["c"])
            answer = _unb64(str(solution["d"]))
            signature = str(solution["s"])
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            return False
        issued = self._issued.get(a)
        if issued is None or issued.c != c:
            return False
        expected = _b64(hmac.new(self._secret, f"{a}|{c}".encode(), "sha256").digest())
        if not hmac.compare_digest(expected, signature):
            return False
        if not answer.isdigit() or hashlib.sha256(_unb64(a) + answer).digest() != _unb64(c):
            return False
        return cookies.get(WAF_ORIGIN_COOKIE) == issued.rs

    # ------------------------------------------------------------------ pages

    def handle_page(
        self,
        request_user: str,
        post_id: str,
        *,
        photo_path: bool,
        cookies: dict[str, str],
        base: str,
        secure: bool,
        user_agent: str,
    ) -> _Reply:
        with self._lock:
            limited = self._take_rate_limit()
            if limited is not None:
                limited.post_id = post_id
                return limited
            reply = self._page(request_user, post_id, photo_path, cookies, base, user_agent)
            reply.post_id = post_id
            if reply.status == 200 and reply.note != "challenge" and reply.body:
                reply.headers.extend(self._cookies_to_set(cookies, secure))
            return reply

    def _page(
        self,
        request_user: str,
        post_id: str,
        photo_path: bool,
        cookies: dict[str, str],
        base: str,
        user_agent: str,
    ) -> _Reply:
        mode = self.config.web_mode
        if mode == "forbidden":
            body = b"<html><head><title>Access Denied</title></head><body><h1>Access Denied"
            body += b"</h1><p>You don't have permission to access this page.</p></body></html>"
            return _Reply(403, body, note="forbidden")
        if mode == "empty":
            return _Reply(200, b"", note="empty")
        if mode == "captcha":
            body = (
                b"<!DOCTYPE html><html><head><title>Security Check</title></head><body>"
                b'<div id="captcha-verify-container"><div class="captcha_verify_bar">'
                b'Verify to continue</div><div class="captcha-verify-slide"></div></div>'
                b"</body></html>"
            )
            return _Reply(200, body, note="captcha")
        if self.config.challenge != "off":
            solved = self._challenge_solved(cookies)
            if not solved or self.config.challenge == "always":
                reply = self._challenge_page()
                if solved:
                    reply.headers.append(("x-sandbox-note", "solved-but-challenged-again"))
                return reply
        redirect = self.config.page_redirect
        if redirect and request_user in ("", "_"):
            if redirect == "user_path":
                post = self._posts.get(post_id)
                user = post.author.unique_id if post is not None else "_"
                redirect = f"{REAL_WEB}/@{user}/video/{post_id}?is_from_webapp=1"
            return _Reply(301, b"", headers=[("location", redirect)], note="redirect")
        session = self._logged_in(cookies)
        if mode == "login_wall" and session is None:
            target = f"{REAL_WEB}/@{request_user}/video/{post_id}"
            location = f"{REAL_WEB}/login?" + urlencode(
                {"redirect_url": target, "lang": "en", "enter_method": "mandatory"}
            )
            return _Reply(302, b"", headers=[("location", location)], note="login_wall")
        post = self._posts.get(post_id)
        include_detail = not photo_path
        if post is not None and post.canonical_only and request_user in ("", "_"):
            include_detail = False
        stale = False
        has_images = post is not None and post.kind == "photo" and post.status not in STATUS_CODES
        if include_detail and has_images and self.config.stale_image_urls > 0:
            self.config.stale_image_urls -= 1
            stale = True
        detail, note = self._video_detail(post, post_id, session, base, stale)
        canonical_user = post.author.unique_id if post is not None else request_user or "_"
        canonical = f"{REAL_WEB}/@{canonical_user}/video/{post_id}"
        page_html = self._render_page(
            post, post_id, detail if include_detail else None, canonical, base, user_agent
        )
        if not include_detail:
            note = "no_detail"
        elif stale:
            note = (note + " stale_urls").strip()
        return _Reply(200, page_html.encode(), note=note, gzip_ok=True)

    def _video_detail(
        self,
        post: SandboxPost | None,
        post_id: str,
        session: str | None,
        base: str,
        stale: bool,
    ) -> tuple[dict[str, Any], str]:
        if post is None:
            code, msg = STATUS_CODES["deleted"]
            return {"statusCode": code, "statusMsg": msg, "shareMeta": {}}, "unknown_post"
        if post.status in STATUS_CODES:
            can_see = post.status in ("private", "private_account") and session in post.viewers
            if not can_see:
                code, msg = STATUS_CODES[post.status]
                return {"statusCode": code, "statusMsg": msg, "shareMeta": {}}, post.status
        item = self._item_struct(post, base, stale)
        note = "ok"
        if post.status == "content_classified":
            item["isContentClassified"] = True
            if session is None:
                item.pop("imagePost", None)
                item["video"]["playAddr"] = ""
                item["video"]["downloadAddr"] = ""
                note = "content_classified"
        return (
            {
                "itemInfo": {"itemStruct": item},
                "shareMeta": {
                    "title": f"{post.author.nickname} on TikTok",
                    "desc": post.desc[:120],
                },
                "statusCode": 0,
                "statusMsg": "",
                "needFix": True,
            },
            note,
        )

    def _text_extra(self, post: SandboxPost) -> list[dict[str, Any]]:
        extras: list[dict[str, Any]] = []
        for match in _HASHTAG.finditer(post.desc):
            tag = match.group(1)
            extras.append(
                {
                    "awemeId": "",
                    "start": match.start(),
                    "end": match.end(),
                    "hashtagName": tag,
                    "hashtagId": str(
                        int(hashlib.sha256(tag.lower().encode()).hexdigest()[:15], 16)
                    ),
                    "type": 1,
                    "subType": 0,
                    "isCommerce": False,
                    "userId": "",
                    "userUniqueId": "",
                    "secUid": "",
                }
            )
        return extras

    def _item_struct(self, post: SandboxPost, base: str, stale: bool) -> dict[str, Any]:
        author = post.author
        first = post.slides[0] if post.slides else None
        width, height = (first.width, first.height) if first else (1080, 1920)
        cover = self._image_urls(base, first, stale)[0] if first else ""
        extras = self._text_extra(post)
        item: dict[str, Any] = {
            "id": post.id,
            "desc": post.desc,
            "createTime": str(post.create_time),
            "scheduleTime": 0,
            "video": {
                "id": "" if post.kind == "photo" else post.id,
                "height": height,
                "width": width,
                "duration": 0 if post.kind == "photo" else post.video_duration,
                "ratio": "720p",
                "cover": cover,
                "originCover": cover,
                "dynamicCover": "",
                "playAddr": ""
                if post.kind == "photo"
                else f"{base}/video/tos/useast2a/{post.id}/?a=1988&bti=sandbox",
                "downloadAddr": ""
                if post.kind == "photo"
                else f"{base}/video/tos/useast2a/{post.id}/?a=1988&bti=sandbox&dl=1",
                "format": "" if post.kind == "photo" else "mp4",
                "videoQuality": "normal",
                "VQScore": "",
            },
            "author": {
                "id": author.id,
                "shortId": "",
                "uniqueId": author.unique_id,
                "nickname": author.nickname,
                "avatarLarger": f"{base}/cdn/p16-sign-va/avatar/{author.id}~c5_1080x1080.jpeg",
                "signature": "",
                "verified": False,
                "secUid": author.sec_uid,
                "secret": post.status == "private_account",
                "privateAccount": post.status == "private_account",
                "openFavorite": False,
                "commentSetting": 0,
                "duetSetting": 0,
                "stitchSetting": 0,
                "downloadSetting": 0,
                "ftc": False,
                "relation": 0,
            },
            "challenges": [
                {"id": e["hashtagId"], "title": e["hashtagName"], "desc": "", "isCommerce": False}
                for e in extras
            ],
            "stats": {
                "diggCount": 12_400,
                "shareCount": 310,
                "commentCount": 98,
                "playCount": 245_000,
                "collectCount": "1520",
            },
            "statsV2": {
                "diggCount": "12400",
                "shareCount": "310",
                "commentCount": "98",
                "playCount": "245000",
                "collectCount": "1520",
                "repostCount": "0",
            },
            "warnInfo": [],
            "originalItem": False,
            "officalItem": False,
            "textExtra": extras,
            "secret": False,
            "forFriend": False,
            "digged": False,
            "itemCommentStatus": 0,
            "takeDown": 0,
            "effectStickers": [],
            "privateItem": post.status == "private",
            "duetEnabled": True,
            "stitchEnabled": True,
            "stickersOnItem": [],
            "isAd": False,
            "shareEnabled": True,
            "comments": [],
            "duetDisplay": 0,
            "stitchDisplay": 0,
            "indexEnabled": True,
            "locationCreated": "US",
            "suggestedWords": [],
            "contents": [{"desc": post.desc, "textExtra": extras}],
            "collected": False,
            "channelTags": [],
            "item_control": {"can_repost": True},
            "textLanguage": "en",
            "textTranslatable": False,
            "AIGCDescription": "",
            "backendSourceEventTracking": "",
        }
        if post.music is not None:
            music = post.music
            item["music"] = {
                "id": music.id,
                "title": music.title,
                "playUrl": f"{base}/cdn/ies-music/{music.id}.mp3",
                "coverLarge": cover,
                "authorName": music.author,
                "original": music.original,
                "duration": music.duration,
                "album": "",
                "isCopyrighted": not music.original,
            }
        if post.kind == "photo":
            images = []
            for slide in post.slides:
                images.append(
                    {
                        "imageURL": {"urlList": self._image_urls(base, slide, stale)},
                        "imageWidth": slide.width,
                        "imageHeight": slide.height,
                    }
                )
            cover_entry = dict(images[0])
            item["imagePost"] = {
                "images": images,
                "cover": cover_entry,
                "shareCover": cover_entry,
                "title": post.title,
            }
        return item

    def _app_context(self, user_agent: str) -> dict[str, Any]:
        return {
            "language": "en",
            "region": "US",
            "appId": 1233,
            "appType": "m",
            "user": {},
            "wid": str(secrets.randbelow(10**19)),
            "webIdCreatedTime": str(self._now()),
            "odinId": str(secrets.randbelow(10**19)),
            "nonce": secrets.token_hex(16),
            "botType": "others",
            "requestId": secrets.token_hex(16).upper(),
            "clusterRegion": "US",
            "userAgent": user_agent,
            "encryptedWebid": "",
            "host": "www.tiktok.com",
        }

    def _render_page(
        self,
        post: SandboxPost | None,
        post_id: str,
        detail: dict[str, Any] | None,
        canonical: str,
        base: str,
        user_agent: str,
    ) -> str:
        nickname = post.author.nickname if post is not None else "TikTok"
        desc = post.desc if post is not None else ""
        title = f"{desc[:60]} | TikTok" if desc else f"{nickname} | TikTok"
        if self.config.page_format == "universal":
            scope: dict[str, Any] = {
                "webapp.app-context": self._app_context(user_agent),
                "webapp.biz-context": {"renderAbTest": {}, "isGoogleBot": False},
                "seo.abtest": {
                    "canonical": canonical,
                    "pageId": post_id,
                    "vidList": [],
                    "parameters": [],
                },
            }
            if detail is not None:
                scope["webapp.video-detail"] = detail
            script = (
                '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
                + _json_for_script({"__DEFAULT_SCOPE__": scope})
                + "</script>"
            )
        else:
            sigi = self._sigi_state(detail, post_id, canonical, user_agent)
            if self.config.page_format == "sigi":
                script = (
                    '<script id="SIGI_STATE" type="application/json">'
                    + _json_for_script(sigi)
                    + "</script>"
                )
            else:
                script = (
                    "<script id=\"sigi-persisted-data\">window['SIGI_STATE']="
                    + _json_for_script(sigi)
                    + ";window['SIGI_RETRY']="
                    + _json_for_script({"VideoPage": sigi["VideoPage"]})
                    + "</script>"
                )
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charSet="UTF-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f'<title data-rh="true">{html.escape(title)}</title>'
            f'<meta data-rh="true" name="description" content="{html.escape(desc[:150])}"/>'
            f'<meta data-rh="true" property="og:title" content="{html.escape(nickname)}"/>'
            f'<link data-rh="true" rel="canonical" href="{html.escape(canonical)}"/>'
            '<link rel="stylesheet" href="https://sf16-website-login.neutral.ttwstatic.com/'
            'obj/tiktok_web_login_static/tiktok/webapp/main/webapp-desktop/app.css"/>'
            '</head><body><div id="app"><div id="main-content-video_detail"></div></div>'
            + script
            + '<script id="api-domains" type="application/json">'
            + _json_for_script({"webcast": "webcast.tiktok.com", "tiktok": base})
            + "</script>"
            '<script crossorigin="anonymous" src="https://sf16-website-login.neutral.'
            "ttwstatic.com/obj/tiktok_web_login_static/tiktok/webapp/main/webapp-desktop/"
            'npm-async-bundle.js" async=""></script></body></html>'
        )

    def _sigi_state(
        self, detail: dict[str, Any] | None, post_id: str, canonical: str, user_agent: str
    ) -> dict[str, Any]:
        item = (detail or {}).get("itemInfo", {}).get("itemStruct")
        users: dict[str, Any] = {}
        items: dict[str, Any] = {}
        if isinstance(item, dict):
            sigi_item = dict(item)
            author = sigi_item.pop("author")
            sigi_item["author"] = author["uniqueId"]
            sigi_item["nickname"] = author["nickname"]
            sigi_item["authorId"] = author["id"]
            sigi_item["authorSecId"] = author["secUid"]
            items[post_id] = sigi_item
            users[author["uniqueId"]] = author
        status = (detail or {}).get("statusCode", 0) if detail is not None else 0
        return {
            "AppContext": {"appContext": self._app_context(user_agent)},
            "SEO": {"canonical": canonical, "metaParams": {}},
            "ItemModule": items,
            "ItemList": {"video": {"list": list(items), "browserList": list(items)}},
            "UserModule": {"users": users, "stats": {}},
            "VideoPage": {
                "statusCode": status,
                "statusMsg": (detail or {}).get("statusMsg", ""),
            },
        }

    def handle_home(self, cookies: dict[str, str], secure: bool, user_agent: str) -> _Reply:
        with self._lock:
            scope = {
                "__DEFAULT_SCOPE__": {
                    "webapp.app-context": self._app_context(user_agent),
                    "seo.abtest": {"canonical": REAL_WEB + "/", "pageId": "", "vidList": []},
                }
            }
            body = (
                '<!DOCTYPE html><html lang="en"><head><meta charSet="UTF-8"/>'
                '<title>TikTok - Make Your Day</title></head><body><div id="app"></div>'
                '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
                + _json_for_script(scope)
                + "</script></body></html>"
            )
            reply = _Reply(200, body.encode(), kind="home", gzip_ok=True)
            reply.headers.extend(self._cookies_to_set(cookies, secure))
            return reply

    def handle_login(self) -> _Reply:
        body = (
            b'<!DOCTYPE html><html lang="en"><head><title>Log in | TikTok</title></head>'
            b'<body><div id="loginContainer"><h2>Log in to TikTok</h2></div></body></html>'
        )
        return _Reply(200, body, kind="login")

    # ------------------------------------------------------------------ short links

    def handle_short_link(self, code: str) -> _Reply:
        with self._lock:
            limited = self._take_rate_limit()
            if limited is not None:
                limited.kind = "short_link"
                return limited
            entry = self._short_links.get(code)
            if entry is None:
                location, note = HOME_REDIRECT, "dead"
            elif entry.startswith("url:"):
                location, note = entry[4:], "target"
            else:
                post = self._posts.get(entry[5:])
                if post is None:
                    location, note = HOME_REDIRECT, "dead"
                else:
                    kind = "photo" if post.kind == "photo" else "video"
                    query = urlencode(
                        {
                            "_r": "1",
                            "_d": secrets.token_hex(10),
                            "checksum": secrets.token_hex(32),
                            "sec_user_id": post.author.sec_uid,
                            "share_app_id": "1233",
                            "share_item_id": post.id,
                            "share_link_id": secrets.token_hex(16),
                            "source": "h5_m",
                            "timestamp": str(self._now()),
                            "u_code": secrets.token_hex(6),
                            "utm_campaign": "client_share",
                            "utm_medium": "ios",
                            "utm_source": "copy",
                        }
                    )
                    location = f"{REAL_WEB}/@{post.author.unique_id}/{kind}/{post.id}?{query}"
                    note = "post"
            body = f'<a href="{html.escape(location)}">Moved Permanently</a>.'.encode()
            return _Reply(301, body, headers=[("location", location)], kind="short_link", note=note)

    # ------------------------------------------------------------------ images

    def handle_image(
        self, mirror: str, bucket: str, name: str, query: dict[str, str], cookies: dict[str, str]
    ) -> _Reply:
        with self._lock:
            match = _KEY_NAME.fullmatch(name)
            found = self._keys.get(match.group("key")) if match else None
            if match is None or found is None or mirror not in MIRRORS or bucket != BUCKET:
                return _Reply(404, b"Not Found", "text/plain", kind="image", note="unknown")
            post_id, index = found
            post = self._posts[post_id]
            slide = post.slides[index]
            reply = _Reply(200, kind="image", post_id=post_id, note=f"slide {index}")
            if post.broken_mirror and mirror == MIRRORS[0]:
                reply.status, reply.body, reply.note = 503, b"Service Unavailable", "mirror_down"
                return reply
            path = f"/{bucket}/{name}"
            expires_raw = query.get("x-expires", "")
            signature = query.get("x-signature", "")
            if not expires_raw.isdigit() or not hmac.compare_digest(
                self._sign(path, int(expires_raw)), signature
            ):
                reply.status, reply.body, reply.note = 403, b"Access Denied", "bad_signature"
                return reply
            if ("." + slide.ext) != name[name.rindex(".") :]:
                reply.status, reply.body, reply.note = 403, b"Access Denied", "bad_signature"
                return reply
            if self._now() > int(expires_raw):
                reply.status, reply.body, reply.note = 403, b"Access Denied", "expired"
                return reply
            if self.config.images_require_session:
                chain = cookies.get("tt_chain_token")
                if not chain or chain not in self._chain_tokens:
                    reply.status, reply.body, reply.note = 403, b"Access Denied", "no_session"
                    return reply
            reply.body = slide.data
            reply.content_type = IMAGE_ENDINGS[slide.ext]
            reply.headers.append(("cache-control", "max-age=2592000"))
            reply.headers.append(("x-expires", expires_raw))
            return reply

    def base_url_for(self, request: Request) -> str:
        with self._lock:
            configured = self.config.public_base_url
        if configured:
            return configured.rstrip("/")
        return str(request.base_url).rstrip("/")


# ---------------------------------------------------------------------------------- HTTP


def _respond(sandbox: TikTokWebSandbox, request: Request, reply: _Reply) -> Response:
    sandbox.record(request, reply)
    headers = list(reply.headers)
    body = reply.body
    accepts_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    if reply.gzip_ok and accepts_gzip and len(body) >= 1024:
        body = gzip.compress(body, compresslevel=5)
        headers.append(("content-encoding", "gzip"))
        headers.append(("vary", "Accept-Encoding"))
    headers.append(("x-tt-logid", secrets.token_hex(16).upper()))
    response = Response(body, status_code=reply.status, media_type=reply.content_type)
    for name, value in headers:
        response.headers.append(name, value)
    return response


def _request_cookies(request: Request) -> dict[str, str]:
    return dict(request.cookies)


class _Admin:
    def __init__(self, sandbox: TikTokWebSandbox) -> None:
        self.sandbox = sandbox

    async def _body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise SandboxError("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise SandboxError("the body must be a JSON object")
        return cast(dict[str, Any], data)

    async def dispatch(self, request: Request) -> Response:
        try:
            return await self._dispatch(request)
        except SandboxError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    async def _dispatch(self, request: Request) -> Response:
        sandbox = self.sandbox
        parts = [p for p in request.path_params.get("rest", "").split("/") if p]
        method = request.method
        if parts == ["posts"] and method == "GET":
            return JSONResponse({"posts": [p.summary() for p in sandbox.posts()]})
        if parts == ["posts"] and method == "POST":
            post = self._create_post(await self._body(request))
            return JSONResponse(post.summary(), status_code=201)
        if len(parts) == 2 and parts[0] == "posts":
            if method == "GET":
                return JSONResponse(sandbox.get_post(parts[1]).summary())
            if method == "PATCH":
                body = await self._body(request)
                return JSONResponse(sandbox.update_post(parts[1], **body).summary())
            if method == "DELETE":
                sandbox.remove_post(parts[1])
                return Response(status_code=204)
        if parts == ["short-links"] and method == "POST":
            body = await self._body(request)
            code = sandbox.add_short_link(
                body.get("code"), post_id=body.get("post_id"), target=body.get("target")
            )
            return JSONResponse({"code": code}, status_code=201)
        if parts == ["sessions"] and method == "POST":
            body = await self._body(request)
            session = body.get("sessionid")
            if not isinstance(session, str) or not session:
                raise SandboxError("sessionid is required")
            sandbox.add_session(session)
            return JSONResponse({"sessionid": session}, status_code=201)
        if parts == ["config"] and method in ("GET", "PUT", "PATCH"):
            body = await self._body(request) if method != "GET" else {}
            return JSONResponse(asdict(sandbox.configure(**body)))
        if parts == ["requests"] and method == "GET":
            kind = request.query_params.get("kind")
            return JSONResponse({"requests": [r.as_json() for r in sandbox.requests(kind)]})
        if parts == ["requests"] and method == "DELETE":
            sandbox.clear_requests()
            return Response(status_code=204)
        if parts == ["reset"] and method == "POST":
            sandbox.reset()
            return Response(status_code=204)
        raise SandboxError(f"no admin endpoint {method} {ADMIN}/{'/'.join(parts)}", 404)

    def _create_post(self, body: dict[str, Any]) -> SandboxPost:
        kind = body.get("kind", "photo")
        author = body.get("author", "creator")
        nickname = body.get("nickname")
        if isinstance(author, dict):
            nickname = author.get("nickname", nickname)
            author = author.get("unique_id", "creator")
        common: dict[str, Any] = {
            "post_id": body.get("id"),
            "author": str(author),
            "nickname": nickname,
            "caption": str(body.get("caption", "")),
            "hashtags": [str(t) for t in body.get("hashtags", [])],
            "music": body.get("music"),
            "status": body.get("status", "public"),
            "viewers": [str(v) for v in body.get("viewers", [])],
        }
        if kind == "video":
            return self.sandbox.add_video_post(**common, duration=int(body.get("duration", 15)))
        if kind != "photo":
            raise SandboxError("kind must be photo or video")
        slides: list[bytes] = []
        endings: list[str] = []
        for slide in body.get("slides", []):
            entry = slide if isinstance(slide, dict) else {"data": slide}
            try:
                slides.append(base64.b64decode(str(entry["data"]), validate=True))
            except (KeyError, binascii.Error, ValueError):
                raise SandboxError("slides[].data must be base64 image bytes") from None
            endings.append(str(entry.get("ending", "jpeg")))
        return self.sandbox.add_photo_post(
            slides,
            **common,
            title=str(body.get("title", "")),
            endings=endings,
            canonical_only=bool(body.get("canonical_only", False)),
            broken_mirror=bool(body.get("broken_mirror", False)),
        )


def create_app(sandbox: TikTokWebSandbox | None = None) -> Starlette:
    """The TikTok web sandbox as an ASGI app; ``app.state.sandbox`` is its state.

    Admin API (JSON) under ``/__sandbox/``: ``GET|POST posts`` (POST body: kind photo|video,
    id?, author (name or {unique_id, nickname}), caption, hashtags[], music {id?, title,
    author, original, duration}?, title, slides [{data: base64, ending?}], status, viewers[],
    canonical_only, broken_mirror), ``GET|PATCH|DELETE posts/{id}``, ``POST short-links``
    ({code?, post_id | target}), ``POST sessions`` ({sessionid}), ``GET|PUT config`` (the
    ``WebConfig`` fields), ``GET|DELETE requests`` (``?kind=page|short_link|image|…``),
    ``POST reset``."""
    state = sandbox or TikTokWebSandbox()
    admin = _Admin(state)

    async def page(request: Request) -> Response:
        match = re.fullmatch(r"/@([^/]*)/(photo|video)/(\d{1,25})/?", request.url.path)
        if match is None:
            return await not_found(request)
        reply = state.handle_page(
            match.group(1),
            match.group(3),
            photo_path=match.group(2) == "photo",
            cookies=_request_cookies(request),
            base=state.base_url_for(request),
            secure=request.url.scheme == "https",
            user_agent=request.headers.get("user-agent", ""),
        )
        return _respond(state, request, reply)

    async def short_link(request: Request) -> Response:
        code = str(request.path_params["code"]).strip("/")
        if not re.fullmatch(r"[A-Za-z0-9]{1,64}", code):
            return _respond(state, request, _Reply(404, b"Not Found", "text/plain", kind="other"))
        return _respond(state, request, state.handle_short_link(code))

    async def image(request: Request) -> Response:
        reply = state.handle_image(
            str(request.path_params["mirror"]),
            str(request.path_params["bucket"]),
            str(request.path_params["name"]),
            dict(request.query_params),
            _request_cookies(request),
        )
        return _respond(state, request, reply)

    async def home(request: Request) -> Response:
        secure = request.url.scheme == "https"
        ua = request.headers.get("user-agent", "")
        return _respond(state, request, state.handle_home(_request_cookies(request), secure, ua))

    async def login(request: Request) -> Response:
        return _respond(state, request, state.handle_login())

    async def not_found(request: Request) -> Response:
        return _respond(state, request, _Reply(404, b"Not Found", "text/plain", kind="other"))

    get = ["GET", "HEAD"]
    routes = [
        Route(
            ADMIN + "/{rest:path}",
            admin.dispatch,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        ),
        Route("/", home, methods=get),
        Route("/login", login, methods=get),
        Route("/t/{code:path}", short_link, methods=get),
        Route("/vm/{code:path}", short_link, methods=get),
        Route("/vt/{code:path}", short_link, methods=get),
        Route("/cdn/{mirror}/{bucket}/{name}", image, methods=get),
        Route("/{rest:path}", page, methods=get),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app
