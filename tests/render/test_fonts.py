"""Fonts: every contract family renders with a shipped, licensed file; coverage data is true;
caching; the fallback chain; system fonts."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from slideforge.render import fonts
from slideforge.render.sfnt import Coverage, read_coverage

CONTRACT_FAMILIES = [
    "Anton", "Arial", "Bebas Neue", "Bitcount", "Cinzel", "Della", "Eagle Lake", "Georgia",
    "Helvetica", "Inter", "Open Sans", "Oswald", "Playwrite", "Poppins", "Roboto", "Russo One",
    "TikTok Display", "TikTok Sans", "Times New Roman",
]  # fmt: skip


def _ink(family: str, text: str = "Hamburgefonstiv", size: int = 48) -> int:
    img = Image.new("L", (900, 120), 0)
    font = fonts.get_font(fonts.chain_for(family)[0], size)
    ImageDraw.Draw(img).text((10, 90), text, font=font, fill=255, anchor="ls")
    return int((np.asarray(img) > 127).sum())


def test_every_contract_family_is_known():
    assert sorted(fonts.family_names()) == sorted(CONTRACT_FAMILIES)
    assert fonts.resolve_family(None) == ("TikTok Display", True)
    assert fonts.resolve_family("times new roman") == ("Times New Roman", True)
    assert fonts.resolve_family("Comic Sans") == ("TikTok Display", False)


@pytest.mark.parametrize("family", CONTRACT_FAMILIES)
def test_family_files_are_shipped_with_a_licence_and_draw(family):
    info = fonts.family_info(family)
    folder = fonts.FONT_DIR / info.face_id
    assert (folder / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1
    for name in info.files:
        assert (folder / name).is_file()
    assert _ink(family) > 1500  # really draws Latin text


def test_proprietary_families_map_to_metric_compatible_faces():
    assert fonts.family_info("Arial").face_name == "Arimo"
    assert fonts.family_info("Helvetica").face_name == "Arimo"
    assert fonts.family_info("Times New Roman").face_name == "Tinos"
    assert fonts.family_info("Georgia").face_name == "Gelasio"
    for family in ("Arial", "Helvetica", "Times New Roman", "Georgia"):
        assert fonts.family_info(family).substitute


def test_tiktok_display_is_the_heavier_cut_of_tiktok_sans():
    display, sans = fonts.family_info("TikTok Display"), fonts.family_info("TikTok Sans")
    assert display.face_id == sans.face_id == "tiktok-sans"
    assert dict(display.axes)["wght"] > dict(sans.axes)["wght"]
    assert _ink("TikTok Display") > 1.1 * _ink("TikTok Sans")


def test_manifest_coverage_matches_the_font_files():
    for face_id, face in fonts.manifest()["faces"].items():
        for entry in face["files"]:
            path = fonts.FONT_DIR / face_id / entry["file"]
            if path.suffix != ".ttf":
                continue  # WOFF2: the manifest is the source (checked by font_manifest_tool)
            real = read_coverage(path)
            listed = Coverage(fonts.parse_ranges(entry["coverage"]))
            assert real.ranges() == listed.ranges(), path.name
            assert entry["bytes"] == path.stat().st_size


def test_vendored_fonts_stay_small():
    total = sum(p.stat().st_size for p in fonts.FONT_DIR.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024


def test_fonts_are_cached_per_file_variation_and_size():
    source = fonts.chain_for("TikTok Display")[0]
    assert fonts.get_font(source, 40) is fonts.get_font(source, 40)
    assert fonts.get_font(source, 40) is not fonts.get_font(source, 41)
    # TikTok Sans and TikTok Display share files but not variations
    other = fonts.chain_for("TikTok Sans")[0]
    assert other.path == source.path and other != source


def test_chain_has_script_fonts_after_the_family():
    chain = fonts.chain_for("Anton")
    labels = [s.label for s in chain]
    assert labels[0] == "Anton"
    assert labels.index("Noto Sans Arabic") < labels.index("TikTok Sans")
    arabic = next(s for s in chain if s.label == "Noto Sans Arabic")
    assert arabic.covers(ord("ب")) and not chain[0].covers(ord("ب"))


def test_complex_script_shaping_is_available():
    # Pillow's wheel bundles raqm; it needs the system's libfribidi (scripts/bootstrap.sh)
    assert fonts.raqm_available(), "install libfribidi0: Arabic and Hindi would not be shaped"


def test_system_fonts_are_found_when_installed():
    cjk = fonts.cjk_source()
    if cjk is None:
        pytest.skip("no CJK system font installed (fonts-noto-cjk)")
    assert cjk.covers(ord("你")) and cjk.covers(ord("あ"))
    emoji = fonts.emoji_font()
    if emoji is None:
        pytest.skip("no colour emoji font installed (fonts-noto-color-emoji)")
    assert emoji.size == fonts.EMOJI_STRIKE_SIZE


def test_sfnt_reader_handles_collections_and_rejects_other_files(tmp_path):
    bogus = tmp_path / "x.ttf"
    bogus.write_bytes(b"hello world, not a font" * 4)
    with pytest.raises(ValueError):
        read_coverage(bogus)
    cov = Coverage([(0x41, 0x5A), (0x30, 0x39), (0x5B, 0x5B)])
    assert ord("A") in cov and ord("[") in cov and ord("a") not in cov
    assert cov.ranges() == [(0x30, 0x39), (0x41, 0x5B)] and len(cov) == 37
