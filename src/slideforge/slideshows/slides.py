"""The stored form of a slideshow's settings and slides, and conversions from requests and to
responses and renderer specs. Pure functions: no database, no HTTP.

A stored slide (JSON in ``slideshow.slides``)::

    {slide_type, pack_id, image_url, image_id, image_name, text_elements[…], grid_images,
     grid_type, background_filters, image_overlays,                       # content
     rendered_image_url, rendered_file_id, checks, text_fits, warnings}   # last render

Every text element is stored complete (position, size, font, preset, colours), so settings
changed later apply to new text only and a render depends on the slides and the aspect ratio
alone.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from slideforge.render import (
    BackgroundFilters,
    ImageOverlaySpec,
    RenderedSlide,
    SlideSpec,
    TextElementSpec,
)
from slideforge.render.spec import DEFAULT_FONT_FAMILY
from slideforge.slideshows.schemas import (
    AdvancedSettingsOut,
    BackgroundFiltersOut,
    CheckOut,
    ImageOverlayOut,
    RenderWarningOut,
    SettingsOut,
    SlideIn,
    SlideOut,
    TextElementIn,
    TextElementOut,
    TextFitOut,
)

#: (title, body) px for the font_size presets.
FONT_SIZES: dict[str, tuple[float, float]] = {"default": (48.0, 40.0), "small": (40.0, 33.0)}
TEXT_WIDTHS: dict[str, float] = {"default": 70.0, "narrow": 55.0}
RENDER_FIELDS = ("rendered_image_url", "rendered_file_id", "checks", "text_fits", "warnings")
#: What a slide's picture depends on (with the slideshow's aspect ratio).
RENDER_INPUTS = (
    "image_url",
    "text_elements",
    "grid_images",
    "grid_type",
    "background_filters",
    "image_overlays",
)
DEFAULT_ADVANCED: dict[str, Any] = {
    "font_size": "default",
    "text_preset": "tiktok",
    "text_width": "default",
    "font_family": DEFAULT_FONT_FAMILY,
}


@dataclass(frozen=True)
class TextDefaults:
    """What a text element without explicit style gets (from ``advanced_settings``)."""

    font_size: str | float = "default"
    text_preset: str = "tiktok"
    text_width: str = "default"
    font_family: str = DEFAULT_FONT_FAMILY

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TextDefaults:
        advanced = {**DEFAULT_ADVANCED, **(settings.get("advanced_settings") or {})}
        return cls(
            font_size=advanced["font_size"],
            text_preset=str(advanced["text_preset"]),
            text_width=str(advanced["text_width"]),
            font_family=str(advanced["font_family"]),
        )

    def size(self, is_title: bool) -> float:
        if isinstance(self.font_size, int | float):
            return float(self.font_size)
        title, body = FONT_SIZES.get(str(self.font_size), FONT_SIZES["default"])
        return title if is_title else body

    @property
    def width(self) -> float:
        return TEXT_WIDTHS.get(self.text_width, TEXT_WIDTHS["default"])


def new_element_id() -> str:
    return str(uuid.uuid4())


def element(
    content: str,
    defaults: TextDefaults,
    *,
    is_title: bool,
    given: TextElementIn | dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete stored text element: ``given`` fields win, the rest come from ``defaults``."""
    raw: dict[str, Any] = {}
    if isinstance(given, TextElementIn):
        raw = given.model_dump(exclude_none=True)
    elif given:
        raw = {k: v for k, v in given.items() if v is not None}
    return {
        "id": str(raw.get("id") or new_element_id()),
        "content": content,
        "x": float(raw.get("x", 50.0)),
        "y": float(raw.get("y", 50.0)),
        "width": float(raw.get("width", defaults.width)),
        "height": float(raw["height"]) if raw.get("height") is not None else None,
        "font_size": float(raw.get("font_size", defaults.size(is_title))),
        "font_family": str(raw.get("font_family", defaults.font_family)),
        "style_preset": str(raw.get("style_preset", defaults.text_preset)),
        "text_color": raw.get("text_color"),
        "background_color": raw.get("background_color"),
        "outline_color": raw.get("outline_color"),
        "border_radius": (
            float(raw["border_radius"]) if raw.get("border_radius") is not None else None
        ),
        "editable": bool(raw.get("editable", True)),
    }


def elements_from_input(
    items: list[TextElementIn], defaults: TextDefaults, *, is_title: bool
) -> list[dict[str, Any]]:
    return [element(item.content, defaults, is_title=is_title, given=item) for item in items]


def new_slide(
    *,
    image_url: str | None,
    text_elements: list[dict[str, Any]],
    slide_type: str | None = None,
    pack_id: str | None = None,
    image_id: str | None = None,
    image_name: str | None = None,
) -> dict[str, Any]:
    slide: dict[str, Any] = {
        "slide_type": slide_type,
        "pack_id": pack_id,
        "image_url": image_url,
        "image_id": image_id,
        "image_name": image_name,
        "text_elements": text_elements,
        "grid_images": None,
        "grid_type": None,
        "background_filters": None,
        "image_overlays": None,
    }
    return clear_render(slide)


