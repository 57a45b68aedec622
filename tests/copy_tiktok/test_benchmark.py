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
    assert figures["exact_line_rate"] >= 0.9
    assert figures["position_error_median_pct"] <= 2
    assert figures["elements_matched"] == figures["elements_true"]
    with Image.open(tmp_path / "ocr.png") as picture:
        assert picture.width > 1000
    assert "exact lines" in capsys.readouterr().out
