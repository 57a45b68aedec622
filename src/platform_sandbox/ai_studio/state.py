"""The AI studio stand-in: OpenAI's images and videos APIs (the shapes slideforge's studio
sends and reads), in memory, with real PNG and MP4 bytes drawn from the prompt.

- ``POST /v1/images/generations`` JSON ``{model, prompt, n, size, response_format?,
  output_format?}`` → ``{created, data: [{b64_json} | {url}]}``; like OpenAI, a gpt-image
  model refuses ``response_format`` (400 unknown_parameter) and answers base64;
- ``POST /v1/images/edits`` multipart (``image[]`` parts, or one ``image``) for models that
  edit;
- ``POST /v1/videos`` (JSON or multipart with ``input_reference``) → the video object
  ``{id, object: "video", status: "queued", progress, model, seconds, size, created_at}``;
  ``GET /v1/videos/{id}``: queued for ``queue_seconds``, in_progress (progress rising) until
  ``render_seconds``, then completed — or failed with ``error{code, message}``;
  ``GET /v1/videos/{id}/content`` → the MP4. A repeated ``Idempotency-Key`` answers the
  same job;
- every call needs ``Authorization: Bearer <one of api_keys>`` (401 in OpenAI's error shape
  ``{"error": {"message", "type", "param", "code"}}``); an unknown model is 400
  invalid_value on ``model``; a prompt with one of ``moderation_words`` is refused as
  OpenAI's safety system does; failure rules (``/__sandbox/failures``) make the next calls
  answer an error (presets rate_limited, server_error, content_policy) or the next videos
  fail (``kind: "video_failed"``)."""

from __future__ import annotations

import base64
import io
import itertools
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from platform_sandbox.ai_studio import media
from platform_sandbox.common import (
    PlatformFailureRule,
    Reply,
    build_model,
    iso,
    take_rule,
    with_changes,
)
from slideforge.kit.clock import Clock, SystemClock

ENDPOINTS = (
    "*",
    "images_generations",
    "images_edits",
    "videos_create",
    "videos_retrieve",
    "videos_content",
)
MIB = 1024 * 1024


class SandboxModel(BaseModel):
    """A model the stand-in serves."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["images", "videos"]
    sizes: list[str]
    seconds: list[int] = Field(default_factory=list)
    edits: bool = False
    max_images: int = 1
    response_format: bool = False
    """True: it takes ``response_format`` (dall-e); False: it refuses it (gpt-image)."""
    output_formats: list[str] = Field(default_factory=lambda: ["png"])


def _default_models() -> list[SandboxModel]:
    return [
        SandboxModel(
            id="gpt-image-1",
            kind="images",
            sizes=["1024x1024", "1024x1536", "1536x1024"],
            edits=True,
            max_images=16,
            output_formats=["png", "jpeg", "webp"],
        ),
        SandboxModel(
            id="dall-e-3",
            kind="images",
            sizes=["1024x1024", "1792x1024", "1024x1792"],
            response_format=True,
        ),
        SandboxModel(
            id="sora-2", kind="videos", sizes=["720x1280", "1280x720"], seconds=[4, 8, 12]
        ),
        SandboxModel(
            id="sora-2-pro",
            kind="videos",
            sizes=["720x1280", "1280x720", "1024x1792", "1792x1024"],
            seconds=[4, 8, 12],
        ),
    ]


class AiStudioOptions(BaseModel):
    """Behaviour knobs (seconds of the sandbox clock)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    api_keys: list[str] = Field(default_factory=lambda: ["sk-sandbox-studio"])
    models: list[SandboxModel] = Field(default_factory=_default_models)
    queue_seconds: float = Field(default=0.5, ge=0)
    render_seconds: float = Field(default=2.0, ge=0)
    """From creation to ``completed``."""
    video_fps: int = Field(default=12, ge=1, le=60)
    video_scale: float = Field(default=0.5, gt=0, le=1)
    """The MP4 is drawn at this fraction of the requested size (fast tests); 1: full size."""
    moderation_words: list[str] = Field(default_factory=lambda: ["forbidden-subject"])
    max_upload_bytes: int = Field(default=50 * MIB, gt=0)


