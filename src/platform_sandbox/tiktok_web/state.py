"""``TikTokWebSandbox``: the in-memory state of the TikTok web sandbox (posts and their image
keys, short links, sessions, the site's options, the request log) and its Python API. The
site's answers are built from it by ``pages.py``, ``images.py`` and ``admin.py``."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal, Unpack

from starlette.requests import Request

from platform_sandbox.common import SandboxError
from platform_sandbox.tiktok_web.challenge import WafChallenges
from platform_sandbox.tiktok_web.engagement import (
    DEFAULT_REACH,
    ItemCounters,
    ProfileCounters,
    item_counters,
    profile_counters,
)
from platform_sandbox.tiktok_web.posts import (
    PostFields,
    author_named,
    desc_with_hashtags,
    image_size,
    music_from,
)
from platform_sandbox.tiktok_web.records import (
    IMAGE_ENDINGS,
    POST_STATUSES,
    PROFILE_STATUSES,
    LoggedRequest,
    SandboxPost,
    SandboxProfile,
    SandboxSlide,
    ShortLink,
    WebConfig,
    WebReply,
    check_option,
)
from platform_sandbox.tiktok_web.signing import ImageSigner
from slideforge.kit.clock import Clock, SystemClock

_POST_ID = re.compile(r"\d{1,25}")
_SHORT_CODE = re.compile(r"[A-Za-z0-9]{2,32}")
_FIRST_POST_ID = 7_490_000_000_000_000_001
_LOG_KEPT = 5000


class TikTokWebSandbox:
    """In-memory, thread-safe state of the TikTok web sandbox, with a Python API."""

    def __init__(self, clock: Clock | None = None, *, secret: bytes | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._secret = secret or secrets.token_bytes(32)
        self.signer = ImageSigner(self._secret)
        self.lock = threading.RLock()
        """Held while an answer is built from the state (``pages.py``, ``images.py``)."""
        self.reset()

    # ------------------------------------------------------------------ options

    def reset(self) -> None:
        """Forget every post, link, session, log entry and mode (back to defaults)."""
        with self.lock:
            self.config = WebConfig()
            self.challenges = WafChallenges(self._secret)
            self._posts: dict[str, SandboxPost] = {}
            self._profiles: dict[str, SandboxProfile] = {}
            self._keys: dict[str, tuple[str, int]] = {}
            self._short_links: dict[str, ShortLink] = {}
            self._sessions: set[str] = set()
            self._chain_tokens: set[str] = set()
            self._log: list[LoggedRequest] = []
            self._next_id = _FIRST_POST_ID

    def configure(self, **changes: Any) -> WebConfig:
        """Change site behaviour: web_mode, page_format, challenge, challenge_answer,
        challenge_max_answer, rate_limit_count, rate_limit_retry_after, stale_image_urls,
        images_require_session, image_url_ttl, public_base_url, page_redirect."""
        with self.lock:
            for name, value in changes.items():
                check_option(name, value)
                setattr(self.config, name, value)
            return WebConfig(**asdict(self.config))

    def rate_limit(self, count: int = 1, retry_after: int | str | None = 30) -> None:
        """The next ``count`` page and short-link requests answer 429."""
        self.configure(rate_limit_count=count, rate_limit_retry_after=retry_after)

    def add_session(self, sessionid: str) -> None:
        """A logged-in session: requests with cookie ``sessionid=<it>`` are logged in."""
        with self.lock:
            self._sessions.add(sessionid)

    # ------------------------------------------------------------------ posts

    def add_photo_post(
        self,
        slides: Sequence[bytes],
        *,
        title: str = "",
        endings: str | Sequence[str] = "jpeg",
        canonical_only: bool = False,
        broken_mirror: bool = False,
        **fields: Unpack[PostFields],
    ) -> SandboxPost:
        """Register a photo post. ``slides`` are the image bytes (any number, any format:
        nothing is checked, so broken bytes can be served on purpose); ``endings`` sets the
        URL ending of each slide (jpeg, jpg, image, webp, heic); ``fields``: see
        ``PostFields``."""
        if not slides:
            raise SandboxError("a photo post needs at least one slide")
        ends = [endings] * len(slides) if isinstance(endings, str) else list(endings)
        if len(ends) != len(slides) or any(e not in IMAGE_ENDINGS for e in ends):
            raise SandboxError(f"endings must be one of {sorted(IMAGE_ENDINGS)} per slide")
        post = self._new_post("photo", fields, title=title)
        post.canonical_only = canonical_only
        post.broken_mirror = broken_mirror
        return self._register(post, list(zip(slides, ends, strict=True)))

    def add_video_post(self, *, duration: int = 15, **fields: Unpack[PostFields]) -> SandboxPost:
        """Register a video post (its page has no ``imagePost``); ``fields``: see
        ``PostFields``."""
        post = self._new_post("video", fields, title="")
        post.video_duration = duration
        return self._register(post, [])

    def _new_post(
        self, kind: Literal["photo", "video"], fields: PostFields, *, title: str
    ) -> SandboxPost:
        """The post ``fields`` describe, not registered yet (its id is "" when none is given)."""
        status = fields.get("status", "public")
        if status not in POST_STATUSES:
            raise SandboxError(f"status must be one of {list(POST_STATUSES)}")
        post_id = fields.get("post_id")
        if post_id is not None and not _POST_ID.fullmatch(post_id):
            raise SandboxError("post_id must be digits")
        created_at = fields.get("created_at")
        created = self.now_seconds() if created_at is None else int(created_at.timestamp())
        author = author_named(fields.get("author", "creator"), fields.get("nickname"))
        profile = self.find_profile(author.unique_id)
        if profile is not None and fields.get("nickname") is None:
            author = profile.author
        return SandboxPost(
            id=post_id or "",
            kind=kind,
            author=author,
            desc=desc_with_hashtags(fields.get("caption", ""), fields.get("hashtags", ())),
            title=title,
            music=music_from(fields.get("music")),
            slides=[],
            status=status,
            viewers=set(fields.get("viewers", ())),
            create_time=created,
        )

    def _register(self, post: SandboxPost, slides: list[tuple[bytes, str]]) -> SandboxPost:
        """Give ``post`` its id (a new one when it has none) and its slides' keys, and keep
        it (replacing the post of the same id)."""
        with self.lock:
            if not post.id:
                post.id = str(self._next_id)
                self._next_id += 1
            self._drop_keys(post.id)
            for index, (data, ending) in enumerate(slides):
                key = self.signer.slide_key(post.id, index)
                width, height = image_size(data)
                post.slides.append(SandboxSlide(bytes(data), ending, width, height, key))
                self._keys[key] = (post.id, index)
            self._posts[post.id] = post
            return post

    def _drop_keys(self, post_id: str) -> None:
        for key in [k for k, (pid, _i) in self._keys.items() if pid == post_id]:
            del self._keys[key]

    def update_post(self, post_id: str, **changes: Any) -> SandboxPost:
        """Change ``status``, ``viewers``, ``canonical_only`` or ``broken_mirror``."""
        with self.lock:
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
        with self.lock:
            post = self._posts.get(post_id)
            if post is None:
                raise SandboxError(f"no post {post_id}", status=404, code="not_found")
            return post

    def find_post(self, post_id: str) -> SandboxPost | None:
        with self.lock:
            return self._posts.get(post_id)

    def posts(self) -> list[SandboxPost]:
        with self.lock:
            return list(self._posts.values())

    def remove_post(self, post_id: str) -> None:
        with self.lock:
            self.get_post(post_id)
            del self._posts[post_id]
            self._drop_keys(post_id)

    def slide_by_key(self, key: str) -> tuple[SandboxPost, int] | None:
        """The post and slide index of an image object key."""
        with self.lock:
            found = self._keys.get(key)
            return None if found is None else (self._posts[found[0]], found[1])

    # ------------------------------------------------------------------ profiles

    def add_profile(
        self,
        handle: str,
        *,
        nickname: str | None = None,
        signature: str = "",
        verified: bool = False,
        private: bool = False,
        status: str = "active",
        followers: int = 0,
        following: int = 0,
        hearts: int = 0,
        diggs: int = 0,
    ) -> SandboxProfile:
        """Register the account ``handle`` (replacing one of the same name): its page
        ``/@{handle}`` and its item list show it and the posts whose author it is.
        ``followers`` and ``hearts`` are its counters before its items' own counters count;
        ``status`` "banned" serves TikTok's banned-account page."""
        if status not in PROFILE_STATUSES:
            raise SandboxError(f"status must be one of {list(PROFILE_STATUSES)}")
        counts = {"followers": followers, "following": following, "hearts": hearts}
        counts["diggs"] = diggs
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SandboxError(f"{name} must be a non-negative integer")
        profile = SandboxProfile(
            author=author_named(handle, nickname),
            signature=str(signature),
            verified=bool(verified),
            private=bool(private),
            status=status,
            **counts,
        )
        with self.lock:
            self._profiles[handle.casefold()] = profile
        return profile

    def update_profile(self, handle: str, **changes: Any) -> SandboxProfile:
        """Change ``nickname``, ``signature``, ``verified``, ``private``, ``status`` or a
        base counter (``followers``, ``following``, ``hearts``, ``diggs``)."""
        with self.lock:
            profile = self.get_profile(handle)
            current: dict[str, Any] = profile.summary()
            current["nickname"] = profile.author.nickname
            for name in ("handle", "author"):
                del current[name]
            unknown = sorted(set(changes) - set(current))
            if unknown:
                raise SandboxError(f"cannot change {unknown} of a profile")
            return self.add_profile(profile.handle, **{**current, **changes})

    def get_profile(self, handle: str) -> SandboxProfile:
        profile = self.find_profile(handle)
        if profile is None:
            raise SandboxError(f"no profile @{handle}", status=404, code="not_found")
        return profile

    def find_profile(self, handle: str) -> SandboxProfile | None:
        with self.lock:
            return self._profiles.get(handle.casefold())

    def profiles(self) -> list[SandboxProfile]:
        with self.lock:
            return list(self._profiles.values())

    def remove_profile(self, handle: str) -> None:
        with self.lock:
            self.get_profile(handle)
            del self._profiles[handle.casefold()]

    def profile_items(self, profile: SandboxProfile) -> list[SandboxPost]:
        """The account's posts a visitor's item list shows, newest first: public (and
        content-classified) posts created by now."""
        now = self.now_seconds()
        with self.lock:
            mine = [
                post
                for post in self._posts.values()
                if post.author.unique_id.casefold() == profile.handle.casefold()
                and post.status in ("public", "content_classified")
                and post.create_time <= now
            ]
        return sorted(mine, key=lambda post: (post.create_time, int(post.id)), reverse=True)

    def item_counters(self, post: SandboxPost) -> ItemCounters:
        """The post's counters now (``engagement.py``); the reach is its author's followers
        (twice, at least 1,000) when the author has a profile."""
        profile = self.find_profile(post.author.unique_id)
        reach = DEFAULT_REACH if profile is None else max(1_000, 2 * profile.followers)
        return item_counters(
            self.config.engagement_seed, post.id, post.create_time, self.now_seconds(), reach
        )

    def profile_counters(self, profile: SandboxProfile) -> ProfileCounters:
        return profile_counters(
            followers_base=profile.followers,
            following=profile.following,
            hearts_base=profile.hearts,
            diggs=profile.diggs,
            items=[self.item_counters(post) for post in self.profile_items(profile)],
        )

    # ------------------------------------------------------------------ short links

    def add_short_link(
        self, code: str | None = None, *, post_id: str | None = None, target: str | None = None
    ) -> str:
        """A short link (served on /t/, /vm/ and /vt/) to a post, or to any ``target`` URL
        (to test that the fetcher refuses non-post targets). Returns the code."""
        if (post_id is None) == (target is None):
            raise SandboxError("give exactly one of post_id or target")
        code = code or "ZM" + secrets.token_hex(4)
        if not _SHORT_CODE.fullmatch(code):
            raise SandboxError("code must be 2-32 letters or digits")
        with self.lock:
            if post_id is not None:
                self.get_post(post_id)
                self._short_links[code] = ShortLink(post_id=post_id)
            else:
                self._short_links[code] = ShortLink(target=str(target))
            return code

    def short_link(self, code: str) -> ShortLink | None:
        with self.lock:
            return self._short_links.get(code)

    # ------------------------------------------------------------------ visitors

    def session_of(self, cookies: dict[str, str]) -> str | None:
        """The registered ``sessionid`` the cookies carry (None: not logged in)."""
        session = cookies.get("sessionid")
        with self.lock:
            return session if session and session in self._sessions else None

    def knows_chain_token(self, token: str | None) -> bool:
        with self.lock:
            return bool(token) and token in self._chain_tokens

    def new_chain_token(self) -> str:
        """A ``tt_chain_token`` for a visitor (images may require a known one)."""
        token = secrets.token_urlsafe(18)
        with self.lock:
            self._chain_tokens.add(token)
        return token

    def count_down(self, option: Literal["rate_limit_count", "stale_image_urls"]) -> bool:
        """Whether this request is one of the next N the option counts (429 answers, pages
        with expired image URLs); counts it."""
        with self.lock:
            left: int = getattr(self.config, option)
            if left <= 0:
                return False
            setattr(self.config, option, left - 1)
            return True

    def now_seconds(self) -> int:
        return int(self.clock.now().timestamp())

    # ------------------------------------------------------------------ request log

    def requests(self, kind: str | None = None) -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self._log if kind is None or r.kind == kind]

    def clear_requests(self) -> None:
        with self.lock:
            self._log.clear()

    def record(self, request: Request, reply: WebReply) -> None:
        """Log one answered request (called by the HTTP layer); the last 5000 are kept."""
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
        with self.lock:
            self._log.append(entry)
            del self._log[:-_LOG_KEPT]
