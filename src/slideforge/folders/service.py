"""Rules of folders (contract §3).

- A workspace has one tree of folders per media type (``ai_image``, ``ai_video``, ``upload``,
  ``slideshow``); a subfolder has its parent's media type.
- A name is taken once per level (same parent, same media type): names are trimmed and
  compare case-insensitively (Unicode NFC, then case-folded), so "Drafts" and " drafts "
  clash (409 ``folder_name_conflict``; ``folder_move_conflict`` for a move).
- What a folder may hold (:func:`kind_of_file`): a ``slideshow`` folder holds the caller's
  slideshows; an ``ai_image`` folder holds files of context ``ai-studio`` with an image
  content type; ``ai_video`` ``ai-studio`` files with a video content type; ``upload`` every
  other file of the workspace (uploads, renders, post media…). Files must be ready (their bytes
  uploaded).
- Every change of a workspace's folders (create, move, rename, delete, adding and removing
  items) first locks the workspace row (:func:`lock_tree`; PostgreSQL ``FOR NO KEY UPDATE``,
  which inserts referencing the workspace do not wait for; SQLite transactions are serialised
  already by ``BEGIN IMMEDIATE``), then reads what it checks: two moves racing (A into B, B
  into A) are decided one after the other, and the second sees the first's result and answers
  409 instead of making a cycle.
- Lists are deterministic: folders by name (case-folded), then id; items by when they were
  added, newest first, then id.
- Deleting a folder deletes its subfolders and their memberships, never the files or
  slideshows; deleting a file or a slideshow deletes its memberships (foreign keys ON DELETE
  CASCADE; SQLite runs with ``PRAGMA foreign_keys=ON``).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import defaultdict
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.folders.schemas import (
    Ancestor,
    Ancestors,
    FolderCreate,
    FolderDeleted,
    FolderList,
    FolderOut,
    FolderUpdate,
    ItemList,
    ItemOut,
    ItemsAdded,
    ItemsRemoved,
    ItemType,
    MediaType,
)
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError, invalid_payload
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import fetch_page
from slideforge.kit.storage import content_type_for
from slideforge.models import File, Folder, FolderItem, Slideshow, Workspace
from slideforge.models.folder import ROOT_LEVEL
from slideforge.runtime import Runtime
from slideforge.slideshows.service import visible as slideshow_visible

#: The context the studio stores its outputs under (``File.context``).
STUDIO_CONTEXT = "ai-studio"
PREVIEW_COUNT = 4
# Ancestor walks stop here even if the data were corrupt (a cycle): no endless query.
_MAX_WALK = 10_000


# -- helpers ---------------------------------------------------------------------------------


def lock_tree(session: Session, caller: Caller) -> None:
    """Serialise the changes of the caller's folders: the workspace row, locked until the
    transaction ends (PostgreSQL ``FOR NO KEY UPDATE``: other writers of folders wait, inserts
    that merely reference the workspace do not). SQLite: every transaction is ``BEGIN
    IMMEDIATE`` already. Call it before reading anything the change checks."""
    session.execute(
        sa.select(Workspace.id)
        .where(Workspace.id == caller.workspace_id)
        .with_for_update(key_share=True)
    )


def name_key(name: str) -> str:
    """How folder names compare: trimmed, NFC, case-folded."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def level_key(parent_id: uuid.UUID | None) -> str:
    return str(parent_id) if parent_id is not None else ROOT_LEVEL


def item_type_of(media_type: str) -> ItemType:
    return "slideshow" if media_type == "slideshow" else "file"


def kind_of_file(row: File) -> MediaType | None:
    """The folder media type a file belongs in (None: none, e.g. a studio file that is
    neither an image nor a video)."""
    if row.context == STUDIO_CONTEXT:
        if row.content_type.startswith("image/"):
            return "ai_image"
        if row.content_type.startswith("video/"):
            return "ai_video"
        return None
    return "upload"


