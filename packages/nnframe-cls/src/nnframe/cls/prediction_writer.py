"""Writes ``predictions.csv``: one row per image with the predicted class and its probability."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnframe.core.callbacks import PredictionWriter


class ClassificationPredictionWriter(PredictionWriter):
    """Columns: ``path, class_index, class_name, confidence``."""

    def header(self) -> list[str]:
        return ["path", "class_index", "class_name", "confidence"]

    def rows(self, prediction: dict[str, Any], paths: Sequence[Path]) -> list[list[Any]]:
        confidence, index = prediction["probs"].max(dim=1)
        names = self.class_names
        return [
            [str(path), int(i), names[int(i)] if int(i) < len(names) else str(int(i)), f"{float(c):.6f}"]
            for path, i, c in zip(paths, index, confidence, strict=True)
        ]
