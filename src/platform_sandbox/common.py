"""What the Instagram and Pinterest sandboxes share: the state every platform sandbox keeps
the same way (clock, options, registered apps, failure rules, request log), the admin API
plumbing under ``/__sandbox/``, the ASGI app around a sandbox's ``handle`` and the helpers
both use (media downloads, multipart bodies, validation of admin input).

Only the mechanics are here; every answer a platform gives (error bodies, status codes,
headers) stays in the platform's module."""

from __future__ import annotations

import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from slideforge.kit.clock import Clock, ManualClock, SystemClock, isoformat, parse_timestamp

ADMIN = "/__sandbox"
ADMIN_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
MIB = 1024 * 1024
DAY = 86_400.0

M = TypeVar("M", bound=BaseModel)


class SandboxError(Exception):
    """Misuse of the admin / Python API (unknown id, wrong state, bad input)."""

    def __init__(self, message: str, *, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


# ---------------------------------------------------------------------- validation of admin input


def validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()
    )


def build_model(model: type[M], fields: Mapping[str, Any]) -> M:
    """``model`` from admin / Python API fields; SandboxError when they are invalid."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise SandboxError(validation_message(exc)) from exc


def with_changes(current: M, changes: Mapping[str, Any]) -> M:
    """A copy of ``current`` with ``changes`` applied and validated again; SandboxError when
    the result is invalid."""
    data = current.model_dump()
    data.update(changes)
    try:
        return type(current).model_validate(data)
    except ValidationError as exc:
        raise SandboxError(validation_message(exc)) from exc


def apply_preset(
    rule: BaseModel, preset: str | None, presets: Mapping[str, Mapping[str, Any]]
) -> None:
    """Fill the fields of a failure rule that are still None from ``presets[preset]`` (for a
    model validator: ValueError for an unknown preset)."""
    if preset is None:
        return
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r}; known: {sorted(presets)}")
    for key, value in presets[preset].items():
        if getattr(rule, key) is None:
            setattr(rule, key, value)


# ---------------------------------------------------------------------- small helpers


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return isoformat(datetime.fromtimestamp(ts, UTC))


def split_scopes(raw: str) -> list[str]:
    """``a,b c`` → [a, b, c], without repeats."""
    seen: list[str] = []
    for item in re.split(r"[,\s]+", raw.strip()):
        if item and item not in seen:
            seen.append(item)
    return seen


def with_query(url: str, values: Mapping[str, str | None], fragment: str = "") -> str:
    """``url`` with ``values`` (None ones left out) added to its query and ``fragment``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((key, value) for key, value in values.items() if value is not None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), fragment))


def parse_when(raw: str) -> datetime:
    try:
        return parse_timestamp(raw)
    except ValueError as exc:
        raise SandboxError(str(exc)) from exc


# ---------------------------------------------------------------------- media fetching


@dataclass
class MediaProbe:
    url: str
    http_status: int | None = None
    bytes: int = 0
    format: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sniff_image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1"):
        return "heic"
    return None


FetchError = Literal["unreachable", "timeout", "too_large"]


def fetch_media(
    url: str, *, timeout: float, max_bytes: int
) -> tuple[MediaProbe, bytes, FetchError | None]:
    """Download ``url`` (redirects followed) into memory, at most ``max_bytes``, within
    ``timeout`` seconds of real time in total."""
    probe = MediaProbe(url=url)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        probe.error = "not an http(s) URL"
        return probe, b"", "unreachable"
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        with (
            httpx.Client(follow_redirects=True, max_redirects=5, timeout=timeout) as client,
            client.stream("GET", url) as response,
        ):
            probe.http_status = response.status_code
            if response.status_code != 200:
                probe.error = f"HTTP {response.status_code}"
                return probe, b"", "unreachable"
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:
                    probe.error = f"download took longer than {timeout}s"
                    return probe, b"", "timeout"
                probe.bytes += len(chunk)
                if probe.bytes > max_bytes:
                    probe.error = f"larger than {max_bytes} bytes"
                    return probe, b"", "too_large"
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        probe.error = f"timeout: {exc}"
        return probe, b"", "timeout"
    except (httpx.HTTPError, OSError, ValueError) as exc:
        probe.error = f"{type(exc).__name__}: {exc}"
        return probe, b"", "unreachable"
    return probe, b"".join(chunks), None


