"""The Instagram sandbox: its API areas put together behind one ``handle``, which answers a
Graph / OAuth request, turns errors into their envelopes and logs the call."""

from __future__ import annotations

from collections.abc import Mapping

from platform_sandbox.common import Reply
from platform_sandbox.instagram.auth import InstagramOAuth
from platform_sandbox.instagram.errors import GraphError, LegacyOAuthError, unsupported
from platform_sandbox.instagram.insights import InstagramInsights
from platform_sandbox.instagram.media import InstagramPublishing
from platform_sandbox.instagram.records import GraphCall, fbtrace_id, split_path


class InstagramSandbox(InstagramOAuth, InstagramInsights, InstagramPublishing):
    """In-memory Instagram Graph API: both login models (``InstagramOAuth``), reads
    (``InstagramReading``, ``InstagramInsights``), containers and publishing (``InstagramPublishing``), quotas,
    failure injection and an admin view of everything created (``InstagramState``).
    Thread-safe: state is guarded by one lock; media downloads run outside it."""

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str]
    ) -> Reply:
        """Answer one Graph / OAuth request (the ASGI app calls this in a worker thread)."""
        ctx = GraphCall(method=method.upper(), path=path, params=params, headers=headers)
        trace = fbtrace_id()
        code: int | None = None
        subcode: int | None = None
        try:
            reply = self._dispatch(ctx)
        except GraphError as error:
            code, subcode = error.code, error.subcode
            reply = Reply(error.http_status, error.body(trace), dict(error.headers))
        except LegacyOAuthError as error:
            code = 400
            reply = Reply(400, error.body())
        return self._answered(
            ctx,
            reply,
            ("x-fb-trace-id", trace),
            code=code,
            error_subcode=subcode,
            ig_user_id=ctx.ig_user_id,
            fbtrace_id=trace,
        )

    def _dispatch(self, ctx: GraphCall) -> Reply:
        parts = split_path(ctx.path)
        match (ctx.method, parts):
            case ("GET", ["oauth", "authorize"]):
                ctx.endpoint = "ig_authorize"
                return self._ig_authorize(ctx)
            case ("GET", ["dialog", "oauth"]):
                ctx.endpoint = "fb_authorize"
                return self._fb_authorize(ctx)
            case ("GET" | "POST", ["oauth", "access_token"]):
                return self._oauth_access_token(ctx)
            case ("GET", ["access_token"]):
                ctx.endpoint = "ig_exchange_token"
                return self._ig_exchange(ctx)
            case ("GET", ["refresh_access_token"]):
                ctx.endpoint = "ig_refresh_token"
                return self._ig_refresh(ctx)
            case ("GET", ["me"]):
                ctx.endpoint = "me"
                return self._me(ctx)
            case ("GET", ["me", "accounts"]):
                ctx.endpoint = "me_accounts"
                return self._me_accounts(ctx)
            case ("GET" | "DELETE", ["me", "permissions"]):
                ctx.endpoint = "me_permissions"
                return self._me_permissions(ctx)
            case ("POST", [node, "media"]):
                ctx.endpoint = "media"
                return self._create_container(ctx, node)
            case ("GET", [node, "media"]):
                ctx.endpoint = "media_list"
                return self._list_media(ctx, node)
            case ("POST", [node, "media_publish"]):
                ctx.endpoint = "media_publish"
                return self._publish(ctx, node)
            case ("GET", [node, "content_publishing_limit"]):
                ctx.endpoint = "publishing_limit"
                return self._publishing_limit(ctx, node)
            case ("GET", [node, "insights"]):
                ctx.endpoint = "insights"
                return self._insights(ctx, node)
            case ("GET", [node, "children"]):
                ctx.endpoint = "children"
                return self._children(ctx, node)
            case ("GET", [node]):
                ctx.endpoint = "node"
                return self._node(ctx, node)
        node = parts[0] if parts else ""
        raise unsupported(ctx.method, node)
