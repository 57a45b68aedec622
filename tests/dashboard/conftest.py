"""Dashboard fixtures: an HTTP client signed in through the sign-in form, and a headless
Chromium (Debian's, installed by scripts/bootstrap.sh) driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from platform_sandbox.server import RunningServer
from tests.helpers import ApiClient

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Dashboard:
    """A browser-like HTTP client of one signed-in workspace key."""

    def __init__(self, base_url: str, api: ApiClient) -> None:
        self.api = api
        self.http = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.csrf = ""

    def sign_in(self, key: str | None = None) -> httpx.Response:
        form = self.http.get("/app/sign-in")
        token = FORM_TOKEN.search(form.text)
        assert token, form.text[:500]
        answer = self.http.post(
            "/app/sign-in",
            data={"api_key": key or self.api.key, "form_token": token.group(1), "next": ""},
        )
        if answer.status_code == 303:
            page = self.http.get(answer.headers["location"])
            meta = CSRF_META.search(page.text)
            self.csrf = meta.group(1) if meta else ""
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        """The Partner API with the session cookie and the page's CSRF token (as app.js)."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.request(
            method, "/api/partner/v1" + path, json=json, headers=headers, **kwargs
        )

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def make_dashboard(server: RunningServer) -> Iterator[Callable[[ApiClient], Dashboard]]:
    made: list[Dashboard] = []

    def factory(api: ApiClient) -> Dashboard:
        dashboard = Dashboard(server.base_url, api)
        assert dashboard.sign_in().status_code == 303
        made.append(dashboard)
        return dashboard

    yield factory
    for dashboard in made:
        dashboard.close()


@pytest.fixture
def dashboard(api: ApiClient, make_dashboard: Callable[[ApiClient], Dashboard]) -> Dashboard:
    return make_dashboard(api)


def chromium_path() -> str:
    path = os.environ.get("SLIDEFORGE_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is missing: scripts/bootstrap.sh installs Debian's `chromium` "
            "(or set SLIDEFORGE_CHROMIUM to a Chromium binary)."
        )
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module. Playwright's sync API runs an event loop in this thread
    while it lives, and DBOS's sync calls refuse to run under a running loop: so the browser
    must be gone before the worker goes on to another module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def make_page(chromium: Any, server: RunningServer) -> Iterator[Callable[..., Any]]:
    """Factory: a new browser context signed in with ``api``'s key through the form."""
    contexts: list[Any] = []

    def factory(api: ApiClient, *, width: int = 1280, height: int = 900) -> Any:
        context = chromium.new_context(
            base_url=server.base_url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/app/sign-in")
        page.get_by_label("API key").fill(api.key)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/app/calendar**")
        return page

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def server_url(server: RunningServer) -> str:
    return server.base_url
