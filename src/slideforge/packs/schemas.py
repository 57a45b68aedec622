"""Request and response models of /packs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.validation import NOT_BLANK, RequestBody, Url, trimmed

# Trimmed, then 1–120 characters, not blank.
PackName = Annotated[
    str, Field(min_length=1, max_length=120, pattern=NOT_BLANK), BeforeValidator(trimmed)
]


class PackCreate(RequestBody):
    name: PackName
    is_public: bool = False


class PackUpdate(RequestBody):
    """Partial; ``null`` counts as absent."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: PackName | SkipJsonSchema[None] = None
    is_public: bool | SkipJsonSchema[None] = None


class PackImageCreate(RequestBody):
    image_url: Url = Field(description="http(s) URL")
    file_name: str | None = Field(default=None, min_length=1, max_length=255)


class ImageMetadata(BaseModel):
    """Computed after the image is added (status pending → processing → completed|failed)."""

    status: str
    description: str | None = None
    keywords: list[str] = Field(default_factory=list)
    model: str | None = None
    generated_at: str | None = None
    error: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: str | None = None
    dominant_colors: list[dict[str, Any]] = Field(default_factory=list)
    brightness: float | None = None
    busyness: float | None = None
    calm_region: dict[str, Any] | None = None
    suggested_text_preset: str | None = None
    note: str | None = None


class PackImageOut(BaseModel):
    id: uuid.UUID
    url: str
    file_name: str
    content_type: str
    created_at: str | None
    metadata: ImageMetadata


class PackImageCreated(BaseModel):
    id: uuid.UUID
    url: str
    file_name: str
    content_type: str


class PackSummary(BaseModel):
    id: uuid.UUID
    name: str
    image_count: int
    preview_image_url: str | None
    is_public: bool
    is_owner: bool
    created_at: str | None


class PackDetail(PackSummary):
    images: list[PackImageOut]


class PackList(BaseModel):
    packs: list[PackSummary]
    total: int
    limit: int
    offset: int
