"""OCR of slide images into the editable text elements of a slideshow (pure: no DB, no HTTP).

The method follows ``docs/copy-tiktok.md``, "OCR":

1. **Read.** RapidOCR 3.10 on onnxruntime with the PP-OCRv6 detection and recognition models
   that ship inside the ``rapidocr`` wheel, the orientation classifier off (overlay text is
   upright; the classifier flips lines on textured photos). Each slide is decoded (pixel cap,
   EXIF orientation); detection runs on a copy scaled to ``OCR_WIDTH`` (480) px wide, and
   again at ``OCR_RETRY_WIDTH`` (720) when a well-read line there is small text
   (``needs_retry``); recognition runs on the line crops of the slide itself, decoded with a
   space bias (see ``OcrEngine``); boxes are in the slide's own pixels. The engine is built with explicit model
   paths, so RapidOCR never takes its download path.
2. **Filter.** Lines scoring under ``MIN_SCORE`` are dropped (emoji come back as garbage such
   as "心国" at ~0.7), and so are lone CJK lines on a slide whose other text is Latin, and
   lines whose fitted size is under ``MIN_FONT_SIZE`` (small text that is part of the photo).
3. **Group.** Lines join one block when their fitted sizes are within ``SIZE_RATIO``, their
   horizontal centres overlap, the vertical gap is under ``MAX_GAP_LINES`` line heights and
   their text polarity is the same (light glyphs, dark glyphs, dark glyphs on a white box).
4. **Style.** The preset of each block is guessed from its pixels (``guess_style``): dark
   glyphs on a flat white box that ends are ``inverted``; other dark glyphs ``black``; light
   glyphs in a horizontal dark band spanning the slide are ``snapchat``; a black ring right
   around light glyphs is the ``tiktok`` outline; dark pixels only below-right ``shadow``;
   else ``white``.
5. **Font and size.** The block's font is identified among ``FONT_CANDIDATES`` by how well
   each family's glyphs cover the text pixels (``identify_font``; ``DEFAULT_FONT`` unless
   another is clearly better). RapidOCR's boxes are padded, so the size is fitted by WIDTH,
   never by box height: ``size = (box_width − PAD_K × box_height) / advance_at_1px``, the
   advance measured in that font by the renderer (``measure_text``) plus the outline the
   preset draws; the block's size is the median over its lines.
6. **Place.** ``x``/``y`` are the block's centre in percent of the slide (the renderer's
   anchor: the centre of the text box; each line is centred on ``x``), ``width`` is the widest
   line plus the preset's insets plus a margin, in percent of the slide width, and the line
   breaks are kept as ``\n``. Each element is laid out again with the renderer
   (``layout_text``) and adjusted until it wraps into exactly the OCR'd lines.

Positions are percentages and font sizes are pixels at a 1080 px wide canvas, as in the
contract (§5.4), so the elements land where they were whatever the slide's resolution.

Concurrency: one engine per process (``shared_engine``, built lazily under a lock) and one OCR
worker thread (``ocr_slides`` queues whole jobs on it). The server runs this in the niced
worker processes of ``copy_tiktok/pool.py`` (their engines use the cores divided by the
workers: ``configure_shared_engine``); with ``ocr_processes = 0`` it runs in the API process
with onnxruntime limited to ``OCR_THREADS`` intra-op threads, so an import never takes both
cores of a small server from the API.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
import time
import unicodedata
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from slideforge.copy_tiktok import look
from slideforge.kit.images import ImageError, decode_rgb
from slideforge.render import TextElementSpec, layout_text, measure_text
from slideforge.render.colors import relative_luminance
from slideforge.render.spec import REFERENCE_WIDTH, BoxSides
from slideforge.render.text import BOX_PAD_X, LINE_HEIGHT, STROKE_DIVISOR, preset_colours

#: text is detected on the slide scaled to this width (same exact lines as 720 px on the
#: benchmark, in a third of the time: docs/copy-tiktok.md, "Detection scale") ...
OCR_WIDTH = 480
#: ... and again at this width when a line found there is small text (``needs_retry``)
OCR_RETRY_WIDTH = 720
#: text under this rough size (px at 1080 wide) is "small": read at OCR_RETRY_WIDTH
SMALL_TEXT = 36.0
#: onnxruntime intra-op threads of the OCR engine (the API keeps the other core)
OCR_THREADS = 1
#: a blank CTC step is read as a space when P(space) is above this (see OcrEngine)
SPACE_BIAS = 0.01
#: recognition batch size (line crops of similar width go together)
REC_BATCH = 6
#: lines scoring under this are dropped (emoji and photo texture come back as junk)
MIN_SCORE = 0.8
#: overlay text smaller than this (px at 1080 wide) is taken to be part of the photo
MIN_FONT_SIZE = 22.0
#: the font imported elements use (TikTok's own text font)
DEFAULT_FONT = "TikTok Display"
#: the families imports tell apart by their glyphs (see identify_font)
FONT_CANDIDATES = (
    "TikTok Display",
    "TikTok Sans",
    "Poppins",
    "Inter",
    "Roboto",
    "Oswald",
    "Anton",
    "Bebas Neue",
    "Open Sans",
    "Georgia",
    "Russo One",
)
#: another family must cover the text pixels this much better (IoU) than the default, and
#: reach this IoU at all (a low best score means the text pixels are mixed with the photo)
FONT_MARGIN = 0.04
FONT_MIN_SCORE = 0.45
#: font identification draws its candidates at one of these sizes (px) and scales them
FONT_ID_SIZES = (16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 200)
#: font identification looks at the widest lines of a block, this many
FONT_ID_LINES = 2
#: px the fill of ``tiktok`` text is grown by before comparing (its outline covers the edge)
GLYPH_GROW = 1
#: text pixels for font identification: lighter / darker than these (luminance 0..1)
GLYPH_LIGHT = 0.75
GLYPH_DARK = 0.35
#: padding of a RapidOCR box that is not text, in box heights (unclip ratio 1.6)
PAD_K = 0.3
#: grouping: fitted sizes within this ratio, vertical gap under this many line heights
SIZE_RATIO = 1.25
MAX_GAP_LINES = 0.6
#: RapidOCR box height / font size, median (1.16-1.86: docs/copy-tiktok.md, "Boxes to text
#: elements"); only for rough sizes
ROUGH_BOX_RATIO = 1.4
#: the preset assumed for fitting before a block's style is known, by text polarity
PROVISIONAL = {"light": "tiktok", "inverted": "inverted", "dark": "black"}
#: width margin added to the widest line, as a share of its advance
WIDTH_MARGIN = 0.06

_CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_SPACES = re.compile(r"\s+")


class OcrUnavailableError(RuntimeError):
    """The OCR engine cannot be built (a model file of the rapidocr wheel is missing)."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class OcrLine(BoxSides):
    """One recognised line: its text, the recogniser's score and its box in the slide's own
    pixels (axis-aligned hull of RapidOCR's quadrilateral)."""

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    def scaled(self, factor: float) -> OcrLine:
        return replace(
            self,
            x0=self.x0 * factor,
            y0=self.y0 * factor,
            x1=self.x1 * factor,
            y1=self.y1 * factor,
        )


