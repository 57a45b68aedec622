"""Ayrshare's error shape for every answer under ``/ayrshare/api``: errors raised inside a
route (``AyrshareRoute``) and those no route saw (unknown paths and methods, bodies refused
before routing: registered with ``kit.envelope.register_error_shape``). Ayrshare's SDKs parse
this shape, not our envelope."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from slideforge.compat.ayrshare.schemas import ErrorItem, ErrorResponse
from slideforge.kit.envelope import (
    body_not_json,
    describe_validation_errors,
    not_json_message,
    register_error_shape,
)
from slideforge.kit.errors import ApiError

log = logging.getLogger(__name__)

PREFIX = "/ayrshare/api"

# Ayrshare-style numeric codes (slideforge's own numbering; the HTTP status says the class).
CODES = {
    "invalid_parameters": 101,  # the body does not match the documented schema (400)
    "unauthorized": 102,  # missing or unknown API key (401)
    "rate_limited": 103,  # too many requests for this key; see Retry-After (429)
    "account": 104,  # no, several, unknown or inactive TikTok account (400)
    "platform": 105,  # a platform other than tiktok (400)
    "media": 106,  # mixing video and images, several videos, media that cannot be used (400)
    "text_too_long": 107,  # more than TikTok's 2,200 characters (400)
    "schedule": 108,  # scheduleDate not a time with a zone, or in the past (400)
    "not_found": 109,  # no such post in this workspace (404)
    "not_deletable": 110,  # published or being sent: TikTok's API cannot delete it (400)
    "option": 111,  # a tikTokOptions value TikTok's Content Posting API cannot honour (400)
    "refused": 112,  # any other refusal (400 or 409)
    "not_retryable": 113,  # PUT /post/retry of a post whose status is not error (400)
    "webhook": 114,  # a webhook action slideforge does not send, or a bad webhook URL (400)
    "tiktok_failed": 150,  # TikTok failed the post (in errors of a created post)
    "outcome_unknown": 151,  # the TikTok call's answer was lost: check the account
    "endpoint": 120,  # an Ayrshare endpoint slideforge does not offer (404)
    "internal": 500,  # the server failed; logged (500)
}


class Refusal(Exception):
    """A request refused in Ayrshare's error shape (``platforms``: the networks it concerns,
    one ``errors`` item each on POST /post)."""

    def __init__(
        self,
        kind: str,
        message: str,
        status: int = 400,
        *,
        platforms: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = CODES[kind]
        self.message = message
        self.status = status
        self.platforms = platforms or ["tiktok"]


def _action(request: Request) -> str:
    path = request.url.path.removeprefix(PREFIX).strip("/")
    if path.startswith("hook"):
        return "webhook"
    if request.method == "DELETE":
        return "delete"
    if path == "post/retry":
        return "retry"
    return path.split("/", 1)[0] or "request"


def error_response(
    request: Request,
    code: int,
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    platforms: list[str] | None = None,
) -> JSONResponse:
    action = _action(request)
    body = ErrorResponse(action=action, code=code, message=message)
    if action == "post" and request.method == "POST":
        body.errors = [
            ErrorItem(action=action, code=code, message=message, platform=platform)
            for platform in platforms or ["tiktok"]
        ]
        body.postIds = []
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _ayrshare_wording(message: str) -> str:
    """Our field names in service messages, as an Ayrshare client knows them."""
    for ours, theirs in (
        ("media.urls", "mediaUrls"),
        ("media.url", "mediaUrls[0]"),
        ("scheduled_at", "scheduleDate"),
        ("caption", "post"),
    ):
        message = message.replace(ours, theirs)
    return message


def _from_api_error(exc: ApiError) -> tuple[int, str, int]:
    """(code, message, HTTP status) for one of our errors."""
    fields = [str(e.get("field") or "") for e in (exc.data or {}).get("errors", [])]
    field = fields[0] if fields else ""
    if exc.status == 401:
        kind = "unauthorized"
    elif exc.status == 429:
        kind = "rate_limited"
    elif exc.status == 404:
        kind = "not_found"
    elif exc.error_code == "invalid_scheduled_at" or field == "scheduled_at":
        kind = "schedule"
    elif exc.error_code == "media_unreachable" or field.startswith("media"):
        kind = "media"
    elif field == "caption":
        kind = "text_too_long"
    elif field.startswith("tiktok"):
        kind = "option"
    elif exc.error_code in ("unknown_accounts", "missing_accounts"):
        kind = "account"
    elif exc.error_code == "invalid_payload":
        kind = "invalid_parameters"
    else:
        kind = "refused"
    status = exc.status if exc.status in (401, 404, 429) or exc.status >= 500 else 400
    return CODES[kind], _ayrshare_wording(exc.message), status


class AyrshareRoute(APIRoute):
    """Every error of these routes, including authentication, validation and framework
    errors, answers in Ayrshare's shape (its SDK parses that, not our envelope)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as exc:
                return error_response(
                    request, exc.code, exc.message, exc.status, platforms=exc.platforms
                )
            except ApiError as exc:
                code, message, status = _from_api_error(exc)
                return error_response(request, code, message, status, exc.headers)
            except RequestValidationError as exc:
                errors = exc.errors()
                if body_not_json(errors):
                    message = not_json_message(request)
                else:
                    message = describe_validation_errors(errors)[0]
                return error_response(request, CODES["invalid_parameters"], message, 400)
            except StarletteHTTPException as exc:
                if exc.status_code == 400:
                    message = not_json_message(request)
                    return error_response(request, CODES["invalid_parameters"], message, 400)
                headers = dict(exc.headers) if exc.headers else None
                return error_response(
                    request, CODES["refused"], str(exc.detail), exc.status_code, headers
                )
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_response(
                    request,
                    CODES["internal"],
                    "The server failed to handle this request; it was logged.",
                    500,
                )

        return route


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "Refused (Ayrshare error shape; code says why, message what to change)"),
        (401, "Missing or unknown API key (code 102)"),
        (404, "No such post (code 109)"),
        (429, "Rate limited (code 103); see Retry-After"),
        # Also keeps FastAPI from documenting a 422: these routes answer 400 (code 101).
        ("default", "Any other error (e.g. 500, code 500), in the same shape"),
    )
}


