"""The events slideforge sends and the ``data`` of each (ids plus what a client needs to act
without another request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.kit.clock import isoformat
from slideforge.kit.pagination import oldest_first
from slideforge.models import Account, Post, PostTarget, Slideshow

POST_EVENTS = {
    "posted": "post.published",
    "failed": "post.failed",
    "partial": "post.partial",
    "outcome_unknown": "post.outcome_unknown",
}
EVENT_TYPES: tuple[str, ...] = (
    "post.published",
    "post.failed",
    "post.partial",
    "post.outcome_unknown",
    "post.target.published",
    "post.target.publicly_available",
    "account.reauth_required",
    "account.reauth_soon",
    "slideshow.rendered",
)


def _target(target: PostTarget, account: Account | None) -> dict[str, Any]:
    return {
        "target_id": str(target.id),
        "account_id": str(target.account_id),
        "platform": target.platform,
        "username": account.username if account is not None else None,
        "status": target.status,
        "attempt": target.attempt,
        "revision": target.revision,
        "published_url": target.published_url,
        "platform_post_id": target.platform_post_id,
        "platform_status": target.platform_status,
        "delivery": "inbox" if target.platform_status == "SEND_TO_USER_INBOX" else None,
        "published_at": isoformat(target.published_at),
        "error_code": target.error_code,
        "error_message": target.error_message,
    }


def _post(post: Post) -> dict[str, Any]:
    return {
        "post_id": str(post.id),
        "external_id": post.external_id,
        "status": post.status,
        "caption": post.caption[:280],
        "scheduled_at": isoformat(post.scheduled_at),
    }


def post_data(session: Session, post: Post) -> dict[str, Any]:
    """``post.*``: the post and every account's outcome."""
    targets = list(
        session.scalars(
            sa.select(PostTarget)
            .where(PostTarget.post_id == post.id)
            .order_by(*oldest_first(PostTarget))
        )
    )
    ids = {t.account_id for t in targets}
    accounts = {a.id: a for a in session.scalars(sa.select(Account).where(Account.id.in_(ids)))}
    states = [_target(t, accounts.get(t.account_id)) for t in targets if t.status != "canceled"]
    return {
        **_post(post),
        "counts": {
            status: sum(1 for s in states if s["status"] == status)
            for status in ("posted", "failed", "outcome_unknown")
        },
        "targets": states,
    }


def target_data(post: Post, target: PostTarget, account: Account | None) -> dict[str, Any]:
    """``post.target.published``: one account's post is live (or in its drafts inbox).
    ``status`` is the target's; ``post_status`` the post's (other accounts may be pending)."""
    return {**_post(post), "post_status": post.status, **_target(target, account)}


def public_data(
    post: Post, target: PostTarget, account: Account | None, *, from_draft: bool
) -> dict[str, Any]:
    """``post.target.publicly_available``: the platform's public post id (and its URL) became
    known: at once, after a moderation delay, or when the creator published a draft from the
    inbox (``from_draft``)."""
    return {
        **target_data(post, target, account),
        "media_type": post.media.get("type"),
        "from_draft": from_draft,
    }


def account_data(account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "account_id": str(account.id),
        "platform": account.platform,
        "username": account.username,
        "status": account.status,
        **extra,
    }


def reauth_soon_data(
    account: Account, token: str, expires_at: datetime, now: datetime
) -> dict[str, Any]:
    days = max(0, int((expires_at - now).total_seconds() // 86400))
    return account_data(
        account,
        token=token,
        expires_at=isoformat(expires_at),
        days_left=days,
        message=f"@{account.username}'s {account.platform} authorisation ends on "
        f"{isoformat(expires_at)} ({days} days): reconnect it with POST /accounts/connect "
        "before then to keep posting",
    )


def slideshow_data(row: Slideshow) -> dict[str, Any]:
    slides = row.slides or []
    return {
        "slideshow_id": str(row.id),
        "title": row.title,
        "status": row.status,
        "render_id": str(row.render_id) if row.render_id else None,
        "slide_count": len(slides),
        "preview_image_url": row.preview_image_url,
        "rendered_image_urls": [s.get("rendered_image_url") for s in slides],
        "last_rendered_at": isoformat(row.last_rendered_at),
    }


def summary(payload: dict[str, Any]) -> str:
    """One line for the deliveries list."""
    kind = str(payload.get("type", ""))
    data = payload.get("data") or {}
    if kind == "post.target.published":
        return f"post {data.get('post_id')} published on @{data.get('username')}"
    if kind == "post.target.publicly_available":
        return f"post {data.get('post_id')} public on @{data.get('username')}: {data.get('published_url')}"
    if kind.startswith("post."):
        counts = data.get("counts") or {}
        return (
            f"post {data.get('post_id')} {data.get('status')}: {counts.get('posted', 0)} "
            f"posted, {counts.get('failed', 0)} failed, "
            f"{counts.get('outcome_unknown', 0)} unknown"
        )
    if kind == "account.reauth_soon":
        return f"@{data.get('username')} must be reconnected by {data.get('expires_at')}"
    if kind == "account.reauth_required":
        return f"@{data.get('username')} must be reconnected"
    if kind == "slideshow.rendered":
        return f"slideshow {data.get('slideshow_id')} rendered ({data.get('slide_count')} slides)"
    return kind
