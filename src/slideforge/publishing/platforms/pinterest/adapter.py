"""Pinterest API v5 (``docs/platforms.md``, "Pinterest" and "Lessons adopted").

OAuth with HTTP Basic client authentication and continuous refresh tokens: every refresh
returns a new refresh token (the old one dies), and the publish path stores each one
(``store_tokens`` never replaces a stored refresh token with an empty one). The account's
default board is chosen at its first connect (its first board; ``PATCH /accounts/{id}``
``settings.pinterest_board_id`` changes it).

Pins: one image (``image_url``), a carousel (``multiple_image_urls``, 2–5 images of one size,
which the media variants guarantee) or a video: ``stage`` registers the media, uploads it to
the returned URL with every upload parameter, and polls it until ``succeeded`` (nothing is
visible yet); ``send`` is the one ``POST /v5/pins``. Pinterest has no idempotency key for
pins, so the publish path's witness (armed → sending → sent) is the arm → witness → create
handshake: a 5xx or a lost connection after the request went out ends ``outcome_unknown``,
never a second pin.

Tags: API v5 has no tags field, so ``pinterest.tags`` are appended to the description as
hashtags (the description, tags included, holds 800 characters)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from slideforge.config import Settings
from slideforge.kit.clock import Clock, SystemClock
from slideforge.publishing.platforms import base
from slideforge.publishing.platforms.metrics import ReadsThrough
from slideforge.publishing.platforms.pinterest.errors import api_error
from slideforge.publishing.platforms.pinterest.reads import PinterestReads
from slideforge.publishing.platforms.pinterest.rules import (
    DESCRIPTION_MAX,
    RULES,
    pin_description,
)

PUBLISH_SCOPES = ("boards:read", "pins:read", "pins:write", "user_accounts:read")
MEDIA_POLL_SECONDS = 2.0
# Reconciliation reads the board's pins, 100 a page, at most this many pages back.
BOARD_PIN_PAGES = 10


def pin_url(pin_id: str) -> str:
    return f"https://www.pinterest.com/pin/{pin_id}/"


class Pinterest(ReadsThrough):
    name = "pinterest"

    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        self.client_id, self.client_secret = RULES.client(settings)
        self.settings = settings
        self.api = settings.pinterest_api_base_url.rstrip("/")
        self.timeout = timeout
        # The analytics window ends "today" by this clock (tests set the sandbox's).
        self.clock: Clock = SystemClock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Pinterest:
        return cls(settings)

    # -- HTTP ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        token: str,
        read_only: bool,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response, body = base.platform_request(
            "Pinterest",
            self.timeout,
            method,
            self.api + path,
            read_only=read_only,
            json=json,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code < 400:
            return body
        raise api_error(response, body, read_only=read_only)

    # -- OAuth -----------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": self.settings.pinterest_scopes,
            "state": state,
        }
        return f"{self.settings.pinterest_authorize_url}?{urlencode(query)}"

    def _token_call(
        self, form: dict[str, str], now: datetime, *, refreshing: bool
    ) -> base.TokenSet:
        # Apps created before 25 Sep 2025 must ask for continuous refresh tokens; newer ones
        # always get them.
        form = {**form, "continuous_refresh": "true"}
        response, body = base.platform_request(
            "Pinterest",
            self.timeout,
            "POST",
            self.api + "/v5/oauth/token",
            read_only=True,  # a token call publishes nothing: always safe to repeat
            data=form,
            auth=(self.client_id, self.client_secret),
        )
        if response.status_code >= 400 or not body.get("access_token"):
            message = str(body.get("message") or f"HTTP {response.status_code}")
            kind: base.FailureKind = "retryable" if response.status_code >= 500 else "auth"
            if response.status_code == 401:
                message += " (check SLIDEFORGE_PINTEREST_CLIENT_ID and _CLIENT_SECRET)"
            action = "refresh" if refreshing else "token"
            raise base.PlatformError(
                kind,
                f"pinterest_{action}_refused",
                f"Pinterest refused the {action} request ({message})",
                http_status=response.status_code,
            )
        refresh_expires: datetime | None = None
        if isinstance(body.get("refresh_token_expires_at"), int | float):
            refresh_expires = datetime.fromtimestamp(float(body["refresh_token_expires_at"]), UTC)
        elif body.get("refresh_token_expires_in"):
            refresh_expires = now + timedelta(seconds=int(body["refresh_token_expires_in"]))
        return base.TokenSet(
            access_token=str(body["access_token"]),
            access_expires_at=now + timedelta(seconds=int(body.get("expires_in") or 2_592_000)),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            refresh_expires_at=refresh_expires if body.get("refresh_token") else None,
            scopes=",".join(str(body.get("scope") or "").replace(",", " ").split()),
        )

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None, now: datetime
    ) -> tuple[base.TokenSet, base.Identity]:
        tokens = self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            now,
            refreshing=False,
        )
        granted = tokens.scopes.split(",")
        base.require_scopes(granted, PUBLISH_SCOPES)
        user = self._call("GET", "/v5/user_account", token=tokens.access_token, read_only=True)
        user_id = str(user.get("id") or "")
        username = str(user.get("username") or user_id)
        if not user_id:
            raise base.PlatformError("retryable", "bad_response", "Pinterest returned no user id")
        boards = self._call(
            "GET",
            "/v5/boards",
            token=tokens.access_token,
            read_only=True,
            params={"page_size": "250"},
        ).get("items")
        public = [
            b
            for b in boards or []
            if isinstance(b, dict) and b.get("id") and b.get("privacy", "PUBLIC") == "PUBLIC"
        ]
        defaults = (
            {"default_board_id": str(public[0]["id"]), "default_board_name": public[0].get("name")}
            if public
            else {}
        )
        identity = base.Identity(
            platform_user_id=user_id,
            username=username,
            display_name=str(user.get("business_name") or username),
            settings={
                "account_type": user.get("account_type"),
                "avatar_url": user.get("profile_image"),
                "boards": [{"id": str(b["id"]), "name": b.get("name")} for b in public[:50]],
            },
            defaults=defaults,
        )
        return tokens, identity

    def refresh(self, refresh_token: str, *, now: datetime) -> base.TokenSet:
        """A new access token and a new continuous refresh token (store it: the old one is
        spent)."""
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, now, refreshing=True
        )

    # -- publishing ------------------------------------------------------------------------

    @staticmethod
    def _board(request: base.PublishRequest) -> str:
        board = request.settings.get("board_id") or request.account.get("default_board_id")
        if not board:
            raise base.PlatformError(
                "user",
                "no_board",
                f"@{request.username} has no default board: send pinterest.board_id, or set "
                "one with PATCH /accounts/{id} settings.pinterest_board_id",
            )
        return str(board)

    def stage(
        self, token: str, request: base.PublishRequest, progress: dict[str, Any]
    ) -> base.Staged:
        """The pin's fields checked; a video registered, uploaded and processed."""
        board = self._board(request)
        description = pin_description(request.caption, request.settings.get("tags"))
        if len(description) > DESCRIPTION_MAX:
            raise base.PlatformError(
                "user",
                "description_too_long",
                f"the pin description (caption and tags as hashtags) is {len(description)} "
                f"characters; Pinterest takes at most {DESCRIPTION_MAX}",
            )
        RULES.check_carousel(request)
        settings = {"board_id": board, "description": description}
        if request.kind != "video":
            return base.Staged(ready=True, settings=settings, progress=dict(progress))
        p = dict(progress)
        if not p.get("media_id"):
            media = self._call(
                "POST", "/v5/media", token=token, read_only=True, json={"media_type": "video"}
            )
            if not media.get("media_id") or not media.get("upload_url"):
                raise base.PlatformError(
                    "retryable", "bad_response", "Pinterest returned no upload URL"
                )
            p = {
                "media_id": str(media["media_id"]),
                "upload_url": str(media["upload_url"]),
                "upload_parameters": dict(media.get("upload_parameters") or {}),
                "uploaded": False,
            }
        if not p.get("uploaded"):
            self._upload(request, p)
            p["uploaded"] = True
        state = str(
            self._call("GET", f"/v5/media/{p['media_id']}", token=token, read_only=True).get(
                "status"
            )
            or ""
        )
        if state == "failed":
            raise base.PlatformError(
                "user",
                "video_failed",
                "Pinterest could not process the video (MP4/MOV/M4V, H.264/H.265, 4 s–15 min, "
                "aspect between 1:2 and 1.91:1)",
                progress={},
            )
        if state != "succeeded":
            return base.Staged(ready=False, settings=settings, progress=p, wait=MEDIA_POLL_SECONDS)
        return base.Staged(ready=True, settings={**settings, "media_id": p["media_id"]}, progress=p)

    def _upload(self, request: base.PublishRequest, p: dict[str, Any]) -> None:
        """POST the video to the upload URL (Pinterest's S3 bucket) with every upload
        parameter, before the file."""
        if request.read_video is None:
            raise base.PlatformError("user", "no_video", "the post has no stored video to upload")
        fields = {str(k): str(v) for k, v in dict(p["upload_parameters"]).items()}
        try:
            with base.platform_client(self.timeout) as client:
                response = client.post(
                    str(p["upload_url"]),
                    data=fields,
                    files={"file": ("video.mp4", request.read_video(), "video/mp4")},
                )
        except httpx.HTTPError as exc:
            raise base.PlatformError(
                "retryable",
                "upload_failed",
                f"the video upload to Pinterest failed: {exc}",
                progress=p,
            ) from exc
        if response.status_code in (200, 201, 204):
            return
        detail = re.search(r"<Message>(.*?)</Message>", response.text or "")
        reason = detail.group(1) if detail else f"HTTP {response.status_code}"
        if response.status_code == 403:
            # Expired or refused upload policy: register the media again next round.
            raise base.PlatformError(
                "retryable",
                "upload_refused",
                f"Pinterest's upload URL refused the video ({reason})",
                retry_after=0.0,
                progress={},
            )
        kind: base.FailureKind = "retryable" if response.status_code >= 500 else "user"
        raise base.PlatformError(
            kind,
            "upload_failed",
            f"Pinterest's upload URL refused the video ({reason})",
            progress=p,
        )

    def send(self, token: str, request: base.PublishRequest, staged: base.Staged) -> base.Sent:
        settings = staged.settings
        source: dict[str, Any]
        if request.kind == "video":
            source = {"source_type": "video_id", "media_id": str(settings["media_id"])}
            cover = request.settings.get("cover_url")
            if cover:
                source["cover_image_url"] = str(cover)
            else:
                millis = request.settings.get("video_cover_timestamp_ms") or 0
                source["cover_image_key_frame_time"] = round(float(millis) / 1000.0, 3)
        elif len(request.image_urls) == 1:
            source = {"source_type": "image_url", "url": request.image_urls[0]}
        else:
            source = {
                "source_type": "multiple_image_urls",
                "items": [{"url": url} for url in request.image_urls],
            }
        body: dict[str, Any] = {
            "board_id": settings["board_id"],
            "description": settings["description"],
            "media_source": source,
        }
        for key in ("title", "link", "alt_text"):
            if request.settings.get(key):
                body[key] = request.settings[key]
        pin = self._call("POST", "/v5/pins", token=token, read_only=False, json=body)
        pin_id = str(pin.get("id") or "")
        if not pin_id:
            raise base.PlatformError(
                "unknown", "bad_response", "Pinterest answered without a pin id: check the board"
            )
        return base.Sent(
            ref={"publish_id": pin_id, "pin_id": pin_id, "board_id": settings["board_id"]}
        )

    def continue_upload(
        self, token: str, request: base.PublishRequest, ref: dict[str, Any], read_chunk: Any
    ) -> None:
        return None  # videos are uploaded while staging, before the pin exists

    def status(self, token: str, request: base.PublishRequest, ref: dict[str, Any]) -> base.Status:
        """Pins are created synchronously: live once the create answered."""
        pin_id = str(ref.get("pin_id") or ref.get("publish_id") or "")
        return base.Status("posted", "CREATED", post_id=pin_id, url=pin_url(pin_id), final=True)

    # -- reconciliation ----------------------------------------------------------------------

    def reconcile(
        self, token: str, request: base.PublishRequest, ref: dict[str, Any], since: datetime
    ) -> base.Reading:
        """The board's pins since ``since`` (``GET /v5/boards/{id}/pins``, newest first,
        bookmark paging), compared on description, title and link."""
        pin_id = ref.get("pin_id")
        if pin_id:
            return base.Reading(
                "posted",
                f"Pinterest created pin {pin_id}",
                post_id=str(pin_id),
                url=pin_url(str(pin_id)),
                platform_status="CREATED",
            )
        settings = dict(ref.get("settings") or {})
        board = str(settings.get("board_id") or ref.get("board_id") or self._board(request))
        description = str(
            settings.get("description")
            or pin_description(request.caption, request.settings.get("tags"))
        )
        title, link = request.settings.get("title"), request.settings.get("link")

        def read_page(bookmark: str | None) -> base.Page:
            params = {"page_size": "100"}
            if bookmark:
                params["bookmark"] = bookmark
            body = self._call(
                "GET", f"/v5/boards/{board}/pins", token=token, read_only=True, params=params
            )
            items = body.get("items")
            bookmark = str(body.get("bookmark") or "") or None
            return base.Page(
                items if isinstance(items, list) else [], bookmark is not None, bookmark
            )

        def seen(pin: dict[str, Any]) -> base.Seen | None:
            if not pin.get("id"):
                return None
            try:
                created = datetime.fromisoformat(str(pin.get("created_at"))).replace(tzinfo=UTC)
            except ValueError:
                created = datetime.now(UTC)  # unreadable: treat as recent, so it counts
            matches = base.same_text(pin.get("description"), description)
            if title:
                matches = matches and base.same_text(pin.get("title"), str(title))
            if link:
                matches = matches and str(pin.get("link") or "") == str(link)
            return base.Seen(
                post_id=str(pin["id"]),
                url=pin_url(str(pin["id"])),
                created_at=created,
                matches=matches,
                summary=f"{pin['id']} at {created.isoformat()}: "
                f"{str(pin.get('description') or '')[:60]!r}",
            )

        try:
            # created_at has whole seconds: a pin of the send's first second counts.
            listed, complete = base.posts_since(
                read_page, seen, since.replace(microsecond=0), BOARD_PIN_PAGES
            )
        except base.PlatformError as exc:
            return base.Reading(
                "unknown",
                f"the pins of Pinterest board {board} could not be read: {exc.message}",
                final=exc.kind == "user",
            )
        return base.Reading(
            "listed",
            f"the pins of Pinterest board {board} since {since.isoformat()}: {len(listed)} pin(s)",
            listed=listed,
            complete=complete,
        )

    # -- reading (analytics; ``reads.py``) --------------------------------------------------

    def _reads(self) -> PinterestReads:
        return PinterestReads(self._call, self.clock, pin_url)


__all__ = ["Pinterest", "pin_url"]
