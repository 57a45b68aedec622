"""The site's HTML answers: post pages (with the rehydration JSON in one of three formats and
the failure modes in front of them), the home and login pages, short links, the rate limit
and the cookies a page sets."""

from __future__ import annotations

import html
import json
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from platform_sandbox.tiktok_web.items import video_detail
from platform_sandbox.tiktok_web.records import (
    HOME_REDIRECT,
    REAL_WEB,
    SandboxPost,
    SandboxSlide,
    Visit,
    WebReply,
)
from platform_sandbox.tiktok_web.state import TikTokWebSandbox

_FORBIDDEN = (
    b"<html><head><title>Access Denied</title></head><body><h1>Access Denied"
    b"</h1><p>You don't have permission to access this page.</p></body></html>"
)
_CAPTCHA = (
    b"<!DOCTYPE html><html><head><title>Security Check</title></head><body>"
    b'<div id="captcha-verify-container"><div class="captcha_verify_bar">'
    b'Verify to continue</div><div class="captcha-verify-slide"></div></div>'
    b"</body></html>"
)
_TOO_MANY = (
    b"<!DOCTYPE html><html><head><title>Too Many Requests</title></head><body>"
    b"<h1>429 Too Many Requests</h1></body></html>"
)
_LOGIN = (
    b'<!DOCTYPE html><html lang="en"><head><title>Log in | TikTok</title></head>'
    b'<body><div id="loginContainer"><h2>Log in to TikTok</h2></div></body></html>'
)
_STYLESHEET = (
    "https://sf16-website-login.neutral.ttwstatic.com/obj/tiktok_web_login_static/tiktok/"
    "webapp/main/webapp-desktop/app.css"
)
_BUNDLE = (
    "https://sf16-website-login.neutral.ttwstatic.com/obj/tiktok_web_login_static/tiktok/"
    "webapp/main/webapp-desktop/npm-async-bundle.js"
)


