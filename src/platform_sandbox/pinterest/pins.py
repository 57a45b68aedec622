"""Pins in the Pinterest sandbox: ``POST /v5/pins`` (fields, the media source by type,
images fetched outside the lock, trial mode) and ``GET /v5/pins/{id}``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from platform_sandbox.common import Reply
from platform_sandbox.pinterest.access import PinterestAccess
from platform_sandbox.pinterest.config import SOURCE_TYPES, TRIAL_PIN_MESSAGE
from platform_sandbox.pinterest.errors import PinterestError, invalid, not_permitted
from platform_sandbox.pinterest.images import base64_source, check_same_shape, load_image
from platform_sandbox.pinterest.records import (
    AccessToken,
    ApiCall,
    MediaPlan,
    Pin,
    optional_str,
    valid_link,
)


class PinterestPins(PinterestAccess):
    """The pin endpoints."""

    def _create_pin(self, ctx: ApiCall) -> Reply:
        with self._lock:
            token = self._enter(ctx, "pins_create")
            app = self._apps.get(token.app_id)
            trial = app is not None and app.access_tier == "trial"
            if trial and self._options.trial_blocks_pin_create:
                raise PinterestError(403, 29, TRIAL_PIN_MESSAGE)
            body = self._json_object(ctx)
            fields = self._pin_fields(body, token)
            source = body.get("media_source")
            if not isinstance(source, dict):
                raise invalid("Invalid request: 'media_source' is a required property")
            source_type = source.get("source_type")
            if source_type not in SOURCE_TYPES:
                raise invalid(
                    f"Invalid request: {source_type!r} is not one of {list(SOURCE_TYPES)} "
                    "(field: media_source.source_type)"
                )
            plan = self._plan_media(source_type, source, token)
            options = self._options.model_copy()
        images = [load_image(item, options) for item in plan.image_items]
        with self._lock:
            check_same_shape(images, plan.multiple, options)
            if plan.media_id is not None:
                self._check_video_media(plan.media_id, token)  # status may have changed
            if fields["board_id"] not in self._boards:
                raise PinterestError(404, 40, "Board not found.")
            pin = Pin(
                id=self._next(1_022_106_077_903_000_000),
                user_id=token.user_id,
                app_id=token.app_id,
                **fields,
                created_at=self._now(),
                source_type=str(source_type),
                images=[] if plan.media_id else images,
                media_id=plan.media_id,
                cover=plan.cover,
                items=plan.item_meta,
                visible_only_to_creator=trial,
            )
            if plan.media_id and images:
                pin.cover = images[0].source
            self._pins[pin.id] = pin
            rule = self._take_rule("http_error", "pins_create", token.user_id, after_commit=True)
            if rule is not None:
                raise self._rule_error(rule)
            return Reply(201, self._pin_view(pin))

    def _pin_fields(self, body: Mapping[str, Any], token: AccessToken) -> dict[str, Any]:
        """The Pin's fields the request sets (board, texts, link, colour, parent), checked."""
        board_id = body.get("board_id")
        if board_id is None:
            raise invalid("Invalid request: 'board_id' is a required property")
        if not isinstance(board_id, str) or not re.fullmatch(r"\d+", board_id):
            raise invalid(
                f"Invalid request: {board_id!r} does not match '^\\\\d+$' (field: board_id)"
            )
        board = self._boards.get(board_id)
        if board is None or board.user_id != token.user_id:
            raise PinterestError(404, 40, "Board not found.")
        if board.privacy != "PUBLIC" and "pins:write_secret" not in token.scopes:
            raise not_permitted()
        section = body.get("board_section_id")
        if section is not None:
            if not isinstance(section, str) or not re.fullmatch(r"\d+", section):
                raise invalid(
                    f"Invalid request: {section!r} does not match '^\\\\d+$' (field: board_section_id)"
                )
            raise PinterestError(404, 2031, "Sorry! We couldn't find this board section.")
        link = optional_str(body, "link", 2048)
        if link is not None and not valid_link(link):
            raise invalid(
                "Whoops! It looks like you entered an invalid URL. Try creating a Pin again "
                "with a valid URL."
            )
        color = optional_str(body, "dominant_color", None)
        if color is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            raise invalid(
                f"Invalid request: '{color}' does not match '^#[0-9a-fA-F]{{6}}$' "
                "(field: dominant_color)"
            )
        parent = optional_str(body, "parent_pin_id", None)
        if parent is not None and not re.fullmatch(r"\d+", parent):
            raise invalid(
                f"Invalid request: '{parent}' does not match '^\\\\d+$' (field: parent_pin_id)"
            )
        return {
            "board_id": board_id,
            "title": optional_str(body, "title", 100),
            "description": optional_str(body, "description", 800),
            "link": link,
            "alt_text": optional_str(body, "alt_text", 500),
            "dominant_color": color,
            "parent_pin_id": parent,
            "note": optional_str(body, "note", 500),
        }

    def _plan_media(
        self, source_type: str, source: Mapping[str, Any], token: AccessToken
    ) -> MediaPlan:
        where = "media_source."
        if source_type == "image_url":
            url = source.get("url")
            if not isinstance(url, str) or not url:
                raise invalid("Invalid request: 'url' is a required property (field: media_source)")
            return MediaPlan(image_items=[("url", url)])
        if source_type == "image_base64":
            return MediaPlan(image_items=[("base64", base64_source(source, where))])
        if source_type in ("multiple_image_urls", "multiple_image_base64"):
            items = source.get("items")
            if not isinstance(items, list):
                raise invalid(
                    f"Invalid request: 'items' is a required property (field: {where}items)"
                )
            if len(items) < 2:
                raise invalid(
                    f"Invalid request: {where}items has too few items (constraint: minItems=2)"
                )
            if len(items) > 5:
                raise invalid(
                    f"Invalid request: {where}items has too many items (constraint: maxItems=5)"
                )
            index = source.get("index")
            if index is not None and (
                isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(items)
            ):
                raise invalid(f"Invalid request: {where}index is out of range")
            plan = MediaPlan(image_items=[], multiple=True)
            for number, item in enumerate(items):
                item_where = f"{where}items[{number}]."
                if not isinstance(item, dict):
                    raise invalid(f"Invalid request: {item_where[:-1]} must be an object")
                meta = {
                    "title": optional_str(item, "title", 100, item_where),
                    "description": optional_str(item, "description", 800, item_where),
                    "link": optional_str(item, "link", 2048, item_where),
                }
                if meta["link"] is not None and not valid_link(meta["link"]):
                    raise invalid(
                        "Whoops! It looks like you entered an invalid URL. Try creating a Pin "
                        "again with a valid URL."
                    )
                plan.item_meta.append(meta)
                if source_type == "multiple_image_urls":
                    url = item.get("url")
                    if not isinstance(url, str) or not url:
                        raise invalid(
                            f"Invalid request: 'url' is a required property (field: {item_where[:-1]})"
                        )
                    plan.image_items.append(("url", url))
                else:
                    plan.image_items.append(("base64", base64_source(item, item_where)))
            return plan
        if source_type == "video_id":
            media_id = source.get("media_id")
            if not isinstance(media_id, str) or not re.fullmatch(r"\d+", media_id):
                raise invalid(
                    f"Invalid request: {media_id!r} does not match '^\\\\d+$' (field: {where}media_id)"
                )
            plan = MediaPlan(image_items=[], media_id=media_id)
            cover_url = source.get("cover_image_url")
            cover_type = source.get("cover_image_content_type")
            key_frame = source.get("cover_image_key_frame_time")
            if cover_url is not None:
                if not isinstance(cover_url, str):
                    raise invalid(f"Invalid request: {where}cover_image_url must be a string")
                plan.image_items.append(("url", cover_url))
            elif cover_type is not None:
                plan.image_items.append(
                    (
                        "base64",
                        base64_source(
                            {"content_type": cover_type, "data": source.get("cover_image_data")},
                            where + "cover_image_",
                        ),
                    )
                )
            elif key_frame is not None:
                if (
                    isinstance(key_frame, bool)
                    or not isinstance(key_frame, int | float)
                    or key_frame < 0
                ):
                    raise invalid(
                        f"Invalid request: {where}cover_image_key_frame_time must be a number >= 0"
                    )
                plan.cover = f"key_frame:{key_frame}"
            else:
                raise invalid(
                    "Invalid request: a video Pin needs cover_image_url or "
                    "cover_image_content_type and cover_image_data, or cover_image_key_frame_time "
                    "(field: media_source)"
                )
            self._check_video_media(media_id, token)
            return plan
        raise invalid("source_type 'pin_url' is only available to apps in the beta.")

    def _check_video_media(self, media_id: str, token: AccessToken) -> None:
        upload = self._media.get(media_id)
        if upload is None or upload.user_id != token.user_id:
            raise invalid(f"Invalid request: media {media_id} was not found for this user.")
        status = self._media_status(upload, self._now())
        if status != "succeeded":
            raise invalid(
                f"Invalid request: media {media_id} is not ready for a Pin (status: {status})."
            )

    def _get_pin(self, token: AccessToken, pin_id: str) -> Reply:
        pin = self._pins.get(pin_id)
        if pin is None or pin.user_id != token.user_id:
            raise PinterestError(404, 50, "Pin not found.")
        board = self._boards.get(pin.board_id)
        if board is not None and not self._visible_board(token, board):
            raise PinterestError(403, 29, "You are not permitted to access that resource.")
        return Reply(200, self._pin_view(pin))
