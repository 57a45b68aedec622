"""Content Posting webhooks: signed POSTs to the app's callback URL, retried until a 200,
optionally delivered more than once (TikTok delivers at least once)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


def sign(client_secret: str, timestamp: int, body: bytes) -> str:
    """``TikTok-Signature`` header value: ``t=<ts>,s=<hex HMAC-SHA256 of "<ts>.<body>">``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(client_secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={digest}"


def build_event(
    *, client_key: str, event: str, create_time: int, open_id: str, content: dict[str, Any]
) -> bytes:
    payload = {
        "client_key": client_key,
        "event": event,
        "create_time": create_time,
        "user_openid": open_id,
        "content": json.dumps(content, separators=(",", ":")),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass
class Delivery:
    delivery_id: int
    event: str
    url: str
    body: bytes
    signature: str
    copy: int
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False
    gave_up: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "event": self.event,
            "url": self.url,
            "body": json.loads(self.body),
            "signature": self.signature,
            "copy": self.copy,
            "attempts": list(self.attempts),
            "delivered": self.delivered,
            "gave_up": self.gave_up,
        }


class WebhookDispatcher:
    """One background thread that posts queued deliveries in order, retrying each with the
    configured delays (real time) until the receiver answers 200."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: deque[tuple[Delivery, list[float], float]] = deque()
        self._records: list[Delivery] = []
        self._next_id = 1
        self._thread: threading.Thread | None = None
        self._stopping = False

    def enqueue(
        self,
        *,
        event: str,
        url: str,
        body: bytes,
        signature: str,
        copies: int,
        retry_delays: list[float],
        timeout: float,
    ) -> None:
        with self._lock:
            for copy in range(copies):
                delivery = Delivery(
                    delivery_id=self._next_id,
                    event=event,
                    url=url,
                    body=body,
                    signature=signature,
                    copy=copy + 1,
                )
                self._next_id += 1
                self._records.append(delivery)
                self._queue.append((delivery, list(retry_delays), timeout))
            self._ensure_thread()
            self._wake.notify_all()

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [record.as_dict() for record in self._records]

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + sum(
                1 for record in self._records if not record.delivered and not record.gave_up
            )

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._records.clear()

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            self._thread = None
            self._stopping = False

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="tiktok-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        with httpx.Client(follow_redirects=False) as client:
            while True:
                with self._lock:
                    while not self._queue and not self._stopping:
                        self._wake.wait()
                    if self._stopping:
                        return
                    delivery, delays, timeout = self._queue.popleft()
                self._deliver(client, delivery, delays, timeout)

    def _deliver(
        self, client: httpx.Client, delivery: Delivery, delays: list[float], timeout: float
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            outcome: dict[str, Any] = {"attempt": attempt, "at": time.time()}
            try:
                response = client.post(
                    delivery.url,
                    content=delivery.body,
                    headers={
                        "Content-Type": "application/json",
                        "TikTok-Signature": delivery.signature,
                    },
                    timeout=timeout,
                )
                outcome["status"] = response.status_code
            except httpx.HTTPError as exc:
                outcome["error"] = f"{type(exc).__name__}: {exc}"
            with self._lock:
                delivery.attempts.append(outcome)
                if outcome.get("status") == 200:
                    delivery.delivered = True
                    return
                if attempt > len(delays) or self._stopping:
                    delivery.gave_up = True
                    log.warning("webhook %s to %s given up", delivery.event, delivery.url)
                    return
                delay = delays[attempt - 1]
                self._wake.wait(delay)
