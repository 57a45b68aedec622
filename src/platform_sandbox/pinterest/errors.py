"""The Pinterest sandbox's errors: the API's ``{code, message}`` answers, the upload bucket's
S3 XML, and how the OAuth pages refuse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_sandbox.common import Refusal, worded


class PinterestError(Exception):
    """An API error: ``{"code": int, "message": str}`` with an HTTP status."""

    def __init__(
        self,
        http_status: int,
        code: int,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class S3Error(Exception):
    """An error of the upload bucket, answered as S3's XML."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message

    def xml(self, request_id: str) -> str:
        message = self.message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )


def invalid(message: str) -> PinterestError:
    return PinterestError(400, 1, message)


def auth_failed() -> PinterestError:
    return PinterestError(401, 2, "Authentication failed.")


def invalid_grant(message: str) -> PinterestError:
    return PinterestError(400, 283, message)


def not_permitted() -> PinterestError:
    """A missing scope (or a secret board the token may not see)."""
    return PinterestError(401, 29, "You are not permitted to access that resource.")


PINTEREST_REFUSALS = {
    Refusal.UNKNOWN_APP: "Invalid client_id: the app does not exist.",
    Refusal.REDIRECT_URI: "Invalid redirect_uri: it is not registered for this app.",
    Refusal.RESPONSE_TYPE: "Invalid response_type: only 'code' is supported.",
    Refusal.NO_SCOPE: "Invalid scope: at least one scope is required.",
    Refusal.UNKNOWN_SCOPES: "Invalid scope: {detail}",
    Refusal.UNKNOWN_USER: "Unknown sandbox user {detail!r}",
    Refusal.NO_USER: "No user exists in the sandbox",
    Refusal.CODE_MISSING: "Invalid request: 'code' is a required property",
    Refusal.CODE_UNKNOWN: "Invalid authorization code.",
    Refusal.CODE_USED: "The authorization code has already been used.",
    Refusal.CODE_EXPIRED: "The authorization code has expired.",
    Refusal.CODE_REDIRECT_URI: "redirect_uri does not match the authorization request.",
}
"""How www.pinterest.com/oauth/ and ``POST /v5/oauth/token`` refuse: 400 code 1, or code 283
for a grant that cannot be exchanged (``INVALID_GRANTS``)."""

INVALID_GRANTS = (
    Refusal.CODE_UNKNOWN,
    Refusal.CODE_USED,
    Refusal.CODE_EXPIRED,
    Refusal.CODE_REDIRECT_URI,
)

pinterest_refusal = worded(
    PINTEREST_REFUSALS,
    lambda reason, message: (
        invalid_grant(message) if reason in INVALID_GRANTS else invalid(message)
    ),
)
