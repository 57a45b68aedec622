"""The Display API's video list (``POST /v2/video/list/``): scope, fields, cursor paging,
public posts only, and the delay before a new post shows."""

from __future__ import annotations

from platform_sandbox.tiktok_api import TikTokSandbox
from tests.sandbox.tiktok_api.support import Api, error_of

LIST = "/v2/video/list/?fields=id,create_time,title,video_description,share_url"


def _publish(tiktok: Api, token: str, n: int, privacy: str = "PUBLIC_TO_EVERYONE") -> None:
    publish_id = tiktok.publish_photo(
        token, title=f"t{n}", description=f"post {n}", privacy=privacy
    )
    tiktok.advance(5)  # download, processing
    assert tiktok.status(token, publish_id)["status"] == "PUBLISH_COMPLETE"


def test_video_list_pages_public_posts_after_the_delay(tiktok: Api, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(video_list_delay_seconds=30)
    poster = tiktok.token()
    reader = tiktok.token(scopes=["user.info.basic", "video.list"])
    for n in range(3):
        _publish(tiktok, poster, n)
    _publish(tiktok, poster, 9, privacy="SELF_ONLY")
    # Published, but not listed yet.
    answer = tiktok.post(LIST, reader, {"max_count": 2})
    assert error_of(answer) == (200, "ok")
    assert answer.json()["data"] == {"videos": [], "cursor": 0, "has_more": False}
    tiktok.advance(30)
    first = tiktok.post(LIST, reader, {"max_count": 2}).json()["data"]
    assert [v["video_description"] for v in first["videos"]] == ["post 2", "post 1"]
    assert first["has_more"] is True
    video = first["videos"][0]
    assert set(video) == {"id", "create_time", "title", "video_description", "share_url"}
    assert video["title"] == "t2" and isinstance(video["create_time"], int)
    assert video["share_url"].startswith("https://www.tiktok.com/@public.creator/photo/")
    second = tiktok.post(LIST, reader, {"max_count": 2, "cursor": first["cursor"]}).json()["data"]
    assert [v["video_description"] for v in second["videos"]] == ["post 0"]  # not SELF_ONLY
    assert second["has_more"] is False
    default = tiktok.post(LIST, reader).json()["data"]  # max_count 10 by default
    assert len(default["videos"]) == 3


def test_video_list_refusals(tiktok: Api) -> None:
    no_scope = tiktok.token()  # video.publish etc., no video.list
    answer = tiktok.post(LIST, no_scope, {})
    assert error_of(answer) == (401, "scope_not_authorized")
    assert "video.list" in answer.json()["error"]["message"]
    reader = tiktok.token(scopes=["video.list"])
    assert error_of(tiktok.post("/v2/video/list/", reader, {}))[0] == 400  # fields required
    assert error_of(tiktok.post(LIST + ",plays", reader, {}))[0] == 400
    assert error_of(tiktok.post(LIST, reader, {"max_count": 21}))[0] == 400
    assert error_of(tiktok.post(LIST, reader, {"cursor": "x"}))[0] == 400
    assert error_of(tiktok.post(LIST, reader, {"page": 1}))[0] == 400
