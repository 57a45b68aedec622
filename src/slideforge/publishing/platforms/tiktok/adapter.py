"""TikTok Content Posting API v2 (``docs/platforms.md``, "TikTok").

OAuth (authorize URL with state and optional PKCE, code exchange, rotating refresh tokens,
24 h access tokens), creator_info before each post, photo posts (PULL_FROM_URL from a verified
domain, DIRECT_POST or MEDIA_UPLOAD to the creator's inbox), video posts (FILE_UPLOAD in
chunks or PULL_FROM_URL), status polling to PUBLISH_COMPLETE / SEND_TO_USER_INBOX / FAILED,
and TikTok's error table mapped to what the publish path should do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from slideforge.config import Settings
from slideforge.publishing.platforms import base
from slideforge.publishing.platforms.metrics import PostMetrics, ProfileMetrics
from slideforge.publishing.platforms.text import utf16_truncate
from slideforge.publishing.platforms.tiktok import reads
from slideforge.publishing.platforms.tiktok.errors import FAIL_REASONS, api_error
from slideforge.publishing.platforms.tiktok.rules import (
    PHOTO_DESCRIPTION_MAX,
    PHOTO_TITLE_MAX,
    RULES,
    VIDEO_TITLE_MAX,
)

PRIVACY_ORDER = ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
SINGLE_CHUNK_MAX = 64_000_000
CHUNK_SIZE = 10_000_000
# Display API video list (scope video.list): the fields read, 20 a page (TikTok's maximum),
# at most this many pages back in time per reading.
VIDEO_LIST_FIELDS = "id,title,video_description,create_time,share_url"
VIDEO_LIST_PAGES = 10


def chunk_plan(size: int) -> list[tuple[int, int]]:
    """(first, last) byte ranges: one chunk up to 64 MB, else 10 MB chunks with the remainder
    merged into the last (TikTok's FILE_UPLOAD rules)."""
    if size <= SINGLE_CHUNK_MAX:
        return [(0, size - 1)]
    count = size // CHUNK_SIZE
    plan = [(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE - 1) for i in range(count)]
    plan[-1] = (plan[-1][0], size - 1)
    return plan


class TikTok:
    name = "tiktok"

    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        self.client_key, self.client_secret = RULES.client(settings)
        self.api = settings.tiktok_api_base_url.rstrip("/")
        self.authorize_base = settings.tiktok_authorize_url
        self.scopes = settings.tiktok_scopes
        self.video_source = settings.tiktok_video_source
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> TikTok:
        return cls(settings)

    # -- HTTP ------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, token: str | None = None, read_only: bool, **kwargs: Any
    ) -> dict[str, Any]:
        """A data-endpoint call; errors (also HTTP 200 ones) become PlatformError."""
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response, body = base.platform_request(
            "TikTok",
            self.timeout,
            method,
            self.api + path,
            read_only=read_only,
            headers=headers,
            **kwargs,
        )
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        if response.status_code < 400 and (code in (None, "ok")):
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        code = code or f"http_{response.status_code}"
        message = error.get("message", "") if isinstance(error, dict) else ""
        raise api_error(code, message, response, read_only=read_only)

    # -- OAuth -----------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = {
            "client_key": self.client_key,
            "scope": self.scopes,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if code_challenge:
            query.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.authorize_base}?{urlencode(query)}"

    def _token_call(self, form: dict[str, str], now: datetime) -> base.TokenSet:
        form = {"client_key": self.client_key, "client_secret": self.client_secret, **form}
        response, body = base.platform_request(
            "TikTok",
            self.timeout,
            "POST",
            self.api + "/v2/oauth/token/",
            read_only=True,  # a token call publishes nothing: always safe to repeat
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if "error" in body or "access_token" not in body:
            code = str(body.get("error", f"http_{response.status_code}"))
            description = body.get("error_description", "")
            kind: base.FailureKind = "retryable" if response.status_code >= 500 else "auth"
            raise base.PlatformError(
                kind, code, f"TikTok refused the token request ({code}: {description})"
            )
        return base.TokenSet(
            access_token=str(body["access_token"]),
            access_expires_at=now + timedelta(seconds=int(body.get("expires_in", 86_400))),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            refresh_expires_at=(
                now + timedelta(seconds=int(body["refresh_expires_in"]))
                if body.get("refresh_expires_in")
                else None
            ),
            scopes=str(body.get("scope", "")),
        )

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, now: datetime
    ) -> tuple[base.TokenSet, base.Identity]:
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        tokens = self._token_call(form, now)
        base.require_scopes(tokens.scopes.split(","), ("video.publish", "video.upload"))
        fields = "open_id,union_id,avatar_url,display_name"
        if "user.info.profile" in tokens.scopes.split(","):
            fields += ",username"
        user = self._call(
            "GET",
            f"/v2/user/info/?fields={fields}",
            token=tokens.access_token,
            read_only=True,
        ).get("user", {})
        open_id = str(user.get("open_id") or "")
        if not open_id:
            raise base.PlatformError("retryable", "bad_response", "TikTok returned no user id")
        username = str(user.get("username") or user.get("display_name") or open_id)
        identity = base.Identity(
            platform_user_id=open_id,
            username=username,
            display_name=str(user.get("display_name") or username),
            settings={"avatar_url": user.get("avatar_url")},
        )
        return tokens, identity

    def refresh(self, refresh_token: str, *, now: datetime) -> base.TokenSet:
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, now
        )

    # -- publishing ------------------------------------------------------------------------

    def stage(
        self, token: str, request: base.PublishRequest, progress: dict[str, Any]
    ) -> base.Staged:
        """creator_info: the account's live options; the settings the send will use (ready
        at once: TikTok pulls the media itself after the send)."""
        info = self._call(
            "POST",
            "/v2/post/publish/creator_info/query/",
            token=token,
            read_only=True,
            json={},
        )
        settings = dict(request.settings)
        notes: list[str] = []
        mode = settings.get("post_mode") or "DIRECT_POST"
        settings["post_mode"] = mode
        options = [str(o) for o in info.get("privacy_level_options") or []]
        if mode == "DIRECT_POST":
            wanted = settings.get("privacy_level")
            if wanted is None:
                allowed = [level for level in PRIVACY_ORDER if level in options]
                settings["privacy_level"] = allowed[0] if allowed else "SELF_ONLY"
            elif options and wanted not in options:
                raise base.PlatformError(
                    "user",
                    "privacy_level_option_mismatch",
                    f"privacy_level {wanted} is not allowed for @{request.username}: "
                    f"TikTok offers {', '.join(options)}",
                )
            if info.get("comment_disabled") and not settings.get("disable_comment"):
                settings["disable_comment"] = True
                notes.append("comments are disabled on this account, so the post has none")
            if request.kind == "video":
                for flag in ("duet", "stitch"):
                    if info.get(f"{flag}_disabled") and not settings.get(f"disable_{flag}"):
                        settings[f"disable_{flag}"] = True
        return base.Staged(ready=True, settings=settings, notes=tuple(notes))

    def send(self, token: str, request: base.PublishRequest, staged: base.Staged) -> base.Sent:
        settings = staged.settings
        mode = settings["post_mode"]
        if request.kind == "slideshow":
            cover = int(settings.get("photo_cover_index") or 0)
            post_info: dict[str, Any] = {
                "title": utf16_truncate(settings.get("title") or "", PHOTO_TITLE_MAX),
                "description": utf16_truncate(
                    settings.get("description") or request.caption, PHOTO_DESCRIPTION_MAX
                ),
            }
            if mode == "DIRECT_POST":
                post_info.update(
                    privacy_level=settings["privacy_level"],
                    disable_comment=bool(settings.get("disable_comment")),
                    auto_add_music=bool(settings.get("auto_add_music")),
                    brand_content_toggle=bool(settings.get("is_branded_content")),
                    brand_organic_toggle=bool(settings.get("is_your_brand")),
                )
            body = {
                "post_info": post_info,
                "source_info": {
                    "source": "PULL_FROM_URL",
                    "photo_images": list(request.image_urls),
                    "photo_cover_index": min(cover, len(request.image_urls) - 1),
                },
                "post_mode": mode,
                "media_type": "PHOTO",
            }
            return self._init(token, "/v2/post/publish/content/init/", body, "photo", settings)
        post_info = {
            "title": utf16_truncate(request.caption, VIDEO_TITLE_MAX),
            "privacy_level": settings["privacy_level"],
            "disable_comment": bool(settings.get("disable_comment")),
            "disable_duet": bool(settings.get("disable_duet")),
            "disable_stitch": bool(settings.get("disable_stitch")),
            "brand_content_toggle": bool(settings.get("is_branded_content")),
            "brand_organic_toggle": bool(settings.get("is_your_brand")),
            "is_aigc": bool(settings.get("is_aigc")),
        }
        if settings.get("video_cover_timestamp_ms") is not None:
            post_info["video_cover_timestamp_ms"] = int(settings["video_cover_timestamp_ms"])
        if self.video_source == "PULL_FROM_URL" or not request.video_size:
            source: dict[str, Any] = {"source": "PULL_FROM_URL", "video_url": request.video_url}
        else:
            plan = chunk_plan(request.video_size)
            source = {
                "source": "FILE_UPLOAD",
                "video_size": request.video_size,
                "chunk_size": plan[0][1] + 1 if len(plan) == 1 else CHUNK_SIZE,
                "total_chunk_count": len(plan),
            }
        body = {"post_info": post_info, "source_info": source}
        return self._init(
            token, "/v2/post/publish/video/init/", body, "video", settings, source=source["source"]
        )

    def _init(
        self,
        token: str,
        path: str,
        body: dict[str, Any],
        kind: str,
        settings: dict[str, Any],
        **ref: Any,
    ) -> base.Sent:
        """The init call (the irreversible one) and what following the post needs: the
        publish id, and for a video the upload URL of its chunks."""
        data = self._call("POST", path, token=token, read_only=False, json=body)
        if kind == "video":
            ref["upload_url"] = data.get("upload_url")
        return base.Sent(
            ref={
                "publish_id": data.get("publish_id"),
                "mode": settings["post_mode"],
                "kind": kind,
                "privacy_level": settings.get("privacy_level"),
                **ref,
            }
        )

    def continue_upload(
        self,
        token: str,
        request: base.PublishRequest,
        ref: dict[str, Any],
        read_chunk: Callable[[int, int], bytes],
    ) -> None:
        """FILE_UPLOAD: PUT the chunks in order; resumes after the bytes TikTok confirms."""
        if ref.get("source") != "FILE_UPLOAD" or not ref.get("upload_url"):
            return
        size = int(request.video_size or 0)
        plan = chunk_plan(size)
        with base.platform_client(self.timeout) as client:
            index = 0
            while index < len(plan):
                first, last = plan[index]
                try:
                    response = client.put(
                        str(ref["upload_url"]),
                        content=read_chunk(first, last),
                        headers={
                            "Content-Type": "video/mp4",
                            "Content-Range": f"bytes {first}-{last}/{size}",
                        },
                    )
                except httpx.HTTPError as exc:
                    raise base.PlatformError(
                        "retryable", "network", f"upload failed: {exc}"
                    ) from exc
                if response.status_code in (200, 201, 206):
                    index += 1
                    continue
                if response.status_code == 416:
                    # TikTok already has more (an earlier attempt got further): skip ahead.
                    done = _uploaded_until(response.headers.get("content-range"))
                    if done is None:
                        raise base.PlatformError(
                            "user", "upload_range", "TikTok refused the chunk order"
                        )
                    index = next((i for i, (f, _) in enumerate(plan) if f > done), len(plan))
                    continue
                if response.status_code == 403:
                    raise base.PlatformError(
                        "user", "upload_expired", "TikTok's upload URL expired"
                    )
                raise base.PlatformError(
                    "retryable", f"http_{response.status_code}", "TikTok refused a video chunk"
                )

    def status(self, token: str, request: base.PublishRequest, ref: dict[str, Any]) -> base.Status:
        data = self._call(
            "POST",
            "/v2/post/publish/status/fetch/",
            token=token,
            read_only=True,
            json={"publish_id": ref.get("publish_id")},
        )
        state = str(data.get("status") or "")
        profile = f"https://www.tiktok.com/@{request.username}" if request.username else None
        if state == "FAILED":
            reason = str(data.get("fail_reason") or "unknown")
            kind, words = FAIL_REASONS.get(reason, ("user", "TikTok failed the post"))
            return base.Status(
                "failed", state, failure=base.PlatformError(kind, reason, f"{words} ({reason})")
            )
        if state == "SEND_TO_USER_INBOX":
            return base.Status("delivered", state, url=profile, final=True)
        if state == "PUBLISH_COMPLETE":
            ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
            post_id = str(ids[0]) if isinstance(ids, list) and ids else None
            if post_id:
                path = "video" if ref.get("kind") == "video" else "photo"
                return base.Status(
                    "posted",
                    state,
                    post_id=post_id,
                    url=f"https://www.tiktok.com/@{request.username}/{path}/{post_id}",
                    final=True,
                )
            # Live, but the public id only appears after moderation (never for SELF_ONLY).
            final = ref.get("privacy_level") == "SELF_ONLY" or ref.get("mode") == "MEDIA_UPLOAD"
            return base.Status("posted", state, url=profile, final=final)
        return base.Status("processing", state or "PROCESSING")

    # -- reconciliation ----------------------------------------------------------------------

    def reconcile(
        self, token: str, request: base.PublishRequest, ref: dict[str, Any], since: datetime
    ) -> base.Reading:
        """The publish status when the send's publish_id is known; otherwise the account's
        public posts since ``since`` from the Display API's video list (scope
        ``video.list``), compared on caption/title."""
        publish_id = ref.get("publish_id")
        if publish_id:
            return self._reconcile_status(token, request, ref, str(publish_id))
        settings = dict(ref.get("settings") or request.settings)
        if (settings.get("post_mode") or "DIRECT_POST") == "MEDIA_UPLOAD":
            return base.Reading(
                "unknown",
                "the post was sent to the creator's TikTok inbox as a draft, and TikTok's "
                "video list never shows drafts: look in the inbox of the TikTok app",
                final=True,
            )
        if request.kind == "slideshow":
            description = utf16_truncate(
                settings.get("description") or request.caption, PHOTO_DESCRIPTION_MAX
            )
            title = utf16_truncate(settings.get("title") or "", PHOTO_TITLE_MAX)
        else:
            description, title = utf16_truncate(request.caption, VIDEO_TITLE_MAX), ""

        def read_page(cursor: int | None) -> base.Page:
            body: dict[str, Any] = {"max_count": 20}
            if cursor is not None:
                body["cursor"] = cursor
            data = self._call(
                "POST",
                f"/v2/video/list/?fields={VIDEO_LIST_FIELDS}",
                token=token,
                read_only=True,
                json=body,
            )
            videos, following = data.get("videos"), data.get("cursor")
            return base.Page(
                videos if isinstance(videos, list) else [],
                bool(data.get("has_more")),
                following if isinstance(following, int) else None,
            )

        def seen(video: dict[str, Any]) -> base.Seen | None:
            if not video.get("id"):
                return None
            created = datetime.fromtimestamp(int(video.get("create_time") or 0), UTC)
            text = video.get("video_description")
            matches = base.same_text(text, description) or base.same_text(
                video.get("title"), description
            )
            if title and request.kind == "slideshow":
                matches = matches and base.same_text(video.get("title"), title)
            return base.Seen(
                post_id=str(video["id"]),
                url=str(video.get("share_url") or "")
                or f"https://www.tiktok.com/@{request.username}/video/{video['id']}",
                created_at=created,
                matches=matches,
                summary=f"{video['id']} at {created.isoformat()}: "
                f"{str(text or video.get('title') or '')[:60]!r}",
            )

        try:
            listed, complete = base.posts_since(read_page, seen, since, VIDEO_LIST_PAGES)
        except base.PlatformError as exc:
            if exc.code in ("scope_not_authorized", "scope_permission_missed"):
                return base.Reading(
                    "unknown",
                    f"@{request.username} did not grant TikTok's video.list permission, "
                    f"so its posts cannot be read ({exc.code}): reconnect the account "
                    "approving every permission, or check the profile yourself",
                    final=True,
                )
            return base.Reading(
                "unknown",
                f"TikTok's video list could not be read: {exc.message}",
                final=exc.kind == "user",
            )
        privacy = settings.get("privacy_level")
        public = privacy == "PUBLIC_TO_EVERYONE"
        evidence = (
            f"TikTok's video list of @{request.username} since {since.isoformat()}: "
            f"{len(listed)} post(s)"
        )
        if not public:
            evidence += (
                f"; the list shows public posts only and this one was sent as "
                f"{privacy or 'an unknown privacy level'}, so its absence proves nothing"
            )
        return base.Reading(
            "listed", evidence, listed=listed, complete=complete, authoritative=public
        )

    def _reconcile_status(
        self, token: str, request: base.PublishRequest, ref: dict[str, Any], publish_id: str
    ) -> base.Reading:
        try:
            status = self.status(token, request, ref)
        except base.PlatformError as exc:
            return base.Reading(
                "unknown",
                f"TikTok's publish status of {publish_id} could not be read: {exc.message}",
                final=exc.kind == "user",
            )
        said = f"TikTok's publish status of {publish_id} is {status.platform_status}"
        if status.state in ("posted", "delivered"):
            return base.Reading(
                "posted",
                said,
                post_id=status.post_id,
                url=status.url,
                platform_status=status.platform_status,
            )
        if status.state == "failed":
            failure = status.failure
            if failure is not None and failure.kind == "retryable":
                return base.Reading(
                    "absent", f"{said} ({failure.code}): nothing was published", failure=failure
                )
            return base.Reading(
                "failed", said, failure=failure, platform_status=status.platform_status
            )
        return base.Reading("processing", said, platform_status=status.platform_status)

    # -- reading (analytics; ``reads.py``) --------------------------------------------------

    def read_profile(self, token: str) -> ProfileMetrics:
        return reads.read_profile(self._call, token)

    def read_posts(self, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        return reads.read_posts(self._call, token, post_ids)

    def recent_posts(self, token: str, limit: int) -> list[PostMetrics]:
        return reads.recent_posts(self._call, token, limit)


def _uploaded_until(content_range: str | None) -> int | None:
    """``bytes 0-N/TOTAL`` -> N."""
    if not content_range or "-" not in content_range:
        return None
    try:
        return int(content_range.split("-", 1)[1].split("/", 1)[0])
    except ValueError:
        return None


__all__ = ["TikTok", "chunk_plan"]
