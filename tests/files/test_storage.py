"""Storage backends: the local folder, and S3 over HTTP against moto's S3 server, including
the whole upload flow of an app running on S3."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from platform_sandbox.server import free_port, serve_in_thread
from slideforge.app import create_app
from slideforge.kit.storage import LocalStorage, S3Storage, StorageError
from slideforge.runtime import Runtime
from tests.helpers import API, ApiClient, image_bytes, ok


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="media")
    yield endpoint
    server.stop()


def _s3(endpoint: str, base_url: str = "https://cdn.example.com") -> S3Storage:
    return S3Storage(
        "media",
        base_url,
        endpoint_url=endpoint,
        access_key_id="test",
        secret_access_key="test",
        prefix="slideforge",
    )


def test_local_storage(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path, "http://h/media")
    store.put("a/b.jpg", b"123", "image/jpeg")
    store.put_file("a/c.png", io.BytesIO(b"4567"), "image/png")
    assert store.read("a/b.jpg") == b"123" and store.size("a/c.png") == 4
    assert b"".join(store.iter_bytes("a/c.png")) == b"4567"
    assert store.url("a/b.jpg") == "http://h/media/a/b.jpg"
    store.delete("a/b.jpg")
    assert store.size("a/b.jpg") is None
    for bad in ("../x", "/abs", "a//b", "a/./b", ""):
        with pytest.raises(StorageError):
            store.put(bad, b"x", "text/plain")


def test_s3_storage_over_http(s3_endpoint: str) -> None:
    store = _s3(s3_endpoint)
    store.put("files/1/a.jpg", b"abc", "image/jpeg")
    store.put_file("files/1/b.jpg", io.BytesIO(b"defg"), "image/jpeg")
    assert store.read("files/1/a.jpg") == b"abc"
    assert store.size("files/1/b.jpg") == 4
    assert store.url("files/1/a.jpg") == "https://cdn.example.com/files/1/a.jpg"
    head = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).head_object(Bucket="media", Key="slideforge/files/1/a.jpg")
    assert head["ContentType"] == "image/jpeg"
    store.delete("files/1/a.jpg")
    assert store.size("files/1/a.jpg") is None
    with pytest.raises(StorageError):
        store.read("files/1/a.jpg")


def test_upload_flow_on_s3(runtime: Runtime, api: ApiClient, s3_endpoint: str) -> None:
    """A second server on the same database, with media in S3 served through /media."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = runtime.settings.model_copy(update={"public_base_url": base})
    s3_runtime = replace(
        runtime, settings=settings, storage=_s3(s3_endpoint, base_url=f"{base}/media")
    )
    running = serve_in_thread(create_app(s3_runtime), port=port)
    try:
        # S3 calls go to moto in this process: slow on a loaded machine, hence the timeouts
        client = httpx.Client(
            base_url=base + API, headers={"Authorization": f"Bearer {api.key}"}, timeout=60
        )
        created = ok(client.post("/files", json={"contentType": "image/jpeg"}), 201)
        assert created["uploadUrl"].startswith(base) and created["url"].startswith(base + "/media/")
        data = image_bytes((50, 50))
        headers = {"Content-Type": "image/jpeg"}
        ok(httpx.put(created["uploadUrl"], content=data, headers=headers, timeout=60))
        served = httpx.get(created["url"], timeout=60)
        assert served.status_code == 200 and served.content == data
        assert httpx.head(created["url"], timeout=60).headers["content-length"] == str(len(data))
        client.close()
    finally:
        running.stop()