OFFERED = (
    "POST /post, GET /post/{id}, GET /history, GET /history/{id}, GET /user, PUT /post/retry, "
    "DELETE /delete, DELETE /post, and POST, GET and DELETE /hook/webhook"
)


def _methods_of(router: APIRouter, request: Request) -> list[str]:
    """Every method some route of this API answers at this path."""
    methods: set[str] = set()
    for route in router.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
            methods |= set(route.methods or ())
    return sorted(methods)


def _outside_routes(
    router: APIRouter,
    request: Request,
    error_code: str,
    message: str,
    status: int,
    headers: dict[str, str] | None,
) -> Response:
    """Errors under ``/ayrshare/api`` that no route's handler saw (registered with the
    envelope's handlers): unknown paths and methods, bodies refused before routing (413,
    JSON nested too deep), anything unexpected. Ayrshare's shape, with the same status."""
    path = request.url.path.removeprefix(PREFIX) or "/"
    call = f"{request.method} {path}"
    if status == 405:
        # Starlette's Allow names the first route of the path only (POST of /post, not DELETE).
        allowed = ", ".join(_methods_of(router, request))
        headers = {**(headers or {}), "Allow": allowed} if allowed else headers
        takes = f" ({path} takes {allowed})" if allowed else ""
        return error_response(
            request,
            CODES["endpoint"],
            f"{call} is not offered by slideforge's Ayrshare-compatible API{takes}; it offers "
            f"{OFFERED} (TikTok only).",
            405,
            headers,
        )
    if status == 404 and error_code == "not_found":
        return error_response(
            request,
            CODES["endpoint"],
            f"{call} is not offered by slideforge's Ayrshare-compatible API; it offers "
            f"{OFFERED} (TikTok only).",
            404,
            headers,
        )
    if error_code in ("invalid_json", "invalid_payload"):
        return error_response(request, CODES["invalid_parameters"], message, 400, headers)
    if status >= 500:
        return error_response(request, CODES["internal"], message, status, headers)
    if status == 401:
        kind = "unauthorized"
    elif status == 429:
        kind = "rate_limited"
    else:
        kind = "refused"
    return error_response(request, CODES[kind], message, status, headers)


def register_outside_routes(router: APIRouter) -> None:
    """Errors under the prefix that none of the router's handlers saw answer in Ayrshare's
    shape too (the app's error handlers and ``BodyGuard`` consult the registration)."""
    register_error_shape(PREFIX, partial(_outside_routes, router))
