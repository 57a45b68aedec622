"""``slideforge render …``: render a slide described in a JSON file, list the fonts.

The JSON file uses the contract's slide fields, with file paths (relative to the JSON file)
where the API has URLs::

    {
      "aspect_ratio": "9:16",
      "background": "photo.jpg",            // or "image_url"
      "grid_type": "2x2", "grid_images": ["a.jpg", "b.jpg", "c.jpg", "d.jpg"],
      "background_filters": {"brightness": 0.8, "blur": 4},
      "image_overlays": [{"image": "logo.png", "x": 80, "y": 10, "width": 20}],
      "text_elements": [{"content": "Hello", "x": 50, "y": 30, "style_preset": "tiktok"}]
    }
"""

from __future__ import annotations

import json
import time
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from slideforge.render import fonts
from slideforge.render.engine import render_slide
from slideforge.render.spec import (
    BackgroundFilters,
    ImageOverlaySpec,
    RenderInputError,
    SlideSpec,
    TextElementSpec,
)

render_app = typer.Typer(
    name="render",
    help="Render slides with the built-in engine; list its fonts.",
    no_args_is_help=True,
)
console = Console()


def _read(base: Path, value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise typer.BadParameter(f"{what}: expected a file path")
    path = Path(value)
    if not path.is_absolute():
        path = base / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"{what}: cannot read {path}: {exc.strerror}") from exc


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names and v is not None}


def spec_from_json(data: dict[str, Any], base: Path) -> SlideSpec:
    """A :class:`SlideSpec` from the JSON described in this module's docstring."""
    background_ref = data.get("background") or data.get("image_url")
    background = _read(base, background_ref, "background") if background_ref else None
    grid_images = [
        _read(base, ref, f"grid_images[{i}]") for i, ref in enumerate(data.get("grid_images") or [])
    ]
    filters_data = data.get("background_filters")
    filters = BackgroundFilters(**_pick(BackgroundFilters, filters_data)) if filters_data else None
    overlays = []
    for i, item in enumerate(data.get("image_overlays") or []):
        ref = item.get("image") or item.get("image_url")
        values = _pick(ImageOverlaySpec, {k: v for k, v in item.items() if k != "image"})
        overlays.append(ImageOverlaySpec(image=_read(base, ref, f"image_overlays[{i}]"), **values))
    texts = []
    for item in data.get("text_elements") or []:
        values = _pick(TextElementSpec, item)
        if "content" not in values:
            raise typer.BadParameter("text_elements: every element needs a content")
        texts.append(TextElementSpec(**values))
    return SlideSpec(
        aspect_ratio=str(data.get("aspect_ratio") or "9:16"),
        background=background,
        grid_type=data.get("grid_type"),
        grid_images=grid_images,
        background_filters=filters,
        image_overlays=overlays,
        text_elements=texts,
        background_color=str(data.get("background_color") or "#000000"),
    )


@render_app.command("slide")
def slide_command(
    spec_file: Annotated[
        Path, typer.Argument(help="slide spec JSON file", exists=True, dir_okay=False)
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JPEG to write (default: beside the spec)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Render SPEC_FILE to a JPEG and print the checks."""
    try:
        data = json.loads(spec_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"{spec_file}: {exc}") from exc
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{spec_file}: expected a JSON object")
    spec = spec_from_json(data, spec_file.resolve().parent)
    started = time.perf_counter()
    try:
        result = render_slide(spec)
    except RenderInputError as exc:
        console.print(f"[red]cannot render:[/red] {exc}")
        raise typer.Exit(2) from exc
    elapsed = (time.perf_counter() - started) * 1000
    target = output or spec_file.with_suffix(".jpg")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(result.jpeg)
    if json_out:
        print(
            json.dumps(
                {
                    "output": str(target),
                    "width": result.width,
                    "height": result.height,
                    "bytes": len(result.jpeg),
                    "checks": [
                        {
                            "kind": c.kind,
                            "severity": c.severity,
                            "element_id": c.element_id,
                            "element_index": c.element_index,
                            "message": c.message,
                            "numbers": c.numbers,
                        }
                        for c in result.checks
                    ],
                    "text_fits": [
                        {
                            "element_id": f.element_id,
                            "requested_size": f.requested_size,
                            "used_size": f.used_size,
                            "shrunk": f.shrunk,
                            "lines": list(f.lines),
                        }
                        for f in result.text_fits
                    ],
                    "warnings": [{"code": w.code, "message": w.message} for w in result.warnings],
                },
                indent=2,
            )
        )
        return
    console.print(
        f"wrote [bold]{target}[/bold]: {result.width}x{result.height}, "
        f"{len(result.jpeg) / 1024:.0f} KiB, q{result.jpeg_quality}, {elapsed:.0f} ms"
    )
    table = Table(title="checks")
    for col in ("element", "kind", "severity", "message"):
        table.add_column(col)
    colours = {"error": "red", "warning": "yellow", "info": "green"}
    for c in result.checks:
        element = c.element_id or (str(c.element_index) if c.element_index is not None else "")
        table.add_row(element, c.kind, f"[{colours[c.severity]}]{c.severity}[/]", c.message)
    console.print(table)
    for f in result.text_fits:
        note = f" (shrunk from {f.requested_size:g})" if f.shrunk else ""
        console.print(f"text {f.element_id or f.index}: {f.used_size} px{note}: {list(f.lines)}")
    for w in result.warnings:
        console.print(f"[yellow]warning[/yellow] {w.code}: {w.message}")


@render_app.command("fonts")
def fonts_command() -> None:
    """List the font families, the face each renders with, and the system fonts found."""
    table = Table(title="font families")
    for col in ("family", "face", "weight", "licence", "KiB", "scripts"):
        table.add_column(col)
    for row in fonts.font_inventory():
        face = row["substitute"] or row["face"]
        table.add_row(
            row["family"],
            face,
            str(row["weight"]),
            row["license"],
            f"{row['bytes'] / 1024:.0f}",
            ", ".join(row["scripts"]),
        )
    console.print(table)
    cjk = fonts.cjk_source()
    console.print(f"CJK font: {cjk.path if cjk else '[yellow]none (install fonts-noto-cjk)[/]'}")
    emoji = fonts.emoji_font()
    emoji_path = str(emoji.path) if emoji is not None and isinstance(emoji.path, str) else None
    console.print(
        f"colour emoji: {emoji_path or '[yellow]none (install fonts-noto-color-emoji)[/]'}"
    )
    console.print(
        "complex scripts (raqm): "
        + ("yes" if fonts.raqm_available() else "[red]no — install libfribidi0[/]")
    )
