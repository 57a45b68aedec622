"""Delivery bodies in other vendors' shapes, for endpoints registered through a compatible
API (``webhook_endpoint.body_format``). The outbox (``outbox.emit``) writes one delivery per
endpoint; for an ``ayrshare`` endpoint its payload is the body built here, or no delivery
when the event has no Ayrshare counterpart.

Ayrshare (its "Webhook Actions" page; README, "Ayrshare-compatible API"):

- ``scheduled``: a post scheduled with ``scheduleDate`` (or retried) was sent: ``status``
  success or error, ``postIds`` per network, ``errors``; from our ``post.published``,
  ``post.failed``, ``post.partial``, ``post.outcome_unknown`` of such a post. Posts made now
  get none (Ayrshare answers them in the ``POST /post`` reply).
- ``scheduled`` with ``subAction: "tikTokPublished"``: TikTok finished the post and its public
  id is known (``postIds[0].id`` and ``postUrl``), for immediate and scheduled posts and for a
  draft the creator published from the TikTok inbox; from ``post.target.publicly_available``.
- ``social`` with ``type: "refresh"``: the TikTok authorisation ends soon (``refreshBy``,
  ``refreshDaysRemaining``), sent 15 days ahead; from ``account.reauth_soon``.
- ``social`` with ``type: "unlink"``, ``source: "system"``: the platform refused the account's
  tokens; it must be reconnected (``details``); from ``account.reauth_required``."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from slideforge.kit.clock import isoformat

SLIDEFORGE = "slideforge"
AYRSHARE = "ayrshare"
BODY_FORMATS = (SLIDEFORGE, AYRSHARE)

POST_OUTCOMES = ("post.published", "post.failed", "post.partial", "post.outcome_unknown")
# Ayrshare's action → the events of ours an endpoint registered for it receives.
AYRSHARE_ACTIONS: dict[str, tuple[str, ...]] = {
    "scheduled": (*POST_OUTCOMES, "post.target.publicly_available"),
    "social": ("account.reauth_soon", "account.reauth_required"),
}
# The numeric codes of compat/ayrshare/errors.py (CODES) that these bodies carry.
TIKTOK_FAILED = 150
OUTCOME_UNKNOWN = 151
ACCOUNT_REFUSED = 104


def ayrshare_action(events: list[str]) -> str | None:
    """The Ayrshare action an endpoint's event list stands for."""
    for action, names in AYRSHARE_ACTIONS.items():
        if set(events) == set(names):
            return action
    return None


def _post_id(target: dict[str, Any], is_video: bool | None) -> dict[str, Any]:
    status = target.get("status")
    if status in ("failed", "outcome_unknown"):
        state, ident = "error", "failed"
    elif status == "posted":
        state, ident = "success", target.get("platform_post_id") or "pending"
    else:
        state, ident = "pending", "pending"
    out: dict[str, Any] = {"status": state, "id": ident, "platform": target.get("platform")}
    if target.get("platform_post_id") and target.get("published_url"):
        out["postUrl"] = target["published_url"]
    if is_video is not None:
        out["isVideo"] = is_video
    if target.get("platform_status"):
        out["tikTokStatus"] = target["platform_status"]
    return out


def _errors(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "action": "post",
            "status": "error",
            "code": OUTCOME_UNKNOWN if t.get("status") == "outcome_unknown" else TIKTOK_FAILED,
            "message": (
                "The TikTok call's answer was lost: check the account before retrying."
                if t.get("status") == "outcome_unknown"
                else t.get("error_message") or "The platform refused the post."
            ),
            "platform": t.get("platform"),
        }
        for t in targets
        if t.get("status") in ("failed", "outcome_unknown")
    ]


def _scheduled(event_type: str, data: dict[str, Any]) -> dict[str, Any] | None:
    if event_type == "post.target.publicly_available":
        if data.get("platform") != "tiktok":
            return None
        return {
            "action": "scheduled",
            "subAction": "tikTokPublished",
            "status": "success",
            "id": data.get("post_id"),
            "refId": data.get("account_id"),
            "errors": [],
            "postIds": [_post_id(data, data.get("media_type") == "video")],
            "post": data.get("caption"),
        }
    targets = list(data.get("targets") or [])
    # A retry (or an edit) bumps the revision: Ayrshare treats a retried post as scheduled.
    retried = any(int(t.get("revision") or 0) > 1 for t in targets)
    if data.get("scheduled_at") is None and not retried:
        return None  # made now: answered by POST /post itself, as Ayrshare does
    errors = _errors(targets)
    return {
        "action": "scheduled",
        "status": "error" if errors else "success",
        "id": data.get("post_id"),
        "refId": targets[0].get("account_id") if targets else None,
        "errors": errors,
        "postIds": [_post_id(t, None) for t in targets],
        "post": data.get("caption"),
        "scheduleDate": data.get("scheduled_at"),
    }


def _social(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": "social",
        "source": "system",
        "platform": data.get("platform"),
        "displayName": data.get("username"),
        "username": data.get("username"),
        "refId": data.get("account_id"),
    }
    if event_type == "account.reauth_soon":
        body.update(
            type="refresh",
            refreshBy=data.get("expires_at"),
            refreshDaysRemaining=data.get("days_left"),
            details={"status": "warning", "message": data.get("message")},
        )
    else:
        body.update(
            type="unlink",
            details={
                "status": "error",
                "code": ACCOUNT_REFUSED,
                "message": f"@{data.get('username')} must be reconnected "
                f"(POST /api/partner/v1/accounts/connect): {data.get('reason')}",
            },
        )
    return body


def ayrshare_body(
    event_type: str, data: dict[str, Any], at: datetime, *, url: str, hook_id: str
) -> dict[str, Any] | None:
    """Ayrshare's body for one of our events, or None when Ayrshare has no such webhook."""
    if event_type in AYRSHARE_ACTIONS["social"]:
        body: dict[str, Any] | None = _social(event_type, data)
    elif event_type in AYRSHARE_ACTIONS["scheduled"]:
        body = _scheduled(event_type, data)
    else:
        body = None
    if body is None:
        return None
    return {**body, "created": isoformat(at), "code": 200, "hookId": hook_id, "url": url}


def ayrshare_headers(secret: str, body: str, sent_at: datetime) -> dict[str, str]:
    """Ayrshare's HMAC headers: ``X-Authorization-Timestamp`` (Unix seconds) and
    ``X-Authorization-Content-SHA256``, the hex HMAC-SHA256 of the body keyed with the secret
    given at registration (none without one)."""
    if not secret:
        return {}
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Authorization-Timestamp": str(int(sent_at.timestamp())),
        "X-Authorization-Content-SHA256": digest,
    }
