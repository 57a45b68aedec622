"""``slideforge doctor``: a local configuration fails with what to change; a production-like
one passes and prints the exact redirect URIs to register."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from slideforge.cli import app
from slideforge.publishing.doctor import public_url_problem

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SLIDEFORGE_DATA_DIR", str(tmp_path))
    for name in (
        "SLIDEFORGE_DATABASE_URL",
        "SLIDEFORGE_PUBLIC_BASE_URL",
        "SLIDEFORGE_MEDIA_BASE_URL",
        "SLIDEFORGE_OAUTH_REDIRECT_BASE_URL",
        "SLIDEFORGE_ENCRYPTION_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_public_url_rules() -> None:
    assert public_url_problem("https://slides.example.com") is None
    assert public_url_problem("http://slides.example.com") == "is not https"
    assert "local name" in (public_url_problem("https://localhost:8000") or "")
    assert "private or loopback IP" in (public_url_problem("https://10.0.0.5") or "")
    assert "IP address" in (public_url_problem("https://8.8.8.8") or "")
    assert "not a public DNS name" in (public_url_problem("https://intranet") or "")


def test_a_local_setup_fails_with_what_to_change(env: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "SLIDEFORGE_PUBLIC_BASE_URL=http://127.0.0.1:8000 is not https" in out
    assert "media are served from http://127.0.0.1:8000/media" in out
    assert "set SLIDEFORGE_PINTEREST_CLIENT_ID and SLIDEFORGE_PINTEREST_CLIENT_SECRET" in out
    assert "does not exist yet" in out  # the SQLite file
    assert "2 problem(s)" in out


def test_a_production_setup_lists_the_redirect_uris(env: pytest.MonkeyPatch) -> None:
    settings = {
        "PUBLIC_BASE_URL": "https://slides.example.com",
        "MEDIA_BASE_URL": "https://cdn.example.com/media",
        "TIKTOK_CLIENT_KEY": "awkey",
        "TIKTOK_CLIENT_SECRET": "s1",
        "INSTAGRAM_CLIENT_ID": "1234",
        "INSTAGRAM_CLIENT_SECRET": "s2",
        "PINTEREST_CLIENT_ID": "5678",
        "PINTEREST_CLIENT_SECRET": "s3",
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    for name, value in settings.items():
        env.setenv(f"SLIDEFORGE_{name}", value)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    out = result.output
    for platform in ("tiktok", "instagram", "pinterest"):
        assert (
            f"register the redirect URI https://slides.example.com/oauth/{platform}/callback" in out
        )
    assert "verify the domain cdn.example.com" in out
    assert "instagram_business_content_publish" in out and "pins:write" in out
    assert "Pillow shapes complex scripts" in out
    assert "https://slides.example.com/mcp" in out  # the MCP endpoint for agent hosts
    assert "0 problem(s)" in out
    env.setenv("SLIDEFORGE_INSTAGRAM_LOGIN", "facebook")
    env.setenv("SLIDEFORGE_PINTEREST_API_BASE_URL", "http://127.0.0.1:9")
    out = runner.invoke(app, ["doctor"]).output
    assert "Instagram (Facebook Login)" in out and "Valid OAuth Redirect URIs" in out
    assert "pages_show_list" in out
    assert "is not api.pinterest.com (a sandbox?)" in out
