"""The analytics benchmark runs end to end at a tiny size (a server with its workers, the
TikTok web sandbox) and writes its figures and chart; its own data check passes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "analytics.py"


@pytest.mark.slow
def test_benchmark_refreshes_and_times_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("benchmarks.analytics", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    argv = ["--accounts", "3", "--posts", "4", "--summary-posts", "30", "--snapshots", "5"]
    argv += ["--requests", "4", "--warmup", "1", "--out", str(tmp_path)]
    assert module.main(argv) == 0
    figures = json.loads((tmp_path / "analytics.json").read_text())
    refresh = figures["refresh"]
    assert refresh["checks"]["ok"] is True
    assert refresh["checks"]["summary_posts_total_count"] == 12
    assert refresh["checks"]["db_snapshots_after_manual"] == 24
    for round_ in refresh["rounds"]:
        assert round_["completed"] == 3 and round_["posts_stored"] == 12
        assert 0 < round_["latency_p50_s"] <= round_["latency_p99_s"] <= round_["wall_s"]
    summary = figures["summary"]
    assert summary["snapshots"] == 150
    assert summary["published_videos_90d"] == 30
    assert [c["requests"] for c in summary["cases"]] == [4, 4, 4, 4]
    assert all(0 < c["p50_ms"] <= c["p99_ms"] for c in summary["cases"])
    with Image.open(tmp_path / "analytics.png") as chart:
        assert chart.width == 1000
    assert "summary 90d" in capsys.readouterr().out
