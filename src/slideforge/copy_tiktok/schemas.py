"""Bodies and answers of POST /slideshows/copy-tiktok/preview and /import (contract §5.9–5.10)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from slideforge.kit.validation import RequestBody, Url

TikTokUrl = Annotated[
    str,
    Field(
        max_length=2048,
        description="A TikTok photo-post URL (https://www.tiktok.com/@user/photo/<id>, "
        "/video/<id>) or a short link (https://vm.tiktok.com/<code>/, "
        "https://www.tiktok.com/t/<code>/).",
    ),
]


class PreviewBody(RequestBody):
    url: TikTokUrl


class ImportBody(RequestBody):
    url: TikTokUrl
    preview_id: uuid.UUID | None = Field(
        None, description="A preview_id from /copy-tiktok/preview; reused while it is valid."
    )
    title: str | None = Field(None, max_length=200, description="Title of the new slideshow.")
    pack_id: uuid.UUID | None = Field(
        None, description="Pack whose images become the backgrounds (exclusive with pack_images)."
    )
    pack_images: list[Url] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="1-100 http(s) image URLs for the backgrounds (exclusive with pack_id).",
    )
    product_id: uuid.UUID | None = Field(None, description="Product to attach.")


class MusicOut(BaseModel):
    id: str | None
    title: str | None
    author: str | None


class SourcePostOut(BaseModel):
    """The copied post, kept for reference (the slideshow stores it in
    ``settings.copied_from``)."""

    post_id: str
    url: str
    author: str
    caption: str
    hashtags: list[str]
    music: MusicOut | None
    title: str | None


class ImportedElementOut(BaseModel):
    content: str
    x: float
    y: float
    width: float
    font_size: float
    font_family: str
    style_preset: str
    text_color: str | None = None
    background_color: str | None = None
    outline_color: str | None = None


class PreviewSlideOut(BaseModel):
    index: int
    image_url: str
    width: int
    height: int
    text_elements: list[ImportedElementOut]
    ocr_error: str | None = None


class PreviewOut(BaseModel):
    preview_id: str
    source_url: str
    images: list[str] = Field(description="The slide images, served by this server, in order.")
    slide_count: int = Field(description="Slides kept (at most 8).")
    total_slides: int
    capped: bool
    estimated_credits: int
    expires_at: str
    slides: list[PreviewSlideOut]
    post: SourcePostOut


class ImportedSlideshowOut(BaseModel):
    id: str
    title: str
    status: str
    slide_count: int


class ImportOut(BaseModel):
    slideshow: ImportedSlideshowOut
    source_url: str
    slide_count: int
    total_slides: int
    capped: bool
    credits_used: int
    used_cached_preview: bool
    background_rule: str = Field(description="How the backgrounds were assigned to the slides.")
    post: SourcePostOut
