"""The slideshow pages over HTTP: the gallery (this workspace's slideshows, the API's filters
and paging) and the editor page (scoped, escaped, carrying the revision it was loaded at)."""

from __future__ import annotations

import re
from collections.abc import Callable

from slideforge.render.checks import SCREEN_ZONES
from slideforge.runtime import Runtime
from slideforge.slideshows.schemas import FONT_FAMILIES
from tests.conftest import Web
from tests.dashboard.conftest import Dashboard
from tests.dashboard.slideshows_support import editor_data, make_slideshow
from tests.helpers import ApiClient, ok
from tests.slideshows.support import make_pack

HOSTILE = "<script>alert('x')</script>"


def cards(html: str) -> list[str]:
    """The editor links of the gallery's cards, in page order (one per card)."""
    return re.findall(r'<h2><a href="/app/slideshows/([0-9a-f-]{36})"', html)


def test_gallery_lists_only_this_workspaces_slideshows(
    api: ApiClient,
    make_api: Callable[..., ApiClient],
    web: Web,
    make_dashboard: Callable[[ApiClient], Dashboard],
) -> None:
    mine = make_slideshow(api, web, ["Mine one", "Mine two"], title="Our launch")
    other_api = make_api()
    theirs = make_slideshow(other_api, web, ["Theirs"], title="Their secret plan")
    page = make_dashboard(api).get("/app/slideshows")
    assert page.status_code == 200
    assert cards(page.text) == [mine["id"]]
    assert "Our launch" in page.text and "2 slides" in page.text
    assert "Their secret plan" not in page.text and theirs["id"] not in page.text
    # the first slide's picture is the card's cover (the background until rendered)
    assert mine["slides"][0]["image_url"] in page.text
    # the other workspace sees its own
    other = make_dashboard(other_api).get("/app/slideshows")
    assert cards(other.text) == [theirs["id"]]


def test_gallery_filters_searches_and_pages_like_the_api(
    api: ApiClient, web: Web, dashboard: Dashboard
) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    made = [
        make_slideshow(api, web, [f"Text {i}"], title=f"{name} tips", pack_id=pack_id)
        for i, name in enumerate(["Sleep", "Coffee", "Running"])
    ]
    ok(api.patch(f"/slideshows/{made[1]['id']}", json={"status": "rendered"}))
    page = dashboard.get("/app/slideshows?status=rendered")
    assert cards(page.text) == [made[1]["id"]]
    page = dashboard.get("/app/slideshows?search=RUNNING")
    assert cards(page.text) == [made[2]["id"]]
    # newest first, two a page: the same order and pages as GET /slideshows
    listed = ok(api.get("/slideshows?limit=2"))
    first = dashboard.get("/app/slideshows?limit=2")
    assert cards(first.text) == [s["id"] for s in listed["slideshows"]]
    assert "1–2 of 3" in first.text and 'rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    second = dashboard.get("/app/slideshows?limit=2&offset=2")
    assert cards(second.text) == [made[0]["id"]]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    # an unknown status is refused as the API refuses it, as a page
    bad = dashboard.get("/app/slideshows?status=posted")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")


def test_editor_of_another_workspaces_slideshow_is_404(
    api: ApiClient,
    make_api: Callable[..., ApiClient],
    web: Web,
    dashboard: Dashboard,
) -> None:
    theirs = make_slideshow(make_api(), web, ["Not yours"], title="Private")
    page = dashboard.get(f"/app/slideshows/{theirs['id']}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not yours" not in page.text and "Private" not in page.text
    assert dashboard.get("/app/slideshows/not-an-id").status_code == 404
    mine = make_slideshow(api, web, ["Yours"])
    assert dashboard.get(f"/app/slideshows/{mine['id']}").status_code == 200


def test_hostile_texts_are_escaped(api: ApiClient, web: Web, dashboard: Dashboard) -> None:
    made = make_slideshow(api, web, [HOSTILE, "fine"], title=HOSTILE)
    for path in ("/app/slideshows", f"/app/slideshows/{made['id']}"):
        page = dashboard.get(path)
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(" in page.text
    page = dashboard.get(f"/app/slideshows/{made['id']}")
    # the JSON block for the script escapes < and > too, and still reads back exactly
    assert "\\u003cscript\\u003e" in page.text
    data = editor_data(page.text)
    assert data["slideshow"]["slides"][0]["text_elements"][0]["content"] == HOSTILE
    assert data["slideshow"]["title"] == HOSTILE


def test_editor_page_carries_the_revision_it_was_loaded_at(
    api: ApiClient, web: Web, dashboard: Dashboard
) -> None:
    made = make_slideshow(api, web, ["One", "Two"])
    page = dashboard.get(f"/app/slideshows/{made['id']}")
    assert f'data-revision="{made["revision"]}"' in page.text
    assert editor_data(page.text)["slideshow"]["revision"] == made["revision"]
    ok(api.patch(f"/slideshows/{made['id']}", json={"title": "Renamed"}))
    page = dashboard.get(f"/app/slideshows/{made['id']}")
    assert f'data-revision="{made["revision"] + 1}"' in page.text
    data = editor_data(page.text)
    assert data["slideshow"]["title"] == "Renamed"
    assert data["slideshow"]["revision"] == made["revision"] + 1


def test_editor_offers_the_apis_fonts_presets_zones_and_pack_images(
    api: ApiClient, web: Web, dashboard: Dashboard
) -> None:
    pack_id, urls = make_pack(api, web, count=3, name="Beach shots")
    made = make_slideshow(api, web, ["One"], pack_id=pack_id, aspect="9:16")
    data = editor_data(dashboard.get(f"/app/slideshows/{made['id']}").text)
    assert data["fonts"] == list(FONT_FAMILIES)
    assert data["presets"] == ["tiktok", "inverted", "shadow", "white", "black", "snapchat"]
    # on a 9:16 slide the zones are the screen's, as render.checks defines them
    zones = {z["name"]: (z["x0"], z["y0"], z["x1"], z["y1"]) for z in data["zones"]}
    assert zones == SCREEN_ZONES
    assert {i["url"] for i in data["images"]} == set(urls)
    assert {i["pack"] for i in data["images"]} == {"Beach shots"}
    # a 4:5 photo: no top bar, the caption zone from 1213 px of 1350
    four_five = make_slideshow(api, web, ["Two"], pack_id=pack_id, aspect="4:5")
    data = editor_data(dashboard.get(f"/app/slideshows/{four_five['id']}").text)
    zones = {z["name"]: z for z in data["zones"]}
    assert set(zones) == {"right_actions", "caption"}
    assert round(zones["caption"]["y0"] / 100 * 1350) == 1213


def test_new_slideshow_form_lists_packs_and_says_when_ai_is_missing(
    api: ApiClient, web: Web, dashboard: Dashboard, runtime: Runtime
) -> None:
    pack_id, _ = make_pack(api, web, count=2, name="Desk setups")
    assert runtime.settings.ai_base_url is None
    page = dashboard.get("/app/slideshows")
    assert f'<option value="{pack_id}">Desk setups (2 images)</option>' in page.text
    assert "No AI provider is configured" in page.text
    assert 'value="own" checked' in page.text