def folder_not_found(what: str, raw: object) -> ApiError:
    return ApiError(
        "folder_not_found",
        f"{what} {str(raw).strip()!r} not found in this workspace: send the id of one of your "
        "folders (GET /folders?media_type=…)",
        404,
    )


def _get(session: Session, caller: Caller, folder_id: object, what: str = "folder") -> Folder:
    parsed = parse_id(folder_id)
    row = None
    if parsed is not None:
        row = session.scalar(
            sa.select(Folder).where(Folder.id == parsed, Folder.workspace_id == caller.workspace_id)
        )
    if row is None:
        raise folder_not_found(what, folder_id)
    return row


def _chain(session: Session, caller: Caller, folder_id: uuid.UUID) -> list[Any]:
    """The folder and its ancestors, up to the root: rows ``(id, name, parent_folder_id,
    up)``, ``up`` 0 for the folder itself, ordered root first."""
    start = (
        sa.select(
            Folder.id,
            Folder.name,
            Folder.parent_folder_id,
            sa.literal_column("0").label("up"),
        )
        .where(Folder.id == folder_id, Folder.workspace_id == caller.workspace_id)
        .cte("chain", recursive=True)
    )
    step = (
        sa.select(
            Folder.id,
            Folder.name,
            Folder.parent_folder_id,
            (start.c.up + sa.literal_column("1")).label("up"),
        )
        .join(start, Folder.id == start.c.parent_folder_id)
        .where(Folder.workspace_id == caller.workspace_id, start.c.up < _MAX_WALK)
    )
    chain = start.union_all(step)
    return list(session.execute(sa.select(chain).order_by(chain.c.up.desc())))


def _subtree(session: Session, caller: Caller, folder_id: uuid.UUID) -> list[uuid.UUID]:
    """The folder and every folder below it."""
    start = (
        sa.select(Folder.id)
        .where(Folder.id == folder_id, Folder.workspace_id == caller.workspace_id)
        .cte("tree", recursive=True)
    )
    # UNION (not ALL): a cycle, were there one, would end the walk instead of looping.
    tree = start.union(
        sa.select(Folder.id)
        .join(start, Folder.parent_folder_id == start.c.id)
        .where(Folder.workspace_id == caller.workspace_id)
    )
    return list(session.scalars(sa.select(tree.c.id)))


def _name_taken(
    session: Session,
    caller: Caller,
    media_type: str,
    parent_id: uuid.UUID | None,
    key: str,
    *,
    other_than: uuid.UUID | None = None,
) -> Folder | None:
    query = sa.select(Folder).where(
        Folder.workspace_id == caller.workspace_id,
        Folder.media_type == media_type,
        Folder.level_key == level_key(parent_id),
        Folder.name_key == key,
    )
    if other_than is not None:
        query = query.where(Folder.id != other_than)
    return session.scalar(query)


def _where(parent_id: uuid.UUID | None) -> str:
    return "at the root" if parent_id is None else f"in folder {parent_id}"


def _item_visible(caller: Caller) -> sa.ColumnElement[bool]:
    """Memberships the caller may see: every file's; a slideshow's when the caller sees the
    slideshow (a personal key's slideshows are its member's). Needs Slideshow outer-joined."""
    return sa.and_(
        FolderItem.workspace_id == caller.workspace_id,
        sa.or_(
            FolderItem.slideshow_id.is_(None),
            Slideshow.member_id.is_(None),
            Slideshow.member_id == caller.member_id,
        ),
    )


def _memberships(caller: Caller) -> sa.Select[FolderItem, File, Slideshow]:
    """The caller's visible memberships with their file or slideshow (the other is None)."""
    return (
        sa.select(FolderItem, File, Slideshow)
        .outerjoin(File, File.id == FolderItem.file_id)
        .outerjoin(Slideshow, Slideshow.id == FolderItem.slideshow_id)
        .where(_item_visible(caller))
    )


