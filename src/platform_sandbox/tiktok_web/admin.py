"""The admin API of the TikTok web sandbox under ``/__sandbox/`` (JSON), on the common admin
plumbing (``platform_sandbox.common.admin_endpoint``: JSON object bodies, errors answered
``{"error": code, "message": …}``):

- ``GET|POST posts``: list, or register one (body: kind photo|video, id?, author (name or
  {unique_id, nickname}), caption, hashtags[], music {id?, title, author, original,
  duration}?, title, slides [{data: base64, ending?}], status, viewers[], canonical_only,
  broken_mirror, duration (video));
- ``GET|PATCH|DELETE posts/{id}``;
- ``GET|POST profiles``: list, or register one (body: handle, nickname?, signature?,
  verified?, private?, status active|banned, followers?, following?, hearts?, diggs?, and
  items[]: posts of this account, each a ``posts`` body without author; ``created_at``
  (ISO 8601, default now) in a post body is its creation time);
- ``GET|PATCH|DELETE profiles/{handle}`` (GET adds its counters now and its items' ids);
- ``POST short-links`` ({code?, post_id | target});
- ``POST sessions`` ({sessionid});
- ``GET|PUT|PATCH config`` (the ``WebConfig`` fields);
- ``GET|DELETE requests`` (``?kind=page|short_link|image|…``);
- ``POST reset``."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import asdict
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from platform_sandbox.common import (
    AdminCall,
    Endpoint,
    SandboxError,
    admin_endpoint,
    parse_when,
    then,
)
from platform_sandbox.tiktok_web.posts import PostFields
from platform_sandbox.tiktok_web.records import SandboxPost, SandboxProfile
from platform_sandbox.tiktok_web.state import TikTokWebSandbox


def admin_call(
    sandbox: TikTokWebSandbox,
    method: str,
    parts: list[str],
    query: Mapping[str, str],
    body: dict[str, Any],
) -> AdminCall | None:
    """The call behind an admin route, with the HTTP status of its answer."""
    match (method, parts):
        case ("GET", ["posts"]):
            return (lambda: {"posts": [post.summary() for post in sandbox.posts()]}), 200
        case ("POST", ["posts"]):
            return (lambda: create_post(sandbox, body).summary()), 201
        case ("GET", ["posts", post_id]):
            return (lambda: sandbox.get_post(post_id).summary()), 200
        case ("PATCH", ["posts", post_id]):
            return (lambda: sandbox.update_post(post_id, **body).summary()), 200
        case ("DELETE", ["posts", post_id]):
            return then(lambda: sandbox.remove_post(post_id), None), 204
        case ("GET", ["profiles"]):
            return (lambda: {"profiles": [p.summary() for p in sandbox.profiles()]}), 200
        case ("POST", ["profiles"]):
            return (lambda: _profile_view(sandbox, create_profile(sandbox, body))), 201
        case ("GET", ["profiles", handle]):
            return (lambda: _profile_view(sandbox, sandbox.get_profile(handle))), 200
        case ("PATCH", ["profiles", handle]):
            return (lambda: _profile_view(sandbox, sandbox.update_profile(handle, **body))), 200
        case ("DELETE", ["profiles", handle]):
            return then(lambda: sandbox.remove_profile(handle), None), 204
        case ("POST", ["short-links"]):
            return (lambda: {"code": _add_short_link(sandbox, body)}), 201
        case ("POST", ["sessions"]):
            return (lambda: {"sessionid": _add_session(sandbox, body)}), 201
        case ("GET", ["config"]):
            return (lambda: asdict(sandbox.configure())), 200
        case ("PUT" | "PATCH", ["config"]):
            return (lambda: asdict(sandbox.configure(**body))), 200
        case ("GET", ["requests"]):
            kind = query.get("kind")
            return (lambda: {"requests": [r.as_json() for r in sandbox.requests(kind)]}), 200
        case ("DELETE", ["requests"]):
            return then(sandbox.clear_requests, None), 204
        case ("POST", ["reset"]):
            return then(sandbox.reset, None), 204
    return None


def admin_route(sandbox: TikTokWebSandbox) -> Endpoint:
    """The ``/__sandbox/{rest}`` endpoint; a 204 answer has no body."""
    answer = admin_endpoint(partial(admin_call, sandbox))

    async def admin(request: Request) -> Response:
        response = await answer(request)
        if response.status_code == 204:
            return Response(status_code=204)
        return response

    return admin


def _add_short_link(sandbox: TikTokWebSandbox, body: dict[str, Any]) -> str:
    return sandbox.add_short_link(
        body.get("code"), post_id=body.get("post_id"), target=body.get("target")
    )


def _add_session(sandbox: TikTokWebSandbox, body: dict[str, Any]) -> str:
    session = body.get("sessionid")
    if not isinstance(session, str) or not session:
        raise SandboxError("sessionid is required")
    sandbox.add_session(session)
    return session


def create_post(sandbox: TikTokWebSandbox, body: dict[str, Any]) -> SandboxPost:
    """Register the post an admin body describes (see the module's docstring)."""
    kind = body.get("kind", "photo")
    author = body.get("author", "creator")
    nickname = body.get("nickname")
    if isinstance(author, dict):
        nickname = author.get("nickname", nickname)
        author = author.get("unique_id", "creator")
    fields: PostFields = {
        "post_id": body.get("id"),
        "author": str(author),
        "nickname": nickname,
        "caption": str(body.get("caption", "")),
        "hashtags": [str(t) for t in body.get("hashtags", [])],
        "music": body.get("music"),
        "status": body.get("status", "public"),
        "viewers": [str(v) for v in body.get("viewers", [])],
        "created_at": parse_when(str(body["created_at"])) if body.get("created_at") else None,
    }
    if kind == "video":
        return sandbox.add_video_post(duration=int(body.get("duration", 15)), **fields)
    if kind != "photo":
        raise SandboxError("kind must be photo or video")
    return sandbox.add_photo_post(
        _slides(body.get("slides", [])),
        title=str(body.get("title", "")),
        endings=[_ending(slide) for slide in body.get("slides", [])],
        canonical_only=bool(body.get("canonical_only", False)),
        broken_mirror=bool(body.get("broken_mirror", False)),
        **fields,
    )


_PROFILE_FIELDS = (
    "nickname",
    "signature",
    "verified",
    "private",
    "status",
    "followers",
    "following",
    "hearts",
    "diggs",
)


def create_profile(sandbox: TikTokWebSandbox, body: dict[str, Any]) -> SandboxProfile:
    """Register the profile an admin body describes, then its ``items`` (posts)."""
    handle = body.get("handle")
    if not isinstance(handle, str) or not handle:
        raise SandboxError("handle is required")
    items = body.get("items", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise SandboxError("items must be a list of post objects")
    unknown = sorted(set(body) - {"handle", "items", *_PROFILE_FIELDS})
    if unknown:
        raise SandboxError(f"unknown profile fields {unknown}")
    fields = {name: body[name] for name in _PROFILE_FIELDS if name in body}
    profile = sandbox.add_profile(handle, **fields)
    added: list[str] = []
    try:
        for item in items:
            added.append(create_post(sandbox, {"kind": "video", **item, "author": handle}).id)
    except SandboxError:  # all or nothing
        for post_id in added:
            sandbox.remove_post(post_id)
        sandbox.remove_profile(handle)
        raise
    return profile


def _profile_view(sandbox: TikTokWebSandbox, profile: SandboxProfile) -> dict[str, Any]:
    counters = sandbox.profile_counters(profile)
    return {
        **profile.summary(),
        "now": asdict(counters),
        "items": [post.id for post in sandbox.profile_items(profile)],
    }


def _slides(entries: list[Any]) -> list[bytes]:
    """The image bytes of ``slides[]`` (base64 strings or ``{data, ending?}`` objects)."""
    slides: list[bytes] = []
    for entry in entries:
        data = entry.get("data") if isinstance(entry, dict) else entry
        try:
            if not isinstance(data, str):
                raise ValueError("not a string")
            slides.append(base64.b64decode(data, validate=True))
        except ValueError:  # binascii.Error too
            raise SandboxError("slides[].data must be base64 image bytes") from None
    return slides


def _ending(entry: Any) -> str:
    return str(entry.get("ending", "jpeg")) if isinstance(entry, dict) else "jpeg"
