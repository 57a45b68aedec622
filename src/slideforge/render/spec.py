"""Input and output types of the rendering engine: plain frozen dataclasses of plain values.

The service layer turns slideshow JSON (Genviral Partner API v1, §5.4) into these; the engine
never sees a URL, a database row or a setting. Positions and sizes follow the contract:
percentages of the canvas, font sizes in pixels at a 1080 px wide canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AspectRatio = Literal["9:16", "4:5", "1:1"]
StylePreset = Literal["tiktok", "inverted", "shadow", "white", "black", "snapchat"]
GridType = Literal["2x2", "1+2", "vertical", "horizontal"]
Severity = Literal["info", "warning", "error"]

CANVAS_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "4:5": (1080, 1350),
    "1:1": (1080, 1080),
}
STYLE_PRESETS: tuple[str, ...] = ("tiktok", "inverted", "shadow", "white", "black", "snapchat")
GRID_TYPES: tuple[str, ...] = ("2x2", "1+2", "vertical", "horizontal")
DEFAULT_FONT_FAMILY = "TikTok Display"
#: Font sizes are given for a canvas of this width and scale with the canvas width.
REFERENCE_WIDTH = 1080


class RenderInputError(ValueError):
    """An input cannot be rendered: a broken or unsupported image, a decompression bomb, an
    unknown aspect ratio. ``input_name`` says which input (``background``, ``grid_images[1]``,
    ``image_overlays[0]`` …) so the caller can name the slide and field."""

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(f"{input_name}: {message}")
        self.input_name = input_name
        self.message = message

    def __reduce__(self) -> tuple[type[RenderInputError], tuple[str, str]]:
        # crosses process boundaries (slides render in worker processes)
        return (RenderInputError, (self.input_name, self.message))


@dataclass(frozen=True, slots=True)
class TextElementSpec:
    """One text element. ``x``/``y``: centre of the text box in percent of the canvas width and
    height; ``width``: box width in percent of the canvas width (lines wrap inside it);
    ``font_size``: pixels at a 1080 px wide canvas. ``text_color``/``background_color`` are CSS
    colours (``#rgb``, ``#rrggbb``, ``#rrggbbaa``, ``rgb()``, ``rgba()``, names); ``None`` keeps
    the preset's colours; ``outline_color`` is the colour of the ``tiktok`` outline (``None``: white
    around dark text, black around the rest). ``border_radius`` (px at 1080 wide) rounds the boxes of the
    ``inverted`` and ``snapchat`` presets and of an explicit ``background_color`` box."""

    content: str
    x: float = 50.0
    y: float = 50.0
    width: float = 80.0
    font_size: float = 48.0
    font_family: str = DEFAULT_FONT_FAMILY
    style_preset: str = "tiktok"
    text_color: str | None = None
    background_color: str | None = None
    border_radius: float | None = None
    id: str | None = None
    outline_color: str | None = None


@dataclass(frozen=True, slots=True)
class BackgroundFilters:
    """CSS filter functions applied to the background (contract §5.4 defaults).

    Equivalent CSS, in this order: ``brightness() contrast() saturate() hue-rotate(deg)
    grayscale() sepia() invert() blur(px)``; ``drop_shadow`` (0–1) darkens the edges of the
    slide with a soft inner shadow; ``opacity`` (0–1) blends the background with the slide's
    background colour."""

    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    hue: float = 0.0
    blur: float = 0.0
    grayscale: float = 0.0
    sepia: float = 0.0
    invert: float = 0.0
    drop_shadow: float = 0.0
    opacity: float = 1.0


@dataclass(frozen=True, slots=True)
class ImageOverlaySpec:
    """An image placed over the background. ``x``/``y``: centre in percent of the canvas;
    ``width``/``height``: the box in percent of canvas width/height (the image is fitted inside
    it keeping its aspect ratio; ``height`` ``None`` means "from the aspect ratio");
    ``rotation``: degrees clockwise; ``opacity``: 0–1."""

    image: bytes
    x: float = 50.0
    y: float = 50.0
    width: float = 30.0
    height: float | None = None
    rotation: float = 0.0
    opacity: float = 1.0
    id: str | None = None


@dataclass(frozen=True, slots=True)
class SlideSpec:
    """One slide. ``background`` and ``grid_images`` are encoded images (JPEG, PNG, WebP, GIF,
    BMP, TIFF); with ``grid_type`` set, the grid images (or the background if the list is empty)
    fill the grid cells. No background at all renders ``background_color``."""

    aspect_ratio: str = "9:16"
    background: bytes | None = None
    grid_type: str | None = None
    grid_images: tuple[bytes, ...] | list[bytes] = ()
    background_filters: BackgroundFilters | None = None
    image_overlays: tuple[ImageOverlaySpec, ...] | list[ImageOverlaySpec] = ()
    text_elements: tuple[TextElementSpec, ...] | list[TextElementSpec] = ()
    background_color: str = "#000000"


class BoxSides:
    """Width, height and centre of anything with the sides ``x0``, ``y0``, ``x1``, ``y1``
    (a base of ``Box`` and of the OCR's recognised lines)."""

    __slots__ = ()
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True, slots=True)
class Box(BoxSides):
    """An axis-aligned box in canvas pixels (``x1``/``y1`` exclusive)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    def intersect(self, other: Box) -> Box | None:
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1, y1)


@dataclass(frozen=True, slots=True)
class LineLayout:
    """One laid-out line: its text (logical order), the box of its advance (``box``: left
    edge to right edge of the shaped text, top and bottom of its line slot), and the baseline."""

    text: str
    box: Box
    baseline: float
    advance: float


@dataclass(frozen=True, slots=True)
class TextLayout:
    """Where an element's text goes. ``box`` is the text block (all line slots);
    ``ink_box`` adds the outline, shadow or background boxes the preset draws."""

    element_id: str | None
    font_family: str
    font_size_requested: float
    font_size: int
    shrunk: bool
    line_height: float
    stroke_width: float
    lines: tuple[LineLayout, ...]
    box: Box
    ink_box: Box


@dataclass(frozen=True, slots=True)
class TextFit:
    """Per element: the size asked for, the size used, and whether it had to shrink to fit."""

    element_id: str | None
    index: int
    requested_size: float
    used_size: int
    shrunk: bool
    lines: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """A measured finding about a rendered slide. ``kind``: ``outside_canvas``, ``ui_zone``,
    ``contrast``, ``shrunk``; ``numbers`` carries the measurements behind the message."""

    kind: str
    severity: Severity
    message: str
    element_id: str | None = None
    element_index: int | None = None
    numbers: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RenderWarning:
    """Something the renderer had to degrade (a missing font, a glyph it could not draw)."""

    code: str
    message: str
    element_id: str | None = None
    element_index: int | None = None


@dataclass(frozen=True, slots=True)
class RenderedSlide:
    jpeg: bytes
    width: int
    height: int
    checks: tuple[Check, ...]
    text_fits: tuple[TextFit, ...]
    warnings: tuple[RenderWarning, ...]
    jpeg_quality: int = 90
