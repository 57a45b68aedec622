"""The photo CDN: signed image URLs (``x-expires``, ``x-signature`` = HMAC-SHA256 of the
object path and expiry, two mirrors) and the answers to image requests."""

from __future__ import annotations

import base64
import hmac
import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from platform_sandbox.tiktok_web.records import (
    BUCKET,
    IMAGE_ENDINGS,
    MIRRORS,
    SandboxSlide,
    WebReply,
    not_found,
)

if TYPE_CHECKING:
    from platform_sandbox.tiktok_web.state import TikTokWebSandbox

_OBJECT_NAME = re.compile(r"(?P<key>[0-9a-f]{32})~tplv-photomode-image\.(?P<ext>[a-z]+)")


class ImageSigner:
    """Slide keys and URL signatures, from the sandbox's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def slide_key(self, post_id: str, index: int) -> str:
        """The 32-hex object key of a post's slide (stable for the same id and index)."""
        return hmac.new(self._secret, f"{post_id}:{index}".encode(), "sha256").hexdigest()[:32]

    def sign(self, path: str, expires: int) -> str:
        mac = hmac.new(self._secret, f"{path}|{expires}".encode(), "sha256").digest()
        return base64.b64encode(mac[:18]).decode()

    def verify(self, path: str, expires: str, signature: str) -> bool:
        """``signature`` is the one of ``path`` until ``expires`` (Unix seconds, digits)."""
        return expires.isdigit() and hmac.compare_digest(self.sign(path, int(expires)), signature)

    def urls(self, base: str, slide: SandboxSlide, expires: int) -> list[str]:
        """The slide's URL on each mirror, valid until ``expires`` (Unix seconds)."""
        path = f"/{BUCKET}/{slide.key}~tplv-photomode-image.{slide.ext}"
        query = urlencode(
            {
                "from": "photomode.AWEME_DETAIL",
                "x-expires": str(expires),
                "x-signature": self.sign(path, expires),
                "biz_tag": "tt_photomode",
                "sc": "image",
            }
        )
        return [f"{base}/cdn/{mirror}{path}?{query}" for mirror in MIRRORS]


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
