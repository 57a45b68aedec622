"""Instagram's error tables (Meta's Graph API codes and publishing subcodes) and how an
error maps to the publish path's five failure kinds (``docs/platforms.md``, "Instagram")."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from slideforge.publishing.platforms.base import FailureKind, PlatformError

THROTTLE_CODES = (4, 17, 32, 613, 80002)
DEAD_SESSIONS = {
    458: "the app was removed from the account",
    459: "the account is checkpointed: log in on instagram.com / facebook.com",
    460: "the password was changed",
    463: "the token expired",
    467: "the user logged out",
}

# error_subcode -> (kind, our code, words). Meta's publishing error table.
SUBCODES: dict[int, tuple[FailureKind, str, str]] = {
    2207001: ("retryable", "server_error", "Instagram had a server error"),
    2207032: ("retryable", "create_failed", "Instagram failed to create the media"),
    2207003: (
        "retryable",
        "media_download_timeout",
        "Instagram took too long to download the media from our media URL",
    ),
    2207020: ("retryable", "media_expired", "the media container expired"),
    2207008: ("retryable", "container_expired", "the media container expired or is missing"),
    2207006: ("retryable", "media_not_found", "Instagram could not find the media container"),
    2207053: ("retryable", "upload_failed", "Instagram failed to process the uploaded media"),
    2207052: (
        "retryable",
        "media_fetch_failed",
        "Instagram could not download the media: SLIDEFORGE_MEDIA_BASE_URL must be a public "
        "https URL Meta can reach",
    ),
    2207027: ("retryable", "not_ready", "the media was not ready for publishing yet"),
    2207042: (
        "wait",
        "quota_exhausted",
        "Instagram's daily publishing limit for this account is reached (content publishing "
        "limit, rolling 24 h): publish again later",
    ),
    2207050: (
        "user",
        "account_restricted",
        "the Instagram account is restricted, inactive or checkpointed: open the Instagram "
        "app and resolve it",
    ),
    2207051: (
        "user",
        "spam_restricted",
        "Instagram blocked the publish as restricted activity (spam protection)",
    ),
    2207057: (
        "user",
        "thumb_offset_invalid",
        "the cover time (media.cover_timestamp_ms) is beyond the end of the video",
    ),
    2207026: (
        "user",
        "video_format",
        "Instagram cannot use the video: send an MP4/MOV (H.264 or HEVC, AAC audio, "
        "23–60 fps, long side ≤ 1920 px, 3 s–15 min, ≤ 300 MB)",
    ),
    2207004: ("user", "image_too_large", "an image is larger than Instagram's 8 MiB"),
    2207005: ("user", "image_format", "Instagram takes JPEG images only"),
    2207009: (
        "user",
        "aspect_ratio",
        "an image's aspect ratio is outside Instagram's 4:5…1.91:1",
    ),
    2207010: ("user", "caption_too_long", "the caption is longer than 2200 characters"),
    2207040: (
        "user",
        "too_many_tags",
        "the caption has more than 20 @mentions or 30 hashtags",
    ),
    2207023: ("user", "media_type", "Instagram refused the media type"),
    2207028: ("user", "carousel_size", "a carousel needs 2–10 items"),
}
# Retryable codes that may hide a publish that happened (checked on the container).
AMBIGUOUS = ("server_error", "create_failed", "unknown_error", "network")


def _retry_after(headers: httpx.Headers) -> float:
    """Seconds until a throttled account may call again: Meta's
    ``estimated_time_to_regain_access`` (minutes) in X-Business-Use-Case-Usage, else 60."""
    raw = headers.get("x-business-use-case-usage")
    minutes = 0.0
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values() if isinstance(usage, dict) else []:
                for entry in entries if isinstance(entries, list) else []:
                    value = entry.get("estimated_time_to_regain_access")
                    if isinstance(value, int | float):
                        minutes = max(minutes, float(value))
        except (ValueError, AttributeError):
            minutes = 0.0
    return minutes * 60.0 if minutes > 0 else 60.0


def graph_error(
    response: httpx.Response, body: dict[str, Any], *, read_only: bool
) -> PlatformError:
    """A Graph API error (HTTP or in the body) as a PlatformError of the right kind."""
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        subcode = error.get("error_subcode")
        message = str(error.get("error_user_msg") or error.get("message") or "")
        transient = bool(error.get("is_transient"))
    else:  # api.instagram.com's OAuth shape
        code = body.get("code")
        subcode = None
        message = str(body.get("error_message") or body.get("error_description") or "")
        transient = False
    code = code if isinstance(code, int) else None
    subcode = subcode if isinstance(subcode, int) else None
    status = response.status_code
    retry_after: float | None = None
    kind: FailureKind
    if subcode in SUBCODES:
        kind, name, words = SUBCODES[subcode]
    elif code == 190:
        # Expired, revoked or invalidated: Instagram refreshes only valid tokens, and
        # Facebook Login has no refresh grant, so the account must be reconnected.
        kind, name = "auth", "reauth_required"
        reason = DEAD_SESSIONS.get(subcode or 0, "the token is not valid")
        words = f"Instagram did not accept the account's token ({reason}): reconnect the account"
    elif code == 10 or (code is not None and 200 <= code < 300):
        kind, name = "user", "permission_missing"
        words = (
            "the account did not grant a permission publishing needs, or is not an "
            "Instagram professional (business or creator) account: reconnect it and "
            "approve every permission"
        )
    elif code in THROTTLE_CODES:
        kind, name, words = "retryable", "rate_limited", "Instagram rate-limited this account"
        retry_after = _retry_after(response.headers)
    elif code == 9:
        kind, name = "wait", "container_limit"
        words = "Instagram's limit of media containers per 24 h is reached for this account"
    elif transient or status >= 500 or code in (1, 2, -1, -2):
        kind, name, words = "retryable", "unknown_error", "Instagram had an unexpected error"
    else:
        kind, name, words = "user", "refused", "Instagram refused the request"
    if not read_only and name in AMBIGUOUS:
        kind = "unknown"  # the publish may have happened: the caller checks the container
    elif kind == "retryable" and name not in AMBIGUOUS and retry_after is None:
        # Not a server hiccup (media download, expired container …): a new attempt after
        # the configured delay, rather than an immediate step retry.
        retry_after = 0.0
    shown = "/".join(str(part) for part in (code, subcode) if part is not None)
    detail = f"{words} ({shown}: {message})" if shown or message else words
    return PlatformError(kind, name, detail, retry_after=retry_after, http_status=status)


def container_error(text: str, progress: dict[str, Any]) -> PlatformError:
    """A container ended ERROR: the reason in words; a retryable one is re-created by the
    next attempt (it was dropped from ``progress``)."""
    found = re.search(r"error code (\d+)", text)
    subcode = int(found.group(1)) if found else None
    kind, name, words = SUBCODES.get(
        subcode or 0, ("user", "media_error", "Instagram could not process the media")
    )
    if kind == "wait":
        kind = "user"
    return PlatformError(
        kind,
        name,
        f"{words} (container status: {text or 'ERROR'})",
        retry_after=0.0 if kind == "retryable" else None,
        progress=progress,
    )
