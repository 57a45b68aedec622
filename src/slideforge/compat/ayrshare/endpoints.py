"""The routes of the Ayrshare-compatible API under ``/ayrshare/api`` (see the package
docstring); every error they raise answers in Ayrshare's shape (``errors.AyrshareRoute``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.compat.ayrshare import hooks, reads, sends, service
from slideforge.compat.ayrshare.errors import (
    ERROR_RESPONSES,
    PREFIX,
    AyrshareRoute,
    register_outside_routes,
)
from slideforge.compat.ayrshare.schemas import (
    AyrsharePostBody,
    BulkDeleteResult,
    DeleteBody,
    DeleteResult,
    HistoryItem,
    HistoryList,
    PostResult,
    RetryBody,
    RetryResult,
    UserResult,
    WebhookBody,
    WebhookList,
    WebhookRegistered,
    WebhookRemoved,
)

router = APIRouter(
    prefix=PREFIX,
    tags=["compat: Ayrshare (TikTok)"],
    route_class=AyrshareRoute,
    responses=ERROR_RESPONSES,
)


ProfileKey = Annotated[
    str | None,
    Header(
        alias="Profile-Key",
        max_length=200,
        description="The TikTok account (id or @username); optional when the workspace "
        "has one active TikTok account.",
    ),
]


def _json(model: BaseModel) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"))


@router.post("/post", response_model=PostResult)
async def create_post(
    body: AyrsharePostBody,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    profile_key: ProfileKey = None,
) -> JSONResponse:
    """Publish (or schedule) a TikTok post: one video or up to 35 images."""
    # The service's work (media fetches, queries) runs on a worker thread; the wait for the
    # TikTok call holds none.
    created = await run_in_threadpool(
        service.create_post, session, runtime, caller, body, profile_key
    )
    if created.sends_now:
        await sends.wait_for_send(runtime, created.post_id)
    result = await run_in_threadpool(service.post_result, runtime, created)
    return _json(result)


@router.get("/post/{post_id}", response_model=HistoryItem)
def get_post(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """The post and its TikTok state: ``postIds[0].id`` becomes TikTok's post id and
    ``postUrl`` appears once TikTok made it public."""
    return _json(service.get_post(session, caller, post_id))


@router.get("/history/{post_id}", response_model=HistoryItem)
def get_history(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """Ayrshare's history item of one post (status success, processing, pending, error or
    deleted)."""
    return _json(service.get_post(session, caller, post_id))


@router.get("/history", response_model=HistoryList)
def list_history(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    profile_key: ProfileKey = None,
    status: Annotated[
        Literal[
            "success", "error", "processing", "pending", "deleted", "paused", "awaiting approval"
        ]
        | None,
        Query(),
    ] = None,
    lastDays: Annotated[int | None, Query(ge=0, le=3650)] = None,
    lastRecords: Annotated[int | None, Query(ge=0, le=1000)] = None,
    limit: Annotated[int | None, Query(ge=0, le=1000)] = None,
    type: Annotated[Literal["immediate", "scheduled"] | None, Query()] = None,
) -> JSONResponse:
    """The workspace's posts (the Profile-Key's account's with one), newest first by publish
    date: ``lastDays`` (30; 0 = all), ``lastRecords``/``limit`` (25), ``status`` (success,
    error, processing, pending; deleted posts only with ``deleted``), ``type`` (immediate,
    scheduled), ``platform``/``platforms[n]`` (any of them)."""
    return _json(
        reads.history(
            session,
            runtime,
            caller,
            profile_key,
            status=status,
            last_days=lastDays,
            limit=limit,
            last_records=lastRecords,
            post_type=type,
            platforms=reads.platform_filter(request.query_params.multi_items()),
        )
    )


@router.get("/user", response_model=UserResult)
def get_user(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, profile_key: ProfileKey = None
) -> JSONResponse:
    """The connected accounts, each with ``refreshRequired`` (when it must be reconnected)
    and ``refreshDaysRemaining``."""
    return _json(reads.user(session, runtime, caller, profile_key))


@router.put("/post/retry", response_model=RetryResult)
def retry_post(
    body: RetryBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Send a post whose status is error again (its failed targets, at once)."""
    return _json(service.retry_post(session, runtime, caller, body.id))


@router.delete("/delete", response_model=DeleteResult | BulkDeleteResult)
@router.delete("/post", response_model=DeleteResult | BulkDeleteResult)
def delete_post(
    body: DeleteBody,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    profile_key: ProfileKey = None,
) -> JSONResponse:
    """Delete a scheduled (or not yet sent, or failed) post, several (``bulk``), or every
    scheduled one (``deleteAllScheduled``). Published posts cannot be deleted through
    TikTok's API: the answer says to delete them in the TikTok app. ``DELETE /post`` is
    Ayrshare's newer path for the same call."""
    return _json(service.delete(session, runtime, caller, body, profile_key))


@router.post("/hook/webhook", response_model=WebhookRegistered)
def register_webhook(
    body: WebhookBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Register the URL of an action (``scheduled`` or ``social``) for the workspace; again
    for the same action replaces it."""
    return _json(hooks.register(session, runtime, caller, body))


@router.get("/hook/webhook", response_model=WebhookList)
def list_webhooks(caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    return _json(hooks.listed(session, runtime, caller))


@router.delete("/hook/webhook", response_model=WebhookRemoved)
def unregister_webhook(body: WebhookBody, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return _json(hooks.unregister(session, caller, body))


register_outside_routes(router)
