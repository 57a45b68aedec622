"""Instagram Graph API content publishing (``docs/platforms.md``, "Instagram"); OAuth and
the Graph calls are in ``login.py``, the error tables in ``errors.py``.

Publishing: ``stage`` checks the caption (≤ 2200 characters, ≤ 30 hashtags, ≤ 20 mentions),
reads the live ``content_publishing_limit``, creates the containers (a single image; a
carousel's children, then its parent; a Reel) and polls their ``status_code`` until FINISHED:
nothing of that is visible. ``send`` is the one ``media_publish``. ``status`` reads the
permalink. A container is published at most once (Instagram refuses a second
``media_publish``), so an ambiguous publish (5xx, lost connection) is settled by reading the
container: PUBLISHED means live, anything else means nothing was published and a new attempt
publishes the same container."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slideforge.publishing.platforms import base
from slideforge.publishing.platforms.instagram.errors import container_error
from slideforge.publishing.platforms.instagram.login import InstagramLogin
from slideforge.publishing.platforms.instagram.reads import InstagramReads
from slideforge.publishing.platforms.instagram.rules import RULES, caption_problems
from slideforge.publishing.platforms.metrics import ReadsThrough

# Containers re-created within one attempt after they expired, before giving up.
MAX_RECREATE = 3
IMAGE_POLL_SECONDS = 1.0
VIDEO_POLL_SECONDS = 3.0
# Reconciliation reads the account's media list, 50 a page, at most this many pages back.
MEDIA_LIST_PAGES = 10


class Instagram(InstagramLogin, ReadsThrough):
    # -- publishing ------------------------------------------------------------------------

    def _where(self, request: base.PublishRequest) -> tuple[str, str]:
        """(Graph base URL of the account's login model, IG user id)."""
        login = str(request.account.get("login") or self.login)
        ig_user_id = str(
            request.account.get("ig_user_id") or request.account.get("platform_user_id") or ""
        )
        return self._graph_base(login), ig_user_id

    def _check_quota(self, token: str, graph: str, ig_user_id: str, username: str) -> None:
        data = self._read(
            f"{graph}/{ig_user_id}/content_publishing_limit",
            token,
            {"fields": "quota_usage,config"},
        ).get("data")
        entry = data[0] if isinstance(data, list) and data else {}
        usage = entry.get("quota_usage")
        total = (entry.get("config") or {}).get("quota_total")
        if isinstance(usage, int) and isinstance(total, int) and usage >= total:
            raise base.PlatformError(
                "wait",
                "quota_exhausted",
                f"Instagram's publishing limit for @{username} is used up: {usage} of {total} "
                "posts in the last 24 hours (content_publishing_limit). Nothing was published; "
                "retry this post once the oldest of those posts is 24 hours old",
            )

    def _create(
        self, token: str, graph: str, ig_user_id: str, params: dict[str, str], progress: dict
    ) -> str:
        try:
            data = self._call(
                "POST", f"{graph}/{ig_user_id}/media", read_only=True, token=token, data=params
            )
        except base.PlatformError as exc:
            exc.progress = progress
            raise
        container = str(data.get("id") or "")
        if not container:
            raise base.PlatformError(
                "retryable", "bad_response", "Instagram returned no container id", progress=progress
            )
        return container

    def _container_status(self, token: str, graph: str, container: str) -> tuple[str, str]:
        data = self._read(f"{graph}/{container}", token, {"fields": "status_code,status"})
        return str(data.get("status_code") or ""), str(data.get("status") or "")

    def _item_params(self, request: base.PublishRequest) -> list[dict[str, str]]:
        if request.kind == "video":
            params = {
                "media_type": "REELS",
                "video_url": str(request.video_url),
                "caption": request.caption,
                "share_to_feed": "false"
                if request.account.get("share_to_feed") is False
                else "true",
            }
            if request.settings.get("cover_url"):
                params["cover_url"] = str(request.settings["cover_url"])
            elif request.settings.get("video_cover_timestamp_ms") is not None:
                params["thumb_offset"] = str(int(request.settings["video_cover_timestamp_ms"]))
            return [params]
        if len(request.image_urls) == 1:
            return [{"image_url": request.image_urls[0], "caption": request.caption}]
        return [{"image_url": url, "is_carousel_item": "true"} for url in request.image_urls]

    def stage(
        self, token: str, request: base.PublishRequest, progress: dict[str, Any]
    ) -> base.Staged:
        """Containers created and FINISHED, quota checked; resumes from ``progress``
        (``items``: one container id per item, ``parent``: the carousel)."""
        problems = caption_problems(request.caption)
        if problems:
            raise base.PlatformError("user", "caption_invalid", "; ".join(problems))
        RULES.check_carousel(request)
        graph, ig_user_id = self._where(request)
        wanted = self._item_params(request)
        p: dict[str, Any] = dict(progress)
        items: list[str | None] = list(p.get("items") or [])
        if len(items) != len(wanted):
            items, p["parent"] = [None] * len(wanted), None
        p["items"] = items
        if not p.get("quota_checked"):
            self._check_quota(token, graph, ig_user_id, request.username)
            p["quota_checked"] = True
        # Create what is missing (each id is kept at once: a failure saves what exists).
        for index, params in enumerate(wanted):
            if items[index] is None:
                items[index] = self._create(token, graph, ig_user_id, params, p)
        waiting = False
        for index, container in enumerate(items):
            assert container is not None
            code, text = self._container_status(token, graph, container)
            if code == "EXPIRED":
                items[index], p["parent"] = None, None
                p["recreated"] = int(p.get("recreated") or 0) + 1
                if p["recreated"] > MAX_RECREATE:
                    raise base.PlatformError(
                        "retryable",
                        "container_expired",
                        "Instagram's media containers keep expiring before they can be published",
                        retry_after=0.0,
                        progress={**p, "recreated": 0},
                    )
                return base.Staged(ready=False, progress=p, wait=0.0)
            if code == "ERROR":
                items[index], p["parent"] = None, None
                raise container_error(text, p)
            # PUBLISHED: an earlier attempt's publish went through; the send finds out.
            if code not in ("FINISHED", "PUBLISHED"):
                waiting = True
        if waiting:
            poll = VIDEO_POLL_SECONDS if request.kind == "video" else IMAGE_POLL_SECONDS
            return base.Staged(ready=False, progress=p, wait=poll)
        creation_id = str(items[0])
        if len(items) > 1:
            if not p.get("parent"):
                p["parent"] = self._create(
                    token,
                    graph,
                    ig_user_id,
                    {
                        "media_type": "CAROUSEL",
                        "children": ",".join(str(item) for item in items),
                        "caption": request.caption,
                    },
                    p,
                )
            creation_id = str(p["parent"])
            code, text = self._container_status(token, graph, creation_id)
            if code == "ERROR":
                p["parent"] = None
                raise container_error(text, p)
            if code == "EXPIRED":
                p["parent"] = None
                return base.Staged(ready=False, progress=p, wait=0.0)
            if code not in ("FINISHED", "PUBLISHED"):
                return base.Staged(ready=False, progress=p, wait=IMAGE_POLL_SECONDS)
        self._check_quota(token, graph, ig_user_id, request.username)
        return base.Staged(ready=True, settings={"creation_id": creation_id}, progress=p)

    def send(self, token: str, request: base.PublishRequest, staged: base.Staged) -> base.Sent:
        graph, ig_user_id = self._where(request)
        creation_id = str(staged.settings["creation_id"])
        ref: dict[str, Any] = {"creation_id": creation_id, "ig_user_id": ig_user_id}
        try:
            data = self._call(
                "POST",
                f"{graph}/{ig_user_id}/media_publish",
                read_only=False,
                token=token,
                data={"creation_id": creation_id},
            )
        except base.PlatformError as exc:
            if exc.kind not in ("unknown", "user"):
                raise
            # Did it publish? A container is published at most once: read it.
            try:
                code, _ = self._container_status(token, graph, creation_id)
            except base.PlatformError:
                raise exc from None
            if code == "PUBLISHED":
                return base.Sent(ref={**ref, "publish_id": creation_id, "media_id": None})
            if exc.kind == "unknown":
                raise base.PlatformError(
                    "retryable",
                    exc.code,
                    f"{exc.message}; the container is {code or 'unreadable'}, so nothing was "
                    "published: a new attempt publishes it",
                    http_status=exc.http_status,
                ) from exc
            raise
        media_id = str(data.get("id") or "")
        return base.Sent(ref={**ref, "publish_id": media_id or creation_id, "media_id": media_id})

    def continue_upload(
        self, token: str, request: base.PublishRequest, ref: dict[str, Any], read_chunk: Any
    ) -> None:
        return None  # Meta downloads the media from our URLs while staging

    def status(self, token: str, request: base.PublishRequest, ref: dict[str, Any]) -> base.Status:
        graph, ig_user_id = self._where(request)
        profile = f"https://www.instagram.com/{request.username}/" if request.username else None
        media_id = ref.get("media_id")
        if media_id:
            data = self._read(f"{graph}/{media_id}", token, {"fields": "id,permalink"})
            url = data.get("permalink") or profile
            return base.Status("posted", "PUBLISHED", post_id=str(media_id), url=url, final=True)
        # Published by an attempt whose answer was lost: find it among the latest posts.
        listing = self._read(
            f"{graph}/{ig_user_id}/media", token, {"fields": "id,permalink,caption", "limit": "25"}
        ).get("data")
        for item in listing or []:
            if isinstance(item, dict) and (item.get("caption") or "") == request.caption:
                return base.Status(
                    "posted",
                    "PUBLISHED",
                    post_id=str(item.get("id")),
                    url=item.get("permalink") or profile,
                    final=True,
                )
        # Live, but not listed yet (a new post shows in the list a moment after it is
        # published): the profile URL for now, and tracking reads again for the permalink.
        return base.Status("posted", "PUBLISHED", url=profile, final=False)

    # -- reconciliation ----------------------------------------------------------------------

    def reconcile(
        self, token: str, request: base.PublishRequest, ref: dict[str, Any], since: datetime
    ) -> base.Reading:
        """The container first (a container publishes at most once: PUBLISHED means live,
        anything else means nothing was published and a new attempt publishes that same
        container); without one, the account's media since ``since`` compared on caption."""
        graph, ig_user_id = self._where(request)
        profile = f"https://www.instagram.com/{request.username}/" if request.username else None
        if ref.get("media_id"):
            status = self.status(token, request, ref)
            return base.Reading(
                "posted",
                f"Instagram media {ref['media_id']} exists",
                post_id=status.post_id,
                url=status.url,
                platform_status="PUBLISHED",
            )
        settings = dict(ref.get("settings") or {})
        stage = dict(ref.get("stage") or {})
        items = [item for item in stage.get("items") or [] if item]
        creation_id = (
            settings.get("creation_id")
            or ref.get("creation_id")
            or stage.get("parent")
            or (items[0] if len(items) == 1 else None)
        )
        listing: base.Reading | None = None
        if creation_id:
            try:
                code, text = self._container_status(token, graph, str(creation_id))
            except base.PlatformError as exc:
                if exc.kind in ("retryable", "auth"):
                    return base.Reading(
                        "unknown",
                        f"Instagram's container {creation_id} could not be read: {exc.message}",
                    )
                code, text = "", exc.message  # gone: the media list decides
            said = f"Instagram's container {creation_id} is {code or 'unreadable'}"
            if code == "PUBLISHED":
                listing = self._media_since(token, graph, ig_user_id, since, request)
                found = [seen for seen in listing.listed if seen.matches]
                if len(found) == 1:
                    return base.Reading(
                        "posted",
                        f"{said}; it is media {found[0].post_id} of @{request.username}",
                        post_id=found[0].post_id,
                        url=found[0].url,
                        platform_status="PUBLISHED",
                    )
                return base.Reading("posted", said, url=profile, platform_status="PUBLISHED")
            if code in ("FINISHED", "IN_PROGRESS"):
                return base.Reading(
                    "absent",
                    f"{said}: it was never published, and a new attempt publishes this same "
                    "container",
                )
            if code in ("EXPIRED", "ERROR"):
                return base.Reading(
                    "absent", f"{said} ({text}): it was never published", platform_status=code
                )
        return listing or self._media_since(token, graph, ig_user_id, since, request)

    def _media_since(
        self, token: str, graph: str, ig_user_id: str, since: datetime, request: base.PublishRequest
    ) -> base.Reading:
        """``GET /{ig-user-id}/media`` (newest first, cursor paging) back to ``since``."""

        def read_page(after: str | None) -> base.Page:
            params = {"fields": "id,caption,timestamp,permalink,media_type", "limit": "50"}
            if after:
                params["after"] = after
            body = self._read(f"{graph}/{ig_user_id}/media", token, params)
            data = body.get("data")
            paging = body.get("paging")
            paging = paging if isinstance(paging, dict) else {}
            cursors = paging.get("cursors")
            cursors = cursors if isinstance(cursors, dict) else {}
            after = str(cursors.get("after") or "") or None
            return base.Page(
                data if isinstance(data, list) else [], bool(paging.get("next") and after), after
            )

        def seen(item: dict[str, Any]) -> base.Seen | None:
            if not item.get("id"):
                return None
            try:
                created = datetime.strptime(str(item.get("timestamp")), "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                created = datetime.now(UTC)  # unreadable: treat as recent, so it counts
            return base.Seen(
                post_id=str(item["id"]),
                url=str(item.get("permalink") or "") or None,
                created_at=created,
                matches=base.same_text(item.get("caption"), request.caption),
                summary=f"{item['id']} at {created.isoformat()}: "
                f"{str(item.get('caption') or '')[:60]!r}",
            )

        try:
            listed, complete = base.posts_since(read_page, seen, since, MEDIA_LIST_PAGES)
        except base.PlatformError as exc:
            return base.Reading(
                "unknown",
                f"Instagram's media list of @{request.username} could not be read: {exc.message}",
                final=exc.kind == "user",
            )
        return base.Reading(
            "listed",
            f"Instagram's media list of @{request.username} since {since.isoformat()}: "
            f"{len(listed)} post(s)",
            listed=listed,
            complete=complete,
        )

    # -- reading (analytics; ``reads.py``) --------------------------------------------------

    def _reads(self) -> InstagramReads:
        return InstagramReads(
            self._read, self._graph_base("instagram"), self._graph_base("facebook")
        )


__all__ = ["Instagram"]
