"""The item JSON of a post page (``webapp.video-detail``, ``itemInfo.itemStruct``): what
the copy-a-slideshow fetcher reads (caption, hashtag spans, author, music, image URLs)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from platform_sandbox.tiktok_web.engagement import ItemCounters
from platform_sandbox.tiktok_web.records import (
    HASHTAG,
    STATUS_CODES,
    SandboxPost,
    SandboxSlide,
)

ImageUrls = Callable[[SandboxSlide], list[str]]
"""A slide → its signed URLs on each mirror (``ImageSigner.urls`` for one page)."""
Counters = Callable[[SandboxPost], ItemCounters]
"""A post → its counters now (``TikTokWebSandbox.item_counters``)."""


def video_detail(
    post: SandboxPost | None,
    session: str | None,
    base: str,
    image_urls: ImageUrls,
    counters: Counters,
) -> tuple[dict[str, Any], str]:
    """The page's ``webapp.video-detail`` for a visitor with ``session`` (None: logged out)
    and the request log's note: the item, or TikTok's status code of a post that is not
    shown (unknown, private, deleted, region-locked); content-classified posts lose their
    media for visitors without a session."""
    if post is None:
        return _not_shown("deleted"), "unknown_post"
    if post.status in STATUS_CODES:
        can_see = post.status in ("private", "private_account") and session in post.viewers
        if not can_see:
            return _not_shown(post.status), post.status
    item = item_struct(post, base, image_urls, counters(post))
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


def _not_shown(status: str) -> dict[str, Any]:
    code, msg = STATUS_CODES[status]
    return {"statusCode": code, "statusMsg": msg, "shareMeta": {}}


def text_extra(desc: str) -> list[dict[str, Any]]:
    """The hashtag spans of a caption (``textExtra``)."""
    extras: list[dict[str, Any]] = []
    for match in HASHTAG.finditer(desc):
        tag = match.group(1)
        extras.append(
            {
                "awemeId": "",
                "start": match.start(),
                "end": match.end(),
                "hashtagName": tag,
                "hashtagId": str(int(hashlib.sha256(tag.lower().encode()).hexdigest()[:15], 16)),
                "type": 1,
                "subType": 0,
                "isCommerce": False,
                "userId": "",
                "userUniqueId": "",
                "secUid": "",
            }
        )
    return extras


def item_struct(
    post: SandboxPost, base: str, image_urls: ImageUrls, counters: ItemCounters
) -> dict[str, Any]:
    """``itemInfo.itemStruct`` (also one entry of an item list's ``itemList``): the post as
    TikTok's pages describe it, with its counters now."""
    author = post.author
    first = post.slides[0] if post.slides else None
    width, height = (first.width, first.height) if first else (1080, 1920)
    cover = image_urls(first)[0] if first else ""
    extras = text_extra(post.desc)
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
        "stats": counters.stats(),
        "statsV2": counters.stats_v2(),
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
                    "imageURL": {"urlList": image_urls(slide)},
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
