"""``slideforge doctor``: what can be checked, offline, of a configuration for the real
platforms — public URLs, media URL (TikTok's verified domain), each platform's credentials
and the exact redirect URIs to register, the databases, the secrets, and the text-rendering
libraries and fonts. Nothing is sent to any platform."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import sqlalchemy as sa

from slideforge.config import Settings
from slideforge.publishing.platforms import registry
from slideforge.publishing.platforms.base import PlatformRules

Level = Literal["ok", "info", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    area: str
    level: Level
    message: str


def redirect_uri(settings: Settings, platform: str) -> str:
    return f"{settings.resolved_oauth_redirect_base_url}/oauth/{platform}/callback"


def public_url_problem(url: str) -> str | None:
    """Why platforms could not use ``url`` (None when it looks public and https)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return "is not https"
    if not host:
        return "has no host"
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return f"uses the local name {host}"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if "." in host else f"{host} is not a public DNS name"
    kind = "a private or loopback" if not address.is_global else "an"
    return f"uses {kind} IP address ({host}); platforms need a DNS name"


def _urls(settings: Settings) -> list[Check]:
    out: list[Check] = []
    problem = public_url_problem(settings.public_base_url)
    if problem:
        out.append(
            Check(
                "public URL",
                "fail",
                f"SLIDEFORGE_PUBLIC_BASE_URL={settings.public_base_url} {problem}: set it to the "
                "https address of this server on a public domain (platforms send users back to "
                "it and download media from it)",
            )
        )
    else:
        out.append(Check("public URL", "ok", f"{settings.public_base_url} is public https"))
    out.append(
        Check(
            "MCP",
            "info",
            f"agent hosts connect to {settings.public_base_url}/mcp (Streamable HTTP, "
            "Authorization: Bearer <API key>) or run `slideforge mcp --stdio` (docs/mcp.md)",
        )
    )
    if settings.oauth_redirect_base_url:
        problem = public_url_problem(settings.oauth_redirect_base_url)
        level: Level = "fail" if problem else "ok"
        out.append(
            Check(
                "redirect base",
                level,
                f"SLIDEFORGE_OAUTH_REDIRECT_BASE_URL={settings.oauth_redirect_base_url}"
                + (f" {problem}" if problem else " is public https"),
            )
        )
    media = settings.resolved_media_base_url
    problem = public_url_problem(media)
    if problem:
        out.append(
            Check(
                "media URL",
                "fail",
                f"media are served from {media}, which {problem}: TikTok, Instagram and "
                "Pinterest download every image and video from there (set "
                "SLIDEFORGE_MEDIA_BASE_URL or SLIDEFORGE_PUBLIC_BASE_URL)",
            )
        )
    else:
        host = urlsplit(media).hostname
        out.append(
            Check(
                "media URL",
                "info",
                f"media are served from {media}/: verify the domain {host} (or the URL prefix "
                f"{media}/) in TikTok's developer portal under URL properties, or TikTok "
                "refuses photo posts with url_ownership_unverified",
            )
        )
    return out


def _platform(settings: Settings, rules: PlatformRules) -> list[Check]:
    setup = rules.setup(settings)
    area = setup.area
    (id_name, id_value), (secret_name, secret_value) = (
        (f"SLIDEFORGE_{name.upper()}", getattr(settings, name))
        for name in rules.credential_settings
    )
    out: list[Check] = []
    if not id_value and not secret_value:
        out.append(
            Check(
                area, "warn", f"not configured: set {id_name} and {secret_name} to connect {area}"
            )
        )
        return out
    if not id_value or not secret_value:
        missing = id_name if not id_value else secret_name
        out.append(Check(area, "fail", f"{missing} is missing (both the id and the secret)"))
        return out
    out.append(Check(area, "ok", f"credentials set ({id_name}={id_value})"))
    out.append(
        Check(
            area,
            "info",
            f"register the redirect URI {redirect_uri(settings, rules.name)} "
            f"({setup.where}); request the scopes {setup.scopes}",
        )
    )
    api = str(getattr(settings, setup.api_setting))
    if urlsplit(api).hostname != setup.api_host:
        out.append(
            Check(
                area,
                "warn",
                f"SLIDEFORGE_{setup.api_setting.upper()}={api} is not {setup.api_host} "
                "(a sandbox?)",
            )
        )
    return out


