"""Ayrshare's webhook registration (``POST/GET/DELETE /hook/webhook``): one endpoint per
action for the workspace, a row of ``webhook_endpoint`` with ``body_format`` ``ayrshare``, so
its deliveries go through the same outbox, retries and sweep as our own webhooks, in
Ayrshare's body shape (``webhooks.formats``). Registering an action again replaces its URL
and secret. Actions offered: ``scheduled`` and ``social``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.compat.ayrshare.errors import Refusal
from slideforge.compat.ayrshare.schemas import (
    WebhookBody,
    WebhookItem,
    WebhookList,
    WebhookRegistered,
    WebhookRemoved,
)
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError
from slideforge.kit.pagination import oldest_first
from slideforge.models import WebhookDelivery, WebhookEndpoint
from slideforge.runtime import Runtime
from slideforge.webhooks import service as webhooks
from slideforge.webhooks.formats import AYRSHARE, AYRSHARE_ACTIONS, ayrshare_action

# Ayrshare's other actions, which slideforge never sends.
NOT_SENT = ("feed", "batch", "messages", "accountActivity")


def _action(raw: str) -> str:
    action = raw.strip()
    if action in AYRSHARE_ACTIONS:
        return action
    offered = " and ".join(AYRSHARE_ACTIONS)
    if action in NOT_SENT:
        raise Refusal(
            "webhook",
            f"action {action!r}: slideforge sends no {action} webhooks; it sends {offered}.",
        )
    raise Refusal("webhook", f"action {action!r} is not a webhook action: use {offered}.")


def _endpoints(session: Session, caller: Caller) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            sa.select(WebhookEndpoint)
            .where(
                WebhookEndpoint.workspace_id == caller.workspace_id,
                WebhookEndpoint.body_format == AYRSHARE,
            )
            .order_by(*oldest_first(WebhookEndpoint))
        )
    )


def _registered(session: Session, caller: Caller, action: str) -> list[WebhookEndpoint]:
    return [e for e in _endpoints(session, caller) if ayrshare_action(e.events or []) == action]


def register(
    session: Session, runtime: Runtime, caller: Caller, body: WebhookBody
) -> WebhookRegistered:
    action = _action(body.action)
    if not body.url or not body.url.strip():
        raise Refusal("webhook", "url is required: the address to POST the action to.")
    try:
        url = webhooks.check_webhook_url(runtime, body.url)
    except ApiError as exc:
        raise Refusal("webhook", exc.message.replace("url: ", "url ", 1)) from exc
    now = runtime.clock.now()
    secret = runtime.secrets.encrypt(body.secret or "")
    existing = _registered(session, caller, action)
    if existing:
        row = existing[0]
        row.url, row.secret_enc, row.updated_at = url, secret, now
        for extra in existing[1:]:
            _remove(session, extra)
    else:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == caller.workspace_id)
        )
        if (count or 0) >= webhooks.MAX_ENDPOINTS:
            raise Refusal(
                "webhook",
                f"This workspace already has {webhooks.MAX_ENDPOINTS} webhooks: remove one "
                "(DELETE /hook/webhook, or DELETE /api/partner/v1/webhooks/{id}) first.",
                409,
            )
        row = WebhookEndpoint(
            workspace_id=caller.workspace_id,
            url=url,
            description=f"Ayrshare {action} action",
            events=list(AYRSHARE_ACTIONS[action]),
            secret_enc=secret,
            body_format=AYRSHARE,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
    session.flush()
    return WebhookRegistered(
        action=action, url=url, refId=str(caller.workspace_id), hookId=str(row.id)
    )


def listed(session: Session, runtime: Runtime, caller: Caller) -> WebhookList:
    items = []
    for row in _endpoints(session, caller):
        action = ayrshare_action(row.events or [])
        if action is None:
            continue
        try:
            signed = bool(runtime.secrets.decrypt(row.secret_enc))
        except ValueError:
            signed = False
        items.append(
            WebhookItem(
                action=action,
                url=row.url,
                hookId=str(row.id),
                created=isoformat(row.created_at),
                secret=signed,
            )
        )
    return WebhookList(webhooks=items)


def _remove(session: Session, row: WebhookEndpoint) -> None:
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == row.id))
    session.delete(row)


def unregister(session: Session, caller: Caller, body: WebhookBody) -> WebhookRemoved:
    action = _action(body.action)
    rows = _registered(session, caller, action)
    if not rows:
        raise Refusal("not_found", f"No webhook is registered for action {action!r}.", 404)
    for row in rows:
        _remove(session, row)
    session.flush()
    return WebhookRemoved(action=action)
