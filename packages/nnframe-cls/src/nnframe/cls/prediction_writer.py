"""Writes ``predictions.csv``: one row per image with the predicted class and its probability, or
for multi-label models the labels above the threshold and every label's probability."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from nnframe.core.callbacks import PredictionWriter

#: Between the predicted labels of one image (as ``data.label_separator`` reads them back).
LABEL_SEPARATOR = "|"


class ClassificationPredictionWriter(PredictionWriter):
    """Columns: ``path, class_index, class_name, confidence``; multi-label:
    ``path, labels, prob/<class>...`` (``labels``: the names above ``model.threshold``, ``|``-separated)."""

    multi_label = False

    def header(self) -> list[str]:
        if self.multi_label:
            return ["path", "labels", *(f"prob/{name}" for name in self.class_names)]
        return ["path", "class_index", "class_name", "confidence"]

    def _name(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else str(index)

    def rows(self, prediction: dict[str, Any], paths: Sequence[Path]) -> list[list[Any]]:
        if "labels" in prediction:
            self.multi_label = True
            return [
                [str(path), LABEL_SEPARATOR.join(self._name(int(i)) for i in torch.nonzero(chosen).flatten()),
                 *(f"{float(p):.6f}" for p in probs)]
                for path, chosen, probs in zip(paths, prediction["labels"], prediction["probs"], strict=True)
            ]
        confidence, index = prediction["probs"].max(dim=1)
        return [
            [str(path), int(i), self._name(int(i)), f"{float(c):.6f}"]
            for path, i, c in zip(paths, index, confidence, strict=True)
        ]
