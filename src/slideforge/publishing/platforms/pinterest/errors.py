"""Pinterest's errors (``docs/platforms.md``, "Pinterest"): an API v5 error mapped to the
publish path's five failure kinds, with words for the user."""

from __future__ import annotations

from typing import Any

import httpx

from slideforge.publishing.platforms.base import FailureKind, PlatformError


def api_error(response: httpx.Response, body: dict[str, Any], *, read_only: bool) -> PlatformError:
    """A Pinterest API v5 error (HTTP status and body ``code``) as a PlatformError of the
    right kind."""
    status = response.status_code
    code = body.get("code")
    message = str(body.get("message") or "")
    retry_after: float | None = None
    kind: FailureKind
    if status == 429:
        kind, name, words = "retryable", "rate_limited", "Pinterest rate-limited this account"
        for header in ("retry-after", "x-ratelimit-reset"):
            try:
                retry_after = float(response.headers[header])
                break
            except (KeyError, ValueError):
                continue
    elif status >= 500:
        kind = "retryable" if read_only else "unknown"
        name, words = "server_error", "Pinterest had a server error"
    elif status == 401 and code == 2:
        kind, name = "auth", "token_invalid"
        words = "Pinterest did not accept the account's token"
    elif code == 29 or (status in (401, 403) and code != 235):
        kind, name = "user", "not_permitted"
        words = (
            "Pinterest refused: the account did not grant a needed permission, the board "
            "is secret, or the app has Trial access (reconnect the account, or use a public "
            "board)"
        )
    elif code == 40 or "board not found" in message.lower():
        kind, name = "user", "board_not_found"
        words = (
            "the board does not exist on this Pinterest account: send pinterest.board_id of "
            "one of its boards, or set the account's default board with PATCH "
            "/accounts/{id} settings.pinterest_board_id"
        )
    elif "unable to reach" in message.lower() or "could not fetch" in message.lower():
        kind, name = "retryable", "media_unreachable"
        words = (
            "Pinterest could not download the image from our media URL: "
            "SLIDEFORGE_MEDIA_BASE_URL must be a public https URL Pinterest can reach"
        )
    elif code == 235:
        kind, name, words = "user", "image_broken", "Pinterest could not read an image"
    else:
        kind, name, words = "user", "refused", "Pinterest refused the request"
    shown = f"{status}" + (f"/{code}" if code is not None else "")
    detail = f"{words} ({shown}: {message})" if message else f"{words} ({shown})"
    return PlatformError(kind, name, detail, retry_after=retry_after, http_status=status)