def slide_from_input(item: SlideIn, index: int, defaults: TextDefaults) -> dict[str, Any]:
    """A PATCHed slide in stored form (render outputs and ``index`` ignored)."""
    slide = new_slide(
        image_url=item.image_url.strip() if item.image_url else None,
        text_elements=elements_from_input(item.text_elements, defaults, is_title=index == 0),
        slide_type=item.slide_type,
        pack_id=item.pack_id.strip().lower() if item.pack_id else None,
    )
    if item.grid_images:
        slide["grid_images"] = [url.strip() for url in item.grid_images]
    slide["grid_type"] = item.grid_type
    if item.background_filters is not None:
        slide["background_filters"] = item.background_filters.model_dump()
    if item.image_overlays:
        slide["image_overlays"] = [
            {
                "id": overlay.id or new_element_id(),
                "image_url": overlay.image_url.strip(),
                "x": overlay.x if overlay.x is not None else 50.0,
                "y": overlay.y if overlay.y is not None else 50.0,
                "width": overlay.width if overlay.width is not None else 30.0,
                "height": overlay.height,
                "rotation": overlay.rotation if overlay.rotation is not None else 0.0,
                "opacity": overlay.opacity if overlay.opacity is not None else 1.0,
            }
            for overlay in item.image_overlays
        ]
    return slide


def render_inputs(slide: dict[str, Any]) -> dict[str, Any]:
    return {k: slide.get(k) for k in RENDER_INPUTS}


def render_outputs(slide: dict[str, Any]) -> dict[str, Any]:
    return {k: slide.get(k) for k in RENDER_FIELDS}


def clear_render(slide: dict[str, Any]) -> dict[str, Any]:
    return {**slide, **dict.fromkeys(RENDER_FIELDS)}


def image_urls(slide: dict[str, Any]) -> list[tuple[str, str]]:
    """(input name, URL) of every image a render of this slide needs."""
    found: list[tuple[str, str]] = []
    if slide.get("image_url"):
        found.append(("image_url", slide["image_url"]))
    if slide.get("grid_type"):
        for i, url in enumerate(slide.get("grid_images") or []):
            found.append((f"grid_images[{i}]", url))
    for i, overlay in enumerate(slide.get("image_overlays") or []):
        found.append((f"image_overlays[{i}].image_url", overlay["image_url"]))
    return found


def to_spec(slide: dict[str, Any], aspect_ratio: str, images: dict[str, bytes]) -> SlideSpec:
    """The renderer's input for a stored slide; ``images`` maps every URL to its bytes."""
    filters = slide.get("background_filters")
    return SlideSpec(
        aspect_ratio=aspect_ratio,
        background=images[slide["image_url"]] if slide.get("image_url") else None,
        grid_type=slide.get("grid_type"),
        grid_images=tuple(images[url] for url in slide.get("grid_images") or []),
        background_filters=BackgroundFilters(**filters) if filters else None,
        image_overlays=tuple(
            ImageOverlaySpec(
                image=images[o["image_url"]],
                x=o["x"],
                y=o["y"],
                width=o["width"],
                height=o.get("height"),
                rotation=o["rotation"],
                opacity=o["opacity"],
                id=o["id"],
            )
            for o in slide.get("image_overlays") or []
        ),
        text_elements=tuple(
            TextElementSpec(
                content=e["content"],
                x=e["x"],
                y=e["y"],
                width=e["width"],
                font_size=e["font_size"],
                font_family=e["font_family"],
                style_preset=e["style_preset"],
                text_color=e.get("text_color"),
                background_color=e.get("background_color"),
                outline_color=e.get("outline_color"),
                border_radius=e.get("border_radius"),
                id=e["id"],
            )
            for e in slide.get("text_elements") or []
        ),
    )


def render_report(rendered: RenderedSlide) -> dict[str, Any]:
    """The measurements of a render, stored inside the slide."""
    return {
        "checks": [
            {
                "kind": c.kind,
                "severity": c.severity,
                "message": c.message,
                "element_id": c.element_id,
                "element_index": c.element_index,
                "numbers": dict(c.numbers),
            }
            for c in rendered.checks
        ],
        "text_fits": [
            {
                "element_id": f.element_id,
                "element_index": f.index,
                "requested_size": f.requested_size,
                "used_size": f.used_size,
                "shrunk": f.shrunk,
                "lines": list(f.lines),
                "reason": f.reason,
            }
            for f in rendered.text_fits
        ],
        "warnings": [asdict(w) for w in rendered.warnings],
    }


def slide_out(index: int, slide: dict[str, Any]) -> SlideOut:
    filters = slide.get("background_filters")
    overlays = slide.get("image_overlays")
    checks, fits, warnings = slide.get("checks"), slide.get("text_fits"), slide.get("warnings")
    return SlideOut(
        index=index,
        slide_type=slide.get("slide_type"),
        pack_id=slide.get("pack_id"),
        image_url=slide.get("image_url"),
        rendered_image_url=slide.get("rendered_image_url"),
        text_elements=[TextElementOut(**e) for e in slide.get("text_elements") or []],
        grid_images=slide.get("grid_images"),
        grid_type=slide.get("grid_type"),
        background_filters=BackgroundFiltersOut(**filters) if filters else None,
        image_overlays=[ImageOverlayOut(**o) for o in overlays] if overlays else None,
        checks=[CheckOut(**c) for c in checks] if checks is not None else None,
        text_fits=[TextFitOut(**f) for f in fits] if fits is not None else None,
        warnings=[RenderWarningOut(**w) for w in warnings] if warnings is not None else None,
    )


def settings_out(settings: dict[str, Any], slideshow_type: str) -> SettingsOut:
    advanced = {**DEFAULT_ADVANCED, **(settings.get("advanced_settings") or {})}
    return SettingsOut(
        image_pack_id=settings.get("image_pack_id"),
        aspect_ratio=settings.get("aspect_ratio") or "4:5",
        slideshow_type=slideshow_type,
        advanced_settings=AdvancedSettingsOut(**advanced),
        pack_assignments=settings.get("pack_assignments") or None,
    )
