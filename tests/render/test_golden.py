"""Golden images: every preset, grid, filter, script, overlays, aspect ratios, shrink-to-fit
and EXIF orientation, compared with a tolerance (never byte equality).

Regenerate after an intended change with ``.venv/bin/python -m tests.render.contact_sheet
--update-goldens`` and look at ``tests/render/_out/contact_sheet.png`` before committing."""

from __future__ import annotations

import pytest
from PIL import Image

from slideforge.render import compose_slide
from tests.render.cases import CASES, compare, downscale, golden_path

#: mean absolute difference per channel (0–255) allowed
MAX_MEAN_DIFF = 1.5
#: share of pixels allowed to differ by more than 40 in some channel
MAX_CHANGED_SHARE = 0.005


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matches_golden(case):
    missing = case.missing_requirement()
    if missing:
        pytest.skip(missing)
    path = golden_path(case.name)
    assert path.is_file(), (
        f"no golden {path.name}: run python -m tests.render.contact_sheet --update-goldens"
    )
    actual = downscale(compose_slide(case.build()).image)
    with Image.open(path) as expected:
        mean_diff, changed = compare(actual, expected)
    assert mean_diff <= MAX_MEAN_DIFF and changed <= MAX_CHANGED_SHARE, (
        f"{case.name}: mean diff {mean_diff:.2f} (max {MAX_MEAN_DIFF}), "
        f"{changed:.2%} of pixels changed (max {MAX_CHANGED_SHARE:.1%})"
    )


def test_compare_notices_a_moved_line():
    """The tolerance is tight enough to catch text that moved by a few pixels."""
    case = next(c for c in CASES if c.name == "preset_tiktok")
    spec = case.build()
    moved = type(spec)(
        background=spec.background,
        text_elements=[
            type(spec.text_elements[0])(**{**_fields(spec.text_elements[0]), "y": 31.0}),
            spec.text_elements[1],
        ],
    )
    with Image.open(golden_path(case.name)) as expected:
        mean_diff, changed = compare(downscale(compose_slide(moved).image), expected)
    assert mean_diff > MAX_MEAN_DIFF or changed > MAX_CHANGED_SHARE


def _fields(obj):
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}
