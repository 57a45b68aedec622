"""The response envelope ``{ok, code, message, data?, error_code?}`` on every response,
including framework errors (404/405/422), bodies that are not JSON and oversized bodies."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Generic, Protocol, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slideforge.kit.errors import ApiError
from slideforge.kit.validation import NOT_BLANK

log = logging.getLogger(__name__)

DataT = TypeVar("DataT")


class Envelope(BaseModel, Generic[DataT]):
    ok: bool = True
    code: int = 200
    message: str = "OK"
    data: DataT


class Deleted(BaseModel):
    """What every DELETE answers (never a 204: clients need a JSON body)."""

    id: uuid.UUID
    deleted: bool = True


class ErrorEnvelope(BaseModel):
    ok: bool = False
    code: int
    message: str
    error_code: str
    data: dict[str, Any] | None = None


def error_responses(
    descriptions: Mapping[int, str], *statuses: int
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` where each of ``statuses`` answers an :class:`ErrorEnvelope`,
    described as ``descriptions`` says."""
    return {
        status: {"model": ErrorEnvelope, "description": descriptions[status]} for status in statuses
    }


_COMMON_ERRORS = {
    400: "Bad request (invalid_json, …)",
    401: "Missing, malformed, unknown or revoked API key",
    404: "Not found (also what ids of other workspaces answer)",
    413: "Body too large",
    422: "Validation failed (invalid_payload names the field and rule)",
    429: "Rate limited; see Retry-After",
}
ERROR_RESPONSES = error_responses(_COMMON_ERRORS, *_COMMON_ERRORS)


def _dump(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_dump(item) for item in data]
    if isinstance(data, dict):
        return {key: _dump(value) for key, value in data.items()}
    return data


def respond(data: Any, message: str = "OK", status: int = 200) -> JSONResponse:
    """Wrap ``data`` (a Pydantic model, dict or list) in the success envelope."""
    body = {"ok": True, "code": status, "message": message, "data": _dump(data)}
    return JSONResponse(body, status_code=status)


def error_response(
    error_code: str,
    message: str,
    status: int,
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "ok": False,
        "code": status,
        "message": message,
        "error_code": error_code,
    }
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_payload",
    429: "rate_limited",
}


_TYPE_TAGS = {"str", "int", "float", "bool", "none", "dict", "list", "uuid", "json-or-python"}


def _location(loc: Sequence[Any]) -> str:
    """``("body", "policy", "allowed_hours", "start")`` -> ``policy.allowed_hours.start``;
    pydantic's union-member tags (``constrained-str``, ``list[str]``…) are dropped."""
    parts = [
        str(p)
        for p in loc
        if p not in ("body", "query", "path", "header")
        and not (isinstance(p, str) and ("-" in p or "[" in p or p in _TYPE_TAGS))
    ]
    out = ""
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "body"


def _blank(err: Any) -> bool:
    """A text that is empty (after the trimming some fields do) or only spaces."""
    ctx = err.get("ctx") or {}
    if err.get("type") == "string_too_short":
        return bool(ctx.get("min_length") == 1)
    return bool(err.get("type") == "string_pattern_mismatch" and ctx.get("pattern") == NOT_BLANK)


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    details: list[dict[str, str]] = []
    for err in errors:
        loc = err.get("loc", ())
        field = _location(loc)
        if loc and loc[0] == "query":
            field = f"query parameter {field}"
        elif loc and loc[0] == "path":
            field = f"path parameter {field}"
        msg = str(err.get("msg", "is invalid"))
        if err.get("type") == "value_error":
            msg = msg.removeprefix("Value error, ")
            name, sep, rule = msg.partition(": ")
            if sep and field == "body" and name.replace("_", "").isalnum():
                field, msg = name, rule
        if err.get("type") == "missing":
            msg = "is required"
        elif err.get("type") == "extra_forbidden":
            msg = "is not a known field"
        elif _blank(err):
            msg = "must not be empty or only spaces"
        details.append({"field": field, "message": msg})
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    if len(details) > 5:
        message += f" (and {len(details) - 5} more)"
    return message or "request validation failed", details


class ErrorShape(Protocol):
    """Answers an error in another format than the envelope (a compat API whose clients
    parse their vendor's error shape). ``error_code`` and ``message`` are what the envelope
    would have said; ``headers`` (e.g. ``Allow``, ``Retry-After``) must be kept."""

    def __call__(
        self,
        request: Request,
        error_code: str,
        message: str,
        status: int,
        headers: dict[str, str] | None,
    ) -> Response: ...


_ERROR_SHAPES: dict[str, ErrorShape] = {}


