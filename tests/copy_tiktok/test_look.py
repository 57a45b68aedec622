"""Colours and glyph-metric sizes of overlay text (``copy_tiktok.look`` through
``ocr.elements_from_lines``), on slides drawn by the renderer with known truth; line boxes come
from the renderer's layout (padded like RapidOCR's), so no OCR engine runs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from slideforge.copy_tiktok import look, ocr
from slideforge.copy_tiktok.ocr import OcrLine
from slideforge.render import SlideSpec, TextElementSpec, layout_text, render_slide
from slideforge.render.colors import parse_color
from tests.copy_tiktok import slides


def _drawn(element: TextElementSpec) -> tuple[np.ndarray, list[OcrLine]]:
    rendered = render_slide(SlideSpec(background=slides.background(), text_elements=[element]))
    rgb = np.asarray(Image.open(io.BytesIO(rendered.jpeg)).convert("RGB"))
    laid = layout_text(element, 1080, 1920)
    pad = 0.25 * laid.line_height
    lines = [
        OcrLine(
            ln.text,
            0.99,
            ln.box.x0 - pad,
            ln.box.y0 - pad / 2,
            ln.box.x1 + pad,
            ln.box.y1 + pad / 2,
        )
        for ln in laid.lines
    ]
    return rgb, lines


def _de(a: str | None, b: tuple[int, int, int]) -> float:
    assert a is not None
    lab = look.srgb_to_lab(np.asarray([parse_color(a)[:3], b], np.float64))
    return float(look.delta_e2000(lab[0], lab[1]))


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu & Dalal (2005), test pairs 1, 7 and 17
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ],
)
def test_ciede2000_matches_the_reference_pairs(
    lab1: tuple[float, float, float], lab2: tuple[float, float, float], expected: float
) -> None:
    assert float(look.delta_e2000(np.asarray(lab1), np.asarray(lab2))) == pytest.approx(
        expected, abs=1e-4
    )


def test_yellow_outlined_line_comes_back_yellow_with_a_black_outline() -> None:
    element = TextElementSpec(
        "Budget tips that actually work", y=40, width=90, font_size=60, text_color="#FFE600"
    )
    rgb, lines = _drawn(element)
    (imported,) = ocr.elements_from_lines(rgb, lines)[0]
    assert imported.style_preset == "tiktok"
    assert _de(imported.text_color, (255, 230, 0)) < 5
    # a black outline is what the renderer draws around yellow anyway: no override
    assert imported.outline_color is None
    colours = look.block_colours(rgb, lines, 60)
    assert colours is not None and colours.outline is not None
    lab = look.srgb_to_lab(np.asarray([colours.outline, (0, 0, 0)], np.float64))
    assert float(look.delta_e2000(lab[0], lab[1])) < 5
    # the benchmark's target for the matched families (5 %)
    assert imported.font_size == pytest.approx(60, rel=0.05)


def test_box_preset_recovers_the_box_colour() -> None:
    element = TextElementSpec(
        "Drink water first",
        y=55,
        width=70,
        font_size=56,
        style_preset="inverted",
        text_color="#FFFFFF",
        background_color="#FF0000",
    )
    rgb, lines = _drawn(element)
    colours = look.block_colours(rgb, lines, 56)
    assert colours is not None and colours.box is not None
    assert _de(look.hex_colour(colours.box), (255, 0, 0)) < 5
    assert _de(look.hex_colour(colours.fill), (255, 255, 255)) < 5


@pytest.mark.parametrize("size", [40, 56, 72])
def test_size_of_a_face_outside_the_candidates_from_its_glyphs(size: int) -> None:
    assert "Arial" not in ocr.FONT_CANDIDATES
    element = TextElementSpec(
        "Budget tips that actually work",
        y=40,
        width=95,
        font_size=size,
        font_family="Arial",
        text_color="#FF933D",
    )
    rgb, lines = _drawn(element)
    (imported,) = ocr.elements_from_lines(rgb, lines)[0]
    assert imported.font_size == pytest.approx(size, rel=0.03)


def test_the_renderer_draws_a_given_outline_colour() -> None:
    base = TextElementSpec("Save this", y=50, font_size=80)
    red = TextElementSpec("Save this", y=50, font_size=80, outline_color="#FF0000")
    plain = render_slide(SlideSpec(background_color="#808080", text_elements=[base]))
    outlined = render_slide(SlideSpec(background_color="#808080", text_elements=[red]))
    a = np.asarray(Image.open(io.BytesIO(plain.jpeg)).convert("RGB")).astype(int)
    b = np.asarray(Image.open(io.BytesIO(outlined.jpeg)).convert("RGB")).astype(int)
    reddish = (b[..., 0] > 200) & (b[..., 1] < 60) & (b[..., 2] < 60)
    assert reddish.sum() > 500
    assert ((a[..., 0] > 200) & (a[..., 1] < 60) & (a[..., 2] < 60)).sum() == 0