def parse_multipart(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]] | None:
    """The parts of a ``multipart/form-data`` body as (name, filename, data); None when the
    body is malformed. (python-multipart is not a dependency; this covers form posts.)"""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return None
    delimiter = b"--" + match.group(1).encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 3:
        return None
    parts: list[tuple[str, str | None, bytes]] = []
    for section in sections[1:]:
        if section.startswith(b"--"):
            return parts
        if section.startswith(b"\r\n"):
            section = section[2:]
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            return None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        name: str | None = None
        filename: str | None = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() != "content-disposition":
                continue
            for param_name, param_value in re.findall(r';\s*([\w*-]+)="([^"]*)"', value):
                if param_name.lower() == "name":
                    name = param_value
                elif param_name.lower() == "filename":
                    filename = param_value
        if name is None:
            return None
        parts.append((name, filename, data))
    return None


# ---------------------------------------------------------------------- the shared state


class RegisteredApp(BaseModel):
    """An app registered with the platform: its OAuth client credentials and redirect URIs."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    client_id: str = Field(default="", pattern=r"^\d*$")
    client_secret: str = ""
    name: str = "slideforge sandbox app"
    redirect_uris: list[str] = Field(default_factory=list)


OptionsT = TypeVar("OptionsT", bound=BaseModel)
AppT = TypeVar("AppT", bound=RegisteredApp)
RuleT = TypeVar("RuleT", bound=BaseModel)


class PlatformSandbox(ABC, Generic[OptionsT, AppT, RuleT]):
    """The part of a platform sandbox's state (Instagram, Pinterest) kept the same way on
    every platform: the clock, one lock, behaviour options, registered apps, failure rules
    and the request log, with their Python API.

    A platform sets ``failure_rule_model``, fills the configuration in ``_load_config``
    (``_options``, ``_apps``, ``_config_seq`` and its own accounts) and the API's records in
    ``_clear_state`` (``_seq``, ``_rules``, ``_rule_seq``, ``_requests`` and its own)."""

    failure_rule_model: type[RuleT]

    _options: OptionsT
    _apps: dict[str, AppT]
    _config_seq: int
    _seq: int
    _rules: list[RuleT]
    _rule_seq: int
    _requests: deque[dict[str, Any]]

    def __init__(self, *, clock: Clock | None, options: OptionsT, seed_defaults: bool) -> None:
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._initial_options = options.model_copy(deep=True)
        self._seed_defaults = seed_defaults
        self._load_config()
        self._clear_state()

    @abstractmethod
    def _load_config(self) -> None:
        """Options, apps and accounts as configured at start (seeded when asked)."""

    @abstractmethod
    def _clear_state(self) -> None:
        """Forget everything the API created, the failure rules and the request log."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """Counts of what the sandbox holds (the admin ``GET /state``)."""

    @abstractmethod
    def add_app(self, **fields: Any) -> AppT:
        """Register an app (client id and secret generated when not given)."""

    def reset(self, *, keep_config: bool = True) -> None:
        """Forget tokens, codes, everything created through the API, counters, failure rules
        and the request log (``_clear_state``); with ``keep_config=False`` apps, accounts and
        options return to their defaults too (``_load_config``)."""
        with self._lock:
            if not keep_config:
                self._load_config()
            self._clear_state()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _next(self, base: int) -> str:
        self._seq += 1
        return str(base + self._seq)

    def _next_config_id(self, base: int) -> str:
        self._config_seq += 1
        return str(base + self._config_seq)

    # ------------------------------------------------------------------ options and apps

    @property
    def options(self) -> OptionsT:
        with self._lock:
            return self._options.model_copy(deep=True)

    def update_options(self, **changes: Any) -> OptionsT:
        with self._lock:
            self._options = with_changes(self._options, changes)
            return self._options.model_copy(deep=True)

    def apps(self) -> list[AppT]:
        with self._lock:
            return [app.model_copy(deep=True) for app in self._apps.values()]

    def get_app(self, client_id: str) -> AppT:
        with self._lock:
            return self._app(client_id).model_copy(deep=True)

    def _app(self, client_id: str) -> AppT:
        app = self._apps.get(client_id)
        if app is None:
            raise SandboxError(f"no app {client_id!r}", status=404, code="not_found")
        return app

    def update_app(self, client_id: str, **changes: Any) -> AppT:
        with self._lock:
            app = with_changes(self._app(client_id), changes)
            if app.client_id != client_id:
                raise SandboxError("client_id cannot change")
            self._apps[client_id] = app
            return app.model_copy(deep=True)

    # ------------------------------------------------------------------ failures API

    def add_failure(self, rule: RuleT | None = None, **fields: Any) -> RuleT:
        with self._lock:
            if rule is None:
                rule = build_model(self.failure_rule_model, fields)
            self._rule_seq += 1
            rule = rule.model_copy(update={"id": self._rule_seq, "fired": 0})
            self._rules.append(rule)
            return rule.model_copy()

    def failures(self) -> list[RuleT]:
        with self._lock:
            return [rule.model_copy() for rule in self._rules]

    def clear_failures(self) -> None:
        with self._lock:
            self._rules.clear()

    # ------------------------------------------------------------------ clock API

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def manual_clock(self) -> bool:
        return isinstance(self.clock, ManualClock)

    def advance_clock(self, seconds: float) -> datetime:
        if not isinstance(self.clock, ManualClock):
            raise SandboxError("the sandbox runs on the system clock", status=409)
        return self.clock.advance(seconds)

    def set_clock(self, when: datetime) -> datetime:
        if not isinstance(self.clock, ManualClock):
            raise SandboxError("the sandbox runs on the system clock", status=409)
        self.clock.set(when)
        return self.clock.now()

    # ------------------------------------------------------------------ request log

    def _log_request(
        self,
        *,
        method: str,
        path: str,
        endpoint: str,
        status: int,
        code: int | str | None,
        **details: Any,
    ) -> None:
        """Append one answered request to the log; ``details`` are the platform's fields."""
        with self._lock:
            self._requests.append(
                {
                    "at": iso(self._now()),
                    "method": method,
                    "path": path,
                    "endpoint": endpoint,
                    "status": status,
                    "code": code,
                    **details,
                }
            )

    def _logged_requests(self, **filters: str | None) -> list[dict[str, Any]]:
        """The log's entries, oldest first, equal to every filter that is not None."""
        with self._lock:
            return [
                dict(entry)
                for entry in self._requests
                if all(value is None or entry[key] == value for key, value in filters.items())
            ]


