"""DBOS workflow computing a pack image's metadata after it was added."""

from __future__ import annotations

import base64
import json
import logging
import socket
import uuid
from typing import Any

import httpx
from dbos import DBOS, SetWorkflowID

from slideforge import runtime as rt
from slideforge.files import derivatives
from slideforge.files.service import media_key_for_url, read_media
from slideforge.kit.clock import isoformat
from slideforge.kit.images import ImageError, check_shape, open_image
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.models import PackImage
from slideforge.packs.analysis import analyse_image

log = logging.getLogger(__name__)

QUEUE = "pack-metadata"
MAX_IMAGE_BYTES = 25 * 1024 * 1024


# Waits between the tries of a transient failure (timeouts, 5xx): 4 tries in all. Each wait
# is a durable DBOS sleep under 5 s (workflow threads never sleep long).
FETCH_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)


def enqueue(image_ids: list[uuid.UUID]) -> None:
    """Start (once per image) the metadata workflow; call after the image rows committed."""
    for image_id in image_ids:
        with SetWorkflowID(f"pack-image-meta:{image_id}"):
            DBOS.enqueue_workflow(QUEUE, compute_metadata, str(image_id))


@DBOS.step()
def _set_status(image_id: str, status: str, meta: dict[str, Any] | None = None) -> bool:
    runtime = rt.current()
    with runtime.db.session() as session:
        image = session.get(PackImage, uuid.UUID(image_id))
        if image is None:
            return False
        image.meta_status = status
        if meta is not None:
            image.meta = meta
            words = [
                str(meta.get("description") or ""),
                *[str(k) for k in meta.get("keywords", [])],
            ]
            image.search_text = " ".join(words).lower()
        return True


def fetch_failure(exc: FetchError) -> tuple[bool, str]:
    """Whether a failed fetch is worth another try, and the reason in words. Worth it: a
    timeout, a connection lost mid-answer, a temporary DNS failure, HTTP 5xx/408/425/429.
    Not: a refused connection, a host that does not exist, any other 4xx, too large, too
    many redirects, a broken answer."""
    cause = exc.__cause__ or exc.__context__
    if exc.reason == "timeout":
        return True, str(exc)
    if exc.reason == "status":
        status = exc.status or 0
        return status >= 500 or status in (408, 425, 429), str(exc)
    if exc.reason == "connect":
        if isinstance(cause, socket.gaierror):
            # EAI_AGAIN: the resolver could not answer now; anything else: no such host.
            return cause.errno == socket.EAI_AGAIN, f"{exc} (no such host)"
        if isinstance(cause, httpx.ConnectError):
            detail = str(cause) or type(cause).__name__
            return False, f"{exc} ({detail})"
        if cause is None or isinstance(cause, UnicodeError):  # no address / a bad name
            return False, str(exc)
        return True, f"{exc} (the connection was lost)"
    return False, str(exc)


@DBOS.step()
def _fetch_and_analyse(image_id: str) -> dict[str, Any]:
    """One try: the metadata, ``{"error": reason}`` (final), or ``{"transient": reason}``
    (worth another try). Expected failures are answers, not exceptions: nothing is logged
    with a traceback and DBOS does not retry them blindly."""
    runtime = rt.current()
    with runtime.db.session() as session:
        image = session.get(PackImage, uuid.UUID(image_id))
        url = image.url if image is not None else None
    if url is None:
        return {"error": "the image was deleted"}
    try:
        data = read_media(runtime, url, max_bytes=MAX_IMAGE_BYTES)
    except UnsafeUrlError as exc:
        return {"error": f"the image URL cannot be fetched: {exc}"}
    except FetchError as exc:
        retry, reason = fetch_failure(exc)
        if retry:
            return {"transient": reason}
        return {"error": f"the image could not be downloaded: {reason}"}
    except StorageError as exc:
        return {"error": f"the image could not be read: {exc}"}
    settings = runtime.settings
    try:
        # A shape no platform takes fails here, so slideshows never pick the image.
        width, height = open_image(data, settings.max_image_pixels).size
        check_shape(
            width, height, max_side=settings.max_image_side, max_aspect=settings.max_image_aspect
        )
        analysis = analyse_image(data, settings.max_image_pixels)
    except ImageError as exc:
        return {"error": f"the file is not a usable image: {exc}"}
    try:  # render-ready derivatives; a failure here only makes the first render slower
        derivatives.for_pack_image(
            runtime, uuid.UUID(image_id), media_key_for_url(runtime, url), data
        )
    except Exception:
        log.exception("pack image %s: derivatives failed", image_id)
    meta: dict[str, Any] = analysis.as_dict()
    meta.update(describe(data, runtime.settings))
    meta["generated_at"] = isoformat(runtime.clock.now())
    return meta