def _item_out(
    runtime: Runtime, member: FolderItem, file: File | None, slideshow: Slideshow | None
) -> ItemOut:
    if file is not None:
        return ItemOut(
            id=file.id,
            url=runtime.storage.url(file.storage_key),
            content_type=file.content_type,
            filename=file.filename,
            size=file.size,
            created_at=isoformat(file.created_at),
            added_at=isoformat(member.added_at),
        )
    assert slideshow is not None
    preview = slideshow.preview_image_url
    return ItemOut(
        id=slideshow.id,
        url=preview,
        content_type=content_type_for(preview.split("?", 1)[0]) if preview else None,
        filename=slideshow.title,
        size=None,
        created_at=isoformat(slideshow.created_at),
        added_at=isoformat(member.added_at),
    )


def _newest_added() -> tuple[Any, Any]:
    return FolderItem.added_at.desc(), FolderItem.id


def _folder_outs(
    session: Session, runtime: Runtime, caller: Caller, rows: list[Folder]
) -> list[FolderOut]:
    """The folders as answered, with their counts and previews (a few queries for the list)."""
    ids = [row.id for row in rows]
    subfolders: dict[uuid.UUID, int] = {}
    items: dict[uuid.UUID, int] = {}
    previews: dict[uuid.UUID, list[ItemOut]] = defaultdict(list)
    if ids:
        subfolders = {
            parent: count
            for parent, count in session.execute(
                sa.select(Folder.parent_folder_id, sa.func.count())
                .where(Folder.workspace_id == caller.workspace_id, Folder.parent_folder_id.in_(ids))
                .group_by(Folder.parent_folder_id)
            )
            if parent is not None
        }
        visible_items = (
            sa.select(FolderItem.folder_id)
            .outerjoin(Slideshow, Slideshow.id == FolderItem.slideshow_id)
            .where(_item_visible(caller), FolderItem.folder_id.in_(ids))
        )
        items = {
            folder_id: count
            for folder_id, count in session.execute(
                visible_items.add_columns(sa.func.count()).group_by(FolderItem.folder_id)
            )
        }
        ranked = (
            visible_items.add_columns(
                FolderItem.id.label("member_id"),
                sa.func.row_number()
                .over(partition_by=FolderItem.folder_id, order_by=_newest_added())
                .label("rank"),
            )
        ).subquery()
        chosen = (
            _memberships(caller)
            .join(ranked, ranked.c.member_id == FolderItem.id)
            .where(ranked.c.rank <= PREVIEW_COUNT)
            .order_by(FolderItem.folder_id, *_newest_added())
        )
        for member, file, slideshow in session.execute(chosen):
            previews[member.folder_id].append(_item_out(runtime, member, file, slideshow))
    return [
        FolderOut(
            id=row.id,
            name=row.name,
            media_type=cast(MediaType, row.media_type),
            parent_folder_id=row.parent_folder_id,
            file_count=items.get(row.id, 0),
            subfolder_count=subfolders.get(row.id, 0),
            preview_files=previews.get(row.id, []),
            created_at=isoformat(row.created_at),
            updated_at=isoformat(row.updated_at),
        )
        for row in rows
    ]


def _folder_out(session: Session, runtime: Runtime, caller: Caller, row: Folder) -> FolderOut:
    return _folder_outs(session, runtime, caller, [row])[0]


def invalid_query_parameter(parameter: str, rule: str) -> ApiError:
    return ApiError(
        "invalid_query_parameter",
        f"query parameter {parameter}: {rule}",
        400,
        data={"errors": [{"field": f"query parameter {parameter}", "message": rule}]},
    )


