"""``nnframe ssl linear``: a linear classifier on frozen features of a pretrained backbone."""

from __future__ import annotations

from typing import Any

import torch
from omegaconf import DictConfig
from torch import nn

from nnframe.core.training.instantiate import build_datamodule
from nnframe.core.training.run_summary import apply_extras, print_metrics
from nnframe.ssl._checkpoint import load_ssl_module
from nnframe.ssl._data import eval_loader, labelled_train_dataset


@torch.no_grad()
def extract_features(backbone: nn.Module, loader: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Backbone features (not normalised) and labels of a loader's labelled samples.

    Returns:
        Shape: (N, D) and (N,).
    """
    features, labels = [], []
    for images, target in loader:
        target = torch.as_tensor(target)
        keep = target >= 0
        if keep.any():
            features.append(backbone(images[keep]).flatten(1))
            labels.append(target[keep])
    return torch.cat(features), torch.cat(labels).long()


def fit_linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, num_classes: int, epochs: int = 100,
                     lr: float = 0.01, weight_decay: float = 0.0, batch_size: int = 256, seed: int = 0) -> nn.Module:
    """Train ``BatchNorm1d(affine=False) -> Linear`` on fixed features (the MAE-style probe:
    the normalisation only standardises the features, so the classifier stays linear).

    Args:
        train_x: features; Shape: (N, D).
        train_y: labels; Shape: (N,).
        num_classes: outputs.
        epochs: passes over the features.
        lr: AdamW learning rate (cosine-decayed).
        weight_decay: AdamW weight decay.
        batch_size: minibatch size.
        seed: shuffle and init seed.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    probe = nn.Sequential(nn.BatchNorm1d(train_x.shape[1], affine=False), nn.Linear(train_x.shape[1], num_classes))
    optimizer = torch.optim.AdamW(probe.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = -(-len(train_x) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs * steps_per_epoch))
    probe.train()
    for _ in range(epochs):
        order = torch.randperm(len(train_x), generator=generator)
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            if len(index) < 2:
                continue  # BatchNorm needs two samples
            loss = nn.functional.cross_entropy(probe(train_x[index]), train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return probe.eval()


@torch.no_grad()
def accuracy(probe: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 accuracy of ``probe`` on features ``x`` with labels ``y``."""
    return float((probe(x).argmax(dim=1) == y).float().mean())


def linear_probe(cfg: DictConfig) -> dict[str, float]:
    """Train a linear probe on the frozen backbone of ``cfg.ckpt_path`` and report its accuracy.

    Features are computed once with the evaluation transform (no augmentation), on the
    labelled training split; the probe is scored on the validation (and, with ``test=true``,
    the test) split.

    Returns:
        ``linear/train_acc``, ``linear/val_acc`` (and ``linear/test_acc``).
    """
    model, cfg = load_ssl_module(cfg, "linear")
    apply_extras(cfg)
    torch.manual_seed(cfg.seed)
    datamodule = build_datamodule(cfg, stage="validate")
    splits = ["val", "test"] if cfg.get("test") else ["val"]
    if "test" in splits:
        datamodule.setup("test")
    backbone = model.backbone.eval()
    train_x, train_y = extract_features(backbone, eval_loader(datamodule, labelled_train_dataset(datamodule)))
    settings = cfg.linear
    probe = fit_linear_probe(train_x, train_y, model.num_classes, epochs=settings.epochs, lr=settings.lr,
                             weight_decay=settings.weight_decay, batch_size=settings.batch_size, seed=cfg.seed)
    metrics = {"linear/train_acc": accuracy(probe, train_x, train_y)}
    for split in splits:
        x, y = extract_features(backbone, eval_loader(datamodule, datamodule.datasets[split]))
        metrics[f"linear/{split}_acc"] = accuracy(probe, x, y)
    print_metrics(f"linear probe of {cfg.ckpt_path}", metrics)
    return metrics


def linear_from_cli(cfg: DictConfig) -> float:
    """What ``nnframe ssl linear`` runs: returns the validation accuracy (for sweepers)."""
    return linear_probe(cfg)["linear/val_acc"]
