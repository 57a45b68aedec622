"""Request and response models of /products."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from slideforge.kit.validation import NOT_BLANK, RequestBody, Url, trimmed

# Trimmed, then 1–200 characters, not blank.
ProductName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), BeforeValidator(trimmed)
]


class ProductCreate(RequestBody):
    name: ProductName
    description: str | None = Field(default=None, max_length=5000)
    url: Url | None = None


class ProductUpdate(RequestBody):
    """Partial; ``null`` clears description and url."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: ProductName | SkipJsonSchema[None] = None
    description: str | None = Field(default=None, max_length=5000)
    url: Url | None = None


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