def json_for_script(data: Any) -> str:
    """JSON safe inside a script element, escaped like TikTok's pages."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("/", "\\u002F")
    )


def universal_script(scope: dict[str, Any]) -> str:
    return (
        '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
        + json_for_script({"__DEFAULT_SCOPE__": scope})
        + "</script>"
    )


# ---------------------------------------------------------------------- post pages


def answer_page(
    sandbox: TikTokWebSandbox, request_user: str, post_id: str, photo_path: bool, visit: Visit
) -> WebReply:
    """``GET /@{user}/video|photo/{id}``; a page that shows content sets the visitor's
    cookies."""
    with sandbox.lock:
        reply = rate_limited(sandbox) or _page(sandbox, request_user, post_id, photo_path, visit)
        reply.post_id = post_id
        if reply.status == 200 and reply.note != "challenge" and reply.body:
            reply.headers.extend(cookies_to_set(sandbox, visit))
        return reply


def _page(
    sandbox: TikTokWebSandbox, request_user: str, post_id: str, photo_path: bool, visit: Visit
) -> WebReply:
    config = sandbox.config
    refused = blocked(sandbox, visit.cookies)
    if refused is not None:
        return refused
    redirect = config.page_redirect
    if redirect and request_user in ("", "_"):
        if redirect == "user_path":
            found = sandbox.find_post(post_id)
            user = found.author.unique_id if found is not None else "_"
            redirect = f"{REAL_WEB}/@{user}/video/{post_id}?is_from_webapp=1"
        return WebReply(301, headers=[("location", redirect)], note="redirect")
    session = sandbox.session_of(visit.cookies)
    if config.web_mode == "login_wall" and session is None:
        target = f"{REAL_WEB}/@{request_user}/video/{post_id}"
        location = f"{REAL_WEB}/login?" + urlencode(
            {"redirect_url": target, "lang": "en", "enter_method": "mandatory"}
        )
        return WebReply(302, headers=[("location", location)], note="login_wall")
    post = sandbox.find_post(post_id)
    include_detail = not photo_path
    if post is not None and post.canonical_only and request_user in ("", "_"):
        include_detail = False
    stale = (
        include_detail
        and post is not None
        and post.has_images
        and sandbox.count_down("stale_image_urls")
    )
    now = sandbox.now_seconds()
    expires = now - 60 if stale else now + config.image_url_ttl

    def image_urls(slide: SandboxSlide) -> list[str]:
        return sandbox.signer.urls(visit.base, slide, expires)

    detail, note = video_detail(post, session, visit.base, image_urls, sandbox.item_counters)
    canonical_user = post.author.unique_id if post is not None else request_user or "_"
    canonical = f"{REAL_WEB}/@{canonical_user}/video/{post_id}"
    page_html = _render_page(
        sandbox, post, post_id, detail if include_detail else None, canonical, visit
    )
    if not include_detail:
        note = "no_detail"
    elif stale:
        note = (note + " stale_urls").strip()
    return WebReply(200, page_html.encode(), note=note, gzip_ok=True)


def blocked(sandbox: TikTokWebSandbox, cookies: dict[str, str]) -> WebReply | None:
    """What the site answers instead of a post page in the forbidden, empty and captcha
    modes, or while the WAF challenge is on and not solved (or always asked)."""
    config = sandbox.config
    if config.web_mode == "forbidden":
        return WebReply(403, _FORBIDDEN, note="forbidden")
    if config.web_mode == "empty":
        return WebReply(200, b"", note="empty")
    if config.web_mode == "captcha":
        return WebReply(200, _CAPTCHA, note="captcha")
    if config.challenge == "off":
        return None
    solved = sandbox.challenges.solved(cookies)
    if solved and config.challenge != "always":
        return None
    answer = config.challenge_answer
    if answer is None:
        answer = secrets.randbelow(config.challenge_max_answer + 1)
    reply = sandbox.challenges.page(answer, sandbox.now_seconds())
    if solved:
        reply.headers.append(("x-sandbox-note", "solved-but-challenged-again"))
    return reply


def _render_page(
    sandbox: TikTokWebSandbox,
    post: SandboxPost | None,
    post_id: str,
    detail: dict[str, Any] | None,
    canonical: str,
    visit: Visit,
) -> str:
    nickname = post.author.nickname if post is not None else "TikTok"
    desc = post.desc if post is not None else ""
    title = f"{desc[:60]} | TikTok" if desc else f"{nickname} | TikTok"
    page_format = sandbox.config.page_format
    context = app_context(sandbox, visit.user_agent)
    if page_format == "universal":
        scope: dict[str, Any] = {
            "webapp.app-context": context,
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
        script = universal_script(scope)
    else:
        sigi = _sigi_state(detail, post_id, canonical, context)
        if page_format == "sigi":
            script = (
                '<script id="SIGI_STATE" type="application/json">'
                + json_for_script(sigi)
                + "</script>"
            )
        else:
            script = (
                "<script id=\"sigi-persisted-data\">window['SIGI_STATE']="
                + json_for_script(sigi)
                + ";window['SIGI_RETRY']="
                + json_for_script({"VideoPage": sigi["VideoPage"]})
                + "</script>"
            )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charSet="UTF-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f'<title data-rh="true">{html.escape(title)}</title>'
        f'<meta data-rh="true" name="description" content="{html.escape(desc[:150])}"/>'
        f'<meta data-rh="true" property="og:title" content="{html.escape(nickname)}"/>'
        f'<link data-rh="true" rel="canonical" href="{html.escape(canonical)}"/>'
        f'<link rel="stylesheet" href="{_STYLESHEET}"/>'
        '</head><body><div id="app"><div id="main-content-video_detail"></div></div>'
        + script
        + '<script id="api-domains" type="application/json">'
        + json_for_script({"webcast": "webcast.tiktok.com", "tiktok": visit.base})
        + "</script>"
        f'<script crossorigin="anonymous" src="{_BUNDLE}" async=""></script></body></html>'
    )


def _sigi_state(
    detail: dict[str, Any] | None, post_id: str, canonical: str, context: dict[str, Any]
) -> dict[str, Any]:
    """The older ``SIGI_STATE`` object (``ItemModule``, ``UserModule``, ``VideoPage``)."""
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
    return {
        "AppContext": {"appContext": context},
        "SEO": {"canonical": canonical, "metaParams": {}},
        "ItemModule": items,
        "ItemList": {"video": {"list": list(items), "browserList": list(items)}},
        "UserModule": {"users": users, "stats": {}},
        "VideoPage": {
            "statusCode": (detail or {}).get("statusCode", 0),
            "statusMsg": (detail or {}).get("statusMsg", ""),
        },
    }


def app_context(sandbox: TikTokWebSandbox, user_agent: str) -> dict[str, Any]:
    return {
        "language": "en",
        "region": "US",
        "appId": 1233,
        "appType": "m",
        "user": {},
        "wid": str(secrets.randbelow(10**19)),
        "webIdCreatedTime": str(sandbox.now_seconds()),
        "odinId": str(secrets.randbelow(10**19)),
        "nonce": secrets.token_hex(16),
        "botType": "others",
        "requestId": secrets.token_hex(16).upper(),
        "clusterRegion": "US",
        "userAgent": user_agent,
        "encryptedWebid": "",
        "host": "www.tiktok.com",
    }


def cookies_to_set(sandbox: TikTokWebSandbox, visit: Visit) -> list[tuple[str, str]]:
    """``msToken`` always; ``ttwid`` and ``tt_chain_token`` when the visitor has none (or an
    unknown chain token)."""
    cookies = visit.cookies
    flags = "; Path=/; SameSite=Lax" + ("; Secure" if visit.secure else "")
    out = [("set-cookie", f"msToken={secrets.token_urlsafe(96)[:128]}{flags}; Max-Age=864000")]
    if "ttwid" not in cookies:
        ttwid = quote("1|" + secrets.token_urlsafe(32) + f"|{sandbox.now_seconds()}|" + "0" * 16)
        out.append(("set-cookie", f"ttwid={ttwid}{flags}; Max-Age=31536000; HttpOnly"))
    if not sandbox.knows_chain_token(cookies.get("tt_chain_token")):
        chain = sandbox.new_chain_token()
        out.append(("set-cookie", f"tt_chain_token={chain}{flags}; Max-Age=15552000; HttpOnly"))
    return out


def rate_limited(sandbox: TikTokWebSandbox) -> WebReply | None:
    """429 (with ``Retry-After`` unless it is None) when this request is one of the next N
    rate-limited page and short-link requests."""
    if not sandbox.count_down("rate_limit_count"):
        return None
    retry = sandbox.config.rate_limit_retry_after
    headers = [] if retry is None else [("retry-after", str(retry))]
    return WebReply(429, _TOO_MANY, headers=headers, note="rate_limited")


# ---------------------------------------------------------------------- other pages


def answer_home(sandbox: TikTokWebSandbox, visit: Visit) -> WebReply:
    with sandbox.lock:
        scope = {
            "webapp.app-context": app_context(sandbox, visit.user_agent),
            "seo.abtest": {"canonical": REAL_WEB + "/", "pageId": "", "vidList": []},
        }
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charSet="UTF-8"/>'
            '<title>TikTok - Make Your Day</title></head><body><div id="app"></div>'
            + universal_script(scope)
            + "</body></html>"
        )
        reply = WebReply(200, body.encode(), kind="home", gzip_ok=True)
        reply.headers.extend(cookies_to_set(sandbox, visit))
        return reply


def answer_login() -> WebReply:
    return WebReply(200, _LOGIN, kind="login")


def answer_short_link(sandbox: TikTokWebSandbox, code: str) -> WebReply:
    """``/t/{code}/``, ``/vm/{code}/``, ``/vt/{code}/``: 301 to the post's long URL (with
    TikTok's share parameters), to the link's target, or home for an unknown code."""
    with sandbox.lock:
        limited = rate_limited(sandbox)
        if limited is not None:
            limited.kind = "short_link"
            return limited
        link = sandbox.short_link(code)
        post = sandbox.find_post(link.post_id) if link and link.post_id else None
        if link is not None and link.target is not None:
            location, note = link.target, "target"
        elif post is not None:
            location, note = _share_url(sandbox, post), "post"
        else:
            location, note = HOME_REDIRECT, "dead"
        body = f'<a href="{html.escape(location)}">Moved Permanently</a>.'.encode()
        return WebReply(301, body, headers=[("location", location)], kind="short_link", note=note)


def _share_url(sandbox: TikTokWebSandbox, post: SandboxPost) -> str:
    """The long URL a shared link of ``post`` redirects to."""
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
            "timestamp": str(sandbox.now_seconds()),
            "u_code": secrets.token_hex(6),
            "utm_campaign": "client_share",
            "utm_medium": "ios",
            "utm_source": "copy",
        }
    )
    return f"{REAL_WEB}/@{post.author.unique_id}/{post.kind}/{post.id}?{query}"
