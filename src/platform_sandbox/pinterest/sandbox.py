"""The Pinterest sandbox: its API areas put together behind one ``handle``, which answers a
request, turns errors into their bodies (JSON, or S3 XML for the bucket) and logs the call."""

from __future__ import annotations

from collections.abc import Mapping

from platform_sandbox.common import Reply
from platform_sandbox.pinterest.analytics import PinterestAnalytics
from platform_sandbox.pinterest.auth import PinterestOAuth
from platform_sandbox.pinterest.errors import PinterestError, S3Error
from platform_sandbox.pinterest.media import PinterestMedia
from platform_sandbox.pinterest.pins import PinterestPins
from platform_sandbox.pinterest.records import ApiCall, new_request_id


class PinterestSandbox(PinterestOAuth, PinterestAnalytics, PinterestMedia, PinterestPins):
    """In-memory Pinterest API v5: OAuth with continuous refresh tokens
    (``PinterestOAuth``), user account and boards (``PinterestBoards``), pin analytics and
    the pin list (``PinterestAnalytics``), media uploads
    through a stand-in S3 bucket (``PinterestMedia``), pins (``PinterestPins``), rate limits
    and trial mode (``PinterestAccess``), failure injection and an admin view of every pin
    (``PinterestState``). Thread-safe: state is guarded by one lock; image downloads run
    outside it."""

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: Mapping[str, str],
        base_url: str,
    ) -> Reply:
        """Answer one request (the ASGI app calls this in a worker thread)."""
        ctx = ApiCall(
            method=method.upper(),
            path=path,
            query=query,
            body=body,
            headers=headers,
            base_url=base_url.rstrip("/"),
        )
        request_id = new_request_id()
        code: int | str | None = None
        try:
            reply = self._dispatch(ctx)
        except PinterestError as error:
            code = error.code
            reply = Reply(error.http_status, error.body(), dict(error.headers))
        except S3Error as error:
            code = error.code
            reply = Reply(error.http_status, xml=error.xml(request_id))
        return self._answered(
            ctx, reply, ("x-pinterest-rid", request_id), code=code, user_id=ctx.user_id
        )

    def _dispatch(self, ctx: ApiCall) -> Reply:
        parts = [part for part in ctx.path.split("/") if part]
        match (ctx.method, parts):
            case ("GET", ["oauth"]):
                ctx.endpoint = "authorize"
                return self._authorize(ctx)
            case ("POST", ["v5", "oauth", "token"]):
                ctx.endpoint = "oauth_token"
                return self._token(ctx)
            case ("POST", ["pinterest-media-upload"]):
                ctx.endpoint = "upload"
                return self._upload(ctx)
            case ("GET", ["v5", "user_account"]):
                return self._bearer(ctx, "user_account", self._user_account)
            case ("GET", ["v5", "boards"]):
                return self._bearer(ctx, "boards_list", self._list_boards)
            case ("POST", ["v5", "boards"]):
                return self._bearer(ctx, "boards_create", self._create_board)
            case ("GET", ["v5", "boards", board_id]):
                return self._bearer(ctx, "boards_get", lambda c, t: self._get_board(t, board_id))
            case ("GET", ["v5", "boards", board_id, "pins"]):
                return self._bearer(
                    ctx, "boards_pins", lambda c, t: self._board_pins(c, t, board_id)
                )
            case ("POST", ["v5", "media"]):
                return self._bearer(ctx, "media_create", self._create_media)
            case ("GET", ["v5", "media", media_id]):
                return self._bearer(ctx, "media_get", lambda c, t: self._get_media(t, media_id))
            case ("POST", ["v5", "pins"]):
                return self._create_pin(ctx)
            case ("GET", ["v5", "pins"]):
                return self._bearer(ctx, "pins_list", self._list_pins)
            case ("GET", ["v5", "pins", pin_id, "analytics"]):
                return self._bearer(
                    ctx, "pins_analytics", lambda c, t: self._pin_analytics(c, t, pin_id)
                )
            case ("GET", ["v5", "pins", pin_id]):
                return self._bearer(ctx, "pins_get", lambda c, t: self._get_pin(t, pin_id))
        raise PinterestError(404, 404, f"Resource not found: {ctx.method} {ctx.path}")
