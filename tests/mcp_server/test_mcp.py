"""The MCP server driven by the ``mcp`` SDK's own client: over Streamable HTTP at ``/mcp`` of
the test server, and over stdio (``python -m slideforge.cli mcp --stdio``, a real process with
its own database). Its tools are calls of our HTTP API, so what they answer is the API's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from mcp import ClientSession, StdioServerParameters, stdio_client

from platform_sandbox.server import RunningServer
from slideforge.accounts import service as accounts
from slideforge.auth import service as auth
from slideforge.config import Settings
from slideforge.kit.clock import ManualClock
from slideforge.migrations import upgrade
from slideforge.runtime import build_runtime
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.mcp_server.support import TOOLS, call, data, over_http, refusal, run
from tests.posts.test_endpoints import body, later
from tests.sandboxes import TikTokEnv
from tests.slideshows.support import make_pack, manual

ROOT = Path(__file__).resolve().parents[2]


def test_tools_resources_and_prompt(server: RunningServer, api: ApiClient) -> None:
    async def work() -> None:
        async with over_http(server, api.key) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert set(tools) == TOOLS
            for tool in tools.values():
                assert tool.description and tool.input_schema["type"] == "object", tool.name
                assert tool.annotations is not None and tool.annotations.title, tool.name
            hints = {
                name: (
                    tool.annotations.read_only_hint,
                    tool.annotations.destructive_hint,
                    tool.annotations.idempotent_hint,
                    tool.annotations.open_world_hint,
                )
                for name, tool in tools.items()
                if tool.annotations is not None
            }
            assert hints["list_accounts"] == (True, False, True, False)
            assert hints["validate_post"] == (True, False, True, False)
            assert hints["schedule_post"] == (False, False, True, True)
            assert hints["delete_post"] == (False, True, True, False)
            assert hints["retry_post"] == (False, False, False, True)
            assert "external_id" in tools["schedule_post"].input_schema["required"]

            uris = {str(r.uri) for r in (await session.list_resources()).resources}
            assert {"slideforge://errors", "slideforge://platform-rules"} <= uris
            rules = await session.read_resource("slideforge://platform-rules")
            text = rules.contents[0]
            assert hasattr(text, "text")
            assert {"tiktok", "instagram", "pinterest"} <= set(json.loads(text.text))
            errors = await session.read_resource("slideforge://errors")
            assert "plan_token_invalid" in getattr(errors.contents[0], "text", "")

            prompts = (await session.list_prompts()).prompts
            assert [p.name for p in prompts] == ["slideshow_from_pack"]
            prompt = await session.get_prompt(
                "slideshow_from_pack", {"pack_id": "p1", "topic": "tea", "account_id": "a1"}
            )
            said = getattr(prompt.messages[0].content, "text", "")
            assert "generate_slideshow" in said and "schedule_post" in said

            explained = data(await call(session, "explain_error", code="plan_token_invalid"))
            assert explained["http_statuses"] == [422] and "confirm: false" in explained["fix"]
            unknown = refusal(await call(session, "explain_error", code="no_such_code"))
            assert unknown["error_code"] == "not_found"

    run(work)


def test_a_key_of_another_workspace_sees_nothing(
    server: RunningServer, make_api: Callable[..., ApiClient], tiktok: TikTokEnv, web: Web
) -> None:
    owner, other = make_api(), make_api()
    account = tiktok.connect(owner)
    post = ok(owner.post("/posts", json=body(web, [account], scheduled_at=later(90))), 201)

    async def work() -> None:
        async with over_http(server, other.key) as session:
            assert data(await call(session, "list_accounts"))["accounts"] == []
            assert data(await call(session, "list_posts"))["posts"] == []
            hidden = refusal(await call(session, "get_post", post_id=post["id"]))
            assert hidden["status"] == 404 and hidden["error_code"] == "not_found"
            skipped = data(await call(session, "delete_post", post_id=post["id"]))
            assert skipped["deletedIds"] == []
        async with over_http(server, owner.key) as session:
            assert data(await call(session, "get_post", post_id=post["id"]))["id"] == post["id"]

    run(work)


def test_bad_arguments_and_keys_get_our_error_codes(
    server: RunningServer, api: ApiClient, web: Web
) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    body_of_one = manual(pack_id, slide_config={"total_slides": 1, "slide_texts": {"0": "x"}})

    async def work() -> None:
        async with over_http(server, api.key) as session:
            typed = refusal(await call(session, "get_post", post_id=123))
            assert typed["status"] == 422 and typed["error_code"] == "invalid_payload"
            assert typed["data"]["errors"][0]["field"] == "post_id"
            unnamed = refusal(await call(session, "schedule_post", caption="hi"))
            assert unnamed["error_code"] == "invalid_payload"
            assert "external_id: is required" in unnamed["message"]
            many = refusal(await call(session, "generate_slideshow", **manual(slide_count=99)))
            assert many["status"] == 422 and many["error_code"] == "invalid_payload"
            assert "slide_count" in many["message"]
            ghost = refusal(
                await call(
                    session,
                    "generate_slideshow",
                    pack_id=str(uuid.uuid4()),
                    skip_ai=True,
                    slide_config={"total_slides": 1, "slide_texts": {"0": "x"}},
                )
            )
            assert ghost["status"] == 404 and ghost["error_code"] == "pack_not_found"
            unrendered = data(await call(session, "generate_slideshow", **body_of_one))
            refused = refusal(
                await call(
                    session,
                    "validate_post",
                    caption="hi",
                    accounts=[str(uuid.uuid4())],
                    slideshow_id=unrendered["id"],
                )
            )
            assert refused["error_code"] == "slideshow_not_rendered"

    run(work)
    # The endpoint itself: no key, a malformed one, an unknown one -> the 401 envelope.
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    for headers in ({}, {"Authorization": "Basic x"}, {"Authorization": "Bearer sfk_a.b"}):
        answer = httpx.post(f"{server.base_url}/mcp", json=request, headers=headers)
        assert answer.status_code == 401
        envelope = answer.json()
        assert envelope["ok"] is False and envelope["error_code"] == "unauthorized"
        assert envelope["message"]
    # Stateless: no GET stream to hang on, no session to DELETE.
    for method in ("GET", "DELETE"):
        answer = httpx.request(
            method, f"{server.base_url}/mcp", headers={"Authorization": f"Bearer {api.key}"}
        )
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"
        assert answer.json()["error_code"] == "method_not_allowed"


def test_stdio(tmp_path: Path) -> None:
    """A real ``slideforge mcp --stdio`` process with its own database (a second DBOS on the
    session's database would recover and sweep the other tests' work)."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/slideforge.sqlite",
        encryption_key=Fernet.generate_key().decode(),
    )
    upgrade(settings.resolved_database_url)
    local = build_runtime(settings)
    with local.db.session() as session:
        mine, other = (
            auth.create_workspace(session, "mine"),
            auth.create_workspace(session, "other"),
        )
        _, key = auth.create_key(session, mine)
        account = accounts.create_account(session, mine.id, platform="tiktok", username="me")
        accounts.create_account(session, other.id, platform="tiktok", username="them")
        account_id = str(account.id)
        session.commit()
    local.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDEFORGE_")}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        SLIDEFORGE_DATA_DIR=str(tmp_path),
        SLIDEFORGE_DATABASE_URL=settings.database_url or "",
        SLIDEFORGE_ENCRYPTION_KEY=settings.encryption_key or "",
        SLIDEFORGE_API_KEY=key,
    )
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "slideforge.cli", "mcp", "--stdio", "--no-workers"],
        env=env,
        cwd=str(ROOT),
    )

    async def work() -> None:
        async with (
            stdio_client(params) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert names == TOOLS
            listed = data(await call(session, "list_accounts", status="all"))["accounts"]
            assert [a["id"] for a in listed] == [account_id]
            wrong = refusal(await call(session, "get_post", post_id=str(uuid.uuid4())))
            assert wrong["error_code"] == "not_found" and wrong["status"] == 404

    run(work)

    # Without a live key the command refuses to start, saying why.
    env["SLIDEFORGE_API_KEY"] = "sfk_nope.nope"
    started = subprocess.run(
        [sys.executable, "-m", "slideforge.cli", "mcp", "--stdio"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert started.returncode == 1 and "Unknown API key" in started.stderr


def test_reading_tools_answer_what_the_api_answers(
    server: RunningServer, api: ApiClient, web: Web, clock: ManualClock
) -> None:
    """Each reading tool is its REST call: the same data for the same key (the clock stands
    still, so the analytics periods are the same too)."""
    pack_id, _ = make_pack(api, web, count=1)
    same = {
        "list_packs": "/packs",
        "list_templates": "/templates",
        "get_subscription": "/subscription",
        "list_accounts": "/accounts",
        "get_experiment_results": "/analytics/experiments",
    }

    async def work() -> None:
        async with over_http(server, api.key) as session:
            for tool, path in same.items():
                assert data(await call(session, tool)) == ok(api.get(path)), tool
            learned = data(await call(session, "get_analytics", range="14d"))
            assert learned["summary"] == ok(api.get("/analytics/summary", params={"range": "14d"}))
            assert learned["posts"] == ok(
                api.get("/analytics/summary/posts", params={"range": "14d", "limit": 20})
            )
            brief = data(await call(session, "trend_brief", keyword="skincare", range="7d"))
            rest = ok(api.get("/trends/brief", params={"keyword": "skincare", "range": "7d"}))
            assert rest["cached"] is True  # the tool's call computed and cached it
            assert {**brief, "cached": True} == rest
            # The API's bounds, not a second copy of them: limit 31 is its refusal.
            over = refusal(await call(session, "trend_brief", keyword="skincare", limit=31))
            assert over["status"] == 422 and over["error_code"] == "invalid_payload"
            bad_range = refusal(await call(session, "get_analytics", range="forever"))
            assert bad_range["status"] in (400, 422) and "range" in bad_range["message"]
            made = data(
                await call(
                    session,
                    "generate_slideshow",
                    **manual(pack_id, slide_config={"total_slides": 1, "slide_texts": {"0": "x"}}),
                )
            )
            renamed = data(
                await call(
                    session,
                    "update_slideshow",
                    slideshow_id=made["id"],
                    changes={"title": "Renamed"},
                )
            )
            assert renamed["title"] == "Renamed"
            assert ok(api.get(f"/slideshows/{made['id']}"))["title"] == "Renamed"

    run(work)
