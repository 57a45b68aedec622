"""The Instagram sandbox's errors: the Graph envelope, api.instagram.com's OAuth shape, and
the Graph errors several areas answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_sandbox.common import Refusal, worded
from platform_sandbox.instagram.config import PRESETS


class GraphError(Exception):
    """An error answered in the Graph envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        http_status: int = 400,
        kind: str = "OAuthException",
        is_transient: bool = False,
        user_title: str | None = None,
        user_msg: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}/{subcode}: {message}")
        self.code = code
        self.message = message
        self.subcode = subcode
        self.http_status = http_status
        self.kind = kind
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.headers = dict(headers or {})

    def body(self, fbtrace_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}


class LegacyOAuthError(Exception):
    """api.instagram.com / www.instagram.com OAuth errors:
    ``{"error_type": "OAuthException", "code": 400, "error_message": …}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error_type": "OAuthException", "code": 400, "error_message": self.message}


def preset_error(name: str) -> GraphError:
    """The Graph error described by ``PRESETS[name]``."""
    preset = PRESETS[name]
    return GraphError(
        preset["code"],
        preset["message"],
        subcode=preset.get("error_subcode"),
        http_status=preset.get("http_status", 400),
        is_transient=preset.get("is_transient", False),
        user_title=preset.get("error_user_title"),
        user_msg=preset.get("error_user_msg"),
    )


def media_not_found(media_id: str, user_msg: str) -> GraphError:
    return GraphError(
        24,
        f"The media with id {media_id} cannot be found.",
        subcode=2207006,
        user_title="Media not found",
        user_msg=user_msg,
    )


def media_expired(user_msg: str) -> GraphError:
    return GraphError(
        -2,
        "The media has expired. Please upload the media again.",
        subcode=2207020,
        user_title="Media expired",
        user_msg=user_msg,
    )


def download_failed(url: str) -> GraphError:
    return GraphError(
        9004,
        "Only photo or video can be accepted as media type.",
        subcode=2207052,
        user_title="Media download has failed.",
        user_msg=f"The media could not be fetched from this uri: {url}",
    )


def download_timeout() -> GraphError:
    return GraphError(
        -2,
        "It takes too long to download the media.",
        subcode=2207003,
        is_transient=True,
        user_title="Timeout downloading media",
        user_msg="It takes too long to download the media. Please try again.",
    )


def param_error(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(100, message, subcode=subcode)


def unsupported(method: str, node: str) -> GraphError:
    return GraphError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{node}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        kind="GraphMethodException",
    )


def not_ready() -> GraphError:
    return GraphError(
        9007,
        "Media ID is not available",
        subcode=2207027,
        user_title="Media not ready for publishing",
        user_msg="The media is not ready for publishing, please wait for a moment",
    )


REDIRECT_MISMATCH = (
    "Error validating verification code. Please make sure your redirect_uri is identical to "
    "the one you used in the OAuth dialog request"
)


INSTAGRAM_LOGIN_REFUSALS = {
    Refusal.UNKNOWN_APP: "Invalid platform app",
    Refusal.REDIRECT_URI: "Invalid redirect_uri",
    Refusal.RESPONSE_TYPE: "Invalid response_type: only 'code' is supported",
    Refusal.NO_SCOPE: "Invalid Scopes: the scope parameter is required",
    Refusal.UNKNOWN_SCOPES: "Invalid Scopes: {detail}",
    Refusal.UNKNOWN_USER: "Unknown sandbox user {detail!r}",
    Refusal.NO_USER: "No Instagram account exists in the sandbox",
    Refusal.CODE_MISSING: "Matching code was not found or was already used",
    Refusal.CODE_UNKNOWN: "Matching code was not found or was already used",
    Refusal.CODE_USED: "This authorization code has been used",
    Refusal.CODE_EXPIRED: "This authorization code has expired",
    Refusal.CODE_REDIRECT_URI: REDIRECT_MISMATCH,
}
"""How www.instagram.com's authorize page and api.instagram.com's token endpoint refuse
(every refusal a ``LegacyOAuthError``)."""

FACEBOOK_LOGIN_REFUSALS = {
    Refusal.UNKNOWN_APP: "Error validating application. Invalid application ID.",
    Refusal.REDIRECT_URI: (
        "Can't load URL: The domain of this URL isn't included in the app's domains. To be "
        "able to load this URL, add all domains and sub-domains of your app to the App "
        "Domains field in your app settings."
    ),
    Refusal.RESPONSE_TYPE: "(#100) Unsupported response_type {detail!r}",
    Refusal.NO_SCOPE: "Invalid Scopes: {detail}",
    Refusal.UNKNOWN_SCOPES: "Invalid Scopes: {detail}",
    Refusal.UNKNOWN_USER: "Unknown sandbox user {detail!r}",
    Refusal.NO_USER: "No Facebook user exists in the sandbox",
    Refusal.CODE_MISSING: "Missing authorization code",
    Refusal.CODE_UNKNOWN: "Invalid verification code format.",
    Refusal.CODE_USED: "This authorization code has been used.",
    Refusal.CODE_EXPIRED: "This authorization code has expired.",
    Refusal.CODE_REDIRECT_URI: REDIRECT_MISMATCH,
}
"""How www.facebook.com's OAuth dialog and graph.facebook.com's code exchange refuse; the
Graph code and subcode of each are in ``_FACEBOOK_LOGIN_CODES`` (100 without one)."""

_FACEBOOK_LOGIN_CODES: dict[Refusal, tuple[int, int | None]] = {
    Refusal.UNKNOWN_APP: (101, None),
    Refusal.REDIRECT_URI: (191, None),
    Refusal.CODE_MISSING: (1, None),
    Refusal.CODE_UNKNOWN: (100, 36007),
    Refusal.CODE_USED: (100, 36009),
    Refusal.CODE_EXPIRED: (100, 36007),
    Refusal.CODE_REDIRECT_URI: (100, 36008),
}


def _facebook_login_error(reason: Refusal, message: str) -> GraphError:
    code, subcode = _FACEBOOK_LOGIN_CODES.get(reason, (100, None))
    return GraphError(code, message, subcode=subcode)


instagram_login_refusal = worded(
    INSTAGRAM_LOGIN_REFUSALS, lambda reason, message: LegacyOAuthError(message)
)
facebook_login_refusal = worded(FACEBOOK_LOGIN_REFUSALS, _facebook_login_error)
