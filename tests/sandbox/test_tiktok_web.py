"""The TikTok web sandbox over HTTP: page structure, failure modes, challenge verification,
signed image URLs, short links and the admin API."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_web import TikTokWebSandbox, create_app
from slideforge.kit.clock import ManualClock

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
UNIVERSAL = re.compile(
    r'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">(.*?)</script>',
    re.S,
)


def jpeg(color: tuple[int, int, int] = (200, 30, 30), fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), color).save(buffer, fmt)
    return buffer.getvalue()


@dataclass
class Web:
    sandbox: TikTokWebSandbox
    base_url: str
    clock: ManualClock

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, follow_redirects=False, timeout=10.0)

    def scope(self, response: httpx.Response) -> dict[str, Any]:
        match = UNIVERSAL.search(response.text)
        assert match is not None, response.text[:300]
        data: dict[str, Any] = json.loads(match.group(1))["__DEFAULT_SCOPE__"]
        return data


@pytest.fixture(scope="module")
def web_server() -> Iterator[tuple[TikTokWebSandbox, RunningServer, ManualClock]]:
    clock = ManualClock(START)
    sandbox = TikTokWebSandbox(clock)
    server = serve_in_thread(create_app(sandbox))
    yield sandbox, server, clock
    server.stop()


@pytest.fixture
def tw(web_server: tuple[TikTokWebSandbox, RunningServer, ManualClock]) -> Web:
    sandbox, server, clock = web_server
    sandbox.reset()
    clock.set(START)
    return Web(sandbox, server.base_url, clock)


def test_post_page_structure(tw: Web) -> None:
    slides = [jpeg((10, 10, 10)), jpeg((20, 20, 20), "WEBP")]
    post = tw.sandbox.add_photo_post(
        slides,
        author="maker",
        caption="hello </script><b> & #FYP",
        hashtags=["tips"],
        music={"title": "song", "author": "band"},
        title="Photo title",
    )
    with tw.client() as client:
        response = client.get(f"/@_/video/{post.id}", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/html")
    assert response.content.startswith(b"<!DOCTYPE html>")  # httpx undid the gzip
    script = UNIVERSAL.search(response.text)
    assert script is not None
    assert "</script><b>" not in script.group(1) and "\\u003c\\u002Fscript\\u003e" in script.group(
        1
    )
    assert "\\u002F" in script.group(1)
    cookies = {c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")}
    assert cookies == {"ttwid", "msToken", "tt_chain_token"}
    scope = tw.scope(response)
    assert scope["seo.abtest"]["canonical"] == f"https://www.tiktok.com/@maker/video/{post.id}"
    detail = scope["webapp.video-detail"]
    assert (detail["statusCode"], detail["statusMsg"]) == (0, "")
    item = detail["itemInfo"]["itemStruct"]
    assert item["desc"] == "hello </script><b> & #FYP #tips"
    assert [e["hashtagName"] for e in item["textExtra"]] == ["FYP", "tips"]
    assert item["contents"][0]["textExtra"] == item["textExtra"]
    assert item["author"]["uniqueId"] == "maker" and item["video"]["duration"] == 0
    assert (item["music"]["title"], item["music"]["authorName"]) == ("song", "band")
    image_post = item["imagePost"]
    assert image_post["title"] == "Photo title"
    assert [(i["imageWidth"], i["imageHeight"]) for i in image_post["images"]] == [(60, 80)] * 2
    for image in image_post["images"]:
        mirrors = image["imageURL"]["urlList"]
        assert [m.split("/")[4] for m in mirrors] == ["p16-sign-va", "p19-sign"]
        assert "~tplv-photomode-image.jpeg?" in mirrors[0]
        assert "x-expires=" in mirrors[0] and "x-signature=" in mirrors[0]


def test_photo_path_has_no_video_detail(tw: Web) -> None:
    post = tw.sandbox.add_photo_post([jpeg()], author="maker")
    with tw.client() as client:
        scope = tw.scope(client.get(f"/@maker/photo/{post.id}"))
    assert "webapp.video-detail" not in scope
    assert scope["seo.abtest"]["canonical"].endswith(f"/@maker/video/{post.id}")


def test_canonical_only_post(tw: Web) -> None:
    post = tw.sandbox.add_photo_post([jpeg()], author="maker", canonical_only=True)
    with tw.client() as client:
        assert "webapp.video-detail" not in tw.scope(client.get(f"/@_/video/{post.id}"))
        assert "webapp.video-detail" in tw.scope(client.get(f"/@maker/video/{post.id}"))


@pytest.mark.parametrize(
    ("status", "code"),
    [("private", 10216), ("private_account", 10222), ("deleted", 10204), ("region_locked", 10231)],
)
def test_status_codes(tw: Web, status: str, code: int) -> None:
    post = tw.sandbox.add_photo_post([jpeg()], status=status)
    with tw.client() as client:
        detail = tw.scope(client.get(f"/@_/video/{post.id}"))["webapp.video-detail"]
    assert detail["statusCode"] == code and detail["statusMsg"]
    assert "itemInfo" not in detail


def test_private_post_seen_by_a_viewer_session(tw: Web) -> None:
    tw.sandbox.add_session("s1")
    post = tw.sandbox.add_photo_post([jpeg()], status="private", viewers=["s1"])
    with tw.client() as client:
        client.cookies.set("sessionid", "s1")
        detail = tw.scope(client.get(f"/@_/video/{post.id}"))["webapp.video-detail"]
    assert detail["statusCode"] == 0 and "imagePost" in detail["itemInfo"]["itemStruct"]


def test_content_classified_strips_media_without_a_session(tw: Web) -> None:
    tw.sandbox.add_session("adult")
    post = tw.sandbox.add_photo_post([jpeg()], status="content_classified")
    with tw.client() as client:
        item = tw.scope(client.get(f"/@_/video/{post.id}"))["webapp.video-detail"]["itemInfo"][
            "itemStruct"
        ]
        assert item["isContentClassified"] is True and "imagePost" not in item
        client.cookies.set("sessionid", "adult")
        item = tw.scope(client.get(f"/@_/video/{post.id}"))["webapp.video-detail"]["itemInfo"][
            "itemStruct"
        ]
        assert "imagePost" in item


def test_video_post(tw: Web) -> None:
    post = tw.sandbox.add_video_post(author="vlog", duration=21)
    with tw.client() as client:
        item = tw.scope(client.get(f"/@vlog/video/{post.id}"))["webapp.video-detail"]["itemInfo"][
            "itemStruct"
        ]
    assert "imagePost" not in item
    assert item["video"]["duration"] == 21 and item["video"]["playAddr"]


@pytest.mark.parametrize("page_format", ["sigi", "sigi_persisted"])
def test_sigi_formats(tw: Web, page_format: str) -> None:
    post = tw.sandbox.add_photo_post([jpeg()], author="old")
    tw.sandbox.configure(page_format=page_format)
    with tw.client() as client:
        text = client.get(f"/@_/video/{post.id}").text
    assert "__UNIVERSAL_DATA_FOR_REHYDRATION__" not in text
    if page_format == "sigi":
        match = re.search(r'<script id="SIGI_STATE" type="application/json">(.*?)</script>', text)
        assert match is not None
        state = json.loads(match.group(1))
    else:
        match = re.search(
            r"<script id=\"sigi-persisted-data\">window\['SIGI_STATE'\]=(.*?);window", text
        )
        assert match is not None
        state = json.loads(match.group(1))
    assert state["ItemModule"][post.id]["author"] == "old"
    assert state["UserModule"]["users"]["old"]["uniqueId"] == "old"
    assert state["VideoPage"]["statusCode"] == 0


def _image_url(tw: Web, post_id: str, client: httpx.Client, index: int = 0) -> str:
    scope = tw.scope(client.get(f"/@_/video/{post_id}"))
    url: str = scope["webapp.video-detail"]["itemInfo"]["itemStruct"]["imagePost"]["images"][index][
        "imageURL"
    ]["urlList"][0]
    return url


def test_signed_image_urls(tw: Web) -> None:
    webp = jpeg(fmt="WEBP")
    post = tw.sandbox.add_photo_post([webp], endings="jpeg")
    with tw.client() as client:
        url = _image_url(tw, post.id, client)
        good = client.get(url)
        assert good.status_code == 200 and good.content == webp
        assert good.headers["content-type"] == "image/jpeg"  # from the ending, not the bytes
        tampered = url.replace("x-signature=", "x-signature=AA")
        assert client.get(tampered).status_code == 403
        other_ending = url.replace("image.jpeg?", "image.webp?")
        assert client.get(other_ending).status_code == 403
        tw.clock.advance(6 * 3600 + 1)
        expired = client.get(url)
    assert expired.status_code == 403
    assert [r.note for r in tw.sandbox.requests("image")] == [
        "slide 0",
        "bad_signature",
        "bad_signature",
        "expired",
    ]


def test_images_can_require_the_page_session(tw: Web) -> None:
    tw.sandbox.configure(images_require_session=True)
    post = tw.sandbox.add_photo_post([jpeg()])
    with tw.client() as client:
        url = _image_url(tw, post.id, client)
        assert client.get(url).status_code == 200
    assert httpx.get(url).status_code == 403


def test_stale_image_urls_and_broken_mirror(tw: Web) -> None:
    post = tw.sandbox.add_photo_post([jpeg()], broken_mirror=True)
    tw.sandbox.configure(stale_image_urls=1)
    with tw.client() as client:
        stale = _image_url(tw, post.id, client)
        fresh = _image_url(tw, post.id, client)
        assert client.get(stale).status_code == 503  # the p16 mirror is down
        assert client.get(stale.replace("/p16-sign-va/", "/p19-sign/")).status_code == 403
        assert client.get(fresh.replace("/p16-sign-va/", "/p19-sign/")).status_code == 200


def _solution(cs: str, answer: int, *, v: dict[str, str] | None = None) -> str:
    challenge = json.loads(base64.b64decode(cs))
    if v is not None:
        challenge["v"] = v
    challenge["d"] = base64.b64encode(str(answer).encode()).decode()
    return base64.b64encode(json.dumps(challenge).encode()).decode()


def _challenge(response: httpx.Response) -> dict[str, str]:
    found = dict(re.findall(r'<p id="(cs|wci|rci|rs)" class="([^"]*)"', response.text))
    assert set(found) == {"cs", "wci", "rci", "rs"}, response.text
    return found


def test_challenge_is_verified(tw: Web) -> None:
    post = tw.sandbox.add_photo_post([jpeg()])
    tw.sandbox.configure(challenge="once", challenge_answer=7)
    with tw.client() as client:
        first = client.get(f"/@_/video/{post.id}")
        assert "<title>Please wait...</title>" in first.text
        assert "__UNIVERSAL_DATA_FOR_REHYDRATION__" not in first.text
        assert first.headers.get_list("set-cookie") == []
        elements = _challenge(first)
        assert (elements["wci"], elements["rci"]) == ("_wafchallengeid", "waforiginalreid")
        puzzle = json.loads(base64.b64decode(elements["cs"]))
        assert set(puzzle["v"]) == {"a", "c"}

        def attempt(cookies: dict[str, str]) -> httpx.Response:
            client.cookies.clear()
            for name, value in cookies.items():
                client.cookies.set(name, value)
            return client.get(f"/@_/video/{post.id}")

        origin = {"waforiginalreid": elements["rs"]}
        wrong = attempt({"_wafchallengeid": _solution(elements["cs"], 8), **origin})
        assert "Please wait" in wrong.text
        no_origin = attempt({"_wafchallengeid": _solution(elements["cs"], 7)})
        assert "Please wait" in no_origin.text
        # a self-made puzzle with a valid hash is not one the site issued
        seed = base64.b64encode(b"my own seed").decode()
        digest = base64.b64encode(hashlib.sha256(b"my own seed" + b"1").digest()).decode()
        forged = attempt(
            {"_wafchallengeid": _solution(elements["cs"], 1, v={"a": seed, "c": digest}), **origin}
        )
        assert "Please wait" in forged.text
        solved = attempt({"_wafchallengeid": _solution(elements["cs"], 7), **origin})
        assert solved.status_code == 200 and "__UNIVERSAL_DATA_FOR_REHYDRATION__" in solved.text
        tw.sandbox.configure(challenge="always")
        again = attempt({"_wafchallengeid": _solution(elements["cs"], 7), **origin})
        assert "Please wait" in again.text
        assert again.headers["x-sandbox-note"] == "solved-but-challenged-again"


@pytest.mark.parametrize("prefix", ["/vm", "/vt", "/t"])
def test_short_links(tw: Web, prefix: str) -> None:
    post = tw.sandbox.add_photo_post([jpeg()], author="shorty")
    code = tw.sandbox.add_short_link("ZMabc123", post_id=post.id)
    tw.sandbox.add_short_link("ZMelse", target="https://www.tiktok.com/@shorty")
    with tw.client() as client:
        head = client.head(f"{prefix}/{code}/")
        get = client.get(f"{prefix}/{code}")
        dead = client.head(f"{prefix}/ZMnothing/")
        other = client.head(f"{prefix}/ZMelse/")
    assert head.status_code == 301 == get.status_code
    location = head.headers["location"]
    assert location.startswith(f"https://www.tiktok.com/@shorty/photo/{post.id}?_r=1&")
    assert f"share_item_id={post.id}" in location
    assert dead.headers["location"] == "https://www.tiktok.com/?_r=1"
    assert other.headers["location"] == "https://www.tiktok.com/@shorty"
    assert [r.note for r in tw.sandbox.requests("short_link")] == ["post", "post", "dead", "target"]


def test_site_modes(tw: Web) -> None:
    post = tw.sandbox.add_photo_post([jpeg()])
    path = f"/@_/video/{post.id}"
    with tw.client() as client:
        tw.sandbox.configure(web_mode="forbidden")
        assert client.get(path).status_code == 403
        tw.sandbox.configure(web_mode="empty")
        empty = client.get(path)
        assert (empty.status_code, empty.content) == (200, b"")
        tw.sandbox.configure(web_mode="captcha")
        captcha = client.get(path)
        assert captcha.status_code == 200 and "captcha" in captcha.text
        assert "application/json" not in captcha.text and 'id="cs"' not in captcha.text
        tw.sandbox.configure(web_mode="login_wall")
        wall = client.get(path)
        assert wall.status_code == 302
        assert wall.headers["location"].startswith("https://www.tiktok.com/login?redirect_url=")
        tw.sandbox.add_session("member")
        client.cookies.set("sessionid", "member")
        assert client.get(path).status_code == 200
        tw.sandbox.configure(web_mode="normal")
        tw.sandbox.rate_limit(count=2, retry_after=17)
        limited = [client.get(path) for _ in range(3)]
    assert [r.status_code for r in limited] == [429, 429, 200]
    assert limited[0].headers["retry-after"] == "17"


def test_home_and_login_pages(tw: Web) -> None:
    with tw.client() as client:
        home = client.get("/")
        login = client.get("/login")
        missing = client.get("/foryou/nothing")
    assert "webapp.video-detail" not in tw.scope(home)
    assert "Log in" in login.text
    assert missing.status_code == 404
    assert [r.kind for r in tw.sandbox.requests()] == ["home", "login", "other"]


def test_admin_api(tw: Web) -> None:
    slide = base64.b64encode(jpeg()).decode()
    with tw.client() as client:
        created = client.post(
            "/__sandbox/posts",
            json={
                "author": {"unique_id": "api_user", "nickname": "API"},
                "caption": "via api",
                "hashtags": ["one"],
                "title": "T",
                "slides": [{"data": slide, "ending": "image"}, slide],
            },
        )
        assert created.status_code == 201, created.text
        post = created.json()
        assert post["url"] == f"https://www.tiktok.com/@api_user/photo/{post['id']}"
        assert [s["ext"] for s in post["slides"]] == ["image", "jpeg"]
        assert client.get(f"/__sandbox/posts/{post['id']}").json()["desc"] == "via api #one"
        patched = client.patch(f"/__sandbox/posts/{post['id']}", json={"status": "region_locked"})
        assert patched.json()["status"] == "region_locked"
        page = client.get(f"/@_/video/{post['id']}")
        assert tw.scope(page)["webapp.video-detail"]["statusCode"] == 10231
        assert (
            client.post(
                "/__sandbox/short-links", json={"code": "ZMx1", "post_id": post["id"]}
            ).status_code
            == 201
        )
        assert client.post("/__sandbox/sessions", json={"sessionid": "s"}).status_code == 201
        config = client.put("/__sandbox/config", json={"challenge": "once", "challenge_answer": 3})
        assert config.json()["challenge"] == "once"
        assert client.put("/__sandbox/config", json={"web_mode": "nope"}).status_code == 400
        assert client.put("/__sandbox/config", json={"colour": "red"}).status_code == 400
        assert client.post("/__sandbox/posts", json={"slides": []}).status_code == 400
        assert client.post("/__sandbox/posts", json={"slides": ["!!"]}).status_code == 400
        assert client.get("/__sandbox/posts/1").status_code == 404
        log = client.get("/__sandbox/requests", params={"kind": "page"}).json()["requests"]
        assert [(r["path"], r["status"]) for r in log] == [(f"/@_/video/{post['id']}", 200)]
        assert client.delete("/__sandbox/requests").status_code == 204
        assert client.get("/__sandbox/requests").json()["requests"] == []
        assert client.delete(f"/__sandbox/posts/{post['id']}").status_code == 204
        assert client.post("/__sandbox/reset").status_code == 204
        assert client.get("/__sandbox/posts").json()["posts"] == []
        assert client.get("/__sandbox/config").json()["challenge"] == "off"


def test_concurrent_registration_and_pages(tw: Web) -> None:
    image = jpeg()

    def register(_: int) -> str:
        return tw.sandbox.add_photo_post([image, image]).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(register, range(40)))
    assert len(set(ids)) == 40

    def page(post_id: str) -> int:
        return httpx.get(f"{tw.base_url}/@_/video/{post_id}", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(page, ids)) == {200}
    assert len(tw.sandbox.requests("page")) == 40