def _platforms(settings: Settings) -> list[Check]:
    return [
        check for name in registry.names() for check in _platform(settings, registry.rules(name))
    ]


def _database(area: str, url: str) -> list[Check]:
    shown = url.split("@")[-1]
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        if not path.exists():
            folder = path.parent
            while not folder.exists() and folder != folder.parent:
                folder = folder.parent
            if os.access(folder, os.W_OK):
                return [Check(area, "info", f"{path} does not exist yet (serve / migrate make it)")]
            return [Check(area, "fail", f"{path} cannot be created: {folder} is not writable")]
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    engine = sa.create_engine(
        url, connect_args={} if url.startswith("sqlite") else {"connect_timeout": 5}
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error: report it, do not crash the report
        return [Check(area, "fail", f"{shown} is not reachable: {str(exc).splitlines()[0]}")]
    finally:
        engine.dispose()
    return [Check(area, "ok", f"{shown} is reachable")]


def _databases(settings: Settings) -> list[Check]:
    from alembic.script import ScriptDirectory

    from slideforge.migrations import alembic_config, current_revision

    app_url = settings.resolved_database_url
    out = _database("database", app_url)
    if out[0].level == "ok":
        head = ScriptDirectory.from_config(alembic_config(app_url)).get_current_head()
        current = current_revision(
            app_url
            if not app_url.startswith("sqlite")
            else f"sqlite:///file:{app_url.split('///', 1)[-1]}?mode=ro&uri=true"
        )
        if current != head:
            out.append(
                Check(
                    "database",
                    "warn",
                    f"schema at {current or 'nothing'}, code at {head}: run slideforge migrate "
                    "(serve does it at start)",
                )
            )
    dbos_url = settings.resolved_dbos_database_url
    if dbos_url != app_url:
        out += _database("DBOS database", dbos_url)
    else:
        out.append(Check("DBOS database", "ok", "in schema dbos of the database above"))
    if not settings.is_sqlite and not settings.encryption_key:
        out.append(
            Check(
                "secrets",
                "warn",
                "SLIDEFORGE_ENCRYPTION_KEY is not set: with PostgreSQL every server and worker "
                "must share one key (the generated one lives in one machine's data dir)",
            )
        )
    elif settings.encryption_key:
        from cryptography.fernet import Fernet

        try:
            Fernet(settings.encryption_key.encode())
        except (ValueError, TypeError):
            out.append(Check("secrets", "fail", "SLIDEFORGE_ENCRYPTION_KEY is not a Fernet key"))
        else:
            out.append(Check("secrets", "ok", "SLIDEFORGE_ENCRYPTION_KEY is a Fernet key"))
    return out


def _fonts() -> list[Check]:
    from PIL import features

    from slideforge.render import fonts

    out: list[Check] = []
    if fonts.raqm_available():
        fribidi = features.version_feature("fribidi") or "?"
        out.append(Check("text", "ok", f"Pillow shapes complex scripts (raqm, FriBiDi {fribidi})"))
    else:
        out.append(
            Check(
                "text",
                "warn",
                "Pillow has no raqm/FriBiDi: Arabic, Hebrew and Indic text is not shaped "
                "(install libraqm0 and libfribidi0)",
            )
        )
    emoji = fonts.emoji_font()
    if emoji is None:
        out.append(Check("text", "warn", "no colour emoji font: install fonts-noto-color-emoji"))
    else:
        out.append(Check("text", "ok", f"colour emoji: {emoji.path!s}"))
    cjk = fonts.cjk_source()
    if cjk is None:
        out.append(Check("text", "warn", "no CJK font: install fonts-noto-cjk"))
    else:
        out.append(Check("text", "ok", f"CJK: {cjk.path}"))
    return out


def run(settings: Settings) -> list[Check]:
    """Every check, in report order."""
    return [*_urls(settings), *_platforms(settings), *_databases(settings), *_fonts()]


__all__ = ["Check", "public_url_problem", "redirect_uri", "run"]
