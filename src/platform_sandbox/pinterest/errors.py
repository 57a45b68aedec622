"""The Pinterest sandbox's errors: the API's ``{code, message}`` answers, the upload bucket's
S3 XML, and how the OAuth pages refuse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_sandbox.common import Refusal


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


def pinterest_refusal(reason: Refusal, detail: str) -> PinterestError:
    """How www.pinterest.com/oauth/ and ``POST /v5/oauth/token`` refuse."""
    match reason:
        case Refusal.UNKNOWN_APP:
            return invalid("Invalid client_id: the app does not exist.")
        case Refusal.REDIRECT_URI:
            return invalid("Invalid redirect_uri: it is not registered for this app.")
        case Refusal.RESPONSE_TYPE:
            return invalid("Invalid response_type: only 'code' is supported.")
        case Refusal.NO_SCOPE:
            return invalid("Invalid scope: at least one scope is required.")
        case Refusal.UNKNOWN_SCOPES:
            return invalid(f"Invalid scope: {detail}")
        case Refusal.UNKNOWN_USER:
            return invalid(f"Unknown sandbox user {detail!r}")
        case Refusal.NO_USER:
            return invalid("No user exists in the sandbox")
        case Refusal.CODE_MISSING:
            return invalid("Invalid request: 'code' is a required property")
        case Refusal.CODE_UNKNOWN:
            return invalid_grant("Invalid authorization code.")
        case Refusal.CODE_USED:
            return invalid_grant("The authorization code has already been used.")
        case Refusal.CODE_EXPIRED:
            return invalid_grant("The authorization code has expired.")
        case Refusal.CODE_REDIRECT_URI:
            return invalid_grant("redirect_uri does not match the authorization request.")
