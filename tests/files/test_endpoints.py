"""The presigned upload flow (contract §2) through HTTP: POST /files, PUT uploadUrl, GET url,
GET /files; and every way a PUT can be wrong."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from slideforge.kit.clock import ManualClock
from tests.helpers import ApiClient, err, image_bytes, mp4_bytes, ok, png_bomb


def _put(url: str, data: bytes, content_type: str | None) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.put(url, content=data, headers=headers, timeout=30)


def test_upload_flow_serves_the_bytes(api: ApiClient) -> None:
    data = image_bytes((120, 90), "PNG")
    created = ok(
        api.post("/files", json={"contentType": "image/png", "filename": "My Pic.png"}), 201
    )
    assert set(created) >= {"id", "uploadUrl", "url", "contentType", "expiresIn"}
    assert created["uploadUrl"].startswith("http://127.0.0.1:") and created["expiresIn"] == 600
    uuid.UUID(created["id"])
    assert httpx.get(created["url"]).status_code == 404  # nothing uploaded yet
    put = _put(created["uploadUrl"], data, "image/png")
    assert put.status_code < 400
    served = httpx.get(created["url"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/png"
    listed = ok(api.get("/files"))
    assert listed["total"] == 1 and listed["context"] == "partner-upload"
    item = listed["files"][0]
    assert item["filename"] == "My Pic.png" and item["contentType"] == "image/png"
    assert item["size"] == len(data) and item["width"] == 120 and item["height"] == 90
    assert item["createdAt"].endswith("Z") and item["url"] == created["url"]


def test_upload_is_single_use(api: ApiClient) -> None:
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    assert _put(created["uploadUrl"], image_bytes(), "image/jpeg").status_code == 200
    err(_put(created["uploadUrl"], image_bytes(), "image/jpeg"), 409, "upload_already_completed")


def test_failed_put_leaves_the_url_usable(api: ApiClient) -> None:
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    err(_put(created["uploadUrl"], image_bytes(fmt="PNG"), "image/jpeg"), 415, "content_mismatch")
    ok(_put(created["uploadUrl"], image_bytes(), "image/jpeg"))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda u: u[:-3] + "xyz",  # signature
        lambda u: u.replace("/uploads/", "/uploads/0"),  # token
        lambda u: u.rsplit(".", 2)[0] + ".9999999999." + u.rsplit(".", 1)[1],  # expiry
        lambda u: u.rsplit("/", 1)[0] + "/garbage",
    ],
)
def test_wrong_token(api: ApiClient, mangle) -> None:  # type: ignore[no-untyped-def]
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    err(
        _put(mangle(created["uploadUrl"]), image_bytes(), "image/jpeg"), 403, "invalid_upload_token"
    )


def test_expired_token(api: ApiClient, clock: ManualClock) -> None:
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    clock.advance(601)
    err(_put(created["uploadUrl"], image_bytes(), "image/jpeg"), 410, "upload_url_expired")


def test_content_type_checks(api: ApiClient) -> None:
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    err(_put(created["uploadUrl"], image_bytes(), "image/png"), 415, "content_type_mismatch")
    err(_put(created["uploadUrl"], b"hello", "image/jpeg"), 415, "content_mismatch")
    err(_put(created["uploadUrl"], b"", "image/jpeg"), 400, "empty_upload")
    ok(_put(created["uploadUrl"], image_bytes(), None))  # no header: declared type is used


def test_unknown_content_type_is_refused(api: ApiClient) -> None:
    body = err(api.post("/files", json={"contentType": "application/pdf"}), 422, "invalid_payload")
    assert "contentType" in body["message"]
    err(api.post("/files", json={"filename": "x.jpg"}), 422, "invalid_payload")


def test_size_limits(api: ApiClient, runtime) -> None:  # type: ignore[no-untyped-def]
    err(
        api.post("/files", json={"contentType": "image/jpeg", "size": 21 * 1024 * 1024}),
        413,
        "file_too_large",
    )
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    original = runtime.settings.max_image_upload_bytes
    runtime.settings.max_image_upload_bytes = 1000
    try:
        err(
            _put(created["uploadUrl"], image_bytes((400, 400)), "image/jpeg"), 413, "file_too_large"
        )
    finally:
        runtime.settings.max_image_upload_bytes = original


def test_decompression_bomb(api: ApiClient) -> None:
    created = ok(api.post("/files", json={"contentType": "image/png"}), 201)
    body = err(_put(created["uploadUrl"], png_bomb(), "image/png"), 422, "image_too_large")
    assert "pixels" in body["message"]


def test_video_upload_is_probed(api: ApiClient) -> None:
    created = ok(api.post("/files", json={"contentType": "video/mp4", "duration": 20}), 201)
    ok(_put(created["uploadUrl"], mp4_bytes(31.5, 1080, 1920), "video/mp4"))
    item = ok(api.get("/files", params={"type": "video"}))["files"][0]
    assert item["durationSeconds"] == pytest.approx(31.5)
    assert (item["width"], item["height"]) == (1080, 1920)
    assert ok(api.get("/files", params={"type": "image"}))["total"] == 0


def test_video_declared_type_must_match_container(api: ApiClient) -> None:
    created = ok(api.post("/files", json={"contentType": "video/webm"}), 201)
    err(_put(created["uploadUrl"], mp4_bytes(), "video/webm"), 415, "content_mismatch")


def test_list_paging_and_context(api: ApiClient) -> None:
    for i in range(3):
        created = ok(
            api.post("/files", json={"contentType": "image/jpeg", "filename": f"f{i}.jpg"}), 201
        )
        ok(_put(created["uploadUrl"], image_bytes(), "image/jpeg"))
    page = ok(api.get("/files", params={"limit": 2, "offset": 1}))
    assert page["total"] == 3 and len(page["files"]) == 2 and page["limit"] == 2
    assert ok(api.get("/files", params={"context": "render"}))["total"] == 0
    assert ok(api.get("/files", params={"context": "all"}))["total"] == 3
    assert ok(api.get("/files", params={"context": "render,partner-upload"}))["total"] == 3
    err(api.get("/files", params={"limit": 0}), 422)
    err(api.get("/files", params={"limit": 101}), 422)
    err(api.get("/files", params={"type": "document"}), 422)


def test_files_of_other_workspaces_are_invisible(api: ApiClient, make_api) -> None:  # type: ignore[no-untyped-def]
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    ok(_put(created["uploadUrl"], image_bytes(), "image/jpeg"))
    other = make_api()
    assert ok(other.get("/files"))["total"] == 0


def test_media_route_refuses_traversal(server) -> None:  # type: ignore[no-untyped-def]
    for path in ("/media/../secret.key", "/media/files/%2e%2e/%2e%2e/secret.key", "/media/"):
        response = httpx.get(server.base_url + path)
        assert response.status_code == 404 and response.json()["ok"] is False


def test_upload_url_expiry_matches_setting(api: ApiClient, clock: ManualClock) -> None:
    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    clock.advance(timedelta(seconds=599).total_seconds())
    ok(_put(created["uploadUrl"], image_bytes(), "image/jpeg"))
