"""HTTP of /folders (contract §3). A query parameter that is missing or not accepted answers
``400 invalid_query_parameter`` (as the contract documents), bodies ``422 invalid_payload``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.folders import service
from slideforge.folders.schemas import (
    Ancestors,
    FolderCreate,
    FolderDeleted,
    FolderList,
    FolderOut,
    FolderUpdate,
    ItemIds,
    ItemList,
    ItemsAdded,
    ItemsRemoved,
    MediaTypeQuery,
    ParentQuery,
)
from slideforge.kit.envelope import (
    Envelope,
    describe_validation_errors,
    error_responses,
    respond,
)
from slideforge.kit.errors import ApiError
from slideforge.kit.pagination import Page, page_params


class FolderRoute(APIRoute):
    """Query parameters that fail validation answer 400 ``invalid_query_parameter`` (the
    contract's code) instead of the framework's 422; bodies keep 422 ``invalid_payload``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors = exc.errors()
                if errors and all(tuple(e.get("loc", ()))[:1] == ("query",) for e in errors):
                    message, details = describe_validation_errors(errors)
                    raise ApiError(
                        "invalid_query_parameter", message, 400, data={"errors": details}
                    ) from None
                raise

        return route


router = APIRouter(tags=["folders"], route_class=FolderRoute)
_errors = partial(
    error_responses,
    {
        400: "A query parameter is missing or not accepted (invalid_query_parameter)",
        409: "A folder of that name exists at that level (folder_name_conflict), or the move "
        "would nest a folder inside itself or clash with a name there (folder_move_conflict)",
        422: "Validation failed (invalid_payload), a parent of another media type "
        "(invalid_parent_folder), item ids that are empty or not ids (invalid_path), items "
        "that do not fit the folder (invalid_folder_media_type) or were never uploaded "
        "(item_not_ready)",
    },
)
PageDep = Annotated[Page, Depends(page_params(50))]


@router.get("/folders", response_model=Envelope[FolderList], responses=_errors(400))
def list_folders(
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    media_type: MediaTypeQuery,
    page: PageDep,
    parent_folder_id: ParentQuery = None,
) -> JSONResponse:
    """One level of a media type's folders, by name: the root level, or the subfolders of
    ``parent_folder_id``."""
    result = service.list_folders(
        session,
        runtime,
        caller,
        media_type=media_type,
        parent_folder_id=parent_folder_id,
        limit=page.limit,
        offset=page.offset,
    )
    return respond(result)


@router.post(
    "/folders", status_code=201, response_model=Envelope[FolderOut], responses=_errors(409, 422)
)
def create_folder(
    body: FolderCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(service.create_folder(session, runtime, caller, body), "Folder created", 201)


@router.get("/folders/{folder_id}", response_model=Envelope[FolderOut])
def get_folder(
    folder_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(service.get_folder(session, runtime, caller, folder_id))


@router.patch(
    "/folders/{folder_id}", response_model=Envelope[FolderOut], responses=_errors(409, 422)
)
def update_folder(
    folder_id: str,
    body: FolderUpdate,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    """Move (``parent_folder_id``: a folder id, or ``null`` for the root) and/or rename."""
    result = service.update_folder(session, runtime, caller, folder_id, body)
    return respond(result, "Folder updated")


@router.delete("/folders/{folder_id}", response_model=Envelope[FolderDeleted])
def delete_folder(folder_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """Deletes the folder, its subfolders and their memberships; files and slideshows stay."""
    return respond(service.delete_folder(session, caller, folder_id), "Folder deleted")


@router.get("/folders/{folder_id}/ancestors", response_model=Envelope[Ancestors])
def folder_ancestors(folder_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """The breadcrumb from the root-level folder (depth 0) down to the immediate parent."""
    return respond(service.ancestors(session, caller, folder_id))


@router.get("/folders/{folder_id}/items", response_model=Envelope[ItemList], responses=_errors(400))
def list_items(
    folder_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep
) -> JSONResponse:
    """The folder's files (or slideshows), the ones added last first."""
    result = service.list_items(
        session, runtime, caller, folder_id, limit=page.limit, offset=page.offset
    )
    return respond(result)


@router.post(
    "/folders/{folder_id}/items", response_model=Envelope[ItemsAdded], responses=_errors(422)
)
def add_items(
    folder_id: str, body: ItemIds, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Adds 1–200 items (ids trimmed, duplicates once); ``added_count`` counts the new ones."""
    result = service.add_items(session, caller, folder_id, body.item_ids)
    return respond(result, "Items added")


@router.delete(
    "/folders/{folder_id}/items", response_model=Envelope[ItemsRemoved], responses=_errors(422)
)
def remove_items(
    folder_id: str, body: ItemIds, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Removes the items from the folder (the files and slideshows themselves stay)."""
    result = service.remove_items(session, caller, folder_id, body.item_ids)
    return respond(result, "Items removed")
