"""Text layout: positions, wrapping, newlines, shrink-to-fit, fallback fonts, bidi order."""

from __future__ import annotations

import pytest

from slideforge.render import fonts, layout_text, measure_text
from slideforge.render.spec import TextElementSpec
from slideforge.render.text import (
    LINE_HEIGHT,
    STROKE_DIVISOR,
    base_is_rtl,
    layout_element,
    visual_order,
)

W, H = 1080, 1920
SENTENCE = "When you realise the weekend is only two days long but the week has five"


def test_block_is_centred_on_x_y():
    lay = layout_text(TextElementSpec(SENTENCE, x=40, y=30, width=60), W, H)
    box = lay.box
    assert (box.y0 + box.y1) / 2 == pytest.approx(0.30 * H, abs=0.01)
    for line in lay.lines:
        assert (line.box.x0 + line.box.x1) / 2 == pytest.approx(0.40 * W, abs=0.01)
    assert box.height == pytest.approx(len(lay.lines) * LINE_HEIGHT * lay.font_size)
    # lines are stacked slot after slot, baselines inside their slot
    for i, line in enumerate(lay.lines):
        assert line.box.y0 == pytest.approx(box.y0 + i * lay.line_height)
        assert line.box.y0 < line.baseline < line.box.y1


@pytest.mark.parametrize("preset", ["tiktok", "inverted", "shadow", "white", "black", "snapchat"])
@pytest.mark.parametrize("width", [30, 55, 80])
def test_wrapped_lines_stay_inside_the_box(preset, width):
    el = TextElementSpec(SENTENCE, width=width, font_size=56, style_preset=preset)
    lay = layout_text(el, W, H)
    assert len(lay.lines) >= 2
    box_w = width / 100 * W
    for line in lay.lines:
        assert line.advance + 2 * lay.stroke_width <= box_w + 0.01
        if preset == "inverted":  # the line box padding also fits
            assert line.advance + 2 * 0.32 * lay.font_size <= box_w + 0.01
    # greedy: the next line's first word would not have fitted on the previous line
    for prev, nxt in zip(lay.lines, lay.lines[1:], strict=False):
        first_word = nxt.text.split(" ")[0]
        joined = measure_text(prev.text + " " + first_word, el.font_family, lay.font_size)
        assert joined + 2 * lay.stroke_width > box_w - 2 * (
            0.32 * lay.font_size if preset == "inverted" else 0
        )


def test_tiktok_outline_is_a_eleventh_of_the_size():
    lay = layout_text(TextElementSpec("Hi", font_size=66), W, H)
    assert lay.stroke_width == pytest.approx(66 / STROKE_DIVISOR)
    assert layout_text(TextElementSpec("Hi", style_preset="white"), W, H).stroke_width == 0


def test_explicit_newlines_are_kept_and_blank_lines_count():
    lay = layout_text(TextElementSpec("one\ntwo\n\nfour", width=90), W, H)
    assert [ln.text for ln in lay.lines] == ["one", "two", "", "four"]


def test_line_advance_is_measure_text():
    lay = layout_text(TextElementSpec(SENTENCE, font_family="Anton", style_preset="white"), W, H)
    for line in lay.lines:
        assert line.advance == pytest.approx(
            measure_text(line.text, "Anton", lay.font_size), rel=1e-6
        )


def test_font_size_scales_with_canvas_width():
    full = layout_text(TextElementSpec("Hello", font_size=60), 1080, 1920)
    half = layout_text(TextElementSpec("Hello", font_size=60), 540, 960)
    assert full.font_size == 60
    assert half.font_size == 30


def test_long_word_shrinks_and_says_so():
    el = TextElementSpec("Supercalifragilisticexpialidocious", font_size=120, width=50, id="w")
    laid = layout_element(el, W, H)
    fit = laid.fit
    assert fit.shrunk and fit.requested_size == 120 and fit.used_size < 120
    assert "wider" in (fit.reason or "")
    assert laid.public.lines[0].advance + 2 * laid.public.stroke_width <= 0.5 * W + 0.01
    # the largest size that fits: one px more would not
    bigger = measure_text(el.content, el.font_family, fit.used_size + 1)
    assert bigger + 2 * (fit.used_size + 1) / STROKE_DIVISOR > 0.5 * W


def test_too_tall_text_shrinks_to_the_canvas_height():
    el = TextElementSpec(" ".join(["words"] * 400), font_size=100, width=90)
    laid = layout_element(el, W, H)
    assert laid.fit.shrunk and "taller" in (laid.fit.reason or "")
    assert laid.public.box.height <= H


