"""The AI studio (contract §10): the models the operator configured, image generation inside
the request, video generation as a workflow.

Models come from ``SLIDEFORGE_STUDIO_PROVIDERS`` only (never invented): each shows as
``<provider>/<model>`` with the provider's kind as its mode (images → image, videos → video)
and its cost in credits. Without a provider the list is empty with a note, and a generate
answers ``422 studio_not_configured`` naming the setting.

Credits follow the copy-tiktok rule: user errors (a model that does not take an input, an
image URL that cannot be fetched) are found before the charge and cost nothing; the charge is
one ledger entry per generation (``studio-image:{id}``, ``studio-video:{id}``), and every
failure after it refunds that reference once (``billing.refund`` is idempotent).

Images: checks and the balance in one transaction, which ends before the input images are
fetched (``files.read_media``: our own media from storage, anything else through SafeHttp);
the charge is committed; the provider call runs with no transaction open; the image is
stored as a ``file`` of context ``ai-studio`` in a last short transaction.

Videos: the request checks, fetches and stores the reference image, writes the
``studio_video`` row and its charge in one transaction and starts ``jobs.generate_studio_video``
after the commit. The workflow (``studio/workflows.py``) calls ``submit``, ``poll`` (which
stores the MP4 as an ``ai-studio`` file when the provider is done) and ``fail`` below; each
is safe to run again after a crash (a submitted job is never submitted twice from a
committed row; a finished video is never finished twice)."""

from __future__ import annotations

import io
import logging
import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from PIL import ImageOps
from sqlalchemy.orm import Session

from slideforge import jobs
from slideforge.auth.service import Caller
from slideforge.billing import service as billing
from slideforge.config import Settings, StudioModel, StudioProvider
from slideforge.files import service as files
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.images import ImageError, decode_rgb, encode_jpeg, probe_image, sniff_image
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.kit.video import probe_video, sniff_video
from slideforge.models import File, StudioVideo
from slideforge.runtime import Runtime
from slideforge.studio import providers
from slideforge.studio.providers import InputImage, ProviderError
from slideforge.studio.schemas import (
    CreditsOut,
    ImageGenerate,
    ImageOut,
    InputsOut,
    ModelOut,
    ModelsOut,
    VideoGenerate,
    VideoOut,
)

log = logging.getLogger(__name__)

CONTEXT = "ai-studio"
SETTING = "SLIDEFORGE_STUDIO_PROVIDERS"
INPUT_IMAGE_TYPES = ("png", "jpeg", "webp")
#: Video inputs no OpenAI-compatible videos API takes.
VIDEO_ONLY_ELSEWHERE = ("speech_text", "voice_id", "audio_url", "video_url", "negative_prompt")
#: Ratios a size is named by when it is within 3 % of one.
RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "9:21")
MODES = {"images": "image", "videos": "video"}


@dataclass(frozen=True)
class Entry:
    """A configured model with its provider."""

    provider: StudioProvider
    model: StudioModel

    @property
    def id(self) -> str:
        return f"{self.provider.name}/{self.model.id}"

    @property
    def mode(self) -> str:
        return MODES[self.provider.kind]


def entries(settings: Settings) -> list[Entry]:
    return [Entry(p, m) for p in settings.studio_providers for m in p.models]


def provider_named(settings: Settings, name: str, kind: str) -> StudioProvider | None:
    return next((p for p in settings.studio_providers if p.name == name and p.kind == kind), None)


def _settings_hint() -> str:
    return (
        f"the operator sets {SETTING} to a JSON list of OpenAI-compatible providers, e.g. "
        '[{"name": "openai", "kind": "images", "base_url": "https://api.openai.com/v1", '
        '"api_key": "sk-…", "models": [{"id": "gpt-image-1", "cost": 4}]}] '
        '(kind "videos" for a /v1/videos API such as sora-2)'
    )


def not_configured(mode: str) -> ApiError:
    return ApiError(
        "studio_not_configured",
        f"No AI {mode} model is configured on this server: {_settings_hint()}. "
        "GET /studio/models lists what is configured.",
        422,
    )


# -- the model list ---------------------------------------------------------------------------


