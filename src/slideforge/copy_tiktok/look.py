"""How overlay text looks: its colours and its glyph metrics (pure numpy, no OCR engine).

Used by ``ocr.py`` after a line's text and box are known:

- **Colours** (:func:`block_colours`). Inside each line box the pixels of the middle rows are
  clustered in CIE Lab (k-means, k = 3). The fill is the cluster that is common inside the
  box and rare on its border (the box border is background, given RapidOCR's padding); when
  two clusters qualify (fill and outline), the fill is the one that touches the other pixels
  least (the outline encloses it). Its colour is the median of its eroded pixels (JPEG chroma
  smears the edges). The outline is the median of a ring just outside the fill, the box colour
  the median of the non-text pixels between the first and last glyph. Colours within ΔE2000
  ``SNAP_DE`` of a palette colour (white, black, TikTok's text colours) snap to it.
- **Glyph metrics** (:func:`fit_glyphs`). The fill's soft coverage (each pixel projected on the
  fill–surround colour segment) gives, per character of the recognised text, the top and the
  bottom of its ink (sub-pixel, from the partial coverage of the edge rows). The same is
  measured on the text drawn by a candidate family; a robust straight-line fit of the
  observed against the drawn edges gives the size (its slope) and how well the family's
  proportions — cap height, x-height, ascenders, descenders — match (its residual). The
  family with the smallest residual (plus a penalty when its width per character disagrees)
  wins, and the size is its slope: cap and x-height, never the box width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from slideforge.render.spec import BoxSides

RGB = tuple[int, int, int]

#: colours that recovered colours snap to when within SNAP_DE (ΔE2000): white, black and the
#: text colours of TikTok's editor (approximate sRGB values)
PALETTE: tuple[RGB, ...] = (
    (255, 255, 255),
    (0, 0, 0),
    (255, 230, 0),
    (255, 0, 0),
    (234, 64, 63),
    (255, 147, 61),
    (242, 205, 70),
    (120, 194, 94),
    (119, 200, 221),
    (52, 150, 240),
)
SNAP_DE = 3.0
#: k-means clusters and iterations, and the pixels sampled per line
CLUSTERS = 4
ITERATIONS = 10
SAMPLE = 4000
#: a fill candidate is at least this share of the middle rows and at most this share (relative
#: to its inner share) of the box border
MIN_INNER = 0.08
MAX_BORDER_RATIO = 0.35
#: pixels within this ΔE76 of the fill colour are "fill-like"
FILL_DE = 22.0
#: size of the drawn reference text for glyph metrics (px)
DRAW_SIZE = 96
#: central share of each character's advance whose ink is measured
BAND = 0.5
#: weight of the width mismatch in the family score (per unit of log ratio)
WIDTH_WEIGHT = 0.6


# --------------------------------------------------------------------------- colour maths


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab (D65) of sRGB values (..., 3), 0-255."""
    c = np.asarray(rgb, np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps = 216 / 24389
    f = np.where(xyz > eps, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    lab = np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )
    return lab


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of Lab colours (broadcasting, kL = kC = kH = 1)."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, np.float64), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, np.float64), -1, 0)
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    cbar7 = ((c1 + c2) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(cbar7 / (cbar7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbar, cbarp = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hbar = np.where(
        c1p * c2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, hsum / 2 + 180, hsum / 2 - 180)
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(hbar - 30))
        + 0.24 * np.cos(np.radians(2 * hbar))
        + 0.32 * np.cos(np.radians(3 * hbar + 6))
        - 0.20 * np.cos(np.radians(4 * hbar - 63))
    )
    dtheta = 30 * np.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cbarp**7 / (cbarp**7 + 25.0**7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc = 1 + 0.045 * cbarp
    sh = 1 + 0.015 * cbarp * t
    rt = -np.sin(np.radians(2 * dtheta)) * rc
    out: np.ndarray = np.sqrt(
        (dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh)
    )
    return out


def snap(rgb: Sequence[float] | np.ndarray) -> RGB:
    """The palette colour within ``SNAP_DE`` of ``rgb``, else ``rgb`` rounded."""
    lab = srgb_to_lab(np.asarray(rgb, np.float64))
    palette = np.asarray(PALETTE, np.float64)
    de = delta_e2000(srgb_to_lab(palette), lab)
    best = int(np.argmin(de))
    if de[best] <= SNAP_DE:
        return PALETTE[best]
    r, g, b = (int(np.clip(round(float(v)), 0, 255)) for v in rgb[:3])
    return (r, g, b)


def hex_colour(rgb: Sequence[int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(v) for v in rgb[:3]))


def _kmeans(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres and labels of ``points`` (n × 3), initialised on lightness quantiles."""
    # start from the median-lightness point, then repeatedly from a point far from the chosen
    # ones (the 99.5th percentile of the distance, not the single farthest: JPEG outliers)
    order = np.argsort(points[:, 0])
    chosen = [points[order[len(order) // 2]]]
    while len(chosen) < k:
        d = np.min([((points - c) ** 2).sum(-1) for c in chosen], axis=0)
        far = np.flatnonzero(d >= np.percentile(d, 99.5))
        chosen.append(points[far[np.argmin(d[far])]])
    centres = np.asarray(chosen, np.float64)
    labels = np.zeros(len(points), np.intp)
    for _ in range(ITERATIONS):
        d = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        labels = d.argmin(1)
        for j in range(k):
            members = points[labels == j]
            if len(members):
                centres[j] = members.mean(0)
    return centres, labels


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    if radius <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def _erode(mask: np.ndarray, radius: int) -> np.ndarray:
    return ~_dilate(~mask, radius)


# --------------------------------------------------------------------------- colours


@dataclass(frozen=True, slots=True)
class Colours:
    """Colours of a block of text: ``fill`` (the glyphs), ``outline`` (a ring right around
    them, when one is flat and contrasting), ``box`` (the flat colour between the glyphs),
    ``surround`` (the median colour next to the glyphs: outline, box or photo)."""

    fill: RGB
    outline: RGB | None
    box: RGB | None
    surround: RGB
    evidence: dict[str, float]


def line_crop(rgb: np.ndarray, line: BoxSides) -> tuple[np.ndarray, int, int]:
    h, w = rgb.shape[:2]
    x0, y0 = max(0, int(line.x0)), max(0, int(line.y0))
    x1, y1 = min(w, math.ceil(line.x1)), min(h, math.ceil(line.y1))
    return rgb[y0:y1, x0:x1], x0, y0


def _fill_cluster(lab: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float] | None:
    """(Lab centre, confidence) of the text fill in one line crop (Lab image)."""
    bh, bw = lab.shape[:2]
    if bh < 6 or bw < 6:
        return None
    band = lab[bh // 4 : max(bh // 4 + 1, bh * 3 // 4)].reshape(-1, 3)
    if len(band) > SAMPLE:
        band = band[rng.choice(len(band), SAMPLE, replace=False)]
    border = np.concatenate([lab[:2].reshape(-1, 3), lab[-2:].reshape(-1, 3)])
    border = np.concatenate([border, lab[:, :2].reshape(-1, 3), lab[:, -2:].reshape(-1, 3)])
    if len(border) > SAMPLE // 2:
        border = border[rng.choice(len(border), SAMPLE // 2, replace=False)]
    # the border is clustered too, so the photo gets clusters of its own
    centres, labels = _kmeans(np.concatenate([band, border]), CLUSTERS)
    labels, b_labels = labels[: len(band)], labels[len(band) :]
    inner = np.bincount(labels, minlength=CLUSTERS) / len(labels)
    outer = np.bincount(b_labels, minlength=CLUSTERS) / max(1, len(b_labels))
    # a cluster is "text" when common inside and rare on the border
    candidates = [
        j
        for j in range(CLUSTERS)
        if inner[j] >= MIN_INNER and outer[j] <= MAX_BORDER_RATIO * inner[j]
    ]
    if not candidates:
        return None
    if len(candidates) == 1:
        j = candidates[0]
        return centres[j], float(inner[j])
    full = ((lab.reshape(-1, 3)[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    full = full.reshape(bh, bw)
    # the fill is enclosed: just outside it (past the anti-aliased edge) lies the other
    # candidate (its outline or box), while an outline or a box also borders the photo
    enclosed = {}
    for j in candidates:
        mask = full == j
        ring = _dilate(mask, 3) & ~_dilate(mask, 1)
        other = np.isin(full, [c for c in candidates if c != j])
        enclosed[j] = float((ring & other).sum()) / max(1, int(ring.sum()))
    bmed = np.median(border, axis=0)
    contrast = {c: float(np.sqrt(((centres[c] - bmed) ** 2).sum())) for c in candidates}
    # enclosure decides between a fill and its outline; contrast with the border between a
    # fill and a soft shadow (which borders the photo too)
    j = max(candidates, key=lambda c: 2.0 * enclosed[c] + contrast[c] / 100.0)
    return centres[j], float(inner[j])


def block_colours(rgb: np.ndarray, lines: Sequence[BoxSides], size_px: float) -> Colours | None:
    """The colours of a block of lines (slide pixels); ``size_px`` its font size in slide px.
    None when no line shows a text-like cluster."""
    rng = np.random.default_rng(0)
    found: list[tuple[np.ndarray, float]] = []
    crops = []
    for line in lines:
        crop, _x0, _y0 = line_crop(rgb, line)
        if crop.size == 0:
            continue
        lab = srgb_to_lab(crop)
        crops.append((crop, lab))
        hit = _fill_cluster(lab, rng)
        if hit is not None:
            found.append(hit)
    if not found:
        return None
    weights = np.asarray([w for _, w in found])
    centre = (np.asarray([c for c, _ in found]) * weights[:, None]).sum(0) / weights.sum()
    fill_px: list[np.ndarray] = []
    ring_px: list[np.ndarray] = []
    box_px: list[np.ndarray] = []
    stroke = max(1.0, size_px / 11.0)
    for crop, lab in crops:
        de = np.sqrt(((lab - centre) ** 2).sum(-1))
        mask = de < FILL_DE
        core = _erode(mask, 1)
        fill_px.append(crop[core] if core.sum() >= 8 else crop[mask])
        grown = _dilate(mask, 1)
        ring = _dilate(mask, max(2, round(stroke * 0.8))) & ~grown
        ring_px.append(crop[ring])
        cols = np.flatnonzero(mask.any(axis=0))
        bh = crop.shape[0]
        if cols.size:
            between = np.zeros_like(mask)
            between[bh // 4 : max(bh // 4 + 1, bh * 3 // 4), cols[0] : cols[-1] + 1] = True
            box_px.append(crop[between & ~_dilate(mask, max(2, round(stroke)))])
    fill_all = np.concatenate(fill_px) if fill_px else np.zeros((0, 3))
    if len(fill_all) == 0:
        return None
    fill = snap(np.median(fill_all, axis=0))
    fill_lab = srgb_to_lab(np.asarray(fill, np.float64))
    evidence: dict[str, float] = {"fill_pixels": float(len(fill_all))}
    outline: RGB | None = None
    ring_all = np.concatenate(ring_px) if ring_px else np.zeros((0, 3))
    surround: RGB = (128, 128, 128)
    if len(ring_all):
        ring_lab = srgb_to_lab(ring_all)
        med = np.median(ring_lab, axis=0)
        spread = float(np.median(np.sqrt(((ring_lab - med) ** 2).sum(-1))))
        contrast = float(delta_e2000(med, fill_lab))
        evidence["ring_spread"] = round(spread, 2)
        evidence["ring_contrast"] = round(contrast, 2)
        surround = snap(np.median(ring_all, axis=0))
        if spread < 12 and contrast > 25:
            outline = surround
    box: RGB | None = None
    box_all = np.concatenate(box_px) if box_px else np.zeros((0, 3))
    if len(box_all) >= 16:
        box_lab = srgb_to_lab(box_all)
        med = np.median(box_lab, axis=0)
        spread = float(np.median(np.sqrt(((box_lab - med) ** 2).sum(-1))))
        evidence["box_spread"] = round(spread, 2)
        if spread < 6 and float(delta_e2000(med, fill_lab)) > 25:
            box = snap(np.median(box_all, axis=0))
    return Colours(fill, outline, box, surround, evidence)


def fill_like(rgb: np.ndarray, fill: RGB, de: float = FILL_DE) -> np.ndarray:
    """Pixels of ``rgb`` (H × W × 3) within ΔE76 ``de`` of ``fill``."""
    lab = srgb_to_lab(rgb)
    target = srgb_to_lab(np.asarray(fill, np.float64))
    out: np.ndarray = ((lab - target) ** 2).sum(-1) < de * de
    return out


# --------------------------------------------------------------------------- glyph metrics


def coverage(crop: np.ndarray, fill: RGB, other: RGB) -> np.ndarray:
    """Soft coverage (0..1) of the fill in ``crop``: each pixel projected on the segment from
    ``other`` (what the fill's edges are blended with) to ``fill``, in sRGB."""
    f = np.asarray(fill, np.float64)
    o = np.asarray(other, np.float64)
    d = f - o
    norm = float(d @ d)
    if norm < 1e-6:
        return np.zeros(crop.shape[:2])
    alpha = ((crop.astype(np.float64) - o) @ d) / norm
    # pixels far from the segment (photo colours) are not fill
    resid = np.sqrt(np.maximum(0.0, ((crop.astype(np.float64) - o) ** 2).sum(-1) - alpha**2 * norm))
    alpha = np.where(resid > 0.35 * math.sqrt(norm), np.minimum(alpha, 0.0), alpha)
    alpha = np.clip(alpha, 0.0, 1.0)
    # only the fill's own edges: pixels next to surely-fill pixels (a light photo beyond an
    # outline, or grey photo pixels on the white-black segment, are not ink)
    sure = alpha >= 0.85
    out: np.ndarray = np.where(_dilate(sure, 1), alpha, 0.0)
    return out


def _edges(cov: np.ndarray, lo: int, hi: int) -> tuple[float, float] | None:
    """Sub-pixel top and bottom of the ink in columns ``lo:hi`` of a coverage image: the
    first/last row at least half covered, moved out by the coverage of the row beyond."""
    band = cov[:, lo:hi]
    if band.size == 0:
        return None
    tops, bottoms = [], []
    for col in band.T:
        rows = np.flatnonzero(col >= 0.5)
        if rows.size == 0:
            continue
        r0, r1 = int(rows[0]), int(rows[-1])
        above = float(col[r0 - 1]) if r0 > 0 else 0.0
        below = float(col[r1 + 1]) if r1 + 1 < col.size else 0.0
        tops.append(r0 - min(above, 0.5) + (1 - float(col[r0])) * 0.0)
        bottoms.append(r1 + 1 + min(below, 0.5))
    if len(tops) < 1:
        return None
    return float(np.percentile(tops, 10)), float(np.percentile(bottoms, 90))


@lru_cache(maxsize=256)
def _drawn(text: str, family: str) -> tuple[np.ndarray, tuple[float, ...]]:
    """``text`` drawn in ``family`` at ``DRAW_SIZE`` (coverage 0..1) and the x of each
    character's advance edges (len(text) + 1 values), baseline at row ``DRAW_SIZE``."""
    from slideforge.render.text import font_for_preview

    font = font_for_preview(family, DRAW_SIZE)
    width = math.ceil(font.getlength(text)) + DRAW_SIZE
    image = Image.new("L", (width, 2 * DRAW_SIZE), 0)
    x0 = DRAW_SIZE / 2
    ImageDraw.Draw(image).text((x0, DRAW_SIZE * 1.4), text, font=font, fill=255, anchor="ls")
    edges = tuple(x0 + float(font.getlength(text[:i])) for i in range(len(text) + 1))
    return np.asarray(image, np.float64) / 255.0, edges


@dataclass(frozen=True, slots=True)
class GlyphFit:
    family: str
    size: float  # px of the slide
    residual: float  # robust RMS of the fit, in font sizes
    width_ratio: float  # observed ink width / drawn ink width at that size
    points: int

    @property
    def score(self) -> float:
        return self.residual + WIDTH_WEIGHT * abs(math.log(max(1e-6, self.width_ratio)))


def _ink_span(cov: np.ndarray) -> tuple[float, float] | None:
    cols = np.flatnonzero((cov >= 0.5).any(axis=0))
    if cols.size < 2:
        return None
    return float(cols[0]), float(cols[-1] + 1)


def measure_line(
    cov: np.ndarray, text: str, family: str
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Paired (observed, drawn) ink edges of each character of ``text`` in a coverage crop,
    and the ratio of the observed to the drawn ink width. None without enough ink."""
    drawn, edges = _drawn(text, family)
    span_o, span_d = _ink_span(cov), _ink_span(drawn)
    if span_o is None or span_d is None:
        return None
    scale = (span_o[1] - span_o[0]) / max(1.0, span_d[1] - span_d[0])
    observed: list[float] = []
    reference: list[float] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        a, b = edges[i], edges[i + 1]
        mid, half = (a + b) / 2, (b - a) * BAND / 2
        if half < 1:
            continue
        d = _edges(drawn, round(mid - half), round(mid + half) + 1)
        oa = span_o[0] + (mid - half - span_d[0]) * scale
        ob = span_o[0] + (mid + half - span_d[0]) * scale
        o = _edges(cov, max(0, round(oa)), max(0, round(ob)) + 1)
        if d is None or o is None:
            continue
        observed.extend(o)
        reference.extend(d)
    if len(observed) < 4:
        return None
    return np.asarray(observed), np.asarray(reference), scale


def _robust_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Slope, intercept and residuals of y ≈ a + b x, refitted without outliers twice."""
    keep = np.ones(len(x), bool)
    b, a = 1.0, 0.0
    for _ in range(3):
        if keep.sum() < 3:
            break
        b, a = np.polyfit(x[keep], y[keep], 1)
        resid = y - (a + b * x)
        mad = float(np.median(np.abs(resid[keep]))) + 0.25
        keep = np.abs(resid) <= 3.0 * mad
    return float(b), float(a), (y - (a + b * x))[keep]


def fit_glyphs(covs: Sequence[tuple[np.ndarray, str]], families: Sequence[str]) -> list[GlyphFit]:
    """For each family, the size and the quality of the fit of its glyph edges to the observed
    ones, over a block's lines (``covs``: coverage crop and text per line); best first."""
    fits = []
    for family in families:
        slopes, resids, widths, points = [], [], [], 0
        for cov, text in covs:
            pair = measure_line(cov, text, family)
            if pair is None:
                continue
            observed, reference, width = pair
            b, _a, resid = _robust_line(reference, observed)
            if b <= 0:
                continue
            slopes.append((b, len(observed)))
            resids.append(resid / (b * DRAW_SIZE))
            widths.append(width / b)
            points += len(observed)
        if not slopes:
            continue
        total = sum(n for _, n in slopes)
        slope = sum(b * n for b, n in slopes) / total
        residual = float(np.sqrt(np.mean(np.concatenate(resids) ** 2)))
        fits.append(GlyphFit(family, slope * DRAW_SIZE, residual, float(np.median(widths)), points))
    fits.sort(key=lambda f: f.score)
    return fits
