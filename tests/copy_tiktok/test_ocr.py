"""OCR of slides into text elements: real OCR on a few rendered slides, and the pure steps
(junk filter, CTC space bias, width fitting, grouping, placing, style guess) on made-up input."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from slideforge.copy_tiktok import ocr
from slideforge.copy_tiktok.ocr import FittedLine, OcrLine, StyleGuess
from slideforge.render import SlideSpec, TextElementSpec, layout_text, measure_text, render_slide
from slideforge.render.text import LINE_HEIGHT
from tests.copy_tiktok import slides


@pytest.fixture(scope="module")
def engine() -> ocr.OcrEngine:
    shared = ocr.shared_engine()
    shared.load()
    return shared


def _truth(element: TextElementSpec, width: int = 1080, height: int = 1920) -> list[str]:
    return [line.text for line in layout_text(element, width, height).lines]


# --------------------------------------------------------------------------- real OCR


def test_three_presets_come_back_as_editable_elements(engine: ocr.OcrEngine) -> None:
    elements = [slides.HOOK, slides.BOXED, slides.BAR]
    result = ocr.ocr_slide(slides.slide(elements), engine=engine)
    assert result.error is None and (result.width, result.height) == (1080, 1920)
    assert len(result.elements) == 3
    for want, got in zip(elements, result.elements, strict=True):
        assert got.content.split("\n") == _truth(want)
        assert got.style_preset == want.style_preset
        assert abs(got.x - want.x) <= 2 and abs(got.y - want.y) <= 2
        assert abs(got.font_size - want.font_size) / want.font_size <= 0.08
        assert got.font_family == ocr.DEFAULT_FONT and got.relayout_ok


def test_imported_text_lands_where_it_was(engine: ocr.OcrEngine) -> None:
    """Re-laid out by the renderer, every imported line sits on its source line."""
    element = TextElementSpec(
        "Things nobody tells you about moving abroad", x=42, y=64, width=70, font_size=56
    )
    result = ocr.ocr_slide(slides.slide([element]), engine=engine)
    (imported,) = result.elements
    source = layout_text(element, 1080, 1920)
    again = layout_text(imported.spec(), 1080, 1920)
    assert [ln.text for ln in again.lines] == [ln.text for ln in source.lines]
    for a, b in zip(again.lines, source.lines, strict=True):
        assert abs((a.box.x0 + a.box.x1) / 2 - (b.box.x0 + b.box.x1) / 2) < 0.02 * 1080
        assert abs((a.box.y0 + a.box.y1) / 2 - (b.box.y0 + b.box.y1) / 2) < 0.02 * 1920
        assert abs(a.box.width - b.box.width) < 0.06 * b.box.width


def test_slide_size_does_not_change_the_elements(engine: ocr.OcrEngine) -> None:
    """Percentages and px-at-1080 are resolution independent: a half-size copy of the slide
    gives the same elements (within OCR noise)."""
    full = slides.slide([slides.HOOK], aspect_ratio="4:5")
    image = Image.open(io.BytesIO(full)).convert("RGB").resize((540, 675))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    a = ocr.ocr_slide(full, engine=engine).elements[0]
    b = ocr.ocr_slide(buffer.getvalue(), engine=engine).elements[0]
    assert a.content == b.content
    assert abs(a.x - b.x) < 1 and abs(a.y - b.y) < 1
    assert abs(a.font_size - b.font_size) / a.font_size < 0.06


def test_slide_without_text_and_unreadable_bytes(engine: ocr.OcrEngine) -> None:
    empty = ocr.ocr_slide(slides.plain(), engine=engine)
    assert empty.elements == () and empty.error is None
    broken = ocr.ocr_slide(b"\xff\xd8\xff not really a jpeg", engine=engine)
    assert broken.error and broken.elements == () and broken.width == 0


def test_ocr_slides_queues_jobs_on_one_worker(engine: ocr.OcrEngine) -> None:
    data = slides.slide([slides.BOXED])
    results: list[list[ocr.SlideOcr]] = []

    def run() -> None:
        results.append(ocr.ocr_slides([data], max_pixels=10_000_000))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 3
    assert {r[0].elements[0].content for r in results} == {"Drink water first"}
    assert ocr._worker()._max_workers == 1
    assert ocr._finisher()._max_workers == 1


def test_engine_uses_the_wheels_models_and_never_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh = ocr.OcrEngine(threads=1)
    params = fresh.params()
    import rapidocr

    package = Path(rapidocr.__file__).resolve().parent
    for key in ("Det.model_path", "Rec.model_path"):
        assert Path(params[key]).is_file() and Path(params[key]).is_relative_to(package)
    assert params["Global.use_cls"] is False
    assert params["EngineConfig.onnxruntime.intra_op_num_threads"] == 1

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the OCR engine tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert fresh.load() > 0
    assert fresh.load() == 0.0  # loaded once
    lines = fresh.read(Image.open(io.BytesIO(slides.slide([slides.BOXED]))).convert("RGB"))
    assert [line.text for line in lines] == ["Drink water first"]


# --------------------------------------------------------------------------- junk filter


def _line(
    text: str, score: float = 0.99, y: float = 100, x0: float = 100, x1: float = 500
) -> OcrLine:
    return OcrLine(text, score, x0, y, x1, y + 60)


def test_junk_filter_drops_low_scores_emoji_junk_and_empties() -> None:
    lines = [
        _line("Morning vibes"),
        _line("心国", 0.95, y=200),  # emoji read as CJK, next to Latin text
        _line("Tqx", 0.61, y=300),  # texture
        _line("   ", 0.99, y=400),
        _line("Drink water", 0.81, y=500),
    ]
    kept, dropped = ocr.filter_lines(lines)
    assert [k.text for k in kept] == ["Morning vibes", "Drink water"]
    assert {(d.line.text, d.reason) for d in dropped} == {
        ("心国", "lone_cjk"),
        ("Tqx", "low_score"),
        ("   ", "empty"),
    }


def test_junk_filter_keeps_cjk_slides_and_long_cjk_lines() -> None:
    all_cjk = [_line("早上好"), _line("喝水", y=200)]
    assert [k.text for k in ocr.filter_lines(all_cjk)[0]] == ["早上好", "喝水"]
    mixed = [_line("Hello"), _line("今天的早餐很好吃", y=200)]
    assert len(ocr.filter_lines(mixed)[0]) == 2


def test_ctc_space_bias() -> None:
    characters = ["blank", "a", "b", " "]

    def probs(space_at_gap: float) -> np.ndarray:
        rows = [
            [0.01, 0.98, 0.005, 0.005],  # a
            [1 - space_at_gap - 0.01, 0.005, 0.005, space_at_gap],  # gap
            [0.01, 0.005, 0.98, 0.005],  # b
        ]
        return np.asarray(rows)

    assert ocr.ctc_decode(probs(0.02), characters, 3)[0] == "a b"
    assert ocr.ctc_decode(probs(0.002), characters, 3)[0] == "ab"
    text, score = ocr.ctc_decode(probs(0.6), characters, 3)
    assert text == "a b" and score == pytest.approx(0.98)


# --------------------------------------------------------------------------- fitting


@pytest.mark.parametrize("family", ["TikTok Display", "Poppins", "Oswald"])
@pytest.mark.parametrize("preset", ["tiktok", "white"])
def test_font_size_is_fitted_by_width(family: str, preset: str) -> None:
    text = "Walk 10 minutes after every meal"
    size = 57.0
    ink = measure_text(text, family, 100) / 100 * size
    outline = 2 * size / 11 if preset == "tiktok" else 0.0
    box_h = 1.56 * size  # RapidOCR's padded box
    box_w = ink + outline + ocr.PAD_K * box_h
    assert ocr.fit_font_size(text, box_w, box_h, family, preset) == pytest.approx(size, rel=0.02)


# --------------------------------------------------------------------------- grouping


def _fitted(
    text: str, cy: float, size: float = 60, cx: float = 540, preset: str = "tiktok"
) -> FittedLine:
    width = measure_text(text, ocr.DEFAULT_FONT, size)
    h = 1.5 * size
    line = OcrLine(text, 0.99, cx - width / 2, cy - h / 2, cx + width / 2, cy + h / 2)
    return FittedLine(line, StyleGuess(preset, preset != "inverted"), size)


def test_grouping_joins_a_wrapped_block_and_splits_the_rest() -> None:
    step = LINE_HEIGHT * 60
    lines = [
        _fitted("3 habits that", 400),
        _fitted("changed my mornings", 400 + step),
        _fitted("forever", 400 + 2 * step),
        _fitted("far below", 400 + 5 * step),  # gap of 2 lines
        _fitted("much smaller", 400 + 6 * step, size=30),  # other size
        _fitted("boxed", 400 + 7 * step, preset="inverted"),  # other style
        _fitted("left side", 400 + 8 * step, cx=200),
        _fitted("right side", 400 + 8.3 * step, cx=880),  # centres do not overlap
    ]
    blocks = ocr.group_lines(list(reversed(lines)))
    assert [[fl.line.text for fl in b] for b in blocks] == [
        ["3 habits that", "changed my mornings", "forever"],
        ["far below"],
        ["much smaller"],
        ["boxed"],
        ["left side"],
        ["right side"],
    ]


def test_placing_uses_the_renderers_anchor_and_keeps_line_breaks() -> None:
    step = LINE_HEIGHT * 60
    block = [_fitted("Save this", 900, cx=600), _fitted("for later", 900 + step, cx=600)]
    element = ocr.place_block(block, 1080, 1920)
    assert element.content == "Save this\nfor later"
    assert element.x == pytest.approx(100 * 600 / 1080, abs=0.1)
    assert element.y == pytest.approx(100 * (900 + step / 2) / 1920, abs=0.1)
    assert element.font_size == 60 and element.relayout_ok
    laid = layout_text(element.spec(), 1080, 1920)
    assert [ln.text for ln in laid.lines] == ["Save this", "for later"]
    assert (laid.box.y0 + laid.box.y1) / 2 == pytest.approx(900 + step / 2, abs=1)
    # the element's dict is what the slideshow stores
    item = element.as_element("e1")
    assert item["content"] == "Save this\nfor later" and item["style_preset"] == "tiktok"


def test_placing_a_line_wider_than_the_slide_shrinks_it_to_fit() -> None:
    text = "a very long line of overlay text that cannot fit"
    width = measure_text(text, ocr.DEFAULT_FONT, 80)
    line = OcrLine(text, 0.99, 540 - width / 2, 500, 540 + width / 2, 620)
    element = ocr.place_block([FittedLine(line, StyleGuess("tiktok", True), 80)], 1080, 1920)
    assert element.width == 100 and element.font_size < 80 and element.relayout_ok


# --------------------------------------------------------------------------- style


def _style_of(element: TextElementSpec, background: bytes | None = None) -> str:
    rendered = render_slide(
        SlideSpec(background=background or slides.background(), text_elements=[element])
    )
    rgb = np.asarray(Image.open(io.BytesIO(rendered.jpeg)).convert("RGB"))
    laid = layout_text(element, 1080, 1920)
    pad = 0.25 * laid.line_height  # RapidOCR boxes are padded
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
    return ocr.guess_style(rgb, lines, laid.font_size).preset


@pytest.mark.parametrize("preset", ["tiktok", "inverted", "snapchat", "shadow", "white"])
def test_style_guess_from_pixels(preset: str) -> None:
    element = TextElementSpec(
        "Protein at every meal and sleep by eleven",
        y=40,
        width=80,
        font_size=60,
        style_preset=preset,
    )
    assert _style_of(element) == preset


def test_style_guess_dark_text_on_a_light_photo() -> None:
    light = io.BytesIO()
    arr = np.full((1920, 1080, 3), 225, np.uint8)
    arr += np.random.default_rng(1).integers(0, 20, arr.shape, dtype=np.uint8)
    Image.fromarray(arr).save(light, "JPEG", quality=90)
    element = TextElementSpec("Clean as you go", y=30, font_size=64, style_preset="black")
    assert _style_of(element, light.getvalue()) == "black"


# --------------------------------------------------------------------------- font


@pytest.mark.parametrize(
    ("family", "preset"),
    [("Oswald", "tiktok"), ("Poppins", "inverted"), ("TikTok Display", "snapchat")],
)
def test_font_is_identified_from_the_glyphs(family: str, preset: str) -> None:
    element = TextElementSpec(
        "Budget tips that actually work",
        y=40,
        width=90,
        font_size=64,
        font_family=family,
        style_preset=preset,
    )
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
    style = ocr.guess_style(rgb, lines, laid.font_size)
    guess = ocr.identify_font(rgb, lines, style, 1.0)
    assert guess.family == family, guess.scores
    (imported,) = ocr.elements_from_lines(rgb, lines)[0]
    assert imported.font_family == family
    assert imported.font_size == pytest.approx(64, rel=0.04)


def test_unclear_glyphs_keep_the_default_font() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (400, 1080, 3), dtype=np.uint8)
    line = OcrLine("noise that is not text", 0.9, 100, 100, 900, 190)
    guess = ocr.identify_font(rgb, [line], StyleGuess("white", True), 1.0)
    assert guess.family == ocr.DEFAULT_FONT