def _ratio_name(size: str) -> str:
    width, height = (int(v) for v in size.split("x"))
    value = width / height
    for name in RATIOS:
        a, b = (int(v) for v in name.split(":"))
        if abs(value - a / b) / (a / b) <= 0.03:
            return name
    div = math.gcd(width, height)
    return f"{width // div}:{height // div}"


def _resolution(size: str) -> str:
    return f"{min(int(v) for v in size.split('x'))}p"


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _params(entry: Entry) -> dict[str, dict[str, Any]]:
    model = entry.model
    out: dict[str, dict[str, Any]] = {}
    if model.sizes:
        if entry.mode == "image":
            out["size"] = {"type": "string", "enum": model.sizes, "default": model.sizes[0]}
        out["aspect_ratio"] = {
            "type": "string",
            "enum": _unique([_ratio_name(s) for s in model.sizes]),
            "default": _ratio_name(model.sizes[0]),
            "description": "chooses among the model's sizes",
        }
        if entry.mode == "video":
            out["resolution"] = {
                "type": "string",
                "enum": _unique([_resolution(s) for s in model.sizes]),
                "default": _resolution(model.sizes[0]),
                "description": "the short side of the video",
            }
    if entry.mode == "image":
        if model.output_formats:
            out["output_format"] = {
                "type": "string",
                "enum": model.output_formats,
                "default": model.output_formats[0],
            }
        out["max_images"] = {"type": "integer", "enum": [1], "default": 1}
    elif model.durations:
        out["duration_seconds"] = {
            "type": "integer",
            "enum": model.durations,
            "default": model.durations[0],
        }
    return out


def _inputs(entry: Entry) -> InputsOut:
    model = entry.model
    images = "image_urls" if entry.mode == "image" else "image_url"
    required, optional = ["model_id", "prompt"], ["params"]
    rules: list[str] = []
    if model.image_input == "required":
        required.append(images)
    elif model.image_input == "optional":
        optional.append(images)
    if model.image_input != "none":
        most = model.max_images if entry.mode == "image" else 1
        rules.append(
            f"{images}: public http(s) URL{'s' if most > 1 else ''} of PNG, JPEG or WebP "
            f"images (at most {most}), fetched by this server"
        )
        if entry.mode == "video":
            rules.append("image_url: cropped to the video's size and used as its first frame")
    if model.raw_params:
        optional.append("raw_params")
        rules.append(f"raw_params: only {', '.join(model.raw_params)}, sent to the provider as is")
    if entry.mode == "video":
        rules.append(
            f"{', '.join(VIDEO_ONLY_ELSEWHERE)}: not taken by this model "
            "(422 model_input_not_supported)"
        )
    return InputsOut(
        required=required,
        optional=optional,
        max_images=model.max_images if model.image_input != "none" else 0,
        rules=rules,
    )


def _credits(entry: Entry) -> CreditsOut:
    model = entry.model
    if model.notes:
        notes = model.notes
    elif entry.mode == "video" and model.cost_per_second:
        notes = (
            f"{model.cost} credits per video plus {model.cost_per_second} per second; "
            "refunded when the generation fails"
        )
    else:
        unit = "image" if entry.mode == "image" else "video"
        notes = f"{model.cost} credits per {unit}; refunded when the generation fails"
    return CreditsOut(default_cost=_cost(entry, _default_seconds(entry)), notes=notes)


def _default_seconds(entry: Entry) -> int | None:
    return entry.model.durations[0] if entry.model.durations else None


def _cost(entry: Entry, seconds: int | None) -> int:
    return entry.model.cost + entry.model.cost_per_second * (seconds or 0)


def model_out(entry: Entry) -> ModelOut:
    model = entry.model
    image = model.image_input != "none"
    if entry.mode == "image":
        capabilities = ["text_to_image"] + (["image_to_image"] if image else [])
    else:
        capabilities = ["text_to_video"] + (["image_to_video"] if image else [])
    return ModelOut(
        id=entry.id,
        mode=entry.mode,
        name=model.name or model.id,
        provider=entry.provider.name,
        description=model.description,
        credits=_credits(entry),
        capabilities=capabilities,
        inputs=_inputs(entry),
        params=_params(entry),
        raw_available_params=list(model.raw_params),
    )


