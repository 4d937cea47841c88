"""nnframe-det's demos run as scripts on small sizes (NNFRAME_DEMO_SMALL=1) and produce what they show."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DEMOS = Path(__file__).resolve().parents[1] / "demos"


def _run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNFRAME_DEMO_SMALL", "1")
    monkeypatch.setenv("NNFRAME_OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return runpy.run_path(str(DEMOS / name), run_name="__main__")


def test_train_and_look(tmp_path, monkeypatch):
    ns = _run("01_train_and_look.py", tmp_path, monkeypatch)
    assert {"val/map", "val/map_50", "test/map_50"} <= set(ns["metrics"])
    assert ns["class_tags"] and all(tag.startswith("val/ap/") for tag in ns["class_tags"])
    for name in ("curves", "predictions"):
        assert (ns["figures"] / f"{name}.png").is_file()


def test_your_own_dataset(tmp_path, monkeypatch):
    ns = _run("02_your_own_dataset.py", tmp_path, monkeypatch)
    assert Path(ns["samples_png"]).is_file()
    assert "boxes outside their image" in ns["error_message"] and "data.fix_boxes=true" in ns["error_message"]
    assert "instances_broken.json" in ns["error_message"]
    assert "val/map_50" in ns["metrics"]


def test_predict_and_export(tmp_path, monkeypatch):
    ns = _run("03_predict_and_export.py", tmp_path, monkeypatch)
    assert {Path(r["path"]).name for r in ns["rows"]} <= {f"shapes_{i:02d}.png" for i in range(6)}
    assert len(ns["drawn"]) == 6
    assert ns["result"].path.is_file() and ns["result"].max_abs_diff is not None
