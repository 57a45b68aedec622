"""Regenerates ``src/slideforge/render/fonts/manifest.json`` from the vendored font files.

Dev-time tool, not used at run time: it needs fontTools and brotli (for the WOFF2 files), which
are not project dependencies. Run it after adding or replacing a font file::

    python -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools brotli
    /tmp/ft/bin/python tests/render/font_manifest_tool.py

The manifest records, for each file, the code points it maps (inclusive hexadecimal ranges,
``"20-7E,A0"``), so the renderer can pick a font per character without parsing WOFF2 at run
time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FONTS = Path(__file__).resolve().parents[2] / "src" / "slideforge" / "render" / "fonts"

# face id -> display name, source package, files in fallback order (scripts are derived)
FACES: dict[str, dict[str, Any]] = {
    "tiktok-sans": {
        "name": "TikTok Sans",
        "source": "npm @fontsource-variable/tiktok-sans 5.3.0 (standard axes, per-subset WOFF2)",
        "files": [
            "tiktok-sans-latin-standard-normal.woff2",
            "tiktok-sans-latin-ext-standard-normal.woff2",
            "tiktok-sans-vietnamese-standard-normal.woff2",
            "tiktok-sans-cyrillic-standard-normal.woff2",
            "tiktok-sans-cyrillic-ext-standard-normal.woff2",
            "tiktok-sans-greek-standard-normal.woff2",
        ],
        "variable": True,
    },
    "anton": {
        "name": "Anton",
        "source": "npm @expo-google-fonts/anton 0.4.2",
        "files": ["Anton_400Regular.ttf"],
    },
    "bebas-neue": {
        "name": "Bebas Neue",
        "source": "npm @expo-google-fonts/bebas-neue 0.4.1",
        "files": ["BebasNeue_400Regular.ttf"],
    },
    "bitcount": {
        "name": "Bitcount",
        "source": "npm @fontsource/bitcount 5.3.0 (weight 500, per-subset WOFF2)",
        "files": ["bitcount-latin-500-normal.woff2", "bitcount-latin-ext-500-normal.woff2"],
    },
    "cinzel": {
        "name": "Cinzel",
        "source": "npm @expo-google-fonts/cinzel 0.4.2",
        "files": ["Cinzel_700Bold.ttf"],
    },
    "della-respira": {
        "name": "Della Respira",
        "source": "npm @expo-google-fonts/della-respira 0.2.3 (licence text from @fontsource/della-respira 5.3.0)",
        "files": ["DellaRespira_400Regular.ttf"],
    },
    "eagle-lake": {
        "name": "Eagle Lake",
        "source": "npm @expo-google-fonts/eagle-lake 0.4.0",
        "files": ["EagleLake_400Regular.ttf"],
    },
    "inter": {
        "name": "Inter",
        "source": "npm @expo-google-fonts/inter 0.4.2",
        "files": ["Inter_700Bold.ttf"],
    },
    "open-sans": {
        "name": "Open Sans",
        "source": "npm @expo-google-fonts/open-sans 0.4.2",
        "files": ["OpenSans_700Bold.ttf"],
    },
    "oswald": {
        "name": "Oswald",
        "source": "npm @expo-google-fonts/oswald 0.4.2",
        "files": ["Oswald_600SemiBold.ttf"],
    },
    "playwrite-us-trad": {
        "name": "Playwrite US Trad",
        "source": "npm @expo-google-fonts/playwrite-us-trad 0.4.1",
        "files": ["PlaywriteUSTrad_400Regular.ttf"],
    },
    "poppins": {
        "name": "Poppins",
        "source": "npm @expo-google-fonts/poppins 0.4.1",
        "files": ["Poppins_700Bold.ttf"],
    },
    "roboto": {
        "name": "Roboto",
        "source": "npm @expo-google-fonts/roboto 0.4.3",
        "files": ["Roboto_700Bold.ttf"],
    },
    "russo-one": {
        "name": "Russo One",
        "source": "npm @expo-google-fonts/russo-one 0.4.1",
        "files": ["RussoOne_400Regular.ttf"],
    },
    "arimo": {
        "name": "Arimo",
        "source": "npm @expo-google-fonts/arimo 0.4.3",
        "files": ["Arimo_700Bold.ttf"],
    },
    "tinos": {
        "name": "Tinos",
        "source": "npm @expo-google-fonts/tinos 0.4.2",
        "files": ["Tinos_700Bold.ttf"],
    },
    "gelasio": {
        "name": "Gelasio",
        "source": "npm @expo-google-fonts/gelasio 0.4.1",
        "files": ["Gelasio_700Bold.ttf"],
    },
    "noto-sans-arabic": {
        "name": "Noto Sans Arabic",
        "source": "npm @expo-google-fonts/noto-sans-arabic 0.4.3",
        "files": ["NotoSansArabic_700Bold.ttf"],
    },
    "noto-sans-devanagari": {
        "name": "Noto Sans Devanagari",
        "source": "npm @expo-google-fonts/noto-sans-devanagari 0.4.1",
        "files": ["NotoSansDevanagari_700Bold.ttf"],
    },
}

# contract family name -> face, weight, axes (variable faces), substitute note
FAMILIES: dict[str, dict[str, Any]] = {
    "TikTok Display": {
        "face": "tiktok-sans",
        "weight": 800,
        "axes": {"wght": 800, "opsz": 36, "wdth": 100, "slnt": 0},
    },
    "TikTok Sans": {
        "face": "tiktok-sans",
        "weight": 600,
        "axes": {"wght": 600, "opsz": 24, "wdth": 100, "slnt": 0},
    },
    "Anton": {"face": "anton", "weight": 400},
    "Bebas Neue": {"face": "bebas-neue", "weight": 400},
    "Bitcount": {"face": "bitcount", "weight": 500},
    "Cinzel": {"face": "cinzel", "weight": 700},
    "Della": {"face": "della-respira", "weight": 400},
    "Eagle Lake": {"face": "eagle-lake", "weight": 400},
    "Inter": {"face": "inter", "weight": 700},
    "Open Sans": {"face": "open-sans", "weight": 700},
    "Oswald": {"face": "oswald", "weight": 600},
    "Playwrite": {"face": "playwrite-us-trad", "weight": 400},
    "Poppins": {"face": "poppins", "weight": 700},
    "Roboto": {"face": "roboto", "weight": 700},
    "Russo One": {"face": "russo-one", "weight": 400},
    "Arial": {"face": "arimo", "weight": 700, "substitute": "Arimo (metric-compatible with Arial)"},
    "Helvetica": {
        "face": "arimo",
        "weight": 700,
        "substitute": "Arimo (Arial metrics, which match Helvetica's)",
    },
    "Times New Roman": {
        "face": "tinos",
        "weight": 700,
        "substitute": "Tinos (metric-compatible with Times New Roman)",
    },
    "Georgia": {
        "face": "gelasio",
        "weight": 700,
        "substitute": "Gelasio (metric-compatible with Georgia)",
    },
}

# a letter that a font covering the script must map
SCRIPT_PROBES = {
    "latin": "A",
    "vietnamese": "\u1ec7",
    "cyrillic": "\u0414",
    "greek": "\u03a9",
    "hebrew": "\u05d0",
    "arabic": "\u0628",
    "devanagari": "\u0915",
}

SCRIPT_FACES = {"arabic": "noto-sans-arabic", "devanagari": "noto-sans-devanagari"}


def ranges(codepoints: set[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in sorted(codepoints):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def main() -> int:
    from fontTools.ttLib import TTFont

    faces: dict[str, Any] = {}
    for face_id, face in FACES.items():
        folder = FONTS / face_id
        files = []
        for name in face["files"]:
            path = folder / name
            font = TTFont(path)
            cmap = set(font.getBestCmap())
            files.append(
                {
                    "file": name,
                    "bytes": path.stat().st_size,
                    "glyphs": len(cmap),
                    "coverage": ",".join(
                        f"{lo:X}" if lo == hi else f"{lo:X}-{hi:X}" for lo, hi in ranges(cmap)
                    ),
                }
            )
        union: set[int] = set()
        for name in face["files"]:
            union.update(TTFont(folder / name).getBestCmap())
        scripts = [name for name, probe in SCRIPT_PROBES.items() if ord(probe) in union]
        faces[face_id] = {
            "name": face["name"],
            "license": "OFL-1.1",
            "license_file": "OFL.txt",
            "source": face["source"],
            "scripts": scripts,
            "variable": bool(face.get("variable")),
            "files": files,
        }
        if not (folder / "OFL.txt").is_file():
            raise SystemExit(f"{face_id}: licence file missing")
    manifest = {
        "version": 1,
        "default_family": "TikTok Display",
        "faces": faces,
        "families": FAMILIES,
        "script_faces": SCRIPT_FACES,
    }
    (FONTS / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
