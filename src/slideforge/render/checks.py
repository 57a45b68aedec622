"""Measured checks on a rendered slide: text outside the canvas, text under TikTok's
interface, and the contrast of each text element with what is actually behind it.

TikTok's interface zones are defined on the 9:16 phone screen (percent of its width and
height, measured on 1080×1920 screenshots of the For You feed):

- ``top_bar``: 0–8 % of the height, full width ("Following | For You", live, search).
- ``right_actions``: 86–100 % of the width, 36–83 % of the height (avatar, like, comment,
  save, share, sound disc).
- ``caption``: 78–100 % of the height, full width (user name, caption, sound, navigation).

TikTok shows a 4:5 or 1:1 photo fitted to the screen width and centred vertically, so for
those ratios the same screen zones are projected onto the photo: the part of each zone that
covers the photo, in the photo's own pixels. A 4:5 photo (1080×1350) then has no top-bar zone,
a caption zone from y 1213 px and the action column from y 406 to 1309 px; a 1:1 photo has
only the action column (from y 271 px) and a 2 px caption strip.
"""

from __future__ import annotations

from dataclasses import dataclass

from slideforge.render.colors import contrast_ratio, over, relative_luminance
from slideforge.render.spec import Box, Check, Severity
from slideforge.render.text import DrawnText

#: zone name -> (x0, y0, x1, y1) in percent of a 9:16 screen
SCREEN_ZONES: dict[str, tuple[float, float, float, float]] = {
    "top_bar": (0.0, 0.0, 100.0, 8.0),
    "right_actions": (86.0, 36.0, 100.0, 83.0),
    "caption": (0.0, 78.0, 100.0, 100.0),
}
ZONE_LABELS = {
    "top_bar": "TikTok's top bar",
    "right_actions": "TikTok's action buttons (right column)",
    "caption": "TikTok's caption area (bottom)",
}
#: a text box overlapping a zone by at least this share of its area is flagged
ZONE_MIN_OVERLAP = 0.01
#: WCAG threshold for large text
MIN_CONTRAST = 3.0
#: below this the text is practically invisible
BAD_CONTRAST = 1.5
#: share of glyph pixels on a background of too little contrast that is flagged
MAX_LOW_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    box: Box


def ui_zones(width: int, height: int) -> list[Zone]:
    """The interface zones projected onto a ``width`` × ``height`` slide."""
    screen_w = float(width)
    screen_h = screen_w * 16 / 9
    offset = (screen_h - height) / 2  # slide's top on the screen (0 for 9:16)
    out = []
    slide = Box(0, 0, width, height)
    for name, (x0, y0, x1, y1) in SCREEN_ZONES.items():
        on_screen = Box(
            x0 / 100 * screen_w,
            y0 / 100 * screen_h - offset,
            x1 / 100 * screen_w,
            y1 / 100 * screen_h - offset,
        )
        inside = on_screen.intersect(slide)
        if inside is not None:
            out.append(Zone(name, inside))
    return out


def _text_box(drawn: DrawnText) -> Box:
    pub = drawn.layout.public
    s = pub.stroke_width
    return Box(pub.box.x0 - s, pub.box.y0 - s, pub.box.x1 + s, pub.box.y1 + s)


def outside_check(drawn: DrawnText, width: int, height: int) -> Check | None:
    pub = drawn.layout.public
    if not pub.lines:
        return None
    box = _text_box(drawn)
    over_px = {
        "left": max(0.0, -box.x0),
        "top": max(0.0, -box.y0),
        "right": max(0.0, box.x1 - width),
        "bottom": max(0.0, box.y1 - height),
    }
    if max(over_px.values()) < 1:
        return None
    inside = box.intersect(Box(0, 0, width, height))
    visible = inside.area / box.area if inside is not None and box.area else 0.0
    sides = ", ".join(f"{k} by {v:.0f} px" for k, v in over_px.items() if v >= 1)
    return Check(
        kind="outside_canvas",
        severity="error" if visible < 0.5 else "warning",
        message=f"text runs off the slide ({sides}); {visible:.0%} of it is visible",
        element_id=pub.element_id,
        element_index=drawn.layout.fit.index,
        numbers={
            **{f"overflow_{k}": round(v, 1) for k, v in over_px.items()},
            "visible_share": round(visible, 3),
        },
    )


