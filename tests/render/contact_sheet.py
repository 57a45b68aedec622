"""Render every golden case; write a labelled contact sheet (and full-size PNGs) for a person
to look at, and optionally regenerate the goldens.

    .venv/bin/python -m tests.render.contact_sheet                  # _out/contact_sheet.png
    .venv/bin/python -m tests.render.contact_sheet --update-goldens # also rewrite golden/*.png
    .venv/bin/python -m tests.render.contact_sheet preset_tiktok    # only some cases
"""

from __future__ import annotations

import argparse
import sys

from PIL import Image, ImageDraw

from slideforge.render import compose_slide
from slideforge.render.text import font_for_preview
from tests.render.cases import CASES, GOLDEN_DIR, OUT_DIR, downscale, golden_path

TILE_W = 270
LABEL_H = 34
COLUMNS = 6


def build_sheet(images: list[tuple[str, Image.Image | None, str]]) -> Image.Image:
    rows = (len(images) + COLUMNS - 1) // COLUMNS
    tile_h = 480 + LABEL_H
    sheet = Image.new(
        "RGB", (COLUMNS * (TILE_W + 10) + 10, rows * (tile_h + 10) + 10), (28, 28, 30)
    )
    draw = ImageDraw.Draw(sheet)
    font = font_for_preview("Inter", 20)
    small = font_for_preview("Inter", 14)
    for i, (name, img, note) in enumerate(images):
        x = 10 + (i % COLUMNS) * (TILE_W + 10)
        y = 10 + (i // COLUMNS) * (tile_h + 10)
        draw.text((x + 4, y + 4), name, font=font, fill=(240, 240, 240))
        if img is None:
            draw.rectangle(
                (x, y + LABEL_H, x + TILE_W - 1, y + LABEL_H + 479), outline=(120, 120, 120)
            )
            draw.text((x + 8, y + LABEL_H + 8), note, font=small, fill=(250, 180, 80))
            continue
        tile = img.copy()
        tile.thumbnail((TILE_W, 480), Image.Resampling.LANCZOS)
        sheet.paste(tile, (x + (TILE_W - tile.width) // 2, y + LABEL_H))
        if note:
            draw.text(
                (x + 4, y + LABEL_H + tile.height - 20), note, font=small, fill=(250, 180, 80)
            )
    return sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--update-goldens", action="store_true", help="rewrite golden/*.png")
    args = parser.parse_args(argv)
    wanted = set(args.cases)
    unknown = wanted - {c.name for c in CASES}
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    (OUT_DIR / "cases").mkdir(parents=True, exist_ok=True)
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    images: list[tuple[str, Image.Image | None, str]] = []
    for case in CASES:
        if wanted and case.name not in wanted:
            continue
        missing = case.missing_requirement()
        if missing:
            images.append((case.name, None, f"skipped: {missing}"))
            continue
        composed = compose_slide(case.build())
        composed.image.save(OUT_DIR / "cases" / golden_path(case.name).name, compress_level=1)
        notes = [c.kind for c in composed.checks if c.severity != "info"]
        shrunk = [f for f in composed.text_fits if f.shrunk]
        if shrunk:
            notes.append(
                "shrunk " + ",".join(f"{f.requested_size:g}->{f.used_size}" for f in shrunk)
            )
        if composed.warnings:
            notes.append("warn " + ",".join(w.code for w in composed.warnings))
        images.append((case.name, composed.image, "; ".join(notes)))
        if args.update_goldens:
            downscale(composed.image).save(golden_path(case.name), optimize=True)
    sheet = build_sheet(images)
    target = OUT_DIR / "contact_sheet.png"
    sheet.save(target)
    print(f"wrote {target} ({len(images)} cases)")
    if args.update_goldens:
        print(f"goldens written to {GOLDEN_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
