"""The one exception type services raise for anything a caller can cause or must be told."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error with a machine code (``error_code``), an HTTP status and a message that says
    what to change. ``data`` carries structured details (e.g. which field failed)."""

    def __init__(
        self,
        error_code: str,
        message: str,
        status: int = 400,
        *,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status
        self.data = data
        self.headers = headers

    def __repr__(self) -> str:
        return f"ApiError({self.error_code!r}, {self.message!r}, {self.status})"


def not_found(what: str = "resource", error_code: str = "not_found") -> ApiError:
    return ApiError(error_code, f"{what} not found", 404)


def invalid_payload(field: str, rule: str) -> ApiError:
    """422 naming the field and the rule that failed."""
    return ApiError(
        "invalid_payload",
        f"{field}: {rule}",
        422,
        data={"errors": [{"field": field, "message": rule}]},
    )
