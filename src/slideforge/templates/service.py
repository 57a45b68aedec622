"""Rules of templates.

Owner: the member of a personal key, or the workspace for a workspace key ("owner key"
``workspace``). ``private`` templates are visible to their owner only; ``workspace``
templates to every key of the workspace, but only the owner may change or delete them.
Only workspace keys may create or switch to ``workspace`` visibility. Names are unique per
owner after trimming (exact comparison)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.files.derivatives import keys_of
from slideforge.kit.clock import isoformat
from slideforge.kit.crypto import sha256_hex
from slideforge.kit.envelope import Deleted
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import fetch_page, newest_first, text_search
from slideforge.models import File, Slideshow, Template
from slideforge.models.template import WORKSPACE_OWNER
from slideforge.products.service import check_reference
from slideforge.runtime import Runtime
from slideforge.slideshows import service as slideshows
from slideforge.templates.schemas import (
    MAX_TEMPLATE_SLIDES,
    FromSlideshowBody,
    TemplateConfig,
    TemplateCreate,
    TemplateList,
    TemplateOut,
    TemplateUpdate,
)

PREVIEW_CONTEXT = "template-preview"
_TAGS = ("constrained-str", "function-after", "function-before", "literal", "union")


def owner_key(caller: Caller) -> str:
    return str(caller.member_id) if caller.member_id else WORKSPACE_OWNER


def _visible(caller: Caller) -> sa.ColumnElement[bool]:
    return sa.and_(
        Template.workspace_id == caller.workspace_id,
        sa.or_(Template.owner_key == owner_key(caller), Template.visibility == "workspace"),
    )


def _path(loc: tuple[Any, ...]) -> str:
    out = "config"
    previous: Any = None
    for part in loc:
        if previous == "packAssignments":  # a map: the part is the user's key
            out += f'["{part}"]'
        elif isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (
            part.startswith(_TAGS) or "[" in part or part in ("str", "float", "int", "none")
        ):
            continue
        else:
            out += f".{part}"
        previous = part
    return out


def parse_config(raw: object, where: str = "config") -> TemplateConfig:
    """Config v1, or 422 invalid_template_config naming the JSON path that failed."""
    try:
        return TemplateConfig.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
            if err.get("type") == "missing":
                message = "is required"
            path = _path(tuple(err.get("loc", ())))
            errors.append({"field": where + path.removeprefix("config"), "message": message})
        unique = list({(e["field"], e["message"]): e for e in errors}.values())
        text = "; ".join(f"{e['field']}: {e['message']}" for e in unique[:5])
        if len(unique) > 5:
            text += f" (and {len(unique) - 5} more)"
        raise ApiError("invalid_template_config", text, 422, data={"errors": unique}) from exc


def config_dump(config: TemplateConfig) -> dict[str, Any]:
    """What is stored and returned: the fields sent (unknown keys dropped)."""
    return config.model_dump(exclude_unset=True)


def template_out(row: Template, caller: Caller) -> TemplateOut:
    return TemplateOut(
        id=str(row.id),
        name=row.name,
        description=row.description,
        visibility=row.visibility,
        preview_url=row.preview_url,
        use_count=row.use_count,
        last_used_at=isoformat(row.last_used_at),
        created_at=isoformat(row.created_at),
        updated_at=isoformat(row.updated_at),
        is_owner=row.owner_key == owner_key(caller),
        config=dict(row.config or {}),
    )


def _visible_row(session: Session, caller: Caller, template_id: object) -> Template | None:
    parsed = parse_id(template_id)
    if parsed is None:
        return None
    return session.scalar(sa.select(Template).where(Template.id == parsed, _visible(caller)))


def _get(session: Session, caller: Caller, template_id: object) -> Template:
    row = _visible_row(session, caller, template_id)
    if row is None:
        raise not_found("template")
    return row


def _owned(session: Session, caller: Caller, template_id: object) -> Template:
    row = _get(session, caller, template_id)
    if row.owner_key != owner_key(caller):
        raise ApiError(
            "forbidden_template_access",
            "This workspace template belongs to another owner: it can be read and used, "
            "not changed. Create your own copy with POST /templates.",
            403,
        )
    return row


def _check_visibility(caller: Caller, visibility: str) -> None:
    if visibility == "workspace" and not caller.is_workspace_key:
        raise ApiError(
            "workspace_key_required",
            'visibility "workspace" needs a workspace-scoped API key; this is a personal key: '
            'use "private", or a workspace key.',
            403,
        )


def _name_conflict(name: str) -> ApiError:
    return ApiError(
        "template_name_conflict",
        f"You already have a template named {name!r}: choose another name.",
        409,
    )


def _name_taken(session: Session, caller: Caller, name: str, exclude: uuid.UUID | None) -> bool:
    query = sa.select(Template.id).where(
        Template.workspace_id == caller.workspace_id,
        Template.owner_key == owner_key(caller),
        Template.name == name,
    )
    if exclude is not None:
        query = query.where(Template.id != exclude)
    return session.scalar(query) is not None


def _save(session: Session, row: Template) -> None:
    """Flush, turning the unique (owner, name) constraint into a 409 (concurrent creates)."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise _name_conflict(row.name) from exc