def _item_ids(raw: list[str]) -> list[uuid.UUID]:
    """``item_ids`` trimmed, parsed and deduplicated (first occurrence kept); 422
    ``invalid_path`` naming every entry that is empty or not an id."""
    errors: list[dict[str, str]] = []
    out: list[uuid.UUID] = []
    for index, text in enumerate(raw):
        field = f"item_ids[{index}]"
        stripped = text.strip()
        parsed = parse_id(stripped)
        if not stripped:
            errors.append({"field": field, "message": "is empty (after trimming spaces)"})
        elif parsed is None:
            errors.append({"field": field, "message": f"{stripped[:60]!r} is not an id (a UUID)"})
        elif parsed not in out:
            out.append(parsed)
    if errors:
        message = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        if len(errors) > 5:
            message += f" (and {len(errors) - 5} more)"
        raise ApiError("invalid_path", message, 422, data={"errors": errors})
    return out


# -- folders ---------------------------------------------------------------------------------


def list_folders(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    *,
    media_type: MediaType,
    parent_folder_id: str | None,
    limit: int,
    offset: int,
) -> FolderList:
    parent_id: uuid.UUID | None = None
    if parent_folder_id is not None and parent_folder_id.strip():
        parent = _get(session, caller, parent_folder_id, "parent folder")
        if parent.media_type != media_type:
            raise invalid_query_parameter(
                "parent_folder_id",
                f"folder {parent.id} holds {parent.media_type}, not {media_type}: list it with "
                f"media_type={parent.media_type}",
            )
        parent_id = parent.id
    query = sa.select(Folder).where(
        Folder.workspace_id == caller.workspace_id,
        Folder.media_type == media_type,
        Folder.level_key == level_key(parent_id),
    )
    total, rows = fetch_page(session, query, Folder.name_key, Folder.id, limit=limit, offset=offset)
    return FolderList(
        folders=_folder_outs(session, runtime, caller, rows),
        total=total,
        limit=limit,
        offset=offset,
    )


def get_folder(session: Session, runtime: Runtime, caller: Caller, folder_id: str) -> FolderOut:
    return _folder_out(session, runtime, caller, _get(session, caller, folder_id))


def create_folder(
    session: Session, runtime: Runtime, caller: Caller, body: FolderCreate
) -> FolderOut:
    lock_tree(session, caller)
    parent_id: uuid.UUID | None = None
    if body.parent_folder_id is not None:
        parent = _get(session, caller, body.parent_folder_id, "parent folder")
        if parent.media_type != body.media_type:
            raise ApiError(
                "invalid_parent_folder",
                f"parent folder {parent.id} holds {parent.media_type}: a {body.media_type} "
                "folder must be at the root or inside a folder of the same media_type",
                422,
            )
        parent_id = parent.id
    key = name_key(body.name)
    if _name_taken(session, caller, body.media_type, parent_id, key) is not None:
        raise ApiError(
            "folder_name_conflict",
            f"a {body.media_type} folder named {body.name!r} already exists {_where(parent_id)} "
            "(names compare trimmed and case-insensitively): choose another name",
            409,
        )
    row = Folder(
        workspace_id=caller.workspace_id,
        name=body.name,
        name_key=key,
        media_type=body.media_type,
        parent_folder_id=parent_id,
        level_key=level_key(parent_id),
    )
    session.add(row)
    session.flush()
    return _folder_out(session, runtime, caller, row)


