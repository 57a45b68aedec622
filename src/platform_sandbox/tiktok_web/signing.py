"""Signed image URLs: each slide's object key, and ``x-expires`` / ``x-signature`` (HMAC-SHA256
of the object path and expiry) on the URL of each mirror."""

from __future__ import annotations

import base64
import hmac
from urllib.parse import urlencode

from platform_sandbox.tiktok_web.records import BUCKET, MIRRORS, SandboxSlide


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
