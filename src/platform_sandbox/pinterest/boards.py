"""The Pinterest sandbox's user account and boards: ``GET /v5/user_account``, listing
boards and a board's pins with ``page_size`` and opaque ``bookmark`` paging, reading and
creating boards."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import TypeVar

from platform_sandbox.common import Reply
from platform_sandbox.pinterest.access import PinterestAccess
from platform_sandbox.pinterest.errors import PinterestError, invalid, not_permitted
from platform_sandbox.pinterest.records import AccessToken, ApiCall, Board, optional_str, too_long

T = TypeVar("T")


class PinterestBoards(PinterestAccess):
    """The user account and board endpoints."""

    def _user_account(self, ctx: ApiCall, token: AccessToken) -> Reply:
        user = self._users[token.user_id]
        boards = [board for board in self._boards.values() if board.user_id == user.id]
        pins = [pin for pin in self._pins.values() if pin.user_id == user.id]
        return Reply(
            200,
            {
                "account_type": user.account_type,
                "id": user.id,
                "profile_image": user.profile_image,
                "website_url": user.website_url,
                "username": user.username,
                "about": user.about,
                "business_name": user.business_name or None,
                "board_count": len(boards),
                "pin_count": len(pins),
                "follower_count": user.follower_count,
                "following_count": user.following_count,
                "monthly_views": user.monthly_views,
            },
        )

    @staticmethod
    def _page_size(q: Mapping[str, str]) -> int:
        raw_size = q.get("page_size", "25")
        if not raw_size.isdigit():
            raise invalid(f"Parameter 'page_size' was not numeric (was {raw_size})")
        page_size = int(raw_size)
        if not 1 <= page_size <= 250:
            raise invalid(
                f"Invalid parameter: page_size {page_size} is out of range (minimum 1, maximum 250)"
            )
        return page_size

    @staticmethod
    def _bookmark_offset(q: Mapping[str, str], prefix: str) -> int:
        bookmark = q.get("bookmark")
        if not bookmark:
            return 0
        try:
            decoded = base64.urlsafe_b64decode(bookmark.encode()).decode()
            found, _, number = decoded.partition(":")
            if found != prefix or not number.isdigit():
                raise ValueError(decoded)
            return int(number)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise invalid("Invalid parameter: bookmark is not valid") from exc

    @staticmethod
    def _page(
        items: Sequence[T], page_size: int, offset: int, prefix: str
    ) -> tuple[Sequence[T], str | None]:
        """``page_size`` items from ``offset``, and the bookmark of the next page (None on
        the last)."""
        following = offset + page_size
        bookmark = (
            base64.urlsafe_b64encode(f"{prefix}:{following}".encode()).decode()
            if following < len(items)
            else None
        )
        return items[offset:following], bookmark

    def _board_pins(self, ctx: ApiCall, token: AccessToken, board_id: str) -> Reply:
        """``GET /v5/boards/{board_id}/pins``: the board's pins newest first, ``page_size``
        1–250 (default 25), opaque ``bookmark`` paging; a pin shows
        ``board_pins_delay_seconds`` after its creation."""
        board = self._boards.get(board_id)
        if board is None or not self._visible_board(token, board):
            raise PinterestError(404, 40, "Board not found.")
        page_size = self._page_size(ctx.query)
        offset = self._bookmark_offset(ctx.query, f"pins-{board_id}")
        visible_at = self._now() - self._options.board_pins_delay_seconds
        pins = sorted(
            (
                pin
                for pin in self._pins.values()
                if pin.board_id == board_id and pin.created_at <= visible_at
            ),
            key=lambda pin: pin.created_at,
            reverse=True,
        )
        page, next_bookmark = self._page(pins, page_size, offset, f"pins-{board_id}")
        return Reply(
            200, {"items": [self._pin_view(pin) for pin in page], "bookmark": next_bookmark}
        )

    def _list_boards(self, ctx: ApiCall, token: AccessToken) -> Reply:
        q = ctx.query
        page_size = self._page_size(q)
        privacy = q.get("privacy")
        if privacy is not None and privacy not in ("PUBLIC", "PROTECTED", "SECRET"):
            raise invalid(
                f"Invalid parameter: privacy '{privacy}' is not one of PUBLIC, PROTECTED, SECRET"
            )
        boards = [
            board
            for board in self._boards.values()
            if self._visible_board(token, board) and (privacy is None or board.privacy == privacy)
        ]
        offset = self._bookmark_offset(q, "boards")
        page, next_bookmark = self._page(boards, page_size, offset, "boards")
        return Reply(
            200, {"items": [self._board_view(board) for board in page], "bookmark": next_bookmark}
        )

    def _get_board(self, token: AccessToken, board_id: str) -> Reply:
        board = self._boards.get(board_id)
        if board is None or not self._visible_board(token, board):
            raise PinterestError(404, 40, "Board not found.")
        return Reply(200, self._board_view(board))

    def _create_board(self, ctx: ApiCall, token: AccessToken) -> Reply:
        body = self._json_object(ctx)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("Invalid request: 'name' is a required property")
        if len(name) > 180:
            raise too_long("name", name, 180)
        description = optional_str(body, "description", 500) or ""
        privacy = body.get("privacy", "PUBLIC")
        if privacy not in ("PUBLIC", "PROTECTED", "SECRET"):
            raise invalid(
                f"Invalid request: '{privacy}' is not one of ['PUBLIC', 'PROTECTED', 'SECRET'] "
                "(field: privacy)"
            )
        if privacy != "PUBLIC" and "boards:write_secret" not in token.scopes:
            raise not_permitted()
        for board in self._boards.values():
            if board.user_id == token.user_id and board.name.lower() == name.strip().lower():
                raise PinterestError(
                    400, 58, "Try a different name. You already have a board with this name."
                )
        app = self._apps.get(token.app_id)
        board = Board(
            id=self._next(1_022_106_077_902_800_000),
            user_id=token.user_id,
            name=name.strip(),
            description=description,
            privacy=privacy,
            created_at=self._now(),
            app_id=token.app_id,
            visible_only_to_creator=app is not None and app.access_tier == "trial",
        )
        self._boards[board.id] = board
        rule = self._take_rule("http_error", "boards_create", token.user_id, after_commit=True)
        if rule is not None:
            raise self._rule_error(rule)
        return Reply(201, self._board_view(board))
