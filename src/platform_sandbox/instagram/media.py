"""Content publishing in the Instagram sandbox: creating media containers (input checks, media
downloads outside the lock, processing times, the 400-a-day limit) and publishing them
(status, quota, the published media and its carousel children)."""

from __future__ import annotations

from collections.abc import Mapping

from platform_sandbox.common import DAY, MediaProbe, Reply
from platform_sandbox.instagram.access import InstagramAccess
from platform_sandbox.instagram.checks import (
    check_caption,
    check_collaborators,
    check_user_tags,
    fetch_image,
    fetch_video,
    parse_children,
)
from platform_sandbox.instagram.config import MEDIA_TYPES, IgAccount
from platform_sandbox.instagram.errors import (
    GraphError,
    media_expired,
    media_not_found,
    not_ready,
    param_error,
    preset_error,
)
from platform_sandbox.instagram.records import (
    Container,
    ContainerPlan,
    GraphCall,
    IgMedia,
    Token,
    bool_param,
    media_shortcode,
)


class InstagramPublishing(InstagramAccess):
    """``POST /{ig-user-id}/media`` and ``POST /{ig-user-id}/media_publish``."""

    # ------------------------------------------------------------------ container creation
    def _create_container(self, ctx: GraphCall, node: str) -> Reply:
        with self._lock:
            token, account = self._enter_ig(ctx, node, "media", publish=True)
            self._account_rules(account, publishing=False)
            plan = self._plan(ctx.params, account, token)
            self._check_container_limit(account.id)
        probes, error_text = self._fetch_plan(plan)
        with self._lock:
            self._check_container_limit(account.id)
            container = self._commit_container(plan, probes, error_text)
            rule = self._take_rule("error", "media", account.id, after_commit=True)
            if rule is not None:
                raise self._rule_error(rule, account.id)
        return Reply(200, {"id": container.id})

    def _account_rules(self, account: IgAccount, *, publishing: bool) -> None:
        if account.account_type == "PERSONAL":
            raise GraphError(
                10,
                "(#10) The user is not an Instagram Business",
                http_status=self._options.permission_error_http_status,
            )
        if account.restricted:
            raise preset_error("restricted")
        if publishing and account.spam_flagged:
            raise preset_error("spam")

    def _check_container_limit(self, ig_user_id: str) -> None:
        now = self._now()
        events = [ts for ts in self._container_events.get(ig_user_id, []) if ts > now - DAY]
        self._container_events[ig_user_id] = events
        if len(events) >= self._options.container_limit:
            raise GraphError(
                9,
                f"(#9) The Instagram account reached the limit of {self._options.container_limit} "
                "media containers created in 24 hours",
                user_title="Too many containers",
                user_msg="Wait before creating more media containers.",
            )

    def _plan(self, p: Mapping[str, str], account: IgAccount, token: Token) -> ContainerPlan:
        if p.get("upload_type"):
            raise param_error(
                "(#100) upload_type=resumable is not supported by this sandbox; use video_url"
            )
        raw_type = p.get("media_type")
        media_type = raw_type if raw_type else "IMAGE"
        if media_type not in MEDIA_TYPES:
            raise param_error(
                f"The media type {raw_type!r} is not one of the supported media types "
                "(IMAGE, VIDEO, REELS, STORIES, CAROUSEL).",
                2207023,
            )
        is_item = bool_param(p.get("is_carousel_item"))
        image_url = p.get("image_url") or None
        video_url = p.get("video_url") or None
        if image_url and video_url:
            raise param_error("(#100) Only one of image_url and video_url can be given.")
        if is_item and media_type not in ("IMAGE", "VIDEO"):
            raise param_error(
                f"{media_type} containers cannot be carousel items (is_carousel_item).", 2207023
            )
        children: list[str] = []
        if media_type == "IMAGE":
            if video_url and not raw_type:
                raise param_error(
                    "A video needs media_type=REELS (or VIDEO for a carousel item).", 2207023
                )
            if not image_url:
                raise param_error("(#100) The parameter image_url is required.")
        elif media_type == "VIDEO":
            if not is_item:
                raise param_error(
                    "The VIDEO media type is only supported for carousel items; publish single "
                    "videos with media_type=REELS.",
                    2207023,
                )
            if not video_url:
                raise param_error("(#100) The parameter video_url is required.")
        elif media_type == "REELS":
            if not video_url:
                raise param_error("(#100) The parameter video_url is required.")
        elif media_type == "STORIES":
            if not (image_url or video_url):
                raise param_error("(#100) The parameter image_url or video_url is required.")
        else:  # CAROUSEL
            if image_url or video_url:
                raise param_error("(#100) A CAROUSEL container takes children, not media URLs.")
            children = parse_children(p.get("children"))
            self._check_children(children, account)
        if not is_item:
            check_caption(p.get("caption") or "")
        if p.get("collaborators"):
            if is_item:
                raise param_error("(#100) collaborators are not supported on carousel items.")
            check_collaborators(p["collaborators"])
        if p.get("user_tags"):
            check_user_tags(p["user_tags"], needs_position=bool(image_url))
        if p.get("alt_text") is not None and (video_url or media_type == "CAROUSEL"):
            raise param_error("(#100) alt_text is only supported for images.")
        if len(p.get("alt_text") or "") > 1000:
            raise param_error("(#100) alt_text must be at most 1000 characters.")
        thumb_offset: int | None = None
        if p.get("thumb_offset") is not None:
            if not video_url:
                raise param_error("(#100) thumb_offset is only supported for videos.")
            try:
                thumb_offset = int(p["thumb_offset"])
            except ValueError as exc:
                raise param_error("(#100) Param thumb_offset must be an integer") from exc
            if thumb_offset < 0:
                raise param_error("(#100) Param thumb_offset must be a non-negative integer")
        cover_url = p.get("cover_url") or None
        if cover_url and media_type != "REELS":
            raise param_error("(#100) cover_url is only supported for REELS.")
        location = p.get("location_id")
        if location is not None and not location.isdigit():
            raise param_error("(#100) Param location_id must be a valid location ID")
        params = {key: value for key, value in p.items() if key != "access_token"}
        if is_item:
            params.pop("caption", None)  # Instagram ignores captions on carousel items
        return ContainerPlan(
            account=account,
            app_id=token.app_id,
            media_type=media_type,
            is_item=is_item,
            params=params,
            children=children,
            image_url=image_url,
            video_url=video_url,
            cover_url=cover_url,
            check_aspect=media_type == "IMAGE",
            thumb_offset_ms=thumb_offset,
        )

    def _check_children(self, children: list[str], account: IgAccount) -> None:
        now = self._now()
        for child_id in children:
            child = self._containers.get(child_id)
            if child is None or child.ig_user_id != account.id:
                raise media_not_found(
                    child_id, "A carousel child does not exist or belongs to another account."
                )
            if not child.is_carousel_item:
                raise param_error(
                    f"(#100) The container {child_id} was not created as a carousel item "
                    "(is_carousel_item=true)."
                )
            if child.published_media_id is not None:
                raise param_error(f"(#100) The carousel item {child_id} was already published.")
            code, _ = self._status(child, now)
            if code == "EXPIRED":
                raise media_expired(f"The carousel item {child_id} expired; create a new one.")
            if code == "ERROR":
                raise param_error(f"(#100) The carousel item {child_id} failed processing.")
            if code == "IN_PROGRESS" and self._options.carousel_children_must_be_finished:
                raise not_ready()

    def _fetch_plan(self, plan: ContainerPlan) -> tuple[list[MediaProbe], str | None]:
        """Download the plan's media (outside the lock). Image problems raise; video
        problems raise or become the container's ERROR text (``video_errors``)."""
        options = self.options
        probes: list[MediaProbe] = []
        if plan.image_url:
            probes.append(fetch_image(plan.image_url, options, check_aspect=plan.check_aspect))
        if plan.cover_url:
            probes.append(fetch_image(plan.cover_url, options, check_aspect=False))
        error_text: str | None = None
        if plan.video_url:
            probe, error, error_text = fetch_video(plan.video_url, options, plan.thumb_offset_ms)
            probes.insert(0, probe)
            if error is not None and options.video_errors == "response":
                raise error
        return probes, error_text

    def _commit_container(
        self, plan: ContainerPlan, probes: list[MediaProbe], error_text: str | None
    ) -> Container:
        now = self._now()
        if plan.media_type == "CAROUSEL":
            self._check_children(plan.children, plan.account)
            delay = self._options.carousel_processing_seconds
        elif plan.video_url:
            delay = self._options.video_processing_seconds
        else:
            delay = self._options.image_processing_seconds
        container = Container(
            id=self._next(17_890_000_000_000_000),
            ig_user_id=plan.account.id,
            app_id=plan.app_id,
            media_type=plan.media_type,
            is_carousel_item=plan.is_item,
            created_at=now,
            ready_at=now + delay,
            params=plan.params,
            children=list(plan.children),
            probes=probes,
            error_text=error_text,
        )
        if plan.media_type != "CAROUSEL" and error_text is None:
            media_kind = "video" if plan.video_url else "image"
            rule = self._take_rule(
                "container_error", "media", plan.account.id, media_kind=media_kind
            )
            if rule is not None:
                container.error_text = (
                    rule.status_text or "Error: Media upload has failed with error code 2207053"
                )
        for child_id in plan.children:
            self._containers[child_id].parent_id = container.id
        self._containers[container.id] = container
        self._container_events.setdefault(plan.account.id, []).append(now)
        return container

    # ------------------------------------------------------------------ publishing
    def _publish(self, ctx: GraphCall, node: str) -> Reply:
        with self._lock:
            _token, account = self._enter_ig(ctx, node, "media_publish", publish=True)
            self._account_rules(account, publishing=True)
            creation_id = ctx.params.get("creation_id")
            if not creation_id:
                raise param_error("(#100) The parameter creation_id is required.")
            container = self._containers.get(creation_id)
            if container is None or container.ig_user_id != account.id:
                raise media_not_found(
                    creation_id, "The container does not exist or belongs to another account."
                )
            if container.is_carousel_item:
                raise param_error(
                    "(#100) A carousel item cannot be published on its own; publish its "
                    "CAROUSEL container."
                )
            now = self._now()
            code, _ = self._status(container, now)
            if code == "PUBLISHED":
                raise GraphError(
                    100,
                    "This media has already been published.",
                    user_title="Media already published",
                    user_msg=(
                        f"The container {container.id} was published as media "
                        f"{container.published_media_id}."
                    ),
                )
            if code == "EXPIRED":
                if self._options.expired_publish_error == "2207020":
                    raise media_expired("The container expired; create a new one.")
                raise GraphError(
                    24,
                    "The media builder does not exist or has expired.",
                    subcode=2207008,
                    user_title="Media builder expired",
                    user_msg="The container expired after 24 hours; create a new one.",
                )
            if code != "FINISHED":
                raise not_ready()
            if self._quota_used(account.id, now) >= self._quota_total(account):
                raise preset_error("quota")
            item = self._commit_publish(container, account, now)
            rule = self._take_rule("error", "media_publish", account.id, after_commit=True)
            if rule is not None:
                raise self._rule_error(rule, account.id)
            return Reply(200, {"id": item.id})

    def _commit_publish(self, container: Container, account: IgAccount, now: float) -> IgMedia:
        media_id = self._next(17_920_000_000_000_000)
        shortcode = media_shortcode(media_id)
        p = container.params
        if container.media_type == "STORIES":
            product, kind = "STORY", "VIDEO" if container.is_video else "IMAGE"
            permalink = f"https://www.instagram.com/stories/{account.username}/{media_id}/"
        elif container.media_type == "REELS":
            product, kind = "REELS", "VIDEO"
            permalink = f"https://www.instagram.com/reel/{shortcode}/"
        elif container.media_type == "CAROUSEL":
            product, kind = "FEED", "CAROUSEL_ALBUM"
            permalink = f"https://www.instagram.com/p/{shortcode}/"
        else:
            product, kind = "FEED", "IMAGE"
            permalink = f"https://www.instagram.com/p/{shortcode}/"
        sources = [probe.url for probe in container.probes[:1]]
        item = IgMedia(
            id=media_id,
            ig_user_id=account.id,
            container_id=container.id,
            media_type=kind,
            media_product_type=product,
            caption=p.get("caption"),
            shortcode=shortcode,
            permalink=permalink,
            published_at=now,
            media_url=sources[0] if sources else None,
            source_urls=sources,
            alt_text=p.get("alt_text"),
            share_to_feed=bool_param(p["share_to_feed"]) if "share_to_feed" in p else None,
        )
        self._media[media_id] = item
        for child_id in container.children:
            child = self._containers[child_id]
            child_media_id = self._next(17_920_000_000_000_000)
            child_sources = [probe.url for probe in child.probes[:1]]
            self._media[child_media_id] = IgMedia(
                id=child_media_id,
                ig_user_id=account.id,
                container_id=child.id,
                media_type="VIDEO" if child.is_video else "IMAGE",
                media_product_type="CAROUSEL_ALBUM",
                caption=None,
                shortcode=media_shortcode(child_media_id),
                permalink=f"https://www.instagram.com/p/{media_shortcode(child_media_id)}/",
                published_at=now,
                media_url=child_sources[0] if child_sources else None,
                source_urls=child_sources,
                parent_id=media_id,
                alt_text=child.params.get("alt_text"),
            )
            item.children.append(child_media_id)
            item.source_urls.extend(child_sources)
            child.published_media_id = child_media_id
            child.published_at = now
        if item.media_url is None and item.children:
            item.media_url = self._media[item.children[0]].media_url
        container.published_media_id = media_id
        container.published_at = now
        self._publish_events.setdefault(account.id, []).append(now)
        return item
