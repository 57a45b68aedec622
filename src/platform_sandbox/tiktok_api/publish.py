"""``PublishArea``: the Content Posting endpoints that start and follow a publish: creator
info, the three inits (photo, Direct Post video, inbox video) with the account and app
rules they enforce (caps, unaudited clients, URL ownership), status fetch and cancel."""

from __future__ import annotations

import copy
import secrets
from typing import Any
from urllib.parse import urlencode

from platform_sandbox.common import DAY, iso
from platform_sandbox.tiktok_api import media
from platform_sandbox.tiktok_api.auth import OAuthArea
from platform_sandbox.tiktok_api.config import SandboxUser
from platform_sandbox.tiktok_api.fields import BodyReader, Chunks, VideoSource
from platform_sandbox.tiktok_api.records import ApiFailure, Publish, Token, Upload

PUBLISH_ID_BASE = 7_412_000_000_000_000_000

PHOTO_POST_INFO_KEYS = (
    "title",
    "description",
    "privacy_level",
    "disable_comment",
    "auto_add_music",
    "brand_content_toggle",
    "brand_organic_toggle",
)
VIDEO_POST_INFO_KEYS = (
    "privacy_level",
    "title",
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "video_cover_timestamp_ms",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
)
PHOTO_FLAGS = ("disable_comment", "auto_add_music", "brand_content_toggle", "brand_organic_toggle")
VIDEO_FLAGS = (
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
)
BANNED = (
    "spam_risk_user_banned_from_posting",
    "The user is banned from posting.",
)
ACTIVE_USER_CAP = (
    "reached_active_user_cap",
    "The daily quota of active creators of this client is reached.",
)
TOO_MANY_POSTS = ("spam_risk_too_many_posts", "The daily post cap of this creator is reached.")
URL_UNVERIFIED = (
    "Please review our URL ownership verification rules at "
    "https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide#pull_from_url"
)


