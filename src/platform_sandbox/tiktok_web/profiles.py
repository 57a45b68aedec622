"""Profile pages ``GET /@{handle}`` and the item list XHR ``GET /api/post/item_list/``.

The page carries ``webapp.user-detail`` in its rehydration JSON: ``userInfo`` (``user``,
``stats``, ``statsV2``) and ``statusCode`` — 0; 10222 for a private account (with its
``userInfo``, ``privateAccount: true`` and ``videoCount`` 0 for visitors); 10221 with an
empty ``userInfo`` for a banned account; 10202 without ``userInfo`` for a user name nobody
has. The page has the post pages' failure modes in front of it (rate limit, forbidden,
empty, captcha, WAF challenge, login wall).

The item list answers ``{itemList, cursor, hasMore, statusCode: 0, …}``, newest first, each
item an ``itemStruct`` as on a post page; ``cursor`` is the creation time (milliseconds) of
the page's last item and the next page lists the older ones (items created in the same
second as the last one stay on its page, so none is skipped). ``count`` is capped at 35. A
private account lists nothing (``hasMore`` false, no ``itemList``). Requests TikTok would
refuse (blocked modes, an unsolved challenge, ``item_list_mode`` "empty") get a 200 with an
empty body, as TikTok answers XHRs it refuses. The web app's ``X-Bogus``/``X-Gnarly``
request signatures are not modelled (nor checked): the sandbox cannot tell a signed call
from an unsigned one, and the reader sends none (as yt-dlp)."""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from platform_sandbox.tiktok_web.items import ImageUrls, item_struct
from platform_sandbox.tiktok_web.pages import (
    app_context,
    blocked,
    cookies_to_set,
    rate_limited,
    universal_script,
)
from platform_sandbox.tiktok_web.records import (
    ITEM_LIST_MAX_COUNT,
    REAL_WEB,
    USER_BANNED,
    USER_NOT_FOUND,
    USER_PRIVATE,
    SandboxPost,
    SandboxProfile,
    SandboxSlide,
    Visit,
    WebReply,
)
from platform_sandbox.tiktok_web.state import TikTokWebSandbox

DEFAULT_COUNT = 30


# ---------------------------------------------------------------------- the page


def answer_profile(sandbox: TikTokWebSandbox, handle: str, visit: Visit) -> WebReply:
    """``GET /@{handle}``; a page that shows the account sets the visitor's cookies."""
    with sandbox.lock:
        reply = rate_limited(sandbox) or _profile_page(sandbox, handle, visit)
        reply.kind = "profile"
        if reply.status == 200 and reply.note != "challenge" and reply.body:
            reply.headers.extend(cookies_to_set(sandbox, visit))
        return reply


def _profile_page(sandbox: TikTokWebSandbox, handle: str, visit: Visit) -> WebReply:
    refused = blocked(sandbox, visit.cookies)
    if refused is not None:
        return refused
    if sandbox.config.web_mode == "login_wall" and sandbox.session_of(visit.cookies) is None:
        location = f"{REAL_WEB}/login?" + urlencode(
            {"redirect_url": f"{REAL_WEB}/@{handle}", "lang": "en", "enter_method": "mandatory"}
        )
        return WebReply(302, headers=[("location", location)], note="login_wall")
    profile = sandbox.find_profile(handle)
    detail, note = user_detail(sandbox, profile, visit.base)
    shown = profile.handle if profile is not None else handle
    canonical = f"{REAL_WEB}/@{shown}"
    scope = {
        "webapp.app-context": app_context(sandbox, visit.user_agent),
        "webapp.biz-context": {"renderAbTest": {}, "isGoogleBot": False},
        "seo.abtest": {
            "canonical": canonical,
            "pageId": profile.author.id if profile is not None else "",
            "vidList": [],
            "parameters": [],
        },
        "webapp.user-detail": detail,
    }
    nickname = profile.author.nickname if profile is not None else shown
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charSet="UTF-8"/>'
        f'<title data-rh="true">{html.escape(nickname)} (@{html.escape(shown)}) | TikTok</title>'
        f'<link data-rh="true" rel="canonical" href="{html.escape(canonical)}"/>'
        '</head><body><div id="app"><div id="main-content-others_homepage"></div></div>'
        + universal_script(scope)
        + "</body></html>"
    )
    return WebReply(200, body.encode(), note=note, gzip_ok=True)


