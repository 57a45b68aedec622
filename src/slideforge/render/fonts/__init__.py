"""Fonts: the vendored families (``manifest.json`` beside this file), the per-character
fallback chain, system fonts for CJK and colour emoji, and a cache of FreeType objects.

Every family of the contract resolves to a face shipped in this folder (proprietary families
to a metric-compatible open face, see ``docs/fonts.md``). A chain for a family is: the family's
own files → Noto Sans Arabic → Noto Sans Devanagari → TikTok Sans (Latin extended, Cyrillic,
Greek, Vietnamese) → Arimo (Hebrew and more) → a system CJK font → DejaVu Sans (symbols), each
only where present. Colour emoji come from the system's Noto Color Emoji.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from PIL import ImageFont, features

from slideforge.render.sfnt import Coverage, read_coverage

FONT_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = FONT_DIR / "manifest.json"

#: Noto Color Emoji is a CBDT bitmap font with one strike: it opens at this size only.
EMOJI_STRIKE_SIZE = 109

_AXIS_TAGS = {"weight": "wght", "width": "wdth", "optical size": "opsz", "slant": "slnt"}

_SYSTEM_DIRS = [
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
]
# (file name, face index in a collection), best first
_CJK_CANDIDATES = [
    ("NotoSansCJK-Bold.ttc", 0),
    ("NotoSansCJK-Black.ttc", 0),
    ("NotoSansCJK-Medium.ttc", 0),
    ("NotoSansCJK-Regular.ttc", 0),
    ("NotoSansCJKsc-Bold.otf", 0),
    ("NotoSansCJKjp-Bold.otf", 0),
    ("NotoSansCJKsc-Regular.otf", 0),
    ("wqy-microhei.ttc", 0),
    ("wqy-zenhei.ttc", 0),
    ("DroidSansFallbackFull.ttf", 0),
    ("DroidSansFallback.ttf", 0),
]
_EMOJI_CANDIDATES = ["NotoColorEmoji.ttf", "NotoColorEmoji-Regular.ttf"]
_SYMBOL_CANDIDATES = [("DejaVuSans-Bold.ttf", 0), ("DejaVuSans.ttf", 0)]

_lock = threading.Lock()
_extra_dirs: list[Path] = []
_local = threading.local()


@dataclass(frozen=True, slots=True)
class FontSource:
    """One font file at one variation: a member of a fallback chain."""

    key: str
    label: str = field(compare=False)
    path: str = field(compare=False)
    index: int = field(compare=False)
    axes: tuple[tuple[str, float], ...] = field(compare=False)
    coverage: Coverage = field(compare=False, repr=False)
    system: bool = field(default=False, compare=False)

    def covers(self, codepoint: int) -> bool:
        return codepoint in self.coverage


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    name: str
    face_id: str
    face_name: str
    weight: int
    axes: tuple[tuple[str, float], ...]
    substitute: str | None
    files: tuple[str, ...]
    scripts: tuple[str, ...]


def add_font_dir(path: str | Path) -> None:
    """Also look in ``path`` for the system fonts (CJK, emoji, symbols). The service layer calls
    this from its settings at start-up, before rendering; the engine reads no settings."""
    p = Path(path)
    with _lock:
        if p not in _extra_dirs:
            _extra_dirs.insert(0, p)
    _find_system_font.cache_clear()
    _system_source.cache_clear()
    chain_for.cache_clear()
    _emoji_path.cache_clear()


@cache
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return data


@cache
def raqm_available() -> bool:
    """True when Pillow can shape complex scripts (raqm + FriBiDi found at run time)."""
    return bool(features.check("raqm"))


def layout_engine() -> ImageFont.Layout:
    return ImageFont.Layout.RAQM if raqm_available() else ImageFont.Layout.BASIC


def _normalise(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").split()).casefold()


@cache
def _family_index() -> dict[str, str]:
    return {_normalise(name): name for name in manifest()["families"]}


def family_names() -> list[str]:
    """The contract's font families, as accepted by ``font_family``."""
    return list(manifest()["families"])


def resolve_family(name: str | None) -> tuple[str, bool]:
    """Canonical family name for ``name`` and whether it was known (unknown → the default)."""
    default = str(manifest()["default_family"])
    if not name:
        return default, True
    found = _family_index().get(_normalise(name))
    if found is None:
        return default, False
    return found, True


def family_info(name: str) -> FamilyInfo:
    canonical, _known = resolve_family(name)
    fam = manifest()["families"][canonical]
    face = manifest()["faces"][fam["face"]]
    return FamilyInfo(
        name=canonical,
        face_id=fam["face"],
        face_name=face["name"],
        weight=int(fam["weight"]),
        axes=tuple(sorted((k, float(v)) for k, v in fam.get("axes", {}).items())),
        substitute=fam.get("substitute"),
        files=tuple(f["file"] for f in face["files"]),
        scripts=tuple(face["scripts"]),
    )


def _face_sources(face_id: str, axes: tuple[tuple[str, float], ...]) -> list[FontSource]:
    face = manifest()["faces"][face_id]
    out = []
    for entry in face["files"]:
        path = FONT_DIR / face_id / entry["file"]
        axis_key = ",".join(f"{k}={v:g}" for k, v in axes)
        out.append(
            FontSource(
                key=f"{face_id}/{entry['file']}@{axis_key}",
                label=face["name"],
                path=str(path),
                index=0,
                axes=axes if face.get("variable") else (),
                coverage=_manifest_coverage(face_id, entry["file"]),
            )
        )
    return out


