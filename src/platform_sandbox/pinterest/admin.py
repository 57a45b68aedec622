"""The Pinterest sandbox's admin API under ``/__sandbox/``: its own records, then the routes of
every platform sandbox (``platform_admin_call``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_sandbox.common import AdminCall, platform_admin_call
from platform_sandbox.pinterest.sandbox import PinterestSandbox


def pinterest_admin_call(
    sb: PinterestSandbox,
    method: str,
    parts: list[str],
    query: Mapping[str, str],
    body: dict[str, Any],
) -> AdminCall | None:
    """The Pinterest admin routes (users, boards, pins, media, tokens), then those of every
    platform sandbox (state, reset, options, apps, failures, clock, requests)."""
    match (method, parts):
        case ("GET", ["users"]):
            return sb.users, 200
        case ("POST", ["users"]):
            return (lambda: sb.add_user(**body)), 201
        case ("GET", ["users", key]):
            return (lambda: sb.get_user(key)), 200
        case ("PATCH", ["users", key]):
            return (lambda: sb.update_user(key, **body)), 200
        case ("POST", ["users", key, "revoke"]):
            app_id = body.get("app_id")
            return (lambda: {"revoked": sb.revoke_user(key, app_id=app_id)}), 200
        case ("POST", ["users", key, "expire_tokens"]):
            return (lambda: {"expired": sb.expire_access_tokens(key)}), 200
        case ("GET", ["boards"]):
            return (lambda: sb.boards(query.get("user_id"))), 200
        case ("POST", ["boards"]):
            return (
                lambda: sb.add_board(
                    str(body.get("user_id", "")),
                    str(body.get("name", "")),
                    privacy=str(body.get("privacy", "PUBLIC")),
                    description=str(body.get("description", "")),
                )
            ), 201
        case ("GET", ["pins"]):
            return (
                lambda: sb.pins(user_id=query.get("user_id"), board_id=query.get("board_id"))
            ), 200
        case ("GET", ["pins", "duplicates"]):
            return sb.duplicate_pins, 200
        case ("GET", ["media"]):
            return (lambda: sb.media(user_id=query.get("user_id"))), 200
        case ("GET", ["tokens"]):
            return (lambda: sb.tokens(query.get("user_id"))), 200
        case ("POST", ["tokens"]):
            user_id = str(body.get("user_id", ""))
            app_id = body.get("app_id")
            scopes = body.get("scopes")
            return (lambda: sb.issue_tokens(user_id, app_id=app_id, scopes=scopes)), 201
    return platform_admin_call(sb, method, parts, body, query)