PRESETS: dict[str, dict[str, Any]] = {
    "rate_limited": {
        "http_status": 429,
        "code": "rate_limit_exceeded",
        "type": "requests",
        "message": "Rate limit reached for requests. Please try again in 20s.",
    },
    "server_error": {
        "http_status": 500,
        "code": "server_error",
        "type": "server_error",
        "message": "The server had an error while processing your request. Sorry about that!",
    },
    "content_policy": {
        "http_status": 400,
        "code": "moderation_blocked",
        "type": "image_generation_user_error",
        "message": "Your request was rejected by the safety system.",
    },
}


class FailureRule(PlatformFailureRule):
    """``kind="http_error"``: matching calls answer ``http_status`` with OpenAI's error
    body (``after_commit`` on videos_create: the job is really created first).
    ``kind="video_failed"``: the next created videos end ``failed`` with ``code`` and
    ``message``."""

    presets = PRESETS
    endpoints = ENDPOINTS
    after_commit_endpoints = ("videos_create",)
    answering_kind = "http_error"

    kind: Literal["http_error", "video_failed"] = "http_error"
    http_status: int | None = Field(default=None, ge=400, le=599)
    code: str | None = None
    type: str | None = None
    message: str | None = None

    def _check_answer(self) -> None:
        if self.http_status is None:
            raise ValueError("an http_error rule needs a preset or http_status")
        self.type = self.type or "invalid_request_error"
        self.message = self.message or "Injected failure."


@dataclass
class VideoJob:
    id: str
    model: str
    prompt: str
    seconds: int
    size: str
    created: float
    has_reference: bool
    fail: tuple[str, str] | None = None
    content: bytes | None = None


@dataclass
class Request:
    """One parsed API call."""

    method: str
    path: str
    headers: dict[str, str]
    json: dict[str, Any] | None = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)


