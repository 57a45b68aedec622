"""Backgrounds, grids, overlays, filters, EXIF orientation, JPEG output and bad inputs."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from slideforge.render import engine, filters, render_slide
from slideforge.render.engine import compose_slide, grid_cells
from slideforge.render.images import load_cover
from slideforge.render.spec import (
    BackgroundFilters,
    ImageOverlaySpec,
    RenderInputError,
    SlideSpec,
)
from tests.render.cases import (
    encode,
    flat_png,
    gradient_jpeg,
    oriented_jpeg,
    photo_array,
    photo_jpeg,
)


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header announcing a huge image, with almost no data (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _pixel(img, x, y):
    return np.asarray(img)[y, x].astype(int)


# ---------------------------------------------------------------- inputs that cannot render


def test_decompression_bomb_raises_render_input_error():
    with pytest.raises(RenderInputError) as err:
        render_slide(SlideSpec(background=_png_header_only(30000, 30000)))
    assert err.value.input_name == "background"
    assert "bomb" in str(err.value)


def test_pixel_cap_is_checked_before_decoding():
    with pytest.raises(RenderInputError, match="over the limit of 100000"):
        render_slide(SlideSpec(background=photo_jpeg()), max_pixels=100_000)


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (SlideSpec(background=b"not an image at all"), "background"),
        (SlideSpec(background=photo_jpeg()[:3000]), "background"),
        (
            SlideSpec(grid_type="2x2", grid_images=[flat_png((1, 2, 3)), b"\x89PNG broken"]),
            "grid_images[1]",
        ),
        (SlideSpec(image_overlays=[ImageOverlaySpec(b"")]), "image_overlays[0]"),
    ],
)
def test_broken_inputs_name_the_input(spec, name):
    with pytest.raises(RenderInputError) as err:
        render_slide(spec)
    assert err.value.input_name == name
    assert str(err.value).startswith(name + ":")


def test_heic_is_refused_with_a_clear_message():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(RenderInputError, match="HEIC"):
        render_slide(SlideSpec(background=heic))


def test_unknown_aspect_ratio():
    with pytest.raises(RenderInputError) as err:
        render_slide(SlideSpec(aspect_ratio="16:9"))
    assert err.value.input_name == "aspect_ratio"


# ---------------------------------------------------------------- background fitting


@pytest.mark.parametrize(
    ("aspect", "size"), [("9:16", (1080, 1920)), ("4:5", (1080, 1350)), ("1:1", (1080, 1080))]
)
def test_canvas_sizes(aspect, size):
    out = render_slide(SlideSpec(aspect_ratio=aspect, background=photo_jpeg()))
    assert (out.width, out.height) == size
    with Image.open(io.BytesIO(out.jpeg)) as img:
        assert img.size == size and img.format == "JPEG"
        assert not img.info.get("progressive") and not img.info.get("progression")


def test_cover_fit_crops_the_centre():
    # 3 vertical bands: red | green | blue, 3000x1000: a 9:16 crop sees only green
    arr = np.zeros((1000, 3000, 3), np.uint8)
    arr[:, :1000] = (255, 0, 0)
    arr[:, 1000:2000] = (0, 255, 0)
    arr[:, 2000:] = (0, 0, 255)
    img = load_cover(encode(arr, "PNG"), "background", (1080, 1920), 10**8)
    assert img.size == (1080, 1920)
    px = np.asarray(img)
    assert px[:, 5:-5, 1].min() > 240 and px[:, 5:-5, 0].max() < 15


def test_large_jpeg_uses_draft_and_keeps_the_exact_size(monkeypatch):
    from PIL import JpegImagePlugin

    requested = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        requested.append(size)
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    small = Image.open(io.BytesIO(photo_jpeg(900, 1200, 2)))
    big_img = small.resize((3000, 4000), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    big_img.save(buf, "JPEG", quality=85)
    big = buf.getvalue()
    img = load_cover(big, "background", (1080, 1920), 64_000_000)
    assert img.size == (1080, 1920) and img.mode == "RGB"
    assert requested == [(1440, 1920)]  # the cover size: libjpeg decodes at 1/2 (1500x2000)
    # same picture as a full decode + Lanczos cover fit (mean difference small)
    with Image.open(io.BytesIO(big)) as full:
        ref = full.convert("RGB").resize(
            (1080, 1920), Image.Resampling.LANCZOS, box=(375, 0, 2625, 4000)
        )
    diff = np.abs(np.asarray(img, np.int16) - np.asarray(ref, np.int16)).mean()
    assert diff < 2.5


def test_exif_orientation_is_honoured():
    img = compose_slide(SlideSpec(background=oriented_jpeg())).image
    top, bottom = _pixel(img, 540, 40), _pixel(img, 540, 1880)
    assert top[0] > 200 and top[2] < 60, top  # red band on top
    assert bottom[2] > 200 and bottom[0] < 60, bottom  # blue band at the bottom


def test_transparent_png_background_uses_the_background_colour():
    rgba = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    img = compose_slide(SlideSpec(background=buf.getvalue(), background_color="#336699")).image
    assert tuple(_pixel(img, 500, 500)) == (0x33, 0x66, 0x99)


def test_no_background_renders_the_colour():
    img = compose_slide(SlideSpec(background_color="#ff8000")).image
    assert tuple(_pixel(img, 10, 10)) == (255, 128, 0)


# ---------------------------------------------------------------- grids


@pytest.mark.parametrize(
    ("grid", "count", "cells"),
    [("2x2", 4, 4), ("1+2", 3, 3), ("vertical", 3, 3), ("horizontal", 2, 2)],
)
def test_grid_cells_tile_the_slide(grid, count, cells):
    boxes = grid_cells(grid, count, 1080, 1920)
    assert len(boxes) == cells
    assert sum(b.area for b in boxes) == 1080 * 1920
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a.intersect(b) is None


def test_grid_cells_show_their_own_images():
    colours = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (250, 250, 0)]
    spec = SlideSpec(grid_type="2x2", grid_images=[flat_png(c) for c in colours])
    img = compose_slide(spec).image
    centres = [(270, 480), (810, 480), (270, 1440), (810, 1440)]
    for (x, y), colour in zip(centres, colours, strict=True):
        assert np.abs(_pixel(img, x, y) - colour).max() <= 2


def test_one_plus_two_grid_puts_the_first_image_on_top():
    spec = SlideSpec(
        grid_type="1+2",
        grid_images=[flat_png((255, 0, 0)), flat_png((0, 255, 0)), flat_png((0, 0, 255))],
    )
    img = compose_slide(spec).image
    assert _pixel(img, 100, 300)[0] > 250 and _pixel(img, 1000, 300)[0] > 250
    assert _pixel(img, 100, 1500)[1] > 250 and _pixel(img, 1000, 1500)[2] > 250


def test_unknown_grid_type_warns_and_uses_one_image():
    out = render_slide(
        SlideSpec(
            grid_type="3x3", grid_images=[gradient_jpeg(300, 300, 1)], background=photo_jpeg()
        )
    )
    assert any(w.code == "unknown_grid" for w in out.warnings)


# ---------------------------------------------------------------- overlays


def test_overlay_position_size_and_opacity():
    red = flat_png((255, 0, 0), 200, 100)
    spec = SlideSpec(
        background_color="#000000",
        image_overlays=[
            ImageOverlaySpec(red, x=25, y=25, width=20),
            ImageOverlaySpec(red, x=75, y=75, width=20, opacity=0.5),
        ],
    )
    img = compose_slide(spec).image
    assert tuple(_pixel(img, 270, 480)) == (255, 0, 0)
    # 20 % of 1080 = 216 px wide, 108 px tall (aspect kept)
    assert _pixel(img, 270 - 100, 480)[0] == 255 and _pixel(img, 270 - 116, 480)[0] == 0
    assert _pixel(img, 270, 480 - 50)[0] == 255 and _pixel(img, 270, 480 - 60)[0] == 0
    assert abs(_pixel(img, 810, 1440)[0] - 128) <= 2


def test_overlay_rotation_turns_clockwise():
    wide = flat_png((0, 255, 0), 400, 100)
    spec = SlideSpec(image_overlays=[ImageOverlaySpec(wide, x=50, y=50, width=40, rotation=90)])
    img = compose_slide(spec).image
    # after a quarter turn the bar is tall: 432 px high, 108 px wide
    assert _pixel(img, 540, 960 - 200)[1] > 200 and _pixel(img, 540 + 200, 960)[1] < 10


def test_overlay_height_box_contains_the_image():
    square = flat_png((0, 0, 255), 100, 100)
    spec = SlideSpec(image_overlays=[ImageOverlaySpec(square, x=50, y=50, width=50, height=10)])
    img = compose_slide(spec).image
    # box 540x192: a square fits as 192x192
    assert _pixel(img, 540 + 90, 960)[2] > 250 and _pixel(img, 540 + 100, 960)[2] < 10


# ---------------------------------------------------------------- filters (CSS semantics)


def _filtered(colour, **kw):
    spec = SlideSpec(
        background=flat_png(colour),
        background_filters=BackgroundFilters(**kw),
        background_color="#000000",
    )
    return _pixel(compose_slide(spec).image, 540, 960)


def test_filters_match_css_definitions():
    assert list(_filtered((100, 150, 200), invert=1)) == [155, 105, 55]
    assert list(_filtered((100, 150, 200), brightness=0.5)) == [50, 75, 100]
    g = _filtered((200, 100, 50), grayscale=1)
    assert g[0] == g[1] == g[2] == round(0.2126 * 200 + 0.7152 * 100 + 0.0722 * 50)
    c = _filtered((100, 150, 200), contrast=2)
    assert list(c) == [73, 173, 255]  # 2v - 127.5, clamped
    assert list(_filtered((100, 150, 200), hue=360)) == [100, 150, 200]
    s = _filtered((200, 100, 50), saturation=0)
    assert max(s) - min(s) <= 1
    sep = _filtered((100, 100, 100), sepia=1)
    assert list(sep) == [
        round(100 * (0.393 + 0.769 + 0.189)),
        round(100 * (0.349 + 0.686 + 0.168)),
        round(100 * (0.272 + 0.534 + 0.131)),
    ]


def test_opacity_blends_with_the_background_colour():
    spec = SlideSpec(
        background=flat_png((200, 200, 200)),
        background_color="#000000",
        background_filters=BackgroundFilters(opacity=0.25),
    )
    assert list(_pixel(compose_slide(spec).image, 540, 960)) == [50, 50, 50]


def test_composed_matrix_equals_steps_applied_one_by_one():
    f = BackgroundFilters(brightness=0.9, contrast=1.1, saturation=1.3, hue=40, sepia=0.2)
    composed = filters.colour_matrix(f)
    assert composed is not None
    steps = [
        filters.brightness(0.9),
        filters.contrast(1.1),
        filters.saturate(1.3),
        filters.hue_rotate(40),
        filters.sepia(0.2),
    ]
    v = np.array([90.0, 120.0, 140.0, 1.0])
    for m in steps:
        v = m @ v
    assert np.allclose(composed @ np.array([90.0, 120.0, 140.0, 1.0]), v)
    assert filters.colour_matrix(BackgroundFilters()) is None
    assert (
        filters.css_filter(f)
        == "brightness(0.9) contrast(1.1) saturate(1.3) hue-rotate(40deg) sepia(0.2)"
    )


def test_blur_and_drop_shadow_change_the_right_things():
    grainy = encode(photo_array(540, 960, 5, noise=25), "JPEG", quality=90)
    base = compose_slide(SlideSpec(background=grainy)).image
    blurred = compose_slide(
        SlideSpec(background=grainy, background_filters=BackgroundFilters(blur=20))
    ).image
    edges = lambda im: np.abs(np.diff(np.asarray(im.convert("L"), float), axis=1)).mean()  # noqa: E731
    assert edges(blurred) < 0.5 * edges(base)
    assert abs(np.asarray(blurred, float).mean() - np.asarray(base, float).mean()) < 3
    shadowed = compose_slide(
        SlideSpec(
            background=flat_png((200, 200, 200)),
            background_filters=BackgroundFilters(drop_shadow=1),
        )
    ).image
    assert _pixel(shadowed, 540, 960)[0] >= 195  # centre untouched
    assert _pixel(shadowed, 2, 960)[0] < 120  # edges darkened


# ---------------------------------------------------------------- JPEG


def test_jpeg_quality_steps_down_when_too_big(monkeypatch):
    img = Image.fromarray(photo_array(1080, 1920, 3, noise=20))
    full, q = engine.encode_jpeg(img)
    assert q == 90 and full[:2] == b"\xff\xd8"
    monkeypatch.setattr(engine, "MAX_JPEG_BYTES", len(full) // 2)
    smaller, q2 = engine.encode_jpeg(img)
    assert q2 < 90 and len(smaller) <= len(full) // 2


def test_concurrent_renders_match_a_serial_render():
    from concurrent.futures import ThreadPoolExecutor

    from slideforge.render.spec import TextElementSpec

    spec = SlideSpec(
        background=photo_jpeg(seed=21),
        text_elements=[
            TextElementSpec("threads share nothing mutable 😀", y=30, font_size=60),
            TextElementSpec("مرحبا بالعالم", y=60, font_size=60, style_preset="inverted"),
        ],
    )
    serial = np.asarray(compose_slide(spec).image)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: np.asarray(compose_slide(spec).image), range(6)))
    for arr in results:
        assert np.array_equal(arr, serial)


def _encoded(img, fmt):
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_encoded(Image.new("L", (300, 200), 128), "JPEG"), (128, 128, 128)),
        (_encoded(Image.new("CMYK", (300, 200), (0, 255, 0, 0)), "JPEG"), (255, 0, 255)),
        (_encoded(Image.new("LA", (300, 200), (200, 100)), "PNG"), (78, 78, 78)),
        (_encoded(Image.new("RGB", (300, 200), (10, 200, 30)), "WEBP"), (10, 200, 30)),
        (_encoded(Image.new("RGB", (300, 200), (10, 200, 30)), "GIF"), (10, 200, 30)),
        (_encoded(Image.fromarray(np.full((200, 300), 32768, np.uint16)), "PNG"), (128, 128, 128)),
    ],
    ids=["L-jpeg", "CMYK-jpeg", "LA-png", "webp", "gif", "16bit-png"],
)
def test_image_modes_become_rgb(data, expected):
    img = load_cover(data, "background", (108, 192), 10**8)
    assert img.mode == "RGB" and img.size == (108, 192)
    assert np.abs(_pixel(img, 54, 96) - expected).max() <= 3


@pytest.mark.parametrize(
    ("w", "h", "size"),
    [(102, 57, (1080, 1080)), (109, 193, (1080, 1350)), (109, 61, (1080, 1350))],
)
def test_cover_fit_where_float_rounding_overshoots(w: int, h: int, size: tuple[int, int]) -> None:
    """sw / scale came out a hair larger than the image: the crop box must stay inside it."""
    buffer = io.BytesIO()
    Image.new("RGB", (w, h), (120, 30, 30)).save(buffer, "PNG")
    assert load_cover(buffer.getvalue(), "background", size, 10**8).size == size
