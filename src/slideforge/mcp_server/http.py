"""``/mcp``: the MCP server over Streamable HTTP, stateless with JSON answers (any API process
answers any request, as for the REST API). The key is checked first (401 envelope without a
live one); each tool call then forwards the request's ``Authorization`` header."""

from __future__ import annotations

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from slideforge.auth.service import authenticate
from slideforge.kit.envelope import error_response
from slideforge.kit.errors import ApiError
from slideforge.runtime import Runtime


class McpEndpoint:
    """The ASGI app mounted at ``/mcp``."""

    def __init__(self, server: MCPServer, runtime: Runtime) -> None:
        self.server = server
        self.runtime = runtime

    def _check_key(self, authorization: str | None) -> ApiError | None:
        with self.runtime.db.session() as session:
            try:
                authenticate(session, authorization, self.runtime.clock.now())
            except ApiError as error:
                session.rollback()
                return error
            session.commit()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            # Stateless: no session to end (DELETE), no stream to hold open (GET).
            refusal = error_response(
                "method_not_allowed",
                "The MCP endpoint takes POST (Streamable HTTP, stateless: no GET stream, no "
                "session to DELETE).",
                405,
                headers={"Allow": "POST"},
            )
            await refusal(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refused = await anyio.to_thread.run_sync(self._check_key, headers.get("authorization"))
        if refused is not None:
            answer = error_response(
                refused.error_code, refused.message, refused.status, headers=refused.headers
            )
            await answer(scope, receive, send)
            return
        # Stateless: a session manager per request (no session outlives its request, and
        # nothing has to be started with the app's lifespan).
        manager = StreamableHTTPSessionManager(
            app=self.server._lowlevel_server,
            json_response=True,
            stateless=True,
        )
        async with manager.run():
            await manager.handle_request(scope, receive, send)
