"""Request and response models of /products."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.validation import NOT_BLANK, RequestBody, Url, trimmed


class ProductCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    description: str | None = Field(default=None, max_length=5000)
    url: Url | None = None

    _strip_name = field_validator("name", mode="before")(trimmed)


class ProductUpdate(RequestBody):
    """Partial; ``null`` clears description and url."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: (
        Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
        | SkipJsonSchema[None]
    ) = None
    description: str | None = Field(default=None, max_length=5000)
    url: Url | None = None

    _strip_name = field_validator("name", mode="before")(trimmed)


class ProductOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    url: str | None
    scope: str
    created_at: str | None
    updated_at: str | None


class ProductList(BaseModel):
    products: list[ProductOut]
    total: int
    limit: int
    offset: int