class PublishArea(OAuthArea):
    """creator_info, the inits, status and cancel."""

    # ------------------------------------------------------------------ caps

    def _direct_posts_24h(self, open_id: str, now: float) -> int:
        count = sum(1 for t in self._external_posts.get(open_id, []) if t > now - DAY)
        for pub in self._publishes.values():
            if (
                pub.open_id == open_id
                and pub.post_mode == "DIRECT_POST"
                and pub.created_at > now - DAY
            ):
                self._advance(pub, now)
                if pub.phase != "failed":
                    count += 1
        return count

    def _pending_shares(self, open_id: str, now: float) -> int:
        count = 0
        for pub in self._publishes.values():
            if pub.open_id == open_id and pub.inbox_flow and pub.created_at > now - DAY:
                self._advance(pub, now)
                if pub.phase != "failed" and pub.draft_state not in ("published", "discarded"):
                    count += 1
        return count

    def _over_active_user_cap(self, open_id: str, now: float) -> bool:
        app = self._served_app
        cap = app.active_user_cap
        if cap is None and not app.audited:
            cap = self._options.unaudited_active_user_cap
        if cap is None:
            return False
        active = {
            pub.open_id
            for pub in self._publishes.values()
            if pub.client_key == app.client_key and pub.created_at > now - DAY
        }
        return open_id not in active and len(active) >= cap

    def _over_daily_cap(self, user: SandboxUser, now: float) -> bool:
        cap = user.daily_post_cap
        if cap is None:
            cap = self._options.daily_post_cap
        return self._direct_posts_24h(user.open_id, now) >= cap

    def _posting_refusal(self, user: SandboxUser, now: float) -> tuple[str, str] | None:
        """Why ``user`` may not post through the app now (code, message): banned, or the
        app's cap of active creators; None when nothing stops them (the caps of a post
        mode are checked apart)."""
        if user.banned:
            return BANNED
        if self._over_active_user_cap(user.open_id, now):
            return ACTIVE_USER_CAP
        return None

    # ------------------------------------------------------------------ creator info

    def creator_info(self, authorization: str | None) -> tuple[dict[str, Any], str, str]:
        """Returns (data, error code, message): the 200-with-error cases come back as a
        non-``ok`` code with empty data."""
        with self._lock:
            token = self._enter(authorization, "creator_info")
            self._require_scope(token, "video.publish")
            user = self._user(token.grant.open_id)
            now = self._now()
            refusal = self._posting_refusal(user, now)
            if refusal is None and self._over_daily_cap(user, now):
                refusal = TOO_MANY_POSTS
            if refusal is not None:
                return {}, *refusal
            data = {
                "creator_avatar_url": user.avatar_url,
                "creator_username": user.username,
                "creator_nickname": user.display_name or user.username,
                "privacy_level_options": user.privacy_level_options(),
                "comment_disabled": user.comment_disabled,
                "duet_disabled": user.duet_disabled or user.private_account,
                "stitch_disabled": user.stitch_disabled or user.private_account,
                "max_video_post_duration_sec": user.max_video_post_duration_sec,
            }
            return data, "ok", ""

    # ------------------------------------------------------------------ init: account rules

    def _account_rules(
        self,
        user: SandboxUser,
        *,
        post_mode: str,
        privacy: str | None,
        urls: list[str],
        now: float,
    ) -> None:
        refusal = self._posting_refusal(user, now)
        if refusal is not None:
            raise ApiFailure(403, *refusal)
        app = self._served_app
        if post_mode == "DIRECT_POST":
            if not app.audited and (
                privacy != "SELF_ONLY"
                or (self._options.unaudited_requires_private_account and not user.private_account)
            ):
                raise ApiFailure(
                    403,
                    "unaudited_client_can_only_post_to_private_accounts",
                    "Unaudited clients can only post to private accounts (SELF_ONLY).",
                )
            if privacy not in user.privacy_level_options():
                raise ApiFailure(
                    403,
                    "privacy_level_option_mismatch",
                    f"privacy_level {privacy} is not among the creator's privacy_level_options.",
                )
        if any(not media.url_is_verified(url, app) for url in urls):
            raise ApiFailure(403, "url_ownership_unverified", URL_UNVERIFIED)
        if post_mode == "DIRECT_POST":
            if self._over_daily_cap(user, now):
                raise ApiFailure(403, *TOO_MANY_POSTS)
            return
        cap = user.pending_share_cap
        if cap is None:
            cap = self._options.pending_share_cap
        if self._pending_shares(user.open_id, now) >= cap:
            raise ApiFailure(
                403,
                "spam_risk_too_many_pending_share",
                "The creator has too many pending shares in the last 24 hours.",
            )

    # ------------------------------------------------------------------ init endpoints

    def content_init(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """``POST /v2/post/publish/content/init/`` (PHOTO)."""
        with self._lock:
            token = self._enter(authorization, "content_init")
            read = self._reader()
            body = read.json_object(body, "body")
            post_mode = body.get("post_mode")
            if post_mode not in ("DIRECT_POST", "MEDIA_UPLOAD"):
                raise read.invalid("post_mode must be DIRECT_POST or MEDIA_UPLOAD.")
            self._require_scope(
                token, "video.publish" if post_mode == "DIRECT_POST" else "video.upload"
            )
            read.only_keys(body, ("media_type", "post_mode", "post_info", "source_info"), "body")
            if body.get("media_type") != "PHOTO":
                raise read.invalid("media_type must be PHOTO.")
            post_info = read.post_info(
                body, PHOTO_POST_INFO_KEYS, {"title": 90, "description": 4000}, PHOTO_FLAGS
            )
            privacy = read.privacy(post_info, required=post_mode == "DIRECT_POST")
            read.branded(post_info, privacy)
            source_info = read.json_object(body.get("source_info"), "source info")
            urls, cover = self._photo_source(read, source_info)
            user = self._user(token.grant.open_id)
            if post_mode == "MEDIA_UPLOAD" and not user.app_version_ok:
                raise ApiFailure(
                    400,
                    "app_version_check_failed",
                    "The user's TikTok app is too old to receive photo uploads (needs 31.8).",
                )
            now = self._now()
            self._account_rules(user, post_mode=post_mode, privacy=privacy, urls=urls, now=now)
            pub = self._create_publish(
                token,
                endpoint="content_init",
                prefix="p_pub_url" if post_mode == "DIRECT_POST" else "p_inbox_url",
                post_mode=post_mode,
                media_type="PHOTO",
                source="PULL_FROM_URL",
                body=body,
                post_info=post_info,
                source_info=source_info,
                photo_urls=urls,
                photo_cover_index=cover,
                video_url=None,
                privacy=privacy,
                now=now,
            )
            self._after_commit(pub, "content_init")
            return {"publish_id": pub.publish_id}

    def _photo_source(self, read: BodyReader, source_info: dict[str, Any]) -> tuple[list[str], int]:
        read.only_keys(source_info, ("source", "photo_images", "photo_cover_index"), "source_info")
        if source_info.get("source") != "PULL_FROM_URL":
            raise read.invalid("source_info.source must be PULL_FROM_URL for photos.")
        images = source_info.get("photo_images")
        if not isinstance(images, list) or not 1 <= len(images) <= 35:
            raise read.invalid("source_info.photo_images must hold 1 to 35 URLs.")
        urls = [read.url(url, f"source_info.photo_images[{i}]") for i, url in enumerate(images)]
        cover = read.integer(source_info, "photo_cover_index", "source_info", required=True)
        if cover is None or not 0 <= cover < len(urls):
            raise read.invalid("source_info.photo_cover_index is out of range.")
        return urls, cover

    def video_init(self, authorization: str | None, body: Any, base_url: str) -> dict[str, Any]:
        """``POST /v2/post/publish/video/init/`` (Direct Post)."""
        with self._lock:
            token = self._enter(authorization, "video_init")
            self._require_scope(token, "video.publish")
            read = self._reader()
            body = read.json_object(body, "body")
            read.only_keys(body, ("post_info", "source_info"), "body")
            post_info = read.post_info(body, VIDEO_POST_INFO_KEYS, {"title": 2200}, VIDEO_FLAGS)
            cover_ms = read.integer(
                post_info, "video_cover_timestamp_ms", "post_info", required=False
            )
            if cover_ms is not None and cover_ms < 0:
                raise read.invalid("post_info.video_cover_timestamp_ms must not be negative.")
            privacy = read.privacy(post_info, required=True)
            read.branded(post_info, privacy)
            return self._start_video(
                token, "video_init", body, read.video_source(body), post_info, privacy, base_url
            )

    def inbox_video_init(
        self, authorization: str | None, body: Any, base_url: str
    ) -> dict[str, Any]:
        """``POST /v2/post/publish/inbox/video/init/`` (upload to the creator's inbox)."""
        with self._lock:
            token = self._enter(authorization, "inbox_video_init")
            self._require_scope(token, "video.upload")
            read = self._reader()
            body = read.json_object(body, "body")
            read.only_keys(body, ("source_info",), "body")
            return self._start_video(
                token, "inbox_video_init", body, read.video_source(body), {}, None, base_url
            )

    def _start_video(
        self,
        token: Token,
        endpoint: str,
        body: dict[str, Any],
        source: VideoSource,
        post_info: dict[str, Any],
        privacy: str | None,
        base_url: str,
    ) -> dict[str, Any]:
        """The common end of both video inits: account rules, the publish, its upload URL."""
        direct = endpoint == "video_init"
        post_mode = "DIRECT_POST" if direct else "MEDIA_UPLOAD"
        user = self._user(token.grant.open_id)
        now = self._now()
        self._account_rules(user, post_mode=post_mode, privacy=privacy, urls=source.urls, now=now)
        file_upload = source.source == "FILE_UPLOAD"
        if direct:
            prefix = "v_pub_file~v2-1" if file_upload else "v_pub_url~v2"
        else:
            prefix = "v_inbox_file~v2" if file_upload else "v_inbox_url~v2"
        pub = self._create_publish(
            token,
            endpoint=endpoint,
            prefix=prefix,
            post_mode=post_mode,
            media_type="VIDEO",
            source=source.source,
            body=body,
            post_info=post_info,
            source_info=source.info,
            photo_urls=[],
            photo_cover_index=None,
            video_url=source.video_url,
            privacy=privacy,
            now=now,
        )
        data = self._video_init_data(pub, source.chunks, base_url, now)
        self._after_commit(pub, endpoint)
        return data

    def _video_init_data(
        self, pub: Publish, chunks: Chunks | None, base_url: str, now: float
    ) -> dict[str, Any]:
        if chunks is None:
            return {"publish_id": pub.publish_id}
        size, chunk, count = chunks
        upload = Upload(
            upload_id=str(pub.seq + PUBLISH_ID_BASE),
            upload_token=secrets.token_urlsafe(18),
            publish_id=pub.publish_id,
            video_size=size,
            chunk_size=chunk,
            total_chunk_count=count,
            expires_at=now + self._options.upload_url_ttl_seconds,
        )
        pub.upload = upload
        self._uploads[upload.upload_id] = upload
        base = (self._options.upload_base_url or base_url).rstrip("/")
        query = urlencode({"upload_id": upload.upload_id, "upload_token": upload.upload_token})
        return {"publish_id": pub.publish_id, "upload_url": f"{base}/video/?{query}"}

    def _after_commit(self, pub: Publish, endpoint: str) -> None:
        rule = self._take_rule("http_error", endpoint, pub.open_id, after_commit=True)
        if rule is not None:
            pub.init_http_status = rule.http_status
            pub.init_error_code = rule.default_error_code()
            self._raise_injected(rule)

    def _create_publish(
        self,
        token: Token,
        *,
        endpoint: str,
        prefix: str,
        post_mode: str,
        media_type: str,
        source: str,
        body: dict[str, Any],
        post_info: dict[str, Any],
        source_info: dict[str, Any],
        photo_urls: list[str],
        photo_cover_index: int | None,
        video_url: str | None,
        privacy: str | None,
        now: float,
    ) -> Publish:
        seq = self._next_seq()
        if "~" not in prefix:
            prefix += "~v2"
        publish_id = f"{prefix}.{PUBLISH_ID_BASE + seq}"
        pull = source == "PULL_FROM_URL"
        pub = Publish(
            publish_id=publish_id,
            seq=seq,
            open_id=token.grant.open_id,
            client_key=token.grant.client_key,
            endpoint=endpoint,
            post_mode=post_mode,
            media_type=media_type,
            source=source,
            request_body=copy.deepcopy(body),
            post_info=copy.deepcopy(post_info),
            source_info=copy.deepcopy(source_info),
            photo_urls=list(photo_urls),
            photo_cover_index=photo_cover_index,
            video_url=video_url,
            privacy_level=privacy,
            created_at=now,
            status="PROCESSING_DOWNLOAD" if pull else "PROCESSING_UPLOAD",
            phase="download" if pull else "upload",
        )
        pub.history.append({"status": pub.status, "at": iso(now)})
        rule = self._take_rule("fail_publish", endpoint, pub.open_id)
        user = self._users.get(pub.open_id)
        pub.injected_fail_reason = (rule.fail_reason if rule else None) or (
            user.fail_reason if user else None
        )
        self._publishes[publish_id] = pub
        if pull:
            self._start_pull(pub)
        return pub

    # ------------------------------------------------------------------ status & cancel

    def _owned_publish(self, token: Token, body: Any) -> Publish:
        read = self._reader()
        body = read.json_object(body, "body")
        read.only_keys(body, ("publish_id",), "body")
        publish_id = body.get("publish_id")
        if not isinstance(publish_id, str) or not publish_id:
            raise read.invalid("publish_id is required.")
        pub = self._publishes.get(publish_id)
        if pub is None:
            raise ApiFailure(400, "invalid_publish_id", "The publish_id does not exist.")
        if pub.open_id != token.grant.open_id or pub.client_key != token.grant.client_key:
            raise ApiFailure(
                401,
                "token_not_authorized_for_specified_publish_id",
                "The access token is not authorized for this publish_id.",
            )
        return pub

    def _followed_publish(self, authorization: str | None, endpoint: str, body: Any) -> Publish:
        """The head of status and cancel: the caller's publish, moved on to now (waiting,
        outside the lock, for a media pull the clock says is done)."""
        with self._lock:
            token = self._enter(authorization, endpoint)
            self._require_scope(token, "video.publish", "video.upload")
            pub = self._owned_publish(token, body)
        self._await_due_pulls(pub)
        return pub

    def status_fetch(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """``POST /v2/post/publish/status/fetch/``. When the clock says a media pull is due
        but the download is still running, waits for it (outside the lock) for at most
        ``status_wait_seconds``."""
        pub = self._followed_publish(authorization, "status_fetch", body)
        with self._lock:
            self._advance(pub, self._now())
            data: dict[str, Any] = {"status": pub.status}
            if pub.fail_reason:
                data["fail_reason"] = pub.fail_reason
            data["publicaly_available_post_id"] = list(pub.public_post_ids)
            if pub.source == "FILE_UPLOAD":
                data["uploaded_bytes"] = pub.uploaded_bytes
            else:
                data["downloaded_bytes"] = pub.downloaded_bytes
            return data

    def cancel(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """``POST /v2/post/publish/cancel/``: best effort while media is still arriving."""
        pub = self._followed_publish(authorization, "cancel", body)
        with self._lock:
            now = self._now()
            self._advance(pub, now)
            if pub.phase not in ("download", "upload"):
                raise ApiFailure(
                    400,
                    "publish_not_cancellable",
                    f"The publish is {pub.status} and can no longer be cancelled.",
                )
            self._fail(pub, "publish_cancelled", now)
            return {}
