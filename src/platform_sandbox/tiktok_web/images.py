"""The photo CDN: the answers to image requests (signed URLs are checked with
``signing.ImageSigner``)."""

from __future__ import annotations

import re

from platform_sandbox.tiktok_web.records import (
    BUCKET,
    IMAGE_ENDINGS,
    MIRRORS,
    WebReply,
    not_found,
)
from platform_sandbox.tiktok_web.state import TikTokWebSandbox

_OBJECT_NAME = re.compile(r"(?P<key>[0-9a-f]{32})~tplv-photomode-image\.(?P<ext>[a-z]+)")


def answer_image(
    sandbox: TikTokWebSandbox,
    mirror: str,
    bucket: str,
    name: str,
    query: dict[str, str],
    cookies: dict[str, str],
) -> WebReply:
    """``GET /cdn/{mirror}/{bucket}/{name}``: the slide's bytes with the ``Content-Type`` of
    the URL's ending, or 404 (unknown object), 503 (first mirror down) or 403 (bad
    signature, expired, no session cookie when images need one)."""
    with sandbox.lock:
        match = _OBJECT_NAME.fullmatch(name)
        found = sandbox.slide_by_key(match.group("key")) if match else None
        if match is None or found is None or mirror not in MIRRORS or bucket != BUCKET:
            return not_found("image", note="unknown")
        post, index = found
        slide = post.slides[index]
        reply = WebReply(200, kind="image", post_id=post.id, note=f"slide {index}")
        if post.broken_mirror and mirror == MIRRORS[0]:
            reply.status, reply.body, reply.note = 503, b"Service Unavailable", "mirror_down"
            return reply
        expires_raw = query.get("x-expires", "")
        path = f"/{bucket}/{name}"
        refusal: str | None = None
        if (
            not sandbox.signer.verify(path, expires_raw, query.get("x-signature", ""))
            or match.group("ext") != slide.ext  # a URL signed for another ending
        ):
            refusal = "bad_signature"
        elif sandbox.now_seconds() > int(expires_raw):
            refusal = "expired"
        elif sandbox.config.images_require_session and not sandbox.knows_chain_token(
            cookies.get("tt_chain_token")
        ):
            refusal = "no_session"
        if refusal is not None:
            reply.status, reply.body, reply.note = 403, b"Access Denied", refusal
            return reply
        reply.body = slide.data
        reply.content_type = IMAGE_ENDINGS[slide.ext]
        reply.headers.append(("cache-control", "max-age=2592000"))
        reply.headers.append(("x-expires", expires_raw))
        return reply
