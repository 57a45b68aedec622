"""The slideforge command: workspaces, keys, accounts, credits, migrate, and serve's first
start (a real process: migrations, DBOS, HTTP, the printed key works)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from platform_sandbox.server import free_port
from slideforge.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLIDEFORGE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SLIDEFORGE_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_workspaces_keys_accounts_credits(cli_env: Path) -> None:
    run("migrate")
    assert "created" in run("workspaces", "create", "acme")
    failed = runner.invoke(app, ["workspaces", "create", "acme"])
    assert failed.exit_code == 1 and "already exists" in failed.output
    out = run("keys", "create", "--workspace", "acme", "--name", "ci")
    key = re.search(r"(sfk_[0-9a-f]+\.[A-Za-z0-9_-]+)", out)
    assert key is not None
    personal = run("keys", "create", "--workspace", "acme", "--personal", "alice")
    assert "personal key of alice" in personal
    listing = run("keys", "list", "--workspace", "acme")
    assert listing.count("sfk_") == 2 and "personal" in listing
    public_id = key.group(1).split(".")[0]
    assert "revoked" in run("keys", "revoke", public_id)
    added = run(
        "accounts",
        "add",
        "--workspace",
        "acme",
        "--platform",
        "tiktok",
        "--username",
        "demo",
        "--tag",
        "a",
        "--tag",
        "b",
    )
    # No tokens: it says so, and how to connect it.
    assert "added" in added and "unconnected" in added and "/accounts/connect" in added
    listed = run("accounts", "list", "--workspace", "acme")
    assert "demo" in listed and "unconnected" in listed and "active" not in listed
    bad = runner.invoke(
        app, ["accounts", "add", "--workspace", "acme", "--platform", "myspace", "--username", "x"]
    )
    assert bad.exit_code == 1 and "platform" in bad.output
    assert "granted 50" in run("credits", "grant", "50", "--workspace", "acme")
    missing = runner.invoke(app, ["keys", "list", "--workspace", "nope"])
    assert missing.exit_code == 1 and "no workspace" in missing.output


def test_serve_first_start(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDEFORGE_")}
    env["SLIDEFORGE_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "slideforge.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not start")
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "/docs" in output and "/openapi.json" in output
    key = re.search(r"(sfk_[0-9a-f]+\.[A-Za-z0-9_-]+)", output)
    assert key is not None, output
    assert (tmp_path / "data" / "slideforge.sqlite").exists()
    # Second start: no new key is printed, the first one still works.
    proc = subprocess.Popen(
        [sys.executable, "-m", "slideforge.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/partner/v1/accounts",
                    headers={"Authorization": f"Bearer {key.group(1)}"},
                )
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["data"]["accounts"] == []
        proc.terminate()
        second, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "sfk_" not in second


def test_video_command_renders_encodes_and_writes_the_mp4(cli_env: Path) -> None:
    import io

    import av
    from PIL import Image

    from slideforge.auth import service as auth
    from slideforge.config import Settings
    from slideforge.models import Slideshow
    from slideforge.runtime import build_runtime

    run("migrate")
    run("workspaces", "create", "acme")
    runtime = build_runtime(Settings())
    with runtime.db.session() as session:
        ws = auth.get_workspace(session, "acme")
        urls = []
        for i, color in enumerate([(200, 40, 40), (40, 40, 200)]):
            jpeg = io.BytesIO()
            Image.new("RGB", (540, 540), color).save(jpeg, "JPEG")
            runtime.storage.put(f"files/cli/{i}.jpg", jpeg.getvalue(), "image/jpeg")
            urls.append(runtime.storage.url(f"files/cli/{i}.jpg"))
        row = Slideshow(
            workspace_id=ws.id,
            title="cli",
            settings={"aspect_ratio": "1:1"},
            slides=[{"image_url": url, "text_elements": []} for url in urls],
        )
        session.add(row)
        session.commit()
        slideshow_id = str(row.id)
    runtime.db.dispose()
    out = cli_env / "out" / "video.mp4"
    bad = runner.invoke(app, ["video", slideshow_id, "--fps", "25"])
    assert bad.exit_code == 1 and "fps" in bad.output
    printed = run(
        "video", slideshow_id, "--seconds-per-slide", "1", "--fps", "24", "--out", str(out)
    )
    assert "1080x1080, 2 s" in printed and str(out) in printed.replace("\n", "")
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 1080, 1080)
        assert stream.frames == 48
