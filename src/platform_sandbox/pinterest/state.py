"""The Pinterest sandbox's state: what is configured (apps, users), what the API created
(tokens, codes, boards, media uploads, pins, rate-limit windows), the failure rules that
fire on it, and the views of boards and pins the API and the admin API answer."""

from __future__ import annotations

import secrets
from collections import deque
from typing import Any

from platform_sandbox.common import (
    AuthorizationCodes,
    PlatformSandbox,
    SandboxError,
    iso,
    take_rule,
)
from platform_sandbox.pinterest.config import (
    FailureRule,
    PinterestApp,
    PinterestOptions,
    PinterestUser,
)
from platform_sandbox.pinterest.errors import PinterestError
from platform_sandbox.pinterest.records import (
    AccessToken,
    Board,
    ImageInfo,
    MediaUpload,
    Pin,
    RefreshToken,
    pin_time,
)
from slideforge.kit.clock import Clock


class PinterestState(PlatformSandbox[PinterestOptions, PinterestApp, FailureRule]):
    """The records of the Pinterest sandbox with their Python API; the API areas (OAuth,
    boards, media, pins) build on it. Thread-safe: state is guarded by one lock; image
    downloads run outside it. Options, apps, failure rules, the clock and ``reset`` are
    ``PlatformSandbox``'s."""

    failure_rule_model = FailureRule
    app_model = PinterestApp
    app_id_base = 1_500_000
    app_secret_bytes = 20
    request_filters = ("endpoint", "user_id")

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        options: PinterestOptions | None = None,
        seed_defaults: bool = True,
    ) -> None:
        self._upload_secret = secrets.token_bytes(32)
        super().__init__(
            clock=clock, options=options or PinterestOptions(), seed_defaults=seed_defaults
        )

    # ------------------------------------------------------------------ setup
    def _load_config(self) -> None:
        """Options, apps and users as configured at start."""
        self._options = self._initial_options.model_copy(deep=True)
        self._apps = {}
        self._users: dict[str, PinterestUser] = {}
        self._config_seq = 0
        if self._seed_defaults:
            self._apps["1234567"] = PinterestApp(
                client_id="1234567", client_secret="sandbox-pinterest-secret"
            )
            user = PinterestUser(
                id="1022106146619700001", username="sandbox_pinner", business_name="Sandbox"
            )
            self._users[user.id] = user

    def _clear_state(self) -> None:
        """Forget tokens, codes, pins, media, boards (back to each user's initial boards),
        counters, rules and the request log."""
        self._seq = 0
        self._codes = AuthorizationCodes(self._now, lambda: self._options.code_ttl_seconds)
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._boards: dict[str, Board] = {}
        self._media: dict[str, MediaUpload] = {}
        self._pins: dict[str, Pin] = {}
        self._rules = []
        self._rule_seq = 0
        self._windows: dict[tuple[str, ...], deque[float]] = {}
        self._requests = deque(maxlen=20_000)
        now = self._now()
        for user in self._users.values():
            self._seed_boards(user, now)

    def _seed_boards(self, user: PinterestUser, now: float) -> None:
        for name in user.initial_boards:
            board = Board(
                id=self._next(1_022_106_077_902_800_000),
                user_id=user.id,
                name=name,
                description="",
                privacy="PUBLIC",
                created_at=now,
            )
            self._boards[board.id] = board

    # ------------------------------------------------------------------ configuration API

    def users(self) -> list[PinterestUser]:
        with self._lock:
            return self._copies(self._users)

    def _user(self, key: str) -> PinterestUser:
        for user in self._users.values():
            if key in (user.id, user.username):
                return user
        raise SandboxError(f"no user {key!r}", status=404, code="not_found")

    def get_user(self, key: str) -> PinterestUser:
        with self._lock:
            return self._user(key).model_copy(deep=True)

    def add_user(self, **fields: Any) -> PinterestUser:
        def fill(user: PinterestUser) -> None:
            if not user.id:
                user.id = self._next_config_id(1_022_106_146_619_700_100)
            if not user.username:
                user.username = f"pinner_{user.id[-4:]}"

        with self._lock:
            user = self._add_record(self._users, PinterestUser, fields, noun="user", fill=fill)
            self._seed_boards(self._users[user.id], self._now())
            return user

    def update_user(self, key: str, **changes: Any) -> PinterestUser:
        with self._lock:
            return self._update_record(self._users, self._user(key), changes)

    def add_board(
        self, user_id: str, name: str, *, privacy: str = "PUBLIC", description: str = ""
    ) -> dict[str, Any]:
        with self._lock:
            user = self._user(user_id)
            if privacy not in ("PUBLIC", "PROTECTED", "SECRET"):
                raise SandboxError("privacy must be PUBLIC, PROTECTED or SECRET")
            board = Board(
                id=self._next(1_022_106_077_902_800_000),
                user_id=user.id,
                name=name,
                description=description,
                privacy=privacy,
                created_at=self._now(),
            )
            self._boards[board.id] = board
            return self._board_view(board)

    def boards(self, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    **self._board_view(board),
                    "user_id": board.user_id,
                    "visible_only_to_creator": board.visible_only_to_creator,
                }
                for board in self._boards.values()
                if user_id is None or board.user_id == user_id
            ]

    # ------------------------------------------------------------------ failure injection

    def _take_rule(
        self, kind: str, endpoint: str, user_id: str | None, *, after_commit: bool = False
    ) -> FailureRule | None:
        def wanted(rule: FailureRule) -> bool:
            return (
                rule.kind == kind
                and rule.after_commit == after_commit
                and (kind != "http_error" or rule.endpoint in ("*", endpoint))
                and rule.user_id in (None, user_id)
            )

        return take_rule(self._rules, wanted)

    @staticmethod
    def _rule_error(rule: FailureRule) -> PinterestError:
        status = rule.http_status or 500
        headers = {"retry-after": "1"} if status == 429 else {}
        return PinterestError(status, rule.code or status, rule.message or "", headers)

    def _inject(self, endpoint: str, user_id: str | None) -> None:
        rule = self._take_rule("http_error", endpoint, user_id)
        if rule is not None:
            raise self._rule_error(rule)

    # ------------------------------------------------------------------ views
    def _board_view(self, board: Board) -> dict[str, Any]:
        user = self._users.get(board.user_id)
        pins = [pin for pin in self._pins.values() if pin.board_id == board.id]
        return {
            "id": board.id,
            "created_at": pin_time(board.created_at),
            "board_pins_modified_at": pin_time(
                max([board.created_at, *(pin.created_at for pin in pins)])
            ),
            "name": board.name,
            "description": board.description,
            "collaborator_count": 0,
            "pin_count": len(pins),
            "follower_count": 0,
            "media": {"image_cover_url": None, "pin_thumbnail_urls": []},
            "owner": {"username": user.username if user else None},
            "privacy": board.privacy,
        }

    def _visible_board(self, token: AccessToken, board: Board) -> bool:
        if board.user_id != token.user_id:
            return False
        return board.privacy == "PUBLIC" or "boards:read_secret" in token.scopes

    def _media_status(self, upload: MediaUpload, now: float) -> str:
        if upload.uploaded_at is None:
            return "registered"
        if now < upload.uploaded_at + self._options.media_processing_seconds:
            return "processing"
        return "failed" if upload.fail else "succeeded"

    def _image_set(self, pin: Pin, image: ImageInfo, index: int = 0) -> dict[str, Any]:
        sizes = {"150x150": (150, 150), "400x300": (400, 300)}
        out: dict[str, Any] = {
            name: {
                "width": w,
                "height": h,
                "url": f"https://i.pinimg.com/{name}/sandbox/{pin.id}-{index}.jpg",
            }
            for name, (w, h) in sizes.items()
        }
        for width in (600, 1200):
            height = round(image.height * width / image.width) if image.width else width
            out[f"{width}x"] = {
                "width": width,
                "height": height,
                "url": f"https://i.pinimg.com/{width}x/sandbox/{pin.id}-{index}.jpg",
            }
        return out

    def _pin_view(self, pin: Pin) -> dict[str, Any]:
        user = self._users.get(pin.user_id)
        media: dict[str, Any]
        if pin.media_id is not None:
            media = {
                "media_type": "video",
                "cover_image_url": pin.cover if pin.cover and "://" in pin.cover else None,
                "video_url": None,
                "duration": None,
                "height": None,
                "width": None,
            }
            creative_type = "VIDEO"
        elif pin.source_type.startswith("multiple"):
            media = {
                "media_type": "multiple_images",
                "items": [
                    {
                        "item_type": "image",
                        "title": meta.get("title"),
                        "description": meta.get("description"),
                        "link": meta.get("link"),
                        "images": self._image_set(pin, image, index),
                    }
                    for index, (image, meta) in enumerate(zip(pin.images, pin.items, strict=True))
                ],
            }
            creative_type = "CAROUSEL"
        else:
            media = {"media_type": "image", "images": self._image_set(pin, pin.images[0])}
            creative_type = "REGULAR"
        return {
            "id": pin.id,
            "created_at": pin_time(pin.created_at),
            "link": pin.link,
            "title": pin.title,
            "description": pin.description,
            "dominant_color": pin.dominant_color,
            "alt_text": pin.alt_text,
            "creative_type": creative_type,
            "board_id": pin.board_id,
            "board_section_id": None,
            "board_owner": {"username": user.username if user else None},
            "is_owner": True,
            "media": media,
            "parent_pin_id": pin.parent_pin_id,
            "is_standard": True,
            "has_been_promoted": False,
            "note": pin.note,
            "pin_metrics": None,
            "product_tags": [],
        }

    # ------------------------------------------------------------------ listings API
    def pins(
        self, *, user_id: str | None = None, board_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every pin created, oldest first: board, title, media, created time, trial flag."""
        with self._lock:
            return [
                self._pin_admin_view(pin)
                for pin in self._pins.values()
                if (user_id is None or pin.user_id == user_id)
                and (board_id is None or pin.board_id == board_id)
            ]

    def _pin_admin_view(self, pin: Pin) -> dict[str, Any]:
        return {
            "id": pin.id,
            "user_id": pin.user_id,
            "app_id": pin.app_id,
            "board_id": pin.board_id,
            "title": pin.title,
            "description": pin.description,
            "link": pin.link,
            "source_type": pin.source_type,
            "media_sources": [image.source for image in pin.images],
            "media_id": pin.media_id,
            "created_at": iso(pin.created_at),
            "visible_only_to_creator": pin.visible_only_to_creator,
        }

    def duplicate_pins(self) -> list[dict[str, Any]]:
        """Pins created more than once on the same board with the same title, description,
        link and media."""
        with self._lock:
            groups: dict[tuple[Any, ...], list[str]] = {}
            for pin in self._pins.values():
                key = (
                    pin.board_id,
                    pin.title,
                    pin.description,
                    pin.link,
                    tuple(image.source for image in pin.images),
                    pin.media_id,
                )
                groups.setdefault(key, []).append(pin.id)
            return [
                {"board_id": key[0], "title": key[1], "pin_ids": ids}
                for key, ids in groups.items()
                if len(ids) > 1
            ]

    def media(self, *, user_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            now = self._now()
            return [
                {
                    "media_id": upload.id,
                    "user_id": upload.user_id,
                    "status": self._media_status(upload, now),
                    "bytes": upload.bytes,
                    "format": upload.format,
                    "fail_reason": upload.fail_reason,
                    "created_at": iso(upload.created_at),
                    "uploaded_at": iso(upload.uploaded_at),
                }
                for upload in self._media.values()
                if user_id is None or upload.user_id == user_id
            ]

    def requests_log(
        self, *, endpoint: str | None = None, user_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self._logged_requests(endpoint=endpoint, user_id=user_id)

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "now": iso(self._now()),
                "manual_clock": self.manual_clock,
                "apps": len(self._apps),
                "users": len(self._users),
                "boards": len(self._boards),
                "pins": len(self._pins),
                "media": len(self._media),
                "access_tokens": len(self._access),
                "failure_rules": len(self._rules),
                "requests": len(self._requests),
            }