def list_models(settings: Settings, mode: str | None) -> ModelsOut:
    if mode is not None and mode not in ("image", "video"):
        raise ApiError(
            "invalid_query", f"mode: {mode!r} is not one of image, video (or leave it out)", 422
        )
    found = [e for e in entries(settings) if mode is None or e.mode == mode]
    note = None
    if not found:
        what = f"{mode} models" if mode else "models"
        note = f"No AI {what} are configured on this server: {_settings_hint()}."
    return ModelsOut(
        mode=mode or "all",
        total=len(found),
        models=[model_out(e) for e in found],
        note=note,
    )


def resolve(settings: Settings, model_id: str, mode: str) -> Entry:
    """The configured model ``model_id`` of this mode; 422 studio_not_configured when no
    model of the mode is configured, invalid_payload for an unknown or other-mode id."""
    of_mode = [e for e in entries(settings) if e.mode == mode]
    if not of_mode:
        raise not_configured(mode)
    wanted = model_id.strip()
    for entry in entries(settings):
        if entry.id == wanted:
            if entry.mode != mode:
                other = "images" if entry.mode == "image" else "videos"
                raise invalid_payload(
                    "model_id",
                    f"{wanted} is a {entry.mode} model: use POST /studio/{other}/generate",
                )
            return entry
    known = ", ".join(e.id for e in of_mode)
    raise invalid_payload(
        "model_id", f"{wanted!r} is not a configured {mode} model; choose one of: {known}"
    )


# -- input checks -----------------------------------------------------------------------------


def _not_supported(entry: Entry, names: list[str]) -> ApiError:
    return ApiError(
        "model_input_not_supported",
        f"{entry.id} does not take {', '.join(names)}: leave "
        f"{'it' if len(names) == 1 else 'them'} out (GET /studio/models lists what each "
        "model takes).",
        422,
        data={"model_id": entry.id, "inputs": names},
    )


def _invalid_input(message: str) -> ApiError:
    return ApiError("invalid_input", message, 422)


def _parse_ratio(text: str) -> float | None:
    match = re.fullmatch(r"\s*(\d{1,5})\s*[:x/]\s*(\d{1,5})\s*", text)
    if not match or int(match.group(2)) == 0 or int(match.group(1)) == 0:
        return None
    return int(match.group(1)) / int(match.group(2))


def choose_size(
    entry: Entry, *, size: str | None, aspect_ratio: str | None, resolution: str | None
) -> str | None:
    """The model's size the params ask for (its first when they ask nothing)."""
    sizes = entry.model.sizes
    asked = [n for n, v in (("size", size), ("aspect_ratio", aspect_ratio)) if v is not None]
    if resolution is not None:
        asked.append("resolution")
    if not sizes:
        if asked:
            raise _not_supported(entry, [f"params.{n}" for n in asked])
        return None
    if size is not None:
        if size.strip() not in sizes:
            raise _invalid_input(f"params.size: {size!r} is not one of {', '.join(sizes)}")
        return size.strip()
    candidates = list(sizes)
    if aspect_ratio is not None:
        ratio = _parse_ratio(aspect_ratio)
        if ratio is None:
            raise _invalid_input(f"params.aspect_ratio: {aspect_ratio!r} is not like 9:16")
        candidates = [
            s
            for s in candidates
            if abs(int(s.split("x")[0]) / int(s.split("x")[1]) - ratio) / ratio <= 0.03
        ]
        if not candidates:
            names = ", ".join(_unique([_ratio_name(s) for s in sizes]))
            raise _invalid_input(
                f"params.aspect_ratio: {entry.id} makes {names}, not {aspect_ratio}"
            )
    if resolution is not None:
        match = re.fullmatch(r"\s*(\d{2,5})\s*[pP]?\s*", resolution)
        wanted = int(match.group(1)) if match else None
        candidates = [s for s in candidates if min(int(v) for v in s.split("x")) == wanted]
        if not candidates:
            names = ", ".join(_unique([_resolution(s) for s in sizes]))
            raise _invalid_input(f"params.resolution: {entry.id} makes {names}, not {resolution}")
    return candidates[0]