def openai_error(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    param: Any = None,
    code: Any = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return Reply(status, body, headers=headers or {})


class AiStudioSandbox:
    """In-memory, thread-safe state of the stand-in, with a Python API."""

    def __init__(
        self, *, clock: Clock | None = None, options: AiStudioOptions | None = None
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._initial = (options or AiStudioOptions()).model_copy(deep=True)
        self._lock = threading.RLock()
        self.reset(keep_options=False)

    # ------------------------------------------------------------------ admin

    def reset(self, *, keep_options: bool = True) -> None:
        with self._lock:
            if not keep_options:
                self._options = self._initial.model_copy(deep=True)
            self._videos: dict[str, VideoJob] = {}
            self._idempotent: dict[str, str] = {}
            self._images: dict[str, bytes] = {}
            self._rules: list[FailureRule] = []
            self._rule_ids = itertools.count(1)
            self._log: deque[dict[str, Any]] = deque(maxlen=5000)
            self.counts: dict[str, int] = {}

    @property
    def options(self) -> AiStudioOptions:
        with self._lock:
            return self._options.model_copy(deep=True)

    def update_options(self, **changes: Any) -> AiStudioOptions:
        with self._lock:
            self._options = with_changes(self._options, changes)
            return self._options.model_copy(deep=True)

    def add_failure(self, **fields: Any) -> FailureRule:
        with self._lock:
            rule = build_model(FailureRule, fields)
            rule = rule.model_copy(update={"id": next(self._rule_ids), "fired": 0})
            self._rules.append(rule)
            return rule.model_copy()

    def failures(self) -> list[FailureRule]:
        with self._lock:
            return [rule.model_copy() for rule in self._rules]

    def clear_failures(self) -> None:
        with self._lock:
            self._rules.clear()

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._log if endpoint in (None, e["endpoint"])]

    def videos(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._video_object(job) for job in self._videos.values()]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "videos": len(self._videos),
                "images_served": len(self._images),
                "failure_rules": len(self._rules),
                "calls": dict(self.counts),
            }

    # ------------------------------------------------------------------ the API

    def handle(self, request: Request, base_url: str) -> tuple[Reply, bytes | None]:
        """Answer one call: a JSON reply, or (for content and hosted images) bytes."""
        endpoint, reply, raw = self._route(request, base_url)
        with self._lock:
            self.counts[endpoint] = self.counts.get(endpoint, 0) + 1
            self._log.append(
                {
                    "at": iso(self.clock.now().timestamp()),
                    "method": request.method,
                    "path": request.path,
                    "endpoint": endpoint,
                    "status": reply.status,
                    "model": self._field(request, "model"),
                    "idempotency_key": request.headers.get("idempotency-key"),
                }
            )
        return reply, raw

    def _route(self, request: Request, base_url: str) -> tuple[str, Reply, bytes | None]:
        parts = [p for p in request.path.split("/") if p]
        method = request.method
        if parts[:1] == ["files"] and len(parts) == 2 and method == "GET":
            with self._lock:
                data = self._images.get(parts[1])
            if data is None:
                return "files", openai_error(404, "No such file."), None
            return "files", Reply(200), data
        if parts[:1] != ["v1"]:
            return "unknown", openai_error(404, f"Invalid URL ({method} {request.path})"), None
        match (method, parts[1:]):
            case ("POST", ["images", "generations"]):
                endpoint = "images_generations"
            case ("POST", ["images", "edits"]):
                endpoint = "images_edits"
            case ("POST", ["videos"]):
                endpoint = "videos_create"
            case ("GET", ["videos", _]):
                endpoint = "videos_retrieve"
            case ("GET", ["videos", _, "content"]):
                endpoint = "videos_content"
            case _:
                return "unknown", openai_error(404, f"Invalid URL ({method} {request.path})"), None
        refusal = self._auth(request)
        if refusal is not None:
            return endpoint, refusal, None
        rule = self._take(endpoint, answering=True)
        if rule is not None and not rule.after_commit:
            return endpoint, self._rule_reply(rule), None
        try:
            if endpoint == "images_generations":
                reply = self._images_generate(request, base_url, edit=False)
            elif endpoint == "images_edits":
                reply = self._images_generate(request, base_url, edit=True)
            elif endpoint == "videos_create":
                reply = self._video_create(request)
            elif endpoint == "videos_retrieve":
                reply = self._video_retrieve(parts[2])
            else:
                content, reply = self._video_content(parts[2])
                if content is not None:
                    return endpoint, reply, content
        except _Refused as exc:
            return endpoint, exc.reply, None
        if rule is not None:  # after_commit: the job exists, the answer is an error
            return endpoint, self._rule_reply(rule), None
        return endpoint, reply, None

    def _auth(self, request: Request) -> Reply | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return openai_error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = header[7:].strip()
        with self._lock:
            known = key in self._options.api_keys
        if not known:
            shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"
            return openai_error(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return None

    def _take(self, endpoint: str, *, answering: bool) -> FailureRule | None:
        kind = "http_error" if answering else "video_failed"
        with self._lock:
            return take_rule(
                self._rules,
                lambda r: r.kind == kind and r.endpoint in ("*", endpoint),
            )

    @staticmethod
    def _rule_reply(rule: FailureRule) -> Reply:
        headers = {"retry-after": "20"} if rule.http_status == 429 else {}
        return openai_error(
            rule.http_status or 500,
            rule.message or "Injected failure.",
            type_=rule.type or "invalid_request_error",
            code=rule.code,
            headers=headers,
        )

    def _model(self, name: Any, kind: str) -> SandboxModel:
        with self._lock:
            models = [m for m in self._options.models if m.kind == kind]
        for model in models:
            if model.id == name:
                return model
        known = ", ".join(f"'{m.id}'" for m in models)
        raise _Refused(
            openai_error(
                400,
                f"Invalid value: '{name}'. Value must be one of {known}.",
                param="model",
                code="invalid_value",
            )
        )

    def _moderate(self, prompt: str, type_: str) -> None:
        with self._lock:
            words = list(self._options.moderation_words)
        if any(word and word.lower() in prompt.lower() for word in words):
            raise _Refused(
                openai_error(
                    400,
                    "Your request was rejected by the safety system. If you believe this is "
                    "an error, contact us at help.openai.com.",
                    type_=type_,
                    code="moderation_blocked",
                )
            )

    def _field(self, request: Request, name: str) -> Any:
        if request.json is not None:
            return request.json.get(name)
        values = request.form.get(name)
        return values[0] if values else None

    def _prompt(self, request: Request) -> str:
        """The request's prompt; OpenAI refuses a missing or blank one."""
        prompt = str(self._field(request, "prompt") or "")
        if not prompt.strip():
            raise _Refused(
                openai_error(
                    400,
                    "Missing required parameter: 'prompt'.",
                    param="prompt",
                    code="missing_required_parameter",
                )
            )
        return prompt

    def _size(self, request: Request, model: SandboxModel, *, auto: bool) -> str:
        """The request's size, one of the model's (images also take ``auto``: the first)."""
        size = str(self._field(request, "size") or model.sizes[0])
        if auto and size == "auto":
            size = model.sizes[0]
        if size not in model.sizes:
            allowed = ", ".join(f"'{s}'" for s in model.sizes)
            raise _Refused(
                openai_error(
                    400,
                    f"Invalid value: '{size}'. Supported values are: {allowed}.",
                    param="size",
                    code="invalid_value",
                )
            )
        return size

    def _images_generate(self, request: Request, base_url: str, *, edit: bool) -> Reply:
        if edit and request.json is not None:
            raise _Refused(
                openai_error(400, "The edits endpoint takes multipart/form-data.", param="image")
            )
        model = self._model(self._field(request, "model"), "images")
        prompt = self._prompt(request)
        response_format = self._field(request, "response_format")
        if response_format is not None and not model.response_format:
            raise _Refused(
                openai_error(
                    400,
                    "Unknown parameter: 'response_format'.",
                    param="response_format",
                    code="unknown_parameter",
                )
            )
        size = self._size(request, model, auto=True)
        n = self._field(request, "n") or 1
        try:
            count = int(n)
        except (TypeError, ValueError):
            count = 0
        if not 1 <= count <= 10:
            raise _Refused(openai_error(400, f"Invalid value for 'n': {n}.", param="n"))
        fmt = str(self._field(request, "output_format") or model.output_formats[0])
        if fmt not in model.output_formats:
            raise _Refused(
                openai_error(
                    400, f"Invalid value: '{fmt}'.", param="output_format", code="invalid_value"
                )
            )
        inputs = 0
        if edit:
            if not model.edits:
                raise _Refused(
                    openai_error(
                        400,
                        f"The model '{model.id}' does not support image edits.",
                        param="model",
                        code="invalid_value",
                    )
                )
            images = request.files.get("image[]", []) + request.files.get("image", [])
            if not images:
                raise _Refused(
                    openai_error(
                        400,
                        "Missing required parameter: 'image'.",
                        param="image",
                        code="missing_required_parameter",
                    )
                )
            if len(images) > model.max_images:
                raise _Refused(
                    openai_error(
                        400, f"Too many images: at most {model.max_images}.", param="image"
                    )
                )
            for data in images:
                if media_type(data) is None:
                    raise _Refused(
                        openai_error(
                            400,
                            "Invalid image file or mode for image 1, please check your image file.",
                            param="image",
                            code="invalid_image_file",
                        )
                    )
            inputs = len(images)
        self._moderate(prompt, "image_generation_user_error")
        width, height = (int(v) for v in size.split("x"))
        picture = media.picture(prompt, width, height, inputs=inputs)
        data = media.encode(picture, fmt)
        items: list[dict[str, Any]] = []
        for _ in range(count):
            if response_format == "url":
                token = secrets.token_hex(12)
                with self._lock:
                    self._images[token] = data
                items.append({"url": f"{base_url}/files/{token}", "revised_prompt": prompt})
            else:
                items.append({"b64_json": base64.b64encode(data).decode()})
        body: dict[str, Any] = {"created": int(self.clock.now().timestamp()), "data": items}
        if not model.response_format:
            body.update({"background": "opaque", "output_format": fmt, "size": size})
            body["usage"] = {"input_tokens": len(prompt.split()), "output_tokens": 1056}
        return Reply(200, body)

    def _video_create(self, request: Request) -> Reply:
        key = request.headers.get("idempotency-key")
        if key:
            with self._lock:
                existing = self._idempotent.get(key)
                if existing is not None:
                    return Reply(200, self._video_object(self._videos[existing]))
        model = self._model(self._field(request, "model"), "videos")
        prompt = self._prompt(request)
        raw_seconds = self._field(request, "seconds") or str(model.seconds[0])
        if str(raw_seconds) not in [str(s) for s in model.seconds]:
            allowed = ", ".join(f"'{s}'" for s in model.seconds)
            raise _Refused(
                openai_error(
                    400,
                    f"Invalid value: '{raw_seconds}'. Supported values are: {allowed}.",
                    param="seconds",
                    code="invalid_value",
                )
            )
        size = self._size(request, model, auto=False)
        references = request.files.get("input_reference", [])
        if references:
            try:
                with Image.open(io.BytesIO(references[0])) as image:
                    got = f"{image.width}x{image.height}"
            except Exception:
                got = ""
            if got != size:
                raise _Refused(
                    openai_error(
                        400,
                        f"Inpaint image must match the requested width and height "
                        f"(got {got or 'an unreadable image'}, want {size}).",
                        param="input_reference",
                        code="invalid_value",
                    )
                )
        self._moderate(prompt, "invalid_request_error")
        job = VideoJob(
            id=f"video_{secrets.token_hex(16)}",
            model=model.id,
            prompt=prompt,
            seconds=int(raw_seconds),
            size=size,
            created=self.clock.now().timestamp(),
            has_reference=bool(references),
        )
        rule = self._take("videos_create", answering=False)
        if rule is not None:
            job.fail = (rule.code or "video_generation_failed", rule.message or "Video failed.")
        with self._lock:
            self._videos[job.id] = job
            if key:
                self._idempotent[key] = job.id
            return Reply(200, self._video_object(job))

    def _video_state(self, job: VideoJob) -> tuple[str, int]:
        with self._lock:
            options = self._options
        age = self.clock.now().timestamp() - job.created
        if age < options.queue_seconds:
            return "queued", 0
        if age < options.render_seconds:
            span = max(options.render_seconds - options.queue_seconds, 1e-6)
            return "in_progress", min(99, int((age - options.queue_seconds) / span * 100))
        return ("failed", 100) if job.fail else ("completed", 100)

    def _video_object(self, job: VideoJob) -> dict[str, Any]:
        status, progress = self._video_state(job)
        created = int(job.created)
        body: dict[str, Any] = {
            "id": job.id,
            "object": "video",
            "created_at": created,
            "status": status,
            "model": job.model,
            "progress": progress,
            "seconds": str(job.seconds),
            "size": job.size,
            "quality": "standard",
            "remixed_from_video_id": None,
            "completed_at": None,
            "expires_at": None,
            "error": None,
        }
        if status == "completed":
            body["completed_at"] = created + 1
            body["expires_at"] = created + 86_400
        if status == "failed" and job.fail:
            body["error"] = {"code": job.fail[0], "message": job.fail[1]}
        return body

    def _job(self, video_id: str) -> VideoJob:
        with self._lock:
            job = self._videos.get(video_id)
        if job is None:
            raise _Refused(
                openai_error(
                    404,
                    f"Video with id '{video_id}' not found.",
                    param="video_id",
                    code="not_found",
                )
            )
        return job

    def _video_retrieve(self, video_id: str) -> Reply:
        return Reply(200, self._video_object(self._job(video_id)))

    def _video_content(self, video_id: str) -> tuple[bytes | None, Reply]:
        job = self._job(video_id)
        status, _ = self._video_state(job)
        if status != "completed":
            return None, openai_error(
                400 if status != "failed" else 404,
                f"Video is not ready (status {status}).",
                param="video_id",
                code="video_not_ready" if status != "failed" else "not_found",
            )
        with self._lock:
            content = job.content
            options = self._options
        if content is None:
            width, height = (int(v) for v in job.size.split("x"))
            content = media.mp4(
                job.prompt,
                int(width * options.video_scale),
                int(height * options.video_scale),
                job.seconds,
                options.video_fps,
            )
            with self._lock:
                job.content = content
        return content, Reply(200)


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def media_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
