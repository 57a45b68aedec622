"""Media variants made by the publish workflow, for posts too heavy to prepare inside
``POST /posts`` (``publishing.media.prepare_in_request``): such a post is created with the
platform missing from ``post.media_variants``, and ``publish_target`` calls
:func:`prepare_target_media` after its claim and before staging.

No transaction is open while the slides are decoded (each decode holds the process's pixel
budget, ``kit.pixels``); the URLs are written afterwards in a short transaction with the
post row locked, merged into ``media_variants`` (two targets of the post may finish their
platforms at the same time), and only if the target's revision is still the one the
workflow runs for (an edit made meanwhile brings its own variants). A slide that cannot be
made into a variant ends the target ``failed`` with the reason naming the slide."""

from __future__ import annotations

import uuid
from typing import Any

from slideforge.kit.errors import ApiError
from slideforge.kit.storage import StorageError
from slideforge.models import Post, PostTarget
from slideforge.posts.service import lock_post
from slideforge.publishing import media as post_media
from slideforge.runtime import Runtime


def _reason(exc: ApiError) -> str:
    """The slide's own message ("slide 3 (…) cannot be used: …"), without the field path."""
    errors = (exc.data or {}).get("errors") or []
    if errors and isinstance(errors[0], dict) and errors[0].get("message"):
        return str(errors[0]["message"])
    return exc.message


def prepare_target_media(runtime: Runtime, target_id: str, revision: int) -> dict[str, Any] | None:
    """Make the target platform's variants when the post lacks them. Returns None when they
    are ready (or the target moved on: the next step sees it), else the error to record."""
    with runtime.db.session() as session:
        target = session.get(PostTarget, uuid.UUID(target_id))
        if target is None or target.revision != revision:
            return None
        post = session.get(Post, target.post_id)
        if post is None or target.platform in (post.media_variants or {}):
            return None
        post_id, platform, kind = post.id, target.platform, post.media["type"]
        items = [post_media.MediaItem(**item) for item in post.media_items]
    try:
        variants = post_media.prepare_variants(runtime, post_id, {platform}, items, kind)
    except ApiError as exc:
        return {"kind": "user", "code": "invalid_media", "message": _reason(exc)}
    except StorageError as exc:
        return {
            "kind": "retryable",
            "code": "media_unavailable",
            "message": f"the post's media could not be read from storage: {exc}",
        }
    with runtime.db.session() as session:
        post = lock_post(session, post_id)
        target = session.get(PostTarget, uuid.UUID(target_id))
        if post is None or target is None or target.revision != revision:
            return None
        post.media_variants = {**(post.media_variants or {}), platform: variants[platform]}
    return None
