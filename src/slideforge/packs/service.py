"""Rules and queries of packs and pack images. Own packs can be changed; public packs of
other workspaces can be read (and listed with include_public) but never changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge import jobs
from slideforge.auth.service import Caller
from slideforge.files import derivatives
from slideforge.files.service import media_key_for_url
from slideforge.kit.clock import isoformat
from slideforge.kit.db import on_commit
from slideforge.kit.envelope import Deleted
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import fetch_page, newest_first, oldest_first, text_search
from slideforge.kit.safehttp import UnsafeUrlError
from slideforge.models import Pack, PackImage
from slideforge.packs.schemas import (
    ImageMetadata,
    PackCreate,
    PackDetail,
    PackImageCreate,
    PackImageCreated,
    PackImageOut,
    PackList,
    PackSummary,
    PackUpdate,
)
from slideforge.runtime import Runtime

CONTENT_TYPES = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
}


def content_type_from_url(url: str) -> str:
    """Inferred from the extension (png, gif, webp, heic, heif, avif), else JPEG."""
    path = PurePosixPath(url.split("?", 1)[0].split("#", 1)[0])
    return CONTENT_TYPES.get(path.suffix.lower(), "image/jpeg")


def _counts(session: Session, pack_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not pack_ids:
        return {}
    rows = session.execute(
        sa.select(PackImage.pack_id, sa.func.count())
        .where(PackImage.pack_id.in_(pack_ids))
        .group_by(PackImage.pack_id)
    )
    return {pack_id: count for pack_id, count in rows}


def _previews(session: Session, pack_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not pack_ids:
        return {}
    first = (
        sa.select(PackImage.pack_id, sa.func.min(PackImage.created_at).label("first"))
        .where(PackImage.pack_id.in_(pack_ids))
        .group_by(PackImage.pack_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(PackImage.pack_id, PackImage.url).join(
            first,
            sa.and_(PackImage.pack_id == first.c.pack_id, PackImage.created_at == first.c.first),
        )
    )
    return {pack_id: url for pack_id, url in rows}


def summary(pack: Pack, caller: Caller, count: int, preview: str | None) -> PackSummary:
    return PackSummary(
        id=pack.id,
        name=pack.name,
        image_count=count,
        preview_image_url=preview,
        is_public=bool(pack.is_public),
        is_owner=pack.workspace_id == caller.workspace_id,
        created_at=isoformat(pack.created_at),
    )


def image_out(image: PackImage) -> PackImageOut:
    meta: dict[str, Any] = dict(image.meta or {})
    return PackImageOut(
        id=image.id,
        url=image.url,
        file_name=image.file_name,
        content_type=image.content_type,
        created_at=isoformat(image.created_at),
        metadata=ImageMetadata(status=image.meta_status, **meta),
    )


def list_packs(
    session: Session,
    caller: Caller,
    *,
    limit: int,
    offset: int,
    include_public: bool,
    search: str | None,
) -> PackList:
    """Packs whose name, or the words found in one of whose images, hold ``search``."""
    visible = Pack.workspace_id == caller.workspace_id
    if include_public:
        visible = sa.or_(visible, Pack.is_public.is_(True))
    query = sa.select(Pack).where(visible)
    if (search or "").strip():
        matching_images = sa.select(PackImage.pack_id).where(
            text_search(search, PackImage.search_text)
        )
        query = query.where(sa.or_(text_search(search, Pack.name), Pack.id.in_(matching_images)))
    total, packs = fetch_page(session, query, *newest_first(Pack), limit=limit, offset=offset)
    ids = [pack.id for pack in packs]
    counts, previews = _counts(session, ids), _previews(session, ids)
    return PackList(
        packs=[summary(p, caller, counts.get(p.id, 0), previews.get(p.id)) for p in packs],
        total=total,
        limit=limit,
        offset=offset,
    )


def readable_pack(session: Session, caller: Caller, pack_id: object) -> Pack:
    """A pack of the caller's workspace, or a public one; else 404."""
    parsed = parse_id(pack_id)
    pack = session.get(Pack, parsed) if parsed else None
    if pack is None or (pack.workspace_id != caller.workspace_id and not pack.is_public):
        raise not_found("pack")
    return pack


