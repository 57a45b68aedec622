"""``slideforge render slide`` / ``fonts`` through Typer's test runner."""

from __future__ import annotations

import json

from PIL import Image
from typer.testing import CliRunner

from slideforge.render.cli import render_app
from tests.render.cases import logo_png, photo_jpeg

runner = CliRunner()


def test_renders_a_spec_file_and_prints_checks(tmp_path):
    (tmp_path / "bg.jpg").write_bytes(photo_jpeg())
    (tmp_path / "logo.png").write_bytes(logo_png())
    spec = {
        "aspect_ratio": "4:5",
        "image_url": "bg.jpg",
        "background_filters": {
            "brightness": 0.9,
            "contrast": 1,
            "saturation": 1,
            "hue": 0,
            "blur": 0,
            "grayscale": 0,
            "sepia": 0,
            "invert": 0,
            "drop_shadow": 0,
            "opacity": 1,
        },
        "image_overlays": [{"image_url": "logo.png", "x": 80, "y": 15, "width": 20, "id": "logo"}],
        "text_elements": [
            {"content": "Hello from the CLI", "x": 50, "y": 95, "id": "t1", "font_size": 56},
            {"content": "boxed", "style_preset": "inverted", "y": 40, "editable": True},
        ],
    }
    (tmp_path / "slide.json").write_text(json.dumps(spec))
    out = tmp_path / "out" / "slide.jpg"
    result = runner.invoke(
        render_app, ["slide", str(tmp_path / "slide.json"), "-o", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["width"] == 1080 and data["height"] == 1350
    assert any(c["kind"] == "ui_zone" and c["element_id"] == "t1" for c in data["checks"])
    assert [f["used_size"] for f in data["text_fits"]] == [56, 48]
    with Image.open(out) as img:
        assert img.size == (1080, 1350)

    table = runner.invoke(render_app, ["slide", str(tmp_path / "slide.json"), "-o", str(out)])
    assert table.exit_code == 0 and "checks" in table.output and "ui_zone" in table.output


def test_bad_image_exits_with_the_input_named(tmp_path):
    (tmp_path / "bg.jpg").write_bytes(b"garbage")
    (tmp_path / "slide.json").write_text(json.dumps({"background": "bg.jpg", "text_elements": []}))
    result = runner.invoke(render_app, ["slide", str(tmp_path / "slide.json")])
    assert result.exit_code == 2
    assert "background" in result.output


def test_missing_file_is_a_usage_error(tmp_path):
    (tmp_path / "slide.json").write_text(json.dumps({"background": "nope.jpg"}))
    result = runner.invoke(
        render_app, ["slide", str(tmp_path / "slide.json")], env={"COLUMNS": "400"}
    )
    assert result.exit_code != 0 and "nope.jpg" in result.output


def test_fonts_command_lists_every_family():
    result = runner.invoke(render_app, ["fonts"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for family in ("TikTok Display", "Times New Roman", "Bebas Neue", "Tinos"):
        assert family in result.output
