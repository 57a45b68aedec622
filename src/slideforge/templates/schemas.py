"""Request and response models of /templates, and the template config v1 schema (camelCase
inside ``config``, as the contract shows it).

``config`` is validated by the service, not by the request parser, so that a bad config
answers ``422 invalid_template_config`` naming the JSON path that failed
(``config.structure.slides[1].textElements[0].x``). ``/openapi.json`` documents the same
schema the service enforces."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from slideforge.kit.validation import NOT_BLANK, RequestBody, trimmed
from slideforge.slideshows.schemas import (
    COLOR_PATTERN,
    FONT_FAMILIES,
    AspectRatio,
    FontSizeSetting,
    SlideshowType,
    StylePreset,
    TextWidth,
    Url,
    Uuid,
    _check_color,
)

MAX_TEMPLATE_SLIDES = 10
Visibility = Literal["private", "workspace"]


class _Config(BaseModel):
    """Strict JSON types (no "3" for a number, no true for 1); unknown keys are dropped."""

    model_config = ConfigDict(strict=True, extra="ignore")


Percent = Annotated[float, Field(ge=0, le=100)]
Color = Annotated[str, Field(max_length=80, json_schema_extra={"pattern": COLOR_PATTERN})]


class TextElementConfig(_Config):
    """Position and size in percent of the slide, ``fontSize`` in px at 1080 px wide. The
    style fields after ``width`` are slideforge extensions (kept by create-from-slideshow)."""

    id: Annotated[str, Field(max_length=100)] | None = None
    content: Annotated[str, Field(max_length=2000)]
    x: Percent
    y: Percent
    fontSize: Annotated[float, Field(ge=8, le=200)] | None = None
    width: Annotated[float, Field(ge=1, le=100)] | None = None
    height: Percent | None = None
    stylePreset: StylePreset | None = None
    fontFamily: Literal[FONT_FAMILIES] | None = None  # type: ignore[valid-type]
    textColor: Color | None = None
    backgroundColor: Color | None = None
    borderRadius: Annotated[float, Field(ge=0, le=500)] | None = None

    _colors_parse = field_validator("textColor", "backgroundColor")(_check_color)


class SlideConfig(_Config):
    """``pack``: an image from the pack (``pinnedImageUrl`` fixes which); ``custom``: the image
    at ``pinnedImageUrl`` (or, when null, the generate call's ``slide_config.custom_images``)."""

    type: Literal["pack", "custom"]
    id: Annotated[str, Field(max_length=100)] | None = None
    pinnedImageUrl: Url | None = None
    textElements: Annotated[list[TextElementConfig], Field(max_length=20)] = Field(
        default_factory=list
    )


class StructureConfig(_Config):
    slides: Annotated[list[SlideConfig], Field(max_length=MAX_TEMPLATE_SLIDES)] = Field(
        description="0–10 slides; [] keeps only content and visuals (the slide count then "
        "comes from the generate call)"
    )
    packAssignments: (
        Annotated[
            dict[str, Uuid],
            Field(json_schema_extra={"propertyNames": {"pattern": "^[0-9]$"}}),
        ]
        | None
    ) = None

    @field_validator("packAssignments")
    @classmethod
    def _keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            if not (len(key) == 1 and key.isdigit()):
                raise ValueError(f"key {key!r} is not a slide index 0–9")
        return value


class ContentConfig(_Config):
    mode: Literal["ai", "manual"] | None = None
    prompt: Annotated[str, Field(max_length=5000)] | None = None
    productId: Uuid | None = None
    language: Annotated[str, Field(min_length=2, max_length=32)] | None = None
    slideshowType: SlideshowType | None = None


class TextSettingsConfig(_Config):
    fontSize: FontSizeSetting | None = None
    preset: StylePreset | None = None
    width: TextWidth | None = None
    fontFamily: Literal[FONT_FAMILIES] | None = None  # type: ignore[valid-type]


class VisualsConfig(_Config):
    packId: Uuid | None = None
    aspectRatio: AspectRatio | None = None
    textSettings: TextSettingsConfig | None = None


class TemplateConfig(_Config):
    """Config v1. The smallest valid config is
    ``{"version": 1, "structure": {"slides": []}, "content": {}, "visuals": {}}``."""

    version: Literal[1]
    structure: StructureConfig
    content: ContentConfig = Field(default_factory=ContentConfig)
    visuals: VisualsConfig = Field(default_factory=VisualsConfig)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be the number 1")
        if isinstance(value, float) and value == 1:
            return 1
        return value


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema with its ``$defs`` references replaced by the definitions."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                resolved = walk(dict(defs[ref.removeprefix("#/$defs/")]))
                extra = {k: walk(v) for k, v in node.items() if k != "$ref"}
                return {**resolved, **extra}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


CONFIG_SCHEMA = _inline(TemplateConfig.model_json_schema())
ConfigBody = Annotated[dict[str, Any], WithJsonSchema(CONFIG_SCHEMA)]


class TemplateCreate(RequestBody):
    name: str = Field(
        min_length=1, max_length=100, pattern=NOT_BLANK, description="unique per owner, trimmed"
    )
    description: Annotated[str, Field(max_length=500)] | None = None
    visibility: Visibility = Field(
        default="private", description="workspace needs a workspace-scoped key"
    )
    config: ConfigBody

    _name = field_validator("name", mode="before")(trimmed)


class TemplateUpdate(RequestBody):
    """Partial; ``description: null`` clears the description."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: Annotated[str, Field(max_length=100, pattern=NOT_BLANK)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    visibility: Visibility | None = None
    config: ConfigBody | None = None

    _name = field_validator("name", mode="before")(trimmed)


class FromSlideshowBody(RequestBody):
    """``{}`` is valid: the name is then generated ("<slideshow title> template", made
    unique). ``preserve_text: false`` keeps positions and sizes but empties the texts."""

    name: Annotated[str, Field(max_length=100, pattern=NOT_BLANK)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None
    visibility: Visibility = "private"
    preserve_text: bool = True

    _name = field_validator("name", mode="before")(trimmed)


class TemplateOut(BaseModel):
    id: str
    name: str
    description: str | None
    visibility: str
    preview_url: str | None
    use_count: int
    last_used_at: str | None
    created_at: str | None
    updated_at: str | None
    is_owner: bool
    config: dict[str, Any]


class TemplateList(BaseModel):
    templates: list[TemplateOut]
    total: int
    limit: int
    offset: int
