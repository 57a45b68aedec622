"""TikTok's WAF challenge ("Please wait…" page): the puzzle is issued in the page's ``<p>``
elements and its solution, sent back as cookies, is verified for real (issued puzzle,
signature, hash)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
from dataclasses import dataclass

from platform_sandbox.tiktok_web.records import WebReply

WAF_COOKIE = "_wafchallengeid"
WAF_ORIGIN_COOKIE = "waforiginalreid"
_ISSUED_KEPT = 1000


@dataclass
class _Issued:
    c: str
    rs: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    cleaned = text.strip()
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))


class WafChallenges:
    """The puzzles issued (the last thousand) and the check of a solution."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._issued: dict[str, _Issued] = {}

    def _signature(self, a: str, c: str) -> str:
        return _b64(hmac.new(self._secret, f"{a}|{c}".encode(), "sha256").digest())

    def page(self, answer: int, now: int) -> WebReply:
        """A challenge page whose puzzle is solved by ``answer``: ``cs`` is base64 JSON
        ``{"v":{"a":…,"c":…},"s":…,"t":…}`` with sha256(a + str(answer)) == c."""
        seed = secrets.token_bytes(16)
        a = _b64(seed)
        c = _b64(hashlib.sha256(seed + str(answer).encode()).digest())
        rs = secrets.token_hex(16)
        cs = _b64(
            json.dumps(
                {"v": {"a": a, "c": c}, "s": self._signature(a, c), "t": now},
                separators=(",", ":"),
            ).encode()
        )
        self._issued[a] = _Issued(c=c, rs=rs)
        while len(self._issued) > _ISSUED_KEPT:
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
        return WebReply(200, body.encode(), note="challenge")

    def solved(self, cookies: dict[str, str]) -> bool:
        """The cookies hold the solution of an issued puzzle (the cs object with ``d`` =
        base64(str(answer)), JSON then base64) and its ``waforiginalreid``."""
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
        if not hmac.compare_digest(self._signature(a, c), signature):
            return False
        if not answer.isdigit() or hashlib.sha256(_unb64(a) + answer).digest() != _unb64(c):
            return False
        return cookies.get(WAF_ORIGIN_COOKIE) == issued.rs