def owned_pack(session: Session, caller: Caller, pack_id: object) -> Pack:
    pack = readable_pack(session, caller, pack_id)
    if pack.workspace_id != caller.workspace_id:
        raise ApiError(
            "forbidden",
            "This public pack belongs to another workspace: it can be read, not changed.",
            403,
        )
    return pack


def pack_images(session: Session, pack_id: uuid.UUID) -> list[PackImage]:
    query = sa.select(PackImage).where(PackImage.pack_id == pack_id)
    return list(session.scalars(query.order_by(*oldest_first(PackImage))))


def get_pack(session: Session, caller: Caller, pack_id: object) -> PackDetail:
    pack = readable_pack(session, caller, pack_id)
    images = pack_images(session, pack.id)
    base = summary(pack, caller, len(images), images[0].url if images else None)
    return PackDetail(**base.model_dump(), images=[image_out(image) for image in images])


def create_pack(session: Session, caller: Caller, body: PackCreate) -> PackDetail:
    pack = Pack(workspace_id=caller.workspace_id, name=body.name, is_public=body.is_public)
    session.add(pack)
    session.flush()
    return PackDetail(**summary(pack, caller, 0, None).model_dump(), images=[])


def update_pack(session: Session, caller: Caller, pack_id: object, body: PackUpdate) -> PackDetail:
    fields = body.model_dump(exclude_unset=True)
    fields = {key: value for key, value in fields.items() if value is not None}
    if not fields:
        raise invalid_payload("body", "send at least one of name, is_public")
    pack = owned_pack(session, caller, pack_id)
    for key, value in fields.items():
        setattr(pack, key, value)
    session.flush()
    return get_pack(session, caller, pack.id)


def _purge_derivatives(session: Session, runtime: Runtime, images: Iterable[PackImage]) -> None:
    keys = [key for image in images for key in derivatives.keys_of(image.derivatives)]
    if keys:  # once the rows are gone for good (a rollback keeps them and their files)
        on_commit(session, lambda: derivatives.purge(runtime, keys))


def delete_pack(session: Session, runtime: Runtime, caller: Caller, pack_id: object) -> Deleted:
    pack = owned_pack(session, caller, pack_id)
    _purge_derivatives(session, runtime, pack_images(session, pack.id))
    session.execute(sa.delete(PackImage).where(PackImage.pack_id == pack.id))
    session.delete(pack)
    session.flush()
    return Deleted(id=pack.id)


def add_image(
    session: Session,
    caller: Caller,
    pack_id: object,
    body: PackImageCreate,
    runtime: Runtime,
) -> PackImageCreated:
    pack = owned_pack(session, caller, pack_id)
    url = body.image_url.strip()
    try:
        if media_key_for_url(runtime, url) is None:  # our own media is always fine
            runtime.http.policy.check_literal(url)
    except UnsafeUrlError as exc:
        raise invalid_payload("image_url", f"{exc}") from exc
    image = PackImage(
        workspace_id=caller.workspace_id,
        pack_id=pack.id,
        url=url,
        file_name=(body.file_name or "image").strip() or "image",
        content_type=content_type_from_url(url),
        meta_status="pending",
        meta={},
    )
    session.add(image)
    session.flush()
    jobs.analyse_pack_images.after_commit(session, [image.id])
    return PackImageCreated(
        id=image.id, url=image.url, file_name=image.file_name, content_type=image.content_type
    )


def delete_image(
    session: Session, runtime: Runtime, caller: Caller, pack_id: object, image_id: object
) -> Deleted:
    pack = owned_pack(session, caller, pack_id)
    parsed = parse_id(image_id)
    image = session.get(PackImage, parsed) if parsed else None
    if image is None or image.pack_id != pack.id:
        raise not_found("pack image")
    _purge_derivatives(session, runtime, [image])
    session.delete(image)
    session.flush()
    return Deleted(id=image.id)


def pending_image_ids(session: Session) -> list[uuid.UUID]:
    """Images whose metadata never finished (e.g. the process stopped before the enqueue)."""
    return list(
        session.scalars(
            sa.select(PackImage.id).where(PackImage.meta_status.in_(("pending", "processing")))
        )
    )
