"""Test fixtures: one slideforge runtime (database, DBOS, HTTP server on loopback) per test
process, shared by the tests and isolated by workspace. The database is SQLite, or
PostgreSQL when SLIDEFORGE_TEST_BACKEND=postgres (the second pass of `make test` in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from platform_sandbox.server import RunningServer, free_port, serve_in_thread
from slideforge import workers
from slideforge.app import create_app
from slideforge.auth import service as auth
from slideforge.config import Settings
from slideforge.kit.clock import ManualClock
from slideforge.migrations import upgrade
from slideforge.runtime import Runtime, build_runtime
from tests.helpers import ApiClient
from tests.sandboxes import InstagramEnv, OffsetClock, PinterestEnv, TikTokEnv

BACKEND = os.environ.get("SLIDEFORGE_TEST_BACKEND", "sqlite")
# Using any of these fixtures makes a test a database test (run on both databases in CI).
DB_FIXTURES = {
    "runtime",
    "server",
    "api",
    "make_api",
    "clock",
    "database_url",
    "tiktok",
    "instagram",
    "pinterest",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    if BACKEND == "postgres":
        import psycopg

        base = os.environ.get("SLIDEFORGE_TEST_POSTGRES_URL")
        if not base:
            pytest.fail("SLIDEFORGE_TEST_BACKEND=postgres needs SLIDEFORGE_TEST_POSTGRES_URL")
        url = sa.engine.make_url(base)
        name = f"slideforge_test_{worker_id}_{os.getpid()}"
        admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path_factory.mktemp("db") / "slideforge.sqlite"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def server_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def settings(
    database_url: str, server_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_base_url=f"http://127.0.0.1:{server_port}",
        ssrf_allow=["127.0.0.1"],
        encryption_key=Fernet.generate_key().decode(),
        rate_limit_per_minute=1_000_000,
        rate_limit_burst=1_000_000,
        http_timeout_seconds=10,
        publish_retry_delays=[0.5, 1.0, 1.0],
    )


@pytest.fixture(scope="session")
def runtime(settings: Settings) -> Iterator[Runtime]:
    upgrade(settings.resolved_database_url)
    rt = build_runtime(settings)
    workers.start(rt, listen=True)
    yield rt
    workers.stop()
    rt.db.dispose()


@pytest.fixture(scope="session")
def server(runtime: Runtime, server_port: int) -> Iterator[RunningServer]:
    running = serve_in_thread(create_app(runtime), port=server_port)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def tiktok(runtime: Runtime, server: RunningServer) -> Iterator[TikTokEnv]:
    """The TikTok API sandbox, with the server's TikTok settings pointing at it."""
    from platform_sandbox.tiktok_api import SandboxApp, SandboxOptions, TikTokSandbox
    from platform_sandbox.tiktok_api import create_app as tiktok_app

    sandbox = TikTokSandbox(
        app=SandboxApp(
            client_key="sf-test-client",
            client_secret="sf-test-secret",
            redirect_uris=[f"{server.base_url}/oauth/tiktok/callback"],
            verified_url_prefixes=[f"{server.base_url}/media/"],
            allow_loopback_url_prefixes=True,
        ),
        options=SandboxOptions(
            download_seconds=0.3, processing_seconds=0.3, moderation_seconds=0.5
        ),
    )
    running = serve_in_thread(tiktok_app(sandbox))
    settings = runtime.settings
    settings.tiktok_client_key = "sf-test-client"
    settings.tiktok_client_secret = "sf-test-secret"
    settings.tiktok_api_base_url = running.base_url
    settings.tiktok_authorize_url = running.base_url + "/v2/auth/authorize/"
    yield TikTokEnv(sandbox, running, runtime)
    running.stop()
    sandbox.close()


@pytest.fixture(scope="session")
def instagram(runtime: Runtime, server: RunningServer) -> Iterator[InstagramEnv]:
    """The Instagram Graph API sandbox (both login models), with the server's Instagram
    settings pointing at it; its clock can jump ahead (token ages)."""
    from platform_sandbox.instagram import InstagramOptions, InstagramSandbox
    from platform_sandbox.instagram import create_app as instagram_app

    sandbox_clock = OffsetClock()
    sandbox = InstagramSandbox(
        clock=sandbox_clock,
        options=InstagramOptions(
            image_processing_seconds=0.2,
            video_processing_seconds=0.5,
            carousel_processing_seconds=0.2,
            fetch_timeout_seconds=5,
        ),
    )
    app = sandbox.apps()[0]
    sandbox.update_app(app.client_id, redirect_uris=[f"{server.base_url}/oauth/instagram/callback"])
    running = serve_in_thread(instagram_app(sandbox))
    settings = runtime.settings
    settings.instagram_client_id = app.client_id
    settings.instagram_client_secret = app.client_secret
    settings.instagram_authorize_url = f"{running.base_url}/oauth/authorize"
    settings.instagram_token_url = f"{running.base_url}/oauth/access_token"
    settings.instagram_graph_url = running.base_url
    settings.facebook_authorize_url = f"{running.base_url}/v23.0/dialog/oauth"
    settings.facebook_graph_url = running.base_url
    yield InstagramEnv(sandbox, running, runtime, sandbox_clock)
    running.stop()


