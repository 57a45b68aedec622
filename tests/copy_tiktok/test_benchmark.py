"""The copy benchmark's OCR mode runs end to end on a few slides and writes its figures and
picture."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "copy_tiktok.py"


@pytest.mark.slow
def test_ocr_benchmark_writes_figures_and_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("skimage", reason="the benchmark's photos come from scikit-image")
    spec = importlib.util.spec_from_file_location("benchmarks.copy_tiktok", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["-n", "3", "--seed", "5", "--out", str(tmp_path)]) == 0
    figures = json.loads((tmp_path / "ocr.json").read_text())
    assert figures["slides"] == 3
    assert figures["lines_total"] >= 3
    # 7/8: RapidOCR reads one coloured line of these three slides as "…nobody ells you…"
    # (the recogniser, before any of the importer's steps; the same with the old importer)
    assert figures["exact_line_rate"] >= 0.85
    assert {row["figure"] for row in figures["against_target"]} >= {
        "size error median, unknown fonts",
        "fill colour dE2000 median",
        "preset accuracy",
    }
    assert figures["position_error_median_pct"] <= 2
    assert figures["elements_matched"] == figures["elements_true"]
    with Image.open(tmp_path / "ocr.png") as picture:
        assert picture.width > 1000
    with Image.open(tmp_path / "ocr-figures.png") as chart:
        assert chart.width > 800
    assert "exact lines" in capsys.readouterr().out