def update_folder(
    session: Session, runtime: Runtime, caller: Caller, folder_id: str, body: FolderUpdate
) -> FolderOut:
    """Move (``parent_folder_id``: an id, or null for the root) and/or rename."""
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise invalid_payload(
            "body", "send parent_folder_id (a folder id, or null for the root) and/or name"
        )
    if "name" in fields and fields["name"] is None:
        raise invalid_payload("name", "cannot be null")
    lock_tree(session, caller)
    row = _get(session, caller, folder_id)
    parent_id = row.parent_folder_id
    if "parent_folder_id" in fields:
        ref = fields["parent_folder_id"]
        if ref is None:
            parent_id = None
        elif parse_id(ref) == row.id:
            raise ApiError(
                "folder_move_conflict",
                f"folder {row.id} cannot be moved into itself: choose another folder, or null "
                "for the root",
                409,
            )
        else:
            parent = _get(session, caller, ref, "destination folder")
            if parent.media_type != row.media_type:
                raise ApiError(
                    "invalid_parent_folder",
                    f"destination folder {parent.id} holds {parent.media_type}: a "
                    f"{row.media_type} folder can only move into a {row.media_type} folder "
                    "or to the root",
                    422,
                )
            if any(link.id == row.id for link in _chain(session, caller, parent.id)):
                raise ApiError(
                    "folder_move_conflict",
                    f"folder {parent.id} is inside folder {row.id}: a folder cannot be moved "
                    "into one of its own subfolders",
                    409,
                )
            parent_id = parent.id
    moved = parent_id != row.parent_folder_id
    name = fields.get("name", row.name)
    key = name_key(name)
    if (moved or key != row.name_key) and _name_taken(
        session, caller, row.media_type, parent_id, key, other_than=row.id
    ):
        if moved:
            raise ApiError(
                "folder_move_conflict",
                f"a folder named {name!r} already exists {_where(parent_id)}: rename one of "
                "them first (PATCH name), or move it elsewhere",
                409,
            )
        raise ApiError(
            "folder_name_conflict",
            f"a {row.media_type} folder named {name!r} already exists {_where(parent_id)} "
            "(names compare trimmed and case-insensitively): choose another name",
            409,
        )
    row.parent_folder_id = parent_id
    row.level_key = level_key(parent_id)
    row.name = name
    row.name_key = key
    session.flush()
    return _folder_out(session, runtime, caller, row)


