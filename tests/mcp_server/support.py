"""The MCP client of the tests: the ``mcp`` SDK's own, over Streamable HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult, TextContent

from platform_sandbox.server import RunningServer

TOOLS = {
    "list_accounts",
    "list_packs",
    "list_templates",
    "get_subscription",
    "generate_slideshow",
    "update_slideshow",
    "render_slideshow",
    "slideshow_to_video",
    "copy_tiktok_slideshow",
    "validate_post",
    "schedule_post",
    "get_post",
    "list_posts",
    "retry_post",
    "delete_post",
    "get_analytics",
    "get_experiment_results",
    "trend_brief",
    "explain_error",
}


@asynccontextmanager
async def over_http(server: RunningServer, key: str) -> AsyncIterator[ClientSession]:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with (
        client,
        streamable_http_client(f"{server.base_url}/mcp", http_client=client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def run(work: Callable[[], Awaitable[None]]) -> None:
    anyio.run(work)


def data(result: Any) -> Any:
    """The JSON of a successful tool call."""
    assert isinstance(result, CallToolResult)
    first = result.content[0]
    assert isinstance(first, TextContent)
    assert not result.is_error, first.text
    return json.loads(first.text)


def refusal(result: Any) -> dict[str, Any]:
    """The error of a failed tool call: our error_code, the HTTP status and the message."""
    assert isinstance(result, CallToolResult)
    first = result.content[0]
    assert isinstance(first, TextContent)
    assert result.is_error, first.text
    error: dict[str, Any] = json.loads(first.text)
    return error


async def call(session: ClientSession, tool: str, **arguments: Any) -> CallToolResult:
    result = await session.call_tool(tool, arguments)
    assert isinstance(result, CallToolResult)
    return result
