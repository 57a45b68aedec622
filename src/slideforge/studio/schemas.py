"""Bodies and answers of /studio (contract §10), field names as the contract's client sends
and reads them (snake_case)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from slideforge.kit.validation import NOT_BLANK, RequestBody, Url

ModeQuery = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="image | video (omitted: every model)",
        json_schema_extra={"enum": ["image", "video"]},
    ),
]

Prompt = Annotated[str, Field(min_length=1, max_length=32_000, pattern=NOT_BLANK)]
ShortText = Annotated[str, Field(max_length=200)]


class ImageParams(RequestBody):
    """What the client's flags put in ``params``. A model takes the ones its entry in
    ``GET /studio/models`` lists under ``params``; any other answers 422
    model_input_not_supported."""

    aspect_ratio: ShortText | None = None
    resolution: ShortText | None = None
    output_format: ShortText | None = None
    size: ShortText | None = None
    max_images: int | None = Field(default=None, ge=1, le=16)
    scale_factor: float | None = Field(default=None, gt=0, le=16)


class ImageGenerate(RequestBody):
    model_id: Annotated[str, Field(min_length=1, max_length=200)]
    prompt: Prompt
    image_urls: list[Url] | None = Field(default=None, max_length=16)
    params: ImageParams | None = None
    raw_params: dict[str, Any] | None = None


class VideoParams(RequestBody):
    duration_seconds: int | None = Field(default=None, ge=1, le=600)
    aspect_ratio: ShortText | None = None
    resolution: ShortText | None = None
    fps: int | None = Field(default=None, ge=1, le=120)
    generate_audio: bool | None = None


class VideoGenerate(RequestBody):
    model_id: Annotated[str, Field(min_length=1, max_length=200)]
    prompt: Annotated[str, Field(max_length=32_000)] | None = None
    speech_text: Annotated[str, Field(max_length=5000)] | None = None
    voice_id: ShortText | None = None
    image_url: Url | None = None
    video_url: Url | None = None
    audio_url: Url | None = None
    negative_prompt: Annotated[str, Field(max_length=5000)] | None = None
    params: VideoParams | None = None
    raw_params: dict[str, Any] | None = None


# -- answers ----------------------------------------------------------------------------------


class CreditsOut(BaseModel):
    default_cost: int
    notes: str


class InputsOut(BaseModel):
    required: list[str]
    optional: list[str]
    max_images: int
    rules: list[str]


class ModelOut(BaseModel):
    id: str
    mode: str
    name: str
    provider: str
    description: str
    credits: CreditsOut
    capabilities: list[str]
    inputs: InputsOut
    params: dict[str, dict[str, Any]]
    raw_available_params: list[str]


class ModelsOut(BaseModel):
    mode: str
    total: int
    models: list[ModelOut]
    note: str | None = None


class ImageOut(BaseModel):
    file_id: str
    output_url: str
    preview_url: str
    credits_used: int
    model_id: str
    provider: str
    content_type: str
    width: int | None
    height: int | None


class VideoOut(BaseModel):
    video_id: str
    prediction_id: str | None
    provider: str
    model_id: str
    status: str
    output_url: str | None
    preview_url: str | None
    file_id: str | None
    credits_used: int
    progress: int | None
    error: str | None
    created_at: str
    completed_at: str | None
