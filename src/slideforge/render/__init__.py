"""The rendering engine: pure functions from a :class:`SlideSpec` to a JPEG and measurements.

No database, no HTTP, no settings: the service layer converts slideshow JSON into the types of
:mod:`slideforge.render.spec` and stores what :func:`render_slide` returns.
"""

from slideforge.render.engine import (
    ComposedSlide,
    canvas_size,
    compose_slide,
    encode_jpeg,
    grid_cells,
    render_slide,
)
from slideforge.render.filters import css_filter
from slideforge.render.fonts import add_font_dir, family_names, font_inventory, raqm_available
from slideforge.render.spec import (
    CANVAS_SIZES,
    GRID_TYPES,
    STYLE_PRESETS,
    BackgroundFilters,
    Box,
    Check,
    ImageOverlaySpec,
    LineLayout,
    RenderedSlide,
    RenderInputError,
    RenderWarning,
    SlideSpec,
    TextElementSpec,
    TextFit,
    TextLayout,
)
from slideforge.render.text import layout_text, measure_text

__all__ = [
    "CANVAS_SIZES",
    "GRID_TYPES",
    "STYLE_PRESETS",
    "BackgroundFilters",
    "Box",
    "Check",
    "ComposedSlide",
    "ImageOverlaySpec",
    "LineLayout",
    "RenderInputError",
    "RenderWarning",
    "RenderedSlide",
    "SlideSpec",
    "TextElementSpec",
    "TextFit",
    "TextLayout",
    "add_font_dir",
    "canvas_size",
    "compose_slide",
    "css_filter",
    "encode_jpeg",
    "family_names",
    "font_inventory",
    "grid_cells",
    "layout_text",
    "measure_text",
    "raqm_available",
    "render_slide",
]
