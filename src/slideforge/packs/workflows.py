"""DBOS workflow computing a pack image's metadata after it was added."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

import httpx
from dbos import DBOS, SetWorkflowID

from slideforge import runtime as rt
from slideforge.files.service import read_media
from slideforge.kit.clock import isoformat
from slideforge.kit.images import ImageError
from slideforge.kit.safehttp import FetchError, UnsafeUrlError
from slideforge.kit.storage import StorageError
from slideforge.models import PackImage
from slideforge.packs.analysis import analyse_image

log = logging.getLogger(__name__)

QUEUE = "pack-metadata"
MAX_IMAGE_BYTES = 25 * 1024 * 1024


class TransientFetch(Exception):
    """A fetch failure worth retrying (timeout, connection, 5xx)."""


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


@DBOS.step(retries_allowed=True, max_attempts=4, interval_seconds=2.0, backoff_rate=2.0)
def _analyse(image_id: str) -> dict[str, Any]:
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
        if exc.reason in ("timeout", "connect") or (exc.status or 0) >= 500:
            raise TransientFetch(str(exc)) from exc
        return {"error": f"the image could not be downloaded: {exc}"}
    except StorageError as exc:
        return {"error": f"the image could not be read: {exc}"}
    try:
        analysis = analyse_image(data, runtime.settings.max_image_pixels)
    except ImageError as exc:
        return {"error": f"the file is not a usable image: {exc}"}
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


@DBOS.workflow()
def compute_metadata(image_id: str) -> str:
    if not _set_status(image_id, "processing"):
        return "deleted"
    try:
        meta = _analyse(image_id)
    except Exception as exc:  # retries exhausted on a transient failure
        meta = {"error": f"the image could not be downloaded: {exc}"}
    status = "failed" if "error" in meta and len(meta) == 1 else "completed"
    _set_status(image_id, status, meta)
    return status
