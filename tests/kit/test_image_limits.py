"""kit.images shape limits and JPEG's own limit (issue 9, defect 3)."""

from __future__ import annotations

import pytest
from PIL import Image

from slideforge.kit.images import ImageError, check_shape, encode_jpeg, probe_image
from tests.helpers import blank_png


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        ((1, 64_000_000), "bad_aspect"),  # the aspect is the first thing to fix
        ((2_100, 100), "bad_aspect"),
        ((100, 2_001), "bad_aspect"),
        ((16_385, 1_000), "side_too_long"),
        ((0, 10), "broken"),
    ],
)
def test_check_shape_refuses(size: tuple[int, int], reason: str) -> None:
    with pytest.raises(ImageError) as info:
        check_shape(*size, max_side=16_384, max_aspect=20)
    assert info.value.reason == reason


@pytest.mark.parametrize("size", [(2_000, 100), (100, 2_000), (16_384, 1_000), (1, 1)])
def test_check_shape_accepts(size: tuple[int, int]) -> None:
    check_shape(*size, max_side=16_384, max_aspect=20)
    check_shape(1, 10**9, max_side=None, max_aspect=None)  # no limits, no check


def test_probe_refuses_the_shape_from_the_header() -> None:
    """1x64,000,000 is under the pixel cap; the shape is refused before the 64 M-pixel
    decode (probing without limits decodes it all)."""
    strip = blank_png(1, 64_000_000)
    with pytest.raises(ImageError) as info:
        probe_image(strip, 64_000_000, max_side=16_384, max_aspect=20)
    assert info.value.reason == "bad_aspect"
    assert "1x64000000" in str(info.value) and "1:64,000,000" in str(info.value)


def test_encode_jpeg_checks_its_limits_first() -> None:
    with pytest.raises(ImageError) as info:
        encode_jpeg(Image.new("RGB", (1, 70_000)), max_bytes=5_000_000)
    assert info.value.reason == "side_too_long" and "65500" in str(info.value)
    assert encode_jpeg(Image.new("RGB", (1, 65_500)), max_bytes=5_000_000)[:2] == b"\xff\xd8"
