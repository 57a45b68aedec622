"""A webhook receiver for tests: a Starlette app on loopback. Each test takes its own inbox
(a path), scripts the statuses it answers and reads what arrived."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from platform_sandbox.server import RunningServer, serve_in_thread


@dataclass(frozen=True)
class Call:
    headers: dict[str, str]
    body: bytes
    answered: int
    at: float

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, after checking the signature as a receiver would."""
        payload: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return payload


@dataclass
class Inbox:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    delays: list[float] = field(default_factory=list)  # seconds before answers, in order
    retry_after: str | None = None  # the Retry-After header sent with a 429 or 503
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def next_delay(self) -> float:
        with self.lock:
            return self.delays.pop(0) if self.delays else 0.0

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def received(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    def wait(self, until: Callable[[list[Call]], bool], timeout: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            calls = self.received()
            if until(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got {[c.body[:120] for c in calls]}")
            time.sleep(0.1)

    def wait_types(self, *types: str, timeout: float = 30.0) -> list[Call]:
        """Wait until each of ``types`` arrived (answered 2xx) at least once."""

        def seen(calls: list[Call]) -> bool:
            got = {_type(c) for c in calls if 200 <= c.answered < 300}
            return set(types) <= got

        return self.wait(seen, timeout)


def _type(call: Call) -> str:
    import json

    return str(json.loads(call.body).get("type"))


@dataclass
class Receiver:
    server: RunningServer
    inboxes: dict[str, Inbox] = field(default_factory=dict)

    def redirect_to(self, url: str) -> str:
        """A URL that answers every POST with a 307 to ``url``."""
        from urllib.parse import quote

        return f"{self.server.base_url}/redirect?to={quote(url, safe='')}"

    def inbox(self, *statuses: int) -> Inbox:
        name = uuid.uuid4().hex
        box = Inbox(f"{self.server.base_url}/hooks/{name}", list(statuses))
        self.inboxes[name] = box
        return box


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    async def hook(request: Request) -> Response:
        box = holder["receiver"].inboxes.get(request.path_params["name"])
        if box is None:
            return Response(b"unknown inbox", status_code=404)
        body = await request.body()
        delay = box.next_delay()
        if delay:
            await asyncio.sleep(delay)
        status = box.answer()
        box.record(Call(dict(request.headers), body, status, time.monotonic()))
        headers = {"Retry-After": box.retry_after} if box.retry_after else {}
        if status not in (429, 503):
            headers = {}
        body_out = b"ok" if status < 400 else b"receiver says no"
        return Response(body_out, status_code=status, headers=headers)

    async def redirect(request: Request) -> Response:
        return RedirectResponse(request.query_params["to"], status_code=307)

    app: Any = Starlette(
        routes=[
            Route("/hooks/{name}", hook, methods=["POST"]),
            Route("/redirect", redirect, methods=["POST"]),
        ]
    )
    holder["receiver"] = Receiver(serve_in_thread(app))
    return holder["receiver"]
