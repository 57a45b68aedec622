"""The Instagram sandbox's admin API under ``/__sandbox/``: its own records, then the routes of
every platform sandbox (``platform_admin_call``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_sandbox.common import AdminCall, SandboxError, failing, platform_admin_call
from platform_sandbox.instagram.sandbox import InstagramSandbox


def instagram_admin_call(
    sb: InstagramSandbox,
    method: str,
    parts: list[str],
    query: Mapping[str, str],
    body: dict[str, Any],
) -> AdminCall | None:
    """The Instagram admin routes (IG accounts, Facebook users and Pages, tokens, containers,
    media), then those of every platform sandbox (state, reset, options, apps, failures,
    clock, requests)."""
    match (method, parts):
        case ("GET", ["ig_users"]):
            return sb.ig_users, 200
        case ("POST", ["ig_users"]):
            return (lambda: sb.add_ig_user(**body)), 201
        case ("GET", ["ig_users", key]):
            return (lambda: sb.get_ig_user(key)), 200
        case ("PATCH", ["ig_users", key]):
            return (lambda: sb.update_ig_user(key, **body)), 200
        case ("POST", ["ig_users", key, "exhaust_quota"]):
            count = body.get("count")
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                return failing(SandboxError("count must be an integer")), 400
            return (lambda: {"recorded": sb.exhaust_quota(key, count)}), 200
        case ("GET", ["fb_users"]):
            return sb.fb_users, 200
        case ("POST", ["fb_users"]):
            return (lambda: sb.add_fb_user(**body)), 201
        case ("GET", ["pages"]):
            return sb.pages, 200
        case ("POST", ["pages"]):
            return (lambda: sb.add_page(**body)), 201
        case ("GET", ["tokens"]):
            return (lambda: sb.tokens(query.get("subject"))), 200
        case ("POST", ["tokens"]):
            return (lambda: sb.issue_token(**body)), 201
        case ("POST", ["tokens", "revoke"]):
            subject = str(body.get("subject", ""))
            reason = str(body.get("reason", "app_removed"))
            app_id = body.get("app_id")
            return (lambda: {"revoked": sb.revoke_tokens(subject, reason, app_id=app_id)}), 200
        case ("POST", ["tokens", "expire"]):
            subject = str(body.get("subject", ""))
            return (lambda: {"expired": sb.expire_tokens(subject)}), 200
        case ("GET", ["containers"]):
            return (
                lambda: sb.containers(
                    ig_user_id=query.get("ig_user_id"), status=query.get("status")
                )
            ), 200
        case ("GET", ["containers", container_id]):
            return (lambda: sb.container(container_id)), 200
        case ("GET", ["media"]):
            return (lambda: sb.media(ig_user_id=query.get("ig_user_id"))), 200
        case ("GET", ["media", "duplicates"]):
            return sb.duplicate_media, 200
    return platform_admin_call(sb, method, parts, body, query)