@dataclass(frozen=True, slots=True)
class DroppedLine:
    line: OcrLine
    reason: str  # low_score | lone_cjk | too_small | empty


@dataclass(frozen=True, slots=True)
class StyleGuess:
    """The preset guessed for a line and the measurements behind it."""

    preset: str
    text_light: bool
    evidence: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FittedLine:
    """A kept line in reference pixels (slide scaled to 1080 wide) with its style and size."""

    line: OcrLine  # reference pixels
    style: StyleGuess
    font_size: float

    @property
    def preset(self) -> str:
        return self.style.preset


@dataclass(frozen=True, slots=True)
class ImportedText:
    """One editable text element, in the contract's units (percent, px at 1080 wide)."""

    content: str
    x: float
    y: float
    width: float
    font_size: float
    style_preset: str
    font_family: str
    lines: tuple[FittedLine, ...]
    relayout_ok: bool
    text_color: str | None = None
    background_color: str | None = None
    outline_color: str | None = None

    def as_element(self, element_id: str) -> dict[str, Any]:
        """The slideshow's ``text_elements[]`` item."""
        return {
            "id": element_id,
            "content": self.content,
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "font_size": self.font_size,
            "style_preset": self.style_preset,
            "font_family": self.font_family,
            "text_color": self.text_color,
            "background_color": self.background_color,
            "outline_color": self.outline_color,
            "editable": True,
        }

    def spec(self) -> TextElementSpec:
        return TextElementSpec(
            content=self.content,
            x=self.x,
            y=self.y,
            width=self.width,
            font_size=self.font_size,
            font_family=self.font_family,
            style_preset=self.style_preset,
            text_color=self.text_color,
            background_color=self.background_color,
            outline_color=self.outline_color,
        )


@dataclass(frozen=True, slots=True)
class SlideOcr:
    """What OCR found on one slide. ``width``/``height`` are the slide's pixels; ``lines`` are
    the raw OCR lines in those pixels; ``error`` says why a slide could not be read (then it
    has no elements)."""

    width: int
    height: int
    elements: tuple[ImportedText, ...]
    lines: tuple[OcrLine, ...]
    dropped: tuple[DroppedLine, ...]
    seconds: float
    error: str | None = None

    @property
    def reference_height(self) -> int:
        """The slide's height on a 1080 px wide canvas."""
        return max(1, round(self.height * REFERENCE_WIDTH / max(1, self.width)))


# --------------------------------------------------------------------------- engine


def _model_dir() -> Path:
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


MODEL_FILES = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
}