# ---------------------------------------------------------------------- HTTP layer


@dataclass
class Reply:
    """One answer of a sandbox's ``handle``: a JSON ``body`` (or an ``xml`` one), or a 302
    to ``location``."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    xml: str | None = None


def reply_response(reply: Reply) -> Response:
    """The HTTP response for ``reply`` (redirect, XML, empty 204 or JSON)."""
    if reply.location is not None:
        return RedirectResponse(reply.location, status_code=302, headers=reply.headers)
    if reply.xml is not None:
        return Response(
            reply.xml,
            status_code=reply.status,
            media_type="application/xml",
            headers=reply.headers,
        )
    if reply.status == 204:
        return Response(status_code=204, headers=reply.headers)
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


Endpoint = Callable[[Request], Awaitable[Response]]
AdminCall = tuple[Callable[[], Any], int]
"""What an admin route does (run in a worker thread) and the HTTP status of its answer."""
AdminRoutes = Callable[[str, list[str], Mapping[str, str], dict[str, Any]], AdminCall | None]
"""(method, path parts below ``/__sandbox/``, query, JSON body) → the call, None: no route."""


ADMIN_INPUT_ERRORS = (TypeError, ValueError, KeyError)


def admin_endpoint(routes: AdminRoutes) -> Endpoint:
    """The ``/__sandbox/…`` endpoint: reads the JSON object body, finds the call with
    ``routes`` and answers its result as JSON. SandboxError gives ``{"error": code,
    "message": …}``; so do the errors of a body that does not fit the call (an unknown or
    mistyped field: TypeError, ValueError, KeyError), answered 400 with their text."""

    async def admin(request: Request) -> Response:
        path = request.url.path[len(ADMIN) :].strip("/")
        parts = path.split("/") if path else []
        method = request.method
        raw = await request.body()
        body: dict[str, Any] = {}
        if raw.strip():
            try:
                loaded = json.loads(raw)
            except ValueError:
                return _admin_error(SandboxError("the body must be JSON"))
            if not isinstance(loaded, dict):
                return _admin_error(SandboxError("the body must be a JSON object"))
            body = loaded
        call = routes(method, parts, request.query_params, body)
        if call is None:
            return _admin_error(
                SandboxError(f"no admin route {method} /{path}", status=404, code="not_found")
            )
        action, status = call
        try:
            result = await run_in_threadpool(action)
        except SandboxError as exc:
            return _admin_error(exc)
        except ADMIN_INPUT_ERRORS as exc:
            return _admin_error(SandboxError(str(exc)))
        return JSONResponse(_jsonable(result), status_code=status)

    return admin


def platform_admin_call(
    sb: PlatformSandbox[Any, Any, Any], method: str, parts: list[str], body: dict[str, Any]
) -> AdminCall | None:
    """The admin routes of ``PlatformSandbox``'s state: state, reset, options, apps,
    failures and clock (``sb``: the sandbox)."""
    match (method, parts):
        case ("GET", ["state"]):
            return sb.summary, 200
        case ("POST", ["reset"]):
            keep = bool(body.get("keep_config", True))
            return then(lambda: sb.reset(keep_config=keep), {"reset": True}), 200
        case ("GET", ["options"]):
            return (lambda: sb.options), 200
        case ("PATCH", ["options"]):
            return (lambda: sb.update_options(**body)), 200
        case ("GET", ["apps"]):
            return sb.apps, 200
        case ("POST", ["apps"]):
            return (lambda: sb.add_app(**body)), 201
        case ("GET", ["apps", client_id]):
            return (lambda: sb.get_app(client_id)), 200
        case ("PATCH", ["apps", client_id]):
            return (lambda: sb.update_app(client_id, **body)), 200
        case ("GET", ["failures"]):
            return sb.failures, 200
        case ("POST", ["failures"]):
            return (lambda: sb.add_failure(build_model(sb.failure_rule_model, body))), 201
        case ("DELETE", ["failures"]):
            return then(sb.clear_failures, {"cleared": True}), 200
        case ("GET", ["clock"]):
            return (lambda: {"now": sb.now(), "manual": sb.manual_clock}), 200
        case ("POST", ["clock", "advance"]):
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                return failing(SandboxError("seconds (a number) is needed")), 400
            return (lambda: {"now": sb.advance_clock(float(seconds))}), 200
        case ("POST", ["clock", "set"]):
            raw_now = str(body.get("now", ""))
            return (lambda: {"now": sb.set_clock(parse_when(raw_now))}), 200
    return None


def then(action: Callable[[], Any], result: Any) -> Callable[[], Any]:
    """A call that runs ``action`` for its effect and answers ``result``."""

    def run() -> Any:
        action()
        return result

    return run


def failing(error: Exception) -> Callable[[], Any]:
    """A call that raises ``error`` (an admin route refusing its input)."""

    def run() -> Any:
        raise error

    return run


def _admin_error(exc: SandboxError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def sandbox_app(
    sandbox: PlatformSandbox[Any, Any, Any],
    *,
    admin: Endpoint,
    api: Endpoint,
    api_methods: list[str],
) -> Starlette:
    """An ASGI app: the admin API under ``/__sandbox/``, every other path on ``api``; the
    sandbox object is ``app.state.sandbox``."""
    routes = [
        Route(ADMIN + "/{rest:path}", admin, methods=ADMIN_METHODS),
        Route("/{path:path}", api, methods=api_methods),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    app.state.sandbox = sandbox
    return app