def user_detail(
    sandbox: TikTokWebSandbox, profile: SandboxProfile | None, base: str
) -> tuple[dict[str, Any], str]:
    """``webapp.user-detail`` of the page and the request log's note."""
    if profile is None:
        code, message = USER_NOT_FOUND
        return {"statusCode": code, "statusMsg": message, "shareMeta": {}}, "unknown_user"
    if profile.status == "banned":
        code, message = USER_BANNED
        return {"statusCode": code, "statusMsg": message, "userInfo": {}}, "banned"
    author = profile.author
    counters = sandbox.profile_counters(profile)
    videos = 0 if profile.private else counters.videos  # what a visitor sees of a private one
    avatar = f"{base}/cdn/p16-sign-va/avatar/{author.id}"
    user = {
        "id": author.id,
        "shortId": "",
        "uniqueId": author.unique_id,
        "nickname": author.nickname,
        "avatarLarger": f"{avatar}~c5_1080x1080.jpeg",
        "avatarMedium": f"{avatar}~c5_720x720.jpeg",
        "avatarThumb": f"{avatar}~c5_100x100.jpeg",
        "signature": profile.signature,
        "verified": profile.verified,
        "secUid": author.sec_uid,
        "secret": profile.private,
        "privateAccount": profile.private,
        "ftc": False,
        "relation": 0,
        "openFavorite": False,
        "commentSetting": 0,
        "duetSetting": 0,
        "stitchSetting": 0,
        "downloadSetting": 0,
        "isADVirtual": False,
        "ttSeller": False,
        "roomId": "",
        "language": "en",
    }
    stats = {
        "followerCount": counters.followers,
        "followingCount": counters.following,
        "heart": counters.hearts,
        "heartCount": counters.hearts,
        "videoCount": videos,
        "diggCount": counters.diggs,
        "friendCount": 0,
    }
    code, message = USER_PRIVATE if profile.private else (0, "")
    detail = {
        "userInfo": {
            "user": user,
            "stats": stats,
            "statsV2": {name: str(value) for name, value in stats.items()},
            "itemList": [],
        },
        "shareMeta": {
            "title": f"{author.nickname} on TikTok",
            "desc": f"@{author.unique_id} {counters.followers} Followers",
        },
        "statusCode": code,
        "statusMsg": message,
        "needFix": True,
    }
    return detail, "private" if profile.private else "ok"


# ---------------------------------------------------------------------- the item list


def answer_item_list(sandbox: TikTokWebSandbox, query: Mapping[str, str], visit: Visit) -> WebReply:
    """``GET /api/post/item_list/?secUid=…&count=…&cursor=…``."""
    with sandbox.lock:
        limited = rate_limited(sandbox)
        if limited is not None:
            limited.kind = "item_list"
            return limited
        refusal = _refused(sandbox, visit)
        if refusal is not None:
            return WebReply(200, b"", "application/json", kind="item_list", note=refusal)
        profile = _profile_by_sec_uid(sandbox, query.get("secUid", ""))
        if profile is None or profile.status == "banned":
            code, message = USER_NOT_FOUND if profile is None else USER_BANNED
            return _json_reply(sandbox, {"statusCode": code, "statusMsg": message}, "unknown_user")
        if profile.private:
            return _json_reply(
                sandbox, {"cursor": "0", "hasMore": False, "statusCode": 0}, "private"
            )
        count = _number(query.get("count"), DEFAULT_COUNT)
        count = min(max(count, 1), ITEM_LIST_MAX_COUNT)
        cursor = _number(query.get("cursor"), 0)
        items = sandbox.profile_items(profile)
        if cursor > 0 and sandbox.config.item_list_mode != "repeat":
            items = [post for post in items if post.create_time * 1000 < cursor]
        page = items[:count]
        while (
            page
            and len(page) < len(items)
            and items[len(page)].create_time == (page[-1].create_time)
        ):
            page.append(items[len(page)])
        expires = sandbox.now_seconds() + sandbox.config.image_url_ttl

        def image_urls(slide: SandboxSlide) -> list[str]:
            return sandbox.signer.urls(visit.base, slide, expires)

        listed = [_listed(sandbox, post, visit.base, image_urls) for post in page]
        body: dict[str, Any] = {
            "cursor": str(page[-1].create_time * 1000) if page else "0",
            "hasMore": len(page) < len(items),
            "statusCode": 0,
        }
        if listed:
            body["itemList"] = listed
        return _json_reply(sandbox, body, f"{len(listed)} items")


def _refused(sandbox: TikTokWebSandbox, visit: Visit) -> str | None:
    """Why TikTok would answer this XHR with an empty body (None: it answers)."""
    config = sandbox.config
    if config.web_mode in ("forbidden", "empty", "captcha"):
        return config.web_mode
    if config.web_mode == "login_wall" and sandbox.session_of(visit.cookies) is None:
        return "login_wall"
    if config.challenge != "off" and (
        config.challenge == "always" or not sandbox.challenges.solved(visit.cookies)
    ):
        return "challenge"
    if config.item_list_mode == "empty":
        return "empty_mode"
    return None


def _listed(
    sandbox: TikTokWebSandbox, post: SandboxPost, base: str, image_urls: ImageUrls
) -> dict[str, Any]:
    item = item_struct(post, base, image_urls, sandbox.item_counters(post))
    if post.status == "content_classified":
        item["isContentClassified"] = True
    return item


def _profile_by_sec_uid(sandbox: TikTokWebSandbox, sec_uid: str) -> SandboxProfile | None:
    if not sec_uid:
        return None
    for profile in sandbox.profiles():
        if profile.author.sec_uid == sec_uid:
            return profile
    return None


def _number(raw: str | None, default: int) -> int:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else default


def _json_reply(sandbox: TikTokWebSandbox, body: dict[str, Any], note: str) -> WebReply:
    now = sandbox.now_seconds() * 1000
    full = {
        **body,
        "extra": {"fatal_item_ids": [], "logid": secrets.token_hex(16).upper(), "now": now},
        "log_pb": {"impr_id": secrets.token_hex(16).upper()},
        "status_code": body["statusCode"],
        "status_msg": body.get("statusMsg", ""),
    }
    return WebReply(
        200,
        json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode(),
        "application/json; charset=utf-8",
        kind="item_list",
        note=note,
        gzip_ok=True,
    )
