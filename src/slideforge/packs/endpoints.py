"""HTTP of /packs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Deleted, Envelope, respond
from slideforge.kit.pagination import PageDep, SearchQuery
from slideforge.packs import service
from slideforge.packs.schemas import (
    PackCreate,
    PackDetail,
    PackImageCreate,
    PackImageCreated,
    PackList,
    PackUpdate,
)

router = APIRouter(tags=["packs"])


@router.get("/packs", response_model=Envelope[PackList])
def list_packs(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    include_public: Annotated[str | None, Query(max_length=20)] = None,
    search: SearchQuery = None,
) -> JSONResponse:
    """Own packs, plus public packs of other workspaces unless ``include_public=false``
    (only the literal ``false`` turns them off). ``search`` matches pack names and image
    descriptions and keywords."""
    result = service.list_packs(
        session,
        caller,
        limit=page.limit,
        offset=page.offset,
        include_public=(include_public or "").strip().lower() != "false",
        search=search,
    )
    return respond(result)


@router.post("/packs", status_code=201, response_model=Envelope[PackDetail])
def create_pack(body: PackCreate, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.create_pack(session, caller, body), "Pack created", 201)


@router.get("/packs/{pack_id}", response_model=Envelope[PackDetail])
def get_pack(pack_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """A pack with its images (oldest first) and each image's metadata."""
    return respond(service.get_pack(session, caller, pack_id))


@router.patch("/packs/{pack_id}", response_model=Envelope[PackDetail])
def update_pack(
    pack_id: str, body: PackUpdate, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    return respond(service.update_pack(session, caller, pack_id, body), "Pack updated")


@router.delete("/packs/{pack_id}", response_model=Envelope[Deleted])
def delete_pack(
    pack_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(service.delete_pack(session, runtime, caller, pack_id), "Pack deleted")


@router.post("/packs/{pack_id}/images", status_code=201, response_model=Envelope[PackImageCreated])
def add_image(
    pack_id: str,
    body: PackImageCreate,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    """Add an image by URL. The server does not download it now: its metadata (size,
    colours, brightness, busy-ness, calm region, and keywords when a vision model is
    configured) is computed in the background (status pending → processing → completed)."""
    created = service.add_image(session, caller, pack_id, body, runtime)
    return respond(created, "Image added", 201)


@router.delete("/packs/{pack_id}/images/{image_id}", response_model=Envelope[Deleted])
def delete_image(
    pack_id: str, image_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(
        service.delete_image(session, runtime, caller, pack_id, image_id), "Image deleted"
    )
