"""HTTP clients of the two OpenAI-compatible APIs the studio uses, configured by the operator
(``SLIDEFORGE_STUDIO_PROVIDERS``):

- images: ``POST {base}/images/generations`` (JSON ``{model, prompt, n, size,
  output_format?, response_format?}``: gpt-image models answer base64 and refuse
  ``response_format``, so it is sent only when the model's settings name one) and, with input images, ``POST
  {base}/images/edits`` (multipart: ``model``, ``prompt``, ``size``, one ``image[]`` part per
  image); answers ``{data: [{b64_json} | {url}]}``;
- videos: ``POST {base}/videos`` (JSON ``{model, prompt, seconds, size}``, or multipart with
  ``input_reference``), ``GET {base}/videos/{id}`` (``status`` queued | in_progress |
  completed | failed, ``progress``, ``error{code, message}``), ``GET {base}/videos/{id}/content``
  (the MP4).

The base URLs are configuration, not user input, so these calls use plain httpx (like
``slideshows/ai.py``); an answer's ``url`` (an image the provider hosts) is user-reachable
data and is fetched through SafeHttp by the service. The API key goes in the Authorization
header only: never in a log line, an error message or a response."""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from slideforge.config import StudioProvider

log = logging.getLogger(__name__)

MAX_VIDEO_BYTES = 512 * 1024 * 1024


class ProviderError(Exception):
    """The provider did not do it. ``kind``: ``refused`` (a 4xx: the request itself, e.g. a
    content policy or an unknown model; retrying the same will not help), ``unavailable``
    (a connection failure, a timeout, 429 or 5xx: may work later) or ``bad_answer`` (2xx
    but not the documented shape)."""

    def __init__(
        self, kind: str, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ImageAnswer:
    """One image of an images answer: its bytes (``b64_json``) or where to fetch it."""

    data: bytes | None
    url: str | None


@dataclass(frozen=True)
class InputImage:
    filename: str
    content_type: str
    data: bytes


def _headers(provider: StudioProvider, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if provider.api_key is not None and provider.api_key.get_secret_value():
        headers["Authorization"] = f"Bearer {provider.api_key.get_secret_value()}"
    headers.update(extra or {})
    return headers


def _error_from(provider: StudioProvider, response: httpx.Response) -> ProviderError:
    """The provider's refusal in words: OpenAI's ``{"error": {"message", "type", "code"}}``
    when it sent one."""
    message, code = "", None
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            message = str(error.get("message") or "")[:500]
            code = str(error.get("code") or error.get("type") or "") or None
        elif isinstance(error, str):
            message = error[:500]
    except ValueError:
        message = ""
    status = response.status_code
    transient = status == 429 or status >= 500
    said = f": {message}" if message else ""
    text = f"{provider.name} answered HTTP {status}{said}"
    return ProviderError("unavailable" if transient else "refused", text, status=status, code=code)


def _send(
    provider: StudioProvider,
    method: str,
    path: str,
    *,
    json: Any = None,
    data: dict[str, str] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    url = f"{provider.base_url}{path}"
    try:
        response = httpx.request(
            method,
            url,
            json=json,
            data=data,
            files=files,
            headers=_headers(provider, headers),
            timeout=provider.timeout_seconds,
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise ProviderError(
            "unavailable",
            f"{provider.name} did not answer within {provider.timeout_seconds:.0f} s",
        ) from exc
    except httpx.HTTPError as exc:
        log.warning("studio provider %s: %s %s failed: %s", provider.name, method, path, exc)
        raise ProviderError(
            "unavailable", f"{provider.name} could not be reached ({type(exc).__name__})"
        ) from exc
    if response.status_code >= 400:
        error = _error_from(provider, response)
        log.warning("studio provider %s: %s %s: %s", provider.name, method, path, error.message)
        raise error
    return response


def _json(provider: StudioProvider, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderError("bad_answer", f"{provider.name} did not answer JSON") from exc
    if not isinstance(body, dict):
        raise ProviderError("bad_answer", f"{provider.name} did not answer a JSON object")
    return body


# -- images ---------------------------------------------------------------------------------


def generate_images(
    provider: StudioProvider,
    model: str,
    prompt: str,
    *,
    size: str | None,
    output_format: str | None,
    response_format: str | None,
    images: list[InputImage],
    extra: dict[str, Any],
) -> list[ImageAnswer]:
    """One image from the prompt (``/images/generations``), or from the prompt and the
    input images (``/images/edits``)."""
    if images:
        fields: dict[str, str] = {"model": model, "prompt": prompt, "n": "1"}
        if size:
            fields["size"] = size
        if output_format:
            fields["output_format"] = output_format
        if response_format:
            fields["response_format"] = response_format
        fields.update({k: str(v) for k, v in extra.items()})
        files = [("image[]", (i.filename, i.data, i.content_type)) for i in images]
        response = _send(provider, "POST", "/images/edits", data=fields, files=files)
    else:
        body: dict[str, Any] = {"model": model, "prompt": prompt, "n": 1}
        if response_format:
            body["response_format"] = response_format
        if size:
            body["size"] = size
        if output_format:
            body["output_format"] = output_format
        body.update(extra)
        response = _send(provider, "POST", "/images/generations", json=body)
    answer = _json(provider, response)
    out: list[ImageAnswer] = []
    for item in answer.get("data") or []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("b64_json"), str):
            try:
                out.append(ImageAnswer(base64.b64decode(item["b64_json"], validate=True), None))
            except (binascii.Error, ValueError) as exc:
                raise ProviderError("bad_answer", f"{provider.name} sent broken base64") from exc
        elif isinstance(item.get("url"), str):
            out.append(ImageAnswer(None, item["url"]))
    if not out:
        raise ProviderError("bad_answer", f"{provider.name} answered without an image")
    return out


# -- videos ---------------------------------------------------------------------------------


def create_video(
    provider: StudioProvider,
    model: str,
    prompt: str,
    *,
    seconds: int | None,
    size: str | None,
    reference: InputImage | None,
    extra: dict[str, Any],
    idempotency_key: str,
) -> dict[str, Any]:
    """Start a video job; the provider's video object (``id``, ``status`` …). The
    ``Idempotency-Key`` lets a provider that honours it answer a repeated submission (a
    crash between its answer and our commit) with the same job."""
    fields: dict[str, Any] = {"model": model, "prompt": prompt}
    if seconds is not None:
        fields["seconds"] = str(seconds)
    if size:
        fields["size"] = size
    fields.update(extra)
    headers = {"Idempotency-Key": idempotency_key}
    if reference is not None:
        files = [("input_reference", (reference.filename, reference.data, reference.content_type))]
        data = {k: str(v) for k, v in fields.items()}
        response = _send(provider, "POST", "/videos", data=data, files=files, headers=headers)
    else:
        response = _send(provider, "POST", "/videos", json=fields, headers=headers)
    job = _json(provider, response)
    if not isinstance(job.get("id"), str) or not job["id"]:
        raise ProviderError("bad_answer", f"{provider.name} answered without a video id")
    return job


def retrieve_video(provider: StudioProvider, job_id: str) -> dict[str, Any]:
    return _json(provider, _send(provider, "GET", f"/videos/{job_id}"))


def video_content(provider: StudioProvider, job_id: str) -> bytes:
    response = _send(provider, "GET", f"/videos/{job_id}/content")
    if len(response.content) > MAX_VIDEO_BYTES:
        raise ProviderError("bad_answer", f"{provider.name} sent a video over 512 MB")
    return response.content
