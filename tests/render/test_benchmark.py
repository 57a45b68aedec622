"""The render benchmark runs end to end (two runs) and writes its sample, chart and figures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "render.py"


@pytest.mark.slow
def test_benchmark_writes_figures_chart_and_sample(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_render", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["-n", "2", "--out", str(tmp_path), "--no-pin"]) == 0
    figures = json.loads((tmp_path / "results.json").read_text())
    assert len(figures["slide_ms"]) == len(figures["floor_ms"]) == 2
    assert figures["slide_median_ms"] > 0 and figures["floor_median_ms"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["slide_median_ms"] / figures["floor_median_ms"], rel=0.01
    )
    assert 2_000_000 < figures["source_jpeg_bytes"] < 4_500_000
    with Image.open(tmp_path / "sample.jpg") as sample:
        assert sample.size == (1080, 1920)
    with Image.open(tmp_path / "timings.png") as chart:
        assert chart.width == 1000
    assert "ratio" in capsys.readouterr().out
