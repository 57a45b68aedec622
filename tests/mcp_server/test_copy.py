"""copy_tiktok_slideshow over MCP against the TikTok web sandbox: a preview, then an import
with a pack's images as backgrounds (the REST copier does the work)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platform_sandbox.server import RunningServer
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.copy_tiktok.conftest import Site, site, tiktok_site_server
from tests.copy_tiktok.test_endpoints import pack_with_images, photo_post, truth
from tests.helpers import ApiClient, ok
from tests.mcp_server.support import call, data, over_http, refusal, run

__all__ = ["site", "tiktok_site_server"]  # the fixtures of tests/copy_tiktok, used here


@pytest.fixture
def tiktok_web(site: Site, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The server's TikTok fetcher pointed at the web sandbox."""
    monkeypatch.setattr(runtime.settings, "tiktok_web_base_url", site.base_url)
    monkeypatch.setattr(runtime.settings, "tiktok_short_link_base_url", site.base_url)
    yield site


def test_preview_then_import(
    server: RunningServer, api: ApiClient, web: Web, tiktok_web: Site
) -> None:
    url = photo_post(tiktok_web, 2)
    pack = pack_with_images(api, web, 2)

    async def work() -> None:
        async with over_http(server, api.key) as session:
            preview = data(await call(session, "copy_tiktok_slideshow", url=url))
            assert preview["slide_count"] == 2
            assert [e["content"] for e in preview["slides"][0]["text_elements"]] == [truth(0)]
            imported = data(
                await call(
                    session,
                    "copy_tiktok_slideshow",
                    url=url,
                    pack_id=pack,
                    preview_id=preview["preview_id"],
                )
            )
            assert imported["used_cached_preview"] is True
            shown = ok(api.get(f"/slideshows/{imported['slideshow']['id']}"))
            assert shown["source"] == "copy_tiktok" and shown["status"] == "draft"
            wrong = refusal(
                await call(session, "copy_tiktok_slideshow", url="https://example.com/x")
            )
            assert wrong["error_code"] == "invalid_tiktok_url" and wrong["status"] == 422

    run(work)