def delete_folder(session: Session, caller: Caller, folder_id: str) -> FolderDeleted:
    """The folder, its subfolders and their memberships; never the files or slideshows."""
    lock_tree(session, caller)
    row = _get(session, caller, folder_id)
    ids = _subtree(session, caller, row.id)
    removed = cast(
        CursorResult[Any],
        session.execute(
            sa.delete(FolderItem)
            .where(FolderItem.workspace_id == caller.workspace_id, FolderItem.folder_id.in_(ids))
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    # One statement; the subfolders' parent links cascade too (SQLite's rowcount leaves the
    # cascaded rows out, so the count is the subtree's, read under the lock).
    session.execute(
        sa.delete(Folder)
        .where(Folder.workspace_id == caller.workspace_id, Folder.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    session.expunge(row)
    return FolderDeleted(id=row.id, deleted_folder_count=len(ids), removed_item_count=removed)


def ancestors(session: Session, caller: Caller, folder_id: str) -> Ancestors:
    """The breadcrumb: the root-level folder (depth 0) down to the immediate parent."""
    row = _get(session, caller, folder_id)
    chain = [link for link in _chain(session, caller, row.id) if link.up > 0]
    return Ancestors(
        folder_id=row.id,
        ancestors=[
            Ancestor(id=link.id, name=link.name, parent_folder_id=link.parent_folder_id, depth=i)
            for i, link in enumerate(chain)
        ],
    )


# -- items -----------------------------------------------------------------------------------


def list_items(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    folder_id: str,
    *,
    limit: int,
    offset: int,
) -> ItemList:
    row = _get(session, caller, folder_id)
    query = _memberships(caller).where(FolderItem.folder_id == row.id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = session.execute(query.order_by(*_newest_added()).limit(limit).offset(offset))
    return ItemList(
        folder_id=row.id,
        media_type=cast(MediaType, row.media_type),
        item_type=item_type_of(row.media_type),
        items=[_item_out(runtime, member, file, show) for member, file, show in page],
        total=total,
        limit=limit,
        offset=offset,
    )


def _listed(ids: list[uuid.UUID]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return shown + (f" (and {len(ids) - 10} more)" if len(ids) > 10 else "")


def _check_items(session: Session, caller: Caller, folder: Folder, ids: list[uuid.UUID]) -> None:
    """Every id is an item of the caller's that fits ``folder``: else 404 ``item_not_found``
    (missing ones, other workspaces' included), 422 ``invalid_folder_media_type`` (items of
    another kind), 422 ``item_not_ready`` (files never uploaded). The items found are locked
    against deletion (PostgreSQL ``FOR KEY SHARE``) until the memberships are inserted."""
    slideshows = set(
        session.scalars(
            sa.select(Slideshow.id)
            .where(Slideshow.id.in_(ids), slideshow_visible(caller))
            .with_for_update(read=True, key_share=True)
        )
    )
    files = {
        row.id: row
        for row in session.scalars(
            sa.select(File)
            .where(File.id.in_(ids), File.workspace_id == caller.workspace_id)
            .with_for_update(read=True, key_share=True)
        )
    }
    missing = [i for i in ids if i not in slideshows and i not in files]
    if missing:
        raise ApiError(
            "item_not_found",
            f"not found in this workspace: {_listed(missing)}; send ids from GET /files "
            "(context=all) or GET /slideshows",
            404,
            data={"missing_ids": [str(i) for i in missing]},
        )
    mismatched: list[dict[str, str]] = []
    for item_id in ids:
        if item_id in slideshows:
            kind: str | None = "slideshow"
        else:
            kind = kind_of_file(files[item_id])
        if kind != folder.media_type:
            what = (
                "a slideshow"
                if kind == "slideshow"
                else f"a file for {kind} folders"
                if kind
                else f"an ai-studio file of type {files[item_id].content_type}"
            )
            mismatched.append({"id": str(item_id), "is": what})
    if mismatched:
        listed = "; ".join(f"{m['id']} is {m['is']}" for m in mismatched[:5])
        raise ApiError(
            "invalid_folder_media_type",
            f"folder {folder.id} holds {folder.media_type}: {listed}"
            + (f" (and {len(mismatched) - 5} more)" if len(mismatched) > 5 else "")
            + "; add each item to a folder of its own media type",
            422,
            data={"mismatched": mismatched},
        )
    pending = [i for i in ids if i in files and files[i].status != "ready"]
    if pending:
        raise ApiError(
            "item_not_ready",
            f"these files were never uploaded: {_listed(pending)}; PUT each to its uploadUrl first",
            422,
            data={"pending_ids": [str(i) for i in pending]},
        )


def add_items(session: Session, caller: Caller, folder_id: str, raw_ids: list[str]) -> ItemsAdded:
    ids = _item_ids(raw_ids)
    lock_tree(session, caller)
    folder = _get(session, caller, folder_id)
    _check_items(session, caller, folder, ids)
    slideshow = folder.media_type == "slideshow"
    column = FolderItem.slideshow_id if slideshow else FolderItem.file_id
    present = set(
        session.scalars(sa.select(column).where(FolderItem.folder_id == folder.id, column.in_(ids)))
    )
    new = [i for i in ids if i not in present]
    for item_id in new:
        session.add(
            FolderItem(
                workspace_id=caller.workspace_id,
                folder_id=folder.id,
                slideshow_id=item_id if slideshow else None,
                file_id=None if slideshow else item_id,
            )
        )
    session.flush()
    return ItemsAdded(
        folder_id=folder.id, item_type=item_type_of(folder.media_type), added_count=len(new)
    )


def remove_items(
    session: Session, caller: Caller, folder_id: str, raw_ids: list[str]
) -> ItemsRemoved:
    """Removes memberships only; ids that are not in the folder are not counted."""
    ids = _item_ids(raw_ids)
    lock_tree(session, caller)
    folder = _get(session, caller, folder_id)
    column = FolderItem.slideshow_id if folder.media_type == "slideshow" else FolderItem.file_id
    removed = cast(
        CursorResult[Any],
        session.execute(
            sa.delete(FolderItem)
            .where(FolderItem.folder_id == folder.id, column.in_(ids))
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    return ItemsRemoved(
        folder_id=folder.id, item_type=item_type_of(folder.media_type), removed_count=removed
    )