def _raw_params(entry: Entry, raw: dict[str, Any] | None) -> dict[str, Any]:
    if not raw:
        return {}
    refused = sorted(k for k in raw if k not in entry.model.raw_params)
    if refused:
        raise _not_supported(entry, [f"raw_params.{k}" for k in refused])
    for key, value in raw.items():
        if not isinstance(value, str | int | float | bool) or value is None:
            raise _invalid_input(f"raw_params.{key}: a string, number or boolean is expected")
    return dict(raw)


def _fetch_image(runtime: Runtime, url: str, field: str) -> InputImage:
    """An input image: our own media from storage, anything else through SafeHttp; a PNG,
    JPEG or WebP that decodes within the pixel limits."""
    settings = runtime.settings
    try:
        data = files.read_media(runtime, url, max_bytes=settings.max_image_upload_bytes)
    except UnsafeUrlError as exc:
        raise ApiError(
            "image_url_not_allowed",
            f"{field} ({url}) is not fetched by this server ({exc}): use a public http(s) "
            "URL, or upload the image with POST /files and send its url.",
            422,
            data={"field": field, "url": url},
        ) from exc
    except (FetchError, StorageError) as exc:
        raise ApiError(
            "image_fetch_failed",
            f"{field} ({url}) could not be downloaded: {exc}. Nothing was charged.",
            422,
            data={"field": field, "url": url},
        ) from exc
    fmt = sniff_image(data)
    if fmt not in INPUT_IMAGE_TYPES:
        raise _invalid_input(f"{field} ({url}) is not a PNG, JPEG or WebP image")
    try:
        probe_image(
            data,
            settings.max_image_pixels,
            max_side=settings.max_image_side,
            max_aspect=settings.max_image_aspect,
        )
    except ImageError as exc:
        raise _invalid_input(f"{field} ({url}) cannot be used: {exc}") from exc
    ext = "jpg" if fmt == "jpeg" else fmt
    return InputImage(f"input-{field.replace('[', '-').rstrip(']')}.{ext}", f"image/{fmt}", data)


def _provider_failure(exc: ProviderError, credits: int) -> ApiError:
    if exc.kind == "refused":
        reason = (
            f"the provider refused the request ({exc.message}); this is usually the prompt or "
            "an input (e.g. a content policy): change it rather than retrying"
        )
    elif exc.kind == "unavailable":
        reason = f"the provider is unavailable ({exc.message}); retry in a moment"
    else:
        reason = f"the provider's answer was unusable ({exc.message})"
    return ApiError(
        "generation_failed",
        f"The generation failed: {reason}. The {credits} credits were refunded.",
        500,
        data={"provider_status": exc.status, "provider_code": exc.code},
    )


# -- images -----------------------------------------------------------------------------------


def _image_params(entry: Entry, body: ImageGenerate) -> tuple[str | None, str | None]:
    params = body.params
    if params is None:
        return choose_size(entry, size=None, aspect_ratio=None, resolution=None), None
    unsupported = [
        f"params.{name}"
        for name in ("resolution", "scale_factor")
        if getattr(params, name) is not None
    ]
    if params.output_format is not None and not entry.model.output_formats:
        unsupported.append("params.output_format")
    if unsupported:
        raise _not_supported(entry, unsupported)
    if params.max_images is not None and params.max_images != 1:
        raise _invalid_input(
            "params.max_images: one image is made per call (its file_id and output_url); "
            "call again for more"
        )
    output_format = params.output_format.strip().lower() if params.output_format else None
    if output_format is not None and output_format not in entry.model.output_formats:
        raise _invalid_input(
            f"params.output_format: {params.output_format!r} is not one of "
            f"{', '.join(entry.model.output_formats)}"
        )
    size = choose_size(entry, size=params.size, aspect_ratio=params.aspect_ratio, resolution=None)
    return size, output_format