def list_templates(
    session: Session, caller: Caller, *, limit: int, offset: int, search: str | None
) -> TemplateList:
    query = sa.select(Template).where(
        _visible(caller), text_search(search, Template.name, Template.description)
    )
    total, rows = fetch_page(session, query, *newest_first(Template), limit=limit, offset=offset)
    return TemplateList(
        templates=[template_out(r, caller) for r in rows], total=total, limit=limit, offset=offset
    )


def get_template(session: Session, caller: Caller, template_id: object) -> TemplateOut:
    return template_out(_get(session, caller, template_id), caller)


def _check_product(session: Session, caller: Caller, config: TemplateConfig) -> None:
    """``config.content.productId`` must be a product this key may use (as ``product_id``
    elsewhere: 404 product_not_found, 403 for another member's personal product)."""
    product_id = config.content.productId if config.content else None
    if product_id is None:
        return
    try:
        check_reference(session, caller, str(product_id))
    except ApiError as exc:
        raise ApiError(
            exc.error_code,
            f"config.content.productId: {exc.message}; send the id of one of your products "
            "(GET /products) or leave it out",
            exc.status,
            data={"errors": [{"field": "config.content.productId", "message": exc.message}]},
        ) from exc


def create_template(
    session: Session, runtime: Runtime, caller: Caller, body: TemplateCreate
) -> TemplateOut:
    config = parse_config(body.config)
    _check_product(session, caller, config)
    _check_visibility(caller, body.visibility)
    if _name_taken(session, caller, body.name, None):
        raise _name_conflict(body.name)
    now = runtime.clock.now()
    row = Template(
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        owner_key=owner_key(caller),
        name=body.name,
        description=body.description,
        visibility=body.visibility,
        config=config_dump(config),
        use_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _save(session, row)
    return template_out(row, caller)


def update_template(
    session: Session, runtime: Runtime, caller: Caller, template_id: object, body: TemplateUpdate
) -> TemplateOut:
    row = _owned(session, caller, template_id)
    sent = {k for k in body.model_fields_set if k == "description" or getattr(body, k) is not None}
    if not sent:
        raise invalid_payload("body", "send at least one of name, description, visibility, config")
    if body.config is not None:
        config = parse_config(body.config)
        _check_product(session, caller, config)
        row.config = config_dump(config)
    if body.visibility is not None:
        _check_visibility(caller, body.visibility)
        row.visibility = body.visibility
    if "description" in sent:
        row.description = body.description
    if body.name is not None and body.name != row.name:
        if _name_taken(session, caller, body.name, row.id):
            raise _name_conflict(body.name)
        row.name = body.name
    row.updated_at = runtime.clock.now()
    _save(session, row)
    return template_out(row, caller)


def delete_template(
    session: Session, runtime: Runtime, caller: Caller, template_id: object
) -> Deleted:
    """Deletes the template (slideshows made from it keep existing) and, once that
    committed, the stored bytes of its preview copy."""
    row = _owned(session, caller, template_id)
    if row.preview_file_id is not None:
        preview = session.get(File, row.preview_file_id)
        if preview is not None:
            slideshows.purge_after_commit(
                session, runtime, [preview.storage_key, *keys_of(preview.derivatives)]
            )
            session.delete(preview)
    session.delete(row)
    session.flush()
    return Deleted(id=row.id)


def template_for_use(
    session: Session, caller: Caller, template_id: str
) -> tuple[Template, TemplateConfig]:
    """A template ``template_id`` in a generate body names (404 template_not_found)."""
    row = _visible_row(session, caller, template_id)
    if row is None:
        raise ApiError("template_not_found", f"template {template_id.strip()} not found", 404)
    return row, parse_config(row.config, where="template.config")


def mark_used(session: Session, template_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        sa.update(Template)
        .where(Template.id == template_id)
        .values(use_count=Template.use_count + 1, last_used_at=now)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------------------------------------
# POST /templates/from-slideshow/{id}


def _clamp(value: Any, low: float, high: float) -> float | None:
    """Numbers kept in the config's ranges (slides imported by copy-a-TikTok may measure a
    little outside them)."""
    if value is None:
        return None
    return min(max(float(value), low), high)


def _element_config(element: dict[str, Any], preserve_text: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": element.get("id"),
        "content": element.get("content", "") if preserve_text else "",
        "x": _clamp(element.get("x", 50), 0, 100),
        "y": _clamp(element.get("y", 50), 0, 100),
        "fontSize": _clamp(element.get("font_size"), 8, 200),
        "width": _clamp(element.get("width"), 1, 100),
    }
    for theirs, value in (
        ("height", _clamp(element.get("height"), 0, 100)),
        ("stylePreset", element.get("style_preset")),
        ("fontFamily", element.get("font_family")),
        ("textColor", element.get("text_color")),
        ("backgroundColor", element.get("background_color")),
        ("borderRadius", _clamp(element.get("border_radius"), 0, 500)),
    ):
        if value is not None:
            out[theirs] = value
    return out


def config_from_slideshow(row: Slideshow, preserve_text: bool) -> dict[str, Any]:
    """Config v1 of a slideshow: pack slides stay random picks from their pack (the pack of
    each slide becomes a pack assignment when it is not the main pack); custom slides keep
    their image. Grids, overlays and filters are not part of config v1."""
    settings = dict(row.settings or {})
    main_pack = settings.get("image_pack_id")
    slides: list[dict[str, Any]] = []
    assignments: dict[str, str] = {}
    for i, slide in enumerate(row.slides or []):
        is_pack = slide.get("slide_type") == "image_pack" and bool(
            slide.get("pack_id") or main_pack
        )
        if is_pack and slide.get("pack_id") and slide["pack_id"] != main_pack:
            assignments[str(i)] = slide["pack_id"]
        slides.append(
            {
                "type": "pack" if is_pack else "custom",
                "id": str(uuid.uuid4()),
                "pinnedImageUrl": None if is_pack else slide.get("image_url"),
                "textElements": [
                    _element_config(e, preserve_text) for e in slide.get("text_elements") or []
                ],
            }
        )
    advanced = settings.get("advanced_settings") or {}
    config: dict[str, Any] = {
        "version": 1,
        "structure": {"slides": slides},
        "content": {
            "mode": "manual" if preserve_text else "ai",
            "productId": str(row.product_id) if row.product_id else None,
            "language": row.language,
            "slideshowType": row.slideshow_type,
        },
        "visuals": {
            "packId": main_pack,
            "aspectRatio": settings.get("aspect_ratio") or "4:5",
            "textSettings": {
                key: value
                for key, value in (
                    ("fontSize", advanced.get("font_size")),
                    ("preset", advanced.get("text_preset")),
                    ("width", advanced.get("text_width")),
                    ("fontFamily", advanced.get("font_family")),
                )
                if value is not None
            },
        },
    }
    if assignments:
        config["structure"]["packAssignments"] = assignments
    if row.original_prompt:
        config["content"]["prompt"] = row.original_prompt
    return config


def _free_name(session: Session, caller: Caller, base: str) -> str:
    base = base.strip()[:100] or "Template"
    if not _name_taken(session, caller, base, None):
        return base
    for n in range(2, 10_000):
        suffix = f" ({n})"
        name = base[: 100 - len(suffix)].rstrip() + suffix
        if not _name_taken(session, caller, name, None):
            return name
    return f"{base[:60]} {uuid.uuid4().hex[:8]}"


def from_slideshow(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    slideshow_id: object,
    body: FromSlideshowBody,
) -> TemplateOut:
    source = slideshows.get_row(session, caller, slideshow_id)
    _check_visibility(caller, body.visibility)
    if len(source.slides or []) > MAX_TEMPLATE_SLIDES:
        raise ApiError(
            "invalid_template_config",
            f"config.structure.slides: the slideshow has {len(source.slides)} slides; a "
            f"template holds at most {MAX_TEMPLATE_SLIDES}",
            422,
        )
    config = config_dump(parse_config(config_from_slideshow(source, body.preserve_text)))
    if body.name is not None:
        name = body.name
        if _name_taken(session, caller, name, None):
            raise _name_conflict(name)
    else:
        name = _free_name(session, caller, f"{source.title} template")
    preview_key = _preview_source(session, source)
    session.commit()  # the preview copy below is I/O: hold no transaction

    template_id = uuid.uuid4()
    copied: tuple[str, bytes] | None = None
    if preview_key is not None:
        try:
            data = runtime.storage.read(preview_key)
            key = f"templates/{template_id}/preview.jpg"
            runtime.storage.put(key, data, "image/jpeg")
            copied = (key, data)
        except Exception:  # a preview is a nicety: the template is made without one
            copied = None
    now = runtime.clock.now()
    row = Template(
        id=template_id,
        workspace_id=caller.workspace_id,
        member_id=caller.member_id,
        owner_key=owner_key(caller),
        name=name,
        description=body.description,
        visibility=body.visibility,
        config=config,
        use_count=0,
        created_at=now,
        updated_at=now,
    )
    if copied is not None:
        key, data = copied
        preview = File(
            workspace_id=caller.workspace_id,
            member_id=caller.member_id,
            filename="preview.jpg",
            content_type="image/jpeg",
            context=PREVIEW_CONTEXT,
            status="ready",
            storage_key=key,
            size=len(data),
            sha256=sha256_hex(data),
            uploaded_at=now,
        )
        session.add(preview)
        session.flush()
        row.preview_file_id = preview.id
        row.preview_url = runtime.storage.url(key)
    session.add(row)
    try:
        _save(session, row)
    except ApiError:
        if copied is not None:
            slideshows.purge_storage(runtime, [copied[0]])
        raise
    return template_out(row, caller)


def _preview_source(session: Session, source: Slideshow) -> str | None:
    """Storage key of the slideshow's first rendered slide, if it has one."""
    slides = source.slides or []
    file_id = parse_id(slides[0].get("rendered_file_id")) if slides else None
    if file_id is None:
        return None
    file = session.get(File, file_id)
    return file.storage_key if file is not None and file.status == "ready" else None