class OcrEngine:
    """RapidOCR with the wheel's own models, built on first use (thread-safe).

    The detection and recognition models are given by path (the files inside the rapidocr
    wheel): with a model path RapidOCR skips its download step, and the recogniser reads its
    character list from the model's metadata, so nothing is fetched at run time. The
    orientation classifier is off and never loaded.

    Detection is RapidOCR's own call. Recognition runs the same recogniser (its input
    normalisation and ONNX session) but decodes the CTC output here, with one change to
    RapidOCR's greedy decoding: a blank step whose probability of "space" exceeds
    ``SPACE_BIAS`` is read as a space. The recogniser is unsure about the narrow word gaps of
    bold, outlined TikTok text and RapidOCR's argmax drops them ("gratefulfor"); measured on the
    benchmark, the bias restores every one without inventing spaces. Calls are serialised by a
    lock (RapidOCR keeps per-call options on the instance)."""

    def __init__(
        self,
        *,
        threads: int = OCR_THREADS,
        width: int = OCR_WIDTH,
        retry_width: int | None = OCR_RETRY_WIDTH,
    ) -> None:
        self.threads = threads
        self.width = width
        self.retry_width = retry_width
        #: the detection width of the last ``read`` (``width`` or ``retry_width``)
        self.last_width = width
        self.load_seconds: float | None = None
        self._engine: Any = None
        self._rec: Any = None
        self._space = -1
        self._build_lock = threading.Lock()
        self._call_lock = threading.Lock()

    def params(self) -> dict[str, Any]:
        models = _model_dir()
        paths = {kind: models / name for kind, name in MODEL_FILES.items()}
        missing = [str(p) for p in paths.values() if not p.is_file()]
        if missing:
            raise OcrUnavailableError(
                "the OCR models of the rapidocr wheel are missing "
                f"({', '.join(missing)}); reinstall rapidocr 3.10"
            )
        return {
            "Global.use_cls": False,
            "Global.log_level": "critical",
            "Det.model_path": str(paths["det"]),
            "Rec.model_path": str(paths["rec"]),
            # detect at the size we scale to (RapidOCR would scale anything under 736 up)
            "Det.limit_type": "max",
            "Det.limit_side_len": 4096,
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # no onnxruntime memory arena: it kept ~200 MB after the first slides (570 → 360
            # MB RSS after 12 reads) for no measurable speed (988 vs 991 ms a slide, 2 cores;
            # `slideforge bench memory`)
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": False,
        }

    def load(self) -> float:
        """Build the engine and load both models (a first tiny run); seconds it took, or 0.0
        when it was already loaded."""
        if self._engine is not None:
            return 0.0
        with self._build_lock:
            if self._engine is not None:
                return 0.0
            start = time.perf_counter()
            from rapidocr import RapidOCR

            engine = RapidOCR(params=self.params())
            rec = engine._load_rec_model()
            characters = list(getattr(getattr(rec, "postprocess_op", None), "character", []))
            if not (
                callable(getattr(rec, "session", None))
                and callable(getattr(rec, "resize_norm_img", None))
                and characters
                and characters[0] == "blank"
                and " " in characters
            ):
                raise OcrUnavailableError(
                    "this rapidocr build has a different recogniser interface; "
                    "install rapidocr 3.10.x"
                )
            self._characters = characters
            self._space = len(characters) - 1 - characters[::-1].index(" ")
            self._rec = rec
            self._engine = engine
            warm = np.full((64, 256, 3), 255, np.uint8)
            warm[24:40, 32:224] = 0
            self._read_bgr(warm)
            self.load_seconds = time.perf_counter() - start
            return self.load_seconds

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def read(self, image: Image.Image) -> list[OcrLine]:
        """OCR lines of an RGB image, in the image's own pixels. Detection runs on a copy
        scaled to ``width``, and again on one scaled to ``retry_width`` when a line it found
        is small (``needs_retry``); the line crops for recognition come from the image itself
        (recognition normalises every crop to 48 px high, so a sharper source costs nothing
        more and helps small text)."""
        self.load()
        source = _bgr(image)
        lines = self._read_bgr(_bgr(_scaled(image, self.width)), source, image.width / self.width)
        self.last_width = self.width
        retry = self.retry_width
        if retry and retry > self.width and needs_retry(lines, image.width):
            lines = self._read_bgr(_bgr(_scaled(image, retry)), source, image.width / retry)
            self.last_width = retry
        return lines

    def _read_bgr(
        self, detect: np.ndarray, source: np.ndarray | None = None, scale: float = 1.0
    ) -> list[OcrLine]:
        """Lines of ``source`` (BGR), detected on ``detect`` (``source`` scaled by
        1/``scale``)."""
        from rapidocr.utils.process_img import get_rotate_crop_image

        full = detect if source is None else source
        with self._call_lock:
            detected = self._engine(detect, use_det=True, use_cls=False, use_rec=False)
            boxes = getattr(detected, "boxes", None)
            if boxes is None or len(boxes) == 0:
                return []
            quads = [np.asarray(q, dtype=np.float32).reshape(-1, 2) * scale for q in boxes]
            crops = [get_rotate_crop_image(full, q.copy()) for q in quads]
            texts = self._recognise(crops)
        lines = []
        for quad, (text, score) in zip(quads, texts, strict=True):
            lines.append(
                OcrLine(
                    text=text,
                    score=score,
                    x0=float(quad[:, 0].min()),
                    y0=float(quad[:, 1].min()),
                    x1=float(quad[:, 0].max()),
                    y1=float(quad[:, 1].max()),
                )
            )
        return lines

    def _recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and score of each line crop (batches of similar width, as RapidOCR does)."""
        rec = self._rec
        _channels, height, width = rec.rec_image_shape[:3]
        ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
        order = np.argsort(ratios)
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(crops), REC_BATCH):
            chunk = [int(i) for i in order[start : start + REC_BATCH]]
            widest = max([width / height] + [ratios[i] for i in chunk])
            batch = np.concatenate(
                [rec.resize_norm_img(crops[i], widest)[np.newaxis, :] for i in chunk]
            ).astype(np.float32)
            probs = rec.session(batch)
            for row, i in enumerate(chunk):
                out[i] = self._decode(np.asarray(probs[row]))
        return out

    def _decode(self, probs: np.ndarray) -> tuple[str, float]:
        return ctc_decode(probs, self._characters, self._space)


def ctc_decode(
    probs: np.ndarray, characters: Sequence[str], space: int, bias: float = SPACE_BIAS
) -> tuple[str, float]:
    """Greedy CTC decoding of one line (``probs``: steps × classes, class 0 the blank) with
    the space bias: a blank step whose P(space) exceeds ``bias`` is read as a space. The
    score is the mean probability of the emitted characters (spaces excluded)."""
    best = probs.argmax(axis=1)
    spaced = (best == 0) & (probs[:, space] > bias)
    best = np.where(spaced, space, best)
    chars: list[str] = []
    confidences: list[float] = []
    previous = -1
    for step, index in enumerate(best.tolist()):
        if index != previous and index != 0:
            chars.append(characters[index])
            if index != space:
                confidences.append(float(probs[step, index]))
        previous = index
    text = _clean_text("".join(chars))
    return text, (float(np.mean(confidences)) if confidences else 0.0)


def needs_retry(lines: Sequence[OcrLine], image_width: int) -> bool:
    """Whether a slide read at the first detection width must be detected again larger: a
    line that reads well (score at least ``MIN_SCORE``) is small text (rough size under
    ``SMALL_TEXT`` px at 1080 wide) that is still big enough to be kept."""
    factor = REFERENCE_WIDTH / max(1, image_width)
    for line in lines:
        rough = line.height * factor / ROUGH_BOX_RATIO
        if line.score >= MIN_SCORE and 0.8 * MIN_FONT_SIZE <= rough < SMALL_TEXT:
            return True
    return False


def _scaled(image: Image.Image, width: int) -> Image.Image:
    w, h = image.size
    if w == width:
        return image
    return image.resize(
        (width, max(1, round(h * width / w))), Image.Resampling.BILINEAR, reducing_gap=2.0
    )


def _bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8)[:, :, ::-1])


_shared: OcrEngine | None = None
_shared_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_post_executor: ThreadPoolExecutor | None = None


def shared_engine() -> OcrEngine:
    """The process's engine (built on first use)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = OcrEngine()
    return _shared