@pytest.fixture(scope="session")
def pinterest(runtime: Runtime, server: RunningServer) -> Iterator[PinterestEnv]:
    """The Pinterest API v5 sandbox (carousels must share dimensions), with the server's
    Pinterest settings pointing at it; its clock can jump ahead (token expiries)."""
    from platform_sandbox.pinterest import PinterestOptions, PinterestSandbox
    from platform_sandbox.pinterest import create_app as pinterest_app

    sandbox_clock = OffsetClock()
    sandbox = PinterestSandbox(
        clock=sandbox_clock,
        options=PinterestOptions(
            media_processing_seconds=0.3,
            multiple_images_check="same_dimensions",
            fetch_timeout_seconds=5,
        ),
    )
    app = sandbox.apps()[0]
    sandbox.update_app(app.client_id, redirect_uris=[f"{server.base_url}/oauth/pinterest/callback"])
    running = serve_in_thread(pinterest_app(sandbox))
    settings = runtime.settings
    settings.pinterest_client_id = app.client_id
    settings.pinterest_client_secret = app.client_secret
    settings.pinterest_authorize_url = f"{running.base_url}/oauth/"
    settings.pinterest_api_base_url = running.base_url
    yield PinterestEnv(sandbox, running, runtime, sandbox_clock)
    running.stop()


@pytest.fixture
def clock(runtime: Runtime) -> Iterator[ManualClock]:
    """Freeze the runtime's clock for this test (time rules read runtime.clock)."""
    original = runtime.clock
    manual = ManualClock(datetime.now(UTC))
    runtime.clock = manual
    yield manual
    runtime.clock = original


@pytest.fixture
def make_api(runtime: Runtime, server: RunningServer) -> Iterator[Callable[..., ApiClient]]:
    """Factory: a fresh workspace (or one by name) and a key for it."""
    clients: list[ApiClient] = []

    def factory(workspace: str | None = None, *, personal: str | None = None) -> ApiClient:
        with runtime.db.session() as session:
            name = workspace or f"ws-{uuid.uuid4().hex[:12]}"
            try:
                ws = auth.get_workspace(session, name)
            except ValueError:
                ws = auth.create_workspace(session, name)
            member = auth.get_or_create_member(session, ws, personal) if personal else None
            _, plaintext = auth.create_key(session, ws, member=member)
            client = ApiClient(
                server.base_url,
                plaintext,
                ws.id,
                ws.name,
                member.id if member else None,
            )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def api(make_api: Callable[..., ApiClient]) -> ApiClient:
    """A client with a workspace key of a fresh workspace."""
    return make_api()


@dataclass
class Web:
    """A loopback web server the tests control: files, redirects, slow and broken answers."""

    server: RunningServer
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def add(self, path: str, data: bytes, content_type: str = "image/jpeg") -> str:
        self.files[path.lstrip("/")] = (data, content_type)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.server.base_url}/{path.lstrip('/')}"

    def redirect_to(self, target: str) -> str:
        from urllib.parse import quote

        return f"{self.server.base_url}/__redirect?to={quote(target, safe='')}"


@pytest.fixture(scope="session")
def web() -> Iterator[Web]:
    holder: dict[str, Web] = {}

    async def handle(request: Request) -> Response:
        path = request.path_params["path"]
        if path == "__redirect":
            return RedirectResponse(request.query_params["to"], status_code=302)
        if path.startswith("__status/"):
            return Response(b"no", status_code=int(path.split("/", 1)[1]))
        if path.startswith("__slow/"):
            seconds = float(path.split("/", 1)[1])

            async def trickle() -> Any:
                import asyncio

                waited = 0.0
                while waited < seconds:
                    yield b"x" * 100
                    await asyncio.sleep(0.2)
                    waited += 0.2

            return StreamingResponse(trickle(), media_type="application/octet-stream")
        if path.startswith("__big/"):
            size = int(path.split("/", 1)[1])
            return Response(b"\xff" * size, media_type="application/octet-stream")
        found = holder["web"].files.get(path)
        if found is None:
            return Response(b"not found", status_code=404)
        data, content_type = found
        return Response(data, media_type=content_type)

    app: Any = Starlette(routes=[Route("/{path:path}", handle)])
    running = serve_in_thread(app)
    holder["web"] = Web(running)
    yield holder["web"]
    running.stop()
