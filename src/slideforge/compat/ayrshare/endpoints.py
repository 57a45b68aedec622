"""The routes of the Ayrshare-compatible API under ``/ayrshare/api`` (see the package
docstring); every error they raise answers in Ayrshare's shape (``errors.AyrshareRoute``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.compat.ayrshare import sends, service
from slideforge.compat.ayrshare.errors import (
    ERROR_RESPONSES,
    PREFIX,
    AyrshareRoute,
    register_outside_routes,
)
from slideforge.compat.ayrshare.schemas import (
    AyrsharePostBody,
    DeleteBody,
    DeleteResult,
    HistoryItem,
    PostResult,
)

router = APIRouter(
    prefix=PREFIX,
    tags=["compat: Ayrshare (TikTok)"],
    route_class=AyrshareRoute,
    responses=ERROR_RESPONSES,
)


@router.post("/post", response_model=PostResult)
async def create_post(
    body: AyrsharePostBody,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    profile_key: Annotated[
        str | None,
        Header(
            alias="Profile-Key",
            max_length=200,
            description="The TikTok account (id or @username); optional when the workspace "
            "has one active TikTok account.",
        ),
    ] = None,
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
    return JSONResponse(result.model_dump(mode="json"))


@router.get("/post/{post_id}", response_model=HistoryItem)
def get_post(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """The post and its TikTok state: ``postIds[0].id`` becomes TikTok's post id and
    ``postUrl`` appears once TikTok made it public."""
    return JSONResponse(service.get_post(session, caller, post_id).model_dump(mode="json"))


@router.get("/history/{post_id}", response_model=HistoryItem)
def get_history(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """Ayrshare's history item of one post (status success, processing, pending, error or
    deleted)."""
    return JSONResponse(service.get_post(session, caller, post_id).model_dump(mode="json"))


@router.delete("/delete", response_model=DeleteResult)
def delete_post(
    body: DeleteBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Delete a scheduled (or not yet sent, or failed) post. Published posts cannot be
    deleted through TikTok's API: the answer says to delete them in the TikTok app."""
    deleted = service.delete_post(session, runtime, caller, body.id)
    return JSONResponse(deleted.model_dump(mode="json"))


@router.delete("/post", response_model=DeleteResult)
def delete_post_v2(
    body: DeleteBody, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Same as ``DELETE /delete`` (Ayrshare's newer path)."""
    deleted = service.delete_post(session, runtime, caller, body.id)
    return JSONResponse(deleted.model_dump(mode="json"))


register_outside_routes(router)
