"""HTTP of /templates (contract §7)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Deleted, Envelope, error_responses, respond
from slideforge.kit.pagination import PageDep, SearchQuery
from slideforge.templates import service
from slideforge.templates.schemas import (
    FromSlideshowBody,
    TemplateCreate,
    TemplateList,
    TemplateOut,
    TemplateUpdate,
)

router = APIRouter(tags=["templates"])


_errors = partial(
    error_responses,
    {
        403: "workspace_key_required (workspace visibility with a personal key), "
        "forbidden_template_access (not the owner)",
        409: "template_name_conflict",
    },
)


@router.get("/templates", response_model=Envelope[TemplateList])
def list_templates(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    search: SearchQuery = None,
) -> JSONResponse:
    """Your templates and the workspace's shared ones; ``search`` matches name and
    description."""
    result = service.list_templates(
        session, caller, limit=page.limit, offset=page.offset, search=search
    )
    return respond(result)


@router.post(
    "/templates",
    status_code=201,
    response_model=Envelope[TemplateOut],
    responses=_errors(403, 409),
)
def create_template(
    body: TemplateCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Errors: ``422 invalid_template_config`` (naming the JSON path), ``409
    template_name_conflict``, ``403 workspace_key_required``."""
    return respond(service.create_template(session, runtime, caller, body), "Template created", 201)


@router.get("/templates/{template_id}", response_model=Envelope[TemplateOut])
def get_template(template_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.get_template(session, caller, template_id))


@router.patch(
    "/templates/{template_id}",
    response_model=Envelope[TemplateOut],
    responses=_errors(403, 409),
)
def update_template(
    template_id: str,
    body: TemplateUpdate,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    result = service.update_template(session, runtime, caller, template_id, body)
    return respond(result, "Template updated")


@router.delete("/templates/{template_id}", response_model=Envelope[Deleted], responses=_errors(403))
def delete_template(
    template_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    result = service.delete_template(session, runtime, caller, template_id)
    return respond(result, "Template deleted")


@router.post(
    "/templates/from-slideshow/{slideshow_id}",
    status_code=201,
    response_model=Envelope[TemplateOut],
    responses=_errors(403, 409),
)
def from_slideshow(
    slideshow_id: str,
    body: FromSlideshowBody,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    """A template from a slideshow's layout (``{}`` is a valid body). ``preserve_text:
    false`` keeps positions and sizes but empties the texts."""
    result = service.from_slideshow(session, runtime, caller, slideshow_id, body)
    return respond(result, "Template created", 201)