def describe(data: bytes, settings: Any) -> dict[str, Any]:
    """Description and keywords from the configured vision model; without one the metadata
    says so instead of inventing words."""
    if not settings.ai_base_url or not settings.ai_vision_model:
        return {
            "description": None,
            "keywords": [],
            "model": None,
            "note": "No vision model is configured (SLIDEFORGE_AI_BASE_URL and "
            "SLIDEFORGE_AI_VISION_MODEL): description and keywords are not generated.",
        }
    prompt = (
        "Describe this image for choosing slideshow backgrounds. Answer with JSON only: "
        '{"description": "<one sentence>", "keywords": ["<5-12 lowercase keywords>"]}'
    )
    image_url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    try:
        response = httpx.post(
            settings.ai_base_url.rstrip("/") + "/chat/completions",
            headers={"Authorization": f"Bearer {settings.ai_api_key}"}
            if settings.ai_api_key
            else {},
            json={
                "model": settings.ai_vision_model,
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": prompt},
                            {"type": "image_url", "image_url": {"url": image_url}},
                        ],
                    }
                ],
                "response_format": {"type": "json_object"},
            },
            timeout=60,
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        parsed = json.loads(content)
        keywords = [str(k).strip().lower() for k in parsed.get("keywords", []) if str(k).strip()]
        return {
            "description": str(parsed.get("description") or "").strip() or None,
            "keywords": keywords[:20],
            "model": settings.ai_vision_model,
        }
    except (httpx.HTTPError, KeyError, IndexError, ValueError, TypeError) as exc:
        log.warning("vision model call failed: %s", exc)
        return {
            "description": None,
            "keywords": [],
            "model": settings.ai_vision_model,
            "note": f"The vision model call failed: {exc}",
        }


def _metadata(image_id: str) -> dict[str, Any]:
    """Up to 1 + len(FETCH_RETRY_DELAYS) tries while the failure is transient (durable
    sleeps between); then a plain reason."""
    tries = 1 + len(FETCH_RETRY_DELAYS)
    for attempt in range(tries):
        try:
            meta = _fetch_and_analyse(image_id)
        except Exception:  # a bug or the database, not the image: say so, keep the trace
            log.exception("pack image %s: metadata failed unexpectedly", image_id)
            return {"error": "the metadata could not be computed (an internal error)"}
        if "transient" not in meta:
            return meta
        if attempt + 1 < tries:
            log.info(
                "pack image %s: try %d of %d failed, retrying: %s",
                image_id,
                attempt + 1,
                tries,
                meta["transient"],
            )
            DBOS.sleep(FETCH_RETRY_DELAYS[attempt])
    log.info("pack image %s: no answer after %d tries: %s", image_id, tries, meta["transient"])
    return {"error": f"the image host did not answer after {tries} tries: {meta['transient']}"}


@DBOS.workflow()
def compute_metadata(image_id: str) -> str:
    if not _set_status(image_id, "processing"):
        return "deleted"
    meta = _metadata(image_id)
    status = "failed" if "error" in meta and len(meta) == 1 else "completed"
    _set_status(image_id, status, meta)
    return status
