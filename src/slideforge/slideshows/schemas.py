"""Request and response models of /slideshows (contract §5).

Request models accept exactly what ``/openapi.json`` documents. Inside ``slides`` and
``settings`` of a PATCH, ``null`` counts as absent (GET returns nulls; a GET → PATCH round trip
must work), and ``index`` and the render outputs a GET returns are ignored."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, NewType

from PIL import ImageColor
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from slideforge.kit.validation import NOT_BLANK, RequestBody, Url, trimmed
from slideforge.render import family_names
from slideforge.render.colors import parse_color

StylePreset = Literal["tiktok", "inverted", "shadow", "white", "black", "snapchat"]
AspectRatio = Literal["9:16", "4:5", "1:1"]
SlideshowType = Literal["educational", "personal"]
TextWidth = Literal["default", "narrow"]
GridType = Literal["2x2", "1+2", "vertical", "horizontal"]
SlideType = Literal["image_pack", "custom_image"]
Status = Literal["draft", "rendered"]

#: Font sizes in px at a 1080 px wide slide. (A NewType keeps kit.validation's number check
#: off this union, which also accepts the strings "default" and "small"; strict mode still
#: refuses strings and booleans for the number.)
Px = NewType("Px", float)
FontSizeSetting = Literal["default", "small"] | Annotated[Px, Field(strict=True, ge=8, le=200)]

UUID_PATTERN = (
    r"^[ \t]*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32})[ \t]*$"
)
INDEX_KEY = r"^[0-9]+$"
FONT_FAMILIES: tuple[str, ...] = tuple(family_names())
_NUM = r"[0-9]{1,3}(\.[0-9]{1,4})?%?"


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


#: CSS colours the renderer draws: #rgb, #rgba, #rrggbb, #rrggbbaa (the # optional for 3, 6 or
#: 8 digits), rgb()/rgba() with 3 or 4 numbers or percentages, CSS names (any case),
#: transparent. No surrounding spaces.
COLOR_PATTERN = (
    r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{4}|#?[0-9a-fA-F]{6}|#?[0-9a-fA-F]{8}|[0-9a-fA-F]{3}"
    rf"|{_any_case('rgb')}[aA]?\( *{_NUM}([ ,/]+{_NUM}){{2,3}} *\)"
    + "".join(
        f"|{_any_case(name)}"
        for name in sorted([*ImageColor.colormap, "transparent"], key=len, reverse=True)
    )
    + ")$"
)
_COLOR_RE = re.compile(COLOR_PATTERN)

Percent = Annotated[float, Field(ge=0, le=100)]
_UUID_RE = re.compile(UUID_PATTERN)


def _uuid(value: str) -> str:
    if not _UUID_RE.fullmatch(value):
        raise ValueError(f"{value[:40]!r} is not a UUID")
    return value


#: The JSON schema carries the patterns; the validators check them with a readable message.
Uuid = Annotated[
    str, Field(max_length=80, json_schema_extra={"pattern": UUID_PATTERN}), AfterValidator(_uuid)
]
UuidOrEmpty = Annotated[
    str,
    Field(max_length=80, json_schema_extra={"pattern": f"{UUID_PATTERN}|^$"}),
    AfterValidator(lambda value: value and _uuid(value)),
]
ElementId = Annotated[str, Field(max_length=100)]
Color = Annotated[str, Field(max_length=80, json_schema_extra={"pattern": COLOR_PATTERN})]


def _check_color(value: str | None) -> str | None:
    if value is None:
        return None
    message = f"{value[:40]!r} is not a CSS colour: use #rrggbb, #rgb, rgba(r, g, b, a) or a name"
    if not _COLOR_RE.fullmatch(value):
        raise ValueError(message)
    try:
        parse_color(value)
    except (ValueError, OverflowError) as exc:
        raise ValueError(message) from exc
    return value


def _font_family(value: str | None) -> str | None:
    if value is not None and value not in FONT_FAMILIES:
        raise ValueError(f"must be one of: {', '.join(FONT_FAMILIES)}")
    return value


FontFamily = Annotated[str, Field(max_length=40, json_schema_extra={"enum": list(FONT_FAMILIES)})]


# ---------------------------------------------------------------------------------------------
# Pieces shared by generate, PATCH and templates


class TextElementIn(RequestBody):
    """A text element: ``x``/``y`` the centre of its box and ``width`` its width, in percent of
    the slide; ``font_size`` in px at a 1080 px wide slide. Missing style fields come from the
    slideshow's ``advanced_settings``. ``height`` is kept for editors; the renderer sizes the
    box from the text."""

    content: str = Field(max_length=2000)
    x: Percent
    y: Percent
    id: ElementId | None = None
    font_size: Annotated[float, Field(ge=8, le=200)] | None = None
    width: Annotated[float, Field(ge=1, le=100)] | None = None
    height: Percent | None = None
    editable: bool | None = None
    style_preset: StylePreset | None = None
    font_family: FontFamily | None = None
    text_color: Color | None = None
    background_color: Color | None = None
    outline_color: Color | None = None
    border_radius: Annotated[float, Field(ge=0, le=500)] | None = None

    _colors_parse = field_validator("text_color", "background_color", "outline_color")(_check_color)
    _family = field_validator("font_family")(_font_family)


class AdvancedSettingsIn(RequestBody):
    """Text defaults: ``font_size`` "default" (title 48 px, body 40 px), "small" (40 / 33) or a
    number 8–200 for every text; ``text_width`` default (70 % of the slide) or narrow (55 %)."""

    font_size: FontSizeSetting | None = None
    text_preset: StylePreset | None = None
    text_width: TextWidth | None = None
    font_family: FontFamily | None = None

    _family = field_validator("font_family")(_font_family)


# ---------------------------------------------------------------------------------------------
# POST /slideshows/generate


class CustomImageIn(RequestBody):
    image_url: Url
    image_id: Annotated[str, Field(max_length=200)] | None = None
    image_name: Annotated[str, Field(max_length=255)] | None = None


def _index_map(description: str) -> Any:
    return Field(
        default=None,
        description=description,
        json_schema_extra={"propertyNames": {"pattern": INDEX_KEY}},
    )


class SlideConfigIn(RequestBody):
    """Manual layout of a generated slideshow. Map keys are 0-based slide indexes written as
    strings ("0", "1", …) and must be in range."""

    total_slides: Annotated[int, Field(ge=1, le=10)] | None = Field(
        default=None, description="1–10; wins over slide_count"
    )
    slide_types: list[SlideType] | None = Field(
        default=None, max_length=10, description="one per slide (default: all image_pack)"
    )
    custom_images: dict[str, CustomImageIn] | None = _index_map(
        "index → image, required for every custom_image slide"
    )
    pinned_images: dict[str, Url] | None = _index_map(
        "index → image URL for an image_pack slide (otherwise a random pack image)"
    )
    slide_texts: dict[str, Annotated[str, Field(max_length=2000)]] | None = _index_map(
        "index → text (one element at the default position)"
    )
    slide_text_elements: dict[str, Annotated[list[TextElementIn], Field(max_length=20)]] | None = (
        _index_map("index → text elements (win over slide_texts)")
    )
    pack_assignments: dict[str, Uuid] | None = _index_map("index → pack id, for image_pack slides")


class GenerateBody(RequestBody):
    """Generate a slideshow. AI mode (default) writes the texts with the configured
    OpenAI-compatible model from ``prompt`` (or the product); ``skip_ai: true`` takes texts and
    images from ``slide_config``. ``template_id`` starts from a template; fields sent in the
    body override the template's."""

    prompt: Annotated[str, Field(max_length=5000)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    product_id: Uuid | None = None
    pack_id: Uuid | None = None
    template_id: Uuid | None = None
    slide_count: Annotated[int, Field(ge=1, le=10)] = 5
    slideshow_type: SlideshowType = "educational"
    aspect_ratio: AspectRatio = "4:5"
    language: Annotated[str, Field(min_length=2, max_length=32)] = "en"
    advanced_settings: AdvancedSettingsIn | None = None
    skip_ai: bool = False
    slide_config: SlideConfigIn | None = None

    _trimmed = field_validator("prompt", "title", mode="before")(trimmed)


# ---------------------------------------------------------------------------------------------
# PATCH /slideshows/{id}


class BackgroundFiltersIn(RequestBody):
    """All ten fields are required (defaults 1, 1, 1, 0, 0, 0, 0, 0, 0, 1)."""

    brightness: Annotated[float, Field(ge=0, le=5)]
    contrast: Annotated[float, Field(ge=0, le=5)]
    saturation: Annotated[float, Field(ge=0, le=5)]
    hue: Annotated[float, Field(ge=-360, le=360)]
    blur: Annotated[float, Field(ge=0, le=100)]
    grayscale: Annotated[float, Field(ge=0, le=1)]
    sepia: Annotated[float, Field(ge=0, le=1)]
    invert: Annotated[float, Field(ge=0, le=1)]
    drop_shadow: Annotated[float, Field(ge=0, le=1)]
    opacity: Annotated[float, Field(ge=0, le=1)]


class ImageOverlayIn(RequestBody):
    image_url: Url
    id: ElementId | None = None
    x: Percent | None = None
    y: Percent | None = None
    width: Annotated[float, Field(ge=1, le=100)] | None = None
    height: Annotated[float, Field(ge=1, le=100)] | None = None
    rotation: Annotated[float, Field(ge=-360, le=360)] | None = None
    opacity: Annotated[float, Field(ge=0, le=1)] | None = None


class SlideIn(RequestBody):
    """A slide of a PATCH (``index`` is ignored: the order is the array's). ``image_url`` is
    required unless ``grid_type`` and ``grid_images`` give the background."""

    image_url: Url | None = None
    text_elements: list[TextElementIn] = Field(max_length=20)
    grid_images: Annotated[list[Url], Field(max_length=4)] | None = None
    grid_type: GridType | None = None
    background_filters: BackgroundFiltersIn | None = None
    image_overlays: Annotated[list[ImageOverlayIn], Field(max_length=10)] | None = None
    slide_type: SlideType | None = None
    pack_id: Uuid | None = None


class SettingsIn(RequestBody):
    """Merged into the current settings; ``image_pack_id`` "" clears it."""

    image_pack_id: UuidOrEmpty | None = Field(
        default=None, validation_alias=AliasChoices("image_pack_id", "imagePackId")
    )
    aspect_ratio: AspectRatio | None = None
    slideshow_type: SlideshowType | None = None
    advanced_settings: AdvancedSettingsIn | None = None
    pack_assignments: dict[str, Uuid] | None = _index_map("index → pack id (replaces the map)")


class SlideshowPatch(RequestBody):
    """Partial update. ``slides`` replaces every slide; ``product_id: null`` clears the
    product. Send ``revision`` (from GET) to be told with a 409 when someone else changed the
    slideshow since you read it."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    title: Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)] | None = None
    status: Status | None = None
    slideshow_type: SlideshowType | None = None
    product_id: Uuid | None = None
    settings: SettingsIn | None = None
    slides: Annotated[list[SlideIn], Field(max_length=35)] | None = None
    revision: Annotated[int, Field(ge=1)] | None = None

    _trimmed = field_validator("title", mode="before")(trimmed)


class RegenerateBody(RequestBody):
    instruction: Annotated[str, Field(min_length=1, max_length=500)] | None = None


# ---------------------------------------------------------------------------------------------
# Responses


class TextElementOut(BaseModel):
    id: str
    content: str
    x: float
    y: float
    width: float
    height: float | None
    font_size: float
    font_family: str
    style_preset: str
    text_color: str | None
    background_color: str | None
    border_radius: float | None
    editable: bool
    outline_color: str | None = None


class BackgroundFiltersOut(BaseModel):
    brightness: float
    contrast: float
    saturation: float
    hue: float
    blur: float
    grayscale: float
    sepia: float
    invert: float
    drop_shadow: float
    opacity: float


class ImageOverlayOut(BaseModel):
    id: str
    image_url: str
    x: float
    y: float
    width: float
    height: float | None
    rotation: float
    opacity: float


class CheckOut(BaseModel):
    """A readability finding of the last render: ``outside_canvas``, ``ui_zone`` (TikTok's
    interface), ``contrast`` or ``shrunk``."""

    kind: str
    severity: str
    message: str
    element_id: str | None
    element_index: int | None
    numbers: dict[str, float]


class TextFitOut(BaseModel):
    """Per text element of the last render: the size asked for, the size used (shrunk to fit
    the slide when needed) and the lines drawn."""

    element_id: str | None
    element_index: int
    requested_size: float
    used_size: int
    shrunk: bool
    lines: list[str]
    reason: str | None


class RenderWarningOut(BaseModel):
    code: str
    message: str
    element_id: str | None
    element_index: int | None


class SlideOut(BaseModel):
    index: int
    slide_type: str | None
    pack_id: str | None
    image_url: str | None
    rendered_image_url: str | None
    text_elements: list[TextElementOut]
    grid_images: list[str] | None
    grid_type: str | None
    background_filters: BackgroundFiltersOut | None
    image_overlays: list[ImageOverlayOut] | None
    checks: list[CheckOut] | None = Field(description="from the last render; null before")
    text_fits: list[TextFitOut] | None
    warnings: list[RenderWarningOut] | None


class AdvancedSettingsOut(BaseModel):
    font_size: str | float
    text_preset: str
    text_width: str
    font_family: str


class SettingsOut(BaseModel):
    image_pack_id: str | None
    aspect_ratio: str
    slideshow_type: str
    advanced_settings: AdvancedSettingsOut
    pack_assignments: dict[str, str] | None


VideoTransition = Literal["none", "crossfade", "slide"]
VideoMotion = Literal["none", "ken_burns"]
VideoStatus = Literal["none", "queued", "rendering", "succeeded", "failed"]


class VideoBody(RequestBody):
    """``POST /slideshows/{id}/video``: how the slides become a video. The aspect ratio is
    the slideshow's (1080 wide: 9:16 → 1080x1920, 4:5 → 1080x1350, 1:1 → 1080x1080)."""

    seconds_per_slide: int = Field(default=3, ge=1, le=10, description="1-10 whole seconds")
    transition: VideoTransition = "crossfade"
    motion: VideoMotion = "none"
    fps: Literal[24, 30] = 30
    audio_file_id: str | None = Field(
        default=None,
        max_length=64,
        description="A file of this workspace (POST /files) with an audio stream: an audio "
        "upload or a video whose sound is used; trimmed or looped to the video's length",
    )


class VideoSettingsOut(BaseModel):
    seconds_per_slide: int
    transition: str
    motion: str
    fps: int
    audio_file_id: str | None


class VideoError(BaseModel):
    code: str
    message: str


class VideoOut(BaseModel):
    status: VideoStatus = "none"
    progress: float = Field(default=0.0, description="fraction done, 0-1")
    url: str | None = None
    file_id: str | None = None
    duration: float | None = Field(default=None, description="seconds")
    width: int | None = None
    height: int | None = None
    stale: bool = Field(
        default=False, description="the slideshow was edited after this video was started"
    )
    error: VideoError | None = None
    settings: VideoSettingsOut | None = None
    started_at: str | None = None
    finished_at: str | None = None
    postable: bool | None = Field(
        default=None,
        description="whether POST /posts takes a video this long (15-60 s); null until known",
    )
    note: str | None = Field(default=None, description="what to change when it is not postable")


class SlideshowOut(BaseModel):
    id: str
    title: str
    status: str
    slideshow_type: str
    language: str
    product_id: str | None
    template_id: str | None
    original_prompt: str | None
    source: str
    copied_from: dict[str, Any] | None = Field(
        default=None,
        description="For a copied TikTok slideshow: the source post (URL, caption, hashtags, "
        "music, author), kept for reference",
    )
    preview_image_url: str | None
    rendered_image_urls: list[str] = Field(
        description="the slides' rendered_image_url in slide order (they sort as strings too)"
    )
    last_rendered_at: str | None
    created_at: str | None
    updated_at: str | None
    slide_count: int
    revision: int
    settings: SettingsOut
    slides: list[SlideOut]
    video: VideoOut = Field(
        default_factory=VideoOut,
        description="The slideshow's video (POST /slideshows/{id}/video); status none if "
        "it has none",
    )


class SlideshowSummary(BaseModel):
    id: str
    title: str
    status: str
    slideshow_type: str
    product_id: str | None
    preview_image_url: str | None
    slide_count: int
    has_rendered_slide: bool
    created_at: str | None
    updated_at: str | None


class SlideshowList(BaseModel):
    slideshows: list[SlideshowSummary]
    total: int
    limit: int
    offset: int


class RegenerateOut(BaseModel):
    slide_index: int
    slideshow: SlideshowOut
