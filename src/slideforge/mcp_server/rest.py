"""The MCP tools' only way in: our own HTTP API, called in-process over ASGI with the caller's
``Authorization`` header. Auth, workspace scoping, rate limits, idempotency and error codes
are therefore the REST API's; a refusal comes back as :class:`RestError`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

API_PREFIX = "/api/partner/v1"


@dataclass
class RestError(Exception):
    """A refusal of the REST API: its ``error_code``, HTTP status, message and ``data``."""

    error_code: str
    status: int
    message: str
    data: Any = None

    def __str__(self) -> str:
        return f"{self.error_code} (HTTP {self.status}): {self.message}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "error_code": self.error_code,
            "status": self.status,
            "message": self.message,
        }
        if self.data is not None:
            out["data"] = self.data
        return out


class Rest:
    """Calls of the API under ``/api/partner/v1`` (and the server's ``/media`` files)."""

    def __init__(self, app: ASGIApp, base_url: str = "http://slideforge.internal") -> None:
        self._app = app
        self._base_url = base_url

    def _client(self, authorization: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": authorization} if authorization else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._app, client=("127.0.0.1", 0)),
            base_url=self._base_url,
            headers=headers,
            timeout=300,
        )

    async def call(
        self,
        authorization: str | None,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """The status and ``data`` of a success envelope; a :class:`RestError` otherwise."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        async with self._client(authorization) as client:
            response = await client.request(
                method, API_PREFIX + path, json=body, params=query or None
            )
        try:
            envelope = response.json()
        except json.JSONDecodeError:
            envelope = None
        if not isinstance(envelope, dict):
            raise RestError(
                "bad_gateway" if response.status_code >= 500 else "invalid_payload",
                response.status_code,
                response.text[:500] or response.reason_phrase,
            )
        if response.status_code >= 400 or envelope.get("ok") is False:
            raise RestError(
                str(envelope.get("error_code") or "error"),
                response.status_code,
                str(envelope.get("message") or response.reason_phrase),
                envelope.get("data"),
            )
        return response.status_code, envelope.get("data")

    async def media(self, authorization: str | None, url: str) -> bytes | None:
        """The bytes of one of our own ``/media`` (or ``/uploads``) URLs, read in-process;
        None when the URL is not ours or the file is gone."""
        parts = urlsplit(url)
        if not parts.path.startswith(("/media/", "/uploads/")):
            return None
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        async with self._client(authorization) as client:
            response = await client.get(target)
        return response.content if response.status_code == 200 else None
