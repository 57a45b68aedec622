"""Plan tokens of ``schedule_post``: ``confirm: false`` signs the exact post body it planned
(HMAC with the server's signing key, valid 10 minutes); ``confirm: true`` commits only that
body."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from slideforge.kit.crypto import Secrets
from slideforge.kit.errors import ApiError

PLAN_TTL = timedelta(minutes=10)


def _message(body: dict[str, Any], expires: int) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"mcp-plan|{expires}|{canonical}"


def sign_plan(secrets: Secrets, body: dict[str, Any], now: datetime) -> tuple[str, datetime]:
    """A token for ``body`` and when it expires."""
    expires_at = now + PLAN_TTL
    expires = int(expires_at.timestamp())
    return f"{expires}.{secrets.sign(_message(body, expires))}", expires_at


def check_plan(secrets: Secrets, body: dict[str, Any], token: str | None, now: datetime) -> None:
    """Refuse (422 ``plan_token_invalid``) a missing, altered, foreign or expired token."""
    fix = "call schedule_post with confirm: false to get a plan and its plan_token, then again "
    fix += "with confirm: true, that plan_token and the same arguments"
    if not token:
        raise ApiError("plan_token_invalid", f"confirm: true needs a plan_token: {fix}.", 422)
    expires_text, _, signature = token.partition(".")
    if not expires_text.isdigit() or not signature:
        raise ApiError("plan_token_invalid", f"The plan_token is malformed: {fix}.", 422)
    expires = int(expires_text)
    if not secrets.verify(_message(body, expires), signature):
        raise ApiError(
            "plan_token_invalid",
            f"The plan_token does not match these arguments (they changed since the plan): {fix}.",
            422,
        )
    if now.timestamp() > expires:
        raise ApiError("plan_token_invalid", f"The plan_token expired (10 minutes): {fix}.", 422)
