"""Request and response models of /folders (contract §3, snake_case)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.validation import NOT_BLANK, RequestBody, trimmed

MediaType = Literal["ai_image", "ai_video", "upload", "slideshow"]
ItemType = Literal["file", "slideshow"]

# Trimmed, then 1–255 characters, not blank.
FolderName = Annotated[
    str, Field(min_length=1, max_length=255, pattern=NOT_BLANK), BeforeValidator(trimmed)
]
# A folder id as clients send it (not format-checked by the contract's client): any text;
# one that is not a UUID of one of the workspace's folders answers 404 folder_not_found.
FolderRef = Annotated[str, Field(max_length=100)]

MediaTypeQuery = Annotated[MediaType, Query(description="ai_image | ai_video | upload | slideshow")]
ParentQuery = Annotated[
    str | None,
    Query(max_length=100, description="List this folder's subfolders (the root level without)"),
]

MAX_ITEMS = 200


class FolderCreate(RequestBody):
    name: FolderName
    media_type: MediaType
    parent_folder_id: FolderRef | None = Field(
        default=None,
        description="Create it inside this folder (same media_type); the root without.",
    )


class FolderUpdate(RequestBody):
    """Move (``parent_folder_id``: a folder id, or ``null`` for the root) and/or rename."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    parent_folder_id: FolderRef | None = None
    name: FolderName | SkipJsonSchema[None] = None


class ItemIds(RequestBody):
    item_ids: Annotated[
        list[Annotated[str, Field(max_length=100)]],
        Field(
            min_length=1,
            max_length=MAX_ITEMS,
            description="1–200 file ids (slideshow ids for a slideshow folder); each is "
            "trimmed, duplicates count once.",
        ),
    ]


class ItemOut(BaseModel):
    id: uuid.UUID
    url: str | None
    content_type: str | None
    filename: str | None
    size: int | None
    created_at: str | None
    added_at: str | None


class FolderOut(BaseModel):
    id: uuid.UUID
    name: str
    media_type: MediaType
    parent_folder_id: uuid.UUID | None
    file_count: int = Field(description="Items directly in this folder (files or slideshows).")
    subfolder_count: int
    preview_files: list[ItemOut] = Field(description="The 4 items added last.")
    created_at: str | None
    updated_at: str | None


class FolderList(BaseModel):
    folders: list[FolderOut]
    total: int
    limit: int
    offset: int


class FolderDeleted(BaseModel):
    id: uuid.UUID
    deleted: bool = True
    deleted_folder_count: int = Field(description="This folder and its subfolders.")
    removed_item_count: int = Field(
        description="Memberships removed; the files and slideshows themselves are kept."
    )


class Ancestor(BaseModel):
    id: uuid.UUID
    name: str
    parent_folder_id: uuid.UUID | None
    depth: int = Field(description="0 for the root-level folder")


class Ancestors(BaseModel):
    folder_id: uuid.UUID
    ancestors: list[Ancestor]


class ItemList(BaseModel):
    folder_id: uuid.UUID
    media_type: MediaType
    item_type: ItemType
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class ItemsAdded(BaseModel):
    folder_id: uuid.UUID
    item_type: ItemType
    added_count: int = Field(description="Items that were not in the folder yet.")


class ItemsRemoved(BaseModel):
    folder_id: uuid.UUID
    item_type: ItemType
    removed_count: int = Field(description="Items that were in the folder.")
