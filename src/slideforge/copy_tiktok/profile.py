"""Read a public TikTok profile that is not ours (a competitor): its counters and its newest
posts with theirs, from TikTok's public web pages, into the analytics shapes
(``publishing.platforms.metrics``).

Two requests and then one per page of posts, in one cookie-keeping session through SafeHttp,
with the post fetcher's configuration, cookies file, proxy, WAF challenge solver and error
mapping (``fetch.py``):

1. ``GET {web_base}/@{handle}``: the ``__UNIVERSAL_DATA_FOR_REHYDRATION__`` JSON's
   ``__DEFAULT_SCOPE__["webapp.user-detail"]`` carries ``userInfo.user`` (``id``,
   ``uniqueId``, ``nickname``, ``avatarThumb``, ``secUid``, ``privateAccount``) and
   ``userInfo.stats`` (``followerCount``, ``followingCount``, ``heartCount``, ``videoCount``)
   and a ``statusCode``: 0; 10222 a private account (the page still carries ``userInfo``, but
   ``videoCount`` reads 0 for visitors, so ``posts`` is None); 10202 no such user, 10221 a
   banned account (both ``profile_not_found``).
2. ``GET {web_base}/api/post/item_list/?secUid=…&count=…&cursor=…`` (the XHR the page's own
   script makes; no ``X-Bogus`` signature is sent, as yt-dlp does not): ``itemList`` (each
   an ``itemStruct`` as on a post page, with ``stats``), ``cursor`` and ``hasMore``; paged
   until ``max_posts`` items, ``hasMore`` false, or a page that brings nothing new (TikTok
   sometimes sends the same page forever). A private account is not asked for items.

Errors are ``TikTokFetchError``s (``ApiError``): ``invalid_tiktok_handle`` (422) for a handle
that is not a TikTok user name or profile URL, ``profile_not_found`` (422: the request was
well formed and our API route exists; what is missing is an account on TikTok, which the
user fixes by correcting the handle, so it is a refused input rather than a missing
resource of ours) and the fetcher's ``tiktok_fetch_failed`` (502), ``rate_limited`` (429)
and ``upstream_config_error`` (500). ``reason`` names the case (``PROFILE_REASONS`` and
``fetch.REASONS``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from slideforge.copy_tiktok.fetch import (
    _PAGE_HEADERS,
    _REDIRECTS,
    SETTING_COOKIES,
    SETTING_PROXY,
    SETTING_WEB_BASE,
    TIKTOK_WEB_BASE,
    FetchConfig,
    TikTokFetcher,
    TikTokFetchError,
    _as_int,
    _dig,
    _failed,
    _hashtags,
    _load_json_object,
    _Prepared,
    _rate_limited,
    _scan_page,
    _text,
    page_html,
)
from slideforge.kit.safehttp import SafeClient, SafeHttp
from slideforge.publishing.platforms.metrics import PostMetrics, ProfileMetrics

if TYPE_CHECKING:
    from slideforge.kit.clock import Clock

DEFAULT_MAX_POSTS = 30
MAX_POSTS_LIMIT = 500
ITEM_LIST_PAGE = 35  # what TikTok's web app asks per page
MAX_API_BYTES = 16 * 1024 * 1024

USER_NOT_FOUND = 10202
USER_BANNED = 10221
USER_PRIVATE = 10222

PROFILE_REASONS: dict[str, str] = {
    "invalid_handle": "the handle is not a TikTok user name or a profile URL",
    "not_found": "TikTok status 10202: no account has this user name",
    "banned": "TikTok status 10221: the account is banned (or gone)",
    "no_profile_data": "the profile page has TikTok's JSON but not the account in it",
    "item_list_refused": "the item list answered an empty body (TikTok refused the call)",
    "item_list_unreadable": "the item list answer is not the JSON object TikTok sends",
}

HANDLE_HINT = (
    "give a TikTok user name such as @creator or creator, or the profile URL "
    "https://www.tiktok.com/@creator"
)
_HANDLE = re.compile(r"[A-Za-z0-9_.]{1,24}")
_PROFILE_HOSTS = frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com"})
_API_HEADERS = {
    "accept": "application/json, text/plain, */*",
    "sec-fetch-dest": "empty",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "same-origin",
}
_API_QUERY = {
    "aid": "1988",
    "app_language": "en",
    "app_name": "tiktok_web",
    "browser_language": "en-US",
    "channel": "tiktok_web",
    "cookie_enabled": "true",
    "coverFormat": "2",
    "device_platform": "web_pc",
    "from_page": "user",
    "language": "en",
}


def _bad_handle(message: str) -> TikTokFetchError:
    return TikTokFetchError("invalid_tiktok_handle", 422, message, reason="invalid_handle")


def _not_found(handle: str, reason: str) -> TikTokFetchError:
    why = "is banned or gone" if reason == "banned" else "does not exist"
    return TikTokFetchError(
        "profile_not_found",
        422,
        f"the TikTok account @{handle} {why} (TikTok status "
        f"{USER_BANNED if reason == 'banned' else USER_NOT_FOUND}); check the user name",
        reason=reason,
    )


def normalize_handle(raw: str) -> str:
    """``@name``, ``name`` or ``https://www.tiktok.com/@name`` (``m.``, no ``www.``, http,
    a trailing slash) → ``name``, lower-cased as TikTok's user names are. Anything else
    (another host or path, a query, spaces, characters a user name cannot have) raises
    ``invalid_tiktok_handle``."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise _bad_handle(f"the handle is empty; {HANDLE_HINT}")
    if "/" in text or ":" in text:
        text = _handle_of_url(text)
    name = text[1:] if text.startswith("@") else text
    if not _HANDLE.fullmatch(name) or name.endswith("."):
        raise _bad_handle(
            f"{raw.strip()[:80]!r} is not a TikTok user name (1-24 letters, digits, '_' or "
            f"'.', not ending with '.'); {HANDLE_HINT}"
        )
    return name.lower()