@cache
def _manifest_coverage(face_id: str, file: str) -> Coverage:
    for entry in manifest()["faces"][face_id]["files"]:
        if entry["file"] == file:
            return Coverage(parse_ranges(entry["coverage"]))
    raise KeyError(f"{face_id}/{file} not in the font manifest")


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """``"20-7E,A0"`` → ``[(0x20, 0x7E), (0xA0, 0xA0)]`` (the manifest's coverage format)."""
    out = []
    for part in text.split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.append((int(lo, 16), int(hi or lo, 16)))
    return out


def _search_dirs() -> list[Path]:
    with _lock:
        return [*_extra_dirs, *_SYSTEM_DIRS]


@cache
def _find_system_font(file_name: str) -> Path | None:
    for folder in _search_dirs():
        direct = folder / file_name
        if direct.is_file():
            return direct
        if folder.is_dir():
            for hit in sorted(folder.rglob(file_name)):
                if hit.is_file():
                    return hit
    return None


@cache
def _system_source(candidates: tuple[tuple[str, int], ...], label: str) -> FontSource | None:
    for file_name, index in candidates:
        path = _find_system_font(file_name)
        if path is None:
            continue
        try:
            coverage = read_coverage(path, index)
        except (OSError, ValueError):
            continue
        return FontSource(
            key=f"system:{path}#{index}",
            label=f"{label} ({path.name})",
            path=str(path),
            index=index,
            axes=(),
            coverage=coverage,
            system=True,
        )
    return None


def cjk_source() -> FontSource | None:
    """The system CJK font (``fonts-noto-cjk`` on Debian), or None when none is installed."""
    return _system_source(tuple(_CJK_CANDIDATES), "CJK")


@cache
def chain_for(family: str) -> tuple[FontSource, ...]:
    """The fallback chain for a family, primary files first."""
    info = family_info(family)
    chain: list[FontSource] = list(_face_sources(info.face_id, info.axes))
    seen = {info.face_id}
    fallback_axes = (("opsz", 36.0), ("slnt", 0.0), ("wdth", 100.0), ("wght", 700.0))
    for face_id in (*manifest()["script_faces"].values(), "tiktok-sans", "arimo"):
        if face_id in seen:
            continue
        seen.add(face_id)
        chain.extend(_face_sources(face_id, fallback_axes if face_id == "tiktok-sans" else ()))
    for extra in (cjk_source(), _system_source(tuple(_SYMBOL_CANDIDATES), "DejaVu Sans")):
        if extra is not None:
            chain.append(extra)
    return tuple(chain)


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _axis_values(font: ImageFont.FreeTypeFont, axes: Iterable[tuple[str, float]]) -> list[float]:
    wanted = dict(axes)
    values: list[float] = []
    for axis in font.get_variation_axes():
        raw = axis["name"]
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        tag = _AXIS_TAGS.get(name.casefold(), name)
        lo, hi, default = (_num(axis.get(k)) for k in ("minimum", "maximum", "default"))
        values.append(min(max(wanted.get(tag, default), lo), hi))
    return values


def _thread_fonts() -> dict[tuple[object, ...], ImageFont.FreeTypeFont | None]:
    cache: dict[tuple[object, ...], ImageFont.FreeTypeFont | None] | None = getattr(
        _local, "fonts", None
    )
    if cache is None:
        cache = {}
        _local.fonts = cache
    return cache


def get_font(source: FontSource, size: int) -> ImageFont.FreeTypeFont:
    """A FreeTypeFont for ``source`` at ``size`` px with its variation set, loaded once and
    cached per (file, variation, size) — and per thread, since a FreeType face must not be
    used by two threads at once."""
    cache = _thread_fonts()
    key = ("font", source, size)
    font = cache.get(key)
    if font is None:
        font = ImageFont.truetype(
            source.path, size=size, index=source.index, layout_engine=layout_engine()
        )
        if source.axes:
            font.set_variation_by_axes(_axis_values(font, source.axes))
        cache[key] = font
    return font


@cache
def _emoji_path() -> Path | None:
    for name in _EMOJI_CANDIDATES:
        path = _find_system_font(name)
        if path is None:
            continue
        try:
            ImageFont.truetype(str(path), size=EMOJI_STRIKE_SIZE)
        except OSError:
            continue
        return path
    return None


def emoji_font() -> ImageFont.FreeTypeFont | None:
    """Noto Color Emoji at its bitmap strike size (cached per thread), or None when it is not
    installed."""
    path = _emoji_path()
    if path is None:
        return None
    cache = _thread_fonts()
    key = ("emoji", str(path))
    if key not in cache:
        cache[key] = ImageFont.truetype(
            str(path), size=EMOJI_STRIKE_SIZE, layout_engine=layout_engine()
        )
    return cache[key]


def font_inventory() -> list[dict[str, Any]]:
    """One row per contract family: the face it renders with, licence, files and their size."""
    rows = []
    for name in family_names():
        info = family_info(name)
        face = manifest()["faces"][info.face_id]
        rows.append(
            {
                "family": name,
                "face": info.face_name,
                "substitute": info.substitute,
                "weight": info.weight,
                "axes": dict(info.axes),
                "license": face["license"],
                "files": [f["file"] for f in face["files"]],
                "bytes": sum(int(f["bytes"]) for f in face["files"]),
                "scripts": face["scripts"],
            }
        )
    return rows
