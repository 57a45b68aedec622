"""Text: runs with per-character font fallback and colour emoji, word wrap, shrink-to-fit,
the six style presets, and drawing.

Layout conventions (shared with the OCR importer through :func:`layout_text`):

- ``x``/``y`` (percent of canvas width/height) is the centre of the text block; ``width``
  (percent of canvas width) is the box the lines wrap in; every line is centred on ``x``.
- Font size is in pixels at a 1080 px wide canvas and scales with the canvas width.
- Each line occupies a slot of ``LINE_HEIGHT`` × size; the block is ``lines × slot`` tall.
  The baseline sits so that capital letters are centred in the slot.
- The wrap width is the box width less what the preset draws around the glyphs (twice the
  outline of ``tiktok``, twice the side padding of boxed styles).
- Text that cannot fit (a word wider than the wrap width, or a block taller than the canvas)
  shrinks to the largest size that fits, down to ``MIN_FONT_SIZE``; below that, words break
  between characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import emoji as emoji_lib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from slideforge.render import fonts
from slideforge.render.colors import RGBA, luminance_array, parse_color, relative_luminance
from slideforge.render.fonts import FontSource
from slideforge.render.spec import (
    REFERENCE_WIDTH,
    STYLE_PRESETS,
    Box,
    LineLayout,
    RenderWarning,
    TextElementSpec,
    TextFit,
    TextLayout,
)

LINE_HEIGHT = 1.25
#: colour emoji are scaled to this share of the line slot
EMOJI_HEIGHT = 0.9
MIN_FONT_SIZE = 8
#: ``tiktok``: outline width = size / 11
STROKE_DIVISOR = 11.0
#: side padding of the boxes of ``inverted`` and of an explicit background colour, × size
BOX_PAD_X = 0.32
#: vertical padding of the ``snapchat`` bar and of an explicit background box, × size
BOX_PAD_Y = 0.18
#: default corner radius of boxes, × size
BOX_RADIUS = 0.28
SHADOW_OFFSET = 0.05
SHADOW_BLUR = 0.08
SHADOW_ALPHA = 0.75
SNAPCHAT_BAR: RGBA = (0, 0, 0, 150)
#: box corners are drawn this many times larger, then reduced (anti-aliased corners)
SUPERSAMPLE = 4

WHITE: RGBA = (255, 255, 255, 255)
BLACK: RGBA = (0, 0, 0, 255)

_CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x3100, 0x312F),
    (0x31A0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3134F),
)
_JOINERS = {0x200C, 0x200D, 0x2060, 0xFEFF}
#: spaces that must not become line breaks
_NO_BREAK_SPACES = "\u00a0\u2007\u202f"


def _is_cjk(cp: int) -> bool:
    return cp >= 0x2E80 and any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_rtl_char(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def _is_ltr_char(ch: str) -> bool:
    return unicodedata.bidirectional(ch) == "L"


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True, slots=True)
class Style:
    preset: str
    fill: RGBA
    stroke: RGBA | None = None
    line_box: RGBA | None = None
    block_box: RGBA | None = None
    bar: RGBA | None = None
    shadow: bool = False
    radius_ratio: float | None = None


_CLEAR: RGBA = (0, 0, 0, 0)
#: preset → default text colour, default background colour, and what the background colours:
#: a box behind each line, one box behind the whole block (none when transparent), or a
#: full-width bar
_PRESET_COLOURS: dict[str, tuple[RGBA, RGBA, Literal["line_box", "block_box", "bar"]]] = {
    "tiktok": (WHITE, _CLEAR, "block_box"),
    "inverted": (BLACK, WHITE, "line_box"),
    "shadow": (WHITE, _CLEAR, "block_box"),
    "white": (WHITE, _CLEAR, "block_box"),
    "black": (BLACK, _CLEAR, "block_box"),
    "snapchat": (WHITE, SNAPCHAT_BAR, "bar"),
}


def preset_colours(preset: str) -> tuple[RGBA, RGBA]:
    """The default text colour and background colour of ``preset`` (``tiktok`` if unknown)."""
    text, background, _as = _PRESET_COLOURS.get(preset, _PRESET_COLOURS["tiktok"])
    return text, background


def resolve_style(
    element: TextElementSpec, warn: Callable[[str, str], None] | None = None
) -> Style:
    """The colours and decorations of an element's preset, with its colour overrides."""

    def colour(value: str | None, default: RGBA, what: str) -> RGBA:
        if value is None or not value.strip():
            return default
        try:
            return parse_color(value)
        except ValueError:
            if warn is not None:
                warn("bad_color", f"{what} {value!r} is not a colour; used the preset's")
            return default

    preset = (element.style_preset or "tiktok").strip().casefold()
    if preset not in STYLE_PRESETS:
        if warn is not None:
            warn("unknown_preset", f"style preset {element.style_preset!r} unknown; used tiktok")
        preset = "tiktok"
    radius = None
    if element.border_radius is not None and element.border_radius >= 0:
        radius = float(element.border_radius)
    text_default, background_default, background_as = _PRESET_COLOURS[preset]
    fill = colour(element.text_color, text_default, "text_color")
    background = colour(element.background_color, background_default, "background_color")
    stroke = None
    if preset == "tiktok":  # an outline that contrasts with the text, unless one is given
        automatic = WHITE if relative_luminance(fill[:3]) < 0.2 else BLACK
        stroke = colour(element.outline_color, automatic, "outline_color")
    return Style(
        preset,
        fill,
        stroke=stroke,
        line_box=background if background_as == "line_box" else None,
        block_box=background if background_as == "block_box" and background[3] else None,
        bar=background if background_as == "bar" else None,
        shadow=preset == "shadow",
        radius_ratio=radius,
    )


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of a line drawn with one font (``source``) or one colour emoji (``None``)."""

    text: str
    source: FontSource | None
    rtl: bool
    strong: str  # "L", "R" or "" (neutral)


@dataclass(slots=True)
class _Itemizer:
    chain: tuple[FontSource, ...]
    emoji_ok: bool
    missing: set[int] = field(default_factory=set)
    dropped_emoji: int = 0

    def _emoji_spans(self, text: str) -> list[tuple[int, int]]:
        spans = []
        primary = [s for s in self.chain if not s.system][:1]
        for match in emoji_lib.emoji_list(text):
            start, end = int(match["match_start"]), int(match["match_end"])
            chunk = text[start:end]
            core = chunk.replace("\ufe0e", "").replace("\ufe0f", "")
            # single symbols with a text presentation (©, ®, ™, ↔ …) stay text when the
            # family draws them and no emoji presentation was asked for
            if (
                len(core) == 1
                and ord(core) < 0x1F000
                and "\ufe0f" not in chunk
                and primary
                and primary[0].covers(ord(core))
            ):
                continue
            spans.append((start, end))
        return spans

    def _source_for(self, cp: int) -> FontSource:
        for source in self.chain:
            if source.covers(cp):
                return source
        self.missing.add(cp)
        return self.chain[0]

    def itemize(self, text: str) -> list[Run]:
        runs: list[Run] = []
        # every emoji (and keycap sequence) has a code point from U+00A9 up
        emoji_spans = self._emoji_spans(text) if text and max(text) >= "\u00a9" else []
        pieces: list[tuple[str, bool]] = []
        pos = 0
        for start, end in emoji_spans:
            if start > pos:
                pieces.append((text[pos:start], False))
            pieces.append((text[start:end], True))
            pos = end
        if pos < len(text):
            pieces.append((text[pos:], False))

        for piece, is_emoji in pieces:
            if is_emoji:
                if self.emoji_ok:
                    runs.append(Run(piece, None, False, ""))
                else:
                    self.dropped_emoji += 1
                continue
            current: FontSource | None = None
            buf: list[str] = []
            for ch in piece:
                cp = ord(ch)
                cat = unicodedata.category(ch)
                if current is not None and (
                    cat.startswith("M") or cp in _JOINERS or 0xFE00 <= cp <= 0xFE0F
                ):
                    buf.append(ch)
                    continue
                if (
                    current is not None
                    and not cat.startswith("L")
                    and not _is_cjk(cp)
                    and current.covers(cp)
                ):
                    buf.append(ch)
                    continue
                source = self._source_for(cp)
                if source is current:
                    buf.append(ch)
                    continue
                if buf and current is not None:
                    runs.append(_make_run("".join(buf), current))
                current, buf = source, [ch]
            if buf and current is not None:
                runs.append(_make_run("".join(buf), current))
        return runs


def _make_run(text: str, source: FontSource | None) -> Run:
    strong = ""
    for ch in text:
        if _is_rtl_char(ch):
            strong = "R"
            break
        if _is_ltr_char(ch):
            strong = "L"
            break
    rtl = any(_is_rtl_char(ch) for ch in text)
    return Run(text, source, rtl, strong)


def base_is_rtl(text: str) -> bool:
    """Paragraph direction from the first strong character (Unicode rule P2)."""
    for ch in text:
        if _is_rtl_char(ch):
            return True
        if _is_ltr_char(ch):
            return False
    return False


def visual_order(runs: list[Run], rtl_base: bool) -> list[Run]:
    """Order runs left to right: embedding levels per run (neutrals take the direction of
    equal neighbours, else the base), then the reversal rule L2 of the bidi algorithm."""
    if not runs:
        return []
    base = 1 if rtl_base else 0
    strong_levels: list[int | None] = []
    for run in runs:
        if run.strong == "R":
            strong_levels.append(1)
        elif run.strong == "L":
            strong_levels.append(2 if base == 1 else 0)
        else:
            strong_levels.append(None)
    levels: list[int] = []
    for i, lvl in enumerate(strong_levels):
        if lvl is not None:
            levels.append(lvl)
            continue
        prev = next((x for x in reversed(strong_levels[:i]) if x is not None), None)
        nxt = next((x for x in strong_levels[i + 1 :] if x is not None), None)
        levels.append(prev if prev is not None and prev == nxt else base)
    order = list(range(len(runs)))
    for level in range(max(levels), 0, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return [runs[k] for k in order]


# --------------------------------------------------------------------------- emoji


@lru_cache(maxsize=512)
def _emoji_bitmap(cluster: str) -> Image.Image | None:
    font = fonts.emoji_font()
    if font is None:
        return None
    left, top, right, bottom = font.getbbox(cluster)
    width, height = max(1, int(right - left)), max(1, int(bottom - top))
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((-left, -top), cluster, font=font, embedded_color=True)
    return img


@lru_cache(maxsize=1024)
def emoji_image(cluster: str, height: int) -> Image.Image | None:
    """The colour emoji for ``cluster`` scaled to ``height`` px (cached per emoji and size)."""
    bitmap = _emoji_bitmap(cluster)
    if bitmap is None:
        return None
    scale = height / _emoji_em_height()
    width = max(1, round(bitmap.width * scale))
    h = max(1, round(bitmap.height * scale))
    return bitmap.resize((width, h), Image.Resampling.LANCZOS)


@lru_cache(maxsize=1)
def _emoji_em_height() -> float:
    font = fonts.emoji_font()
    if font is None:
        return 1.0
    ascent, descent = font.getmetrics()
    return float(ascent + descent)


def emoji_advance(cluster: str, height: int) -> float:
    font = fonts.emoji_font()
    if font is None:
        return 0.0
    return float(font.getlength(cluster)) * height / _emoji_em_height()


# --------------------------------------------------------------------------- measuring


def _run_length(run: Run, size: int, emoji_h: int) -> float:
    if run.source is None:
        return emoji_advance(run.text, emoji_h)
    font = fonts.get_font(run.source, size)
    if run.rtl and fonts.raqm_available():
        return float(font.getlength(run.text, direction="rtl"))
    return float(font.getlength(run.text))


@dataclass(slots=True)
class _Measurer:
    itemizer: _Itemizer
    size: int
    emoji_h: int
    cache: dict[str, float] = field(default_factory=dict)

    def width(self, text: str) -> float:
        hit = self.cache.get(text)
        if hit is not None:
            return hit
        total = sum(_run_length(r, self.size, self.emoji_h) for r in self.itemizer.itemize(text))
        self.cache[text] = total
        return total


def _tokens(paragraph: str) -> list[tuple[str, str]]:
    """(separator before, token): words split at spaces; CJK characters are tokens of their
    own (a line may break between any two of them)."""
    out: list[tuple[str, str]] = []
    sep = ""
    word: list[str] = []

    def flush() -> None:
        nonlocal sep
        if word:
            out.append((sep, "".join(word)))
            word.clear()
            sep = ""

    for ch in paragraph:
        if ch.isspace() and ch not in _NO_BREAK_SPACES:
            flush()
            if out:
                sep = " "
            continue
        if _is_cjk(ord(ch)) and unicodedata.category(ch).startswith("L"):
            flush()
            out.append((sep, ch))
            sep = ""
            continue
        if (
            not word
            and out
            and sep == ""
            and _is_cjk(ord(out[-1][1][-1]))
            and unicodedata.category(ch) in ("Po", "Pe", "Pf")
        ):
            # closing punctuation right after a CJK character stays with it
            prev_sep, prev = out.pop()
            out.append((prev_sep, prev + ch))
            continue
        word.append(ch)
    flush()
    return out


def _split_chars(token: str, fits: Callable[[str], bool]) -> list[str]:
    """Break one token between characters (keeping marks with their base)."""
    clusters: list[str] = []
    for ch in token:
        if clusters and (unicodedata.category(ch).startswith("M") or ord(ch) in _JOINERS):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    parts: list[str] = []
    cur = ""
    for cl in clusters:
        if cur and not fits(cur + cl):
            parts.append(cur)
            cur = cl
        else:
            cur += cl
    if cur:
        parts.append(cur)
    return parts


#: a candidate line whose estimated width (sum of its words and spaces) is this far from the
#: limit is decided on the estimate; closer calls are measured exactly (shaped as one line)
_ESTIMATE_MARGIN = 0.03


def _wrap(
    paragraphs: list[str], avail: float, measure: _Measurer, break_words: bool
) -> tuple[list[str], float]:
    """Greedy wrap; returns the lines and the widest single token."""
    lines: list[str] = []
    widest = 0.0
    space = measure.width(" ")
    for para in paragraphs:
        tokens = _tokens(para)
        if not tokens:
            lines.append("")
            continue
        line, line_w = "", 0.0
        for sep, tok in tokens:
            tok_w = measure.width(tok)
            widest = max(widest, tok_w)
            pieces = [(tok, tok_w)]
            if tok_w > avail and break_words:
                parts = _split_chars(tok, lambda s: measure.width(s) <= avail)
                pieces = [(part, measure.width(part)) for part in parts]
            for k, (piece, piece_w) in enumerate(pieces):
                joiner = sep if k == 0 else ""
                if not line:
                    line, line_w = piece, piece_w
                    continue
                candidate = line + joiner + piece
                estimate = line_w + (space if joiner else 0.0) + piece_w
                if estimate <= avail * (1 - _ESTIMATE_MARGIN):
                    line, line_w = candidate, estimate
                    continue
                exact = (
                    measure.width(candidate)
                    if estimate <= avail * (1 + _ESTIMATE_MARGIN)
                    else estimate
                )
                if exact <= avail:
                    line, line_w = candidate, exact
                else:
                    lines.append(line)
                    line, line_w = piece, piece_w
        lines.append(line)
    return lines, widest


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True, slots=True)
class PlacedRun:
    run: Run
    x: float
    width: float


@dataclass(frozen=True, slots=True)
class LaidLine:
    layout: LineLayout
    runs: tuple[PlacedRun, ...]


@dataclass(frozen=True, slots=True)
class LaidText:
    """Everything needed to draw an element; ``public`` is what :func:`layout_text` returns."""

    public: TextLayout
    fit: TextFit
    style: Style
    lines: tuple[LaidLine, ...]
    size: int
    cap_height: float
    emoji_height: int
    pad_x: float
    pad_y: float
    radius: float
    shadow_offset: float
    shadow_blur: float
    draw_box: Box
    warnings: tuple[RenderWarning, ...]


def _scale(canvas_w: int) -> float:
    return canvas_w / REFERENCE_WIDTH


def _insets(style: Style, size: int) -> tuple[float, float, float]:
    """(horizontal inset on each side taken from the wrap width, pad x, pad y)."""
    stroke = max(1.0, size / STROKE_DIVISOR) if style.stroke is not None else 0.0
    pad_x = BOX_PAD_X * size if (style.line_box or style.block_box) else 0.0
    pad_y = BOX_PAD_Y * size if (style.bar or style.block_box) else 0.0
    return stroke + pad_x, pad_x, pad_y


def _cap_height(chain: tuple[FontSource, ...], size: int) -> float:
    font = fonts.get_font(chain[0], size)
    top = font.getbbox("H", anchor="ls")[1]
    return float(-top) if top < 0 else 0.7 * size


def layout_element(
    element: TextElementSpec, canvas_w: int, canvas_h: int, index: int = 0
) -> LaidText:
    """Lay out one element exactly as the renderer draws it."""
    warnings: list[RenderWarning] = []

    def warn(code: str, message: str) -> None:
        warnings.append(RenderWarning(code, message, element.id, index))

    style = resolve_style(element, warn)
    family, known = fonts.resolve_family(element.font_family)
    if not known:
        warn("unknown_font", f"font family {element.font_family!r} unknown; used {family}")
    chain = fonts.chain_for(family)
    emoji_ok = fonts.emoji_font() is not None
    itemizer = _Itemizer(chain, emoji_ok)

    scale = _scale(canvas_w)
    requested = float(element.font_size) if element.font_size > 0 else 48.0
    req_px = max(1, round(requested * scale))
    min_px = max(1, min(req_px, round(MIN_FONT_SIZE * scale)))
    box_w = max(1.0, element.width / 100.0 * canvas_w)
    content = element.content.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = content.split("\n")
    while paragraphs and not paragraphs[-1].strip():
        paragraphs.pop()
    while paragraphs and not paragraphs[0].strip():
        paragraphs.pop(0)

    def attempt(size: int, break_words: bool) -> tuple[bool, str | None, list[str]]:
        lh = LINE_HEIGHT * size
        inset, _pad_x, pad_y = _insets(style, size)
        avail = max(1.0, box_w - 2 * inset)
        measure = _Measurer(itemizer, size, max(1, round(EMOJI_HEIGHT * lh)))
        lines, widest = _wrap(paragraphs, avail, measure, break_words)
        if widest > avail and not break_words:
            return False, "a word is wider than the text box", lines
        if len(lines) * lh + 2 * pad_y > canvas_h:
            return False, "the text is taller than the slide", lines
        return True, None, lines

    size = req_px
    ok, reason, lines = attempt(size, False)
    first_reason = reason
    if not ok and paragraphs:
        lo, hi = min_px, req_px - 1
        best: tuple[int, list[str]] | None = None
        while lo <= hi:
            mid = (lo + hi) // 2
            ok_mid, _r, lines_mid = attempt(mid, False)
            if ok_mid:
                best = (mid, lines_mid)
                lo = mid + 1
            else:
                hi = mid - 1
        if best is not None:
            size, lines = best
        else:
            size = min_px
            _ok, _r, lines = attempt(size, True)
            warn(
                "text_does_not_fit",
                f"text does not fit even at {size} px ({first_reason}); words were broken",
            )
    shrunk = size != req_px

    if itemizer.missing:
        cps = sorted(itemizer.missing)
        names = ", ".join(f"U+{cp:04X}" for cp in cps[:8])
        hint = ""
        if any(_is_cjk(cp) for cp in cps) and fonts.cjk_source() is None:
            hint = " (no CJK font installed: install fonts-noto-cjk)"
        warn("missing_glyph", f"no font has {names}{hint}; drawn as placeholder boxes")
    if itemizer.dropped_emoji:
        warn(
            "emoji_font_missing",
            f"{itemizer.dropped_emoji} emoji removed: Noto Color Emoji is not installed "
            "(fonts-noto-color-emoji)",
        )
    if not fonts.raqm_available() and any(
        _is_rtl_char(ch) or 0x0900 <= ord(ch) <= 0x0DFF for ch in content
    ):
        warn(
            "complex_script_unshaped",
            "Pillow has no raqm/FriBiDi here: right-to-left and Indic text is not shaped",
        )

    lh = LINE_HEIGHT * size
    inset, pad_x, pad_y = _insets(style, size)
    stroke = inset - pad_x
    emoji_h = max(1, round(EMOJI_HEIGHT * lh))
    cap = _cap_height(chain, size)
    cx = element.x / 100.0 * canvas_w
    cy = element.y / 100.0 * canvas_h
    top = cy - len(lines) * lh / 2
    laid_lines: list[LaidLine] = []
    for i, text in enumerate(lines):
        runs = itemizer.itemize(text)
        ordered = visual_order(runs, base_is_rtl(text))
        widths = [_run_length(r, size, emoji_h) for r in ordered]
        advance = sum(widths)
        x = cx - advance / 2
        placed = []
        for run, w in zip(ordered, widths, strict=True):
            placed.append(PlacedRun(run, x, w))
            x += w
        slot_top = top + i * lh
        baseline = slot_top + (lh + cap) / 2
        line_box = Box(cx - advance / 2, slot_top, cx + advance / 2, slot_top + lh)
        laid_lines.append(LaidLine(LineLayout(text, line_box, baseline, advance), tuple(placed)))

    if laid_lines:
        block = Box(
            min(ln.layout.box.x0 for ln in laid_lines),
            top,
            max(ln.layout.box.x1 for ln in laid_lines),
            top + len(lines) * lh,
        )
    else:
        block = Box(cx, cy, cx, cy)
    radius = style.radius_ratio * scale if style.radius_ratio is not None else BOX_RADIUS * size
    shadow_offset = SHADOW_OFFSET * size
    shadow_blur = SHADOW_BLUR * size
    if style.bar is not None:
        ink = Box(0, block.y0 - pad_y, canvas_w, block.y1 + pad_y)
    elif style.line_box is not None:
        ink = Box(block.x0 - pad_x, block.y0, block.x1 + pad_x, block.y1)
    elif style.block_box is not None:
        ink = Box(
            block.x0 - pad_x - stroke, block.y0 - pad_y, block.x1 + pad_x + stroke, block.y1 + pad_y
        )
    elif style.shadow:
        spread = shadow_offset + 2.5 * shadow_blur
        ink = Box(block.x0, block.y0, block.x1 + spread, block.y1 + spread)
    else:
        ink = Box(block.x0 - stroke, block.y0 - stroke, block.x1 + stroke, block.y1 + stroke)
    margin = 0.4 * size + stroke + (shadow_offset + 3 * shadow_blur if style.shadow else 0)
    draw_box = Box(
        max(0.0, min(ink.x0, block.x0 - margin)),
        max(0.0, min(ink.y0, block.y0 - margin)),
        min(float(canvas_w), max(ink.x1, block.x1 + margin)),
        min(float(canvas_h), max(ink.y1, block.y1 + margin)),
    )
    public = TextLayout(
        element_id=element.id,
        font_family=family,
        font_size_requested=requested,
        font_size=size,
        shrunk=shrunk,
        line_height=lh,
        stroke_width=stroke,
        lines=tuple(ln.layout for ln in laid_lines),
        box=block,
        ink_box=ink,
    )
    fit = TextFit(
        element_id=element.id,
        index=index,
        requested_size=requested,
        used_size=size,
        shrunk=shrunk,
        lines=tuple(lines),
        reason=first_reason if shrunk else None,
    )
    return LaidText(
        public=public,
        fit=fit,
        style=style,
        lines=tuple(laid_lines),
        size=size,
        cap_height=cap,
        emoji_height=emoji_h,
        pad_x=pad_x,
        pad_y=pad_y,
        radius=radius,
        shadow_offset=shadow_offset,
        shadow_blur=shadow_blur,
        draw_box=draw_box,
        warnings=tuple(warnings),
    )


def layout_text(element: TextElementSpec, canvas_w: int, canvas_h: int) -> TextLayout:
    """The wrapped lines of ``element`` and their boxes on a ``canvas_w`` × ``canvas_h``
    slide, computed exactly as :func:`slideforge.render.render_slide` draws them."""
    return layout_element(element, canvas_w, canvas_h).public


def measure_text(text: str, font_family: str, font_size: float) -> float:
    """Advance width in px of ``text`` set in ``font_family`` at ``font_size`` px (with the
    renderer's font fallback and emoji sizing; no outline). Lines split at newlines; the
    widest counts."""
    family, _known = fonts.resolve_family(font_family)
    chain = fonts.chain_for(family)
    size = max(1, round(font_size))
    itemizer = _Itemizer(chain, fonts.emoji_font() is not None)
    measure = _Measurer(itemizer, size, max(1, round(EMOJI_HEIGHT * LINE_HEIGHT * size)))
    return max((measure.width(line) for line in text.split("\n")), default=0.0)


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True, slots=True)
class DrawnText:
    """What drawing an element measured: the background luminance under its glyphs."""

    layout: LaidText
    glyph_pixels: int
    background_luminance: float | None
    low_contrast_share: float | None
    effective_background: tuple[int, int, int] | None


def _region(box: Box) -> tuple[int, int, int, int]:
    return (
        int(np.floor(box.x0)),
        int(np.floor(box.y0)),
        int(np.ceil(box.x1)),
        int(np.ceil(box.y1)),
    )


def _draw_runs(
    mask: Image.Image,
    laid: LaidText,
    origin: tuple[int, int],
    *,
    stroke: float = 0.0,
    offset: float = 0.0,
) -> None:
    draw = ImageDraw.Draw(mask)
    raqm = fonts.raqm_available()
    ox, oy = origin
    for line in laid.lines:
        for placed in line.runs:
            run = placed.run
            if run.source is None:
                continue
            font = fonts.get_font(run.source, laid.size)
            kwargs: dict[str, object] = {}
            if run.rtl and raqm:
                kwargs["direction"] = "rtl"
            draw.text(
                (placed.x - ox + offset, line.layout.baseline - oy + offset),
                run.text,
                font=font,
                fill=255,
                anchor="ls",
                stroke_width=stroke,
                stroke_fill=255,
                **kwargs,  # type: ignore[arg-type]
            )


def _rounded_mask(
    size: tuple[int, int], boxes: Iterable[Box], origin: tuple[int, int], radius: float
) -> Image.Image:
    """Anti-aliased union of rounded rectangles, drawn large and reduced."""
    k = SUPERSAMPLE
    big = Image.new("L", (size[0] * k, size[1] * k), 0)
    draw = ImageDraw.Draw(big)
    ox, oy = origin
    for box in boxes:
        x0, y0 = (box.x0 - ox) * k, (box.y0 - oy) * k
        x1, y1 = (box.x1 - ox) * k - 1, (box.y1 - oy) * k - 1
        if x1 <= x0 or y1 <= y0:
            continue
        r = min(radius * k, (x1 - x0) / 2, (y1 - y0) / 2)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=max(0.0, r), fill=255)
    return big.reduce(k)


def _paste(
    canvas: Image.Image, colour: RGBA, region: tuple[int, int, int, int], mask: Image.Image
) -> None:
    if colour[3] == 0:
        return
    bbox = mask.getbbox()
    if bbox is None:
        return
    if bbox != (0, 0, mask.width, mask.height):
        mask = mask.crop(bbox)
        region = (
            region[0] + bbox[0],
            region[1] + bbox[1],
            region[0] + bbox[2],
            region[1] + bbox[3],
        )
    if colour[3] < 255:
        alpha = colour[3]
        mask = mask.point(lambda v: v * alpha // 255)
    canvas.paste(colour[:3], region, mask)


def _soft(mask: Image.Image, sigma: float) -> Image.Image:
    """Gaussian blur of a mask; wide blurs run at half size (4× fewer pixels, same look)."""
    if sigma < 3 or min(mask.size) < 8:
        return mask.filter(ImageFilter.GaussianBlur(sigma))
    half = mask.reduce(2).filter(ImageFilter.GaussianBlur(sigma / 2))
    return half.resize(mask.size, Image.Resampling.BILINEAR)


def draw_text(canvas: Image.Image, laid: LaidText) -> DrawnText:
    """Draw an element onto ``canvas`` (RGB) and measure the background under its glyphs."""
    if not laid.lines:
        return DrawnText(laid, 0, None, None, None)
    region = _region(laid.draw_box)
    rw, rh = region[2] - region[0], region[3] - region[1]
    if rw <= 0 or rh <= 0:
        return DrawnText(laid, 0, None, None, None)
    origin = (region[0], region[1])
    style = laid.style
    before = np.asarray(canvas.crop(region))

    fill_mask = Image.new("L", (rw, rh), 0)
    _draw_runs(fill_mask, laid, origin)

    if style.bar is not None:
        bar = Box(0, laid.public.box.y0 - laid.pad_y, canvas.width, laid.public.box.y1 + laid.pad_y)
        radius = laid.radius if style.radius_ratio is not None else 0.0
        _paste(canvas, style.bar, region, _rounded_mask((rw, rh), [bar], origin, radius))
    if style.block_box is not None:
        b = laid.public.ink_box
        _paste(canvas, style.block_box, region, _rounded_mask((rw, rh), [b], origin, laid.radius))
    if style.line_box is not None:
        boxes = [
            Box(
                ln.layout.box.x0 - laid.pad_x,
                ln.layout.box.y0,
                ln.layout.box.x1 + laid.pad_x,
                ln.layout.box.y1,
            )
            for ln in laid.lines
            if ln.layout.text.strip()
        ]
        _paste(canvas, style.line_box, region, _rounded_mask((rw, rh), boxes, origin, laid.radius))
    if style.shadow:
        shadow = Image.new("L", (rw, rh), 0)
        _draw_runs(shadow, laid, origin, offset=laid.shadow_offset)
        shadow = _soft(shadow, laid.shadow_blur)
        _paste(canvas, (0, 0, 0, round(255 * SHADOW_ALPHA)), region, shadow)
    if style.stroke is not None:
        stroke_mask = Image.new("L", (rw, rh), 0)
        _draw_runs(stroke_mask, laid, origin, stroke=laid.public.stroke_width)
        _paste(canvas, style.stroke, region, stroke_mask)
    _paste(canvas, style.fill, region, fill_mask)
    for line in laid.lines:
        centre = line.layout.baseline - laid.cap_height / 2
        for placed in line.runs:
            if placed.run.source is not None:
                continue
            img = emoji_image(placed.run.text, laid.emoji_height)
            if img is None:
                continue
            x = round(placed.x + (placed.width - img.width) / 2)
            y = round(centre - img.height / 2)
            canvas.paste(img, (x, y), img)

    # every other pixel in both directions: a quarter of the work, the same medians
    glyph = np.asarray(fill_mask)[::2, ::2] > 127
    count = int(glyph.sum())
    if count == 0:
        return DrawnText(laid, 0, None, None, None)
    under = before[::2, ::2][glyph]
    lum = luminance_array(under)
    median = float(np.median(lum))
    fill_l = relative_luminance(style.fill[:3])
    ratios = (np.maximum(lum, fill_l) + 0.05) / (np.minimum(lum, fill_l) + 0.05)
    low_share = float((ratios < 3.0).mean())
    eff = tuple(int(v) for v in np.median(under, axis=0))
    return DrawnText(laid, count, median, low_share, (eff[0], eff[1], eff[2]))


def font_for_preview(family: str, size: int) -> ImageFont.FreeTypeFont:
    """The primary font of ``family`` at ``size`` (labels of the contact sheet, CLI)."""
    resolved, _known = fonts.resolve_family(family)
    return fonts.get_font(fonts.chain_for(resolved)[0], size)