def _handle_of_url(text: str) -> str:
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        port = parts.port
    except ValueError:
        raise _bad_handle(f"not a valid URL; {HANDLE_HINT}") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or host not in _PROFILE_HOSTS:
        raise _bad_handle(f"only TikTok profile URLs are accepted; {HANDLE_HINT}")
    if port is not None or parts.username or parts.password:
        raise _bad_handle(f"the URL carries a port or credentials; {HANDLE_HINT}")
    if parts.query or parts.fragment:
        raise _bad_handle(
            f"the profile URL carries a query or fragment (?… or #…); remove it: {HANDLE_HINT}"
        )
    path = unquote(parts.path)
    path = path[:-1] if path.endswith("/") else path
    if not path.startswith("/@") or "/" in path[1:]:
        raise _bad_handle(f"the URL is not a TikTok profile (/@name); {HANDLE_HINT}")
    return path[1:]


def profile_url(handle: str) -> str:
    return f"{TIKTOK_WEB_BASE}/@{handle}"


class TikTokProfileReader(TikTokFetcher):
    """Reads public profiles through ``SafeHttp``: one session (cookie jar) per ``read``."""

    def read(
        self, handle: str, *, max_posts: int = DEFAULT_MAX_POSTS
    ) -> tuple[ProfileMetrics, list[PostMetrics]]:
        """The account's counters and its newest ``max_posts`` posts (0: none asked)."""
        if not 0 <= max_posts <= MAX_POSTS_LIMIT:
            raise ValueError(f"max_posts must be between 0 and {MAX_POSTS_LIMIT}")
        name = normalize_handle(handle)
        prepared = self._prepare()
        with self._session(prepared) as client:
            detail = self._load_user_detail(client, prepared, name)
            profile, sec_uid = _profile_from_detail(detail, name)
            if profile.is_private or max_posts == 0 or not sec_uid:
                return profile, []
            posts = self._read_items(client, prepared, profile.username, sec_uid, max_posts)
            return profile, posts

    # ------------------------------------------------------------------ the page

    def _load_user_detail(
        self, client: SafeClient, prepared: _Prepared, handle: str
    ) -> dict[str, Any]:
        """``webapp.user-detail`` of the profile page, after at most one challenge."""
        url = f"{prepared.web_base}/@{handle}"
        subject = f"the profile @{handle}"
        solved = False
        while True:
            result = self._request(
                client,
                "GET",
                url,
                what="profile page",
                max_bytes=self.config.max_page_bytes,
                headers=_PAGE_HEADERS,
                config_setting=SETTING_WEB_BASE,
                bad_redirect=_failed(
                    f"TikTok redirected {subject} to a malformed URL", "unexpected_redirect"
                ),
            )
            if result.status == 429:
                raise _rate_limited(result.headers, self.clock.now())
            if result.status in _REDIRECTS:
                location = result.headers.get("location", "").strip()
                path = urlsplit(urljoin(url, location)).path if location else ""
                if path.startswith("/login"):
                    raise _failed(
                        f"TikTok asks for a login to show {subject}; it needs cookies of a "
                        f"logged-in account ({SETTING_COOKIES})",
                        "login_required",
                    )
                raise _failed(
                    f"TikTok redirected {subject} to {path or '/'!r} instead of showing it",
                    "unexpected_redirect",
                )
            scanner = _scan_page(page_html(result, subject))
            universal = scanner.scripts.get("__UNIVERSAL_DATA_FOR_REHYDRATION__")
            data = _load_json_object(universal) if universal is not None else None
            if data is None and "cs" in scanner.challenge:
                if solved:
                    raise _failed(
                        f"TikTok blocked {subject} by a challenge: it came back after it was "
                        "solved; retry later",
                        "challenge",
                    )
                self._answer_challenge(client, prepared, scanner.challenge, subject)
                solved = True
                continue
            if data is None:
                raise _failed(
                    f"TikTok refused this server: the page of {subject} has no readable "
                    f"account data and no solvable challenge (a captcha, a block or a changed "
                    f"page); retry later, or set {SETTING_PROXY}",
                    "blocked" if not scanner.scripts else "no_profile_data",
                )
            detail = _dig(data, "__DEFAULT_SCOPE__", "webapp.user-detail")
            if not isinstance(detail, Mapping):
                raise _failed(
                    f"the TikTok page of {subject} does not carry the account data (page "
                    "format changed, or a partial block)",
                    "no_profile_data",
                )
            return dict(detail)

    # ------------------------------------------------------------------ the items

    def _read_items(
        self, client: SafeClient, prepared: _Prepared, handle: str, sec_uid: str, max_posts: int
    ) -> list[PostMetrics]:
        posts: list[PostMetrics] = []
        seen: set[str] = set()
        cursor = "0"
        while len(posts) < max_posts:
            page = self._item_page(client, prepared, handle, sec_uid, cursor)
            fresh = 0
            for item in page.get("itemList") or []:
                metrics = _post_from_item(item, handle) if isinstance(item, Mapping) else None
                if metrics is None or metrics.platform_post_id in seen:
                    continue
                seen.add(metrics.platform_post_id)
                fresh += 1
                posts.append(metrics)
                if len(posts) >= max_posts:
                    break
            next_cursor = str(page.get("cursor") or "")
            if not page.get("hasMore") or fresh == 0 or next_cursor in ("", "0", cursor):
                break
            cursor = next_cursor
        return posts

    def _item_page(
        self, client: SafeClient, prepared: _Prepared, handle: str, sec_uid: str, cursor: str
    ) -> dict[str, Any]:
        subject = f"the posts of @{handle}"
        query = {**_API_QUERY, "count": str(ITEM_LIST_PAGE), "cursor": cursor, "secUid": sec_uid}
        token = client.cookies.get("msToken")
        if token:  # the web app repeats the msToken cookie in the query
            query["msToken"] = token
        result = self._request(
            client,
            "GET",
            f"{prepared.web_base}/api/post/item_list/?{urlencode(query)}",
            what="item list",
            max_bytes=MAX_API_BYTES,
            headers={**_API_HEADERS, "referer": f"{prepared.web_base}/@{handle}"},
            config_setting=SETTING_WEB_BASE,
            bad_redirect=_failed(f"TikTok redirected {subject}", "unexpected_redirect"),
        )
        if result.status == 429:
            raise _rate_limited(result.headers, self.clock.now())
        if result.status in _REDIRECTS:
            raise _failed(
                f"TikTok redirected {subject} instead of listing them", "unexpected_redirect"
            )
        try:
            text = page_html(result, subject)
        except TikTokFetchError as exc:
            if exc.reason != "empty_page":
                raise
            raise _failed(
                f"TikTok refused to list {subject} (an empty answer: a block of this server, "
                f"or a call it wants signed); retry later, or set {SETTING_PROXY} or "
                f"{SETTING_COOKIES}",
                "item_list_refused",
            ) from None
        try:
            page = json.loads(text)
        except ValueError:
            page = None
        if not isinstance(page, dict):
            raise _failed(f"TikTok's answer listing {subject} is not JSON", "item_list_unreadable")
        status = _as_int(page.get("statusCode"), 0)
        if status in (USER_NOT_FOUND, USER_BANNED):
            raise _not_found(handle, "banned" if status == USER_BANNED else "not_found")
        if status != 0:
            message = _text(page.get("statusMsg")) or _text(page.get("status_msg")) or ""
            detail = f" ({message})" if message else ""
            raise _failed(
                f"TikTok could not list {subject}: status {status}{detail}", "tiktok_status"
            )
        return page


