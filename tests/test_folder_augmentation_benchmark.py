"""benchmarks/folder_augmentation.py in a tiny setting: it writes its digits and prints a row per case."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "folder_augmentation.py"


def _script():
    spec = importlib.util.spec_from_file_location("folder_augmentation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_are_32_px_grey_images_of_ten_classes(tmp_path: Path) -> None:
    from PIL import Image

    _script().write_digits(tmp_path, train=20, val=10)
    assert sorted(p.name for p in (tmp_path / "train").iterdir()) == [str(d) for d in range(10)]
    image = Image.open(tmp_path / "train" / "3" / "3.png")
    assert image.size == (32, 32) and image.mode == "L"


def test_the_script_prints_a_row_per_case(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _script().main(["--train", "40", "--val", "20", "--epochs", "1", "--cases", "2"])
    assert [len(accuracies) for _, accuracies, _ in rows] == [1]
    assert all(0 <= accuracies[0] <= 1 for _, accuracies, _ in rows)
    assert "crop scale 0.35-1 + flip (the default) |" in capsys.readouterr().out
