"""Checks: contrast against what is behind the text, TikTok UI zones, outside the canvas."""

from __future__ import annotations

import pytest

from slideforge.render import render_slide
from slideforge.render.checks import SCREEN_ZONES, ui_zones
from slideforge.render.spec import SlideSpec, TextElementSpec
from tests.render.cases import flat_png, photo_jpeg


def _checks(*elements, bg=None, colour="#000000", aspect="9:16"):
    spec = SlideSpec(
        aspect_ratio=aspect, background=bg, background_color=colour, text_elements=list(elements)
    )
    return render_slide(spec).checks


def _only(checks, kind, element_id=None):
    return [
        c for c in checks if c.kind == kind and (element_id is None or c.element_id == element_id)
    ]


def test_white_text_on_white_background_is_flagged():
    checks = _checks(
        TextElementSpec("invisible", style_preset="white", id="t"), bg=flat_png((255, 255, 255))
    )
    (check,) = _only(checks, "contrast")
    assert check.severity == "error"
    assert check.numbers["contrast_ratio"] < 1.1
    assert check.numbers["background_luminance"] > 0.95


def test_outline_and_box_presets_are_readable_by_construction():
    white = flat_png((255, 255, 255))
    checks = _checks(
        TextElementSpec("outlined", style_preset="tiktok", y=20, id="a"),
        TextElementSpec("boxed", style_preset="inverted", y=40, id="b"),
        TextElementSpec("bar", style_preset="snapchat", y=60, id="c"),
        bg=white,
    )
    for element_id in "abc":
        (check,) = _only(checks, "contrast", element_id)
        assert check.severity == "info", check
        assert check.numbers["contrast_ratio"] >= 3
    # the raw contrast with the background is still reported
    (a,) = _only(checks, "contrast", "a")
    assert a.numbers["background_contrast_ratio"] < 1.1


def test_black_text_on_white_is_fine_and_measured():
    (check,) = _only(
        _checks(TextElementSpec("ink", style_preset="black"), bg=flat_png((255, 255, 255))),
        "contrast",
    )
    assert check.severity == "info" and check.numbers["contrast_ratio"] > 15


def test_same_colour_box_is_flagged():
    (check,) = _only(
        _checks(
            TextElementSpec(
                "x y z", style_preset="inverted", text_color="#fff", background_color="#fafafa"
            )
        ),
        "contrast",
    )
    assert check.severity == "error"


def test_background_is_measured_under_the_glyphs_only():
    # dark slide, the element's own box region is dark too: white text reads fine
    (check,) = _checks(TextElementSpec("fine", style_preset="white"), bg=flat_png((20, 20, 20)))
    assert check.kind == "contrast" and check.severity == "info"
    assert check.numbers["background_luminance"] < 0.02


@pytest.mark.parametrize(
    ("x", "y", "zone"),
    [(50, 95, "caption"), (50, 2, "top_bar"), (95, 55, "right_actions")],
)
def test_ui_zones_flag_text_under_tiktok_interface(x, y, zone):
    checks = _checks(TextElementSpec("Hi there", x=x, y=y, width=20, id="t"), bg=photo_jpeg())
    hits = _only(checks, "ui_zone", "t")
    assert any(c.numbers.get(f"zone_{zone}") == 1.0 for c in hits), hits
    assert all(c.severity == "warning" for c in hits)


def test_centred_text_is_clear_of_the_zones():
    checks = _checks(TextElementSpec("centre", y=50, width=60), bg=photo_jpeg())
    assert not _only(checks, "ui_zone")
    assert not _only(checks, "outside_canvas")


def test_zones_project_onto_other_ratios():
    assert {z.name for z in ui_zones(1080, 1920)} == set(SCREEN_ZONES)
    square = {z.name: z.box for z in ui_zones(1080, 1080)}
    assert "top_bar" not in square
    assert square["right_actions"].y0 == pytest.approx(0.36 * 1920 - 420)
    four_five = {z.name: z.box for z in ui_zones(1080, 1350)}
    assert four_five["caption"].y0 == pytest.approx(0.78 * 1920 - 285)
    # text at the bottom of a 1:1 photo is above TikTok's caption area on the phone
    checks = _checks(TextElementSpec("low", y=90, width=30, x=40), aspect="1:1", bg=photo_jpeg())
    assert not _only(checks, "ui_zone")


def test_text_outside_the_canvas_is_flagged():
    checks = _checks(TextElementSpec("off the edge", x=98, y=50, width=40, id="o"), bg=photo_jpeg())
    (check,) = _only(checks, "outside_canvas", "o")
    assert check.numbers["overflow_right"] > 50
    assert check.numbers["overflow_left"] == 0
    assert 0 < check.numbers["visible_share"] < 1


def test_shrunk_text_is_reported_as_a_check():
    checks = _checks(TextElementSpec("Incomprehensibilities", font_size=200, width=40, id="s"))
    (check,) = _only(checks, "shrunk", "s")
    assert check.numbers["used_size"] < check.numbers["requested_size"] == 200
