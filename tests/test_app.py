"""Transport conventions of contract §0: the envelope on every answer, bad bodies, no
redirects, tolerant parsing."""

from __future__ import annotations

import httpx
import pytest

from platform_sandbox.server import RunningServer
from tests.helpers import API, ApiClient, err, ok


def test_framework_errors_are_envelopes(server: RunningServer, api: ApiClient) -> None:
    with httpx.Client(base_url=server.base_url) as raw:
        err(raw.get(API + "/no-such-thing"), 404, "not_found")
        err(raw.get("/nothing/here"), 404, "not_found")
        err(raw.delete(API + "/subscription"), 405, "method_not_allowed")
    err(api.request("PUT", "/packs"), 405, "method_not_allowed")


def test_trailing_slash_is_served_not_redirected(api: ApiClient) -> None:
    response = api.get("/packs/")
    assert response.status_code == 200 and response.json()["ok"] is True


def test_invalid_json_and_invalid_utf8(api: ApiClient) -> None:
    err(api.post("/packs", content=b'{"name": "x",'), 400, "invalid_json")
    err(api.post("/packs", content=b"not json at all"), 400, "invalid_json")
    err(api.post("/packs", content=b'{"name": "\xff\xfe"}'), 400, "invalid_json")


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b'{"name": "x"}'),
        ("application/x-www-form-urlencoded", b"name=x"),
        (
            "multipart/form-data; boundary=xx",
            b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--xx--\r\n',
        ),
        ("application/xml", b"<pack><name>x</name></pack>"),
        (None, b'{"name": "x"}'),
    ],
)
def test_bodies_that_are_not_json_are_invalid_json(
    api: ApiClient, content_type: str | None, content: bytes
) -> None:
    """Contract §0: 400 invalid_json (not 422) for any body not sent as JSON, on creates and
    edits alike; the message names the Content-Type to send."""
    headers = {"Authorization": api.http.headers["Authorization"]}
    if content_type:
        headers["Content-Type"] = content_type
    with httpx.Client(base_url=api.http.base_url, headers=headers) as raw:
        body = err(raw.post("/packs", content=content), 400, "invalid_json")
        assert "application/json" in body["message"]
        if content_type:
            assert content_type.split(";")[0] in body["message"]
        pack = ok(api.post("/packs", json={"name": "p"}), 201)
        err(raw.patch(f"/packs/{pack['id']}", content=content), 400, "invalid_json")
    assert ok(api.get(f"/packs/{pack['id']}"))["name"] == "p"


def test_raw_upload_and_bodiless_posts_are_not_json_bodies(api: ApiClient) -> None:
    """The binary upload PUT and POSTs without a body are unaffected by the JSON rule."""
    from tests.helpers import image_bytes

    upload = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    ok(
        httpx.put(
            upload["uploadUrl"], content=image_bytes(), headers={"Content-Type": "image/jpeg"}
        )
    )
    headers = {"Authorization": api.http.headers["Authorization"], "Content-Type": "text/plain"}
    pack = ok(api.post("/packs", json={"name": "keep"}), 201)
    with httpx.Client(base_url=api.http.base_url, headers=headers) as raw:
        # DELETE with no body, with a non-JSON Content-Type: still fine.
        ok(raw.delete(f"/packs/{pack['id']}"))


def test_deeply_nested_json(api: ApiClient) -> None:
    body = b'{"name": "x", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = api.post("/packs", content=body)
    # Either size or depth guard answers; never a 500.
    assert response.status_code in (400, 413), response.text[:200]
    assert response.json()["ok"] is False
    body = b'{"name": "x", "extra": ' + b"[" * 200 + b"]" * 200 + b"}"
    err(api.post("/packs", content=body), 400, "invalid_json")


def test_ten_megabyte_body_is_refused(api: ApiClient) -> None:
    body = b'{"name": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    err(api.post("/packs", content=body), 413, "payload_too_large")


def test_chunked_oversized_body_is_refused(api: ApiClient) -> None:
    def chunks():  # no Content-Length: the guard must count
        yield b'{"name": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    err(api.post("/packs", content=chunks()), 413, "payload_too_large")


def test_wrong_types_name_the_field(api: ApiClient) -> None:
    body = err(api.post("/packs", json={"name": 12, "is_public": "maybe"}), 422, "invalid_payload")
    assert "name" in body["message"] and "is_public" in body["message"]
    assert {e["field"] for e in body["data"]["errors"]} == {"name", "is_public"}
    body = err(api.post("/packs", json={}), 422, "invalid_payload")
    assert "name: is required" in body["message"]
    body = err(api.post("/packs", json=["a"]), 422, "invalid_payload")


def test_bodiless_post_with_json_content_type(api: ApiClient) -> None:
    # curl sends Content-Type: application/json with no body on some POSTs.
    response = api.post("/packs", content=b"")
    body = err(response, 422, "invalid_payload")
    assert "body" in body["message"]


def test_unicode_round_trip(api: ApiClient) -> None:
    name = "Ünïcødé 🎉 مرحبا 日本語"
    created = ok(api.post("/packs", json={"name": name}), 201)
    assert ok(api.get(f"/packs/{created['id']}"))["name"] == name


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/healthz"])
def test_public_endpoints(server: RunningServer, path: str) -> None:
    # /openapi.json is built at its first request (slow on a loaded machine)
    assert httpx.get(server.base_url + path, timeout=60).status_code == 200


def test_openapi_documents_the_envelope(server: RunningServer) -> None:
    spec = httpx.get(server.base_url + "/openapi.json", timeout=60).json()
    assert "/api/partner/v1/packs" in spec["paths"]
    assert "ErrorEnvelope" in spec["components"]["schemas"]


def test_nul_characters_are_dropped_not_fatal(api: ApiClient) -> None:
    # PostgreSQL cannot store NUL in text; the guard drops them from JSON text and queries.
    created = ok(api.post("/packs", content=b'{"name": "a\\u0000b"}'), 201)
    assert created["name"] == "ab"
    assert ok(api.get("/packs", params={"search": "a\x00b"}))["total"] >= 1
    escaped = ok(api.post("/packs", content=b'{"name": "c\\\\u0000d"}'), 201)
    assert escaped["name"] == "c\\u0000d"  # an escaped backslash is text, kept as sent
