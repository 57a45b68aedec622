"""The Copy a TikTok page over HTTP: its pack chooser offers this workspace's packs and public
packs of others (never another workspace's private packs), names escaped."""

from __future__ import annotations

from collections.abc import Callable

from tests.dashboard.conftest import Dashboard
from tests.dashboard.test_library import HOSTILE, make_pack
from tests.helpers import ApiClient


def test_the_pack_chooser_offers_own_and_public_packs_only(
    api: ApiClient, make_api: Callable[..., ApiClient], dashboard: Dashboard
) -> None:
    other = make_api()
    mine = make_pack(api, "mine " + HOSTILE)
    private = make_pack(other, "their private pack")
    public = make_pack(other, "their public pack", public=True)
    page = dashboard.get("/app/copy", params={"url": 'https://www.tiktok.com/@a/photo/1"><b>'})
    assert page.status_code == 200
    html = page.text
    own_group = html.split('<optgroup label="This workspace">', 1)[1].split("</optgroup>", 1)[0]
    assert f'<option value="{mine}">mine &lt;script&gt;' in own_group and "(0 images)" in own_group
    public_group = html.split('<optgroup label="Public packs of other workspaces">', 1)[1]
    assert f'<option value="{public}">their public pack' in public_group
    assert private not in html and "their private pack" not in html
    assert HOSTILE not in html and "<script>" not in html
    # the URL given in the query fills the field, as text
    assert 'value="https://www.tiktok.com/@a/photo/1&#34;&gt;&lt;b&gt;"' in html


def test_without_a_pack_of_its_own_the_page_says_to_make_one(
    api: ApiClient, dashboard: Dashboard
) -> None:
    hint = 'href="/app/library">create a pack'
    assert hint in dashboard.get("/app/copy").text
    make_pack(api, "backgrounds")
    assert hint not in dashboard.get("/app/copy").text