# ---------------------------------------------------------------------------------- shapes


def _count(value: Any) -> int | None:
    """A counter TikTok gave (an int, or digits in a string); None when it gave none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _profile_from_detail(detail: Mapping[str, Any], handle: str) -> tuple[ProfileMetrics, str]:
    """The account's counters and its ``secUid`` from ``webapp.user-detail``."""
    status = _as_int(detail.get("statusCode"), 0)
    if status == USER_NOT_FOUND:
        raise _not_found(handle, "not_found")
    if status == USER_BANNED:
        raise _not_found(handle, "banned")
    user = _dig(detail, "userInfo", "user")
    stats = _dig(detail, "userInfo", "stats")
    if status not in (0, USER_PRIVATE) or not isinstance(user, Mapping) or not user:
        message = _text(detail.get("statusMsg")) or ""
        if status not in (0, USER_PRIVATE):
            raise _failed(
                f"TikTok could not show the profile @{handle}: status {status}"
                + (f" ({message})" if message else ""),
                "tiktok_status",
            )
        raise _failed(
            f"the TikTok page of the profile @{handle} does not carry the account",
            "no_profile_data",
        )
    stats = stats if isinstance(stats, Mapping) else {}
    private = status == USER_PRIVATE or bool(user.get("privateAccount"))
    hearts = _count(stats.get("heartCount"))
    profile = ProfileMetrics(
        platform_user_id=_text(user.get("id")) or "",
        username=_text(user.get("uniqueId")) or handle,
        display_name=_text(user.get("nickname")),
        avatar_url=_text(user.get("avatarThumb")),
        followers=_count(stats.get("followerCount")),
        following=_count(stats.get("followingCount")),
        likes=hearts if hearts is not None else _count(stats.get("heart")),
        # a private account shows visitors videoCount 0 whatever it posted: not measured
        posts=None if private else _count(stats.get("videoCount")),
        is_private=private,
    )
    return profile, _text(user.get("secUid")) or ""


