"""The Pinterest API v5 sandbox over real HTTP: OAuth with Basic auth and rotating
continuous refresh tokens, boards, image/carousel/video pins, the S3-style upload, media
states with a ManualClock, validation errors, rate limits, trial mode, failure knobs (5xx
after the pin was stored) and the admin API. Media is served by a second loopback app."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from platform_sandbox.pinterest import PinterestOptions, PinterestSandbox, create_app
from platform_sandbox.server import RunningServer, serve_in_thread
from slideforge.kit.clock import ManualClock
from tests.sandbox.social_media_host import MediaHost, image_bytes, running_media_host

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
REDIRECT = "https://app.slideforge.test/oauth/pinterest/callback"
DAY = 86_400.0
ALL_SCOPES = "boards:read,boards:write,pins:read,pins:write,user_accounts:read"


@pytest.fixture(scope="module")
def pin_media() -> Iterator[MediaHost]:
    with running_media_host() as host:
        yield host


@pytest.fixture(scope="module")
def pin_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
def pin_server(pin_clock: ManualClock) -> Iterator[tuple[PinterestSandbox, RunningServer]]:
    sandbox = PinterestSandbox(clock=pin_clock)
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running
    running.stop()


class Pn:
    def __init__(
        self, http: httpx.Client, sandbox: PinterestSandbox, clock: ManualClock, media: MediaHost
    ) -> None:
        self.http = http
        self.sandbox = sandbox
        self.clock = clock
        self.media = media
        self.app = sandbox.apps()[0]
        self.user = sandbox.users()[0]
        self.token = sandbox.issue_tokens(self.user.id)["access_token"]
        self.board = sandbox.boards(self.user.id)[0]["id"]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers(token))

    def post(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers(token))

    def pin(
        self, media_source: dict[str, Any], token: str | None = None, **fields: Any
    ) -> httpx.Response:
        body = {"board_id": self.board, "media_source": media_source, **fields}
        return self.post("/v5/pins", body, token)

    def image_pin(self, name: str = "square.jpg", **fields: Any) -> httpx.Response:
        return self.pin({"source_type": "image_url", "url": self.media.url(name)}, **fields)

    def token_request(
        self, form: dict[str, str], auth: tuple[str, str] | None = None
    ) -> httpx.Response:
        return self.http.post(
            "/v5/oauth/token", data=form, auth=auth or (self.app.client_id, self.app.client_secret)
        )

    def authorize_code(self, **params: str) -> str:
        query = {
            "client_id": self.app.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": ALL_SCOPES,
            "state": "st",
            **params,
        }
        response = self.http.get("/oauth/", params=query)
        assert response.status_code == 302, response.text
        return query_of(response.headers["location"])["code"]


@pytest.fixture
def pn(
    pin_server: tuple[PinterestSandbox, RunningServer], pin_clock: ManualClock, pin_media: MediaHost
) -> Iterator[Pn]:
    sandbox, running = pin_server
    pin_clock.set(START)
    sandbox.reset(keep_config=False)
    sandbox.update_app(sandbox.apps()[0].client_id, redirect_uris=[REDIRECT])
    with httpx.Client(base_url=running.base_url, timeout=15) as http:
        yield Pn(http, sandbox, pin_clock, pin_media)


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message"}
    return str(body["message"])


# ---------------------------------------------------------------------- OAuth


def test_oauth_basic_auth_code_exchange_and_rotating_refresh(pn: Pn) -> None:
    code = pn.authorize_code()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}

    no_auth = pn.http.post("/v5/oauth/token", data=form)
    assert error(no_auth, 401, 2) == "Authentication failed."
    wrong = pn.token_request(form, auth=(pn.app.client_id, "wrong-secret"))
    error(wrong, 401, 2)
    as_json = pn.http.post(
        "/v5/oauth/token", json=form, auth=(pn.app.client_id, pn.app.client_secret)
    )
    assert "grant_type" in error(as_json, 400, 1)
    mismatch = pn.token_request({**form, "redirect_uri": REDIRECT + "/x"})
    error(mismatch, 400, 283)

    issued = pn.token_request(form)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["access_token"].startswith("pina_") and body["refresh_token"].startswith("pinr_")
    assert body["token_type"] == "bearer" and body["response_type"] == "authorization_code"
    assert body["expires_in"] == 2_592_000 and body["refresh_token_expires_in"] == 5_184_000
    assert body["refresh_token_expires_at"] == int(START.timestamp() + 5_184_000)
    assert body["scope"] == ALL_SCOPES.replace(",", " ")
    assert (
        error(pn.token_request(form), 400, 283) == "The authorization code has already been used."
    )

    pn.clock.advance(59 * DAY)
    refreshed = pn.token_request(
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["response_type"] == "refresh_token"
    assert second["refresh_token"] != body["refresh_token"]
    assert second["refresh_token_expires_at"] == int(START.timestamp() + 59 * DAY + 5_184_000)
    reuse = pn.token_request(
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert "already been used" in error(reuse, 400, 283)

    # The first access token died after 30 days; the new one works.
    assert error(pn.get("/v5/user_account", body["access_token"]), 401, 2)
    assert pn.get("/v5/user_account", second["access_token"]).status_code == 200

    narrower = pn.token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "scope": "pins:read",
        }
    )
    assert narrower.json()["scope"] == "pins:read"
    broader = pn.token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": narrower.json()["refresh_token"],
            "scope": "pins:read,ads:write",
        }
    )
    error(broader, 400, 1)

    # Continuous: another 59 days later the latest refresh token still works; 61 days without a
    # refresh and it is gone.
    latest = narrower.json()["refresh_token"]
    pn.clock.advance(61 * DAY)
    expired = pn.token_request({"grant_type": "refresh_token", "refresh_token": latest})
    assert error(expired, 400, 283) == "The refresh token has expired."


def test_refresh_options_legacy_apps_and_revocation(pn: Pn) -> None:
    tokens = pn.sandbox.issue_tokens(pn.user.id)
    pn.sandbox.update_options(keep_old_refresh_token=True)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert pn.token_request(refresh).status_code == 200
    assert pn.token_request(refresh).status_code == 200

    pn.sandbox.update_app(pn.app.client_id, continuous_refresh_default=False)
    legacy = pn.token_request(refresh)
    assert "continuous_refresh=true" in error(legacy, 400, 1)
    assert pn.token_request({**refresh, "continuous_refresh": "true"}).status_code == 200

    pn.sandbox.revoke_user(pn.user.id)
    error(pn.token_request({**refresh, "continuous_refresh": "true"}), 400, 283)
    error(pn.get("/v5/user_account", tokens["access_token"]), 401, 2)


def test_authorize_validation(pn: Pn) -> None:
    base = {
        "client_id": pn.app.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": ALL_SCOPES,
        "state": "st",
    }
    error(pn.http.get("/oauth/", params={**base, "client_id": "999"}), 400, 1)
    assert "redirect_uri" in error(
        pn.http.get("/oauth/", params={**base, "redirect_uri": "https://evil.test/"}), 400, 1
    )
    assert "nope:read" in error(
        pn.http.get("/oauth/", params={**base, "scope": "pins:read,nope:read"}), 400, 1
    )
    denied = pn.http.get("/oauth/", params={**base, "sandbox_decision": "deny"})
    assert query_of(denied.headers["location"]) == {"error": "access_denied", "state": "st"}

    other = pn.sandbox.add_user(username="second_pinner")
    code = pn.authorize_code(sandbox_user="second_pinner", sandbox_scopes="pins:read,boards:read")
    tokens = pn.token_request(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    ).json()
    assert tokens["scope"] == "boards:read pins:read"
    account = pn.get("/v5/user_account", tokens["access_token"])
    assert error(account, 401, 29) == "You are not permitted to access that resource."
    boards = pn.get("/v5/boards", tokens["access_token"]).json()["items"]
    assert [board["owner"]["username"] for board in boards] == [other.username]


# ---------------------------------------------------------------------- account & boards


def test_user_account_and_token_errors(pn: Pn) -> None:
    account = pn.get("/v5/user_account")
    assert account.status_code == 200
    body = account.json()
    assert body["id"] == pn.user.id and body["username"] == pn.user.username
    assert body["account_type"] == "BUSINESS" and body["board_count"] == 1
    assert int(account.headers["x-ratelimit-remaining"]) == 999
    error(pn.http.get("/v5/user_account"), 401, 2)
    error(pn.get("/v5/user_account", "pina_unknown"), 401, 2)
    pn.sandbox.expire_access_tokens(pn.user.id)
    error(pn.get("/v5/user_account"), 401, 2)
    error(pn.get("/v5/nothing"), 404, 404)


def test_boards_paging_privacy_and_creation(pn: Pn) -> None:
    for number in range(4):
        created = pn.post("/v5/boards", {"name": f"Board {number}", "description": "d"})
        assert created.status_code == 201, created.text
        assert created.json()["privacy"] == "PUBLIC"
    duplicate = pn.post("/v5/boards", {"name": "board 1"})
    assert "different name" in error(duplicate, 400, 58)
    error(pn.post("/v5/boards", {"description": "no name"}), 400, 1)
    public_only = pn.sandbox.issue_tokens(pn.user.id, scopes=["boards:read", "boards:write"])
    secret = pn.post(
        "/v5/boards", {"name": "Secret", "privacy": "SECRET"}, public_only["access_token"]
    )
    error(secret, 401, 29)

    seen: list[str] = []
    bookmark: str | None = None
    while True:
        params = {"page_size": "2", **({"bookmark": bookmark} if bookmark else {})}
        page = pn.get("/v5/boards", **params).json()
        seen.extend(board["name"] for board in page["items"])
        assert len(page["items"]) <= 2
        bookmark = page["bookmark"]
        if bookmark is None:
            break
    assert seen == ["Sandbox board", "Board 0", "Board 1", "Board 2", "Board 3"]
    assert "maximum 250" in error(pn.get("/v5/boards", page_size="251"), 400, 1)
    assert error(pn.get("/v5/boards", page_size="3e"), 400, 1) == (
        "Parameter 'page_size' was not numeric (was 3e)"
    )
    error(pn.get("/v5/boards", bookmark="garbage!"), 400, 1)
    assert len(pn.get("/v5/boards", page_size="250").json()["items"]) == 5

    secret_token = pn.sandbox.issue_tokens(pn.user.id)["access_token"]  # every scope
    made = pn.post("/v5/boards", {"name": "Secret", "privacy": "SECRET"}, secret_token)
    assert made.status_code == 201
    narrow = pn.sandbox.issue_tokens(pn.user.id, scopes=["boards:read"])["access_token"]
    names = [b["name"] for b in pn.get("/v5/boards", narrow, page_size="250").json()["items"]]
    assert "Secret" not in names
    only_secret = pn.get("/v5/boards", secret_token, privacy="SECRET").json()["items"]
    assert [board["name"] for board in only_secret] == ["Secret"]
    error(pn.get(f"/v5/boards/{made.json()['id']}", narrow), 404, 40)
    assert pn.get(f"/v5/boards/{pn.board}").json()["name"] == "Sandbox board"


# ---------------------------------------------------------------------- image pins


def test_image_url_pin_is_created_and_readable(pn: Pn) -> None:
    hits = pn.media.hits["portrait.jpg"]
    created = pn.image_pin(
        "portrait.jpg",
        title="A title",
        description="A description",
        link="https://shop.example/item",
        alt_text="alt",
        dominant_color="#aabbcc",
    )
    assert created.status_code == 201, created.text
    assert pn.media.hits["portrait.jpg"] == hits + 1
    pin = created.json()
    assert pin["id"].isdigit() and pin["board_id"] == pn.board
    assert pin["created_at"] == "2026-03-02T09:00:00"
    assert pin["media"]["media_type"] == "image"
    assert pin["media"]["images"]["600x"] == {
        "width": 600,
        "height": 750,
        "url": f"https://i.pinimg.com/600x/sandbox/{pin['id']}-0.jpg",
    }
    assert pin["title"] == "A title" and pin["creative_type"] == "REGULAR"

    fetched = pn.get(f"/v5/pins/{pin['id']}")
    assert fetched.json() == pin
    error(pn.get("/v5/pins/123456"), 404, 50)
    stranger = pn.sandbox.add_user(username="stranger")
    stranger_token = pn.sandbox.issue_tokens(stranger.id)["access_token"]
    error(pn.get(f"/v5/pins/{pin['id']}", stranger_token), 404, 50)

    listed = pn.sandbox.pins(board_id=pn.board)
    assert [(p["id"], p["title"], p["media_sources"]) for p in listed] == [
        (pin["id"], "A title", [pn.media.url("portrait.jpg")])
    ]
    assert listed[0]["visible_only_to_creator"] is False


def test_pin_field_validation(pn: Pn) -> None:
    square = {"source_type": "image_url", "url": pn.media.url("square.jpg")}
    bad_board = pn.post("/v5/pins", {"board_id": "my-board", "media_source": square})
    assert "does not match '^\\\\d+$'" in error(bad_board, 400, 1)
    missing = pn.post("/v5/pins", {"board_id": "999", "media_source": square})
    assert error(missing, 404, 40) == "Board not found."
    stranger = pn.sandbox.add_user(username="stranger")
    foreign_board = pn.sandbox.boards(stranger.id)[0]["id"]
    error(pn.post("/v5/pins", {"board_id": foreign_board, "media_source": square}), 404, 40)

    assert "maxLength=100" in error(pn.pin(square, title="t" * 101), 400, 1)
    assert "maxLength=800" in error(pn.pin(square, description="d" * 801), 400, 1)
    assert "maxLength=500" in error(pn.pin(square, alt_text="a" * 501), 400, 1)
    assert "maxLength=2048" in error(pn.pin(square, link="https://x.test/" + "l" * 2040), 400, 1)
    assert error(pn.pin(square, link="not a url"), 400, 1).startswith("Whoops!")
    error(pn.pin(square, dominant_color="red"), 400, 1)
    error(pn.pin(square, board_section_id="123"), 404, 2031)
    error(pn.post("/v5/pins", {"board_id": pn.board}), 400, 1)
    error(pn.pin({"source_type": "gif_url", "url": "x"}), 400, 1)
    assert "beta" in error(pn.pin({"source_type": "pin_url", "url": "x"}), 400, 1)
    error(pn.http.post("/v5/pins", content=b"{nope", headers=pn.headers()), 400, 1)
    pn.pin(square, title="t" * 100, description="d" * 800, link="https://x.test/" + "l" * 2033)
    assert len(pn.sandbox.pins()) == 1


def test_image_fetch_failures_store_nothing(pn: Pn) -> None:
    unreachable = pn.pin({"source_type": "image_url", "url": MediaHost.unreachable_url()})
    assert error(unreachable, 400, 1).startswith("Unable to reach the URL")
    not_found = pn.pin({"source_type": "image_url", "url": pn.media.missing_url()})
    assert error(not_found, 400, 1) == "Sorry we could not fetch the image."
    broken = pn.pin({"source_type": "image_url", "url": pn.media.url("notimage.jpg")})
    assert error(broken, 403, 235).startswith("Sorry, this image is broken")
    pn.sandbox.update_options(fetch_timeout_seconds=0.3)
    slow = pn.pin({"source_type": "image_url", "url": pn.media.slow_url("square.jpg", 1.5)})
    assert error(slow, 400, 1).startswith("Unable to reach the URL")
    pn.sandbox.update_options(image_max_bytes=1000)
    error(pn.image_pin("square.jpg"), 400, 1)
    assert pn.sandbox.pins() == []


def test_base64_and_carousel_pins(pn: Pn) -> None:
    png = base64.b64encode(image_bytes(600, 900, "PNG")).decode()
    created = pn.pin({"source_type": "image_base64", "content_type": "image/png", "data": png})
    assert created.status_code == 201, created.text
    error(
        pn.pin({"source_type": "image_base64", "content_type": "image/jpeg", "data": png}), 403, 235
    )
    error(pn.pin({"source_type": "image_base64", "content_type": "image/gif", "data": png}), 400, 1)
    error(
        pn.pin({"source_type": "image_base64", "content_type": "image/png", "data": "%%%"}), 400, 1
    )

    def items(*names: str) -> dict[str, Any]:
        return {
            "source_type": "multiple_image_urls",
            "items": [{"url": pn.media.url(name), "title": name} for name in names],
        }

    assert "constraint: minItems=2" in error(pn.pin(items("square.jpg")), 400, 1)
    assert "constraint: maxItems=5" in error(pn.pin(items(*["square.jpg"] * 6)), 400, 1)
    carousel = pn.pin(items("square.jpg", "square2.jpg", "half.jpg"), title="Slides")
    assert carousel.status_code == 201, carousel.text
    media = carousel.json()["media"]
    assert media["media_type"] == "multiple_images"
    assert [item["title"] for item in media["items"]] == ["square.jpg", "square2.jpg", "half.jpg"]
    assert carousel.json()["creative_type"] == "CAROUSEL"
    mixed = pn.pin(items("square.jpg", "portrait.jpg"))
    assert error(mixed, 400, 1) == "Pinterest Images must have the same width/height ratios."

    pn.sandbox.update_options(multiple_images_check="same_dimensions")
    error(pn.pin(items("square.jpg", "half.jpg")), 400, 1)
    pn.sandbox.update_options(multiple_images_check="off")
    assert pn.pin(items("square.jpg", "portrait.jpg")).status_code == 201

    jpeg = base64.b64encode(image_bytes(500, 500)).decode()
    b64_carousel = pn.pin(
        {
            "source_type": "multiple_image_base64",
            "items": [{"content_type": "image/jpeg", "data": jpeg}] * 2,
        }
    )
    assert b64_carousel.status_code == 201
    assert [p["source_type"] for p in pn.sandbox.pins()] == [
        "image_base64",
        "multiple_image_urls",
        "multiple_image_urls",
        "multiple_image_base64",
    ]


# ---------------------------------------------------------------------- video pins


def upload(pn: Pn, registered: dict[str, Any], data: bytes, **overrides: str) -> httpx.Response:
    fields = {**registered["upload_parameters"], **overrides}
    files: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = [
        (name, (None, value, None)) for name, value in fields.items()
    ]
    files.append(("file", ("clip.mp4", data, "video/mp4")))
    return httpx.post(registered["upload_url"], files=files, timeout=15)


def test_video_media_upload_states_and_video_pin(pn: Pn) -> None:
    error(pn.post("/v5/media", {"media_type": "image"}), 400, 1)
    registered = pn.post("/v5/media", {"media_type": "video"})
    assert registered.status_code == 201, registered.text
    media = registered.json()
    assert media["media_type"] == "video" and media["media_id"].isdigit()
    assert media["upload_url"].endswith("/pinterest-media-upload/")
    assert set(media["upload_parameters"]) == {
        "x-amz-date",
        "x-amz-signature",
        "x-amz-security-token",
        "x-amz-algorithm",
        "key",
        "policy",
        "x-amz-credential",
        "Content-Type",
    }
    status_path = f"/v5/media/{media['media_id']}"
    assert pn.get(status_path).json() == {
        "media_id": media["media_id"],
        "media_type": "video",
        "status": "registered",
    }
    video = pn.media.files["clip.mp4"][0]

    tampered = upload(pn, media, video, **{"x-amz-credential": "forged"})
    assert tampered.status_code == 403 and "<Code>AccessDenied</Code>" in tampered.text
    forged = upload(pn, media, video, policy="e30=")
    assert forged.status_code == 403 and "SignatureDoesNotMatch" in forged.text
    no_file = httpx.post(
        media["upload_url"],
        files=[(k, (None, v, None)) for k, v in media["upload_parameters"].items()],
        timeout=15,
    )
    assert no_file.status_code == 400 and "exactly one file" in no_file.text
    # Fields after the file are ignored by S3: the upload then lacks them.
    late = [("file", ("clip.mp4", video, "video/mp4"))] + [
        (k, (None, v, None)) for k, v in media["upload_parameters"].items()
    ]
    assert httpx.post(media["upload_url"], files=late, timeout=15).status_code == 400
    raw = httpx.post(media["upload_url"], content=video, timeout=15)
    assert raw.status_code == 412

    cover = {"cover_image_url": pn.media.url("portrait.jpg")}
    source = {"source_type": "video_id", "media_id": media["media_id"], **cover}
    assert "status: registered" in error(pn.pin(source), 400, 1)

    done = upload(pn, media, video)
    assert done.status_code == 204 and done.headers["etag"]
    assert pn.get(status_path).json()["status"] == "processing"
    assert "status: processing" in error(pn.pin(source), 400, 1)
    pn.clock.advance(5)
    assert pn.get(status_path).json()["status"] == "succeeded"

    no_cover = pn.pin({"source_type": "video_id", "media_id": media["media_id"]})
    assert "cover_image_url" in error(no_cover, 400, 1)
    bad_cover = pn.pin({**source, "cover_image_url": pn.media.missing_url()})
    assert error(bad_cover, 400, 1) == "Sorry we could not fetch the image."
    pin = pn.pin(source, title="Video")
    assert pin.status_code == 201, pin.text
    assert pin.json()["media"]["media_type"] == "video"
    assert pin.json()["media"]["cover_image_url"] == pn.media.url("portrait.jpg")
    key_frame = pn.pin(
        {"source_type": "video_id", "media_id": media["media_id"], "cover_image_key_frame_time": 2}
    )
    assert key_frame.status_code == 201
    assert [p["media_id"] for p in pn.sandbox.pins()] == [media["media_id"]] * 2

    stranger = pn.sandbox.add_user(username="stranger")
    stranger_token = pn.sandbox.issue_tokens(stranger.id)["access_token"]
    assert error(pn.get(status_path, stranger_token), 404, 404) == "Media upload not found"


def test_video_failures_and_upload_expiry(pn: Pn) -> None:
    webm = pn.post("/v5/media", {"media_type": "video"}).json()
    assert upload(pn, webm, pn.media.files["clip.webm"][0]).status_code == 204
    pn.sandbox.add_failure(kind="media_failed")
    forced = pn.post("/v5/media", {"media_type": "video"}).json()
    assert upload(pn, forced, pn.media.files["clip.mp4"][0]).status_code == 204
    fine = pn.post("/v5/media", {"media_type": "video"}).json()
    assert upload(pn, fine, pn.media.files["clip.mov"][0]).status_code == 204
    pn.clock.advance(5)
    statuses = [pn.get(f"/v5/media/{m['media_id']}").json()["status"] for m in (webm, forced, fine)]
    assert statuses == ["failed", "failed", "succeeded"]
    failed_pin = pn.pin(
        {"source_type": "video_id", "media_id": webm["media_id"], "cover_image_key_frame_time": 0}
    )
    assert "status: failed" in error(failed_pin, 400, 1)

    late = pn.post("/v5/media", {"media_type": "video"}).json()
    pn.clock.advance(3601)
    expired = upload(pn, late, pn.media.files["clip.mp4"][0])
    assert expired.status_code == 403 and "Policy expired" in expired.text
    pn.sandbox.add_failure(preset="unavailable", endpoint="upload")
    retry_later = pn.post("/v5/media", {"media_type": "video"}).json()
    slow_down = upload(pn, retry_later, pn.media.files["clip.mp4"][0])
    assert slow_down.status_code == 503 and "<Code>SlowDown</Code>" in slow_down.text


# ---------------------------------------------------------------------- limits & knobs


def test_standard_rate_limits_per_category(pn: Pn) -> None:
    pn.sandbox.update_options(standard_limits_per_minute={"org_write": 3, "org_read": 1000})
    for number in range(3):
        response = pn.image_pin(title=f"pin {number}")
        assert response.status_code == 201
        assert response.headers["x-ratelimit-remaining"] == str(2 - number)
    limited = pn.image_pin(title="one too many")
    assert error(limited, 429, 8).startswith("This request exceeded a rate limit.")
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["retry-after"]) == 60
    assert pn.get("/v5/boards").status_code == 200  # org_read counts separately
    other = pn.sandbox.add_user(username="other_user")
    other_token = pn.sandbox.issue_tokens(other.id)["access_token"]
    other_board = pn.sandbox.boards(other.id)[0]["id"]
    other_pin = pn.post(
        "/v5/pins",
        {
            "board_id": other_board,
            "media_source": {"source_type": "image_url", "url": pn.media.url("square.jpg")},
        },
        other_token,
    )
    assert other_pin.status_code == 201  # per user per app
    pn.clock.advance(60)
    assert pn.image_pin(title="after a minute").status_code == 201
    assert len(pn.sandbox.pins(user_id=pn.user.id)) == 4


def test_trial_mode(pn: Pn) -> None:
    pn.sandbox.update_app(pn.app.client_id, access_tier="trial")
    pn.sandbox.update_options(trial_universal_per_day=4)
    pin = pn.image_pin()
    assert pin.status_code == 201
    board = pn.post("/v5/boards", {"name": "Trial board"})
    assert board.status_code == 201
    assert pn.sandbox.pins()[0]["visible_only_to_creator"] is True
    trial_board = [b for b in pn.sandbox.boards(pn.user.id) if b["name"] == "Trial board"]
    assert trial_board[0]["visible_only_to_creator"] is True
    assert pn.get("/v5/user_account").status_code == 200
    assert pn.get("/v5/boards").status_code == 200
    error(pn.get("/v5/boards"), 429, 8)
    pn.clock.advance(DAY)
    pn.sandbox.update_options(trial_blocks_pin_create=True)
    assert "Trial access" in error(pn.image_pin(), 403, 29)


def test_failure_knobs_and_5xx_after_store(pn: Pn) -> None:
    pn.sandbox.add_failure(preset="rate_limited", endpoint="pins_create", count=2)
    for _ in range(2):
        error(pn.image_pin(title="burst"), 429, 8)
    assert pn.sandbox.pins() == []
    assert pn.image_pin(title="burst").status_code == 201

    pn.sandbox.add_failure(preset="server_error", endpoint="pins_create")
    error(pn.image_pin(title="not stored"), 500, 500)
    assert [p["title"] for p in pn.sandbox.pins()] == ["burst"]

    # The pin is stored, then the answer is a 500: a naive retry creates a duplicate.
    pn.sandbox.add_failure(preset="server_error", endpoint="pins_create", after_commit=True)
    error(pn.image_pin(title="stored anyway"), 500, 500)
    titles = [p["title"] for p in pn.sandbox.pins()]
    assert titles == ["burst", "stored anyway"]
    assert pn.sandbox.duplicate_pins() == []
    assert pn.image_pin(title="stored anyway").status_code == 201
    duplicates = pn.sandbox.duplicate_pins()
    assert len(duplicates) == 1 and duplicates[0]["title"] == "stored anyway"
    assert len(duplicates[0]["pin_ids"]) == 2

    pn.sandbox.add_failure(preset="unavailable", endpoint="boards_create", after_commit=True)
    error(pn.post("/v5/boards", {"name": "Half made"}), 503, 503)
    assert any(b["name"] == "Half made" for b in pn.sandbox.boards(pn.user.id))
    pn.sandbox.add_failure(http_status=502, endpoint="*", message="Bad gateway")
    assert error(pn.get("/v5/user_account"), 502, 502) == "Bad gateway"
    pn.sandbox.add_failure(preset="server_error", endpoint="oauth_token")
    refresh = pn.sandbox.issue_tokens(pn.user.id)["refresh_token"]
    error(pn.token_request({"grant_type": "refresh_token", "refresh_token": refresh}), 500, 500)
    assert (
        pn.token_request({"grant_type": "refresh_token", "refresh_token": refresh}).status_code
        == 200
    )


def test_admin_http_api(pn: Pn) -> None:
    admin = pn.http
    state = admin.get("/__sandbox/state").json()
    assert state["users"] == 1 and state["boards"] == 1 and state["manual_clock"] is True
    user = admin.post("/__sandbox/users", json={"username": "admin_pinner"}).json()
    assert user["id"].isdigit()
    board = admin.post(
        "/__sandbox/boards",
        json={"user_id": user["id"], "name": "Admin board", "privacy": "SECRET"},
    ).json()
    assert board["privacy"] == "SECRET"
    tokens = admin.post("/__sandbox/tokens", json={"user_id": user["id"]}).json()
    created = pn.post(
        "/v5/pins",
        {
            "board_id": board["id"],
            "title": "From admin",
            "media_source": {"source_type": "image_url", "url": pn.media.url("square.jpg")},
        },
        tokens["access_token"],
    )
    assert created.status_code == 201, created.text
    pins = admin.get("/__sandbox/pins", params={"user_id": user["id"]}).json()
    assert [(p["board_id"], p["title"]) for p in pins] == [(board["id"], "From admin")]
    assert pins[0]["created_at"] == "2026-03-02T09:00:00.000Z"
    assert admin.get("/__sandbox/pins/duplicates").json() == []
    # a body that does not fit the call is the caller's mistake: 400 with the reason
    unfit = (
        ("/__sandbox/users", {"username": "x", "zzz": 1}),
        ("/__sandbox/failures", {"rule": {}}),
    )
    for path, wrong in unfit:
        answer = admin.post(path, json=wrong)
        assert answer.status_code == 400 and answer.json()["message"], (path, answer.text)

    rule = admin.post("/__sandbox/failures", json={"preset": "rate_limited", "count": 3})
    assert rule.status_code == 201 and rule.json()["http_status"] == 429
    assert (
        admin.post(
            "/__sandbox/failures", json={"endpoint": "nowhere", "http_status": 500}
        ).status_code
        == 400
    )
    assert (
        admin.post(
            "/__sandbox/failures",
            json={"preset": "server_error", "endpoint": "media_get", "after_commit": True},
        ).status_code
        == 400
    )
    assert admin.delete("/__sandbox/failures").json() == {"cleared": True}

    revoked = admin.post(f"/__sandbox/users/{user['id']}/revoke", json={}).json()
    assert revoked == {"revoked": 2}
    error(pn.get("/v5/user_account", tokens["access_token"]), 401, 2)
    assert admin.post("/__sandbox/clock/advance", json={"seconds": 30}).json() == {
        "now": "2026-03-02T09:00:30.000Z"
    }
    assert (
        admin.patch("/__sandbox/options", json={"media_processing_seconds": -1}).status_code == 400
    )
    assert (
        admin.patch("/__sandbox/options", json={"media_processing_seconds": 1}).json()[
            "media_processing_seconds"
        ]
        == 1
    )
    log = admin.get("/__sandbox/requests", params={"endpoint": "pins_create"}).json()
    assert [entry["status"] for entry in log] == [201]
    assert admin.get("/__sandbox/nothing").status_code == 404
    assert admin.post("/__sandbox/reset", json={"keep_config": False}).json() == {"reset": True}
    assert admin.get("/__sandbox/state").json()["pins"] == 0
    assert admin.get("/__sandbox/options").json() == PinterestOptions().model_dump(mode="json")


def test_board_pins_list_newest_first_in_pages_after_the_delay(pn: Pn) -> None:
    ids = []
    for n in range(3):
        created = pn.image_pin(description=f"pin {n}")
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
        pn.clock.advance(1)
    # The newest (1 s old) is not listed yet: pins show 3 s after their creation.
    shown = pn.get(f"/v5/boards/{pn.board}/pins").json()
    assert [p["id"] for p in shown["items"]] == [ids[0]] and shown["bookmark"] is None
    pn.clock.advance(3)
    first = pn.get(f"/v5/boards/{pn.board}/pins", page_size="2").json()
    assert [p["description"] for p in first["items"]] == ["pin 2", "pin 1"]
    assert first["items"][0]["board_id"] == pn.board and first["items"][0]["created_at"]
    rest = pn.get(f"/v5/boards/{pn.board}/pins", page_size="2", bookmark=first["bookmark"]).json()
    assert [p["id"] for p in rest["items"]] == [ids[0]] and rest["bookmark"] is None
    error(pn.get(f"/v5/boards/{pn.board}/pins", bookmark="nope"), 400, 1)
    error(pn.get(f"/v5/boards/{pn.board}/pins", page_size="251"), 400, 1)
    error(pn.get("/v5/boards/999/pins"), 404, 40)
    reader = pn.sandbox.issue_tokens(pn.user.id, scopes=["boards:read"])["access_token"]
    error(pn.get(f"/v5/boards/{pn.board}/pins", reader), 401, 29)  # pins:read needed


# ---------------------------------------------------------------------- analytics

PIN_METRICS = "IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK"


def _analytics(pn: Pn, pin_id: str, start: str, end: str, **params: str) -> httpx.Response:
    return pn.get(
        f"/v5/pins/{pin_id}/analytics",
        start_date=start,
        end_date=end,
        metric_types=params.pop("metric_types", PIN_METRICS),
        **params,
    )


def test_pin_analytics_grow_day_by_day(pn: Pn) -> None:
    pn.sandbox.update_options(metrics_seed=9)
    created = pn.image_pin(title="Tips #one")
    assert created.status_code == 201, created.text
    pin_id = created.json()["id"]
    pn.clock.advance(3_600)
    first = _analytics(pn, pin_id, "2026-03-01", "2026-03-02")
    assert first.status_code == 200, first.text
    report = first.json()["all"]
    assert set(report) == {"daily_metrics", "summary_metrics", "lifetime_metrics"}
    before, today = report["daily_metrics"]
    assert before == {"date": "2026-03-01", "data_status": "BEFORE_PIN_DATA"}
    assert today["date"] == "2026-03-02" and today["data_status"] == "PROCESSING"
    assert set(today["metrics"]) == set(PIN_METRICS.split(","))
    assert report["summary_metrics"] == today["metrics"]
    assert report["lifetime_metrics"]["IMPRESSION"] == today["metrics"]["IMPRESSION"] > 0
    pn.clock.advance(3 * DAY)
    later = _analytics(pn, pin_id, "2026-03-01", "2026-03-05").json()["all"]
    days = later["daily_metrics"]
    assert [d["date"] for d in days] == [f"2026-03-0{n}" for n in range(1, 6)]
    assert [d["data_status"] for d in days[1:]] == ["READY", "READY", "READY", "PROCESSING"]
    assert days[1]["metrics"]["IMPRESSION"] > today["metrics"]["IMPRESSION"]  # the day went on
    for name in PIN_METRICS.split(","):
        assert later["summary_metrics"][name] == sum(d["metrics"][name] for d in days[1:])
        assert later["summary_metrics"][name] == later["lifetime_metrics"][name]
    window = _analytics(pn, pin_id, "2026-03-03", "2026-03-04").json()["all"]
    assert window["summary_metrics"]["IMPRESSION"] == sum(
        d["metrics"]["IMPRESSION"] for d in days[2:4]
    )
    only = _analytics(pn, pin_id, "2026-03-02", "2026-03-05", metric_types="SAVE").json()
    assert set(only["all"]["summary_metrics"]) == {"SAVE"}
    split = _analytics(pn, pin_id, "2026-03-02", "2026-03-05", split_field="APP_TYPE").json()
    assert set(split) == {"MOBILE", "TABLET", "WEB"}
    assert split["MOBILE"]["summary_metrics"]["IMPRESSION"] < later["summary_metrics"]["IMPRESSION"]
    web = _analytics(pn, pin_id, "2026-03-02", "2026-03-05", app_types="WEB").json()
    assert web["all"]["summary_metrics"] == split["WEB"]["summary_metrics"]
    # The account shows the growth too.
    account = pn.get("/v5/user_account").json()
    assert account["monthly_views"] >= later["lifetime_metrics"]["IMPRESSION"]
    assert account["pin_count"] == 1
    # The same seed and clock, the same numbers.
    again = _analytics(pn, pin_id, "2026-03-01", "2026-03-05").json()["all"]
    assert again == later


def test_pin_analytics_refusals(pn: Pn) -> None:
    pin_id = pn.image_pin().json()["id"]
    assert "90 days" in error(_analytics(pn, pin_id, "2025-12-01", "2026-03-02"), 400, 1)
    assert _analytics(pn, pin_id, "2025-12-02", "2026-03-02").status_code == 200  # 90 days back
    assert "end_date" in error(_analytics(pn, pin_id, "2026-03-02", "2026-03-01"), 400, 1)
    assert "start_date" in error(_analytics(pn, pin_id, "", "2026-03-01"), 400, 1)
    error(_analytics(pn, pin_id, "03/01/2026", "2026-03-01"), 400, 1)
    error(_analytics(pn, pin_id, "2026-03-01", "2026-03-02", metric_types="PLAYS"), 400, 1)
    error(_analytics(pn, pin_id, "2026-03-01", "2026-03-02", metric_types=""), 400, 1)
    error(_analytics(pn, pin_id, "2026-03-01", "2026-03-02", app_types="TV"), 400, 1)
    error(_analytics(pn, pin_id, "2026-03-01", "2026-03-02", split_field="DAY"), 400, 1)
    error(_analytics(pn, "1022106077903999999", "2026-03-01", "2026-03-02"), 404, 50)
    narrow = pn.sandbox.issue_tokens(pn.user.id, scopes=["user_accounts:read"])["access_token"]
    refused = pn.get(
        f"/v5/pins/{pin_id}/analytics",
        narrow,
        start_date="2026-03-01",
        end_date="2026-03-02",
        metric_types=PIN_METRICS,
    )
    error(refused, 401, 29)


def test_pin_list_pages_newest_first(pn: Pn) -> None:
    ids = [pn.image_pin(title=f"p{n}").json()["id"] for n in range(3)]
    first = pn.get("/v5/pins", page_size="2").json()
    assert [p["id"] for p in first["items"]] == ids[::-1][:2]
    assert first["bookmark"]
    second = pn.get("/v5/pins", page_size="2", bookmark=first["bookmark"]).json()
    assert [p["id"] for p in second["items"]] == [ids[0]]
    assert second["bookmark"] is None
    narrow = pn.sandbox.issue_tokens(pn.user.id, scopes=["user_accounts:read"])["access_token"]
    error(pn.get("/v5/pins", narrow), 401, 29)


def test_video_pin_streams_are_checked(pn: Pn) -> None:
    from tests.sandbox.videos import good_mp4, short_mp4, vp9_mp4

    media = []
    for data in (good_mp4(), short_mp4(), vp9_mp4()):
        registered = pn.post("/v5/media", {"media_type": "video"}).json()
        assert upload(pn, registered, data).status_code == 204
        media.append(registered["media_id"])
    pn.clock.advance(5)
    statuses = [pn.get(f"/v5/media/{m}").json()["status"] for m in media]
    assert statuses == ["succeeded", "failed", "failed"]
    reasons = {m["media_id"]: m["fail_reason"] for m in pn.sandbox.media()}
    assert reasons[media[0]] is None
    assert "2.0 s long" in reasons[media[1]] and "vp9" in reasons[media[2]]
