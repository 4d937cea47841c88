"""benchmarks/overhead.py in a tiny setting: both settings run, print their ratios and all three
loops (nnframe, the plain loop, Lightning's bare loop) end with equal losses."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "overhead.py"


def test_overhead_script_prints_both_ratios(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("overhead", SCRIPT)
    assert spec is not None and spec.loader is not None
    overhead = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "overhead", overhead)  # its dataclass looks itself up there
    spec.loader.exec_module(overhead)

    figures = overhead.main(["--repeats", "1", "--steps", "4", "--drop", "1", "--batch-size", "8"])

    assert set(figures) == {"tiny_cnn", "resnet18"}
    out = capsys.readouterr().out
    for setting, result in figures.items():
        assert result["same_loss"] == 1.0, setting  # the same training, step for step
        assert result["wall_ratio"] > 0 and result["cpu_ratio"] > 0
        assert result["wall_lightning_ratio"] > 0 and result["wall_nnframe_lightning_ratio"] > 0
        assert f"{setting}: 1 repeats x 4 steps" in out
    assert out.count("ratio nnframe/raw") == 4  # wall and CPU clock, for each setting
    assert out.count("ratio Lightning/raw") == 4
