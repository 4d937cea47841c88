"""kNN evaluation of embeddings, as in lightly's benchmarks (Wu et al., 2018 weighted kNN)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from lightly.utils.benchmarking import knn_predict
from torch import nn


@torch.no_grad()
def embed(backbone: nn.Module, batches: Iterable[Any], device: torch.device | str = "cpu",
          max_samples: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """L2-normalised features and labels of ``(images, labels)`` batches.

    Samples with a negative label (unlabelled, e.g. STL-10's unlabeled split) are dropped.

    Returns:
        ``(features, labels)``; Shape: (N, D) and (N,).
    """
    was_training = backbone.training
    backbone.eval()
    features, labels = [], []
    seen = 0
    try:
        for images, target in batches:
            target = torch.as_tensor(target)
            keep = target >= 0
            if not keep.any():
                continue
            feats = backbone(images[keep].to(device)).flatten(1)
            features.append(F.normalize(feats, dim=1).cpu())
            labels.append(target[keep].cpu())
            seen += int(keep.sum())
            if max_samples is not None and seen >= max_samples:
                break
    finally:
        backbone.train(was_training)
    if not features:
        return torch.empty(0, 0), torch.empty(0, dtype=torch.long)
    feats_all, labels_all = torch.cat(features), torch.cat(labels).long()
    if max_samples is not None:
        feats_all, labels_all = feats_all[:max_samples], labels_all[:max_samples]
    return feats_all, labels_all


def knn_top1_predictions(features: torch.Tensor, bank_features: torch.Tensor, bank_labels: torch.Tensor,
                         num_classes: int, k: int = 200, temperature: float = 0.1) -> torch.Tensor:
    """Top-1 class of each query by temperature-weighted voting of its ``k`` nearest neighbours.

    Args:
        features: L2-normalised queries; Shape: (B, D).
        bank_features: L2-normalised bank; Shape: (N, D).
        bank_labels: labels of the bank; Shape: (N,).
        num_classes: number of classes.
        k: neighbours (capped at the bank size).
        temperature: similarity temperature.

    Returns:
        Predicted labels; Shape: (B,).
    """
    bank = bank_features.to(features.device)
    predictions = knn_predict(features, bank.T.contiguous(), bank_labels.to(features.device), num_classes,
                              knn_k=min(k, len(bank)), knn_t=temperature)
    return predictions[:, 0]


def knn_accuracy(features: torch.Tensor, labels: torch.Tensor, bank_features: torch.Tensor,
                 bank_labels: torch.Tensor, num_classes: int, k: int = 200, temperature: float = 0.1) -> float:
    """Top-1 kNN accuracy of labelled queries against a labelled bank."""
    predictions = knn_top1_predictions(features, bank_features, bank_labels, num_classes, k, temperature)
    return float((predictions.cpu() == labels.cpu()).float().mean())
