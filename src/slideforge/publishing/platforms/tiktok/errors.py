"""TikTok's error tables (``docs/platforms.md``, "TikTok"): the init and data-endpoint
error codes and the status ``fail_reason`` values, mapped to the publish path's five
failure kinds with words for the user."""

from __future__ import annotations

import httpx

from slideforge.publishing.platforms.base import FailureKind, PlatformError

# init / data-endpoint error codes -> (kind, words for the user)
ERRORS: dict[str, tuple[FailureKind, str]] = {
    "invalid_param": ("user", "TikTok refused the request's parameters"),
    "invalid_params": ("user", "TikTok refused the request's parameters"),
    "app_version_check_failed": (
        "user",
        "the creator's TikTok app is too old to receive drafts (needs 31.8 or newer)",
    ),
    "spam_risk_too_many_posts": (
        "wait",
        "TikTok's daily post cap for this creator is reached (about 15 a day, shared by every "
        "app); post again later",
    ),
    "spam_risk_user_banned_from_posting": ("user", "TikTok has banned this creator from posting"),
    "spam_risk_too_many_pending_share": (
        "wait",
        "the creator has 5 drafts waiting in the TikTok inbox in the last 24 h; publish or "
        "delete some in the app",
    ),
    "reached_active_user_cap": (
        "wait",
        "this TikTok app reached its daily cap of creators (set by TikTok's audit)",
    ),
    "unaudited_client_can_only_post_to_private_accounts": (
        "user",
        "this TikTok app is not audited yet: it can only post SELF_ONLY from private accounts",
    ),
    "url_ownership_unverified": (
        "user",
        "TikTok has not verified the domain the media is served from: verify the media base "
        "URL's domain or prefix in TikTok's developer portal",
    ),
    "privacy_level_option_mismatch": (
        "user",
        "the privacy level is not one this creator's account allows",
    ),
    "access_token_invalid": ("auth", "TikTok did not accept the account's access token"),
    "scope_not_authorized": (
        "user",
        "the account did not grant the needed permission (video.publish / video.upload): "
        "reconnect it",
    ),
    "scope_permission_missed": ("user", "the account did not grant a needed permission"),
    "rate_limit_exceeded": ("retryable", "TikTok's rate limit for this account was hit"),
    "internal_error": ("unknown", "TikTok had an internal error"),
}

# status fail_reason -> (kind, words)
FAIL_REASONS: dict[str, tuple[FailureKind, str]] = {
    "file_format_check_failed": ("user", "TikTok could not read the media format"),
    "duration_check_failed": ("user", "the video's duration is outside what TikTok accepts"),
    "frame_rate_check_failed": ("user", "the video's frame rate is outside 23–60 fps"),
    "picture_size_check_failed": (
        "user",
        "TikTok refused an image's size (at most 1080 px on the shorter side and 20 MB)",
    ),
    "internal": ("retryable", "TikTok failed while processing the post"),
    "video_pull_failed": ("retryable", "TikTok could not download the video from our media URL"),
    "photo_pull_failed": ("retryable", "TikTok could not download the images from our media URL"),
    "publish_cancelled": ("user", "the publish was cancelled"),
    "auth_removed": ("auth", "the creator removed this app's access to the account"),
    "spam_risk_too_many_posts": ERRORS["spam_risk_too_many_posts"],
    "spam_risk_user_banned_from_posting": ERRORS["spam_risk_user_banned_from_posting"],
    "spam_risk_text": ("user", "TikTok flagged the post's text as spam"),
    "spam_risk": ("user", "TikTok flagged the post as spam"),
}


def api_error(
    code: str, message: str, response: httpx.Response, *, read_only: bool
) -> PlatformError:
    """A Content Posting API error (also one in an HTTP 200 body) as a PlatformError of the
    right kind, TikTok's own code passed through."""
    kind, words = ERRORS.get(code, ("user", "TikTok refused the request"))
    if code == "rate_limit_exceeded" or response.status_code == 429:
        kind, words = "retryable", ERRORS["rate_limit_exceeded"][1]
    elif response.status_code >= 500 or code == "internal_error":
        kind, words = ("retryable" if read_only else "unknown"), "TikTok had an internal error"
    retry_after = None
    if response.status_code == 429 and response.headers.get("retry-after"):
        try:
            retry_after = float(response.headers["retry-after"])
        except ValueError:
            retry_after = None
    detail = f"{words} ({code}{': ' + message if message else ''})"
    return PlatformError(
        kind, code, detail, retry_after=retry_after, http_status=response.status_code
    )
