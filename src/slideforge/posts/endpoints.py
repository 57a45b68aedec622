"""HTTP of /posts (contract §4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Envelope, respond
from slideforge.posts import service
from slideforge.posts.schemas import (
    DeleteRequest,
    DeleteResult,
    PostCreate,
    PostCreated,
    PostList,
    PostOut,
    PostPlan,
    PostUpdate,
    RetryRequest,
    RetryResult,
)

router = APIRouter(tags=["posts"])


@router.post("/posts", status_code=201, response_model=Envelope[PostCreated])
def create_post(
    body: PostCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Schedule a post for up to 10 accounts (``accounts``), or let the server choose the
    account (``account_selection``). Media is fetched, checked and stored now. The same
    ``external_id`` (or, without one, the same body within 10 minutes) answers the first
    post with ``duplicate: true``: a retried request never makes a second post."""
    created = service.create_post(session, runtime, caller, body)
    if created.duplicate:
        return respond(created, "Duplicate of an existing post", 200)
    message = "Post scheduled" if created.status == "scheduled" else "Post queued"
    return respond(created, message, 201)


@router.post("/posts/validate", response_model=Envelope[PostPlan])
def validate_post(
    body: PostCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """A dry run of POST /posts: the same checks and refusals, the media fetched and checked
    but not stored, and the plan it would make (accounts and times, what each platform's
    variant does to the media, warnings); nothing is stored or enqueued and the idempotency
    key is not taken. ``duplicate_of`` names the post POST /posts would answer instead."""
    return respond(service.validate_post(session, runtime, caller, body), "Post is valid")


@router.get("/posts", response_model=Envelope[PostList])
def list_posts(
    caller: CallerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    status: Annotated[
        str | None, Query(pattern="^(" + "|".join(service.POST_STATUSES) + ")$")
    ] = None,
    since: Annotated[str | None, Query(max_length=64)] = None,
    until: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """Newest first; ``since``/``until`` filter on creation time (a space where a ``+``
    offset was meant is accepted)."""
    return respond(
        service.list_posts(session, caller, limit=limit, status=status, since=since, until=until)
    )


@router.get("/posts/{post_id}", response_model=Envelope[PostOut])
def get_post(post_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.get_post(session, caller, post_id))


@router.patch("/posts/{post_id}", response_model=Envelope[PostCreated])
def update_post(
    post_id: str, body: PostUpdate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Edit a draft, pending, scheduled, retry or failed post; the pending publish follows
    the edit (a new time reschedules it)."""
    updated = service.update_post(session, runtime, caller, post_id, body)
    return respond(updated, "Post updated")


@router.post("/posts/retry", response_model=Envelope[RetryResult])
def retry_posts(
    body: RetryRequest, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Retry the failed accounts of failed or partial posts (optionally only some)."""
    result = service.retry_posts(
        session, runtime, caller, body.post_ids, body.account_ids, body.include_unknown
    )
    return respond(result, "Retry queued")


@router.post("/posts/delete", response_model=Envelope[DeleteResult])
def delete_posts(
    body: DeleteRequest, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Delete draft, pending, scheduled, retry and failed posts; posted, partial and canceled
    ones are blocked; ids of other workspaces are skipped."""
    ids = body.postIds or body.post_ids or []
    result = service.delete_posts(session, runtime, caller, ids)
    return respond(result, "Posts deleted")