def _post_from_item(item: Mapping[str, Any], handle: str) -> PostMetrics | None:
    post_id = _text(item.get("id"))
    if post_id is None or not post_id.isdigit():
        return None
    raw_stats = item.get("stats")
    stats: Mapping[str, Any] = raw_stats if isinstance(raw_stats, Mapping) else {}
    extra = {name: n for name, value in stats.items() if (n := _count(value)) is not None}
    author = _text(_dig(item, "author", "uniqueId")) or handle
    photo = isinstance(item.get("imagePost"), Mapping)
    stamp = _as_int(item.get("createTime"), 0)
    duration = _count(_dig(item, "video", "duration"))
    tags = list(_hashtags(item))
    for challenge in item.get("challenges") or []:
        title = _text(_dig(challenge, "title"))
        if title and title.casefold() not in {t.casefold() for t in tags}:
            tags.append(title)
    caption = item.get("desc")
    return PostMetrics(
        platform_post_id=post_id,
        url=f"{TIKTOK_WEB_BASE}/@{author}/{'photo' if photo else 'video'}/{post_id}",
        published_at=datetime.fromtimestamp(stamp, UTC) if stamp > 0 else None,
        caption=caption if isinstance(caption, str) else None,
        title=_text(_dig(item, "imagePost", "title")),
        duration=0 if photo else duration,
        author=author,
        sound_id=_text(_dig(item, "music", "id")),
        sound_name=_text(_dig(item, "music", "title")),
        hashtags=tuple(tags),
        views=extra.get("playCount"),
        likes=extra.get("diggCount"),
        comments=extra.get("commentCount"),
        shares=extra.get("shareCount"),
        saves=extra.get("collectCount"),
        extra=extra,
    )


def read_public_profile(
    handle: str,
    *,
    http: SafeHttp,
    config: FetchConfig | None = None,
    clock: Clock | None = None,
    max_posts: int = DEFAULT_MAX_POSTS,
) -> tuple[ProfileMetrics, list[PostMetrics]]:
    """One-call form of ``TikTokProfileReader(http, config).read(handle)``."""
    return TikTokProfileReader(http, config, clock=clock).read(handle, max_posts=max_posts)
