"""``AdminArea``: what only the sandbox offers: the creator finishing or deleting an inbox
draft, the inspection of publishes, posts and webhook deliveries, the state summary; and
``admin_call``, the ``/__sandbox/`` routes of the TikTok sandbox (its own, then the
common ones of ``platform_admin_call``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from platform_sandbox.common import (
    AdminCall,
    SandboxError,
    failing,
    iso,
    platform_admin_call,
    then,
)
from platform_sandbox.tiktok_api.config import PRIVACY_LEVELS
from platform_sandbox.tiktok_api.pipeline import PublishPipeline
from platform_sandbox.tiktok_api.records import Publish, PublishedPost

if TYPE_CHECKING:
    from platform_sandbox.tiktok_api.state import TikTokSandbox


class AdminArea(PublishPipeline):
    """Drafts the creator acts on, and inspection."""

    # ------------------------------------------------------------------ drafts (the user acts)

    def publish_draft(
        self,
        publish_id: str,
        *,
        privacy_level: str = "PUBLIC_TO_EVERYONE",
        title: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """The creator opens the inbox draft and posts it: PUBLISH_COMPLETE, the pending
        share is freed, and (for non-SELF_ONLY) the post becomes public after moderation."""
        self._await_due_pulls()
        with self._lock:
            pub = self._current_publish(publish_id)
            if not pub.inbox_flow:
                raise SandboxError(
                    "not an inbox (MEDIA_UPLOAD) publish", status=409, code="conflict"
                )
            if pub.draft_state != "in_inbox":
                raise SandboxError(
                    f"the draft is not in the inbox (status {pub.status}, draft {pub.draft_state})",
                    status=409,
                    code="conflict",
                )
            if privacy_level not in PRIVACY_LEVELS:
                raise SandboxError(f"unknown privacy_level {privacy_level!r}")
            pub.draft_state = "published"
            pub.privacy_level = privacy_level
            now = self._now()
            self._complete(pub, privacy_level, now, title=title, description=description)
            self._advance(pub, now)
            return pub.as_dict()

    def discard_draft(self, publish_id: str) -> dict[str, Any]:
        """The creator deletes the draft: it no longer counts as a pending share."""
        self._await_due_pulls()
        with self._lock:
            pub = self._current_publish(publish_id)
            if pub.draft_state != "in_inbox":
                raise SandboxError("the draft is not in the inbox", status=409, code="conflict")
            pub.draft_state = "discarded"
            return pub.as_dict()

    # ------------------------------------------------------------------ inspection

    def _current_publish(self, publish_id: str) -> Publish:
        """The publish, moved on to now; SandboxError 404 when there is none."""
        pub = self._publishes.get(publish_id)
        if pub is None:
            raise SandboxError(f"no publish {publish_id!r}", status=404, code="not_found")
        self._advance(pub, self._now())
        return pub

    def get_publish(self, publish_id: str) -> dict[str, Any]:
        self._await_due_pulls()
        with self._lock:
            return self._current_publish(publish_id).as_dict()

    def publishes(
        self, *, open_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Every publish (oldest first) as recorded: post_info/source_info as received, media
        pulled, status and history."""
        self._await_due_pulls()
        with self._lock:
            now = self._now()
            out = []
            for pub in self._publishes.values():
                self._advance(pub, now)
                if open_id is not None and pub.open_id != open_id:
                    continue
                if status is not None and pub.status != status:
                    continue
                out.append(pub.as_dict())
            return out

    def posts(self, *, open_id: str | None = None) -> list[dict[str, Any]]:
        """Every post that reached a profile (Direct Post completes and published drafts)."""
        self._await_due_pulls()
        with self._lock:
            self._advance_all()
            return [
                post.as_dict() for post in self._posts if open_id is None or post.open_id == open_id
            ]

    def duplicate_posts(self) -> list[dict[str, Any]]:
        """Groups of posts with the same account, media type, title, description and media
        bytes (SHA-256), i.e. the same content posted more than once."""
        self._await_due_pulls()
        with self._lock:
            self._advance_all()
            groups: dict[tuple[Any, ...], list[PublishedPost]] = defaultdict(list)
            for post in self._posts:
                groups[post.duplicate_key()].append(post)
            return [
                {
                    "open_id": posts[0].open_id,
                    "title": posts[0].title,
                    "description": posts[0].description,
                    "count": len(posts),
                    "post_ids": [post.post_id for post in posts],
                    "publish_ids": [post.publish_id for post in posts],
                }
                for posts in groups.values()
                if len(posts) > 1
            ]

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self._webhooks.records()

    def summary(self) -> dict[str, Any]:
        self._await_due_pulls()
        with self._lock:
            self._advance_all()
            by_status: dict[str, int] = defaultdict(int)
            for pub in self._publishes.values():
                by_status[pub.status] += 1
            return {
                "now": iso(self._now()),
                "manual_clock": self.manual_clock,
                "app": self._served_app.model_dump(),
                "options": self._options.model_dump(),
                "users": [user.model_dump() for user in self._users.values()],
                "publishes": len(self._publishes),
                "publishes_by_status": dict(by_status),
                "posts": len(self._posts),
                "failure_rules": [rule.model_dump() for rule in self._rules],
                "requests": len(self._requests),
            }