def register_error_shape(prefix: str, shape: ErrorShape) -> None:
    """Every error of a request under the path ``prefix`` that reaches the app's handlers
    (unknown paths and methods, validation, unexpected exceptions) or ``BodyGuard`` (413,
    deep JSON) is answered by ``shape`` instead of the envelope."""
    _ERROR_SHAPES[prefix.rstrip("/")] = shape


def error_shape_for(path: str) -> ErrorShape | None:
    for prefix, shape in _ERROR_SHAPES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return shape
    return None


def _answer(
    request: Request,
    error_code: str,
    message: str,
    status: int,
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    shape = error_shape_for(request.url.path)
    if shape is not None:
        return shape(request, error_code, message, status, headers)
    return error_response(error_code, message, status, data, headers)


NOT_JSON = "The request body is not valid JSON: send a JSON object."


def body_not_json(errors: Sequence[Any]) -> bool:
    """The body could not be read as JSON: malformed JSON, or a body FastAPI left as raw
    bytes because its Content-Type is not JSON (text/plain, a form, multipart, XML, none)."""
    return any(
        e.get("type") == "json_invalid"
        or (tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), bytes | bytearray))
        for e in errors
    )


def not_json_message(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in ("application/json", "") or content_type.endswith("+json"):
        if content_type:
            return NOT_JSON
        return (
            "The request body must be JSON sent with Content-Type: application/json; this "
            "request has no Content-Type."
        )
    return (
        f"The request body must be JSON sent with Content-Type: application/json; "
        f"{content_type} is not accepted here."
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _answer(request, exc.error_code, exc.message, exc.status, exc.data, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if body_not_json(errors):
            return _answer(request, "invalid_json", not_json_message(request), 400)
        message, details = describe_validation_errors(errors)
        return _answer(request, "invalid_payload", message, 422, {"errors": details})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        if status == 400 and "parsing the body" in str(exc.detail):
            return _answer(request, "invalid_json", not_json_message(request), 400)
        code = _HTTP_CODES.get(status, "error")
        if status == 404:
            message = "No such endpoint or resource."
        elif status == 405:
            message = "This method is not allowed on this path."
        else:
            message = str(exc.detail) if exc.detail else code
        return _answer(request, code, message, status, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _answer(
            request,
            "internal_error",
            "The server failed to handle this request; it was logged.",
            500,
        )


def _json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Cheap scan for nesting depth outside strings (a guard against recursion bombs)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
            continue
        if byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


# A JSON \u0000 escape that is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def drop_nul(body: bytes) -> bytes:
    """Remove NUL characters from JSON text: PostgreSQL cannot store them in text columns, and
    no field of ours needs one."""
    return _JSON_NUL.sub(rb"\1", body) if b"\\u0000" in body else body


@dataclass(frozen=True)
class BodyGuard:
    """ASGI middleware: caps request bodies (413), rejects JSON nested deeper than the limit
    (400 invalid_json), drops NUL characters from JSON text and query strings, and lets a
    bodiless POST with a JSON content type through as empty.

    Paths under ``large_body_prefixes`` (raw uploads) get ``large_limit`` instead."""

    app: ASGIApp
    _: KW_ONLY
    json_limit: int
    json_depth: int
    large_body_prefixes: tuple[str, ...] = ()
    large_limit: int = 0
    skip_prefixes: tuple[str, ...] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            scope = {**scope, "query_string": query.replace(b"%00", b"").replace(b"\x00", b"")}
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        large = path.startswith(self.large_body_prefixes)
        limit = self.large_limit if large else self.json_limit
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    await self._reject(scope, send, 413, "payload_too_large", _too_large(limit))
                    return
            except ValueError:
                await self._reject(
                    scope, send, 400, "bad_request", "Content-Length is not a number."
                )
                return
        if large:
            await self.app(scope, _counting_receive(receive, limit), send)
            return

        # JSON routes: read the (small) body once, check it, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._reject(scope, send, 413, "payload_too_large", _too_large(limit))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = drop_nul(b"".join(chunks))
        if body and _json_depth_exceeds(body, self.json_depth):
            await self._reject(
                scope,
                send,
                400,
                "invalid_json",
                f"The JSON body is nested deeper than {self.json_depth} levels.",
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send, status: int, code: str, message: str) -> None:
        shape = error_shape_for(scope.get("path", ""))
        if shape is not None:
            response = shape(Request(scope), code, message, status, None)
            response.headers["connection"] = "close"
            await response(scope, _no_body, send)
            return
        payload = json.dumps(
            {"ok": False, "code": status, "message": message, "error_code": code}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes."


def _counting_receive(receive: Receive, limit: int) -> Callable[[], Awaitable[Message]]:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(_too_large(limit))
        return message

    return wrapped
