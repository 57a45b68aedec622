"""Copy-a-TikTok benchmark: OCR accuracy on generated slides, and the speed of a whole import.

    .venv/bin/slideforge bench copy [-n 48] [--seed 7] [--out out/bench/copy]
    .venv/bin/slideforge bench copy --import [--imports 5] [--concurrent 4] [--ocr-processes N]

OCR mode: TikTok-style slides are drawn with slideforge's own renderer over the sample photos
that ship with scikit-image (``skimage.data``; install with ``.venv/bin/pip install -e
'.[dev]'`` or ``.venv/bin/pip install scikit-image``), in several fonts, sizes, presets and
positions, with known text. Each slide is OCR'd and turned into text elements exactly as an
import does (``slideforge.copy_tiktok.ocr``), then compared with the truth:

- exact lines: a true line counts when the OCR line with the best IoU (≥ 0.3) has the same
  text (whitespace collapsed; case and punctuation must match);
- position error: distance between the true and the imported element centre, in percent of
  the slide (x in percent of the width, y of the height; the larger of the two);
- font-size error: |imported − true| / true, per element;
- preset accuracy: imported style preset == true preset;
- seconds per slide (OCR + fitting, warm) and the cold model load.

It writes ``ocr.png`` (a few slides with the true line boxes in green, the OCR boxes in red
and the re-laid-out imported elements in blue) and ``ocr.json`` (the figures).

Import mode (``--import``): a slideforge server (SQLite in a temporary folder) and the TikTok
web sandbox run on loopback in this process; an 8-slide post is imported several times with
``POST /slideshows/copy-tiktok/import`` while another thread calls ``GET /accounts`` every
50 ms. Prints the import wall times (model already loaded in the OCR worker process, or in
this process with ``--ocr-processes 0``; the cold load is timed separately) and the latencies
of the concurrent ``GET /accounts``; then the wall time of 8-slide previews sent one at a time
(``--imports`` of them) and ``--concurrent`` at once (two rounds), with the p50/p99 of
``GET /accounts`` during each.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image, ImageDraw, ImageOps
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from slideforge.copy_tiktok import look, ocr
from slideforge.render import SlideSpec, TextElementSpec, layout_text, render_slide
from slideforge.render.text import font_for_preview, resolve_style

TARGET_EXACT = 0.97
TARGET_POSITION = 2.0
TARGET_SIZE = 0.05
#: issue 15: size error on faces the importer does not match, colour error, preset accuracy
TARGET_SIZE_UNKNOWN = 0.03
TARGET_COLOUR_DE = 5.0
TARGET_PRESET = 0.98
INSTALL_HINT = (
    "the OCR benchmark draws its slides over scikit-image's sample photos; install it with "
    "`.venv/bin/pip install -e '.[dev]'` (or `.venv/bin/pip install 'scikit-image>=0.26,<0.27'`)"
)

PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "camera",
    "brick",
    "grass",
    "gravel",
    "moon",
    "coins",
    "motorcycle",
)
# (family, weight in the draw): TikTok's own text font dominates real slideshows
FONTS = (
    ("TikTok Display", 6),
    ("TikTok Sans", 2),
    ("Poppins", 1),
    ("Inter", 1),
    ("Montserrat", 0),
    ("Roboto", 1),
    ("Oswald", 1),
    # faces outside ocr.FONT_CANDIDATES (shipped with slideforge, never matched by the
    # importer): its size must come out right from the glyphs all the same
    ("Arial", 1),
    ("Times New Roman", 1),
    ("Della", 1),
)
#: fills drawn by the bench (None: the preset's own colour), by preset family
LIGHT_FILLS = ((None, 4), ("#FFE600", 2), ("#FF0000", 1), ("#FF933D", 1), ("#3496F0", 1))
BOX_COLOURS = ((None, 3), ("#FFE600", 1), ("#FF0000", 1))
DARK_FILLS = ((None, 3), ("#1F3A93", 1))
PRESETS = (
    ("tiktok", 5),
    ("inverted", 2),
    ("snapchat", 2),
    ("shadow", 1),
    ("white", 1),
    ("black", 1),
)
TEXTS = (
    "3 habits that changed my mornings forever",
    "Things nobody tells you about moving abroad",
    "I tried this for 30 days",
    "Save this for later",
    "POV: you finally fixed your sleep",
    "Drink water before coffee",
    "No phone for the first hour",
    "Walk 10 minutes after every meal",
    "Write down three things you are grateful for",
    "This changed everything",
    "Budget tips that actually work",
    "Stop buying things you do not need",
    "The 50/30/20 rule explained",
    "Cook once, eat three times",
    "Read 10 pages every night",
    "Your future self will thank you",
    "Part 2 is on my page",
    "Follow for more tips!",
    "Why your plants keep dying",
    "Water less, but deeper",
    "Morning routine of a night owl",
    "How I saved $5,000 in 6 months",
    "Small steps, big results",
    "Which one are you?",
    "Don't skip the last slide",
    "Best hidden beaches in Portugal",
    "Pack light: one bag for two weeks",
    "Study smarter, not longer",
    "The Pomodoro method in 3 steps",
    "Sunday reset checklist",
    "Clean as you go",
    "Protein at every meal",
    "Sleep by 11, wake by 7",
    "Say no without guilt",
    "Green flags in a friendship",
    "Books that rewired my brain",
    "Stretch for five minutes",
    "Tell me I'm not the only one",
    "Cheap date ideas for winter",
    "Rainy day reading list",
)


# --------------------------------------------------------------------------- slides


def load_photos() -> dict[str, dict[str, bytes]]:
    """Each photo cover-cropped to 1080x1920 and 1080x1350, with a little grain (camera
    noise), JPEG q92."""
    try:
        from skimage import data
    except ImportError:
        raise SystemExit(INSTALL_HINT) from None
    rng = np.random.default_rng(0)
    photos: dict[str, dict[str, bytes]] = {}
    for name in PHOTOS:
        arr = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
        image = Image.fromarray(np.asarray(arr)).convert("RGB")
        photos[name] = {}
        for aspect, size in (("9:16", (1080, 1920)), ("4:5", (1080, 1350))):
            fitted = ImageOps.fit(image, size, Image.Resampling.BICUBIC)
            grain = rng.integers(-6, 7, (size[1], size[0], 3), dtype=np.int16)
            noisy = np.clip(np.asarray(fitted, np.int16) + grain, 0, 255).astype(np.uint8)
            buf = io.BytesIO()
            Image.fromarray(noisy).save(buf, "JPEG", quality=92)
            photos[name][aspect] = buf.getvalue()
    return photos


@dataclass
class TrueElement:
    spec: TextElementSpec
    lines: list[tuple[str, tuple[float, float, float, float]]]  # text, box in ref px


@dataclass
class GeneratedSlide:
    jpeg: bytes
    width: int
    height: int
    photo: str
    elements: list[TrueElement]


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    names = [name for name, weight in table if weight > 0]
    weights = [weight for _, weight in table if weight > 0]
    return rng.choices(names, weights)[0]


def _region_luma(background: Image.Image, box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = (int(v) for v in box)
    crop = background.crop((max(0, x0), max(0, y0), max(x0 + 1, x1), max(y0 + 1, y1)))
    arr = np.asarray(crop.convert("L"), np.float32) / 255
    return float(arr.mean()) if arr.size else 0.5


def _coloured(rng: random.Random, spec: TextElementSpec) -> TextElementSpec:
    """``spec`` with a fill (and for ``inverted`` a box colour) drawn at random. Plain text
    takes light fills when ``white``, dark ones when ``black``, so the preset stays the one
    an importer can tell (a yellow "black" text looks exactly like a yellow "white" one)."""

    def pick(table: tuple[tuple[str | None, int], ...]) -> str | None:
        return rng.choices([c for c, _ in table], [w for _, w in table])[0]

    preset = spec.style_preset
    if preset == "inverted":
        box = pick(BOX_COLOURS)
        text = "#FFFFFF" if box == "#FF0000" else None
        return replace(spec, background_color=box, text_color=text)
    if preset == "black":
        return replace(spec, text_color=pick(DARK_FILLS))
    if preset == "snapchat":
        return spec
    return replace(spec, text_color=pick(LIGHT_FILLS))


def generate_slides(
    count: int, seed: int, photos: dict[str, dict[str, bytes]]
) -> list[GeneratedSlide]:
    rng = random.Random(seed)
    names = sorted(photos)
    slides: list[GeneratedSlide] = []
    for index in range(count):
        aspect = "9:16" if index % 4 else "4:5"
        width, height = (1080, 1920) if aspect == "9:16" else (1080, 1350)
        photo = names[index % len(names)]
        plain = render_slide(SlideSpec(aspect_ratio=aspect, background=photos[photo][aspect]))
        background = Image.open(io.BytesIO(plain.jpeg)).convert("RGB")
        elements: list[TrueElement] = []
        taken: list[tuple[float, float]] = []
        for _attempt in range(12):
            if len(elements) >= rng.choice((1, 2, 2, 3)):
                break
            family = _weighted(rng, FONTS)
            preset = _weighted(rng, PRESETS)
            size = float(rng.choice((40, 44, 48, 52, 56, 60, 64, 72, 80)))
            text = rng.choice(TEXTS)
            width_pct = float(rng.choice((60, 70, 80, 90)))
            x = 50.0 if rng.random() < 0.75 else float(rng.choice((35, 40, 60, 65)))
            if x != 50.0:
                width_pct = min(width_pct, 2 * min(x, 100 - x) - 4)
            y = float(rng.uniform(10, 88))
            spec = TextElementSpec(
                text,
                x=x,
                y=y,
                width=width_pct,
                font_size=size,
                font_family=family,
                style_preset=preset,
            )
            spec = _coloured(rng, spec)
            laid = layout_text(spec, width, height)
            if laid.shrunk or laid.ink_box.y0 < 20 or laid.ink_box.y1 > height - 20:
                continue
            lh = laid.line_height
            top, bottom = laid.ink_box.y0 - lh, laid.ink_box.y1 + lh
            if any(not (bottom < t or top > b) for t, b in taken):
                continue
            box = (laid.box.x0, laid.box.y0, laid.box.x1, laid.box.y1)
            luma = _region_luma(background, box)
            if preset == "black" and luma < 0.55:
                preset = "white"
            elif preset == "white" and luma > 0.6:
                preset = "black"
            if preset != spec.style_preset:
                spec = _coloured(rng, replace(spec, style_preset=preset, text_color=None))
                laid = layout_text(spec, width, height)
            taken.append((top, bottom))
            lines = [(ln.text, (ln.box.x0, ln.box.y0, ln.box.x1, ln.box.y1)) for ln in laid.lines]
            elements.append(TrueElement(spec, lines))
        rendered = render_slide(
            SlideSpec(
                aspect_ratio=aspect,
                background=photos[photo][aspect],
                text_elements=[e.spec for e in elements],
            )
        )
        # TikTok re-encodes uploads: one more JPEG generation at q85
        img = Image.open(io.BytesIO(rendered.jpeg)).convert("RGB")
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85)
        slides.append(GeneratedSlide(buf.getvalue(), width, height, photo, elements))
    return slides


# --------------------------------------------------------------------------- scoring


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass
class SlideScore:
    lines_total: int
    lines_exact: int
    misses: list[tuple[str, str]]
    position_errors: list[float]
    size_errors: list[tuple[str, float]]
    presets: list[tuple[str, str]]
    fonts: list[tuple[str, str]]
    unmatched_elements: int
    extra_elements: int
    seconds: float
    fill_errors: list[float] = field(default_factory=list)
    outline_errors: list[float] = field(default_factory=list)
    box_errors: list[float] = field(default_factory=list)


def score_slide(slide: GeneratedSlide, result: ocr.SlideOcr) -> SlideScore:
    ocr_boxes = [
        (line.text, (line.x0, line.y0, line.x1, line.y1))
        for element in result.elements
        for line in (fl.line for fl in element.lines)
    ]
    total = exact = 0
    misses: list[tuple[str, str]] = []
    for element in slide.elements:
        for text, box in element.lines:
            total += 1
            best = max(ocr_boxes, key=lambda ob: _iou(ob[1], box), default=None)
            got = best[0] if best is not None and _iou(best[1], box) >= 0.3 else ""
            if _collapse(got) == _collapse(text):
                exact += 1
            else:
                misses.append((text, got))
    positions: list[float] = []
    sizes: list[tuple[str, float]] = []
    presets: list[tuple[str, str]] = []
    fonts: list[tuple[str, str]] = []
    used: set[int] = set()
    unmatched = 0
    fill_errors: list[float] = []
    outline_errors: list[float] = []
    box_errors: list[float] = []
    for element in slide.elements:
        spec = element.spec
        tx0 = min(b[0] for _, b in element.lines)
        ty0 = min(b[1] for _, b in element.lines)
        tx1 = max(b[2] for _, b in element.lines)
        ty1 = max(b[3] for _, b in element.lines)
        candidates = [
            (i, imp)
            for i, imp in enumerate(result.elements)
            if i not in used
            and tx0 <= imp.x / 100 * slide.width <= tx1
            and ty0 <= imp.y / 100 * slide.height <= ty1
        ]
        if not candidates:
            unmatched += 1
            continue
        i, imp = min(candidates, key=lambda c: abs(c[1].y - spec.y) + abs(c[1].x - spec.x))
        used.add(i)
        positions.append(max(abs(imp.x - spec.x), abs(imp.y - spec.y)))
        sizes.append((spec.font_family, abs(imp.font_size - spec.font_size) / spec.font_size))
        presets.append((spec.style_preset, imp.style_preset))
        fonts.append((spec.font_family, imp.font_family))
        want, got = _drawn_colours(spec), _drawn_colours(imp.spec())
        fill_errors.append(_delta_e(want["fill"], got["fill"]))
        if want["outline"] is not None:
            outline_errors.append(_delta_e(want["outline"], got["outline"] or (128, 128, 128)))
        if want["box"] is not None:
            box_errors.append(_delta_e(want["box"], got["box"] or (128, 128, 128)))
    return SlideScore(
        lines_total=total,
        lines_exact=exact,
        misses=misses,
        position_errors=positions,
        size_errors=sizes,
        presets=presets,
        fonts=fonts,
        unmatched_elements=unmatched,
        extra_elements=len(result.elements) - len(used),
        seconds=result.seconds,
        fill_errors=fill_errors,
        outline_errors=outline_errors,
        box_errors=box_errors,
    )


def _drawn_colours(spec: TextElementSpec) -> dict[str, tuple[int, int, int] | None]:
    """The colours the renderer draws an element with: fill, outline (``tiktok``), box
    (``inverted``)."""
    style = resolve_style(spec)
    return {
        "fill": style.fill[:3],
        "outline": style.stroke[:3] if style.stroke is not None else None,
        "box": style.line_box[:3] if style.line_box is not None else None,
    }


def _delta_e(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None) -> float:
    """CIEDE2000 between two sRGB colours (the importer's own implementation, checked against
    Sharma's reference pairs in the tests)."""
    if a is None or b is None:
        return float("nan")
    lab = look.srgb_to_lab(np.asarray([a, b], np.float64))
    return float(look.delta_e2000(lab[0], lab[1]))


# --------------------------------------------------------------------------- picture


def draw_sheet(
    slides: list[GeneratedSlide], results: list[ocr.SlideOcr], path: Path, count: int = 6
) -> None:
    """A few slides side by side: true line boxes green, OCR boxes red, imported elements
    (laid out again by the renderer) blue."""
    shown = list(zip(slides, results, strict=True))[:count]
    tile_w = 360
    tiles = []
    for slide, result in shown:
        img = Image.open(io.BytesIO(slide.jpeg)).convert("RGB")
        draw = ImageDraw.Draw(img)
        for element in slide.elements:
            for _, box in element.lines:
                draw.rectangle(box, outline=(0, 220, 0), width=4)
        factor = slide.width / result.width if result.width else 1.0
        for line in result.lines:
            draw.rectangle(
                (line.x0 * factor, line.y0 * factor, line.x1 * factor, line.y1 * factor),
                outline=(230, 30, 30),
                width=3,
            )
        for imported in result.elements:
            laid = layout_text(imported.spec(), slide.width, slide.height)
            for ln in laid.lines:
                b = ln.box
                draw.rectangle((b.x0, b.y0, b.x1, b.y1), outline=(40, 90, 255), width=2)
        scale = tile_w / slide.width
        tiles.append(img.resize((tile_w, round(slide.height * scale)), Image.Resampling.LANCZOS))
    height = max(t.height for t in tiles) + 90
    sheet = Image.new("RGB", (tile_w * len(tiles) + 10 * (len(tiles) + 1), height), "white")
    draw = ImageDraw.Draw(sheet)
    font = font_for_preview("Inter", 18)
    draw.text(
        (10, 12),
        "green: true lines   red: OCR boxes   blue: imported elements re-laid out",
        font=font,
        fill="black",
    )
    for i, tile in enumerate(tiles):
        sheet.paste(tile, (10 + i * (tile_w + 10), 50))
    sheet.save(path)


def _q(values: list[float], q: float) -> float:
    clean = [v for v in values if not np.isnan(v)]
    return float(np.percentile(clean, q)) if clean else float("nan")


def _ratio(value: float, target: float, lower_is_better: bool) -> float:
    """value / target for "at most" targets, target / value for "at least" ones (≤ 1 meets
    the target either way); NaN counts as missed."""
    if np.isnan(value):
        return float("inf")
    if lower_is_better:
        return value / target
    return target / value if value > 0 else float("inf")


def draw_chart(ratios: list[tuple[str, float, float, bool]], path: Path, title: str) -> None:
    """One bar per figure: its ratio to the target (≤ 1 meets it), the 1.0 line drawn."""
    row, left, scale_w = 34, 380, 520
    top = 60
    image = Image.new("RGB", (left + scale_w + 170, top + row * len(ratios) + 40), "white")
    draw = ImageDraw.Draw(image)
    font = font_for_preview("Inter", 16)
    draw.text(
        (10, 14),
        f"OCR figures / target ({title}); bars ≤ 1 meet the target",
        font=font,
        fill="black",
    )
    full = 2.0  # the axis runs 0 … 2× the target
    for i, (name, value, target, lower) in enumerate(ratios):
        y = top + i * row
        ratio = _ratio(value, target, lower)
        shown = min(ratio, full)
        colour = (40, 160, 60) if ratio <= 1 else (220, 60, 50)
        draw.text((10, y + 6), name, font=font, fill="black")
        draw.rectangle((left, y + 6, left + shown / full * scale_w, y + row - 6), fill=colour)
        label = f"{ratio:.2f}" + ("+" if ratio > full else "")
        label += f"  ({value:.3g} vs {'≤' if lower else '≥'}{target:g})"
        draw.text((left + scale_w + 8, y + 6), label, font=font, fill="black")
    x1 = left + scale_w / full
    draw.line((x1, top - 6, x1, top + row * len(ratios)), fill="black", width=2)
    draw.text((x1 - 10, top + row * len(ratios) + 6), "1.0", font=font, fill="black")
    image.save(path)


# --------------------------------------------------------------------------- OCR mode


def run_ocr(args: argparse.Namespace, console: Console) -> int:
    photos = load_photos()
    with console.status(f"drawing {args.slides} slides"):
        slides = generate_slides(args.slides, args.seed, photos)
    engine = ocr.OcrEngine(
        threads=args.threads, width=args.ocr_width, retry_width=args.retry_width or None
    )
    cold = engine.load()
    retried = 0
    results: list[ocr.SlideOcr] = []
    scores: list[SlideScore] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("OCR", total=len(slides))
        for slide in slides:
            result = ocr.ocr_slide(slide.jpeg, engine=engine)
            retried += engine.last_width != engine.width
            results.append(result)
            scores.append(score_slide(slide, result))
            progress.advance(task)

    lines_total = sum(s.lines_total for s in scores)
    lines_exact = sum(s.lines_exact for s in scores)
    positions = [p for s in scores for p in s.position_errors]
    sizes = [e for s in scores for _, e in s.size_errors]
    presets = [p for s in scores for p in s.presets]
    preset_ok = sum(1 for want, got in presets if want == got)
    fonts = [f for s in scores for f in s.fonts]
    font_ok = sum(1 for want, got in fonts if want == got)
    font_confusion: dict[str, dict[str, int]] = {}
    for want, got in fonts:
        font_confusion.setdefault(want, {}).setdefault(got, 0)
        font_confusion[want][got] += 1
    per_font: dict[str, list[float]] = {}
    for s in scores:
        for family, e in s.size_errors:
            per_font.setdefault(family, []).append(e)
    confusion: dict[str, dict[str, int]] = {}
    for want, got in presets:
        confusion.setdefault(want, {}).setdefault(got, 0)
        confusion[want][got] += 1
    exact_rate = lines_exact / lines_total if lines_total else 0.0
    pos_median = statistics.median(positions) if positions else float("nan")
    size_median = statistics.median(sizes) if sizes else float("nan")
    matched = set(ocr.FONT_CANDIDATES)
    known = [e for s in scores for f, e in s.size_errors if f in matched]
    unknown = [e for s in scores for f, e in s.size_errors if f not in matched]
    fills = [e for s in scores for e in s.fill_errors]
    outlines = [e for s in scores for e in s.outline_errors]
    boxes = [e for s in scores for e in s.box_errors]
    preset_rate = preset_ok / len(presets) if presets else 0.0
    # (name, value, target, lower is better): each printed and drawn as value / target
    ratios = [
        ("exact lines", exact_rate, TARGET_EXACT, False),
        ("position error median (% of slide)", pos_median, TARGET_POSITION, True),
        ("size error median, matched fonts", _q(known, 50), TARGET_SIZE, True),
        ("size error p90, matched fonts", _q(known, 90), TARGET_SIZE, True),
        ("size error median, unknown fonts", _q(unknown, 50), TARGET_SIZE_UNKNOWN, True),
        ("size error p90, unknown fonts", _q(unknown, 90), TARGET_SIZE_UNKNOWN, True),
        ("fill colour dE2000 median", _q(fills, 50), TARGET_COLOUR_DE, True),
        ("fill colour dE2000 p90", _q(fills, 90), TARGET_COLOUR_DE, True),
        ("outline colour dE2000 median", _q(outlines, 50), TARGET_COLOUR_DE, True),
        ("outline colour dE2000 p90", _q(outlines, 90), TARGET_COLOUR_DE, True),
        ("box colour dE2000 median", _q(boxes, 50), TARGET_COLOUR_DE, True),
        ("box colour dE2000 p90", _q(boxes, 90), TARGET_COLOUR_DE, True),
        ("preset accuracy", preset_rate, TARGET_PRESET, False),
    ]
    figures: dict[str, Any] = {
        "slides": len(slides),
        "seed": args.seed,
        "onnxruntime_threads": args.threads,
        "ocr_width": engine.width,
        "retry_width": engine.retry_width,
        "slides_detected_again_at_retry_width": retried,
        "lines_total": lines_total,
        "lines_exact": lines_exact,
        "exact_line_rate": round(exact_rate, 4),
        "elements_true": sum(len(s.elements) for s in slides),
        "elements_matched": len(positions),
        "elements_extra": sum(s.extra_elements for s in scores),
        "position_error_median_pct": round(pos_median, 3),
        "position_error_p90_pct": round(float(np.percentile(positions, 90)), 3)
        if positions
        else None,
        "font_size_error_median": round(size_median, 4),
        "font_size_error_p90": round(float(np.percentile(sizes, 90)), 4) if sizes else None,
        "font_size_error_median_by_font": {
            f: round(statistics.median(v), 4) for f, v in sorted(per_font.items())
        },
        "preset_accuracy": round(preset_ok / len(presets), 4) if presets else None,
        "preset_confusion": confusion,
        "font_accuracy": round(font_ok / len(fonts), 4) if fonts else None,
        "font_confusion": font_confusion,
        "seconds_per_slide_median": round(statistics.median(s.seconds for s in scores), 3),
        "cold_model_load_seconds": round(cold, 3),
        "relayout_ok": sum(1 for r in results for e in r.elements if e.relayout_ok),
        "elements_imported": sum(len(r.elements) for r in results),
        "misses": [m for s in scores for m in s.misses],
        "size_error_elements_matched_fonts": len(known),
        "size_error_elements_unknown_fonts": len(unknown),
        "colour_elements": {"fill": len(fills), "outline": len(outlines), "box": len(boxes)},
        "colour_metric": "CIEDE2000",
        "against_target": [
            {
                "figure": name,
                "value": round(value, 4),
                "target": target,
                "lower_is_better": lower,
                "ratio": round(_ratio(value, target, lower), 3),
                "met": _ratio(value, target, lower) <= 1.0,
            }
            for name, value, target, lower in ratios
        ],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ocr.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    draw_sheet(slides, results, args.out / "ocr.png")
    draw_chart(ratios, args.out / "ocr-figures.png", f"{len(slides)} slides, seed {args.seed}")

    table = Table(title=f"OCR of {len(slides)} generated slides (seed {args.seed})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        "exact lines", f"{lines_exact}/{lines_total} = {exact_rate:.1%}", f"≥ {TARGET_EXACT:.0%}"
    )
    table.add_row(
        "median position error", f"{pos_median:.2f} % of slide", f"≤ {TARGET_POSITION:.0f} %"
    )
    table.add_row("median font-size error", f"{size_median:.1%}", f"≤ {TARGET_SIZE:.0%}")
    table.add_row(
        "preset accuracy",
        f"{preset_ok}/{len(presets)} = {preset_ok / max(1, len(presets)):.1%}",
        "",
    )
    table.add_row(
        "font identified", f"{font_ok}/{len(fonts)} = {font_ok / max(1, len(fonts)):.1%}", ""
    )
    table.add_row("elements matched / true", f"{len(positions)}/{figures['elements_true']}", "")
    table.add_row("extra elements", str(figures["elements_extra"]), "")
    table.add_row(
        "re-layout keeps the lines", f"{figures['relayout_ok']}/{figures['elements_imported']}", ""
    )
    table.add_row("seconds per slide (median)", f"{figures['seconds_per_slide_median']:.3f}", "")
    table.add_row(
        "detection width / retried larger",
        f"{engine.width} px / {retried} slides at {engine.retry_width} px",
        "",
    )
    table.add_row("cold model load", f"{cold:.2f} s", "")
    console.print(table)
    against = Table(title="against the targets (ratio ≤ 1 meets the target)")
    for column in ("figure", "value", "target", "ratio"):
        against.add_column(column, justify="left" if column == "figure" else "right")
    for name, value, target, lower in ratios:
        ratio = _ratio(value, target, lower)
        against.add_row(
            name,
            f"{value:.4g}",
            f"{'≤' if lower else '≥'} {target:g}",
            f"[{'green' if ratio <= 1 else 'red'}]{ratio:.2f}[/]",
        )
    console.print(against)
    console.print("size error by font:", figures["font_size_error_median_by_font"])
    console.print("preset confusion (true -> imported):", confusion)
    console.print("font confusion (true -> imported):", font_confusion)
    for want, got in figures["misses"][:20]:
        console.print(f"  miss: {want!r} -> {got!r}")
    console.print(
        f"wrote {args.out / 'ocr.png'}, {args.out / 'ocr-figures.png'} and {args.out / 'ocr.json'}"
    )
    met = all(_ratio(value, target, lower) <= 1 for _n, value, target, lower in ratios)
    return 0 if met or not args.strict else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="copy-a-TikTok benchmark")
    parser.add_argument("-n", "--slides", type=int, default=48, help="generated slides (48)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=ocr.OCR_THREADS, help="onnxruntime threads")
    parser.add_argument("--ocr-width", type=int, default=ocr.OCR_WIDTH, help="detection width (px)")
    parser.add_argument(
        "--retry-width",
        type=int,
        default=ocr.OCR_RETRY_WIDTH,
        help="detection width when small text is found (px; 0: never)",
    )
    parser.add_argument("--out", type=Path, default=Path("out/bench/copy"), help="output folder")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--import", dest="import_mode", action="store_true", help="import timing")
    parser.add_argument("--imports", type=int, default=5, help="timed imports (5)")
    parser.add_argument(
        "--concurrent",
        type=int,
        default=4,
        help="import mode: also time this many previews at once (4; 0: skip)",
    )
    parser.add_argument(
        "--ocr-processes",
        type=int,
        default=None,
        help="import mode: SLIDEFORGE_OCR_PROCESSES of the server (default: the setting's)",
    )
    args = parser.parse_args(argv)
    console = Console()
    if args.import_mode:
        return run_import(args, console)
    return run_ocr(args, console)


# --------------------------------------------------------------------------- import mode


class Poller(threading.Thread):
    """Calls ``GET /accounts`` every ``interval`` seconds and records each latency with its
    start time."""

    def __init__(self, base: str, key: str, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self.failures = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            start = time.perf_counter()
            response = self.client.get("/accounts")
            took = time.perf_counter() - start
            if response.status_code != 200:
                self.failures += 1
            self.samples.append((start, took))
            self.halt.wait(max(0.0, self.interval - took))
        self.client.close()


def _ms(values: list[float], q: float) -> float | None:
    return round(1000 * float(np.percentile(values, q)), 1) if values else None


def concurrent_previews(
    base: str, key: str, url: str, width: int, repeat: int, console: Console
) -> tuple[list[float], list[tuple[float, float]]]:
    """``repeat`` rounds of ``width`` previews of ``url`` sent at once (one client each);
    each preview's wall time, and each round's (start, end)."""
    walls: list[float] = []
    windows: list[tuple[float, float]] = []
    clients = [
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=300)
        for _ in range(width)
    ]
    failures: list[str] = []

    def one(client: httpx.Client) -> None:
        start = time.perf_counter()
        response = client.post("/slideshows/copy-tiktok/preview", json={"url": url})
        walls.append(time.perf_counter() - start)
        if response.status_code != 200:
            failures.append(f"{response.status_code} {response.text[:200]}")

    try:
        for _ in range(repeat):
            threads = [threading.Thread(target=one, args=(c,)) for c in clients]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            windows.append((start, time.perf_counter()))
            time.sleep(0.5)
    finally:
        for client in clients:
            client.close()
    if failures:
        raise SystemExit(f"preview failed: {failures[0]}")
    console.print(
        f"{width} preview(s) at once: walls {', '.join(f'{w:.2f}' for w in sorted(walls))} s"
    )
    return walls, windows


def run_import(args: argparse.Namespace, console: Console) -> int:
    from platform_sandbox.server import free_port, serve_in_thread
    from platform_sandbox.tiktok_web import TikTokWebSandbox
    from platform_sandbox.tiktok_web import create_app as create_tiktok_web
    from slideforge.app import API_PREFIX, create_app
    from slideforge.auth import service as auth
    from slideforge.config import Settings
    from slideforge.migrations import upgrade
    from slideforge.runtime import build_runtime

    photos = load_photos()
    with console.status("drawing 8 slides"):
        slides = generate_slides(8, args.seed, photos)
    sandbox = TikTokWebSandbox()
    site = serve_in_thread(create_tiktok_web(sandbox))
    post = sandbox.add_photo_post([s.jpeg for s in slides], caption="8 slides #bench")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="slideforge-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            public_base_url=f"http://127.0.0.1:{port}",
            ssrf_allow=["127.0.0.1"],
            rate_limit_per_minute=1_000_000,
            rate_limit_burst=1_000_000,
            tiktok_web_base_url=site.base_url,
            tiktok_short_link_base_url=site.base_url,
        )
        if args.ocr_processes is not None:
            settings = settings.model_copy(update={"ocr_processes": args.ocr_processes})
        upgrade(settings.resolved_database_url)
        runtime = build_runtime(settings)
        server = serve_in_thread(create_app(runtime), port=port)
        with runtime.db.session() as session:
            workspace = auth.create_workspace(session, "bench")
            _, key = auth.create_key(session, workspace)
        backgrounds = []
        for i, name in enumerate(sorted(photos)[:3]):
            storage_key = f"bench/background-{i}.jpg"
            runtime.storage.put(storage_key, photos[name]["9:16"], "image/jpeg")
            backgrounds.append(runtime.storage.url(storage_key))
        base = server.base_url + API_PREFIX
        client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        try:
            from slideforge.copy_tiktok import pool as ocr_pool

            began = time.perf_counter()
            worker = ocr_pool.warm(settings)
            cold = time.perf_counter() - began
            threads = worker[2] if worker is not None else ocr.shared_engine().threads
            body = {"url": post.url, "pack_images": backgrounds}
            client.post("/slideshows/copy-tiktok/import", json=body)  # warm-up
            poller = Poller(base, key)
            poller.start()
            time.sleep(0.5)
            walls: list[float] = []
            windows: list[tuple[float, float]] = []
            load_before = os.getloadavg()[0]
            cpu_before = os.times()
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("8-slide imports", total=args.imports)
                for _ in range(args.imports):
                    start = time.perf_counter()
                    response = client.post("/slideshows/copy-tiktok/import", json=body)
                    end = time.perf_counter()
                    if response.status_code != 201:
                        console.print(f"import failed: {response.status_code} {response.text}")
                        return 1
                    walls.append(end - start)
                    windows.append((start, end))
                    progress.advance(task)
                    time.sleep(0.3)
            cpu_after = os.times()
            load_after = os.getloadavg()[0]
            start = time.perf_counter()
            preview = client.post("/slideshows/copy-tiktok/preview", json={"url": post.url})
            preview_wall = time.perf_counter() - start
            start = time.perf_counter()
            cached = client.post(
                "/slideshows/copy-tiktok/import",
                json={**body, "preview_id": preview.json()["data"]["preview_id"]},
            )
            cached_wall = time.perf_counter() - start
            assert cached.json()["data"]["used_cached_preview"] is True
            rounds = {1: max(1, args.imports)}
            if args.concurrent > 1:
                rounds[args.concurrent] = 2
            previews: dict[int, tuple[list[float], list[tuple[float, float]]]] = {}
            for width, repeat in rounds.items():
                time.sleep(0.5)
                previews[width] = concurrent_previews(base, key, post.url, width, repeat, console)
            poller.halt.set()
            poller.join()
        finally:
            client.close()
            server.stop()
            site.stop()
            runtime.db.dispose()
    in_any = [w for _walls, ws in previews.values() for w in ws] + windows
    during = [took for at, took in poller.samples if any(a <= at <= b for a, b in windows)]
    idle = [took for at, took in poller.samples if not any(a <= at <= b for a, b in in_any)]
    preview_figures = {}
    for width, (pwalls, pwindows) in previews.items():
        inside = [t for at, t in poller.samples if any(a <= at <= b for a, b in pwindows)]
        preview_figures[str(width)] = {
            "previews": len(pwalls),
            "preview_wall_median_seconds": round(statistics.median(pwalls), 3),
            "preview_wall_max_seconds": round(max(pwalls), 3),
            "accounts_samples": len(inside),
            "accounts_p50_ms": _ms(inside, 50),
            "accounts_p99_ms": _ms(inside, 99),
            "accounts_max_ms": round(1000 * max(inside), 1) if inside else None,
        }
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / len(walls)
    figures = {
        "imports": args.imports,
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
        "process_cpu_seconds_per_import": round(cpu, 3),
        "slides": 8,
        "ocr_processes": settings.ocr_processes,
        "onnxruntime_threads": threads,
        "cold_model_load_seconds": round(cold, 3),
        "previews_at_once": preview_figures,
        "import_wall_seconds": [round(w, 3) for w in walls],
        "import_wall_median_seconds": round(statistics.median(walls), 3),
        "import_wall_max_seconds": round(max(walls), 3),
        "preview_wall_seconds": round(preview_wall, 3),
        "cached_import_wall_seconds": round(cached_wall, 3),
        "accounts_during_imports": len(during),
        "accounts_during_median_ms": round(1000 * statistics.median(during), 1) if during else None,
        "accounts_during_p95_ms": round(1000 * float(np.percentile(during, 95)), 1)
        if during
        else None,
        "accounts_during_max_ms": round(1000 * max(during), 1) if during else None,
        "accounts_idle_median_ms": round(1000 * statistics.median(idle), 1) if idle else None,
        "accounts_failures": poller.failures,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "import.json").write_text(json.dumps(figures, indent=2))
    table = Table(title="8-slide import against the TikTok web sandbox (model loaded)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        f"cold model load (OCR processes {settings.ocr_processes}, {threads} threads each)",
        f"{cold:.2f} s",
        "",
    )
    table.add_row(
        "import wall, median / max",
        f"{figures['import_wall_median_seconds']:.2f} / {figures['import_wall_max_seconds']:.2f} s",
        "≤ 4 s",
    )
    table.add_row("CPU of this process per import (server + clients)", f"{cpu:.2f} s", "")
    table.add_row(
        "machine load average before / after",
        f"{load_before:.2f} / {load_after:.2f} (2 cores)",
        "",
    )
    table.add_row("preview wall", f"{preview_wall:.2f} s", "")
    table.add_row("import with the cached preview", f"{cached_wall:.2f} s", "")
    table.add_row(
        "GET /accounts during imports: n, median / p95 / max",
        f"{len(during)}, {figures['accounts_during_median_ms']} / "
        f"{figures['accounts_during_p95_ms']} / {figures['accounts_during_max_ms']} ms",
        "< 100 ms",
    )
    table.add_row(
        "GET /accounts between imports, median", f"{figures['accounts_idle_median_ms']} ms", ""
    )
    for width, f in preview_figures.items():
        table.add_row(
            f"{width} preview(s) at once ×{f['previews'] // int(width)}: wall median / max",
            f"{f['preview_wall_median_seconds']:.2f} / {f['preview_wall_max_seconds']:.2f} s",
            "≤ 1.5 s (one)" if width == "1" else "",
        )
        table.add_row(
            "  GET /accounts meanwhile: n, p50 / p99 / max",
            f"{f['accounts_samples']}, {f['accounts_p50_ms']} / {f['accounts_p99_ms']} / "
            f"{f['accounts_max_ms']} ms",
            "p99 < 100 ms",
        )
    console.print(table)
    console.print(f"wrote {args.out / 'import.json'}")
    met = max(walls) <= 4.0 and (not during or max(during) < 0.1)
    return 0 if met or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