def generate_image(
    session: Session, runtime: Runtime, caller: Caller, body: ImageGenerate
) -> ImageOut:
    settings = runtime.settings
    entry = resolve(settings, body.model_id, "image")
    size, output_format = _image_params(entry, body)
    extra = _raw_params(entry, body.raw_params)
    urls = body.image_urls or []
    if urls and entry.model.image_input == "none":
        raise _not_supported(entry, ["image_urls"])
    if not urls and entry.model.image_input == "required":
        raise ApiError(
            "model_requires_image",
            f"{entry.id} makes images from images: send image_urls (at most "
            f"{entry.model.max_images}).",
            422,
        )
    if len(urls) > entry.model.max_images:
        raise _invalid_input(
            f"image_urls: {entry.id} takes at most {entry.model.max_images} images, "
            f"{len(urls)} were sent"
        )
    credits = entry.model.cost
    billing.require_credits(
        session,
        caller.workspace_id,
        runtime.clock.now(),
        settings.credit_allowance,
        credits,
        work=f"An image from {entry.id}",
    )
    session.commit()

    inputs = [_fetch_image(runtime, url, f"image_urls[{i}]") for i, url in enumerate(urls)]
    reference = f"studio-image:{uuid.uuid4()}"
    billing.charge(
        session,
        caller.workspace_id,
        credits,
        reference,
        f"studio image, {entry.id}",
        runtime.clock.now(),
        settings.credit_allowance,
    )
    session.commit()
    stored: str | None = None
    try:
        answers = providers.generate_images(
            entry.provider,
            entry.model.id,
            body.prompt.strip(),
            size=size,
            output_format=output_format,
            response_format=entry.model.response_format,
            images=inputs,
            extra=extra,
        )
        data = _image_bytes(runtime, entry, answers[0])
        row = _store_image(runtime, caller, entry, data)
        stored = row.storage_key
        session.add(row)
        session.commit()
    except BaseException as exc:
        session.rollback()
        reason = getattr(exc, "message", type(exc).__name__)
        billing.refund(
            session,
            caller.workspace_id,
            reference,
            f"studio image failed: {reason}"[:200],
            runtime.clock.now(),
        )
        session.commit()
        if stored is not None:
            runtime.storage.delete(stored)
        if isinstance(exc, ProviderError):
            raise _provider_failure(exc, credits) from exc
        if not isinstance(exc, Exception):
            raise
        log.exception("studio image from %s failed", entry.id)
        raise ApiError(
            "generation_failed",
            f"The generation failed ({type(exc).__name__}); the {credits} credits were "
            "refunded. Retry.",
            500,
        ) from exc
    url = runtime.storage.url(row.storage_key)
    return ImageOut(
        file_id=str(row.id),
        output_url=url,
        preview_url=url,
        credits_used=credits,
        model_id=entry.id,
        provider=entry.provider.name,
        content_type=row.content_type,
        width=row.width,
        height=row.height,
    )


def _image_bytes(runtime: Runtime, entry: Entry, answer: providers.ImageAnswer) -> bytes:
    if answer.data is not None:
        return answer.data
    assert answer.url is not None
    try:
        return runtime.http.get(
            answer.url, max_bytes=runtime.settings.max_image_upload_bytes, accept_status=(200,)
        ).content
    except (UnsafeUrlError, FetchError) as exc:
        raise ProviderError(
            "bad_answer", f"the image {entry.provider.name} pointed at could not be fetched: {exc}"
        ) from exc


def _store_image(runtime: Runtime, caller: Caller, entry: Entry, data: bytes) -> File:
    settings = runtime.settings
    try:
        info = probe_image(data, settings.max_image_pixels)
    except ImageError as exc:
        raise ProviderError("bad_answer", f"the provider's image is unusable: {exc}") from exc
    row = files.stored_file(
        runtime,
        workspace_id=caller.workspace_id,
        data=data,
        content_type=info.content_type,
        filename=f"{_slug(entry.model.id)}.{'jpg' if info.format == 'jpeg' else info.format}",
        context=CONTEXT,
        width=info.width,
        height=info.height,
    )
    row.member_id = caller.member_id
    return row


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "studio"


# -- videos: the request ----------------------------------------------------------------------


def _video_params(entry: Entry, body: VideoGenerate) -> tuple[int | None, str | None]:
    params = body.params
    unsupported = [name for name in VIDEO_ONLY_ELSEWHERE if getattr(body, name)]
    if params is not None:
        unsupported += [
            f"params.{name}"
            for name in ("fps", "generate_audio")
            if getattr(params, name) is not None
        ]
        if params.duration_seconds is not None and not entry.model.durations:
            unsupported.append("params.duration_seconds")
    if unsupported:
        raise _not_supported(entry, unsupported)
    seconds = _default_seconds(entry)
    if params is not None and params.duration_seconds is not None:
        if params.duration_seconds not in entry.model.durations:
            raise _invalid_input(
                f"params.duration_seconds: {entry.id} makes videos of "
                f"{', '.join(str(d) for d in entry.model.durations)} seconds, "
                f"not {params.duration_seconds}"
            )
        seconds = params.duration_seconds
    size = choose_size(
        entry,
        size=None,
        aspect_ratio=params.aspect_ratio if params else None,
        resolution=params.resolution if params else None,
    )
    return seconds, size