def test_text_that_fits_is_not_shrunk():
    fit = layout_element(TextElementSpec("short", font_size=48), W, H).fit
    assert not fit.shrunk and fit.used_size == 48 and fit.reason is None


def test_unbreakable_text_breaks_between_characters_at_the_minimum_size():
    el = TextElementSpec("x" * 400, font_size=48, width=20)
    laid = layout_element(el, W, H)
    assert laid.fit.used_size == 8
    assert len(laid.public.lines) > 1
    assert any(w.code == "text_does_not_fit" for w in laid.warnings)
    assert "".join(ln.text for ln in laid.public.lines) == el.content


def test_arabic_uses_the_arabic_font_and_reads_right_to_left():
    laid = layout_element(TextElementSpec("مرحبا بالعالم Hello", width=95), W, H)
    (line,) = laid.lines
    labels = [(p.run.source.label if p.run.source else "emoji", p.x) for p in line.runs]
    arabic = [x for label, x in labels if label == "Noto Sans Arabic"]
    latin = [x for label, x in labels if label == "TikTok Sans"]
    assert arabic and latin
    # base direction is right-to-left: the Latin word that ends the sentence is on the left
    assert max(latin) < min(arabic)
    assert base_is_rtl("مرحبا Hello") and not base_is_rtl("Hello مرحبا")


def test_visual_order_keeps_ltr_sentences_in_order():
    laid = layout_element(TextElementSpec("Hello مرحبا world", width=95), W, H)
    (line,) = laid.lines
    texts = [p.run.text.strip() for p in line.runs]
    assert texts[0] == "Hello" and texts[-1] == "world"
    assert visual_order([], False) == []


def test_devanagari_and_cjk_fall_back_per_run():
    dev = layout_element(TextElementSpec("नमस्ते world"), W, H).lines[0]
    assert {p.run.source.label for p in dev.runs if p.run.source} >= {"Noto Sans Devanagari"}
    if fonts.cjk_source() is None:
        pytest.skip("no CJK system font installed (fonts-noto-cjk)")
    cjk = layout_element(TextElementSpec("你好 world"), W, H).lines[0]
    assert any(p.run.source and p.run.source.system for p in cjk.runs)


def test_cjk_text_wraps_without_spaces():
    if fonts.cjk_source() is None:
        pytest.skip("no CJK system font installed (fonts-noto-cjk)")
    el = TextElementSpec("今天的早晨习惯喝水晒太阳散步十分钟然后开始工作", width=40, font_size=60)
    lay = layout_text(el, W, H)
    assert len(lay.lines) >= 3
    assert all(ln.advance + 2 * lay.stroke_width <= 0.4 * W + 0.01 for ln in lay.lines)
    assert "".join(ln.text for ln in lay.lines) == el.content


def test_emoji_are_measured_at_the_line_height():
    if fonts.emoji_font() is None:
        pytest.skip("no colour emoji font (fonts-noto-color-emoji)")
    one = measure_text("😀", "TikTok Display", 48)
    assert 40 < one < 80
    assert measure_text("😀😀", "TikTok Display", 48) == pytest.approx(2 * one)


def test_missing_glyph_and_unknown_font_are_reported():
    laid = layout_element(TextElementSpec("abc \U0010fffd", font_family="Comic Sans"), W, H, 3)
    codes = {w.code for w in laid.warnings}
    assert {"missing_glyph", "unknown_font"} <= codes
    assert laid.public.font_family == "TikTok Display"
    assert all(w.element_index == 3 for w in laid.warnings)


def test_bad_colour_and_preset_fall_back_with_warnings():
    laid = layout_element(
        TextElementSpec("x", style_preset="neon", text_color="not-a-colour"), W, H
    )
    assert {w.code for w in laid.warnings} == {"unknown_preset", "bad_color"}
    assert laid.style.preset == "tiktok" and laid.style.fill == (255, 255, 255, 255)


def test_empty_content_lays_out_nothing():
    lay = layout_text(TextElementSpec("  \n "), W, H)
    assert lay.lines == ()


def test_no_break_space_keeps_words_together():
    el = TextElementSpec(
        "price 100\u00a0€ and 200\u00a0€ and more words here", width=30, font_size=60
    )
    lines = [ln.text for ln in layout_text(el, W, H).lines]
    assert all(not ln.endswith("100") and not ln.endswith("200") for ln in lines), lines
    assert any("100\u00a0€" in ln for ln in lines)
