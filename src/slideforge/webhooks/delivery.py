"""One delivery attempt: sign the stored payload (Standard Webhooks), POST it through SafeHttp
(redirects not followed, short timeout, capped response), record the outcome.

Guarantees: at least once (a crash after the POST and before the record repeats the attempt
with the same ``webhook-id``, so receivers deduplicate on it); a 2xx answer is delivered;
anything else is retried after ``webhook_retry_delays`` until they run out, then failed (a
receiver answering 429 or 503 with ``Retry-After`` gets at least that long, up to the longest
scheduled delay); a deleted endpoint (its rows go with it) stops at the next attempt."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from standardwebhooks import Webhook

from slideforge import __version__
from slideforge.kit.clock import isoformat
from slideforge.kit.safehttp import FetchError, UnsafeUrlError, retry_after_seconds
from slideforge.models import WebhookDelivery, WebhookEndpoint
from slideforge.runtime import Runtime
from slideforge.webhooks.formats import AYRSHARE, ayrshare_headers

log = logging.getLogger(__name__)

USER_AGENT = f"slideforge-webhooks/{__version__}"
# Receivers answer with a short acknowledgement; a larger body is not read.
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Prepared:
    url: str
    secret: str | None  # None: it cannot be decrypted with this server's key
    body: str
    body_format: str = "slideforge"


def body_of(payload: dict[str, Any]) -> str:
    """The exact bytes that are signed and sent (compact JSON, UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(secret: str, msg_id: str, body: str, sent_at: datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` (the attempt's wall-clock time, which receivers
    compare with their own clock) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``)."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, sent_at, body),
    }


def _prepare(runtime: Runtime, delivery_id: uuid.UUID, attempt: int) -> Prepared | str:
    """What to send, or why nothing is sent (``gone``: endpoint deleted; ``skip``: this
    attempt already happened or the delivery is settled)."""
    with runtime.db.session() as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            return "gone"
        if row.status != "pending" or row.attempt_count != attempt - 1:
            return "skip"
        endpoint = session.get(WebhookEndpoint, row.endpoint_id)
        if endpoint is None:
            return "gone"
        try:
            secret: str | None = runtime.secrets.decrypt(endpoint.secret_enc)
        except ValueError:
            secret = None
        return Prepared(endpoint.url, secret, body_of(row.payload), endpoint.body_format)


def _post(runtime: Runtime, msg_id: str, prepared: Prepared) -> dict[str, Any]:
    """One HTTP attempt; never raises. ``status_code`` is None when no answer came."""
    started = time.monotonic()
    sent_at = datetime.now(UTC)
    secret = prepared.secret or ""
    if prepared.body_format == AYRSHARE:
        # Ayrshare's HMAC headers (with the secret given at registration, if any); the
        # webhook-id stays, for receivers that deduplicate repeated attempts.
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            **ayrshare_headers(secret, prepared.body, sent_at),
        }
    else:
        headers = signed_headers(secret, msg_id, prepared.body, sent_at)
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: int | None = None
    try:
        with runtime.http.client(
            user_agent=USER_AGENT, timeout=runtime.settings.webhook_timeout_seconds
        ) as client:
            result = client.request(
                "POST",
                prepared.url,
                max_bytes=MAX_RESPONSE_BYTES,
                headers=headers,
                content=prepared.body.encode(),
                follow_redirects=False,
            )
        status = result.status
        text = result.content[:EXCERPT_CHARS].decode("utf-8", "replace").replace("\x00", "")
        excerpt = text or None
        if 300 <= status < 400:
            error = (
                f"answered HTTP {status} (a redirect to {result.headers.get('location')!r}); "
                "redirects are not followed: register the final URL"
            )
        elif not 200 <= status < 300:
            error = f"answered HTTP {status}; only a 2xx answer counts as delivered"
            if status in (429, 503):
                retry_after = retry_after_seconds(result.headers, datetime.now(UTC))
    except UnsafeUrlError as exc:
        error = f"not sent: {exc} (webhook URLs must reach a public address)"
    except FetchError as exc:
        if exc.reason == "timeout":
            timeout = runtime.settings.webhook_timeout_seconds
            error = f"no answer within {timeout:g} s: answer at once, then do the work"
        elif exc.reason == "too_large":
            error = f"the answer is larger than {MAX_RESPONSE_BYTES // 1024} KiB"
        else:
            error = str(exc)
    except Exception as exc:  # anything else is a failed attempt, never a lost one
        log.warning("webhook delivery %s failed unexpectedly", msg_id, exc_info=True)
        error = f"the delivery failed: {type(exc).__name__}"
    return {
        "status_code": status,
        "error": error,
        "response": excerpt,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "retry_after": retry_after,
    }


def _record(
    runtime: Runtime, delivery_id: uuid.UUID, attempt: int, outcome: dict[str, Any]
) -> dict[str, Any]:
    now = runtime.clock.now()
    delays = runtime.settings.webhook_retry_delays
    with runtime.db.session() as session:
        row = session.scalar(
            sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
        )
        if row is None:
            return {"outcome": "gone"}
        if row.status != "pending" or row.attempt_count != attempt - 1:
            return {"outcome": "skip"}
        row.attempt_count = attempt
        row.attempts = [
            *(row.attempts or []),
            {"attempt": attempt, "at": isoformat(now), **outcome},
        ]
        if outcome["error"] is None:
            row.status = "delivered"
            row.delivered_at = now
            row.next_attempt_at = None
            return {"outcome": "delivered"}
        if attempt > len(delays):
            row.status = "failed"
            row.next_attempt_at = None
            return {"outcome": "failed"}
        delay = float(delays[attempt - 1])
        if outcome.get("retry_after"):
            delay = max(delay, min(float(outcome["retry_after"]), max(delays)))
        row.next_attempt_at = now + timedelta(seconds=delay)
        return {"outcome": "retry", "delay": delay}


def attempt(runtime: Runtime, delivery_id: str, attempt: int) -> dict[str, Any]:
    """Make attempt number ``attempt`` of a delivery. Answers ``{"outcome": delivered |
    failed | retry (with "delay" seconds) | gone | skip}``."""
    parsed = uuid.UUID(delivery_id)
    prepared = _prepare(runtime, parsed, attempt)
    if isinstance(prepared, str):
        return {"outcome": prepared}
    if prepared.secret is None or (not prepared.secret and prepared.body_format != AYRSHARE):
        outcome: dict[str, Any] = {
            "status_code": None,
            "error": "not sent: the signing secret cannot be decrypted with this server's "
            "encryption key (SLIDEFORGE_ENCRYPTION_KEY changed): delete the webhook and create "
            "it again",
            "response": None,
            "duration_ms": 0,
        }
    else:
        outcome = _post(runtime, delivery_id, prepared)
    return _record(runtime, parsed, attempt, outcome)
