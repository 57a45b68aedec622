"""Helpers of the folder tests: uploaded files, studio files (the studio stores its outputs
as ``file`` rows of context ``ai-studio``), slideshows, folders."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from slideforge.models import File
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, image_bytes, mp4_bytes, ok
from tests.slideshows.support import make_pack, manual


def upload(api: ApiClient, content_type: str = "image/jpeg", filename: str = "pic.jpg") -> str:
    """A partner upload through the presigned flow; its file id."""
    created = ok(api.post("/files", json={"contentType": content_type, "filename": filename}), 201)
    data = mp4_bytes(2.0) if content_type.startswith("video/") else image_bytes()
    put = httpx.put(created["uploadUrl"], content=data, headers={"Content-Type": content_type})
    assert put.status_code < 400, put.text
    return str(created["id"])


def pending_upload(api: ApiClient) -> str:
    """A file whose upload URL was issued but never PUT to."""
    return str(ok(api.post("/files", json={"contentType": "image/png"}), 201)["id"])


def studio_file(runtime: Runtime, api: ApiClient, content_type: str, name: str = "out") -> str:
    """A studio output as the studio stores it: a ready file of context ``ai-studio``."""
    file_id = uuid.uuid4()
    extension = content_type.split("/", 1)[1]
    with runtime.db.session() as session:
        session.add(
            File(
                id=file_id,
                workspace_id=api.workspace_id,
                filename=f"{name}.{extension}",
                content_type=content_type,
                context="ai-studio",
                status="ready",
                storage_key=f"studio/{file_id}/{name}.{extension}",
                size=1234,
            )
        )
    return str(file_id)


def slideshow(api: ApiClient, web: Web, title: str = "Morning routine") -> dict[str, Any]:
    """A generated slideshow (skip_ai, a pack on the loopback web server)."""
    pack_id, _ = make_pack(api, web, count=1)
    body = manual(
        pack_id,
        title=title,
        slide_config={"total_slides": 1, "slide_texts": {"0": "Hello"}},
    )
    data: dict[str, Any] = ok(api.post("/slideshows/generate", json=body))
    return data


def folder(api: ApiClient, name: str, media_type: str = "upload", parent: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "media_type": media_type}
    if parent is not None:
        body["parent_folder_id"] = parent
    return str(ok(api.post("/folders", json=body), 201)["id"])
