"""The Instagram Graph API sandbox over real HTTP: both login models, the container flow
with a ManualClock, every validation and error of the checklist, quotas, duplicate-publish
refusal, failure knobs and the admin API. Media is served by a second loopback app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from platform_sandbox.instagram import (
    LONG_LIVED_SECONDS,
    InstagramOptions,
    InstagramSandbox,
    create_app,
)
from platform_sandbox.server import RunningServer, serve_in_thread
from slideforge.kit.clock import ManualClock
from tests.sandbox.social_media_host import MediaHost, running_media_host

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
REDIRECT = "https://app.slideforge.test/oauth/instagram/callback"
FB_REDIRECT = "https://app.slideforge.test/oauth/facebook/callback"
HOUR = 3600.0
DAY = 86_400.0


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ig_media() -> Iterator[MediaHost]:
    with running_media_host() as host:
        yield host


@pytest.fixture(scope="module")
def ig_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
def ig_server(ig_clock: ManualClock) -> Iterator[tuple[InstagramSandbox, RunningServer]]:
    sandbox = InstagramSandbox(clock=ig_clock)
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running
    running.stop()


class Ig:
    """A thin client: the default account, its token and shortcuts for the common calls."""

    def __init__(
        self, http: httpx.Client, sandbox: InstagramSandbox, clock: ManualClock, media: MediaHost
    ) -> None:
        self.http = http
        self.sandbox = sandbox
        self.clock = clock
        self.media = media
        self.app = sandbox.apps()[0]
        self.account = sandbox.ig_users()[0]
        self.fb_user = sandbox.fb_users()[0]
        self.page = sandbox.pages()[0]
        self.token = sandbox.issue_token(ig_user_id=self.account.id)["access_token"]

    def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        params.setdefault("access_token", token or self.token)
        return self.http.get(path, params=params)

    def post(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        """Params as a urlencoded form body, the token in the query string."""
        return self.http.post(path, params={"access_token": token or self.token}, data=params)

    def create(self, token: str | None = None, user: str | None = None, **params: Any) -> str:
        response = self.post(f"/v21.0/{user or self.account.id}/media", token, **params)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def create_error(self, **params: Any) -> dict[str, Any]:
        response = self.post(f"/v21.0/{self.account.id}/media", **params)
        assert response.status_code >= 400, response.text
        return dict(response.json()["error"])

    def status(self, container_id: str) -> dict[str, Any]:
        response = self.get(f"/v21.0/{container_id}", fields="status_code,status")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def publish(self, container_id: str, token: str | None = None) -> httpx.Response:
        return self.post(f"/v21.0/{self.account.id}/media_publish", token, creation_id=container_id)

    def ready(self, container_id: str, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        assert self.status(container_id)["status_code"] == "FINISHED"


@pytest.fixture
def ig(
    ig_server: tuple[InstagramSandbox, RunningServer], ig_clock: ManualClock, ig_media: MediaHost
) -> Iterator[Ig]:
    sandbox, running = ig_server
    ig_clock.set(START)
    sandbox.reset(keep_config=False)
    sandbox.update_app(sandbox.apps()[0].client_id, redirect_uris=[REDIRECT, FB_REDIRECT])
    with httpx.Client(base_url=running.base_url, timeout=15) as http:
        yield Ig(http, sandbox, ig_clock, ig_media)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    error = dict(body["error"])
    assert error["fbtrace_id"]
    assert error["type"] in ("OAuthException", "GraphMethodException")
    return error


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


# ---------------------------------------------------------------------- OAuth: Instagram Login


def test_instagram_login_code_exchange_long_lived_and_refresh_rules(ig: Ig) -> None:
    authorize = ig.http.get(
        "/oauth/authorize",
        params={
            "client_id": ig.app.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "instagram_business_basic,instagram_business_content_publish",
            "state": "xyz-1",
        },
    )
    assert authorize.status_code == 302
    location = authorize.headers["location"]
    assert location.startswith(REDIRECT + "?") and location.endswith("#_")
    query = query_of(location.removesuffix("#_"))
    assert query["state"] == "xyz-1"

    form = {
        "client_id": ig.app.client_id,
        "client_secret": ig.app.client_secret,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
        "code": query["code"],
    }
    exchanged = ig.http.post("/oauth/access_token", data=form)
    assert exchanged.status_code == 200, exchanged.text
    entry = exchanged.json()["data"][0]
    assert entry["user_id"] == ig.account.app_scoped_id
    assert entry["permissions"] == "instagram_business_basic,instagram_business_content_publish"
    short = entry["access_token"]

    reused = ig.http.post("/oauth/access_token", data=form)
    assert reused.status_code == 400
    assert reused.json() == {
        "error_type": "OAuthException",
        "code": 400,
        "error_message": "This authorization code has been used",
    }

    me = ig.get("/v21.0/me", short, fields="user_id,username")
    assert me.json() == {
        "user_id": ig.account.id,
        "username": ig.account.username,
        "id": ig.account.app_scoped_id,
    }

    # A short-lived token cannot be refreshed; exchange it first.
    not_long = ig.get("/refresh_access_token", short, grant_type="ig_refresh_token")
    assert not_long.status_code == 400 and error_of(not_long)["code"] == 100

    bad_secret = ig.get(
        "/access_token", short, grant_type="ig_exchange_token", client_secret="wrong"
    )
    assert error_of(bad_secret)["message"] == "Error validating client secret."
    long_lived = ig.get(
        "/access_token", short, grant_type="ig_exchange_token", client_secret=ig.app.client_secret
    )
    assert long_lived.status_code == 200
    assert long_lived.json()["token_type"] == "bearer"
    assert long_lived.json()["expires_in"] == LONG_LIVED_SECONDS
    long_token = long_lived.json()["access_token"]

    too_young = ig.get("/refresh_access_token", long_token, grant_type="ig_refresh_token")
    assert too_young.status_code == 400
    assert "24 hours" in error_of(too_young)["message"]

    ig.clock.advance(HOUR + 1)
    expired_short = ig.get("/v21.0/me", short)
    assert expired_short.status_code == 401
    assert (error_of(expired_short)["code"], error_of(expired_short)["error_subcode"]) == (190, 463)

    ig.clock.advance(DAY)
    refreshed = ig.get("/refresh_access_token", long_token, grant_type="ig_refresh_token")
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["expires_in"] == LONG_LIVED_SECONDS and body["access_token"] != long_token
    assert body["permissions"] == "instagram_business_basic,instagram_business_content_publish"

    # 60 days later the old token is dead and cannot be refreshed; the refreshed one lives on.
    ig.clock.advance(LONG_LIVED_SECONDS - DAY)
    dead = ig.get("/refresh_access_token", long_token, grant_type="ig_refresh_token")
    assert (error_of(dead)["code"], error_of(dead)["error_subcode"]) == (190, 463)
    assert ig.get("/v21.0/me", body["access_token"]).status_code == 200
    ig.clock.advance(DAY)
    assert ig.get("/v21.0/me", body["access_token"]).status_code == 401


def test_instagram_authorize_and_exchange_validation(ig: Ig) -> None:
    base = {
        "client_id": ig.app.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "instagram_business_basic,instagram_business_content_publish",
        "state": "s",
    }

    def authorize(**changes: str) -> httpx.Response:
        return ig.http.get("/oauth/authorize", params={**base, **changes})

    assert authorize(client_id="123").json()["error_message"] == "Invalid platform app"
    assert authorize(redirect_uri=REDIRECT + "/x").json()["error_message"] == "Invalid redirect_uri"
    bad_scope = authorize(scope="instagram_business_basic,instagram_basic")
    assert bad_scope.status_code == 400
    assert bad_scope.json()["error_message"] == "Invalid Scopes: instagram_basic"

    denied = authorize(sandbox_decision="deny")
    assert denied.status_code == 302
    assert query_of(denied.headers["location"].removesuffix("#_")) == {
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "The user denied your request.",
        "state": "s",
    }

    other = ig.sandbox.add_ig_user(username="second_brand")
    partial = authorize(sandbox_user="second_brand", sandbox_scopes="instagram_business_basic")
    code = query_of(partial.headers["location"].removesuffix("#_"))["code"]
    form = {
        "client_id": ig.app.client_id,
        "client_secret": ig.app.client_secret,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT + "/other",
        "code": code,
    }
    mismatch = ig.http.post("/oauth/access_token", data=form)
    assert "redirect_uri is identical" in mismatch.json()["error_message"]
    # Sent as multipart form data (curl -F, as in Meta's examples).
    files = {key: (None, value) for key, value in {**form, "redirect_uri": REDIRECT}.items()}
    ok = ig.http.post("/oauth/access_token", files=files)
    assert ok.status_code == 200, ok.text
    token = ok.json()["data"][0]["access_token"]
    assert ok.json()["data"][0]["permissions"] == "instagram_business_basic"
    assert ig.get("/me", token, fields="username").json()["username"] == "second_brand"
    permissions = ig.get("/v21.0/me/permissions", token).json()["data"]
    assert {"permission": "instagram_business_content_publish", "status": "declined"} in permissions
    # Publishing needs the declined permission.
    missing = ig.post(f"/v21.0/{other.id}/media", token, image_url=ig.media.url("square.jpg"))
    assert missing.status_code == 403 and error_of(missing)["code"] == 10

    ig.sandbox.update_options(code_exchange_shape="flat")
    flat_code = query_of(authorize().headers["location"].removesuffix("#_"))["code"]
    flat = ig.http.post(
        "/oauth/access_token", data={**form, "redirect_uri": REDIRECT, "code": flat_code}
    )
    assert flat.json()["user_id"] == int(ig.account.app_scoped_id)
    assert flat.json()["permissions"] == [
        "instagram_business_basic",
        "instagram_business_content_publish",
    ]
    wrong_secret = ig.http.post(
        "/oauth/access_token", data={**form, "client_secret": "nope", "code": flat_code}
    )
    assert wrong_secret.json()["error_message"] == "Error validating client secret."
    ig.clock.advance(601)
    late = query_of(authorize().headers["location"].removesuffix("#_"))["code"]
    ig.clock.advance(601)
    expired = ig.http.post(
        "/oauth/access_token", data={**form, "redirect_uri": REDIRECT, "code": late}
    )
    assert expired.json()["error_message"] == "This authorization code has expired"


# ---------------------------------------------------------------------- OAuth: Facebook Login


def test_facebook_login_pages_and_page_tokens(ig: Ig) -> None:
    dialog = ig.http.get(
        "/v21.0/dialog/oauth",
        params={
            "client_id": ig.app.client_id,
            "redirect_uri": FB_REDIRECT,
            "state": "fb-state",
            "scope": "instagram_basic,instagram_content_publish,pages_show_list,pages_read_engagement",
        },
    )
    assert dialog.status_code == 302
    assert dialog.headers["location"].endswith("#_=_")
    code = query_of(dialog.headers["location"].removesuffix("#_=_"))["code"]
    params = {
        "client_id": ig.app.client_id,
        "client_secret": ig.app.client_secret,
        "redirect_uri": FB_REDIRECT,
        "code": code,
    }
    wrong_uri = ig.http.get(
        "/v21.0/oauth/access_token", params={**params, "redirect_uri": REDIRECT}
    )
    assert error_of(wrong_uri)["error_subcode"] == 36008
    short = ig.http.get("/v21.0/oauth/access_token", params=params)
    assert short.status_code == 200, short.text
    assert short.json()["token_type"] == "bearer" and short.json()["expires_in"] == 3600
    reused = ig.http.get("/v21.0/oauth/access_token", params=params)
    assert (error_of(reused)["code"], error_of(reused)["error_subcode"]) == (100, 36009)

    long_lived = ig.http.get(
        "/v21.0/oauth/access_token",
        params={
            "grant_type": "fb_exchange_token",
            "client_id": ig.app.client_id,
            "client_secret": ig.app.client_secret,
            "fb_exchange_token": short.json()["access_token"],
        },
    )
    assert long_lived.json()["expires_in"] == LONG_LIVED_SECONDS
    user_token = long_lived.json()["access_token"]

    me = ig.get("/v21.0/me", user_token, fields="id,name")
    assert me.json() == {"id": ig.fb_user.id, "name": ig.fb_user.name}
    accounts = ig.get("/v21.0/me/accounts", user_token).json()
    assert [page["id"] for page in accounts["data"]] == [ig.page.id]
    assert accounts["data"][0]["access_token"] and accounts["data"][0]["tasks"]
    page = ig.get(
        f"/v21.0/{ig.page.id}", user_token, fields="access_token,instagram_business_account"
    ).json()
    assert page["instagram_business_account"] == {"id": ig.account.id}
    page_token = page["access_token"]
    assert page_token == accounts["data"][0]["access_token"]

    # The page token publishes to the linked account and never expires.
    ig.clock.advance(70 * DAY)
    assert ig.get("/v21.0/me", user_token).status_code == 401
    container = ig.create(page_token, image_url=ig.media.url("square.jpg"))
    ig.clock.advance(1)
    assert ig.publish(container, page_token).status_code == 200

    perms = ig.get("/v21.0/me/permissions", page_token).json()["data"]
    assert {"permission": "pages_show_list", "status": "granted"} in perms

    # A page token minted from a short-lived user token dies with it.
    short_user = ig.sandbox.issue_token(fb_user_id=ig.fb_user.id, long_lived=False)["access_token"]
    short_page = ig.get(f"/v21.0/{ig.page.id}", short_user, fields="access_token").json()
    ig.clock.advance(HOUR + 1)
    dead = ig.get(f"/v21.0/{ig.account.id}/content_publishing_limit", short_page["access_token"])
    assert error_of(dead)["error_subcode"] == 463

    # An IG-login token has no Pages; a user without pages_show_list cannot list them.
    ig_token = ig.sandbox.issue_token(ig_user_id=ig.account.id)["access_token"]
    assert ig.get("/v21.0/me/accounts", ig_token).status_code == 400
    narrow = ig.sandbox.issue_token(fb_user_id=ig.fb_user.id, scopes=["instagram_basic"])
    listed = ig.get("/v21.0/me/accounts", narrow["access_token"])
    assert listed.status_code == 403 and error_of(listed)["code"] == 10


def test_token_errors_revocation_and_visibility(ig: Ig) -> None:
    path = f"/v21.0/{ig.account.id}/content_publishing_limit"
    missing = ig.http.get(path)
    assert missing.status_code == 401 and error_of(missing)["code"] == 104
    garbage = ig.get(path, "IGAAnot-a-token")
    assert error_of(garbage)["code"] == 190 and "error_subcode" not in error_of(garbage)
    # Authorization header instead of the access_token parameter.
    header = ig.http.get(path, headers={"Authorization": f"Bearer {ig.token}"})
    assert header.status_code == 200

    other = ig.sandbox.add_ig_user(username="someone_else")
    hidden = ig.get(f"/v21.0/{other.id}/content_publishing_limit")
    assert hidden.status_code == 400
    assert (error_of(hidden)["code"], error_of(hidden)["error_subcode"]) == (100, 33)
    assert error_of(hidden)["type"] == "GraphMethodException"

    ig.sandbox.revoke_tokens(ig.account.id, "password_changed")
    revoked = ig.get(path)
    assert (error_of(revoked)["code"], error_of(revoked)["error_subcode"]) == (190, 460)

    fresh = ig.sandbox.issue_token(ig_user_id=ig.account.id)["access_token"]
    assert ig.http.delete("/v21.0/me/permissions", params={"access_token": fresh}).json() == {
        "success": True
    }
    removed = ig.get(path, fresh)
    assert error_of(removed)["error_subcode"] == 458
    assert ig.app.client_id in error_of(removed)["message"]

    ig.sandbox.update_options(token_error_http_status=400)
    assert ig.get(path, "IGAAnope").status_code == 400


# ---------------------------------------------------------------------- containers & publishing


def test_single_image_container_flow_publish_once(ig: Ig) -> None:
    hits = ig.media.hits["portrait.jpg"]
    container = ig.create(image_url=ig.media.url("portrait.jpg"), caption="Hello #sandbox")
    assert ig.media.hits["portrait.jpg"] == hits + 1  # really downloaded at creation
    assert ig.status(container) == {
        "status_code": "IN_PROGRESS",
        "status": "In Progress: Media is still being processed.",
        "id": container,
    }
    early = ig.publish(container)
    assert (error_of(early)["code"], error_of(early)["error_subcode"]) == (9007, 2207027)
    assert error_of(early)["message"] == "Media ID is not available"

    ig.ready(container)
    published = ig.publish(container)
    assert published.status_code == 200, published.text
    media_id = published.json()["id"]
    assert ig.status(container)["status_code"] == "PUBLISHED"

    again = ig.publish(container)
    assert again.status_code == 400
    assert error_of(again)["message"] == "This media has already been published."
    assert ig.status(container)["status_code"] == "PUBLISHED"

    media = ig.get(
        f"/v21.0/{media_id}", fields="id,permalink,media_type,media_product_type,caption,timestamp"
    ).json()
    assert media["permalink"].startswith("https://www.instagram.com/p/")
    assert (media["media_type"], media["media_product_type"]) == ("IMAGE", "FEED")
    assert media["caption"] == "Hello #sandbox"
    assert media["timestamp"] == "2026-03-02T09:00:01+0000"
    unknown_field = ig.get(f"/v21.0/{media_id}", fields="permalink,nope")
    assert "nonexisting field (nope)" in error_of(unknown_field)["message"]

    listed = ig.sandbox.media(ig_user_id=ig.account.id)
    assert [item["id"] for item in listed] == [media_id]
    assert ig.sandbox.duplicate_media() == []
    limit = ig.get(
        f"/v21.0/{ig.account.id}/content_publishing_limit", fields="quota_usage,config"
    ).json()
    assert limit == {
        "data": [{"quota_usage": 1, "config": {"quota_total": 100, "quota_duration": 86400}}]
    }
    # The user's media list shows it after the list's delay (3 s), newest first, in pages.
    user_media = ig.get(f"/v21.0/{ig.account.id}/media", fields="id,permalink").json()
    assert user_media == {"data": [], "paging": {"cursors": {}}}
    ig.clock.advance(3)
    user_media = ig.get(f"/v21.0/{ig.account.id}/media", fields="id,permalink").json()
    assert [item["id"] for item in user_media["data"]] == [media_id]
    assert "next" not in user_media["paging"]
    container_two = ig.create(image_url=ig.media.url("square.jpg"), caption="Two")
    ig.clock.advance(5)
    second = ig.publish(container_two)
    assert second.status_code == 200, second.text
    ig.clock.advance(5)
    page = ig.get(f"/v21.0/{ig.account.id}/media", fields="id,caption,timestamp", limit="1").json()
    assert [item["caption"] for item in page["data"]] == ["Two"]
    assert page["paging"]["next"].startswith("http")
    rest = ig.get(
        f"/v21.0/{ig.account.id}/media",
        fields="id,caption",
        limit="1",
        after=page["paging"]["cursors"]["after"],
    ).json()
    assert [item["id"] for item in rest["data"]] == [media_id] and "next" not in rest["paging"]
    assert error_of(ig.get(f"/v21.0/{ig.account.id}/media", limit="500"))["code"] == 100


def test_carousel_waits_for_children_and_counts_once(ig: Ig) -> None:
    first = ig.create(image_url=ig.media.url("square.jpg"), is_carousel_item="true")
    second = ig.create(image_url=ig.media.url("square2.jpg"), is_carousel_item="true")
    video = ig.create(
        video_url=ig.media.url("clip.mp4"), media_type="VIDEO", is_carousel_item="true"
    )
    # By default the children must be FINISHED before the parent is created.
    early = ig.create_error(media_type="CAROUSEL", children=f"{first},{second},{video}")
    assert (early["code"], early["error_subcode"]) == (9007, 2207027)
    ig.sandbox.update_options(carousel_children_must_be_finished=False)
    parent = ig.create(
        media_type="CAROUSEL", children=f"{first},{second},{video}", caption="Three slides"
    )
    ig.clock.advance(1)
    assert ig.status(first)["status_code"] == "FINISHED"
    assert ig.status(video)["status_code"] == "IN_PROGRESS"
    assert ig.status(parent)["status_code"] == "IN_PROGRESS"
    assert error_of(ig.publish(parent))["error_subcode"] == 2207027
    ig.clock.advance(4)
    assert ig.status(parent)["status_code"] == "FINISHED"

    alone = ig.publish(first)
    assert alone.status_code == 400 and "carousel item" in error_of(alone)["message"]

    media_id = ig.publish(parent).json()["id"]
    album = ig.get(
        f"/v21.0/{media_id}", fields="media_type,permalink,children{media_type,media_url}"
    ).json()
    assert album["media_type"] == "CAROUSEL_ALBUM"
    assert [child["media_type"] for child in album["children"]["data"]] == [
        "IMAGE",
        "IMAGE",
        "VIDEO",
    ]
    assert album["children"]["data"][0]["media_url"] == ig.media.url("square.jpg")
    children = ig.get(f"/v21.0/{media_id}/children").json()["data"]
    assert len(children) == 3
    assert {ig.status(c)["status_code"] for c in (first, second, video)} == {"PUBLISHED"}
    limit = ig.get(f"/v21.0/{ig.account.id}/content_publishing_limit").json()
    assert limit == {"data": [{"quota_usage": 1}]}

    reuse = ig.create_error(media_type="CAROUSEL", children=f"{first},{second}")
    assert "already published" in reuse["message"]
    assert len(ig.sandbox.media()) == 1  # children are listed inside their album


def test_carousel_validation(ig: Ig) -> None:
    items = [
        ig.create(image_url=ig.media.url("square.jpg"), is_carousel_item="true") for _ in range(11)
    ]
    ig.clock.advance(1)
    single = ig.create_error(media_type="CAROUSEL", children=items[0])
    assert (single["code"], single["error_subcode"]) == (100, 2207028)
    eleven = ig.create_error(media_type="CAROUSEL", children=json.dumps(items))
    assert eleven["error_subcode"] == 2207028
    unknown = ig.create_error(media_type="CAROUSEL", children=f"{items[0]},17890000000009999")
    assert (unknown["code"], unknown["error_subcode"]) == (24, 2207006)

    other = ig.sandbox.add_ig_user(username="carousel_thief")
    other_token = ig.sandbox.issue_token(ig_user_id=other.id)["access_token"]
    foreign = ig.create(
        other_token, user=other.id, image_url=ig.media.url("square.jpg"), is_carousel_item="true"
    )
    stolen = ig.create_error(media_type="CAROUSEL", children=f"{items[0]},{foreign}")
    assert stolen["error_subcode"] == 2207006

    plain = ig.create(image_url=ig.media.url("square.jpg"))
    not_item = ig.create_error(media_type="CAROUSEL", children=f"{items[0]},{plain}")
    assert not_item["code"] == 100 and "is_carousel_item" in not_item["message"]

    reel_item = ig.create_error(
        media_type="REELS", video_url=ig.media.url("clip.mp4"), is_carousel_item="true"
    )
    assert (reel_item["code"], reel_item["error_subcode"]) == (100, 2207023)

    fresh = ig.create(image_url=ig.media.url("square.jpg"), is_carousel_item="true")
    waiting = ig.create_error(media_type="CAROUSEL", children=f"{items[0]},{fresh}")
    assert waiting["error_subcode"] == 2207027

    ig.clock.advance(DAY + 1)
    expired = ig.create_error(media_type="CAROUSEL", children=f"{items[0]},{items[1]}")
    assert (expired["code"], expired["error_subcode"]) == (-2, 2207020)


def test_media_type_rules_stories_and_reels(ig: Ig) -> None:
    feed_video = ig.create_error(media_type="VIDEO", video_url=ig.media.url("clip.mp4"))
    assert feed_video["error_subcode"] == 2207023
    bogus = ig.create_error(media_type="GIF", image_url=ig.media.url("square.jpg"))
    assert bogus["error_subcode"] == 2207023
    both = ig.create_error(image_url=ig.media.url("square.jpg"), video_url=ig.media.url("clip.mp4"))
    assert both["code"] == 100
    nothing = ig.create_error(caption="no media")
    assert nothing["message"] == "(#100) The parameter image_url is required."
    untyped_video = ig.create_error(video_url=ig.media.url("clip.mp4"))
    assert untyped_video["error_subcode"] == 2207023
    item_collab = ig.create_error(
        image_url=ig.media.url("square.jpg"), is_carousel_item="true", collaborators='["a"]'
    )
    assert "collaborators" in item_collab["message"]
    too_many_collab = ig.create_error(
        image_url=ig.media.url("square.jpg"), collaborators='["a","b","c","d"]'
    )
    assert too_many_collab["code"] == 100
    bad_tags = ig.create_error(
        image_url=ig.media.url("square.jpg"), user_tags='[{"username":"a","x":1.5,"y":0.2}]'
    )
    assert "between 0 and 1" in bad_tags["message"]
    resumable = ig.create_error(media_type="REELS", upload_type="resumable")
    assert "resumable" in resumable["message"]

    # Stories take 9:16 images (no feed aspect check); JSON bodies are accepted too.
    story = ig.http.post(
        f"/v21.0/{ig.account.id}/media",
        params={"access_token": ig.token},
        json={"media_type": "STORIES", "image_url": ig.media.url("tall.jpg")},
    )
    assert story.status_code == 200, story.text
    ig.ready(story.json()["id"])
    story_media = ig.publish(story.json()["id"]).json()["id"]
    story_view = ig.get(f"/v21.0/{story_media}", fields="media_product_type,permalink").json()
    assert story_view["media_product_type"] == "STORY"
    assert f"/stories/{ig.account.username}/" in story_view["permalink"]

    reel = ig.create(
        media_type="REELS",
        video_url=ig.media.url("clip.mp4"),
        caption="A reel",
        share_to_feed="false",
        thumb_offset="3000",
        cover_url=ig.media.url("tall.jpg"),
    )
    ig.clock.advance(4.9)
    assert ig.status(reel)["status_code"] == "IN_PROGRESS"
    ig.ready(reel, 0.2)
    reel_media = ig.publish(reel).json()["id"]
    reel_view = ig.get(
        f"/{reel_media}", fields="media_type,media_product_type,permalink,is_shared_to_feed"
    ).json()
    assert reel_view["media_type"] == "VIDEO" and reel_view["media_product_type"] == "REELS"
    assert reel_view["permalink"].startswith("https://www.instagram.com/reel/")
    assert reel_view["is_shared_to_feed"] is False
    probe = ig.sandbox.container(reel)["media"][0]
    assert probe["format"] == "mp4" and probe["duration_seconds"] == 12.5


def test_caption_limits(ig: Ig) -> None:
    url = ig.media.url("square.jpg")
    too_long = ig.create_error(image_url=url, caption="x" * 2201)
    assert (too_long["code"], too_long["error_subcode"]) == (36004, 2207010)
    hashtags = ig.create_error(image_url=url, caption=" ".join(f"#tag{i}" for i in range(31)))
    assert (hashtags["code"], hashtags["error_subcode"]) == (100, 2207040)
    mentions = ig.create_error(image_url=url, caption=" ".join(f"@user{i}" for i in range(21)))
    assert (mentions["code"], mentions["error_subcode"]) == (100, 2207040)
    ig.create(image_url=url, caption="x" * 2170 + " " + " ".join(f"#t{i}" for i in range(5)))
    ig.create(image_url=url, caption=" ".join(f"#tag{i}" for i in range(30)))
    # Captions on carousel items are ignored, not validated.
    ig.create(image_url=url, is_carousel_item="true", caption="y" * 3000)


def test_image_fetch_errors(ig: Ig) -> None:
    media = ig.media
    cases = {
        MediaHost.unreachable_url(): (9004, 2207052),
        media.missing_url(): (9004, 2207052),
        media.url("photo.png"): (36001, 2207005),
        media.url("notimage.jpg"): (36001, 2207005),
        media.url("big.jpg"): (36000, 2207004),
        media.url("wide.jpg"): (36003, 2207009),
        media.url("tall.jpg"): (36003, 2207009),
    }
    for url, expected in cases.items():
        error = ig.create_error(image_url=url)
        assert (error["code"], error["error_subcode"]) == expected, (url, error)
    unreachable = ig.create_error(image_url=media.missing_url())
    assert unreachable["message"] == "Only photo or video can be accepted as media type."
    assert media.missing_url() in unreachable["error_user_msg"]
    wide = ig.create_error(image_url=media.url("wide.jpg"))
    assert "('1000/500')" in wide["message"]
    # The bounds themselves are accepted: 4:5 and 1.91:1.
    ig.create(image_url=media.url("portrait.jpg"))
    ig.create(image_url=media.url("landscape.jpg"))

    ig.sandbox.update_options(fetch_timeout_seconds=0.3)
    slow = ig.create_error(image_url=media.slow_url("square.jpg", 1.5))
    assert (slow["code"], slow["error_subcode"], slow["is_transient"]) == (-2, 2207003, True)
    assert ig.sandbox.containers() and all(
        c["params"].get("image_url") != media.slow_url("square.jpg", 1.5)
        for c in ig.sandbox.containers()
    )


def test_video_errors_end_in_container_error_by_default(ig: Ig) -> None:
    webm = ig.create(media_type="REELS", video_url=ig.media.url("clip.webm"))
    unreachable = ig.create(media_type="REELS", video_url=MediaHost.unreachable_url("x.mp4"))
    offset = ig.create(media_type="REELS", video_url=ig.media.url("clip.mp4"), thumb_offset="20000")
    assert ig.status(webm)["status_code"] == "IN_PROGRESS"
    ig.clock.advance(5)
    assert ig.status(webm) == {
        "status_code": "ERROR",
        "status": "Error: Media upload has failed with error code 2207026",
        "id": webm,
    }
    assert ig.status(unreachable)["status"].startswith("Error: Media download has failed")
    assert ig.status(offset)["status"].endswith("2207057")
    failed = ig.publish(webm)
    assert error_of(failed)["error_subcode"] == 2207027
    assert ig.sandbox.media() == []


def test_video_errors_in_response_mode(ig: Ig) -> None:
    ig.sandbox.update_options(video_errors="response")
    webm = ig.create_error(media_type="REELS", video_url=ig.media.url("clip.webm"))
    assert (webm["code"], webm["error_subcode"]) == (352, 2207026)
    offset = ig.create_error(
        media_type="REELS", video_url=ig.media.url("clip.mov"), thumb_offset="5000"
    )
    assert (offset["code"], offset["error_subcode"]) == (1, 2207057)
    unreachable = ig.create_error(media_type="REELS", video_url=ig.media.missing_url())
    assert unreachable["error_subcode"] == 2207052
    ok = ig.create(media_type="REELS", video_url=ig.media.url("clip.mov"), thumb_offset="3999")
    assert ig.sandbox.container(ok)["media"][0]["format"] == "mov"


def test_container_expiry(ig: Ig) -> None:
    container = ig.create(image_url=ig.media.url("square.jpg"))
    ig.clock.advance(DAY)
    expired = ig.status(container)
    assert expired["status_code"] == "EXPIRED"
    error = error_of(ig.publish(container))
    assert (error["code"], error["error_subcode"]) == (24, 2207008)
    ig.sandbox.update_options(expired_publish_error="2207020")
    assert error_of(ig.publish(container))["error_subcode"] == 2207020


def test_publishing_quota_rolling_window(ig: Ig) -> None:
    ig.sandbox.update_options(publish_quota_total=2)
    for _ in range(2):
        container = ig.create(image_url=ig.media.url("square.jpg"))
        ig.ready(container)
        assert ig.publish(container).status_code == 200
    blocked = ig.create(image_url=ig.media.url("square.jpg"))
    ig.ready(blocked)
    error = error_of(ig.publish(blocked))
    assert (error["code"], error["error_subcode"]) == (9, 2207042)
    assert ig.status(blocked)["status_code"] == "FINISHED"
    limit = ig.get(f"/{ig.account.id}/content_publishing_limit", fields="quota_usage,config")
    assert limit.json()["data"][0] == {
        "quota_usage": 2,
        "config": {"quota_total": 2, "quota_duration": 86400},
    }
    since = int((START.timestamp()) + 1.5)
    later = ig.get(f"/{ig.account.id}/content_publishing_limit", since=str(since)).json()
    assert later["data"][0]["quota_usage"] == 1

    ig.clock.advance(DAY - 2)
    assert ig.publish(blocked).status_code == 200  # the first post left the window

    ig.sandbox.update_options(publish_quota_total=50)
    exhausted = ig.create(image_url=ig.media.url("square.jpg"))
    ig.ready(exhausted)
    assert ig.sandbox.exhaust_quota(ig.account.id) == 49  # one post left in the window
    assert error_of(ig.publish(exhausted))["error_subcode"] == 2207042
    ig.sandbox.update_ig_user(ig.account.id, publish_quota_total=100)
    assert ig.publish(exhausted).status_code == 200


def test_container_limit_rolling_window(ig: Ig) -> None:
    ig.sandbox.update_options(container_limit=3)
    for _ in range(3):
        ig.create(image_url=ig.media.url("square.jpg"), is_carousel_item="true")
    limited = ig.create_error(image_url=ig.media.url("square.jpg"))
    assert limited["code"] == 9 and "limit of 3" in limited["message"]
    ig.clock.advance(DAY + 1)
    ig.create(image_url=ig.media.url("square.jpg"))


# ---------------------------------------------------------------------- failure knobs


def test_transient_and_unknown_error_knobs(ig: Ig) -> None:
    ig.sandbox.add_failure(preset="server_error", endpoint="media", count=2)
    for _ in range(2):
        response = ig.post(f"/v21.0/{ig.account.id}/media", image_url=ig.media.url("square.jpg"))
        assert response.status_code == 500
        error = error_of(response)
        assert (error["code"], error["error_subcode"], error["is_transient"]) == (-1, 2207001, True)
    container = ig.create(image_url=ig.media.url("square.jpg"))
    ig.ready(container)

    ig.sandbox.add_failure(preset="create_failed", endpoint="media")
    assert error_of(ig.post(f"/{ig.account.id}/media", image_url="x"))["error_subcode"] == 2207032

    ig.sandbox.add_failure(preset="unknown", endpoint="media_publish")
    unknown = error_of(ig.publish(container))
    assert unknown["message"] == "An unknown error occurred" and unknown["is_transient"] is True
    ig.sandbox.add_failure(preset="container_missing", endpoint="media_publish")
    assert error_of(ig.publish(container))["error_subcode"] == 2207008
    ig.sandbox.add_failure(preset="spam", endpoint="media_publish")
    assert error_of(ig.publish(container))["error_subcode"] == 2207051
    assert ig.sandbox.media() == []
    assert ig.publish(container).status_code == 200


def test_error_after_publish_commits_the_post(ig: Ig) -> None:
    """A transient error answered after the post went live: a retry must be refused, and the
    admin listing shows the single post (the product's duplicate-safety test)."""
    container = ig.create(image_url=ig.media.url("square.jpg"), caption="once")
    ig.ready(container)
    ig.sandbox.add_failure(preset="server_error", endpoint="media_publish", after_commit=True)
    response = ig.publish(container)
    assert response.status_code == 500
    assert len(ig.sandbox.media()) == 1
    assert ig.status(container)["status_code"] == "PUBLISHED"
    retry = ig.publish(container)
    assert retry.status_code == 400 and "already been published" in error_of(retry)["message"]
    assert len(ig.sandbox.media()) == 1

    # Publishing the same content through a second container is a duplicate the listing shows.
    second = ig.create(image_url=ig.media.url("square.jpg"), caption="once")
    ig.ready(second)
    ig.publish(second)
    duplicates = ig.sandbox.duplicate_media()
    assert len(duplicates) == 1 and len(duplicates[0]["media_ids"]) == 2

    ig.sandbox.add_failure(preset="create_failed", endpoint="media", after_commit=True)
    before = len(ig.sandbox.containers())
    assert (
        ig.post(f"/{ig.account.id}/media", image_url=ig.media.url("square.jpg")).status_code == 500
    )
    assert len(ig.sandbox.containers()) == before + 1


def test_account_state_and_throttling_knobs(ig: Ig) -> None:
    container = ig.create(image_url=ig.media.url("square.jpg"))
    ig.ready(container)
    ig.sandbox.update_ig_user(ig.account.id, restricted=True)
    restricted = error_of(ig.publish(container))
    assert (restricted["code"], restricted["error_subcode"]) == (25, 2207050)
    assert ig.create_error(image_url=ig.media.url("square.jpg"))["error_subcode"] == 2207050
    ig.sandbox.update_ig_user(ig.account.id, restricted=False, spam_flagged=True)
    assert error_of(ig.publish(container))["error_subcode"] == 2207051
    ig.sandbox.update_ig_user(ig.account.id, spam_flagged=False)

    ig.sandbox.add_failure(preset="throttle_buc", endpoint="container_status")
    throttled = ig.get(f"/{container}", fields="status_code")
    assert error_of(throttled)["code"] == 80002
    usage = json.loads(throttled.headers["x-business-use-case-usage"])
    assert usage[ig.account.id][0]["type"] == "instagram"
    assert usage[ig.account.id][0]["call_count"] == 100
    for preset, code in (("throttle_app", 4), ("throttle_user", 17), ("throttle_page", 32)):
        ig.sandbox.add_failure(preset=preset)
        assert error_of(ig.publish(container))["code"] == code

    ig.sandbox.add_failure(preset="quota", endpoint="media_publish")
    assert error_of(ig.publish(container))["error_subcode"] == 2207042

    # The real business-use-case counter.
    ig.sandbox.update_options(buc_calls_per_hour=3)
    ig.sandbox.reset()
    path = f"/{ig.account.id}/content_publishing_limit"
    token = ig.sandbox.issue_token(ig_user_id=ig.account.id)["access_token"]
    seen = [ig.get(path, token) for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 400]
    assert (
        json.loads(seen[1].headers["x-business-use-case-usage"])[ig.account.id][0]["call_count"]
        == 66
    )
    assert error_of(seen[3])["code"] == 80002
    ig.clock.advance(HOUR)
    assert ig.get(path, token).status_code == 200


def test_container_error_knob_for_next_video(ig: Ig) -> None:
    ig.sandbox.add_failure(
        kind="container_error", status_text="Error: Media upload has failed with error code 2207082"
    )
    image = ig.create(image_url=ig.media.url("square.jpg"))
    video = ig.create(media_type="REELS", video_url=ig.media.url("clip.mp4"))
    second = ig.create(media_type="REELS", video_url=ig.media.url("clip.mp4"))
    ig.clock.advance(5)
    assert ig.status(image)["status_code"] == "FINISHED"
    assert ig.status(video)["status"] == "Error: Media upload has failed with error code 2207082"
    assert ig.status(second)["status_code"] == "FINISHED"
    assert ig.sandbox.failures() == []


# ---------------------------------------------------------------------- HTTP details & admin


def test_version_prefix_query_params_and_unknown_paths(ig: Ig) -> None:
    url = ig.media.url("square.jpg")
    via_query = ig.http.post(
        f"/{ig.account.id}/media", params={"access_token": ig.token, "image_url": url}
    )
    assert via_query.status_code == 200
    via_app_scoped_id = ig.http.post(
        f"/v19.0/{ig.account.app_scoped_id}/media",
        params={"image_url": url},
        headers={"Authorization": f"OAuth {ig.token}"},
    )
    assert via_app_scoped_id.status_code == 200
    via_me = ig.post("/v22.0/me/media", image_url=url)
    assert via_me.status_code == 200
    unknown = ig.get("/v21.0/123/nothing_here")
    assert (error_of(unknown)["code"], error_of(unknown)["error_subcode"]) == (100, 33)
    log = ig.sandbox.requests_log(endpoint="media")
    assert len(log) == 3 and all(entry["ig_user_id"] == ig.account.id for entry in log)


def test_admin_http_api(ig: Ig) -> None:
    admin = ig.http
    state = admin.get("/__sandbox/state").json()
    assert state["manual_clock"] is True and state["ig_users"] == 1

    app = admin.post(
        "/__sandbox/apps", json={"name": "second app", "redirect_uris": [REDIRECT]}
    ).json()
    assert app["client_id"] and app["client_secret"]
    user = admin.post("/__sandbox/ig_users", json={"username": "admin_made"}).json()
    fb_user = admin.post("/__sandbox/fb_users", json={"name": "Admin Person"}).json()
    page = admin.post(
        "/__sandbox/pages",
        json={"name": "Admin Page", "ig_user_id": user["id"], "managers": [fb_user["id"]]},
    ).json()
    assert page["ig_user_id"] == user["id"]
    bad_page = admin.post("/__sandbox/pages", json={"ig_user_id": "999"})
    assert bad_page.status_code == 400
    token = admin.post(
        "/__sandbox/tokens", json={"ig_user_id": user["id"], "app_id": app["client_id"]}
    ).json()
    assert token["kind"] == "ig_long"

    created = ig.create(
        token["access_token"], user=user["id"], image_url=ig.media.url("square.jpg")
    )
    containers = admin.get("/__sandbox/containers", params={"ig_user_id": user["id"]}).json()
    assert [c["id"] for c in containers] == [created]
    assert (
        containers[0]["status_code"] == "IN_PROGRESS" and containers[0]["media"][0]["width"] == 1080
    )
    advanced = admin.post("/__sandbox/clock/advance", json={"seconds": 2}).json()
    assert advanced["now"] == "2026-03-02T09:00:02.000Z"
    assert admin.get(f"/__sandbox/containers/{created}").json()["status_code"] == "FINISHED"
    assert admin.post("/__sandbox/clock/advance", json={}).status_code == 400
    # a body that does not fit the call is the caller's mistake: 400 with the reason
    unfit = (
        ("/__sandbox/tokens", {"ig_user_id": user["id"], "zzz": 1}),
        ("/__sandbox/failures", {"rule": {}}),
    )
    for path, wrong in unfit:
        answer = admin.post(path, json=wrong)
        assert answer.status_code == 400 and answer.json()["message"], (path, answer.text)

    rule = admin.post(
        "/__sandbox/failures", json={"preset": "unknown", "endpoint": "media_publish"}
    )
    assert rule.status_code == 201 and rule.json()["code"] == 1
    assert admin.post("/__sandbox/failures", json={"preset": "nope"}).status_code == 400
    assert len(admin.get("/__sandbox/failures").json()) == 1
    assert admin.delete("/__sandbox/failures").json() == {"cleared": True}

    published = ig.publish(created, token["access_token"])
    assert published.status_code == 400  # another account's container: not found for this user
    ok = ig.http.post(
        f"/{user['id']}/media_publish",
        params={"access_token": token["access_token"], "creation_id": created},
    )
    assert ok.status_code == 200
    media = admin.get("/__sandbox/media", params={"ig_user_id": user["id"]}).json()
    assert [m["id"] for m in media] == [ok.json()["id"]]
    assert admin.get("/__sandbox/media/duplicates").json() == []

    exhausted = admin.post(f"/__sandbox/ig_users/{user['id']}/exhaust_quota", json={}).json()
    assert exhausted == {"recorded": 99}
    revoked = admin.post(
        "/__sandbox/tokens/revoke", json={"subject": user["id"], "reason": "checkpoint"}
    ).json()
    assert revoked == {"revoked": 1}
    assert error_of(ig.get("/me", token["access_token"]))["error_subcode"] == 459

    patched = admin.patch("/__sandbox/options", json={"publish_quota_total": 50})
    assert patched.json()["publish_quota_total"] == 50
    assert admin.patch("/__sandbox/options", json={"publish_quota_total": -1}).status_code == 400
    assert admin.patch("/__sandbox/options", json={"nope": 1}).status_code == 400
    requests = admin.get("/__sandbox/requests", params={"endpoint": "media_publish"}).json()
    assert [r["status"] for r in requests] == [400, 200]
    assert admin.get("/__sandbox/unknown").status_code == 404

    assert admin.post("/__sandbox/reset", json={"keep_config": False}).json() == {"reset": True}
    assert admin.get("/__sandbox/state").json()["ig_users"] == 1
    assert admin.get("/__sandbox/containers").json() == []
    assert admin.get("/__sandbox/options").json() == InstagramOptions().model_dump(mode="json")


# ---------------------------------------------------------------------- insights and counters

METRICS = "views,reach,saved,shares,likes,comments,total_interactions"


def _published_image(ig: Ig, caption: str = "One slide #tips") -> str:
    container = ig.create(image_url=ig.media.url("square.jpg"), caption=caption)
    ig.ready(container)
    response = ig.publish(container)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _insights(ig: Ig, media_id: str, token: str | None = None) -> dict[str, int]:
    response = ig.get(f"/v22.0/{media_id}/insights", token, metric=METRICS)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    for entry in data:
        assert entry["period"] == "lifetime"
        assert entry["id"] == f"{media_id}/insights/{entry['name']}/lifetime"
        assert entry["title"] and entry["description"]
    return {entry["name"]: entry["values"][0]["value"] for entry in data}


def test_insights_grow_with_the_clock_and_match_the_media_fields(ig: Ig) -> None:
    ig.sandbox.update_options(metrics_seed=5, media_list_delay_seconds=0)
    first, second = _published_image(ig), _published_image(ig, "Two")
    ig.clock.advance(HOUR)
    hour = _insights(ig, first)
    assert list(hour) == METRICS.split(",")
    ig.clock.advance(2 * DAY)
    later = _insights(ig, first)
    assert 0 < hour["views"] < later["views"]
    for name in METRICS.split(","):
        assert hour[name] <= later[name]
    assert later["reach"] < later["views"]
    assert later["total_interactions"] == (
        later["likes"] + later["comments"] + later["saved"] + later["shares"]
    )
    assert _insights(ig, second)["views"] != later["views"]  # posts perform differently
    fields = ig.get(f"/v22.0/{first}", fields="like_count,comments_count").json()
    assert (fields["like_count"], fields["comments_count"]) == (later["likes"], later["comments"])
    listed = ig.get(f"/v22.0/{ig.account.id}/media", fields="id,like_count").json()["data"]
    assert {m["id"]: m["like_count"] for m in listed}[first] == later["likes"]
    user = ig.get(f"/v22.0/{ig.account.id}", fields="followers_count,follows_count,media_count")
    assert user.json()["media_count"] == 2
    assert user.json()["followers_count"] >= ig.account.followers_count
    # The same seed and clock give the same numbers; another seed other ones.
    assert _insights(ig, first) == later
    ig.sandbox.update_options(metrics_seed=6)
    assert _insights(ig, first)["views"] != later["views"]


def test_insights_refusals(ig: Ig) -> None:
    media_id = _published_image(ig)
    for name in ("impressions", "plays", "video_views"):
        old = ig.get(f"/v22.0/{media_id}/insights", metric=f"views,{name}")
        assert old.status_code == 400
        error = error_of(old)
        assert error["code"] == 100 and "no longer supported" in error["message"]
        assert name in error["message"]
    unknown = ig.get(f"/v22.0/{media_id}/insights", metric="follows_and_unfollows")
    assert error_of(unknown)["code"] == 100
    assert error_of(ig.get(f"/v22.0/{media_id}/insights"))["code"] == 100  # metric required
    assert error_of(ig.get("/v22.0/17890000000000404/insights", metric="views"))["code"] == 100
    narrow = ig.sandbox.issue_token(ig_user_id=ig.account.id, scopes=["instagram_business_basic"])
    refused = ig.get(f"/v22.0/{media_id}/insights", narrow["access_token"], metric="views")
    assert refused.status_code == 403
    assert error_of(refused)["code"] == 10
    fb = ig.sandbox.issue_token(fb_user_id=ig.fb_user.id)["access_token"]
    assert ig.get(f"/v22.0/{media_id}/insights", fb, metric="views").status_code == 200
    fb_narrow = ig.sandbox.issue_token(
        fb_user_id=ig.fb_user.id, scopes=["instagram_basic", "pages_show_list"]
    )["access_token"]
    assert error_of(ig.get(f"/v22.0/{media_id}/insights", fb_narrow, metric="views"))["code"] == 10


def test_carousel_children_have_no_insights(ig: Ig) -> None:
    children = [
        ig.create(image_url=ig.media.url(name), is_carousel_item="true")
        for name in ("square.jpg", "square2.jpg")
    ]
    ig.clock.advance(1)
    parent = ig.create(media_type="CAROUSEL", children=",".join(children))
    ig.ready(parent)
    album = ig.publish(parent).json()["id"]
    ig.clock.advance(DAY)
    assert _insights(ig, album)["views"] > 0
    child_ids = [c["id"] for c in ig.get(f"/v22.0/{album}/children").json()["data"]]
    refused = ig.get(f"/v22.0/{child_ids[0]}/insights", metric="views")
    assert refused.status_code == 400
    assert "album child" in error_of(refused)["message"]


def test_reel_streams_are_checked_like_meta(ig: Ig) -> None:
    from tests.sandbox.videos import good_mp4, tiny_mp4, vp9_mp4

    ig.media.files["good.mp4"] = (good_mp4(), "video/mp4")
    ig.media.files["tiny.mp4"] = (tiny_mp4(), "video/mp4")
    ig.media.files["vp9.mp4"] = (vp9_mp4(), "video/mp4")
    good = ig.create(media_type="REELS", video_url=ig.media.url("good.mp4"))
    tiny = ig.create(media_type="REELS", video_url=ig.media.url("tiny.mp4"))
    vp9 = ig.create(media_type="REELS", video_url=ig.media.url("vp9.mp4"))
    ig.clock.advance(5)
    assert ig.status(good)["status_code"] == "FINISHED"
    for refused in (tiny, vp9):
        assert ig.status(refused) == {
            "status_code": "ERROR",
            "status": "Error: Media upload has failed with error code 2207026",
            "id": refused,
        }
    ig.sandbox.update_options(video_errors="response")
    answer = ig.create_error(media_type="REELS", video_url=ig.media.url("vp9.mp4"))
    assert (answer["code"], answer["error_subcode"]) == (352, 2207026)
    assert "vp9, not H.264 or HEVC" in answer["error_user_msg"]