def admin_call(
    sb: TikTokSandbox, method: str, parts: list[str], query: Mapping[str, str], body: dict[str, Any]
) -> AdminCall | None:
    """The ``/__sandbox/…`` routes: the app, users, tokens, tick, publishes, posts,
    requests and webhooks; then state, reset, options, failures and clock (common)."""
    match (method, parts):
        case ("GET", ["app"]):
            return (lambda: sb.app), 200
        case ("PATCH", ["app"]):
            return (lambda: sb.update_app(**body)), 200
        case ("GET", ["users"]):
            return sb.users, 200
        case ("POST", ["users"]):
            return (lambda: sb.add_user(**body)), 201
        case ("GET", ["users", open_id]):
            return (lambda: sb.get_user(open_id)), 200
        case ("PATCH", ["users", open_id]):
            return (lambda: sb.update_user(open_id, **body)), 200
        case ("POST", ["users", open_id, "revoke"]):
            fail = bool(body.get("fail_in_flight", True))
            return (
                lambda: {"revoked_grants": sb.revoke_authorization(open_id, fail_in_flight=fail)}
            ), 200
        case ("POST", ["users", open_id, "expire_tokens"]):
            return (lambda: {"expired_tokens": sb.expire_access_tokens(open_id)}), 200
        case ("POST", ["users", open_id, "external_posts"]):
            count = body.get("count", 1)
            if not isinstance(count, int) or count < 1:
                return failing(SandboxError("count >= 1")), 400
            return then(lambda: sb.record_external_posts(open_id, count), {"recorded": count}), 200
        case ("POST", ["tokens"]):
            owner = body.get("open_id")
            if not isinstance(owner, str):
                return failing(SandboxError("open_id needed")), 400
            scopes = body.get("scopes")
            return (lambda: sb.issue_tokens(owner, scopes)), 201
        case ("POST", ["tick"]):
            return (lambda: {"now": sb.tick()}), 200
        case ("GET", ["publishes"]):
            open_filter, status_filter = query.get("open_id"), query.get("status")
            return (lambda: sb.publishes(open_id=open_filter, status=status_filter)), 200
        case ("GET", ["publishes", publish_id]):
            return (lambda: sb.get_publish(publish_id)), 200
        case ("POST", ["publishes", publish_id, "publish_draft"]) | (
            "POST",
            ["inbox", publish_id, "publish"],
        ):
            # The creator posts the inbox draft from the TikTok app (also at
            # /__sandbox/inbox/<publish_id>/publish).
            return (
                lambda: sb.publish_draft(
                    publish_id,
                    privacy_level=body.get("privacy_level", "PUBLIC_TO_EVERYONE"),
                    title=body.get("title"),
                    description=body.get("description"),
                )
            ), 200
        case ("POST", ["publishes", publish_id, "discard_draft"]):
            return (lambda: sb.discard_draft(publish_id)), 200
        case ("GET", ["posts"]):
            owner_filter = query.get("open_id")
            return (lambda: sb.posts(open_id=owner_filter)), 200
        case ("GET", ["posts", "duplicates"]):
            return sb.duplicate_posts, 200
        case ("GET", ["requests"]):
            endpoint, owner_filter = query.get("endpoint"), query.get("open_id")
            return (lambda: sb.requests_log(endpoint=endpoint, open_id=owner_filter)), 200
        case ("GET", ["webhooks"]):
            return sb.webhook_deliveries, 200
    return platform_admin_call(sb, method, parts, body)