def _reference_frame(runtime: Runtime, image: InputImage, size: str | None) -> InputImage:
    """The reference image cropped to the video's size (OpenAI's videos API wants the
    exact size), as a JPEG."""
    picture = decode_rgb(image.data, runtime.settings.max_image_pixels)
    if size is not None:
        width, height = (int(v) for v in size.split("x"))
        picture = ImageOps.fit(picture, (width, height))
    data = encode_jpeg(picture, max_bytes=runtime.settings.max_image_upload_bytes)
    return InputImage("reference.jpg", "image/jpeg", data)


def start_video(
    session: Session, runtime: Runtime, caller: Caller, body: VideoGenerate
) -> VideoOut:
    settings = runtime.settings
    entry = resolve(settings, body.model_id, "video")
    seconds, size = _video_params(entry, body)
    extra = _raw_params(entry, body.raw_params)
    prompt = (body.prompt or "").strip()
    if not prompt:
        raise _invalid_input(f"prompt: {entry.id} makes the video from a prompt; send one")
    if body.image_url and entry.model.image_input == "none":
        raise _not_supported(entry, ["image_url"])
    if not body.image_url and entry.model.image_input == "required":
        raise ApiError(
            "model_requires_image",
            f"{entry.id} makes videos from an image: send image_url.",
            422,
        )
    credits = _cost(entry, seconds)
    now = runtime.clock.now()
    billing.require_credits(
        session,
        caller.workspace_id,
        now,
        settings.credit_allowance,
        credits,
        work=f"A video from {entry.id}",
    )
    session.commit()

    video_id = uuid.uuid4()
    request: dict[str, Any] = {"seconds": seconds, "size": size, "extra": extra}
    if body.image_url:
        fetched = _fetch_image(runtime, body.image_url, "image_url")
        try:
            frame = _reference_frame(runtime, fetched, size)
        except ImageError as exc:
            raise _invalid_input(f"image_url ({body.image_url}) cannot be used: {exc}") from exc
        key = f"studio-input/{video_id}/reference.jpg"
        runtime.storage.put(key, frame.data, frame.content_type)
        request["reference_key"] = key
    now = runtime.clock.now()
    reference = f"studio-video:{video_id}"
    row = StudioVideo(
        id=video_id,
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        model_id=entry.id,
        provider=entry.provider.name,
        provider_model=entry.model.id,
        status="processing",
        prompt=prompt,
        request=request,
        credits_used=credits,
        charge_reference=reference,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    try:
        billing.charge(
            session,
            caller.workspace_id,
            credits,
            reference,
            f"studio video, {entry.id}",
            now,
            settings.credit_allowance,
        )
    except ApiError:  # spent meanwhile by another request: 402, no reference image kept
        if "reference_key" in request:
            runtime.storage.delete(request["reference_key"])
        raise
    jobs.generate_studio_video.after_commit(session, str(video_id))
    return video_out(runtime, row, None)


def video_out(runtime: Runtime, row: StudioVideo, file: File | None) -> VideoOut:
    url = runtime.storage.url(file.storage_key) if file is not None else None
    return VideoOut(
        video_id=str(row.id),
        prediction_id=row.provider_job_id,
        provider=row.provider,
        model_id=row.model_id,
        status=row.status,
        output_url=url if row.status == "succeeded" else None,
        preview_url=url if row.status == "succeeded" else None,
        file_id=str(row.file_id) if row.file_id and row.status == "succeeded" else None,
        credits_used=row.credits_used,
        progress=row.progress,
        error=row.error,
        created_at=isoformat(row.created_at),
        completed_at=isoformat(row.completed_at) if row.completed_at else None,
    )


def get_video(session: Session, runtime: Runtime, caller: Caller, video_id: str) -> VideoOut:
    parsed = parse_id(video_id)
    row = (
        session.scalar(
            sa.select(StudioVideo).where(
                StudioVideo.id == parsed, StudioVideo.workspace_id == caller.workspace_id
            )
        )
        if parsed is not None
        else None
    )
    if row is None:
        raise not_found("video", "video_not_found")
    file = session.get(File, row.file_id) if row.file_id else None
    return video_out(runtime, row, file)


# -- videos: the workflow's steps -------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What a step needs of a processing video (read in a short transaction)."""

    video_id: str
    workspace_id: uuid.UUID
    member_id: uuid.UUID | None
    provider: str
    provider_model: str
    prompt: str
    request: dict[str, Any]
    provider_job_id: str | None
    created_at: datetime


def _processing(runtime: Runtime, video_id: str) -> Job | None:
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(video_id))
        if row is None or row.status != "processing":
            return None
        return Job(
            str(row.id),
            row.workspace_id,
            row.member_id,
            row.provider,
            row.provider_model,
            row.prompt,
            dict(row.request or {}),
            row.provider_job_id,
            row.created_at,
        )