def zone_checks(drawn: DrawnText, width: int, height: int) -> list[Check]:
    pub = drawn.layout.public
    if not pub.lines:
        return []
    box = _text_box(drawn)
    out = []
    for zone in ui_zones(width, height):
        hit = box.intersect(zone.box)
        if hit is None or box.area <= 0:
            continue
        share = hit.area / box.area
        if share < ZONE_MIN_OVERLAP:
            continue
        out.append(
            Check(
                kind="ui_zone",
                severity="warning",
                message=f"{share:.0%} of the text sits under {ZONE_LABELS[zone.name]}",
                element_id=pub.element_id,
                element_index=drawn.layout.fit.index,
                numbers={
                    f"zone_{zone.name}": 1.0,
                    "overlap_share": round(share, 3),
                    "zone_x0": round(zone.box.x0, 1),
                    "zone_y0": round(zone.box.y0, 1),
                    "zone_x1": round(zone.box.x1, 1),
                    "zone_y1": round(zone.box.y1, 1),
                },
            )
        )
    return out


def contrast_check(drawn: DrawnText) -> Check | None:
    """Contrast of the text fill with what surrounds the glyphs.

    The background is the median luminance of the slide under the glyphs (before the text was
    drawn). Presets that draw their own backdrop are measured against it instead: ``tiktok``
    against its outline colour, ``inverted`` against its line boxes, ``snapchat`` against its
    bar composited over the background, an explicit ``background_color`` against that box."""
    laid = drawn.layout
    if drawn.background_luminance is None or drawn.effective_background is None:
        return None
    style = laid.style
    fill_l = relative_luminance(style.fill[:3])
    bg_l = drawn.background_luminance
    raw_ratio = contrast_ratio(fill_l, bg_l)
    against = "background"
    backdrop_l = bg_l
    behind = drawn.effective_background
    if style.stroke is not None and laid.public.stroke_width >= 1:
        against, backdrop_l = "outline", relative_luminance(style.stroke[:3])
    elif style.line_box is not None:
        against, backdrop_l = "line box", relative_luminance(over(style.line_box, behind))
    elif style.bar is not None:
        against, backdrop_l = "bar", relative_luminance(over(style.bar, behind))
    elif style.block_box is not None:
        against, backdrop_l = "text box", relative_luminance(over(style.block_box, behind))
    ratio = contrast_ratio(fill_l, backdrop_l)
    low_share = drawn.low_contrast_share if against == "background" else 0.0
    low_share = low_share or 0.0
    severity: Severity
    if ratio < BAD_CONTRAST:
        severity = "error"
    elif ratio < MIN_CONTRAST or low_share > MAX_LOW_SHARE:
        severity = "warning"
    else:
        severity = "info"
    if severity == "info":
        message = f"contrast {ratio:.1f}:1 against the {against}"
    elif ratio < MIN_CONTRAST:
        message = (
            f"low contrast {ratio:.1f}:1 against the {against} (at least {MIN_CONTRAST:g}:1 "
            "needed for large text); pick the tiktok or inverted preset or another colour"
        )
    else:
        message = (
            f"{low_share:.0%} of the glyphs sit on a background of contrast under "
            f"{MIN_CONTRAST:g}:1 (median {ratio:.1f}:1): busy background"
        )
    return Check(
        kind="contrast",
        severity=severity,
        message=message,
        element_id=laid.public.element_id,
        element_index=laid.fit.index,
        numbers={
            "contrast_ratio": round(ratio, 2),
            "background_contrast_ratio": round(raw_ratio, 2),
            "text_luminance": round(fill_l, 4),
            "background_luminance": round(bg_l, 4),
            "low_contrast_share": round(drawn.low_contrast_share or 0.0, 3),
            "glyph_pixels": float(drawn.glyph_pixels),
        },
    )


def shrink_check(drawn: DrawnText) -> Check | None:
    fit = drawn.layout.fit
    if not fit.shrunk:
        return None
    return Check(
        kind="shrunk",
        severity="info",
        message=(
            f"font size reduced from {fit.requested_size:g} to {fit.used_size} px to fit "
            f"({fit.reason})"
        ),
        element_id=fit.element_id,
        element_index=fit.index,
        numbers={"requested_size": fit.requested_size, "used_size": float(fit.used_size)},
    )


def slide_checks(drawn: list[DrawnText], width: int, height: int) -> list[Check]:
    out: list[Check] = []
    for d in drawn:
        for check in (outside_check(d, width, height), shrink_check(d), contrast_check(d)):
            if check is not None:
                out.append(check)
        out.extend(zone_checks(d, width, height))
    return out
