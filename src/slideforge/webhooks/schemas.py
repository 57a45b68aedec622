"""Request and response models of /webhooks."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from slideforge.kit.validation import RequestBody
from slideforge.webhooks.events import EVENT_TYPES


class WebhookCreate(RequestBody):
    url: str = Field(
        min_length=1,
        max_length=2048,
        description="Public http(s) URL that receives a signed POST for each event (checked "
        "against private and loopback addresses now and at every delivery; redirects are not "
        "followed)",
    )
    events: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=len(EVENT_TYPES),
        description="Event types to receive (default: all)",
        json_schema_extra={"items": {"type": "string", "enum": list(EVENT_TYPES)}},
    )
    description: str | None = Field(default=None, max_length=500)


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    events: list[str]
    created_at: str | None
    updated_at: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="Standard Webhooks signing secret (whsec_…). Shown only in this answer: "
        "store it to verify the webhook-signature header."
    )


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]
    total: int
    event_types: list[str]


class DeliveryAttempt(BaseModel):
    attempt: int
    at: str
    status_code: int | None = Field(description="the receiver's HTTP status; null: no answer")
    error: str | None = Field(description="why the attempt did not count as delivered")
    response: str | None = Field(description="the first 300 characters of the answer")
    duration_ms: int
    retry_after: int | None = Field(
        default=None,
        description="seconds the receiver asked to wait (Retry-After on a 429 or 503 answer); "
        "the next attempt waits at least that long, up to the longest scheduled delay",
    )


class DeliveryOut(BaseModel):
    id: uuid.UUID = Field(description="the webhook-id header: the same on every attempt")
    webhook_id: uuid.UUID
    type: str
    summary: str
    payload: dict[str, Any] = Field(description="the body as sent: {type, timestamp, data}")
    status: str = Field(description="pending | delivered | failed")
    attempt_count: int
    attempts: list[DeliveryAttempt]
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    total: int
    limit: int
    offset: int