def fail(runtime: Runtime, video_id: str, message: str) -> str:
    """Mark the video failed with ``message`` and refund its charge (once)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(video_id), with_for_update=True)
        if row is None or row.status != "processing":
            return row.status if row is not None else "gone"
        row.status = "failed"
        row.error = f"{message} The {row.credits_used} credits were refunded."
        row.completed_at = now
        row.updated_at = now
        billing.refund(
            session,
            row.workspace_id,
            row.charge_reference,
            f"studio video failed: {message}"[:200],
            now,
        )
        key = (row.request or {}).get("reference_key")
        session.commit()
    if key:
        runtime.storage.delete(str(key))
    return "failed"


def _provider(runtime: Runtime, job: Job) -> StudioProvider | None:
    return provider_named(runtime.settings, job.provider, "videos")


def submit(runtime: Runtime, video_id: str, *, last_try: bool) -> str:
    """Submit the video's job to its provider unless that was done (its id is on the row):
    ``submitted`` (or the video's final status), ``retry`` after a transient failure (the
    last try fails the video instead)."""
    job = _processing(runtime, video_id)
    if job is None:
        return _status(runtime, video_id)
    if job.provider_job_id is not None:
        return "submitted"
    provider = _provider(runtime, job)
    if provider is None:
        return fail(
            runtime, video_id, f"The provider {job.provider!r} is no longer configured here."
        )
    reference: InputImage | None = None
    key = job.request.get("reference_key")
    if key:
        try:
            data = runtime.storage.read(str(key))
        except StorageError:
            return fail(runtime, video_id, "The reference image was lost from storage.")
        reference = InputImage("reference.jpg", "image/jpeg", data)
    try:
        answer = providers.create_video(
            provider,
            job.provider_model,
            job.prompt,
            seconds=job.request.get("seconds"),
            size=job.request.get("size"),
            reference=reference,
            extra=dict(job.request.get("extra") or {}),
            idempotency_key=f"studio-video:{video_id}",
        )
    except ProviderError as exc:
        if exc.kind == "unavailable" and not last_try:
            return "retry"
        return fail(runtime, video_id, _failure_words(exc))
    now = runtime.clock.now()
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(video_id), with_for_update=True)
        if row is None:
            return "gone"
        if row.provider_job_id is None:
            row.provider_job_id = str(answer["id"])
            row.provider_status = str(answer.get("status") or "queued")[:40]
            row.progress = _progress(answer)
            row.polled_at = now
            row.updated_at = now
        session.commit()
    return "submitted"


def _failure_words(exc: ProviderError) -> str:
    if exc.kind == "refused":
        return (
            f"The provider refused the video ({exc.message}); this is usually the prompt or "
            "the image (e.g. a content policy): change it rather than retrying."
        )
    if exc.kind == "unavailable":
        return f"The provider stayed unavailable ({exc.message})."
    return f"The provider's answer was unusable ({exc.message})."


def _progress(answer: dict[str, Any]) -> int | None:
    value = answer.get("progress")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0, min(100, int(value)))
    return None


def _status(runtime: Runtime, video_id: str) -> str:
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(video_id))
        return row.status if row is not None else "gone"


def poll(runtime: Runtime, video_id: str, round_: int) -> str:
    """Read the job once: ``processing``, or the final ``succeeded`` (the MP4 stored as an
    ``ai-studio`` file) / ``failed`` (refunded). Gives up after the configured time."""
    job = _processing(runtime, video_id)
    if job is None:
        return _status(runtime, video_id)
    provider = _provider(runtime, job)
    if provider is None:
        return fail(
            runtime, video_id, f"The provider {job.provider!r} is no longer configured here."
        )
    now = runtime.clock.now()
    limit = timedelta(seconds=runtime.settings.studio_video_timeout_seconds)
    if job.provider_job_id is None:
        return fail(runtime, video_id, "The job was never submitted to the provider.")
    try:
        answer = providers.retrieve_video(provider, job.provider_job_id)
    except ProviderError as exc:
        if exc.kind == "refused" and exc.status == 404:
            return fail(runtime, video_id, f"The provider no longer knows the job ({exc.message}).")
        log.warning("studio video %s: poll failed: %s", video_id, exc.message)
        answer = {}
    status = str(answer.get("status") or "")
    if status == "completed":
        return _finish(runtime, provider, job)
    if status == "failed":
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        said = str((error or {}).get("message") or "no reason given")[:500]
        code = (error or {}).get("code")
        return fail(
            runtime,
            video_id,
            f"The provider could not make the video ({code + ': ' if code else ''}{said}).",
        )
    if now - job.created_at > limit:
        minutes = int(limit.total_seconds() // 60)
        return fail(runtime, video_id, f"The provider did not finish within {minutes} minutes.")
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(video_id))
        if row is not None and row.status == "processing":
            if status:
                row.provider_status = status[:40]
                row.progress = _progress(answer)
            row.poll_round = round_
            row.polled_at = now
            row.updated_at = now
            session.commit()
    return "processing"


def _finish(runtime: Runtime, provider: StudioProvider, job: Job) -> str:
    try:
        data = providers.video_content(provider, str(job.provider_job_id))
    except ProviderError as exc:
        if exc.kind == "unavailable":
            return "processing"  # read again at the next poll
        return fail(runtime, job.video_id, _failure_words(exc))
    if sniff_video(data[:64]) not in ("mp4", "mov"):
        return fail(runtime, job.video_id, "The provider's video is not an MP4 file.")
    info = probe_video(io.BytesIO(data))
    if not info.has_movie:
        return fail(runtime, job.video_id, "The provider's video is truncated.")
    if _processing(runtime, job.video_id) is None:
        return _status(runtime, job.video_id)
    file = files.stored_file(
        runtime,
        workspace_id=job.workspace_id,
        data=data,
        content_type="video/mp4",
        filename=f"{_slug(job.provider_model)}.mp4",
        context=CONTEXT,
        width=info.width,
        height=info.height,
    )
    file.member_id = job.member_id
    file.duration_seconds = info.duration_seconds
    now = runtime.clock.now()
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(job.video_id), with_for_update=True)
        if row is None or row.status != "processing":  # finished meanwhile (a second run)
            session.rollback()
            runtime.storage.delete(file.storage_key)
            return row.status if row is not None else "gone"
        session.add(file)
        session.flush()
        row.status = "succeeded"
        row.file_id = file.id
        row.provider_status = "completed"
        row.progress = 100
        row.error = None
        row.completed_at = now
        row.updated_at = now
        key = (row.request or {}).get("reference_key")
        session.commit()
    if key:
        runtime.storage.delete(str(key))
    return "succeeded"


def stalled_videos(session: Session, now: datetime, older_than: timedelta) -> list[tuple[str, int]]:
    """Processing videos not polled for ``older_than`` (a lost start, a crashed round):
    (id, the round that polled them last)."""
    since = now - older_than
    rows = session.execute(
        sa.select(StudioVideo.id, StudioVideo.poll_round).where(
            StudioVideo.status == "processing",
            sa.func.coalesce(StudioVideo.polled_at, StudioVideo.created_at) < since,
        )
    )
    return [(str(video_id), int(round_)) for video_id, round_ in rows]