def configure_shared_engine(*, threads: int = OCR_THREADS) -> OcrEngine:
    """Make the process's engine use ``threads`` onnxruntime threads (an OCR worker process
    sets its own before loading the models; see ``copy_tiktok/pool.py``)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.threads != threads:
            _shared = OcrEngine(threads=threads)
        return _shared


def _worker() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _shared_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slideforge-ocr")
    return _executor


def _finisher() -> ThreadPoolExecutor:
    """One thread that turns OCR lines into elements while the OCR worker reads the next
    slide (onnxruntime releases the GIL), so a job uses one core plus a little."""
    global _post_executor
    if _post_executor is None:
        with _shared_lock:
            if _post_executor is None:
                _post_executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="slideforge-ocr-post"
                )
    return _post_executor


def ocr_slides(
    images: Sequence[bytes],
    *,
    max_pixels: int,
    engine: OcrEngine | None = None,
    font_family: str | None = None,
) -> list[SlideOcr]:
    """OCR every slide on the process's single OCR worker (jobs queue; one runs at a time)
    and wait for the result; each slide's lines become elements on a second thread while
    the worker reads the next one. Call it with no database transaction open."""
    chosen = engine or shared_engine()
    finisher = _finisher()

    def job() -> list[Future[SlideOcr]]:
        pending: list[Future[SlideOcr]] = []
        for data in images:
            read = _read_slide(data, chosen, max_pixels)
            if isinstance(read, SlideOcr):
                done: Future[SlideOcr] = Future()
                done.set_result(read)
                pending.append(done)
            else:
                pending.append(finisher.submit(_finish_slide, *read, font_family))
        return pending

    return [future.result() for future in _worker().submit(job).result()]


# --------------------------------------------------------------------------- one slide


def _clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


def decode_slide(data: bytes, max_pixels: int) -> Image.Image:
    """The slide as an upright RGB image (pixel cap checked before decoding)."""
    return decode_rgb(data, max_pixels)


def ocr_slide(
    data: bytes,
    *,
    engine: OcrEngine | None = None,
    max_pixels: int = 64_000_000,
    font_family: str | None = None,
) -> SlideOcr:
    """Read one slide (encoded image bytes) into text elements (``font_family`` None: each
    element's font is identified)."""
    read = _read_slide(data, engine or shared_engine(), max_pixels)
    if isinstance(read, SlideOcr):
        return read
    return _finish_slide(*read, font_family)


def _read_slide(
    data: bytes, engine: OcrEngine, max_pixels: int
) -> SlideOcr | tuple[Image.Image, list[OcrLine], float]:
    """Decode and OCR a slide: (image, lines, start time), or a SlideOcr with the error."""
    start = time.perf_counter()
    try:
        image = decode_slide(data, max_pixels)
    except ImageError as exc:
        return SlideOcr(0, 0, (), (), (), time.perf_counter() - start, error=str(exc))
    return image, engine.read(image), start


def _finish_slide(
    image: Image.Image, lines: list[OcrLine], start: float, font_family: str | None
) -> SlideOcr:
    elements, dropped = elements_from_lines(np.asarray(image), lines, font_family=font_family)
    w, h = image.size
    return SlideOcr(
        w, h, tuple(elements), tuple(lines), tuple(dropped), time.perf_counter() - start
    )


def elements_from_lines(
    rgb: np.ndarray, lines: Sequence[OcrLine], *, font_family: str | None = None
) -> tuple[list[ImportedText], list[DroppedLine]]:
    """Filter, fit, group, style and place the OCR lines of one slide (``rgb``: H×W×3 uint8
    of the slide, ``lines`` in its pixels). ``font_family`` None: each block's font is
    identified (``identify_font``); else every element uses it."""
    h, w = rgb.shape[:2]
    factor = REFERENCE_WIDTH / w
    ref_h = max(1, round(h * factor))
    kept, dropped = filter_lines(lines)
    fitted: list[FittedLine] = []
    for line in kept:
        rough = max(4.0, line.height / ROUGH_BOX_RATIO)
        polarity = text_polarity(line_pixels(rgb, line, rough))
        provisional = StyleGuess(PROVISIONAL[polarity], polarity == "light")
        ref = line.scaled(factor)
        size = fit_font_size(
            ref.text, ref.width, ref.height, font_family or DEFAULT_FONT, provisional.preset
        )
        if size < MIN_FONT_SIZE:
            dropped.append(DroppedLine(line, "too_small"))
            continue
        fitted.append(FittedLine(ref, provisional, size))
    elements = []
    for group in group_lines(fitted):
        size_px = statistics.median(fl.font_size for fl in group) / factor
        source_lines = [fl.line.scaled(1 / factor) for fl in group]
        colours = look.block_colours(rgb, source_lines, size_px)
        keyed = _keyed(rgb, source_lines, colours, size_px)
        style = guess_style(keyed, source_lines, size_px)
        family = font_family or identify_font(keyed, source_lines, style, factor).family
        fit = _glyph_fit(rgb, source_lines, colours, family)
        if fit is not None:
            sizes = [fit.size * factor] * len(group)
        else:
            sizes = [
                fit_font_size(fl.line.text, fl.line.width, fl.line.height, family, style.preset)
                for fl in group
            ]
        final = [FittedLine(fl.line, style, size) for fl, size in zip(group, sizes, strict=True)]
        placed = place_block(final, REFERENCE_WIDTH, ref_h, family)
        if colours is not None:
            found = element_colours(colours, placed.style_preset)
            placed = replace(
                placed,
                text_color=found["text_color"],
                background_color=found["background_color"],
                outline_color=found["outline_color"],
            )
        elements.append(placed)
    return elements, dropped


#: fills darker than this (CIE L*) are "dark text" (black glyphs, perhaps on a coloured box)
DARK_FILL_L = 40.0
#: a flat colour between light glyphs this saturated (CIE C*) is a drawn box, not a photo or
#: the ``snapchat`` bar
BOX_CHROMA = 30.0
#: a glyph fit worse than this (RMS edge error, in font sizes) falls back to the width fit
MAX_GLYPH_RESIDUAL = 0.03
#: the default family wins the glyph fit unless another scores better by this much
GLYPH_MARGIN = 0.002


def _is_dark(colour: look.RGB) -> bool:
    return float(look.srgb_to_lab(np.asarray(colour, np.float64))[0]) < DARK_FILL_L


def _keyed(
    rgb: np.ndarray, lines: Sequence[OcrLine], colours: look.Colours | None, size_px: float
) -> np.ndarray:
    """The slide as the style guess expects it (white or black text, white boxes): around a
    block with a coloured fill, pixels of the fill's colour become white; around dark text
    on a coloured box, pixels of the box's colour become white. Otherwise ``rgb`` itself."""
    if colours is None:
        return rgb
    dark = _is_dark(colours.fill)
    recolour: list[tuple[look.RGB, int]] = []
    box = colours.box
    if dark and box is not None and box != (255, 255, 255):
        recolour = [(box, 255)]
    elif not dark and box is not None and _chroma(box) > BOX_CHROMA:
        # light text on a coloured box reads as black on white (``inverted``)
        recolour = [(box, 255), (colours.fill, 0)]
    elif not dark and colours.fill != (255, 255, 255):
        recolour = [(colours.fill, 255)]
    if not recolour:
        return rgb
    h, w = rgb.shape[:2]
    margin = round(2 * size_px)
    x0 = max(0, int(min(ln.x0 for ln in lines)) - margin)
    y0 = max(0, int(min(ln.y0 for ln in lines)) - margin)
    x1 = min(w, math.ceil(max(ln.x1 for ln in lines)) + margin)
    y1 = min(h, math.ceil(max(ln.y1 for ln in lines)) + margin)
    out = rgb.copy()
    region = out[y0:y1, x0:x1]
    masks = [(look.fill_like(region, colour), value) for colour, value in recolour]
    for mask, value in masks:
        region[mask] = value
    return out


def _chroma(colour: look.RGB) -> float:
    lab = look.srgb_to_lab(np.asarray(colour, np.float64))
    return float(math.hypot(lab[1], lab[2]))


def _glyph_fit(
    rgb: np.ndarray,
    lines: Sequence[OcrLine],
    colours: look.Colours | None,
    font_family: str | None,
) -> look.GlyphFit | None:
    """Family and size (slide px) from the glyphs' edges (``look.fit_glyphs``)."""
    if colours is None:
        return None
    other = colours.outline or colours.box or colours.surround
    covs = []
    for line in sorted(lines, key=lambda ln: -ln.width)[:FONT_ID_LINES]:
        crop, _x0, _y0 = look.line_crop(rgb, line)
        if crop.size:
            covs.append((look.coverage(crop, colours.fill, other), line.text))
    families = [font_family] if font_family else list(FONT_CANDIDATES)
    fits = look.fit_glyphs(covs, families)
    if not fits:
        return None
    best = fits[0]
    default = next((f for f in fits if f.family == DEFAULT_FONT), None)
    if default is not None and default.score - best.score < GLYPH_MARGIN:
        best = default
    return best if best.residual <= MAX_GLYPH_RESIDUAL else None


def element_colours(colours: look.Colours, preset: str) -> dict[str, str | None]:
    """``text_color`` / ``background_color`` / ``outline_color`` of an element, each None
    when it is what the preset draws anyway (so plain white-on-black imports stay as before)."""
    text_default, box_default = preset_colours(preset)
    fill = colours.fill
    out: dict[str, str | None] = {
        "text_color": None,
        "background_color": None,
        "outline_color": None,
    }
    if fill != text_default[:3]:
        out["text_color"] = look.hex_colour(fill)
    if preset == "inverted" and colours.box is not None and colours.box != box_default[:3]:
        out["background_color"] = look.hex_colour(colours.box)
    if preset == "tiktok" and colours.outline is not None:
        automatic = (255, 255, 255) if relative_luminance(fill) < 0.2 else (0, 0, 0)
        if colours.outline != automatic:
            out["outline_color"] = look.hex_colour(colours.outline)
    return out


# --------------------------------------------------------------------------- font


@dataclass(frozen=True, slots=True)
class FontGuess:
    family: str
    scores: dict[str, float]


def _glyph_mask(rgb: np.ndarray, line: OcrLine, style: StyleGuess) -> np.ndarray:
    """The text pixels inside a line box: light ones, or dark ones (for ``inverted`` only
    those inside the white box it draws)."""
    h, w = rgb.shape[:2]
    x0, y0 = max(0, int(line.x0)), max(0, int(line.y0))
    x1, y1 = min(w, math.ceil(line.x1)), min(h, math.ceil(line.y1))
    luma = _luma(rgb[y0:y1, x0:x1])
    if style.text_light:
        return np.asarray(luma > GLYPH_LIGHT)
    mask = np.asarray(luma < GLYPH_DARK)
    if style.preset == "inverted" and mask.size:
        white = luma > PURE_WHITE
        rows = np.flatnonzero(white.mean(axis=1) > 0.3)
        cols = np.flatnonzero(white.mean(axis=0) > 0.3)
        if rows.size and cols.size:
            inside = np.zeros_like(mask)
            inside[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = True
            mask &= inside
    return mask


def _rendered_mask(text: str, family: str, size: int, shape: tuple[int, int]) -> np.ndarray:
    """``text`` drawn in ``family`` as if at ``size`` px, centred in an image of ``shape``.
    It is drawn at the next size of ``FONT_ID_SIZES`` and scaled down, so the renderer's
    per-thread font cache holds a few objects per family (~120 KB each), not one per size
    met."""
    from PIL import ImageDraw

    from slideforge.render.text import font_for_preview

    draw = next((s for s in FONT_ID_SIZES if s >= size), FONT_ID_SIZES[-1])
    scale = draw / max(1, size)
    canvas = Image.new("L", (max(1, round(shape[1] * scale)), max(1, round(shape[0] * scale))), 0)
    ImageDraw.Draw(canvas).text(
        (canvas.width / 2, canvas.height / 2),
        text,
        font=font_for_preview(family, draw),
        fill=255,
        anchor="mm",
    )
    if canvas.size != (shape[1], shape[0]):
        canvas = canvas.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(canvas) > 127


def _centroid(mask: np.ndarray) -> tuple[float, float] | None:
    rows, cols = mask.sum(axis=1), mask.sum(axis=0)
    total = float(rows.sum())
    if total == 0:
        return None
    cy = float(rows @ np.arange(rows.size)) / total
    cx = float(cols @ np.arange(cols.size)) / total
    return cy, cx


def _aligned_iou(observed: np.ndarray, centre: tuple[float, float], rendered: np.ndarray) -> float:
    """IoU of two masks after moving ``rendered`` so its centroid lands on ``centre`` (the
    observed mask's)."""
    own = _centroid(rendered)
    if own is None:
        return 0.0
    moved = _shift(rendered, round(centre[0] - own[0]), round(centre[1] - own[1]))
    union = np.count_nonzero(observed | moved)
    return np.count_nonzero(observed & moved) / union if union else 0.0


def identify_font(
    rgb: np.ndarray,
    lines: Sequence[OcrLine],
    style: StyleGuess,
    factor: float,
    candidates: Sequence[str] | None = None,
) -> FontGuess:
    """The family whose glyphs best cover the text pixels of a block: each candidate draws
    the recognised text at the size its own width fit gives, and is scored by the overlap
    (IoU, centroids aligned) with the slide's text pixels, summed over the block's lines.
    ``DEFAULT_FONT`` wins ties within ``FONT_MARGIN``. ``factor``: reference px per slide px."""
    names = tuple(candidates or FONT_CANDIDATES)
    scores = dict.fromkeys(names, 0.0)
    weights = 0.0
    for line in sorted(lines, key=lambda ln: -ln.width)[:FONT_ID_LINES]:
        observed = _glyph_mask(rgb, line, style)
        if style.preset == "tiktok" and GLYPH_GROW:
            # the outline is drawn over the glyph's edge: its fill looks thinner than the font
            observed = _dilate(observed, GLYPH_GROW)
        centre = _centroid(observed) if observed.size else None
        if centre is None:
            continue
        weight = float(line.width)
        weights += weight
        for family in names:
            size = fit_font_size(
                line.text, line.width * factor, line.height * factor, family, style.preset
            )
            px = max(4, round(size / factor))
            rendered = _rendered_mask(line.text, family, px, observed.shape)
            scores[family] += weight * _aligned_iou(observed, centre, rendered)
    if weights <= 0:
        return FontGuess(DEFAULT_FONT, {})
    scores = {name: round(score / weights, 4) for name, score in scores.items()}
    best = max(scores, key=lambda name: scores[name])
    if DEFAULT_FONT in scores and (
        scores[best] < FONT_MIN_SCORE or scores[best] - scores[DEFAULT_FONT] < FONT_MARGIN
    ):
        best = DEFAULT_FONT
    return FontGuess(best, scores)


# --------------------------------------------------------------------------- filtering


def _is_cjk_text(text: str) -> bool:
    letters = [ch for ch in text if not ch.isspace()]
    return bool(letters) and sum(1 for ch in letters if _CJK.match(ch)) >= len(letters) / 2


def filter_lines(
    lines: Sequence[OcrLine], *, min_score: float = MIN_SCORE
) -> tuple[list[OcrLine], list[DroppedLine]]:
    """Drop junk: empty text, scores under ``min_score``, and CJK lines of at most three
    characters on a slide whose other kept lines are Latin (emoji read as CJK)."""
    kept: list[OcrLine] = []
    dropped: list[DroppedLine] = []
    for line in lines:
        if not line.text.strip():
            dropped.append(DroppedLine(line, "empty"))
        elif line.score < min_score:
            dropped.append(DroppedLine(line, "low_score"))
        else:
            kept.append(line)
    latin = sum(1 for line in kept if _LATIN.search(line.text) and not _is_cjk_text(line.text))
    if latin:
        result = []
        for line in kept:
            short = len(line.text.replace(" ", "")) <= 3
            if _is_cjk_text(line.text) and short:
                dropped.append(DroppedLine(line, "lone_cjk"))
            else:
                result.append(line)
        kept = result
    return kept, dropped


# --------------------------------------------------------------------------- fitting


def _outline_share(preset: str) -> float:
    """Width the preset adds around the glyph advance, per px of font size, that the OCR box
    takes in (the tiktok outline on both sides)."""
    return 2.0 / STROKE_DIVISOR if preset == "tiktok" else 0.0


def fit_font_size(
    text: str, box_width: float, box_height: float, font_family: str, preset: str = "tiktok"
) -> float:
    """Font size (px at the box's scale) that makes ``text`` as wide as the OCR box, less the
    box padding (``PAD_K`` box heights) and the preset's outline."""
    advance = measure_text(text, font_family, 100) / 100.0
    per_px = advance + _outline_share(preset)
    if per_px <= 0:
        return 0.0
    return max(0.0, (box_width - PAD_K * box_height) / per_px)


# --------------------------------------------------------------------------- grouping


def _same_block(prev: FittedLine, nxt: FittedLine) -> bool:
    a, b = prev.line, nxt.line
    ratio = max(prev.font_size, nxt.font_size) / max(1e-6, min(prev.font_size, nxt.font_size))
    if ratio > SIZE_RATIO or prev.preset != nxt.preset:
        return False
    # horizontal centres overlap: each centre lies within the other line's extent
    if not (a.x0 <= b.cx <= a.x1 or b.x0 <= a.cx <= b.x1):
        return False
    size = (prev.font_size + nxt.font_size) / 2
    line_height = LINE_HEIGHT * size
    # OCR boxes are padded: compare centre distance with one line slot
    gap = (b.cy - a.cy) - line_height
    return gap < MAX_GAP_LINES * line_height


def group_lines(lines: Sequence[FittedLine]) -> list[list[FittedLine]]:
    """Lines (top to bottom) into blocks: similar fitted size, same provisional preset (text
    polarity), overlapping horizontal centres, vertical gap under ``MAX_GAP_LINES`` line
    heights."""
    ordered = sorted(lines, key=lambda fl: (fl.line.cy, fl.line.cx))
    blocks: list[list[FittedLine]] = []
    for fl in ordered:
        for block in reversed(blocks):
            if _same_block(block[-1], fl):
                block.append(fl)
                break
        else:
            blocks.append([fl])
    blocks.sort(key=lambda b: (b[0].line.cy, b[0].line.cx))
    return blocks


# --------------------------------------------------------------------------- placing


def _insets(preset: str, size: float) -> float:
    """What the renderer takes from the wrap width on each side for ``preset``."""
    stroke = max(1.0, size / STROKE_DIVISOR) if preset == "tiktok" else 0.0
    pad = BOX_PAD_X * size if preset == "inverted" else 0.0
    return stroke + pad


def place_block(
    block: Sequence[FittedLine], canvas_w: int, canvas_h: int, font_family: str = DEFAULT_FONT
) -> ImportedText:
    """One element from a block of lines (reference pixels): centre, width, median size, the
    majority preset, lines joined with ``\\n``; checked by laying it out with the renderer."""
    presets = [fl.preset for fl in block]
    preset = max(set(presets), key=lambda p: (presets.count(p), p == block[0].preset))
    size = float(statistics.median(fl.font_size for fl in block))
    texts = [fl.line.text for fl in block]
    content = "\n".join(texts)
    cx = statistics.fmean(fl.line.cx for fl in block)
    cy = statistics.fmean(fl.line.cy for fl in block)
    x = _round(100.0 * cx / canvas_w)
    y = _round(100.0 * cy / canvas_h)

    def width_for(font_size: float) -> float:
        widest = max(measure_text(t, font_family, font_size) for t in texts)
        inner = widest * (1 + WIDTH_MARGIN) + 2 * _insets(preset, font_size) + 2
        return min(100.0, _round(100.0 * inner / canvas_w))

    font_size = _round(size)
    width = width_for(font_size)
    ok = False
    for _ in range(12):
        spec = TextElementSpec(
            content=content,
            x=x,
            y=y,
            width=width,
            font_size=font_size,
            font_family=font_family,
            style_preset=preset,
        )
        laid = layout_text(spec, canvas_w, canvas_h)
        if [ln.text for ln in laid.lines] == texts and not laid.shrunk:
            ok = True
            break
        if width < 100.0:
            width = min(100.0, _round(width + 4.0))
        else:
            font_size = _round(font_size * 0.96)
    return ImportedText(
        content=content,
        x=x,
        y=y,
        width=width,
        font_size=font_size,
        style_preset=preset,
        font_family=font_family,
        lines=tuple(block),
        relayout_ok=ok,
    )


def _round(value: float) -> float:
    return round(float(value), 1)


# --------------------------------------------------------------------------- style

#: luminance classes (0..1)
PURE_WHITE = 0.9
#: a row of a line box this share near-white is inside a drawn white box (``_ink_band``)
WHITE_ROW = 0.4
LIGHT = 0.8
DARK = 0.22
BLACK = 0.12


def _luma(rgb: np.ndarray) -> np.ndarray:
    arr = rgb.astype(np.float32)
    return (0.2126 * arr[..., 0] + 0.7152 * arr[..., 1] + 0.0722 * arr[..., 2]) / 255.0


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    if radius <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def _shift(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(mask)
    h, w = mask.shape
    if abs(dy) >= h or abs(dx) >= w:
        return out
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = mask[ys, xs]
    return out


@dataclass
class PixelStats:
    """Pixel counts in and around text boxes (they add up over the lines of a block)."""

    inner: int = 0  # pixels of the middle half (rows) of the boxes
    pure: int = 0  # ... of them near-white
    mid: int = 0  # ... of them mid-tones
    beyond: int = 0  # pixels of the same rows past where a box drawn around dark glyphs ends
    beyond_pure: int = 0  # ... of them near-white (a white photo, not a drawn box)
    total: int = 0  # pixels of the boxes
    light: int = 0
    ink_rows: int = 0  # pixels of the rows a white box fills (``_ink_band``)
    ink_light: int = 0  # ... of them light
    dark: int = 0
    border: int = 0  # pixels on the box edges (background, given RapidOCR's padding)
    border_light: int = 0
    ring: int = 0  # pixels right around light glyphs (where a tiktok outline is)
    ring_black: int = 0
    far: int = 0  # pixels beyond the outline's reach
    far_black: int = 0
    below: int = 0  # pixels below-right of light glyphs (where a shadow falls)
    below_sum: float = 0.0
    above: int = 0  # ... and above-left (where it does not)
    above_sum: float = 0.0

    def add(self, other: PixelStats) -> PixelStats:
        return PixelStats(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )

    @staticmethod
    def share(part: float, whole: float) -> float:
        return part / whole if whole else 0.0


def line_pixels(rgb: np.ndarray, line: OcrLine, size_px: float) -> PixelStats:
    """Pixel statistics of one line box (slide pixels); ``size_px`` is the rough font size."""
    h, w = rgb.shape[:2]
    x0, x1 = max(0, int(line.x0)), min(w, math.ceil(line.x1))
    y0, y1 = max(0, int(line.y0)), min(h, math.ceil(line.y1))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return PixelStats()
    luma = _luma(rgb[y0:y1, x0:x1])
    bh = y1 - y0
    inner = luma[bh // 4 : max(bh // 4 + 1, bh * 3 // 4)]
    light = luma > LIGHT
    border = np.concatenate([luma[0, :], luma[-1, :], luma[:, 0], luma[:, -1]])
    stroke = max(1.0, size_px / STROKE_DIVISOR)
    r1 = max(1, round(stroke / 2))
    near = _dilate(light, r1)
    ring = near & ~light
    reach = max(r1 + 1, round(stroke + 2))
    far = _dilate(light, reach + r1) & ~_dilate(light, reach)
    black = luma < BLACK
    offset = max(1, round(0.06 * size_px))
    beyond = _beyond_box(rgb, luma, x0, y0, size_px)
    ink = _ink_band(luma)
    below = _shift(light, offset, offset) & ~light
    above = _shift(light, -offset, -offset) & ~light
    return PixelStats(
        inner=int(inner.size),
        pure=int((inner > PURE_WHITE).sum()),
        mid=int(((inner > 0.3) & (inner < 0.85)).sum()),
        beyond=beyond.size,
        beyond_pure=int((beyond > PURE_WHITE).sum()),
        total=int(luma.size),
        light=int(light.sum()),
        ink_rows=int(ink.size),
        ink_light=int((ink > LIGHT).sum()),
        dark=int((luma < DARK).sum()),
        border=int(border.size),
        border_light=int((border > LIGHT).sum()),
        ring=int(ring.sum()),
        ring_black=int((ring & black).sum()),
        far=int(far.sum()),
        far_black=int((far & black).sum()),
        below=int(below.sum()),
        below_sum=float(luma[below].sum()),
        above=int(above.sum()),
        above_sum=float(luma[above].sum()),
    )


def _ink_band(luma: np.ndarray) -> np.ndarray:
    """Luminance of the rows of a line box that a white box fills (the first to the last row
    at least ``WHITE_ROW`` near-white), measured on the slide's own pixels: so the test for
    ``inverted`` does not depend on how much padding the detector put around the text at the
    scale it ran (a box found at 480 px is a few pixels taller than one found at 720 px, which
    moved a white box's share of the whole box under the threshold). The whole box when no
    row is that white."""
    rows = np.flatnonzero((luma > PURE_WHITE).mean(axis=1) >= WHITE_ROW)
    if rows.size == 0:
        return luma
    return luma[int(rows[0]) : int(rows[-1]) + 1]


def _beyond_box(rgb: np.ndarray, luma: np.ndarray, x0: int, y0: int, size_px: float) -> np.ndarray:
    """Luminance of the middle rows of a line, 0.6-1.0 font sizes left of its leftmost and
    right of its rightmost dark glyph pixel: outside the box ``inverted`` draws (its side
    padding is 0.32 font sizes), still on the background for dark text on a light photo."""
    bh = luma.shape[0]
    rows = slice(bh // 4, max(bh // 4 + 1, bh * 3 // 4))
    dark_cols = np.flatnonzero((luma[rows] < DARK).any(axis=0))
    if dark_cols.size == 0:
        return np.zeros(0, np.float32)
    w = rgb.shape[1]
    near, far = round(0.6 * size_px), round(1.0 * size_px)
    left, right = x0 + int(dark_cols[0]), x0 + int(dark_cols[-1])
    top = y0 + bh // 4
    band = rgb[top : top + max(1, bh // 2)]
    parts = [
        band[:, max(0, left - far) : max(0, left - near)],
        band[:, min(w, right + near) : min(w, right + far)],
    ]
    values = [_luma(p).ravel() for p in parts if p.size]
    return np.concatenate(values) if values else np.zeros(0, np.float32)


def text_polarity(stats: PixelStats) -> str:
    """``inverted`` (dark glyphs on a white box), ``dark`` (dark glyphs) or ``light``."""
    share = PixelStats.share
    pure = share(stats.pure, stats.inner)
    mid = share(stats.mid, stats.inner)
    light = share(stats.light, stats.total)
    dark = share(stats.dark, stats.total)
    if (
        pure > 0.46
        and mid < 0.15
        and share(stats.ink_light, stats.ink_rows) > 0.5
        and dark > 0.08
        and (share(stats.beyond_pure, stats.beyond) < 0.6 or not stats.beyond)
    ):
        return "inverted"
    border_light = share(stats.border_light, stats.border)
    if (border_light > 0.5 and dark > 0.05) or (light < 0.04 and dark > 0.05):
        return "dark"
    return "light"


def band_ratio(rgb: np.ndarray, box: tuple[float, float, float, float], size_px: float) -> float:
    """How much darker the rows of a text block are, left and right of it, than the same
    columns just above and below it: the largest of the (up to four) side/outside ratios. A
    ``snapchat`` bar spanning the slide darkens all of them (well under 1); a photo rarely
    does. 1.0 when there is nothing to compare."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    top, bottom = max(0, int(y0)), min(h, math.ceil(y1))
    margin = max(2, round(0.6 * size_px))
    gap = max(2, round(0.5 * size_px))
    columns = []
    if int(x0) - gap >= 4:
        columns.append(slice(0, int(x0) - gap))
    if w - (math.ceil(x1) + gap) >= 4:
        columns.append(slice(math.ceil(x1) + gap, w))
    rows_out = [
        slice(max(0, top - 2 * margin), max(0, top - margin)),
        slice(min(h, bottom + margin), min(h, bottom + 2 * margin)),
    ]
    ratios = []
    for cols in columns:
        if bottom <= top:
            break
        inside = float(_luma(rgb[top:bottom, cols]).mean())
        for rows in rows_out:
            out = rgb[rows, cols]
            if out.size == 0:
                continue
            out_l = float(_luma(out).mean())
            ratios.append(inside / out_l if out_l > 0.03 else 1.0)
    return max(ratios) if ratios else 1.0


def style_from_pixels(stats: PixelStats, band: float) -> StyleGuess:
    """The preset from pooled pixel statistics and the block's band ratio."""
    share = PixelStats.share
    ring_black = share(stats.ring_black, stats.ring)
    far_black = share(stats.far_black, stats.far)
    below = share(stats.below_sum, stats.below)
    above = share(stats.above_sum, stats.above)
    evidence = {
        "pure": round(share(stats.pure, stats.inner), 3),
        "mid": round(share(stats.mid, stats.inner), 3),
        "beyond_pure": round(share(stats.beyond_pure, stats.beyond), 3),
        "light": round(share(stats.light, stats.total), 3),
        "ink_light": round(share(stats.ink_light, stats.ink_rows), 3),
        "dark": round(share(stats.dark, stats.total), 3),
        "border_light": round(share(stats.border_light, stats.border), 3),
        "ring_black": round(ring_black, 3),
        "far_black": round(far_black, 3),
        "shadow_delta": round(above - below, 3),
        "band": round(band, 3),
    }
    polarity = text_polarity(stats)
    if polarity == "inverted":
        return StyleGuess("inverted", False, evidence)
    if polarity == "dark":
        return StyleGuess("black", False, evidence)
    if band < 0.7:
        return StyleGuess("snapchat", True, evidence)
    if ring_black >= 0.5 and (ring_black - far_black >= 0.2 or far_black >= 0.5):
        return StyleGuess("tiktok", True, evidence)
    if above - below > 0.025:
        return StyleGuess("shadow", True, evidence)
    return StyleGuess("white", True, evidence)


def guess_style(rgb: np.ndarray, lines: Sequence[OcrLine], size_px: float) -> StyleGuess:
    """The preset that drew a block of ``lines`` (slide pixels), from the pixels in and
    around their boxes; ``size_px`` is the block's font size in slide pixels."""
    stats = PixelStats()
    for line in lines:
        stats = stats.add(line_pixels(rgb, line, size_px))
    box = (
        min(line.x0 for line in lines),
        min(line.y0 for line in lines),
        max(line.x1 for line in lines),
        max(line.y1 for line in lines),
    )
    return style_from_pixels(stats, band_ratio(rgb, box, size_px))
